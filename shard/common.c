/*
 * common.c - core of libsciprune: version, status names, errors, logging, file helpers.
 */
#include "sp_common.h"
#include "sciprune_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

const char *sciprune_version(void) { return SCIPRUNE_VERSION_STRING; }

const char *sciprune_status_name(sciprune_status s)
{
    switch (s) {
    case SCIPRUNE_OK: return "OK";
    case SCIPRUNE_ENOMEM: return "ENOMEM";
    case SCIPRUNE_EIO: return "EIO";
    case SCIPRUNE_EPARSE: return "EPARSE";
    case SCIPRUNE_EINVAL: return "EINVAL";
    case SCIPRUNE_EBACKEND: return "EBACKEND";
    case SCIPRUNE_ESTATE: return "ESTATE";
    case SCIPRUNE_EBUSY: return "EBUSY";
    }
    return "E?";
}

void sciprune_free(void *p) { free(p); }

void sp_strlcpy(char *dst, const char *src, size_t cap)
{
    if (cap == 0) return;
    size_t n = src ? strlen(src) : 0;
    if (n >= cap) n = cap - 1;
    if (n) memcpy(dst, src, n);
    dst[n] = '\0';
}

void sp_err_clear(sciprune_error *err)
{
    if (!err) return;
    err->code = SCIPRUNE_OK;
    err->source[0] = err->text[0] = '\0';
    err->line = err->offset = -1;
}

/* src[0..n) into dst[cap]; when it does not fit, its start (a third of the room) and its end
 * with U+2026 between, cut on UTF-8 character boundaries: the end of a path names the file, the
 * end of a message says why. */
static void fit_middle(char *dst, size_t cap, const char *src, size_t n)
{
    static const char ell[] = "\xe2\x80\xa6";
    if (cap == 0) return;
    if (n < cap) {
        memmove(dst, src, n); /* src may be err->source itself */
        dst[n] = '\0';
        return;
    }
    size_t room = cap > sizeof ell ? cap - sizeof ell : 0; /* bytes of src kept */
    size_t head = room / 3, tail = room - head;
    while (head > 0 && ((unsigned char)src[head] & 0xC0) == 0x80) head--;
    size_t ts = n - tail;
    while (ts < n && ((unsigned char)src[ts] & 0xC0) == 0x80) ts++;
    memmove(dst, src, head);
    memcpy(dst + head, ell, sizeof ell - 1);
    memmove(dst + head + sizeof ell - 1, src + ts, n - ts);
    dst[head + sizeof ell - 1 + n - ts] = '\0';
}

static sciprune_status err_v(sciprune_error *err, sciprune_status code, const char *source,
                             int64_t line, int64_t offset, const char *fmt, va_list ap)
{
    if (code == SCIPRUNE_ENOMEM) sp_json_alloc_failed(); /* reported: see sp_common.h */
    if (!err) return code;
    err->code = code;
    fit_middle(err->source, sizeof err->source, source ? source : "", source ? strlen(source) : 0);
    err->line = line;
    err->offset = offset;
    char full[8192]; /* on the stack: filling an error never allocates */
    int n = vsnprintf(full, sizeof full, fmt, ap);
    fit_middle(err->text, sizeof err->text, full,
               n < 0 ? 0 : (size_t)n < sizeof full ? (size_t)n : sizeof full - 1);
    if (!err->text[0]) /* a foreign message that was empty (jansson out of memory) */
        sp_strlcpy(err->text, code == SCIPRUNE_ENOMEM ? "out of memory" : sciprune_status_name(code),
                   sizeof err->text);
    return code;
}

sciprune_status sp_err(sciprune_error *err, sciprune_status code, const char *source,
                       int64_t line, int64_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_v(err, code, source, line, offset, fmt, ap);
    va_end(ap);
    return code;
}

sciprune_status sp_err_errno(sciprune_error *err, sciprune_status code, const char *source,
                             int errno_value, const char *fmt, ...)
{
    if (!err) return code;
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sp_err(err, code, source, -1, -1, "%s: %s", msg, strerror(errno_value));
}

/* jansson's allocator, counted: see sp_common.h. Installed once when the library is loaded,
 * chaining to the allocator set before (a host's, or malloc/free); a host that sets its own
 * later only turns the counting off. */
static json_malloc_t g_json_malloc;
static json_free_t g_json_free;
static _Thread_local unsigned long g_json_failed;

static void *json_malloc_counted(size_t n)
{
    void *p = g_json_malloc(n);
    if (!p) g_json_failed++;
    return p;
}

static void json_free_chained(void *p) { g_json_free(p); }

