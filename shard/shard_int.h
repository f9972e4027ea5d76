/* shard_int.h - internals shared by the files of shard/. */
#ifndef SCIPRUNE_SHARD_INT_H
#define SCIPRUNE_SHARD_INT_H

#include "sp_common.h"



/* ---- jsonline.c: validating scanner for one JSONL line */
typedef enum jl_type { JL_ABSENT = 0, JL_STRING, JL_NUMBER, JL_OBJECT, JL_ARRAY, JL_BOOL, JL_NULL } jl_type;
typedef enum jl_error { JL_OK = 0, JL_BAD_JSON, JL_BAD_UTF8, JL_NOT_OBJECT } jl_error;

typedef struct jl_field {
    jl_type type;
    size_t str_off, str_len; /* JL_STRING: decoded bytes at buf + str_off, NUL-terminated */
    int has_nul;             /* JL_STRING: contains \u0000 */
    const char *raw;         /* other types: the value's bytes in the line */
    size_t raw_len;
} jl_field;

typedef struct jl_result {
    jl_error error;
    size_t error_pos;      /* byte offset in the line */
    const char *error_msg; /* static */
} jl_result;

/* Validate `line` as one JSON object and extract the top-level keys[i] into fields[i].
 * buf must hold at least len + nkeys bytes (decoded strings never grow). 0 or -1 (res set). */
int jl_parse(const char *line, size_t len, const char *const *keys, size_t nkeys,
             jl_field *fields, char *buf, size_t buf_cap, jl_result *res);

#endif /* SCIPRUNE_SHARD_INT_H */
