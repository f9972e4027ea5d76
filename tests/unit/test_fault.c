/* test_fault.c - fault injection (SQLite's *fault.test, pkgconf's malloc wrap): fail the Nth
 * call of one kind (malloc, calloc, realloc, strdup, strndup, jansson's allocator, open for
 * writing, write, pwrite, read, fsync, close of a written file, rename, mkdir), for N = 1, 2,
 * ... until the operation succeeds, and check that the call fails cleanly and leaves nothing
 * that looks finished. Built with -Wl,--wrap=<each function> (tests/meson.build).
 *
 * Writer and reader: every N. Stages (embed with the gates, gates, index, corrupt, analyze,
 * score, prune) and the whole `sciprune_run` driver, on a small generated corpus (Python,
 * JavaScript, C; a plain and a zstd shard; one bad line): a clean reference run first, then,
 * for each stage S and kind K, a counting pass records the call site (return address) of
 * every K call S makes; then the workdir is put back as it was before S ran, the driver runs
 * with the Nth K call of S failing, and the test asserts:
 *   - sciprune_run returns ENOMEM (allocations) or EIO (I/O), with a message, never OK unless
 *     everything it wrote equals the reference (a failure the code may survive);
 *   - no temp file is left and every file under its final name equals the reference's (JSON
 *     compared without timings), i.e. no file that looks finished is incomplete;
 *   - manifest.json does not record S as done, and every stage it records has all its files;
 *   - rerunning without faults succeeds and every file equals the reference's: out/, score/,
 *     and everything else.
 * N (sampled to keep the test near 40 s of CPU): in each stage and kind the first 2 calls, the
 * first call of every distinct call site (jansson's allocator: of every third site, in order of
 * appearance; SCIPRUNE_FAULT_JSON_EVERY=1: every one) and the last call; SCIPRUNE_FAULT_ALL=1
 * takes every N (about 20 000 runs: hours).
 * For the driver itself (config, manifest, the code around the stages) the same over a run from
 * an empty workdir for the sites outside the stages, with the first malloc and rename of every
 * stage as boundaries.
 *
 * Call sites: the wrappers take __builtin_return_address(0) (jansson's allocator: the first
 * frame of backtrace() inside this binary) and name it from the binary's own symbol table, so
 * the test reports sites per kind and file. Not injected: calls from the tree-sitter grammars'
 * external scanners (third-party code compiled into the library: they do not check malloc);
 * allocations inside shared libraries (libtree-sitter, libzstd, FAISS's operator new, OpenBLAS,
 * libc itself: --wrap only reaches calls made by objects linked into this binary); jansson's
 * allocations are reached through json_set_alloc_funcs. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sciprune.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* ------------------------------------------------------------------ the wrappers */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
int __real_open64(const char *path, int flags, ...);
ssize_t __real_write(int fd, const void *p, size_t n);
ssize_t __real_pwrite64(int fd, const void *p, size_t n, off_t off);
ssize_t __real_read(int fd, void *p, size_t n);
int __real_fsync(int fd);
int __real_close(int fd);
int __real_rename(const char *a, const char *b);
int __real_mkdir(const char *p, mode_t m);

enum {
    K_MALLOC, K_CALLOC, K_REALLOC, K_STRDUP, K_STRNDUP, K_JSON, /* allocations */
    K_OPEN, K_WRITE, K_PWRITE, K_READ, K_FSYNC, K_CLOSE, K_RENAME, K_MKDIR, /* I/O */
    K_COUNT
};
#define K_FIRST_IO K_OPEN
static const char *const kind_name[K_COUNT] = {
    "malloc", "calloc", "realloc", "strdup", "strndup", "json_alloc",
    "open(write)", "write", "pwrite", "read", "fsync", "close(written)", "rename", "mkdir"};
static const int kind_errno[K_COUNT] = {
    ENOMEM, ENOMEM, ENOMEM, ENOMEM, ENOMEM, ENOMEM,
    EACCES, ENOSPC, ENOSPC, EIO, EIO, EIO, EXDEV, EACCES};

/* A call site: a return address inside the library. */
typedef struct site {
    uintptr_t pc;
    int kind;
} site;

static struct {
    pthread_mutex_t mu;
    int armed;          /* count (and maybe fail) the library's calls */
    int record;         /* store the site of every counted call in seq[] */
    int fail_kind;      /* -1: none */
    long fail_at;       /* fail the fail_at-th call of fail_kind */
    int fired;
    uintptr_t fired_pc;
    long count[K_COUNT];
    uintptr_t *seq[K_COUNT];
    unsigned char *seqst[K_COUNT]; /* the stage running at each call (g_stage_id) */
    size_t nseq[K_COUNT], capseq[K_COUNT];
    int written_fd[1024]; /* fds opened for writing (only their close fails) */
} F = {PTHREAD_MUTEX_INITIALIZER, 0, 0, -1, 0, 0, 0, {0}, {0}, {0}, {0}, {0}, {0}};

static int g_stage_id; /* 1 + index of the running stage in the driver, 0 between stages */

/* ---- the binary's symbol table: which function (and source file) holds an address */
typedef struct fsym {
    uintptr_t lo, hi;
    const char *name, *file;
} fsym;
static fsym *g_syms;
static size_t g_nsyms;