__attribute__((constructor)) static void json_alloc_hook_install(void)
{
    json_get_alloc_funcs(&g_json_malloc, &g_json_free);
    if (!g_json_malloc) g_json_malloc = malloc;
    if (!g_json_free) g_json_free = free;
    json_set_alloc_funcs(json_malloc_counted, json_free_chained);
}

unsigned long sp_json_alloc_failed(void)
{
    unsigned long n = g_json_failed;
    g_json_failed = 0;
    return n;
}

char *sp_json_dumps(const struct json_t *j, size_t flags)
{
    char *s = j ? json_dumps(j, flags) : NULL;
    if (sp_json_alloc_failed()) {
        free(s);
        return NULL;
    }
    return s;
}

sciprune_status sp_json_write_atomic(const char *path, const struct json_t *j, size_t flags,
                                     sciprune_error *err)
{
    char *txt = sp_json_dumps(j, flags);
    if (!txt) return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
    size_t n = strlen(txt);
    txt[n] = '\n'; /* in place of the NUL: written with its length */
    sciprune_status st = sp_write_file_atomic(path, txt, n + 1, err);
    free(txt);
    return st;
}

sciprune_status sp_json_load_status(sciprune_status otherwise)
{
    return sp_json_alloc_failed() ? SCIPRUNE_ENOMEM : otherwise;
}

/* one unit of sp_md_cell's output for the character at s: its escape, or the UTF-8 character
 * whole; returns the bytes of s it covers */
static size_t md_unit(const char *s, char e[8], size_t *n)
{
    unsigned char c = (unsigned char)*s;
    if (c == '|' || c == '\\' || c == '`' || c == '<') { /* a cell, a code span, raw HTML */
        e[0] = '\\';
        e[1] = (char)c;
        *n = 2;
        return 1;
    }
    if (c == '\n' || c == '\r' || c == '\t') {
        e[0] = '\\';
        e[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        *n = 2;
        return 1;
    }
    if (c < 0x20 || c == 0x7f) {
        snprintf(e, 8, "\\x%02x", c);
        *n = 4;
        return 1;
    }
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    size_t i = 0;
    for (; i < len && s[i]; i++) e[i] = s[i];
    *n = i;
    return i;
}

const char *sp_md_cell(const char *s, char *buf, size_t cap)
{
    static const char ell[] = "\xe2\x80\xa6"; /* U+2026 */
    char e[8];
    size_t n, total = 0;
    if (cap == 0) return buf;
    for (const char *p = s; p && *p;) {
        p += md_unit(p, e, &n);
        total += n;
    }
    size_t o = 0, room = total < cap ? cap - 1 : (cap > sizeof ell ? cap - sizeof ell : 0);
    for (const char *p = s; p && *p;) {
        size_t k = md_unit(p, e, &n);
        if (o + n > room) break;
        memcpy(buf + o, e, n);
        o += n;
        p += k;
    }
    if (total >= cap && o + sizeof ell <= cap) {
        memcpy(buf + o, ell, sizeof ell - 1);
        o += sizeof ell - 1;
    }
    buf[o] = '\0';
    return buf;
}

static _Atomic(sciprune_log_fn) g_log_fn;
static void *_Atomic g_log_user;

void sciprune_set_logger(sciprune_log_fn fn, void *user)
{
    atomic_store(&g_log_user, user);
    atomic_store(&g_log_fn, fn);
}

void sp_log(sciprune_log_level level, const char *fmt, ...)
{
    sciprune_log_fn fn = atomic_load(&g_log_fn);
    if (!fn) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fn(atomic_load(&g_log_user), level, msg);
}

bool sp_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

sciprune_status sp_mkdirs(const char *path, sciprune_error *err)
{
    size_t n = strlen(path);
    char *p = malloc(n + 1);
    if (!p) return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
    memcpy(p, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0') continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            sciprune_status s = sp_err_errno(err, SCIPRUNE_EIO, p, e, "cannot create folder");
            free(p);
            return s;
        }
        p[i] = c;
    }
    free(p);
    return SCIPRUNE_OK;
}

char *sp_path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 2);
    if (!p) return NULL;
    memcpy(p, a, la);
    size_t o = la;
    if (la && a[la - 1] != '/') p[o++] = '/';
    memcpy(p + o, b, lb + 1);
    return p;
}

