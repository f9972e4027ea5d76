/*
 * sp_common.h - helpers every module may use (shard/ is the base layer; see DESIGN.md):
 * error filling, logging through the installed callback, small file-system helpers.
 * Not part of the public API.
 */
#ifndef SCIPRUNE_SP_COMMON_H
#define SCIPRUNE_SP_COMMON_H

#include "sciprune.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define SP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SP_PRINTF(a, b)
#endif

/* Fill `err` (may be NULL) and return `code`. `source` may be NULL; line/offset -1 if unknown. */
sciprune_status sp_err(sciprune_error *err, sciprune_status code, const char *source,
                       int64_t line, int64_t offset, const char *fmt, ...) SP_PRINTF(6, 7);
/* Same, appending ": strerror(errno_value)". */
sciprune_status sp_err_errno(sciprune_error *err, sciprune_status code, const char *source,
                             int errno_value, const char *fmt, ...) SP_PRINTF(5, 6);
/* Reset `err` (may be NULL) to OK. */
void sp_err_clear(sciprune_error *err);

void sp_log(sciprune_log_level level, const char *fmt, ...) SP_PRINTF(2, 3);

/* mkdir -p. Errors: EIO. */
sciprune_status sp_mkdirs(const char *path, sciprune_error *err);
/* Join a and b with '/' into a new string; NULL on ENOMEM. Caller frees with free(). */
char *sp_path_join(const char *a, const char *b);
/* Write `len` bytes to `path` atomically (temp + fsync + rename). Errors: EIO. */
sciprune_status sp_write_file_atomic(const char *path, const void *data, size_t len,
                                     sciprune_error *err);
/* Read a whole file; *out is malloc'ed (NUL-terminated), caller frees with free(). */
sciprune_status sp_read_file(const char *path, char **out, size_t *len, sciprune_error *err);
/* 1 when path exists. */
bool sp_exists(const char *path);
/* Copy at most cap-1 bytes and NUL-terminate. */
void sp_strlcpy(char *dst, const char *src, size_t cap);
/* One value of a sweep list (ratios, alphas): a number in [0, 1], not given twice, at most
 * SCIPRUNE_SWEEP_MAX. Appends x to v[*n]. `what` names the list ("ratio") in the error.
 * Errors: EINVAL. */
sciprune_status sp_sweep_add(double *v, size_t *n, double x, const char *what,
                             sciprune_error *err);
/* Monotonic seconds. */
double sp_now(void);
/* Peak resident set size of this process in bytes (0 if unknown): Linux's VmHWM (since the
 * last sp_peak_rss_reset), else getrusage's ru_maxrss (since the process started). */
uint64_t sp_peak_rss(void);
/* Reset the peak to the current resident size (Linux >= 4.0: "5" into /proc/self/clear_refs),
 * so that sp_peak_rss() after a stage is that stage's own high-water mark. 1 when reset, 0 when
 * refused (then sp_peak_rss stays the process' peak so far). */
int sp_peak_rss_reset(void);

/* A large table (hash-bucket counts, weights: touched all over, once each page) of `bytes`,
 * zeroed by sp_table_calloc. From 2 MiB up it is aligned to and advised onto transparent huge
 * pages (where the kernel gives them), so that filling it does not fault 4 KiB at a time.
 * Freed with free(). NULL when out of memory. */
void *sp_table_alloc(size_t bytes);
void *sp_table_calloc(size_t bytes);

/* 64-bit hash of bytes with a seed (XXH3). Stable across runs and machines. */
uint64_t sp_hash64(const void *data, size_t len, uint64_t seed);

/* jansson and memory. jansson's setters (json_object_set_new, json_array_append_new) drop a
 * member silently when its value could not be allocated, so a JSON file built under memory
 * pressure could be written without members. The library counts, per thread, the jansson
 * allocations that failed (its allocator hook, installed at load time on top of whatever
 * allocator was set before, see common.c). sp_json_dumps() is json_dumps() that returns NULL
 * (out of memory) when any jansson allocation of this thread failed since the last
 * sp_json_dumps() or sp_json_alloc_failed() call, so the object may lack members; writers use
 * it instead of json_dumps. sp_json_alloc_failed() returns that count and resets it: a json_load
 * that returned NULL because of it is ENOMEM, not EPARSE. */
struct json_t;
char *sp_json_dumps(const struct json_t *j, size_t flags);
/* Write j (sp_json_dumps with `flags`) and a final newline to path, atomically
 * (sp_write_file_atomic): the one way the stages write their JSON files. Errors: ENOMEM (err
 * names path), EIO. */
sciprune_status sp_json_write_atomic(const char *path, const struct json_t *j, size_t flags,
                                     sciprune_error *err);
unsigned long sp_json_alloc_failed(void);
/* The status for a json_load that returned NULL: ENOMEM when jansson ran out of memory,
 * else `otherwise` (EPARSE, EIO). Resets the count like sp_json_alloc_failed(). */
sciprune_status sp_json_load_status(sciprune_status otherwise);

/* `s` made safe for a cell of a markdown table (report.md) or one line of text: '|' -> "\|",
 * '\\' -> "\\\\", '`' -> "\`" (no code span), '<' -> "\<" (no raw HTML), newline,
 * carriage return and tab -> "\n", "\r", "\t", other control bytes (< 0x20, 0x7f) -> "\xNN".
 * Written into buf[cap], cut with "..." (U+2026) when longer; NULL s gives "". Returns buf.
 * SP_MD(s) does it into a buffer that lives until the end of the enclosing block, for use as a printf argument (a language name read from a shard can hold
 * anything). */
const char *sp_md_cell(const char *s, char *buf, size_t cap);
#define SP_MD(s) sp_md_cell((s), (char[256]){0}, 256)

/* The installed data/ folder of this shared library (<prefix>/<datadir>/sciprune/data, found
 * from the library's own path; install.c), or NULL when the library is not installed. */
const char *sp_install_data_dir(void);

/* 1 when s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
int sp_utf8_valid(const unsigned char *s, size_t n);

#endif /* SCIPRUNE_SP_COMMON_H */
