/*
 * jsonline.c - a validating single-pass JSON scanner for one JSONL line.
 *
 * Why not jansson here: the reader only needs a handful of top-level fields, and building a
 * full jansson tree (an allocation per key and value, byte-at-a-time lexing through a stream
 * abstraction) ran at ~60 MB/s on real code shards. This scanner validates the whole line
 * (RFC 8259 syntax, UTF-8 in strings, no raw control characters in strings, nesting depth
 * limit) but decodes only the strings of the requested top-level keys, copying plain runs with
 * memcpy. Duplicate keys: the last one wins (as in jansson).
 */
#include "shard_int.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define MAX_DEPTH 512

typedef struct scan {
    const unsigned char *p, *s, *end;
    jl_result *res;
    const char *const *keys;
    size_t nkeys;
    char *out;     /* decode buffer */
    size_t out_len, out_cap;
} scan;

static int fail(scan *c, jl_error code, const unsigned char *at, const char *msg)
{
    c->res->error = code;
    c->res->error_pos = (size_t)(at - c->s);
    c->res->error_msg = msg;
    return -1;
}

static void skip_ws(scan *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n')) c->p++;
}

/* Length of a valid UTF-8 sequence starting at p (first byte >= 0x80), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t k;
    unsigned min, v;
    if ((c & 0xE0) == 0xC0) { k = 1; min = 0x80; v = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { k = 2; min = 0x800; v = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { k = 3; min = 0x10000; v = c & 0x07; }
    else return 0;
    if ((size_t)(end - p) <= k) return 0;
    for (size_t j = 1; j <= k; j++) {
        if ((p[j] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (p[j] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    return k + 1;
}

static int hex4(const unsigned char *p, unsigned *v)
{
    unsigned x = 0;
    for (int i = 0; i < 4; i++) {
        unsigned ch = p[i], d;
        if (ch >= '0' && ch <= '9') d = ch - '0';
        else if (ch >= 'a' && ch <= 'f') d = ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F') d = ch - 'A' + 10;
        else return -1;
        x = x << 4 | d;
    }
    *v = x;
    return 0;
}

static int out_reserve(scan *c, size_t n)
{
    if (c->out_len + n + 1 <= c->out_cap) return 0;
    return -1; /* the caller sized the buffer to the line length: cannot happen */
}

static void out_put(scan *c, const void *src, size_t n)
{
    memcpy(c->out + c->out_len, src, n);
    c->out_len += n;
}

static void out_cp(scan *c, unsigned cp)
{
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) { b[0] = (unsigned char)cp; n = 1; }
    else if (cp < 0x800) { b[0] = (unsigned char)(0xC0 | cp >> 6); b[1] = (unsigned char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | cp >> 12); b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | cp >> 18); b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); b[3] = (unsigned char)(0x80 | (cp & 0x3F)); n = 4;
    }
    out_put(c, b, n);
}

/* The end of the plain run at p: the first byte in [p, end) that is '"', '\\', a control byte or
 * a non-ASCII byte, or end. Code has short runs between escapes (every newline is "\n"), and
 * this loop was half of the reader's time one byte at a time: 16 bytes per step with SSE2. */
static const unsigned char *plain_run(const unsigned char *p, const unsigned char *end)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* signed compare: bytes >= 0x80 are negative, so "< 0x20" also flags them */
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                                 _mm_cmplt_epi8(x, space));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits) return p + __builtin_ctz(bits);
        p += 16;
    }
#endif
    while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') p++;
    return p;
}

/* Scan a string starting at the opening quote. If decode, append the decoded bytes + NUL to
 * c->out and set *start and *len (offsets into c->out). */