static int sym_cmp(const void *a, const void *b)
{
    const fsym *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

int main(void);

static void syms_load(void)
{
    int fd = __real_open64("/proc/self/exe", O_RDONLY);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) abort();
    const unsigned char *b = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    __real_close(fd);
    if (b == MAP_FAILED) abort();
    const Elf64_Ehdr *eh = (const void *)b;
    const Elf64_Shdr *sh = (const void *)(b + eh->e_shoff);
    uintptr_t main_value = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t n = 0;
        for (int i = 0; i < eh->e_shnum; i++) {
            if (sh[i].sh_type != SHT_SYMTAB) continue;
            const Elf64_Sym *sy = (const void *)(b + sh[i].sh_offset);
            const char *str = (const char *)(b + sh[sh[i].sh_link].sh_offset);
            size_t ns = sh[i].sh_size / sizeof *sy;
            const char *file = "";
            for (size_t k = 0; k < ns; k++) {
                int type = ELF64_ST_TYPE(sy[k].st_info);
                if (type == STT_FILE) file = str + sy[k].st_name;
                if (ELF64_ST_BIND(sy[k].st_info) != STB_LOCAL) file = "";
                if (type != STT_FUNC || !sy[k].st_value) continue;
                if (!strcmp(str + sy[k].st_name, "main")) main_value = sy[k].st_value;
                if (pass == 1) {
                    g_syms[n].lo = sy[k].st_value;
                    g_syms[n].hi = sy[k].st_value + (sy[k].st_size ? sy[k].st_size : 1);
                    g_syms[n].name = str + sy[k].st_name;
                    g_syms[n].file = file;
                }
                n++;
            }
        }
        if (pass == 0) {
            g_syms = __real_malloc((n + 1) * sizeof *g_syms);
        } else {
            g_nsyms = n;
        }
    }
    if (!g_nsyms || !main_value) {
        fprintf(stderr, "test_fault: no symbol table in /proc/self/exe (stripped?)\n");
        exit(77);
    }
    uintptr_t bias = (uintptr_t)&main - main_value;
    for (size_t i = 0; i < g_nsyms; i++) {
        g_syms[i].lo += bias;
        g_syms[i].hi += bias;
    }
    qsort(g_syms, g_nsyms, sizeof *g_syms, sym_cmp);
}

static const fsym *sym_of(uintptr_t pc)
{
    size_t lo = 0, hi = g_nsyms;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (g_syms[mid].lo <= pc) lo = mid + 1; else hi = mid;
    }
    if (lo == 0) return NULL;
    const fsym *s = &g_syms[lo - 1];
    return pc < s->hi ? s : NULL;
}

/* 1 when pc is in the library's own code: not this test, not a grammar, not FAISS's C API */
static int pc_is_ours(uintptr_t pc)
{
    const fsym *s = sym_of(pc - 1);
    if (!s) return 0;
    if (!strcmp(s->file, "test_fault.c") || !strcmp(s->file, "parser.c") ||
        !strcmp(s->file, "scanner.c") || !strncmp(s->name, "tree_sitter_", 12) ||
        !strncmp(s->name, "__wrap_", 7) || !strcmp(s->name, "main") ||
        !strncmp(s->name, "faiss_", 6) || !strncmp(s->name, "_Z", 2))
        return 0;
    size_t fl = strlen(s->file);
    return !(fl > 4 && !strcmp(s->file + fl - 4, ".cpp"));
}

/* 1: fail this call (errno set) */
static int fault_hit(int kind, uintptr_t pc)
{
    if (!__atomic_load_n(&F.armed, __ATOMIC_ACQUIRE) || !pc_is_ours(pc)) return 0;
    pthread_mutex_lock(&F.mu);
    long n = ++F.count[kind];
    if (F.record) {
        if (F.nseq[kind] == F.capseq[kind]) {
            F.capseq[kind] = F.capseq[kind] ? 2 * F.capseq[kind] : 1024;
            F.seq[kind] = __real_realloc(F.seq[kind], F.capseq[kind] * sizeof(uintptr_t));
            F.seqst[kind] = __real_realloc(F.seqst[kind], F.capseq[kind]);
        }
        F.seqst[kind][F.nseq[kind]] = (unsigned char)g_stage_id;
        F.seq[kind][F.nseq[kind]++] = pc;
    }
    int fail = kind == F.fail_kind && n == F.fail_at;
    if (fail) {
        F.fired = 1;
        F.fired_pc = pc;
    }
    pthread_mutex_unlock(&F.mu);
    if (fail) errno = kind_errno[kind];
    return fail;
}

#define PC() ((uintptr_t)__builtin_return_address(0))

void *__wrap_malloc(size_t n) { return fault_hit(K_MALLOC, PC()) ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m)
{
    return fault_hit(K_CALLOC, PC()) ? NULL : __real_calloc(n, m);
}
void *__wrap_realloc(void *p, size_t n)
{
    return fault_hit(K_REALLOC, PC()) ? NULL : __real_realloc(p, n);
}
char *__wrap_strdup(const char *s) { return fault_hit(K_STRDUP, PC()) ? NULL : __real_strdup(s); }
char *__wrap_strndup(const char *s, size_t n)
{
    return fault_hit(K_STRNDUP, PC()) ? NULL : __real_strndup(s, n);
}

int __wrap_open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    int writing = (flags & (O_WRONLY | O_RDWR | O_CREAT)) != 0;
    if (writing && fault_hit(K_OPEN, PC())) return -1;
    int fd = __real_open64(path, flags, mode);
    if (fd >= 0 && fd < 1024) F.written_fd[fd] = writing;
    return fd;
}

ssize_t __wrap_write(int fd, const void *p, size_t n)
{
    if (fd > 2 && fault_hit(K_WRITE, PC())) return -1;
    return __real_write(fd, p, n);
}

ssize_t __wrap_pwrite64(int fd, const void *p, size_t n, off_t off)
{
    return fault_hit(K_PWRITE, PC()) ? -1 : __real_pwrite64(fd, p, n, off);
}

ssize_t __wrap_read(int fd, void *p, size_t n)
{
    if (fd > 2 && fault_hit(K_READ, PC())) return -1;
    return __real_read(fd, p, n);
}

int __wrap_fsync(int fd) { return fault_hit(K_FSYNC, PC()) ? -1 : __real_fsync(fd); }

int __wrap_close(int fd)
{
    int w = fd >= 0 && fd < 1024 && F.written_fd[fd];
    if (fd >= 0 && fd < 1024) F.written_fd[fd] = 0;
    if (w && fault_hit(K_CLOSE, PC())) {
        __real_close(fd); /* Linux frees the descriptor even when close reports an error */
        errno = EIO;
        return -1;
    }
    return __real_close(fd);
}

int __wrap_rename(const char *a, const char *b)
{
    return fault_hit(K_RENAME, PC()) ? -1 : __real_rename(a, b);
}

int __wrap_mkdir(const char *p, mode_t m) { return fault_hit(K_MKDIR, PC()) ? -1 : __real_mkdir(p, m); }

