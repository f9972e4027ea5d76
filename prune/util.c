/* util.c - prune/ helpers: JSON files, worker threads, paths. */
#include "prune_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

sciprune_status prune_json_write(const char *path, const json_t *j, sciprune_error *err)
{
    char *txt = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(9));
    if (!txt) return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "cannot serialise JSON");
    size_t n = strlen(txt);
    char *buf = realloc(txt, n + 2);
    if (!buf) {
        free(txt);
        return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
    }
    buf[n] = '\n';
    buf[n + 1] = '\0';
    sciprune_status st = sp_write_file_atomic(path, buf, n + 1, err);
    free(buf);
    return st;
}

sciprune_status prune_json_load(const char *path, int missing_ok, json_t **out,
                                sciprune_error *err)
{
    *out = NULL;
    if (!sp_exists(path)) {
        if (missing_ok) return SCIPRUNE_OK;
        return sp_err(err, SCIPRUNE_EIO, path, -1, -1, "missing (run the earlier stage first)");
    }
    json_error_t je;
    *out = json_load_file(path, 0, &je);
    if (!*out) return sp_err(err, SCIPRUNE_EPARSE, path, je.line, je.position, "%s", je.text);
    return SCIPRUNE_OK;
}

int prune_threads(int t, size_t n)
{
    long c = t > 0 ? t : sysconf(_SC_NPROCESSORS_ONLN);
    if (c < 1) c = 1;
    if ((size_t)c > n) c = (long)(n ? n : 1);
    return (int)c;
}

typedef struct par_job {
    size_t n;
    prune_item_fn fn;
    void *ctx;
    atomic_size_t next;
    atomic_int failed;
    sciprune_status *st; /* n */
    sciprune_error *errs; /* n */
} par_job;

static void *par_worker(void *arg)
{
    par_job *j = arg;
    for (;;) {
        if (atomic_load(&j->failed)) break;
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n) break;
        sp_err_clear(&j->errs[i]);
        j->st[i] = j->fn(j->ctx, i, &j->errs[i]);
        if (j->st[i]) atomic_store(&j->failed, 1);
    }
    return NULL;
}

sciprune_status prune_parallel(size_t n, int threads, prune_item_fn fn, void *ctx,
                               sciprune_error *err)
{
    if (n == 0) return SCIPRUNE_OK;
    par_job j;
    memset(&j, 0, sizeof j);
    j.n = n;
    j.fn = fn;
    j.ctx = ctx;
    atomic_init(&j.next, 0);
    atomic_init(&j.failed, 0);
    int nth = prune_threads(threads, n);
    j.st = calloc(n, sizeof *j.st);
    j.errs = calloc(n, sizeof *j.errs);
    pthread_t *th = calloc((size_t)nth, sizeof *th);
    sciprune_status st = SCIPRUNE_OK;
    if (!j.st || !j.errs || !th) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    int started = 0;
    for (; started < nth; started++)
        if (pthread_create(&th[started], NULL, par_worker, &j) != 0) break;
    if (started == 0) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "cannot start a thread");
        goto done;
    }
    for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
    for (size_t i = 0; i < n; i++)
        if (j.st[i]) {
            st = j.st[i];
            if (err) *err = j.errs[i];
            break;
        }
done:
    free(th);
    free(j.st);
    free(j.errs);
    return st;
}
