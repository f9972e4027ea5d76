/*
 * exec.c - the exec backend: stream texts to an external embedding process.
 *
 * Wire format (docs/embed-exec-protocol.md has the full text; all integers little-endian):
 *   start     the parent runs `/bin/sh -c COMMAND` in its own process group, with pipes on
 *             stdin and stdout; stderr lines are passed to the library logger (INFO).
 *   handshake child -> parent, first bytes on stdout: one line of JSON, at most 4096 bytes,
 *             ending in '\n':  {"protocol": 1, "model": "<id>", "dim": N, "dtype": "f32"}
 *             ("protocol" and "dtype" may be left out; other keys are ignored)
 *   request   parent -> child:  "SPEQ"  u32 count  u32 len[count]  bytes[sum(len)]
 *             count >= 1 texts, each the UTF-8 text of one record (no NUL)
 *   response  child -> parent:  "SPEV"  u32 count  u32 dim  f32[count * dim]
 *             one row per text, in request order
 *   end       the parent closes the child's stdin; the child exits with status 0.
 * The parent keeps up to two requests in flight, so the child always has the next batch
 * queued. Failures, each of which kills the process group and fails the call (the stage then
 * never marks the shard complete): the process exits or closes stdout early (crash), no
 * response byte for exec_timeout_s while a request is pending (hang), a response whose magic,
 * row count or dimension is wrong, a non-finite value, or a bad handshake.
 *
 * SIGPIPE: writing to a child that died raises SIGPIPE, whose default action kills the whole
 * program. The library must not change process-wide signal dispositions, so each write blocks
 * SIGPIPE in the calling thread (pthread_sigmask), and if the write failed with EPIPE, consumes
 * the SIGPIPE it raised (sigtimedwait with a zero timeout) before restoring the mask; the
 * failure is then seen as EPIPE. The CLI additionally ignores SIGPIPE.
 */
#define _GNU_SOURCE /* pipe2 */
#include "embed_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "exec.c reads little-endian float32 rows directly; add byte swapping for this target"
#endif

extern char **environ;

#define MAX_HANDSHAKE 4096
#define MAX_INFLIGHT 2

struct exec_proc {
    pid_t pid;                /* > 0 while running */
    int in_fd, out_fd, err_fd;/* -1 when closed */
    unsigned char *rbuf;      /* stdout bytes read ahead (after the handshake line), owned */
    size_t rlen, roff;
    char errline[512];        /* partial stderr line */
    size_t errline_len;
    char lastline[160];       /* last complete stderr line, for error messages */
    int failed;
    char failmsg[200];
    uint64_t answered;        /* responses received */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* write(2) that cannot raise SIGPIPE in this process (see the header comment). */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t n)
{
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigemptyset(&pending);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    ssize_t r = write(fd, buf, n);
    int e = errno;
    if (r < 0 && e == EPIPE && !was_pending) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {}
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return r;
}

/* Read what stderr has; pass complete lines to the logger, remember the last one. */
static void drain_stderr(exec_proc *p)
{
    while (p->err_fd >= 0) {
        char buf[4096];
        ssize_t r = read(p->err_fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) close_fd(&p->err_fd);
            break;
        }
        for (ssize_t i = 0; i < r; i++) {
            char c = buf[i];
            if (c == '\n' || p->errline_len == sizeof p->errline - 1) {
                p->errline[p->errline_len] = '\0';
                if (p->errline_len) {
                    sp_log(SCIPRUNE_LOG_INFO, "embed: exec: %s", p->errline);
                    sp_strlcpy(p->lastline, p->errline, sizeof p->lastline);
                }
                p->errline_len = 0;
                if (c == '\n') continue;
            }
            p->errline[p->errline_len++] = c;
        }
    }
}

static void kill_child(exec_proc *p)
{
    if (p->pid <= 0) return;
    kill(-p->pid, SIGKILL);
    kill(p->pid, SIGKILL);
    while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR) {}
    p->pid = 0;
}