static int scan_string(scan *c, int decode, size_t *start, size_t *len, int *has_nul)
{
    const unsigned char *p = c->p + 1, *end = c->end;
    size_t o0 = c->out_len;
    const unsigned char *run = p;
    for (;;) {
        /* plain run: printable ASCII other than '"' and '\\' */
        p = plain_run(p, end);
        if (p >= end) return fail(c, JL_BAD_JSON, p, "unterminated string");
        unsigned ch = *p;
        if (ch == '"') {
            if (decode) {
                out_put(c, run, (size_t)(p - run));
                *start = o0;
                *len = c->out_len - o0;
                c->out[c->out_len++] = '\0';
            }
            c->p = p + 1;
            return 0;
        }
        if (ch < 0x20) return fail(c, JL_BAD_JSON, p, "control character in string");
        if (ch >= 0x80) {
            size_t k = utf8_seq(p, end);
            if (!k) return fail(c, JL_BAD_UTF8, p, "invalid UTF-8");
            p += k;
            continue;
        }
        /* backslash escape */
        if (decode) out_put(c, run, (size_t)(p - run));
        if (p + 1 >= end) return fail(c, JL_BAD_JSON, p, "unterminated escape");
        unsigned e = p[1];
        char single = 0;
        switch (e) {
        case '"': single = '"'; break;
        case '\\': single = '\\'; break;
        case '/': single = '/'; break;
        case 'b': single = '\b'; break;
        case 'f': single = '\f'; break;
        case 'n': single = '\n'; break;
        case 'r': single = '\r'; break;
        case 't': single = '\t'; break;
        case 'u': {
            unsigned v, v2;
            if (end - p < 6 || hex4(p + 2, &v)) return fail(c, JL_BAD_JSON, p, "bad \\u escape");
            p += 6;
            if (v >= 0xD800 && v <= 0xDBFF) {
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &v2) || v2 < 0xDC00 || v2 > 0xDFFF)
                    return fail(c, JL_BAD_JSON, p, "unpaired surrogate in \\u escape");
                v = 0x10000 + ((v - 0xD800) << 10) + (v2 - 0xDC00);
                p += 6;
            } else if (v >= 0xDC00 && v <= 0xDFFF) {
                return fail(c, JL_BAD_JSON, p - 6, "unpaired surrogate in \\u escape");
            }
            if (v == 0 && has_nul) *has_nul = 1;
            if (decode) out_cp(c, v);
            run = p;
            continue;
        }
        default: return fail(c, JL_BAD_JSON, p, "bad escape");
        }
        if (decode) c->out[c->out_len++] = single;
        p += 2;
        run = p;
    }
}

static int scan_number(scan *c)
{
    const unsigned char *p = c->p, *end = c->end;
    if (p < end && *p == '-') p++;
    if (p >= end) return fail(c, JL_BAD_JSON, p, "bad number");
    if (*p == '0') p++;
    else if (*p >= '1' && *p <= '9') while (p < end && *p >= '0' && *p <= '9') p++;
    else return fail(c, JL_BAD_JSON, p, "bad number");
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9') return fail(c, JL_BAD_JSON, p, "bad number");
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || *p < '0' || *p > '9') return fail(c, JL_BAD_JSON, p, "bad number");
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    c->p = p;
    return 0;
}

static int scan_value(scan *c, int depth, jl_field *f);