/* jansson's allocator: the call site is the first frame in the library */
static void *json_malloc_hook(size_t n)
{
    if (__atomic_load_n(&F.armed, __ATOMIC_ACQUIRE)) {
        void *fr[32];
        int nf = backtrace(fr, 32);
        for (int i = 1; i < nf; i++) {
            uintptr_t pc = (uintptr_t)fr[i];
            const fsym *sy = sym_of(pc - 1);
            if (sy && !strcmp(sy->name, "json_malloc_counted")) continue; /* the library's hook */
            if (sy) {
                if (fault_hit(K_JSON, pc)) return NULL;
                break;
            }
        }
    }
    return __real_malloc(n);
}

static void arm(int kind, long at, int record)
{
    pthread_mutex_lock(&F.mu);
    memset(F.count, 0, sizeof F.count);
    memset(F.nseq, 0, sizeof F.nseq);
    F.fail_kind = kind;
    F.fail_at = at;
    F.fired = 0;
    F.fired_pc = 0;
    F.record = record;
    pthread_mutex_unlock(&F.mu);
}

static void set_armed(int on) { __atomic_store_n(&F.armed, on, __ATOMIC_RELEASE); }

/* "file.c:function" of a site, into buf */
static const char *site_str(uintptr_t pc, char *buf, size_t cap)
{
    const fsym *s = sym_of(pc - 1);
    snprintf(buf, cap, "%s%s%s+0x%lx", s && *s->file ? s->file : "", s && *s->file ? ":" : "",
             s ? s->name : "?", s ? (unsigned long)(pc - s->lo) : 0ul);
    return buf;
}

/* ------------------------------------------------------------------ site statistics */

static site *g_seen;
static size_t g_nseen, g_capseen;
static long g_injected[K_COUNT], g_survived[K_COUNT];

static void seen_add(int kind, uintptr_t pc)
{
    for (size_t i = 0; i < g_nseen; i++)
        if (g_seen[i].pc == pc && g_seen[i].kind == kind) return;
    if (g_nseen == g_capseen) {
        g_capseen = g_capseen ? 2 * g_capseen : 256;
        g_seen = __real_realloc(g_seen, g_capseen * sizeof *g_seen);
    }
    g_seen[g_nseen].pc = pc;
    g_seen[g_nseen++].kind = kind;
}

/* ------------------------------------------------------------------ files */

static char g_dir[256];

static void sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0) fail_msg("command failed: %s", cmd);
}

static int setup_dir(void **state)
{
    (void)state;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(g_dir, sizeof g_dir, "%s/sciprune-test-fault-XXXXXX", base);
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int files_in_dir(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

/* drop the keys that hold timings and memory (and what is derived from them), recursively */
static void json_strip_volatile(json_t *j)
{
    if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++) json_strip_volatile(json_array_get(j, i));
        return;
    }
    if (!json_is_object(j)) return;
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(j, tmp, k, v) {
        size_t l = strlen(k);
        if ((l >= 7 && !strcmp(k + l - 7, "seconds")) || !strcmp(k, "peak_rss"))
            json_object_del(j, k);
        else if (!strcmp(k, "outputs") && json_is_object(v)) {
            /* the manifest's record of a stage's files: the same paths, but the sizes and
             * hashes of files that hold timings differ run to run */
            const char *f;
            json_t *e;
            json_object_foreach(v, f, e) {
                json_object_del(e, "size");
                json_object_del(e, "hash");
            }
        } else
            json_strip_volatile(v);
    }
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = __real_malloc(cap + 1);
    size_t r;
    while ((r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) b = __real_realloc(b, (cap *= 2) + 1);
    }
    fclose(f);
    b[n] = '\0';
    *len = n;
    return b;
}

/* embed/summary.json describes the call that wrote it: on a resumed run the shards done
 * before are "skipped" and have no text_bytes */
static void json_strip_per_call(json_t *j)
{
    json_t *sa = json_object_get(j, "shards");
    for (size_t i = 0; i < json_array_size(sa); i++) {
        json_object_del(json_array_get(sa, i), "skipped");
        json_object_del(json_array_get(sa, i), "text_bytes");
    }
}

/* Content hash of a workdir file as compared: .json without timings, report.md without its
 * stage table, other files as they are. *valid = 0 when a .json file does not parse. */
static uint64_t file_digest(const char *path, int *valid)
{
    size_t len;
    char *b = read_all(path, &len);
    *valid = b != NULL;
    if (!b) return 0;
    uint64_t h;
    size_t pl = strlen(path);
    if (pl > 5 && !strcmp(path + pl - 5, ".json")) {
        json_t *j = json_loadb(b, len, 0, NULL);
        if (!j) {
            *valid = 0;
            h = 0;
        } else {
            json_strip_volatile(j);
            if (pl > 18 && !strcmp(path + pl - 18, "embed/summary.json")) json_strip_per_call(j);
            char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
            h = XXH3_64bits(s, strlen(s));
            free(s);
            json_decref(j);
        }
    } else if (pl > 9 && !strcmp(path + pl - 9, "report.md")) {
        char *st = strstr(b, "\n## Stages\n");
        if (st) {
            char *next = strstr(st + 1, "\n## ");
            if (next) memmove(st, next, strlen(next) + 1); else *st = '\0';
        }
        h = XXH3_64bits(b, strlen(b));
    } else {
        h = XXH3_64bits(b, len);
    }
    free(b);
    return h;
}

typedef struct fentry {
    char rel[256];
    uint64_t h;
} fentry;

typedef struct ftree {
    fentry *e;
    size_t n, cap;
} ftree;

static uint64_t digest_cached(const char *path, const struct stat *sb);