sciprune_status sp_write_file_atomic(const char *path, const void *data, size_t len,
                                     sciprune_error *err)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp) return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    sciprune_status st = SCIPRUNE_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        st = sp_err_errno(err, SCIPRUNE_EIO, path, errno, "cannot create");
        goto fail;
    }
    const char *q = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, q, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            st = sp_err_errno(err, SCIPRUNE_EIO, path, errno, "write failed");
            close(fd);
            unlink(tmp);
            goto fail;
        }
        q += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        st = sp_err_errno(err, SCIPRUNE_EIO, path, errno, "fsync/close failed");
        unlink(tmp);
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        st = sp_err_errno(err, SCIPRUNE_EIO, path, errno, "rename failed");
        unlink(tmp);
        goto fail;
    }
fail:
    free(tmp);
    return st;
}

sciprune_status sp_read_file(const char *path, char **out, size_t *len, sciprune_error *err)
{
    *out = NULL;
    if (len) *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return sp_err_errno(err, SCIPRUNE_EIO, path, errno, "cannot open");
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
    }
    for (;;) {
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                close(fd);
                return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            free(buf);
            close(fd);
            return sp_err_errno(err, SCIPRUNE_EIO, path, e, "read failed");
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *out = buf;
    if (len) *len = n;
    return SCIPRUNE_OK;
}

double sp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int sp_peak_rss_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return 0;
    int ok = fputs("5", f) >= 0;
    ok = (fclose(f) == 0) && ok;
    return ok;
}

uint64_t sp_peak_rss(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        char line[256];
        unsigned long long kb = 0;
        int found = 0;
        while (!found && fgets(line, sizeof line, f))
            found = sscanf(line, "VmHWM: %llu kB", &kb) == 1;
        fclose(f);
        if (found && kb) return (uint64_t)kb * 1024u;
    }
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (uint64_t)ru.ru_maxrss * 1024u;
}

uint64_t sp_hash64(const void *data, size_t len, uint64_t seed)
{
    return XXH3_64bits_withSeed(data, len, seed);
}

sciprune_status sciprune_file_hash(const char *path, char out[33], sciprune_error *err)
{
    out[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return sp_err_errno(err, SCIPRUNE_EIO, path, errno, "cannot open");
    XXH3_state_t *s = XXH3_createState();
    char *buf = malloc(1 << 20);
    sciprune_status st = SCIPRUNE_OK;
    if (!s || !buf) {
        st = sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
        goto fail;
    }
    XXH3_128bits_reset(s);
    for (;;) {
        ssize_t r = read(fd, buf, 1 << 20);
        if (r < 0) {
            if (errno == EINTR) continue;
            st = sp_err_errno(err, SCIPRUNE_EIO, path, errno, "read failed");
            goto fail;
        }
        if (r == 0) break;
        XXH3_128bits_update(s, buf, (size_t)r);
    }
    XXH128_hash_t h = XXH3_128bits_digest(s);
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64,
             (unsigned long long)h.low64);
fail:
    free(buf);
    XXH3_freeState(s);
    close(fd);
    return st;
}

int sp_utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        unsigned min;
        if ((c & 0xE0) == 0xC0) { k = 1; min = 0x80; c &= 0x1F; }
        else if ((c & 0xF0) == 0xE0) { k = 2; min = 0x800; c &= 0x0F; }
        else if ((c & 0xF8) == 0xF0) { k = 3; min = 0x10000; c &= 0x07; }
        else return 0;
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (s[i + j] & 0xC0) != 0x80) return 0;
            c = (c << 6) | (s[i + j] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
        i += k + 1;
    }
    return 1;
}


sciprune_status sp_sweep_add(double *v, size_t *n, double x, const char *what,
                             sciprune_error *err)
{
    if (!(x >= 0.0 && x <= 1.0))
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "bad %s %g (want a number in [0, 1])",
                      what, x);
    for (size_t i = 0; i < *n; i++)
        if (v[i] == x) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "%s %g given twice", what, x);
    if (*n == SCIPRUNE_SWEEP_MAX)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "at most %d %ss", SCIPRUNE_SWEEP_MAX, what);
    v[(*n)++] = x;
    return SCIPRUNE_OK;
}

#define TABLE_HUGE ((size_t)2 << 20)

void *sp_table_alloc(size_t bytes)
{
    if (bytes < TABLE_HUGE) return malloc(bytes ? bytes : 1);
    void *p = NULL;
    if (posix_memalign(&p, TABLE_HUGE, bytes)) return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, bytes & ~(TABLE_HUGE - 1), MADV_HUGEPAGE);
#endif
    return p;
}

void *sp_table_calloc(size_t bytes)
{
    if (bytes < TABLE_HUGE) return calloc(1, bytes ? bytes : 1);
    void *p = sp_table_alloc(bytes);
    if (p) memset(p, 0, bytes);
    return p;
}
