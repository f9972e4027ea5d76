/* test_npy.c - .npy writer/reader (shard/sp_npy.h): numpy reads what we write, we read what
 * numpy writes, malformed files are clear errors, float16 conversion matches numpy bit for bit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../shard/sp_npy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char g_dir[256];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/sciprune-test-npy-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int py(const char *code)
{
    char path[300];
    snprintf(path, sizeof path, "%s/check.py", g_dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "import numpy as np, sys\nD = %s%s%s\n%s\n", "'", g_dir, "'", code);
    fclose(f);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s", path);
    return system(cmd);
}

static void test_npy_numpy_loads_what_we_write(void **state)
{
    (void)state;
    char p[300];
    sciprune_error e;
    /* float32 2-D, streamed in two appends */
    float v[7 * 5];
    for (int i = 0; i < 35; i++) v[i] = (float)i * 0.5f - 3.25f;
    snprintf(p, sizeof p, "%s/f32.npy", g_dir);
    sp_npy_writer *w;
    assert_int_equal(sp_npy_writer_open(&w, p, SP_NPY_F32, 5, &e), SCIPRUNE_OK);
    assert_int_equal(sp_npy_writer_append(w, v, 3, &e), SCIPRUNE_OK);
    assert_int_equal(sp_npy_writer_append(w, v + 15, 4, &e), SCIPRUNE_OK);
    assert_int_equal(access(p, F_OK), -1); /* not visible before close */
    assert_int_equal(sp_npy_writer_close(w, &e), SCIPRUNE_OK);
    /* int32 1-D, uint8 1-D, float16 2-D */
    int32_t iv[4] = {-1, 0, 7, 2147483647};
    uint8_t u[3] = {0, 1, 255};
    uint16_t h[6];
    for (int i = 0; i < 6; i++) h[i] = sp_f32_to_f16((float)i / 3.0f);
    snprintf(p, sizeof p, "%s/i32.npy", g_dir);
    assert_int_equal(sp_npy_write(p, SP_NPY_I32, 4, 0, iv, &e), SCIPRUNE_OK);
    snprintf(p, sizeof p, "%s/u8.npy", g_dir);
    assert_int_equal(sp_npy_write(p, SP_NPY_U8, 3, 0, u, &e), SCIPRUNE_OK);
    snprintf(p, sizeof p, "%s/f16.npy", g_dir);
    assert_int_equal(sp_npy_write(p, SP_NPY_F16, 2, 3, h, &e), SCIPRUNE_OK);
    snprintf(p, sizeof p, "%s/empty.npy", g_dir);
    assert_int_equal(sp_npy_write(p, SP_NPY_F32, 0, 8, v, &e), SCIPRUNE_OK);
    assert_int_equal(py("a = np.load(D + '/f32.npy')\n"
                        "assert a.dtype == np.float32 and a.shape == (7, 5), (a.dtype, a.shape)\n"
                        "assert (a.ravel() == np.arange(35, dtype=np.float32) * 0.5 - 3.25).all()\n"
                        "assert a.flags['C_CONTIGUOUS']\n"
                        "i = np.load(D + '/i32.npy'); assert i.dtype == np.int32 and list(i) == [-1, 0, 7, 2147483647]\n"
                        "u = np.load(D + '/u8.npy'); assert u.dtype == np.uint8 and list(u) == [0, 1, 255]\n"
                        "h = np.load(D + '/f16.npy'); assert h.dtype == np.float16 and h.shape == (2, 3)\n"
                        "assert (h.ravel() == (np.arange(6, dtype=np.float32) / 3).astype(np.float16)).all()\n"
                        "z = np.load(D + '/empty.npy'); assert z.shape == (0, 8)\n"),
                     0);
}

