/* test_fault.c - fault injection (SQLite's *fault.test, pkgconf's malloc wrap): fail the Nth
 * allocation or the Nth write(2), for N = 1, 2, ... until the operation succeeds, and check the
 * status and that no file is left half-written. Built with -Wl,--wrap=malloc,--wrap=write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sciprune.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

void *__real_malloc(size_t n);
ssize_t __real_write(int fd, const void *p, size_t n);

static long g_fail_malloc_at = -1, g_mallocs;
static long g_fail_write_at = -1, g_writes;

void *__wrap_malloc(size_t n)
{
    if (g_fail_malloc_at >= 0 && ++g_mallocs == g_fail_malloc_at) return NULL;
    return __real_malloc(n);
}

ssize_t __wrap_write(int fd, const void *p, size_t n)
{
    if (g_fail_write_at >= 0 && fd > 2 && ++g_writes == g_fail_write_at) {
        errno = ENOSPC;
        return -1;
    }
    return __real_write(fd, p, n);
}

static char g_dir[256];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/sciprune-test-fault-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int files_in_dir(void)
{
    DIR *d = opendir(g_dir);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

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

static void run_write_faults(const char *name)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    int succeeded = 0;
    for (long n = 1; n < 1000 && !succeeded; n++) {
        g_writes = 0;
        g_fail_write_at = n;
        sciprune_status st = write_shard(path);
        g_fail_write_at = -1;
        if (st == SCIPRUNE_OK) {
            succeeded = 1;
            assert_true(g_writes < n); /* no write was failed */
        } else {
            assert_int_equal(st, SCIPRUNE_EIO);
            assert_int_equal(files_in_dir(), 0); /* neither the target nor a temp file */
        }
    }
    assert_true(succeeded);
    assert_int_equal(files_in_dir(), 1);
    unlink(path);
}

static void test_writer_write_failures_leave_nothing(void **state)
{
    (void)state;
    run_write_faults("w.jsonl");
    run_write_faults("w.jsonl.zst");
}

static void test_writer_alloc_failures_leave_nothing(void **state)
{
    (void)state;
    char path[400];
    snprintf(path, sizeof path, "%s/m.jsonl.zst", g_dir);
    int succeeded = 0;
    for (long n = 1; n < 200 && !succeeded; n++) {
        g_mallocs = 0;
        g_fail_malloc_at = n;
        sciprune_status st = write_shard(path);
        g_fail_malloc_at = -1;
        if (st == SCIPRUNE_OK) {
            succeeded = 1;
        } else {
            assert_int_equal(st, SCIPRUNE_ENOMEM);
            assert_int_equal(files_in_dir(), 0);
        }
    }
    assert_true(succeeded);
    unlink(path);
}

static void test_reader_alloc_failures_are_enomem(void **state)
{
    (void)state;
    char path[400];
    snprintf(path, sizeof path, "%s/r.jsonl.zst", g_dir);
    assert_int_equal(write_shard(path), SCIPRUNE_OK);
    int succeeded = 0;
    for (long n = 1; n < 200 && !succeeded; n++) {
        g_mallocs = 0;
        g_fail_malloc_at = n;
        sciprune_shard_reader *r = NULL;
        sciprune_error e;
        sciprune_status st = sciprune_shard_reader_open(&r, path, NULL, &e);
        long lines = 0;
        const sciprune_record *rec;
        while (st == SCIPRUNE_OK && (st = sciprune_shard_reader_next(r, &rec, &e)) == SCIPRUNE_OK && rec)
            if (rec->reject == SCIPRUNE_REJECT_NONE) lines++;
        g_fail_malloc_at = -1;
        sciprune_shard_reader_close(r);
        if (st == SCIPRUNE_OK) {
            assert_int_equal(lines, 3000);
            succeeded = 1;
        } else {
            assert_int_equal(st, SCIPRUNE_ENOMEM);
            assert_int_equal(e.code, SCIPRUNE_ENOMEM);
        }
    }
    assert_true(succeeded);
    unlink(path);
}

/* files under dir/gates whose name holds ".tmp": a half-written output */
static int gates_temp_files(const char *w)
{
    char d[600];
    snprintf(d, sizeof d, "%s/gates", w);
    DIR *dd = opendir(d);
    if (!dd) return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dd)))
        if (strstr(de->d_name, ".tmp")) n++;
    closedir(dd);
    return n;
}

/* The stage's own allocations (reader, chunks, per-line arrays, statistics, .npy and JSON
 * writing). Records are in a language without a grammar: the grammars' external scanners
 * (third-party code compiled into the library, so their malloc is wrapped too) do not check
 * malloc's result, so failing an allocation inside tree-sitter is not survivable. */
static void test_gates_alloc_failures_are_enomem(void **state)
{
    (void)state;
    char shard[400], w[400];
    snprintf(shard, sizeof shard, "%s/g.jsonl", g_dir);
    snprintf(w, sizeof w, "%s/gw", g_dir);
    FILE *f = fopen(shard, "w");
    assert_non_null(f);
    for (int i = 0; i < 20; i++)
        fprintf(f, "{\"id\":\"%d\",\"lang\":\"cobol\",\"content\":\"DISPLAY %d\"}\n", i, i);
    fclose(f);
    const char *in[1] = {shard};
    sciprune_gates_settings s;
    sciprune_gates_settings_default(&s);
    s.threads = 1; /* the counters are not thread-safe */
    int succeeded = 0;
    for (long n = 1; n < 500 && !succeeded; n++) {
        g_mallocs = 0;
        g_fail_malloc_at = n;
        sciprune_gates_info info;
        sciprune_error e;
        sciprune_status st = sciprune_gates_run(w, in, 1, &s, &info, &e);
        g_fail_malloc_at = -1;
        if (st == SCIPRUNE_OK) {
            succeeded = 1;
            assert_int_equal(info.n_accepted, 20);
            assert_int_equal(info.n_abstained, 20);
        } else {
            assert_int_equal(st, SCIPRUNE_ENOMEM);
        }
        assert_int_equal(gates_temp_files(w), 0);
    }
    assert_true(succeeded);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_write_failures_leave_nothing),
        cmocka_unit_test(test_writer_alloc_failures_leave_nothing),
        cmocka_unit_test(test_reader_alloc_failures_are_enomem),
        cmocka_unit_test(test_gates_alloc_failures_are_enomem),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
