/*
 * npy.c - NumPy .npy format 1.0, the format of every vector and per-record array sciprune
 * writes, so that numpy.load() reads them directly.
 *
 *   offset 0   6 bytes  "\x93NUMPY"
 *          6   2 bytes  version 1, 0
 *          8   uint16   header length H (little-endian)
 *         10   H bytes  ASCII dict, padded with spaces and a final '\n' so that 10 + H is a
 *                       multiple of 64:
 *                       {'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }
 *     10 + H   data     N x D items, C order, little-endian
 *
 * The streaming writer does not know N in advance: it writes the shape with N padded to a
 * fixed width ("(         1234, 256)" parses as a tuple) and patches it in _close().
 */
#include "sp_npy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct { const char *descr; size_t size; } k_types[] = {
    [SP_NPY_F32] = {"<f4", 4}, [SP_NPY_F16] = {"<f2", 2}, [SP_NPY_F64] = {"<f8", 8},
    [SP_NPY_I32] = {"<i4", 4}, [SP_NPY_I64] = {"<i8", 8}, [SP_NPY_U8] = {"|u1", 1},
};

size_t sp_npy_itemsize(sp_npy_dtype t) { return k_types[t].size; }

struct sp_npy_writer {
    int fd;
    char *path, *tmp; /* owned */
    sp_npy_dtype dtype;
    uint64_t cols, rows;
};

#define HDR_LEN 128 /* 10 + 118: fits any shape written with the padded width below */

static void make_header(char out[HDR_LEN], sp_npy_dtype t, uint64_t rows, uint64_t cols)
{
    char dict[HDR_LEN];
    if (cols)
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%20llu, %llu), }",
                 k_types[t].descr, (unsigned long long)rows, (unsigned long long)cols);
    else
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%20llu,), }",
                 k_types[t].descr, (unsigned long long)rows);
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    uint16_t h = HDR_LEN - 10;
    out[8] = (char)(h & 0xff);
    out[9] = (char)(h >> 8);
    size_t dl = strlen(dict);
    memset(out + 10, ' ', HDR_LEN - 10);
    memcpy(out + 10, dict, dl);
    out[HDR_LEN - 1] = '\n';
}

static sciprune_status write_at(int fd, const void *p, size_t n, off_t off, const char *path,
                                sciprune_error *err)
{
    const char *q = p;
    while (n) {
        ssize_t w = off >= 0 ? pwrite(fd, q, n, off) : write(fd, q, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return sp_err_errno(err, SCIPRUNE_EIO, path, errno, "write failed");
        }
        q += w;
        n -= (size_t)w;
        if (off >= 0) off += w;
    }
    return SCIPRUNE_OK;
}

void sp_npy_writer_abort(sp_npy_writer *w)
{
    if (!w) return;
    if (w->fd >= 0) close(w->fd);
    if (w->tmp) unlink(w->tmp);
    free(w->tmp);
    free(w->path);
    free(w);
}

sciprune_status sp_npy_writer_open(sp_npy_writer **out, const char *path, sp_npy_dtype t,
                                   uint64_t cols, sciprune_error *err)
{
    *out = NULL;
    sciprune_status st;
    sp_npy_writer *w = calloc(1, sizeof *w);
    if (!w) return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
    w->fd = -1;
    w->dtype = t;
    w->cols = cols;
    w->path = strdup(path);
    w->tmp = malloc(strlen(path) + 32);
    if (!w->path || !w->tmp) {
        st = sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
        goto fail;
    }
    snprintf(w->tmp, strlen(path) + 32, "%s.tmp.%ld", path, (long)getpid());
    w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (w->fd < 0) {
        st = sp_err_errno(err, SCIPRUNE_EIO, path, errno, "cannot create");
        free(w->tmp);
        w->tmp = NULL;
        goto fail;
    }
    char hdr[HDR_LEN];
    make_header(hdr, t, 0, cols);
    st = write_at(w->fd, hdr, HDR_LEN, -1, path, err);
    if (st) goto fail;
    *out = w;
    return SCIPRUNE_OK;
fail:
    sp_npy_writer_abort(w);
    return st;
}