static void tree_walk(ftree *t, const char *root, const char *rel)
{
    char dir[700];
    snprintf(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char r[256], full[1000];
        if ((size_t)snprintf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", de->d_name) >= sizeof r)
            fail_msg("path too long under %s", root);
        snprintf(full, sizeof full, "%s/%s", root, r);
        struct stat sb;
        if (lstat(full, &sb) != 0) continue;
        if (S_ISDIR(sb.st_mode)) {
            tree_walk(t, root, r);
            continue;
        }
        if (t->n == t->cap) t->e = __real_realloc(t->e, (t->cap = t->cap ? 2 * t->cap : 128) * sizeof *t->e);
        fentry *e = &t->e[t->n++];
        snprintf(e->rel, sizeof e->rel, "%s", r);
        e->h = digest_cached(full, &sb);
    }
    closedir(d);
}

/* Restored workdirs are hard links to the snapshots (every output is replaced by a rename,
 * never rewritten in place): a file with the same inode, size and times has the same digest. */
typedef struct dcache {
    int used;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtim, ctim;
    uint64_t h;
} dcache;
#define DC_SIZE (1u << 15)
static dcache g_dc[DC_SIZE];
static size_t g_ndc;

static uint64_t digest_cached(const char *path, const struct stat *sb)
{
    uint64_t key[6] = {(uint64_t)sb->st_dev, (uint64_t)sb->st_ino, (uint64_t)sb->st_size,
                       (uint64_t)sb->st_mtim.tv_sec ^ ((uint64_t)sb->st_mtim.tv_nsec << 32),
                       (uint64_t)sb->st_ctim.tv_sec ^ ((uint64_t)sb->st_ctim.tv_nsec << 32), 0};
    size_t i = (size_t)XXH3_64bits(key, sizeof key) & (DC_SIZE - 1);
    for (; g_dc[i].used; i = (i + 1) & (DC_SIZE - 1)) {
        const dcache *c = &g_dc[i];
        if (c->ino == sb->st_ino && c->dev == sb->st_dev && c->size == sb->st_size &&
            c->mtim.tv_sec == sb->st_mtim.tv_sec && c->mtim.tv_nsec == sb->st_mtim.tv_nsec &&
            c->ctim.tv_sec == sb->st_ctim.tv_sec && c->ctim.tv_nsec == sb->st_ctim.tv_nsec)
            return c->h;
    }
    int valid;
    uint64_t h = file_digest(path, &valid);
    if (!valid) return 1; /* never equal to a real digest in practice */
    if (g_ndc > DC_SIZE / 2) { /* full enough: start over */
        memset(g_dc, 0, sizeof g_dc);
        g_ndc = 0;
        i = (size_t)XXH3_64bits(key, sizeof key) & (DC_SIZE - 1);
    }
    g_dc[i] = (dcache){1, sb->st_dev, sb->st_ino, sb->st_size, sb->st_mtim, sb->st_ctim, h};
    g_ndc++;
    return h;
}

static const fentry *tree_find(const ftree *t, const char *rel)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->e[i].rel, rel)) return &t->e[i];
    return NULL;
}

static void tree_free(ftree *t)
{
    free(t->e);
    memset(t, 0, sizeof *t);
}

/* ------------------------------------------------------------------ the pipeline */

/* which stage a workdir file belongs to (manifest stage name) */
static const char *stage_of(const char *rel)
{
    static const struct {
        const char *prefix, *stage;
    } m[] = {{"embed/", "embed"}, {"gates/", "gates"}, {"index/", "index"}, {"assign/", "index"},
             {"corrupt/", "corrupt"}, {"analyze/", "analyze"}, {"score/", "score"},
             {"out/", "prune"}, {"report.", "prune"}};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (!strncmp(rel, m[i].prefix, strlen(m[i].prefix))) return m[i].stage;
    return NULL;
}

typedef struct pipeline {
    const char *name;        /* "hash" or "npy" */
    char cfg[512], w[512], ref[512], snap[512];
    ftree reftree;
    const char *arm_stage;   /* count in this stage only; NULL with whole_run */
    int whole_run;
    int taking_snapshots;
    char cur_stage[32];      /* the stage running now ("" between stages) */
} pipeline;

static void on_stage(void *user, const char *stage, const char *state)
{
    pipeline *p = user;
    int running = !strcmp(state, "running");
    if (p->taking_snapshots && running)
        sh("mkdir -p '%s' && rm -rf '%s/%s' && cp -a '%s' '%s/%s'", p->snap, p->snap, stage, p->w,
           p->snap, stage);
    snprintf(p->cur_stage, sizeof p->cur_stage, "%s", running ? stage : "");
    static const char *const names[] = {"embed", "gates", "index", "corrupt", "analyze", "score", "prune"};
    g_stage_id = 0;
    for (int i = 0; running && i < 7; i++)
        if (!strcmp(stage, names[i])) g_stage_id = i + 1;
    if (p->arm_stage) set_armed(running && !strcmp(stage, p->arm_stage));
}

static sciprune_status pipeline_run(pipeline *p, sciprune_error *e)
{
    sciprune_run_options o;
    sciprune_run_options_default(&o);
    o.on_stage = on_stage;
    o.user = p;
    memset(e, 0, sizeof *e);
    if (p->whole_run) set_armed(1);
    sciprune_status st = sciprune_run(p->cfg, &o, e);
    set_armed(0);
    p->cur_stage[0] = '\0';
    g_stage_id = 0;
    return st;
}

static int has_tmp(const ftree *t)
{
    for (size_t i = 0; i < t->n; i++)
        if (strstr(t->e[i].rel, ".tmp.")) return 1;
    return 0;
}

/* the stages manifest.json records as done; "" when there is none */
static void manifest_done(const char *w, char *out, size_t cap)
{
    char p[600];
    snprintf(p, sizeof p, "%s/manifest.json", w);
    out[0] = '\0';
    json_t *j = json_load_file(p, 0, NULL);
    json_t *st = json_object_get(j, "stages");
    const char *k;
    json_t *v;
    json_object_foreach(st, k, v) {
        size_t l = strlen(out);
        snprintf(out + l, cap - l, " %s ", k);
    }
    json_decref(j);
}

typedef struct inj {
    pipeline *p;
    const char *stage; /* NULL: whole run */
    int kind;
    long n;
    uintptr_t pc;      /* expected site */
    int bad;           /* problems found */
} inj;

static long g_problems; /* injections that went wrong, over all stages */

/* Report what went wrong with one injection; the test goes on with the next one and fails at
 * the end of the stage, so one run lists every bad site. */