static int scan_container(scan *c, int depth)
{
    if (depth > MAX_DEPTH) return fail(c, JL_BAD_JSON, c->p, "nesting too deep");
    int obj = *c->p == '{';
    unsigned char close = obj ? '}' : ']';
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return 0;
    }
    for (;;) {
        if (obj) {
            if (c->p >= c->end || *c->p != '"') return fail(c, JL_BAD_JSON, c->p, "expected a key");
            if (scan_string(c, 0, NULL, NULL, NULL)) return -1;
            skip_ws(c);
            if (c->p >= c->end || *c->p != ':') return fail(c, JL_BAD_JSON, c->p, "expected ':'");
            c->p++;
            skip_ws(c);
        }
        if (scan_value(c, depth + 1, NULL)) return -1;
        skip_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            skip_ws(c);
            continue;
        }
        if (c->p < c->end && *c->p == close) {
            c->p++;
            return 0;
        }
        return fail(c, JL_BAD_JSON, c->p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int lit(scan *c, const char *w, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
        return fail(c, JL_BAD_JSON, c->p, "invalid literal");
    c->p += n;
    return 0;
}

/* f != NULL: a top-level value of a wanted key: record its type and decoded string. */
static int scan_value(scan *c, int depth, jl_field *f)
{
    if (c->p >= c->end) return fail(c, JL_BAD_JSON, c->p, "expected a value");
    unsigned ch = *c->p;
    const unsigned char *v0 = c->p;
    int rc;
    jl_type t;
    switch (ch) {
    case '"': {
        size_t st = 0, ln = 0;
        int nul = 0;
        if (scan_string(c, f != NULL, &st, &ln, &nul)) return -1;
        if (f) {
            f->type = JL_STRING;
            f->str_off = st;
            f->str_len = ln;
            f->has_nul = nul;
        }
        return 0;
    }
    case '{': t = JL_OBJECT; rc = scan_container(c, depth); break;
    case '[': t = JL_ARRAY; rc = scan_container(c, depth); break;
    case 't': t = JL_BOOL; rc = lit(c, "true", 4); break;
    case 'f': t = JL_BOOL; rc = lit(c, "false", 5); break;
    case 'n': t = JL_NULL; rc = lit(c, "null", 4); break;
    default:
        if (ch == '-' || (ch >= '0' && ch <= '9')) {
            t = JL_NUMBER;
            rc = scan_number(c);
        } else {
            return fail(c, JL_BAD_JSON, c->p, "unexpected character");
        }
    }
    if (rc) return rc;
    if (f) {
        f->type = t;
        f->raw = (const char *)v0;
        f->raw_len = (size_t)(c->p - v0);
    }
    return 0;
}

int jl_parse(const char *line, size_t len, const char *const *keys, size_t nkeys,
             jl_field *fields, char *buf, size_t buf_cap, jl_result *res)
{
    scan c = {0};
    c.s = c.p = (const unsigned char *)line;
    c.end = c.s + len;
    c.res = res;
    c.keys = keys;
    c.nkeys = nkeys;
    c.out = buf;
    c.out_cap = buf_cap;
    memset(res, 0, sizeof *res);
    for (size_t i = 0; i < nkeys; i++) memset(&fields[i], 0, sizeof fields[i]);
    if (out_reserve(&c, len)) return fail(&c, JL_BAD_JSON, c.s, "internal: decode buffer too small");
    skip_ws(&c);
    if (c.p >= c.end || *c.p != '{') {
        if (c.p < c.end && (*c.p == '[' || *c.p == '"' || *c.p == '-' || (*c.p >= '0' && *c.p <= '9') ||
                            *c.p == 't' || *c.p == 'f' || *c.p == 'n')) {
            if (scan_value(&c, 0, NULL)) return -1;
            skip_ws(&c);
            if (c.p == c.end) return fail(&c, JL_NOT_OBJECT, c.s, "line is JSON but not an object");
        }
        if (c.p < c.end && *c.p >= 0x80 && !utf8_seq(c.p, c.end)) return fail(&c, JL_BAD_UTF8, c.p, "invalid UTF-8");
        return fail(&c, JL_BAD_JSON, c.p, "expected '{'");
    }
    c.p++;
    skip_ws(&c);
    if (c.p < c.end && *c.p == '}') {
        c.p++;
    } else {
        for (;;) {
            if (c.p >= c.end || *c.p != '"') return fail(&c, JL_BAD_JSON, c.p, "expected a key");
            const unsigned char *k0 = c.p + 1;
            if (scan_string(&c, 0, NULL, NULL, NULL)) return -1;
            size_t klen = (size_t)(c.p - 1 - k0);
            jl_field *want = NULL;
            for (size_t i = 0; i < nkeys; i++)
                if (keys[i] && strlen(keys[i]) == klen && memcmp(keys[i], k0, klen) == 0) {
                    want = &fields[i];
                    break;
                }
            skip_ws(&c);
            if (c.p >= c.end || *c.p != ':') return fail(&c, JL_BAD_JSON, c.p, "expected ':'");
            c.p++;
            skip_ws(&c);
            if (scan_value(&c, 1, want)) return -1;
            skip_ws(&c);
            if (c.p < c.end && *c.p == ',') {
                c.p++;
                skip_ws(&c);
                continue;
            }
            if (c.p < c.end && *c.p == '}') {
                c.p++;
                break;
            }
            return fail(&c, JL_BAD_JSON, c.p, "expected ',' or '}'");
        }
    }
    skip_ws(&c);
    if (c.p != c.end) return fail(&c, JL_BAD_JSON, c.p, "trailing characters after the object");
    return 0;
}