/* Describe how the child ended, waiting up to `wait_s` for it to exit. Reaps it if it did. */
static void describe_exit(exec_proc *p, double wait_s, char *buf, size_t cap)
{
    double end = now_s() + wait_s;
    for (;;) {
        int status;
        pid_t r = p->pid > 0 ? waitpid(p->pid, &status, WNOHANG) : -1;
        if (r == p->pid && p->pid > 0) {
            p->pid = 0;
            if (WIFEXITED(status) && WEXITSTATUS(status) > 128 && WEXITSTATUS(status) < 128 + 65)
                snprintf(buf, cap, "exited with status %d (the shell's report of signal %d, %s)",
                         WEXITSTATUS(status), WEXITSTATUS(status) - 128, strsignal(WEXITSTATUS(status) - 128));
            else if (WIFEXITED(status)) snprintf(buf, cap, "exited with status %d", WEXITSTATUS(status));
            else if (WIFSIGNALED(status)) snprintf(buf, cap, "was killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
            else snprintf(buf, cap, "ended");
            drain_stderr(p);
            return;
        }
        if (r < 0 && errno != EINTR) {
            snprintf(buf, cap, "ended");
            return;
        }
        if (now_s() >= end) {
            snprintf(buf, cap, "closed its output but is still running");
            return;
        }
        drain_stderr(p);
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* Fail: kill the process group, remember and report the reason (+ the last stderr line). */
static sciprune_status fail_err(sciprune_embedder *e, sciprune_error *err, sciprune_status code,
                                const char *fmt, ...) SP_PRINTF(4, 5);

static sciprune_status fail_v(sciprune_embedder *e, sciprune_error *err, sciprune_status code,
                              const char *fmt, va_list ap)
{
    exec_proc *p = e->proc;
    char msg[200];
    vsnprintf(msg, sizeof msg, fmt, ap);
    drain_stderr(p);
    kill_child(p);
    close_fd(&p->in_fd);
    close_fd(&p->out_fd);
    close_fd(&p->err_fd);
    p->failed = 1;
    sp_strlcpy(p->failmsg, msg, sizeof p->failmsg);
    if (p->lastline[0])
        return sp_err(err, code, "exec embedder", -1, -1, "%s; its stderr ended with: %.60s", msg, p->lastline);
    return sp_err(err, code, "exec embedder", -1, -1, "%s", msg);
}

static sciprune_status fail_err(sciprune_embedder *e, sciprune_error *err, sciprune_status code,
                                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sciprune_status s = fail_v(e, err, code, fmt, ap);
    va_end(ap);
    return s;
}

static sciprune_status spawn(sciprune_embedder *e, sciprune_error *err)
{
    exec_proc *p = e->proc;
    int in[2] = {-1, -1}, out[2] = {-1, -1}, er[2] = {-1, -1};
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(er, O_CLOEXEC)) {
        int en = errno;
        for (int i = 0; i < 2; i++) {
            close_fd(&in[i]);
            close_fd(&out[i]);
            close_fd(&er[i]);
        }
        return sp_err_errno(err, SCIPRUNE_EBACKEND, "exec embedder", en, "cannot create pipes");
    }
    char *argv[] = {"sh", "-c", e->exec_command, NULL};
    pid_t pid = fork();
    if (pid < 0) {
        int en = errno;
        for (int i = 0; i < 2; i++) {
            close_fd(&in[i]);
            close_fd(&out[i]);
            close_fd(&er[i]);
        }
        return sp_err_errno(err, SCIPRUNE_EBACKEND, "exec embedder", en, "fork failed");
    }
    if (pid == 0) { /* child: async-signal-safe calls only */
        setpgid(0, 0);
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(er[1], 2);
        signal(SIGPIPE, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve("/bin/sh", argv, environ);
        _exit(127);
    }
    setpgid(pid, pid); /* both sides set it: no race with kill(-pid) */
    close(in[0]);
    close(out[1]);
    close(er[1]);
    p->pid = pid;
    p->in_fd = in[1];
    p->out_fd = out[0];
    p->err_fd = er[0];
    fcntl(p->in_fd, F_SETFL, fcntl(p->in_fd, F_GETFL) | O_NONBLOCK);
    fcntl(p->out_fd, F_SETFL, fcntl(p->out_fd, F_GETFL) | O_NONBLOCK);
    fcntl(p->err_fd, F_SETFL, fcntl(p->err_fd, F_GETFL) | O_NONBLOCK);
    return SCIPRUNE_OK;
}

/* Poll stdout (+ stderr, + stdin when want_write) until something happens or `deadline`.
 * Returns poll's result; revents in *out_ev / *in_ev. */
static int wait_io(exec_proc *p, int want_write, double deadline, short *out_ev, short *in_ev)
{
    struct pollfd f[3];
    int n = 0, io = -1, ii = -1, ie = -1;
    if (p->out_fd >= 0) { f[n].fd = p->out_fd; f[n].events = POLLIN; io = n++; }
    if (want_write && p->in_fd >= 0) { f[n].fd = p->in_fd; f[n].events = POLLOUT; ii = n++; }
    if (p->err_fd >= 0) { f[n].fd = p->err_fd; f[n].events = POLLIN; ie = n++; }
    double left = deadline - now_s();
    int ms = left <= 0 ? 0 : left > 3600 ? 3600000 : (int)(left * 1000) + 1;
    int r = poll(f, (nfds_t)n, ms);
    *out_ev = io >= 0 && r > 0 ? f[io].revents : 0;
    *in_ev = ii >= 0 && r > 0 ? f[ii].revents : 0;
    if (ie >= 0 && r > 0 && f[ie].revents) drain_stderr(p);
    return r;
}

static sciprune_status read_handshake(sciprune_embedder *e, sciprune_error *err)
{
    exec_proc *p = e->proc;
    double deadline = now_s() + e->s.exec_start_timeout_s;
    unsigned char *buf = malloc(MAX_HANDSHAKE + 1);
    if (!buf) return fail_err(e, err, SCIPRUNE_ENOMEM, "out of memory");
    size_t len = 0;
    unsigned char *nl = NULL;
    while (!nl) {
        if (len >= MAX_HANDSHAKE) {
            free(buf);
            return fail_err(e, err, SCIPRUNE_EBACKEND, "handshake line longer than %d bytes (no newline)", MAX_HANDSHAKE);
        }
        short oev, iev;
        int r = wait_io(p, 0, deadline, &oev, &iev);
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) {
            free(buf);
            return fail_err(e, err, SCIPRUNE_EBACKEND, "no handshake within %g s (timeout)", e->s.exec_start_timeout_s);
        }
        if (!oev) continue;
        ssize_t n = read(p->out_fd, buf + len, MAX_HANDSHAKE - len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) {
            char how[120];
            describe_exit(p, 2.0, how, sizeof how);
            free(buf);
            return fail_err(e, err, SCIPRUNE_EBACKEND, "the process %s before its handshake", how);
        }
        len += (size_t)n;
        nl = memchr(buf, '\n', len);
    }
    size_t ll = (size_t)(nl - buf);
    json_error_t je;
    json_t *j = json_loadb((const char *)buf, ll, 0, &je);
    sciprune_status st = SCIPRUNE_OK;
    if (!json_is_object(j)) {
        buf[ll] = '\0';
        st = fail_err(e, err, SCIPRUNE_EBACKEND, "handshake is not a JSON object: '%.60s'", (const char *)buf);
        goto done;
    }
    json_t *jd = json_object_get(j, "dim"), *jm = json_object_get(j, "model");
    json_t *jt = json_object_get(j, "dtype"), *jp = json_object_get(j, "protocol");
    if (!json_is_integer(jd) || json_integer_value(jd) < 1 || json_integer_value(jd) > 65536 ||
        !json_is_string(jm)) {
        st = fail_err(e, err, SCIPRUNE_EBACKEND, "handshake needs \"model\" (string) and \"dim\" (1..65536)");
        goto done;
    }
    if (jt && (!json_is_string(jt) || strcmp(json_string_value(jt), "f32") != 0)) {
        st = fail_err(e, err, SCIPRUNE_EBACKEND, "handshake dtype must be \"f32\"");
        goto done;
    }
    if (jp && json_integer_value(jp) != 1) {
        st = fail_err(e, err, SCIPRUNE_EBACKEND, "handshake protocol %lld; this build speaks 1", (long long)json_integer_value(jp));
        goto done;
    }
    uint32_t dim = (uint32_t)json_integer_value(jd);
    const char *model = json_string_value(jm);
    if (e->dim && dim != e->dim) {
        st = fail_err(e, err, SCIPRUNE_EBACKEND, "the process announces dimension %u, want %u", dim, e->dim);
        goto done;
    }
    if (e->expect_model[0] && strcmp(model, e->expect_model) != 0) {
        st = fail_err(e, err, SCIPRUNE_ESTATE, "the process announces model '%.60s', embedder.json has '%.60s'",
                      model, e->expect_model);
        goto done;
    }
    e->dim = dim;
    sp_strlcpy(e->model, model, sizeof e->model);
    /* keep what followed the handshake line */
    p->rlen = len - ll - 1;
    p->roff = 0;
    if (p->rlen) {
        p->rbuf = malloc(p->rlen);
        if (!p->rbuf) {
            st = fail_err(e, err, SCIPRUNE_ENOMEM, "out of memory");
            goto done;
        }
        memcpy(p->rbuf, nl + 1, p->rlen);
    }
done:
    json_decref(j);
    free(buf);
    return st;
}

static sciprune_status exec_start(sciprune_embedder *e, sciprune_error *err)
{
    if (!e->proc) {
        e->proc = calloc(1, sizeof *e->proc);
        if (!e->proc) return sp_err(err, SCIPRUNE_ENOMEM, "exec embedder", -1, -1, "out of memory");
        e->proc->in_fd = e->proc->out_fd = e->proc->err_fd = -1;
    }
    sciprune_status st = spawn(e, err);
    if (st) return st;
    return read_handshake(e, err);
}

typedef struct inflight {
    size_t first, count; /* positions in the index list */
} inflight;

static sciprune_status exec_embed_batch(sciprune_embedder *e, void *w, embed_batch *b,
                                        sciprune_error *err)
{
    (void)w;
    exec_proc *p = e->proc;
    if (!p || p->pid <= 0)
        return sp_err(err, SCIPRUNE_ESTATE, "exec embedder", -1, -1, "the embedder process is not running%s%s",
                      p && p->failed ? ": it failed earlier: " : "", p && p->failed ? p->failmsg : "");
    uint32_t dim = e->dim;
    size_t total = 0;
    size_t *idx = malloc((b->n ? b->n : 1) * sizeof *idx);
    if (!idx) return sp_err(err, SCIPRUNE_ENOMEM, "exec embedder", -1, -1, "out of memory");
    for (size_t i = 0; i < b->n; i++) {
        if (!b->items[i].rejected && b->items[i].len > UINT32_MAX) {
            free(idx);
            return sp_err(err, SCIPRUNE_EINVAL, "exec embedder", (int64_t)b->items[i].row + 1, -1,
                          "a text of %zu bytes does not fit the protocol's u32 length", b->items[i].len);
        }
        if (b->items[i].rejected) {
            memset(b->out + i * dim, 0, (size_t)dim * sizeof(float));
            b->status[i] = SCIPRUNE_ROW_REJECTED;
        } else {
            idx[total++] = i;
        }
    }
    sciprune_status st = SCIPRUNE_OK;
    unsigned char *wbuf = NULL, *rows = NULL;
    size_t wlen = 0, woff = 0, wcap = 0;
    size_t rows_cap = (size_t)e->s.exec_batch * dim * sizeof(float);
    rows = malloc(rows_cap);
    if (!rows) {
        st = sp_err(err, SCIPRUNE_ENOMEM, "exec embedder", -1, -1, "out of memory");
        goto done;
    }
    inflight q[MAX_INFLIGHT];
    size_t qh = 0, nq = 0, next = 0, answered = 0;
    unsigned char hdr[12];
    size_t hoff = 0, poff = 0, plen = 0;
    double last = now_s();
    while (answered < total) {
        /* queue the next request when the writer is free and fewer than two are pending */
        if (woff == wlen && nq < MAX_INFLIGHT && next < total && p->in_fd >= 0) {
            size_t cnt = 0, bytes = 0;
            while (next + cnt < total && cnt < e->s.exec_batch) {
                size_t l = b->items[idx[next + cnt]].len;
                if (cnt && bytes + l > e->s.exec_batch_bytes) break;
                bytes += l;
                cnt++;
            }
            size_t need = 8 + 4 * cnt + bytes;
            if (need > wcap) {
                unsigned char *nb = realloc(wbuf, need);
                if (!nb) {
                    st = fail_err(e, err, SCIPRUNE_ENOMEM, "out of memory");
                    goto done;
                }
                wbuf = nb;
                wcap = need;
            }
            memcpy(wbuf, "SPEQ", 4);
            put_u32(wbuf + 4, (uint32_t)cnt);
            size_t o = 8 + 4 * cnt;
            for (size_t k = 0; k < cnt; k++) {
                const embed_item *it = &b->items[idx[next + k]];
                put_u32(wbuf + 8 + 4 * k, (uint32_t)it->len);
                if (it->len) memcpy(wbuf + o, it->text, it->len);
                o += it->len;
            }
            wlen = need;
            woff = 0;
            if (nq == 0) last = now_s(); /* the hang clock runs while a request is pending */
            q[(qh + nq) % MAX_INFLIGHT] = (inflight){next, cnt};
            nq++;
            next += cnt;
        }
        /* bytes read ahead during the handshake come first */
        int have_ahead = p->roff < p->rlen;
        short oev = 0, iev = 0;
        if (!have_ahead) {
            int r = wait_io(p, woff < wlen, last + e->s.exec_timeout_s, &oev, &iev);
            if (r < 0) {
                if (errno == EINTR) continue;
                st = fail_err(e, err, SCIPRUNE_EBACKEND, "poll failed: %s", strerror(errno));
                goto done;
            }
            if (r == 0) {
                st = fail_err(e, err, SCIPRUNE_EBACKEND,
                              "no response for %g s after request %llu (hang? timeout)",
                              e->s.exec_timeout_s, (unsigned long long)p->answered + 1);
                goto done;
            }
        }
        if (iev && woff < wlen) {
            ssize_t n = write_nosigpipe(p->in_fd, wbuf + woff, wlen - woff);
            if (n > 0) {
                woff += (size_t)n;
            } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                /* EPIPE: the child stopped reading; its exit shows up on stdout */
                close_fd(&p->in_fd);
                woff = wlen;
            }
        }
        if (!have_ahead && !oev) continue;
        if (nq == 0) { /* output nobody asked for */
            st = fail_err(e, err, SCIPRUNE_EBACKEND, "the process wrote output with no request pending");
            goto done;
        }
        inflight *h = &q[qh];
        unsigned char *dst;
        size_t want;
        if (hoff < 12) {
            dst = hdr + hoff;
            want = 12 - hoff;
        } else {
            dst = rows + poff;
            want = plen - poff;
        }
        ssize_t n;
        if (have_ahead) {
            n = (ssize_t)(p->rlen - p->roff < want ? p->rlen - p->roff : want);
            memcpy(dst, p->rbuf + p->roff, (size_t)n);
            p->roff += (size_t)n;
        } else {
            n = read(p->out_fd, dst, want);
            if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
            if (n <= 0) {
                char how[120];
                describe_exit(p, 2.0, how, sizeof how);
                st = fail_err(e, err, SCIPRUNE_EBACKEND, "the process %s during request %llu (crash?)",
                              how, (unsigned long long)p->answered + 1);
                goto done;
            }
        }
        last = now_s();
        if (hoff < 12) {
            hoff += (size_t)n;
            if (hoff < 12) continue;
            if (memcmp(hdr, "SPEV", 4) != 0) {
                st = fail_err(e, err, SCIPRUNE_EBACKEND,
                              "response %llu does not start with \"SPEV\" (got %02x %02x %02x %02x): does the "
                              "process print to stdout?", (unsigned long long)p->answered + 1,
                              hdr[0], hdr[1], hdr[2], hdr[3]);
                goto done;
            }
            uint32_t rc = get_u32(hdr + 4), rd = get_u32(hdr + 8);
            if (rc != h->count) {
                st = fail_err(e, err, SCIPRUNE_EBACKEND, "response %llu has %u rows for a request of %zu texts",
                              (unsigned long long)p->answered + 1, rc, h->count);
                goto done;
            }
            if (rd != dim) {
                st = fail_err(e, err, SCIPRUNE_EBACKEND, "response %llu has rows of dimension %u, the handshake said %u",
                              (unsigned long long)p->answered + 1, rd, dim);
                goto done;
            }
            plen = (size_t)rc * dim * sizeof(float);
            poff = 0;
            if (plen) continue;
        } else {
            poff += (size_t)n;
            if (poff < plen) continue;
        }
        /* a whole response: scatter rows to their items */
        for (size_t k = 0; k < h->count; k++) {
            size_t i = idx[h->first + k];
            float *o = b->out + i * dim;
            memcpy(o, rows + k * dim * sizeof(float), (size_t)dim * sizeof(float));
            for (uint32_t c = 0; c < dim; c++)
                if (!isfinite(o[c])) {
                    st = fail_err(e, err, SCIPRUNE_EBACKEND, "response %llu, row %zu has a non-finite value in column %u",
                                  (unsigned long long)p->answered + 1, k, c);
                    goto done;
                }
            b->status[i] = SCIPRUNE_ROW_OK;
        }
        answered += h->count;
        p->answered++;
        qh = (qh + 1) % MAX_INFLIGHT;
        nq--;
        hoff = 0;
        last = now_s();
    }
done:
    free(idx);
    free(wbuf);
    free(rows);
    return st;
}

void embed_exec_stop(sciprune_embedder *e)
{
    exec_proc *p = e->proc;
    if (!p) return;
    if (p->pid > 0) {
        close_fd(&p->in_fd);
        /* give it a bounded time to exit; anything more on stdout is unexpected */
        double deadline = now_s() + (e->s.exec_timeout_s < 30 ? e->s.exec_timeout_s : 30);
        uint64_t extra = 0;
        while (p->out_fd >= 0 && now_s() < deadline) {
            short oev, iev;
            int r = wait_io(p, 0, deadline, &oev, &iev);
            if (r <= 0) {
                if (r < 0 && errno == EINTR) continue;
                break;
            }
            if (!oev) continue;
            char buf[4096];
            ssize_t n = read(p->out_fd, buf, sizeof buf);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (n <= 0) break;
            extra += (uint64_t)n;
        }
        if (extra) sp_log(SCIPRUNE_LOG_WARN, "embed: exec: the process wrote %llu unexpected bytes after its last response", (unsigned long long)extra);
        char how[120];
        describe_exit(p, 5.0, how, sizeof how);
        if (p->pid > 0) {
            sp_log(SCIPRUNE_LOG_WARN, "embed: exec: the process did not exit after its input closed; killing it");
            kill_child(p);
        } else if (strcmp(how, "exited with status 0") != 0) {
            sp_log(SCIPRUNE_LOG_WARN, "embed: exec: the process %s at the end", how);
        }
    }
    close_fd(&p->in_fd);
    close_fd(&p->out_fd);
    close_fd(&p->err_fd);
}

static void exec_destroy(sciprune_embedder *e)
{
    if (!e->proc) return;
    embed_exec_stop(e);
    free(e->proc->rbuf);
    free(e->proc);
    e->proc = NULL;
}

const embed_backend embed_exec_backend = {
    .name = "exec",
    .parallel = 0,
    .start = exec_start,
    .worker_new = NULL,
    .worker_free = NULL,
    .shard_begin = NULL,
    .embed_batch = exec_embed_batch,
    .shard_end = NULL,
    .destroy = exec_destroy,
};