static void inj_fail(inj *c, const char *what, const char *detail)
{
    char s[300];
    if (c->bad++) return;
    g_problems++;
    fprintf(stderr, "FAULT: [%s] stage %s, %s call %ld (%s): %s%s%s\n", c->p->name,
            c->stage ? c->stage : "run", kind_name[c->kind], c->n, site_str(c->pc, s, sizeof s),
            what, detail ? ": " : "", detail ? detail : "");
}

/* the workdir as it is now must hold nothing that looks finished but is not */
static void check_no_bad_files(inj *c, const char *not_done)
{
    pipeline *p = c->p;
    ftree t = {0};
    tree_walk(&t, p->w, "");
    if (has_tmp(&t)) {
        for (size_t i = 0; i < t.n; i++)
            if (strstr(t.e[i].rel, ".tmp.")) inj_fail(c, "temp file left", t.e[i].rel);
    }
    char done[400];
    manifest_done(p->w, done, sizeof done);
    if (not_done) {
        char pat[40];
        snprintf(pat, sizeof pat, " %s ", not_done);
        if (strstr(done, pat)) inj_fail(c, "manifest records the failed stage as done", not_done);
    }
    for (size_t i = 0; i < t.n; i++) {
        if (!strcmp(t.e[i].rel, "manifest.json")) {
            if (t.e[i].h == 1) inj_fail(c, "manifest.json does not parse", NULL);
            continue;
        }
        const fentry *r = tree_find(&p->reftree, t.e[i].rel);
        if (!r) inj_fail(c, "a file the clean run does not make", t.e[i].rel);
        else if (r->h != t.e[i].h) inj_fail(c, "a final-named file differs from the clean run's", t.e[i].rel);
    }
    /* a stage recorded as done has every one of its files */
    for (size_t i = 0; i < p->reftree.n; i++) {
        const char *sg = stage_of(p->reftree.e[i].rel);
        char pat[40];
        snprintf(pat, sizeof pat, " %s ", sg ? sg : "-");
        if (sg && strstr(done, pat) && !tree_find(&t, p->reftree.e[i].rel))
            inj_fail(c, "stage recorded done but its file is missing", p->reftree.e[i].rel);
    }
    tree_free(&t);
}

static void check_same_as_reference(inj *c)
{
    pipeline *p = c->p;
    ftree t = {0};
    tree_walk(&t, p->w, "");
    for (size_t i = 0; i < p->reftree.n; i++) {
        const fentry *r = &p->reftree.e[i];
        const fentry *x = tree_find(&t, r->rel);
        if (!x) inj_fail(c, "after the rerun a file is missing", r->rel);
        else if (x->h != r->h) inj_fail(c, "after the rerun a file differs", r->rel);
    }
    if (t.n != p->reftree.n) inj_fail(c, "after the rerun the workdir holds other files", NULL);
    tree_free(&t);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb;
    (void)flag;
    (void)f;
    return remove(path);
}

static void rm_tree(const char *path)
{
    if (access(path, F_OK) == 0 && nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fail_msg("cannot remove %s", path);
}

/* dst as a tree of hard links to src's files (no process started: this runs ~1000 times) */
static void link_tree(const char *src, const char *dst)
{
    if (mkdir(dst, 0777) != 0) fail_msg("cannot make %s", dst);
    DIR *d = opendir(src);
    if (!d) fail_msg("cannot open %s", src);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char a[1200], b[1200];
        snprintf(a, sizeof a, "%s/%s", src, de->d_name);
        snprintf(b, sizeof b, "%s/%s", dst, de->d_name);
        struct stat sb;
        if (lstat(a, &sb) != 0) fail_msg("cannot stat %s", a);
        if (S_ISDIR(sb.st_mode)) link_tree(a, b);
        else if (link(a, b) != 0) fail_msg("cannot link %s", b);
    }
    closedir(d);
}

static void restore(pipeline *p, const char *stage)
{
    rm_tree(p->w);
    if (stage) {
        char src[700];
        snprintf(src, sizeof src, "%s/%s", p->snap, stage);
        link_tree(src, p->w);
    }
}

/* One injection: the N-th `kind` call of `stage` (NULL: of the whole run) fails. */
static void inject(inj *c)
{
    pipeline *p = c->p;
    restore(p, c->stage);
    p->arm_stage = c->stage;
    p->whole_run = c->stage == NULL;
    arm(c->kind, c->n, 0);
    sciprune_error e;
    sciprune_status st = pipeline_run(p, &e);
    p->arm_stage = NULL;
    p->whole_run = 0;
    int fired = F.fired;
    uintptr_t fpc = F.fired_pc;
    arm(-1, 0, 0);
    if (!fired) inj_fail(c, "the call was never made (not deterministic?)", NULL);
    else if (fpc != c->pc) inj_fail(c, "another site failed than counted (not deterministic?)", NULL);
    g_injected[c->kind]++;
    if (st == SCIPRUNE_OK) {
        /* survived: only fine when everything is as a clean run makes it */
        g_survived[c->kind]++;
        check_same_as_reference(c);
        return;
    }
    sciprune_status want = c->kind < K_FIRST_IO ? SCIPRUNE_ENOMEM : SCIPRUNE_EIO;
    if (st != want) {
        char d[2200];
        snprintf(d, sizeof d, "status %s, want %s; \"%s\" \"%s\"", sciprune_status_name(st),
                 sciprune_status_name(want), e.source, e.text);
        inj_fail(c, "wrong status", d);
    }
    if (!e.text[0]) inj_fail(c, "no error message", NULL);
    check_no_bad_files(c, c->stage);
    if (c->bad) return;
    /* rerun without faults: completes, same bytes */
    st = pipeline_run(p, &e);
    if (st != SCIPRUNE_OK) {
        char d[2200];
        snprintf(d, sizeof d, "%s \"%s\" \"%s\"", sciprune_status_name(st), e.source, e.text);
        inj_fail(c, "the rerun without faults failed", d);
        return;
    }
    check_same_as_reference(c);
}