static void test_npy_reads_what_numpy_writes(void **state)
{
    (void)state;
    assert_int_equal(py("np.save(D + '/np2.npy', np.arange(12, dtype=np.float32).reshape(3, 4) / 7)\n"
                        "np.save(D + '/np1.npy', np.array([3, -4], dtype=np.int64))\n"
                        "np.save(D + '/fort.npy', np.asfortranarray(np.ones((3, 2), dtype=np.float32)))\n"
                        "np.save(D + '/c8.npy', np.ones(3, dtype=np.complex64))\n"
                        "np.save(D + '/nd3.npy', np.ones((2, 2, 2), dtype=np.float32))\n"),
                     0);
    char p[300];
    sp_npy a;
    sciprune_error e;
    snprintf(p, sizeof p, "%s/np2.npy", g_dir);
    assert_int_equal(sp_npy_open(&a, p, &e), SCIPRUNE_OK);
    assert_int_equal(a.dtype, SP_NPY_F32);
    assert_int_equal(a.rows, 3);
    assert_int_equal(a.cols, 4);
    for (int i = 0; i < 12; i++) assert_true(((const float *)a.data)[i] == (float)i / 7.0f);
    sp_npy_close(&a);
    snprintf(p, sizeof p, "%s/np1.npy", g_dir);
    assert_int_equal(sp_npy_open(&a, p, &e), SCIPRUNE_OK);
    assert_int_equal(a.dtype, SP_NPY_I64);
    assert_int_equal(a.cols, 0);
    assert_int_equal(((const int64_t *)a.data)[1], -4);
    sp_npy_close(&a);
    const char *bad[] = {"fort.npy", "Fortran order", "c8.npy", "unsupported dtype",
                         "nd3.npy", "3 dimensions"};
    for (int i = 0; i < 6; i += 2) {
        snprintf(p, sizeof p, "%s/%s", g_dir, bad[i]);
        assert_int_equal(sp_npy_open(&a, p, &e), SCIPRUNE_EPARSE);
        assert_non_null(strstr(e.text, bad[i + 1]));
        assert_non_null(strstr(e.source, bad[i]));
    }
    /* truncated data and a file that is not .npy */
    snprintf(p, sizeof p, "%s/np2.npy", g_dir);
    assert_int_equal(truncate(p, 128 + 20), 0);
    assert_int_equal(sp_npy_open(&a, p, &e), SCIPRUNE_EPARSE);
    assert_non_null(strstr(e.text, "data bytes"));
    snprintf(p, sizeof p, "%s/check.py", g_dir);
    assert_int_equal(sp_npy_open(&a, p, &e), SCIPRUNE_EPARSE);
}

static void test_npy_f16_matches_numpy(void **state)
{
    (void)state;
    /* a spread of values: normals, subnormals, ties, overflow, inf, nan, signed zero */
    enum { N = 4096 };
    float *v = malloc(N * sizeof *v);
    uint64_t s = 12345;
    for (int i = 0; i < N; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        int exp = (int)((s >> 33) % 60) - 30;
        float m = (float)((s >> 12) & 0xfffff) / (float)0x100000 + 1.0f;
        v[i] = ldexpf(m, exp) * ((s >> 5) & 1 ? -1.0f : 1.0f);
    }
    v[0] = 0.0f; v[1] = -0.0f; v[2] = INFINITY; v[3] = -INFINITY; v[4] = 65504.0f; v[5] = 65520.0f;
    v[6] = 5.960464477539063e-08f; v[7] = 2.9802322387695312e-08f; v[8] = 1.0009765625f + 0.00048828125f;
    v[9] = NAN;
    uint16_t *h = malloc(N * sizeof *h);
    for (int i = 0; i < N; i++) h[i] = sp_f32_to_f16(v[i]);
    char p[300];
    sciprune_error e;
    snprintf(p, sizeof p, "%s/src32.npy", g_dir);
    assert_int_equal(sp_npy_write(p, SP_NPY_F32, N, 0, v, &e), SCIPRUNE_OK);
    snprintf(p, sizeof p, "%s/ours16.npy", g_dir);
    assert_int_equal(sp_npy_write(p, SP_NPY_F16, N, 0, h, &e), SCIPRUNE_OK);
    assert_int_equal(py("a = np.load(D + '/src32.npy').astype(np.float16).view(np.uint16)\n"
                        "b = np.load(D + '/ours16.npy').view(np.uint16)\n"
                        "nan = np.isnan(np.load(D + '/src32.npy'))\n"
                        "bad = np.nonzero((a != b) & ~nan)[0]\n"
                        "assert len(bad) == 0, [(int(i), hex(a[i]), hex(b[i])) for i in bad[:5]]\n"
                        "assert np.isnan(np.load(D + '/ours16.npy')[nan]).all()\n"),
                     0);
    /* and back: f16 -> f32 is exact */
    for (int i = 0; i < N; i++) {
        if (isnan(v[i])) continue;
        float back = sp_f16_to_f32(h[i]);
        assert_int_equal(sp_f32_to_f16(back), h[i]);
    }
    free(v);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_npy_numpy_loads_what_we_write),
        cmocka_unit_test(test_npy_reads_what_numpy_writes),
        cmocka_unit_test(test_npy_f16_matches_numpy),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