sciprune_status sp_npy_writer_append(sp_npy_writer *w, const void *data, uint64_t rows,
                                     sciprune_error *err)
{
    size_t n = (size_t)rows * (size_t)(w->cols ? w->cols : 1) * k_types[w->dtype].size;
    sciprune_status st = write_at(w->fd, data, n, -1, w->path, err);
    if (st == SCIPRUNE_OK) w->rows += rows;
    return st;
}

sciprune_status sp_npy_writer_close(sp_npy_writer *w, sciprune_error *err)
{
    char hdr[HDR_LEN];
    make_header(hdr, w->dtype, w->rows, w->cols);
    sciprune_status st = write_at(w->fd, hdr, HDR_LEN, 0, w->path, err);
    if (st) goto fail;
    if (fsync(w->fd) != 0 || close(w->fd) != 0) {
        w->fd = -1;
        st = sp_err_errno(err, SCIPRUNE_EIO, w->path, errno, "fsync/close failed");
        goto fail;
    }
    w->fd = -1;
    if (rename(w->tmp, w->path) != 0) {
        st = sp_err_errno(err, SCIPRUNE_EIO, w->path, errno, "rename failed");
        goto fail;
    }
    free(w->tmp);
    w->tmp = NULL;
fail:
    sp_npy_writer_abort(w);
    return st;
}

sciprune_status sp_npy_write(const char *path, sp_npy_dtype t, uint64_t rows, uint64_t cols,
                             const void *data, sciprune_error *err)
{
    sp_npy_writer *w;
    sciprune_status st = sp_npy_writer_open(&w, path, t, cols, err);
    if (st) return st;
    st = sp_npy_writer_append(w, data, rows, err);
    if (st) {
        sp_npy_writer_abort(w);
        return st;
    }
    return sp_npy_writer_close(w, err);
}

void sp_npy_close(sp_npy *a)
{
    if (a && a->map) munmap(a->map, a->map_len);
    if (a) memset(a, 0, sizeof *a);
}

/* Find "'key':" in the dict and return the text after it, or NULL. */
static const char *dict_value(const char *d, const char *key)
{
    char pat[40];
    snprintf(pat, sizeof pat, "'%s':", key);
    const char *p = strstr(d, pat);
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ') p++;
    return p;
}