static long g_first = 2;      /* every N up to this in each stage and kind */
static long g_json_every = 3; /* jansson's allocator: every third site (SCIPRUNE_FAULT_ALL: all) */
static int g_all;             /* SCIPRUNE_FAULT_ALL=1: every N */
static long g_runs;

/* The N to try for a recorded sequence seq[0..n) (stage[i]: the stage running at call i, for
 * the whole run; NULL for a stage): the first g_first calls, the first call of every distinct
 * site (for the whole run: of every site outside the stages, which the stage tests cover),
 * the last call, and (whole run) the first malloc and rename of every stage. */
static void pick(int kind, const uintptr_t *seq, const unsigned char *stage, size_t n, char *take)
{
    memset(take, 0, n);
    long nsite = 0;
    for (size_t i = 0; i < n; i++) {
        int first = 1;
        for (size_t k = 0; k < i && first; k++) first = seq[k] != seq[i];
        if (g_all || (long)i < g_first || i + 1 == n) take[i] = 1;
        if (first && (!stage || !stage[i]) && (kind != K_JSON || nsite++ % g_json_every == 0))
            take[i] = 1;
        if (stage && (kind == K_MALLOC || kind == K_RENAME) && (i == 0 || stage[i] != stage[i - 1]))
            take[i] = 1;
    }
}

/* Count the calls of `stage` (NULL: the whole run) and inject failures at the picked N. */
static void fault_stage(pipeline *p, const char *stage)
{
    double t0 = (double)clock() / CLOCKS_PER_SEC;
    long tried = 0, calls = 0;
    /* counting pass: the run as it is, every call recorded, with which stage made it */
    restore(p, stage);
    p->arm_stage = stage;
    p->whole_run = stage == NULL;
    arm(-1, 0, 1);
    sciprune_error e;
    sciprune_status st = pipeline_run(p, &e);
    p->arm_stage = NULL;
    p->whole_run = 0;
    if (st) fail_msg("[%s] counting pass of %s: %s %s", p->name, stage ? stage : "run", e.source, e.text);
    uintptr_t *seq[K_COUNT];
    unsigned char *sst[K_COUNT];
    size_t nseq[K_COUNT];
    for (int k = 0; k < K_COUNT; k++) {
        nseq[k] = F.nseq[k];
        seq[k] = __real_malloc((nseq[k] + 1) * sizeof(uintptr_t));
        if (nseq[k]) memcpy(seq[k], F.seq[k], nseq[k] * sizeof(uintptr_t));
        sst[k] = __real_malloc(nseq[k] + 1);
        if (nseq[k]) memcpy(sst[k], F.seqst[k], nseq[k]);
        for (size_t i = 0; i < nseq[k]; i++) seen_add(k, seq[k][i]);
        calls += (long)nseq[k];
    }
    arm(-1, 0, 0);
    inj clean = {p, stage, 0, 0, 0, 0};
    check_same_as_reference(&clean);
    long problems = g_problems;
    for (int k = 0; k < K_COUNT; k++) {
        char *take = __real_malloc(nseq[k] + 1);
        pick(k, seq[k], stage ? NULL : sst[k], nseq[k], take);
        for (size_t i = 0; i < nseq[k]; i++) {
            if (!take[i]) continue;
            inj c = {p, stage, k, (long)i + 1, seq[k][i], 0};
            inject(&c);
            tried++;
        }
        free(take);
        free(sst[k]);
        free(seq[k]);
    }
    g_runs += tried;
    fprintf(stderr, "fault: [%s] %-8s %6ld calls counted, %4ld failures injected, %.1f s CPU\n",
            p->name, stage ? stage : "run", calls, tried, (double)clock() / CLOCKS_PER_SEC - t0);
    if (g_problems > problems)
        fail_msg("[%s] %s: %ld injected failures went wrong (FAULT: lines above)", p->name,
                 stage ? stage : "run", g_problems - problems);
}

/* ------------------------------------------------------------------ the corpus */

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *const k_records[][2] = {
    {"python", "import os\\n\\ndef join(a, b):\\n    return os.path.join(a, b)\\n"},
    {"python", "class A:\\n    def m(self, y):\\n        for i in range(y):\\n            print(i + 1)\\n"},
    {"python", "def f(x):\\n    if x > 1:\\n        return x * 2\\n    return undefined_thing\\n"},
    {"python", "def broken(:\\n    return (1 +\\n"},
    {"javascript", "function add(a, b) {\\n  return a + b;\\n}\\nmodule.exports = add;\\n"},
    {"javascript", "const xs = [1, 2, 3].map(function (v) { return v * 2; });\\nconsole.log(xs);\\n"},
    {"c", "int add(int a, int b)\\n{\\n    return a + b;\\n}\\n"},
    {"c", "#include <stdio.h>\\nint main(void)\\n{\\n    for (int i = 0; i < 3; i++)\\n        printf(\\\"%d\\\\n\\\", i);\\n    return 0;\\n}\\n"},
};

/* in/s0.jsonl (plain, with one bad line) and in/s1.jsonl.zst; a data folder with a few
 * corruption queries for python, javascript and c (the whole set takes seconds to compile) */
