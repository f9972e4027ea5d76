/*
 * fuzz_jsonline.c - property: the shard reader's JSON line scanner (shard/jsonline.c) agrees
 * with jansson. For any bytes:
 *   - jl_parse never reads or writes outside the line and the decode buffer (ASan);
 *   - a line with a raw NUL byte is rejected (jansson stops reading at one: not compared);
 *   - a line jl_parse accepts, jansson accepts too (unless jansson only objects to a number's
 *     range or to U+0000 in a key, which the scanner does not decode), and jl_parse accepts
 *     every object jansson accepts whose bracket depth is within the scanner's 512;
 *   - when both accept, each requested top-level key has the same type in both, and a string
 *     decodes to the same bytes (has_nul set exactly when it holds U+0000), NUL-terminated in
 *     the buffer.
 */
#include "fuzz_util.h"

#include "../../shard/shard_int.h"

#include <jansson.h>

static const char *const k_keys[] = {"content", "id", "lang", "path", ""};
#define NKEYS (sizeof k_keys / sizeof k_keys[0])

static int max_bracket_depth(const uint8_t *d, size_t n)
{
    int depth = 0, max = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i] == '[' || d[i] == '{') {
            if (++depth > max) max = depth;
        } else if ((d[i] == ']' || d[i] == '}') && depth > 0) {
            depth--;
        }
    }
    return max;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20) return 0;
    jl_field f[NKEYS];
    size_t cap = size + NKEYS;
    char *buf = malloc(cap);
    if (!buf) return 0;
    jl_result res;
    memset(&res, 0, sizeof res);
    int rc = jl_parse((const char *)data, size, k_keys, NKEYS, f, buf, cap, &res);

    if (memchr(data, '\0', size)) { /* a raw NUL is never JSON (jansson stops reading there) */
        FUZZ_CHECK(rc != 0);
        free(buf);
        return 0;
    }
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (rc == 0) {
        FUZZ_CHECK(res.error == JL_OK);
        if (!j) /* only a number's range or a NUL in a key may separate them */
            FUZZ_CHECK(strstr(je.text, "too big") || strstr(je.text, "overflow") ||
                       strstr(je.text, "NUL byte in object key"));
    } else {
        FUZZ_CHECK(res.error != JL_OK && res.error_pos <= size && res.error_msg);
        if (json_is_object(j))
            FUZZ_CHECK(max_bracket_depth(data, size) > 512);
        if (j && !json_is_object(j)) FUZZ_CHECK(res.error == JL_NOT_OBJECT);
    }
    if (rc == 0 && json_is_object(j)) {
        for (size_t i = 0; i < NKEYS; i++) {
            json_t *v = json_object_get(j, k_keys[i]);
            switch (f[i].type) {
            case JL_ABSENT: FUZZ_CHECK(v == NULL); break;
            case JL_STRING:
                FUZZ_CHECK(json_is_string(v));
                FUZZ_CHECK(f[i].str_off + f[i].str_len < cap);
                FUZZ_CHECK(buf[f[i].str_off + f[i].str_len] == '\0');
                FUZZ_CHECK(json_string_length(v) == f[i].str_len);
                FUZZ_CHECK(memcmp(json_string_value(v), buf + f[i].str_off, f[i].str_len) == 0);
                FUZZ_CHECK(!f[i].has_nul == !memchr(buf + f[i].str_off, '\0', f[i].str_len));
                break;
            case JL_NUMBER: FUZZ_CHECK(json_is_number(v)); break;
            case JL_OBJECT: FUZZ_CHECK(json_is_object(v)); break;
            case JL_ARRAY: FUZZ_CHECK(json_is_array(v)); break;
            case JL_BOOL: FUZZ_CHECK(json_is_boolean(v)); break;
            case JL_NULL: FUZZ_CHECK(json_is_null(v)); break;
            }
            if (f[i].type != JL_ABSENT && f[i].type != JL_STRING)
                FUZZ_CHECK(f[i].raw >= (const char *)data &&
                           f[i].raw + f[i].raw_len <= (const char *)data + size);
        }
    }
    json_decref(j);
    free(buf);
    return 0;
}
