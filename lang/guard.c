/*
 * guard.c - the parse guard (sciprune.h, "the parse guard"): one linear pass over a text's
 * bytes, before any tree-sitter parse, that keeps the texts libtree-sitter 0.20.7 crashes on
 * or goes super-linear on away from every parser (bench/guard_results.md has the numbers).
 *
 * What crashes 0.20.7 is a parse stack ~65,535 entries deep when error recovery runs (65,534
 * unclosed brackets, but also 70,000 `not` before a stray `)`); what makes it quadratic is
 * error recovery over a deep stack (C: `1, 2, 3, ...` or X-macro lines at file scope: 60 KB
 * took 59 s). A lexical pass cannot know the parser's stack, so it measures three proxies of
 * its causes (bench/guard_results.md says what they miss):
 *   depth     bracket nesting: ( [ { open, ) ] } close (never below 0), in code only
 *   run       the longest run of tokens with no separator (; , { } or a newline) between
 *             them: chains of prefix or right-associative operators grow the stack without a
 *             bracket
 *   top_run   c, cpp: tokens at bracket depth 0 since the last ; { } or preprocessor line
 *             (file-scope comma lists and macro-call lines the C grammar does not know)
 * Tokens: a run of letters, digits, _ or $ (or bytes >= 0x80) is one token; every other
 * non-blank byte is one (so `!=` counts two: an over-count, the safe side). Strings on one
 * line ('...' "..." `...`, with backslash escapes) and comments (# in python; // and /\* *\/
 * elsewhere) are skipped when they are closed; an unclosed one is read as code (the safe
 * side again, except that a closer inside it lowers the depth). After a quote fails to close
 * on a line it is code for the rest of that line, and after one unclosed block comment no other
 * is looked for, so the pass stays linear whatever the text.
 */
#include "lang_int.h"

#include <string.h>

enum { FAM_C = 0, FAM_CPP, FAM_PY, FAM_OTHER };

static int family(const char *lang)
{
    if (!lang) return FAM_OTHER;
    if (!strcmp(lang, "python")) return FAM_PY;
    if (!strcmp(lang, "c")) return FAM_C;
    if (!strcmp(lang, "cpp")) return FAM_CPP;
    return FAM_OTHER;
}

static inline int is_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '$' || c >= 0x80;
}

/* End of the one-line string opened by s[i] (index after the closing quote), or i when it
 * does not close on its line. */
static size_t skip_string(const unsigned char *s, size_t len, size_t i)
{
    unsigned char q = s[i];
    for (size_t j = i + 1; j < len; j++) {
        if (s[j] == '\\') {
            j++;
            continue;
        }
        if (s[j] == '\n') return i;
        if (s[j] == q) return j + 1;
    }
    return i;
}

void sciprune_guard_check(const char *lang, const char *text, size_t len,
                          sciprune_guard_info *out)
{
    memset(out, 0, sizeof *out);
    out->bytes = len;
    const unsigned char *s = (const unsigned char *)text;
    int fam = family(lang);
    int cfam = fam == FAM_C || fam == FAM_CPP;
    uint64_t depth = 0, max = 0, longest = 0;
    uint64_t run = 0, max_run = 0, top = 0, max_top = 0;
    int line_start = 1; /* only blanks so far on this line (a '#' there is a directive) */
    int no_close = 0;   /* no closing star-slash after the last failed search: stop looking */
    uint8_t quote_failed = 0; /* quotes ' " ` (bits 1, 2, 4) that did not close on this line:
                                 not looked for again on it, so a line costs O(length) */
    int directive = 0;  /* c, cpp: this line is a preprocessor line */
    size_t line_begin = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        if (c == '\n') {
            if (i - line_begin > longest) longest = i - line_begin;
            line_begin = i + 1;
            run = 0;
            quote_failed = 0;
            if (directive && !(i && s[i - 1] == '\\')) {
                directive = 0;
                top = 0;
            }
            line_start = 1;
            i++;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            i++;
            continue;
        }
        if (line_start && cfam && c == '#') directive = 1;
        line_start = 0;
        /* comments */
        if (fam == FAM_PY && c == '#') {
            while (i < len && s[i] != '\n') i++;
            continue;
        }
        if (fam != FAM_PY && c == '/' && i + 1 < len && s[i + 1] == '/') {
            while (i < len && s[i] != '\n') i++;
            continue;
        }
        if (fam != FAM_PY && !no_close && c == '/' && i + 1 < len && s[i + 1] == '*') {
            const unsigned char *e = NULL;
            for (size_t j = i + 2; j + 1 < len; j++)
                if (s[j] == '*' && s[j + 1] == '/') {
                    e = s + j + 2;
                    break;
                }
            if (!e) no_close = 1;
            if (e) {
                /* newlines inside count for the longest line */
                for (size_t j = i; j < (size_t)(e - s); j++)
                    if (s[j] == '\n') {
                        if (j - line_begin > longest) longest = j - line_begin;
                        line_begin = j + 1;
                    }
                i = (size_t)(e - s);
                continue;
            }
        }
        /* one token */
        if (c == '"' || c == '\'' || c == '`') {
            uint8_t bit = c == '\'' ? 1 : c == '"' ? 2 : 4;
            size_t e = quote_failed & bit ? i : skip_string(s, len, i);
            if (e == i) quote_failed |= bit;
            i = e > i ? e : i + 1;
        } else if (is_word(c)) {
            while (i < len && is_word(s[i])) i++;
        } else {
            i++;
        }
        if (c == ';' || c == ',' || c == '{' || c == '}') run = 0;
        else if (++run > max_run) max_run = run;
        if (cfam && depth == 0) {
            if (c == ';' || c == '{' || c == '}') top = 0;
            else if (!directive && ++top > max_top) max_top = top;
        }
        if (c == '(' || c == '[' || c == '{') {
            if (++depth > max) max = depth;
        } else if ((c == ')' || c == ']' || c == '}') && depth) {
            depth--;
        }
    }
    if (len - line_begin > longest) longest = len - line_begin;
    out->depth = max > UINT32_MAX ? UINT32_MAX : (uint32_t)max;
    out->run = max_run > UINT32_MAX ? UINT32_MAX : (uint32_t)max_run;
    out->top_run = max_top > UINT32_MAX ? UINT32_MAX : (uint32_t)max_top;
    out->longest_line = longest;
    if (max > SCIPRUNE_GUARD_MAX_DEPTH || max_run > SCIPRUNE_GUARD_MAX_RUN ||
        max_top > SCIPRUNE_GUARD_MAX_TOP_RUN)
        out->verdict = SCIPRUNE_GUARD_TOO_DEEP;
    else if (len > SCIPRUNE_GUARD_MAX_BYTES || longest > SCIPRUNE_GUARD_MAX_LINE)
        out->verdict = SCIPRUNE_GUARD_TOO_LARGE;
}

const char *sciprune_guard_verdict_name(sciprune_guard_verdict v)
{
    switch (v) {
    case SCIPRUNE_GUARD_OK: return "ok";
    case SCIPRUNE_GUARD_TOO_DEEP: return "too_deep";
    case SCIPRUNE_GUARD_TOO_LARGE: return "too_large";
    }
    return "?";
}