static void make_corpus(const char *dir)
{
    char p[600], line[1200];
    snprintf(p, sizeof p, "%s/in", dir);
    mkdir(p, 0777);
    snprintf(p, sizeof p, "%s/in/s0.jsonl", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    size_t nr = sizeof k_records / sizeof k_records[0];
    for (size_t i = 0; i < nr; i++)
        fprintf(f, "{\"id\":\"a%zu\",\"lang\":\"%s\",\"content\":\"%s# %zu\\n\"}\n", i,
                k_records[i][0], k_records[i][1], i);
    fputs("{\"id\": \"bad\", \"content\": \n", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/in/s1.jsonl.zst", dir);
    sciprune_shard_writer *w;
    sciprune_error e;
    assert_int_equal(sciprune_shard_writer_open(&w, p, NULL, &e), SCIPRUNE_OK);
    for (size_t i = 0; i < nr; i++) {
        int n = snprintf(line, sizeof line, "{\"id\":\"b%zu\",\"lang\":\"%s\",\"content\":\"%s%s %zu\\n\"}",
                         i, k_records[i][0], k_records[i][1],
                         strcmp(k_records[i][0], "python") ? "//" : "#", i + 100);
        assert_int_equal(sciprune_shard_writer_write(w, line, (size_t)n, &e), SCIPRUNE_OK);
    }
    assert_int_equal(sciprune_shard_writer_close(w, &e), SCIPRUNE_OK);
    /* the queries */
    const char *data = sciprune_data_dir();
    const char *langs[] = {"python", "javascript", "c"};
    for (size_t l = 0; l < 3; l++)
        sh("mkdir -p '%s/data/queries/%s' && cp '%s/queries/%s/drop-close-bracket.scm' "
           "'%s/queries/%s/swap-operator.scm' '%s/data/queries/%s/'",
           dir, langs[l], data, langs[l], data, langs[l], dir, langs[l]);
}

static void pipeline_init(pipeline *p, const char *name, const char *embed, int full)
{
    memset(p, 0, sizeof *p);
    p->name = name;
    snprintf(p->cfg, sizeof p->cfg, "%s/job-%s.json", g_dir, name);
    snprintf(p->w, sizeof p->w, "%s/w-%s", g_dir, name);
    snprintf(p->ref, sizeof p->ref, "%s/ref-%s", g_dir, name);
    snprintf(p->snap, sizeof p->snap, "%s/snap-%s", g_dir, name);
    char text[2048];
    snprintf(text, sizeof text,
             "{\"inputs\": [\"in/s*\"], \"workdir\": \"w-%s\", \"threads\": 1,\n"
             " \"embed\": {%s},\n"
             " \"gates\": {\"enabled\": true},\n"
             " \"index\": {\"k\": 2, \"niter\": 2},\n"
             " \"score\": {\"metrics\": [%s\"gate+distance\", \"distance\", \"size\", \"random\","
             " \"length\"], \"ratios\": [0.25]},\n"
             " \"prune\": {\"write_removed\": true, \"zstd_level\": 1, \"fsync\": true}%s}\n",
             name, embed, full ? "\"auto\", " : "",
             full ? ",\n \"corrupt\": {\"per_type\": 1, \"langs\": [\"python\", \"javascript\", \"c\"]},\n"
                    " \"analyze\": {\"ratios\": [0.25], \"alphas\": [0.5]}"
                  : "");
    write_text(p->cfg, text);
    /* the reference: a clean run from nothing, with a snapshot before each stage */
    sh("rm -rf '%s' '%s' '%s'", p->w, p->ref, p->snap);
    p->taking_snapshots = 1;
    sciprune_error e;
    sciprune_status st = pipeline_run(p, &e);
    p->taking_snapshots = 0;
    if (st) fail_msg("[%s] clean run: %s %s", name, e.source, e.text);
    sh("cp -a '%s' '%s'", p->w, p->ref);
    tree_walk(&p->reftree, p->ref, "");
    /* a second clean run gives the same files (the comparison is meaningful) */
    sh("rm -rf '%s'", p->w);
    st = pipeline_run(p, &e);
    if (st) fail_msg("[%s] second clean run: %s %s", name, e.source, e.text);
    inj clean = {p, "clean", 0, 0, 0, 0};
    check_same_as_reference(&clean);
    if (clean.bad) fail_msg("[%s] two clean runs differ", name);
}

static pipeline g_hash, g_npy;
static int g_corpus_made;

static void need_pipelines(void)
{
    if (g_corpus_made) return;
    g_corpus_made = 1;
    make_corpus(g_dir);
    char data[400];
    snprintf(data, sizeof data, "%s/data", g_dir);
    setenv("SCIPRUNE_DATA_DIR", data, 1);
    pipeline_init(&g_hash, "hash", "\"dim\": 64", 1);
    /* npy: the hash run's vectors imported, so the gates run as a stage of their own */
    char embed[700];
    snprintf(embed, sizeof embed, "\"embedder\": \"npy:%s/embed\"", g_hash.ref);
    pipeline_init(&g_npy, "npy", embed, 0);
}

static void test_stage_embed_faults(void **state)
{
    (void)state;
    need_pipelines();
    fault_stage(&g_hash, "embed"); /* hash embedder + the gates on its parse */
    fault_stage(&g_npy, "embed");  /* npy import */
}

static void test_stage_gates_faults(void **state)
{
    (void)state;
    need_pipelines();
    fault_stage(&g_npy, "gates");
}

static void test_stage_index_faults(void **state)
{
    (void)state;
    need_pipelines();
    fault_stage(&g_hash, "index");
}

static void test_stage_corrupt_faults(void **state)
{
    (void)state;
    need_pipelines();
    fault_stage(&g_hash, "corrupt");
}

static void test_stage_analyze_faults(void **state)
{
    (void)state;
    need_pipelines();
    fault_stage(&g_hash, "analyze");
}

static void test_stage_score_faults(void **state)
{
    (void)state;
    need_pipelines();
    fault_stage(&g_hash, "score");
}

static void test_stage_prune_faults(void **state)
{
    (void)state;
    need_pipelines();
    fault_stage(&g_hash, "prune");
}

static void test_run_driver_faults(void **state)
{
    (void)state;
    need_pipelines();
    fault_stage(&g_hash, NULL);
}

/* ------------------------------------------------------------------ writer and reader */

/* write a shard of 3000 lines; returns the status of the first failing call */
static sciprune_status write_shard(const char *path)
{
    sciprune_shard_writer *w;
    sciprune_error e;
    sciprune_status st = sciprune_shard_writer_open(&w, path, NULL, &e);
    if (st) return st;
    char line[600];
    for (int i = 0; i < 3000; i++) {
        int n = snprintf(line, sizeof line, "{\"id\":\"%d\",\"content\":\"%0500d\"}", i, i);
        st = sciprune_shard_writer_write(w, line, (size_t)n, &e);
        if (st) {
            sciprune_shard_writer_abort(w);
            return st;
        }
    }
    return sciprune_shard_writer_close(w, &e);
}

/* Every N for each kind the writer uses: EIO / ENOMEM and nothing left, then success. */
static void writer_faults(const char *name, int kind, sciprune_status want)
{
    char dir[400], path[600];
    snprintf(dir, sizeof dir, "%s/wr", g_dir);
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int succeeded = 0;
    for (long n = 1; n < 100000 && !succeeded; n++) {
        arm(kind, n, 0);
        set_armed(1);
        sciprune_status st = write_shard(path);
        set_armed(0);
        int fired = F.fired;
        if (fired) seen_add(kind, F.fired_pc), g_injected[kind]++;
        if (st == SCIPRUNE_OK) {
            if (fired) fail_msg("%s: %s call %ld failed but the writer reported success", name,
                                kind_name[kind], n);
            succeeded = 1;
        } else {
            if (!fired) fail_msg("%s: failed without an injected failure", name);
            assert_int_equal(st, want);
            assert_int_equal(files_in_dir(dir), 0); /* neither the target nor a temp file */
        }
    }
    arm(-1, 0, 0);
    assert_true(succeeded);
    assert_int_equal(files_in_dir(dir), 1);
    unlink(path);
}

static void test_writer_failures_leave_nothing(void **state)
{
    (void)state;
    const int io[] = {K_OPEN, K_WRITE, K_FSYNC, K_CLOSE, K_RENAME};
    for (size_t i = 0; i < sizeof io / sizeof io[0]; i++) {
        writer_faults("w.jsonl", io[i], SCIPRUNE_EIO);
        writer_faults("w.jsonl.zst", io[i], SCIPRUNE_EIO);
    }
    const int mem[] = {K_MALLOC, K_CALLOC, K_REALLOC, K_STRDUP};
    for (size_t i = 0; i < sizeof mem / sizeof mem[0]; i++) {
        writer_faults("m.jsonl", mem[i], SCIPRUNE_ENOMEM);
        writer_faults("m.jsonl.zst", mem[i], SCIPRUNE_ENOMEM);
    }
}

static void test_reader_failures_are_errors(void **state)
{
    (void)state;
    char path[400];
    snprintf(path, sizeof path, "%s/r.jsonl.zst", g_dir);
    assert_int_equal(write_shard(path), SCIPRUNE_OK);
    const int kinds[] = {K_MALLOC, K_CALLOC, K_REALLOC, K_STRDUP, K_READ};
    for (size_t ki = 0; ki < sizeof kinds / sizeof kinds[0]; ki++) {
        int kind = kinds[ki];
        int succeeded = 0;
        for (long n = 1; n < 100000 && !succeeded; n++) {
            arm(kind, n, 0);
            set_armed(1);
            sciprune_shard_reader *r = NULL;
            sciprune_error e;
            sciprune_status st = sciprune_shard_reader_open(&r, path, NULL, &e);
            long lines = 0;
            const sciprune_record *rec;
            while (st == SCIPRUNE_OK && (st = sciprune_shard_reader_next(r, &rec, &e)) == SCIPRUNE_OK && rec)
                if (rec->reject == SCIPRUNE_REJECT_NONE) lines++;
            set_armed(0);
            sciprune_shard_reader_close(r);
            int fired = F.fired;
            if (fired) seen_add(kind, F.fired_pc), g_injected[kind]++;
            if (st == SCIPRUNE_OK) {
                if (fired) fail_msg("reader: %s call %ld failed but the reader reported success",
                                    kind_name[kind], n);
                assert_int_equal(lines, 3000);
                succeeded = 1;
            } else {
                assert_int_equal(st, kind == K_READ ? SCIPRUNE_EIO : SCIPRUNE_ENOMEM);
                assert_int_equal(e.code, st);
            }
        }
        arm(-1, 0, 0);
        assert_true(succeeded);
    }
    unlink(path);
}

/* ------------------------------------------------------------------ report */

static void test_report_sites(void **state)
{
    (void)state;
    long total_sites = 0, total_inj = 0, kinds = 0;
    fprintf(stderr, "fault: call sites reached in the library and failures injected, per kind:\n");
    for (int k = 0; k < K_COUNT; k++) {
        long n = 0;
        for (size_t i = 0; i < g_nseen; i++) n += g_seen[i].kind == k;
        fprintf(stderr, "fault:   %-15s %4ld sites  %5ld injected  %4ld survived (outputs as a clean run's)\n",
                kind_name[k], n, g_injected[k], g_survived[k]);
        total_sites += n;
        total_inj += g_injected[k];
        kinds += n > 0;
    }
    fprintf(stderr, "fault: %ld (call site, kind) pairs over %ld kinds; %ld failures injected, "
            "%ld stage runs\n", total_sites, kinds, total_inj, g_runs);
    if (getenv("SCIPRUNE_FAULT_SITES")) {
        char s[300];
        for (size_t i = 0; i < g_nseen; i++)
            fprintf(stderr, "fault-site: %-15s %s\n", kind_name[g_seen[i].kind],
                    site_str(g_seen[i].pc, s, sizeof s));
    }
    assert_true(total_sites > 0);
}

/* Before the library's own constructor, which chains its counting allocator to this one
 * (shard/common.c). */
__attribute__((constructor(101))) static void fault_json_hook_install(void)
{
    json_set_alloc_funcs(json_malloc_hook, free);
}

int main(void)
{
    syms_load();
    void *warm[4];
    backtrace(warm, 4); /* loads the unwinder now, not inside a wrapped call */
    const char *all = getenv("SCIPRUNE_FAULT_ALL");
    g_all = all && *all && strcmp(all, "0");
    const char *je = getenv("SCIPRUNE_FAULT_JSON_EVERY"); /* 1: every jansson site */
    if (je && atol(je) > 0) g_json_every = atol(je);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_failures_leave_nothing),
        cmocka_unit_test(test_reader_failures_are_errors),
        cmocka_unit_test(test_stage_embed_faults),
        cmocka_unit_test(test_stage_gates_faults),
        cmocka_unit_test(test_stage_index_faults),
        cmocka_unit_test(test_stage_corrupt_faults),
        cmocka_unit_test(test_stage_analyze_faults),
        cmocka_unit_test(test_stage_score_faults),
        cmocka_unit_test(test_stage_prune_faults),
        cmocka_unit_test(test_run_driver_faults),
        cmocka_unit_test(test_report_sites),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