sciprune_status sp_npy_open(sp_npy *a, const char *path, sciprune_error *err)
{
    memset(a, 0, sizeof *a);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return sp_err_errno(err, SCIPRUNE_EIO, path, errno, "cannot open");
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return sp_err_errno(err, SCIPRUNE_EIO, path, e, "stat failed");
    }
    size_t len = (size_t)sb.st_size;
    if (len < 10) {
        close(fd);
        return sp_err(err, SCIPRUNE_EPARSE, path, -1, 0, "not an .npy file (%zu bytes)", len);
    }
    void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return sp_err_errno(err, SCIPRUNE_EIO, path, errno, "mmap failed");
    a->map = m;
    a->map_len = len;
    const unsigned char *b = m;
    sciprune_status st = SCIPRUNE_OK;
    if (memcmp(b, "\x93NUMPY", 6) != 0) {
        st = sp_err(err, SCIPRUNE_EPARSE, path, -1, 0, "not an .npy file (bad magic)");
        goto fail;
    }
    size_t hl, ho;
    if (b[6] == 1) {
        hl = (size_t)b[8] | (size_t)b[9] << 8;
        ho = 10;
    } else if (b[6] == 2 || b[6] == 3) {
        if (len < 12) { st = sp_err(err, SCIPRUNE_EPARSE, path, -1, 8, "truncated .npy header"); goto fail; }
        hl = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        ho = 12;
    } else {
        st = sp_err(err, SCIPRUNE_EPARSE, path, -1, 6, "unsupported .npy version %u", b[6]);
        goto fail;
    }
    if (ho + hl > len || hl > 65536) {
        st = sp_err(err, SCIPRUNE_EPARSE, path, -1, 8, "truncated .npy header");
        goto fail;
    }
    char dict[65537];
    memcpy(dict, b + ho, hl);
    dict[hl] = '\0';
    const char *descr = dict_value(dict, "descr");
    const char *fo = dict_value(dict, "fortran_order");
    const char *shape = dict_value(dict, "shape");
    if (!descr || !fo || !shape) {
        st = sp_err(err, SCIPRUNE_EPARSE, path, -1, (int64_t)ho, "malformed .npy header: %.80s", dict);
        goto fail;
    }
    int found = -1;
    for (size_t i = 0; i < sizeof k_types / sizeof k_types[0]; i++) {
        char q[16];
        snprintf(q, sizeof q, "'%s'", k_types[i].descr);
        if (strncmp(descr, q, strlen(q)) == 0) found = (int)i;
    }
    if (found < 0 && strncmp(descr, "'<u1'", 5) == 0) found = SP_NPY_U8;
    if (found < 0) {
        st = sp_err(err, SCIPRUNE_EPARSE, path, -1, (int64_t)ho,
                    "unsupported dtype %.12s (want <f4, <f2, <f8, <i4, <i8 or |u1)", descr);
        goto fail;
    }
    if (strncmp(fo, "False", 5) != 0) {
        st = sp_err(err, SCIPRUNE_EPARSE, path, -1, (int64_t)ho, "array is in Fortran order; want C order");
        goto fail;
    }
    if (*shape != '(') {
        st = sp_err(err, SCIPRUNE_EPARSE, path, -1, (int64_t)ho, "malformed shape");
        goto fail;
    }
    unsigned long long dims[3] = {0, 0, 0};
    int nd = 0;
    const char *p = shape + 1;
    for (;;) {
        while (*p == ' ') p++;
        if (*p == ')') break;
        char *e;
        unsigned long long v = strtoull(p, &e, 10);
        if (e == p || nd == 3) {
            st = sp_err(err, SCIPRUNE_EPARSE, path, -1, (int64_t)ho, "malformed shape");
            goto fail;
        }
        dims[nd++] = v;
        p = e;
        while (*p == ' ') p++;
        if (*p == ',') p++;
    }
    if (nd < 1 || nd > 2) {
        st = sp_err(err, SCIPRUNE_EPARSE, path, -1, (int64_t)ho, "want a 1-D or 2-D array, found %d dimensions", nd);
        goto fail;
    }
    a->dtype = (sp_npy_dtype)found;
    a->rows = dims[0];
    a->cols = nd == 2 ? dims[1] : 0;
    /* a shape whose byte count wraps around would pass the size check below with a small
     * file and send readers far past the mapping */
    if (a->rows > (uint64_t)SIZE_MAX / (a->cols ? a->cols : 1) / k_types[found].size) {
        st = sp_err(err, SCIPRUNE_EPARSE, path, -1, (int64_t)ho, "shape too large: %llu x %llu",
                    (unsigned long long)a->rows, (unsigned long long)a->cols);
        goto fail;
    }
    size_t want = (size_t)a->rows * (size_t)(a->cols ? a->cols : 1) * k_types[found].size;
    if (len - ho - hl != want) {
        st = sp_err(err, SCIPRUNE_EPARSE, path, -1, (int64_t)(ho + hl),
                    "file holds %zu data bytes, header announces %zu", len - ho - hl, want);
        goto fail;
    }
    a->data = b + ho + hl;
    return SCIPRUNE_OK;
fail:
    sp_npy_close(a);
    return st;
}

uint16_t sp_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
    uint32_t mant = x & 0x7fffffu;
    if (((x >> 23) & 0xff) == 0xff) return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u : 0));
    if (exp >= 31) return (uint16_t)(sign | 0x7c00u);
    if (exp <= 0) {
        if (exp < -10) return (uint16_t)sign;
        mant |= 0x800000u;
        uint32_t shift = (uint32_t)(14 - exp);
        uint32_t h = mant >> shift;
        uint32_t rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1))) h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)exp << 10) | (mant >> 13);
    uint32_t rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) h++;
    return (uint16_t)(sign | h);
}

float sp_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ffu, x;
    if (exp == 0) {
        if (mant == 0) {
            x = sign;
        } else {
            int e = -1;
            do { e++; mant <<= 1; } while (!(mant & 0x400u));
            x = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
        }
    } else if (exp == 31) {
        x = sign | 0x7f800000u | (mant << 13);
    } else {
        x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &x, 4);
    return f;
}
