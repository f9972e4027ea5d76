/*
 * fuzz_npy.c - property: the .npy reader (shard/npy.c) maps only what the file holds. For any
 * bytes written to a file, sp_npy_open either fails with EPARSE (never EIO: the file exists)
 * or returns an array whose rows * max(cols, 1) items of its dtype lie inside the mapping;
 * every data byte is compared with the input (ASan flags a read past the mapping) and the header + data
 * sizes add up to the file's size.
 */
#include "fuzz_util.h"

#include "../../shard/sp_npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1 << 20)) return 0;
    const char *path = fuzz_write("a.npy", data, size);
    sp_npy a;
    sciprune_error err;
    sciprune_status st = sp_npy_open(&a, path, &err);
    if (st != SCIPRUNE_OK) {
        FUZZ_CHECK(st == SCIPRUNE_EPARSE && err.code == st && a.map == NULL);
        return 0;
    }
    size_t item = sp_npy_itemsize(a.dtype);
    size_t items = (size_t)a.rows * (size_t)(a.cols ? a.cols : 1);
    FUZZ_CHECK(a.cols == 0 || items / a.cols == a.rows); /* no wrap-around */
    FUZZ_CHECK(item == 0 || items * item / item == items);
    const uint8_t *p = a.data, *m = a.map;
    FUZZ_CHECK(p >= m && p + items * item == m + a.map_len && a.map_len == size);
    FUZZ_CHECK(size > 0 && memcmp(data + (p - m), p, items * item) == 0);
    sp_npy_close(&a);
    return 0;
}
