/*
 * pyindent.c - Python indentation errors as CPython reports them.
 *
 * tree-sitter-python accepts most indentation slips without an ERROR or MISSING node (its
 * external scanner opens and closes blocks wherever the columns say), while CPython rejects
 * them with IndentationError or TabError. This is a small tokenizer that applies CPython's
 * rules (Parser/tokenizer.c, tok_get, and the parser's INDENT handling), in one pass over the
 * bytes, in linear time and constant memory:
 *
 *   - Newlines are "\n", "\r\n" and a lone "\r" (compile() translates all three).
 *   - At the start of a line: the column counts spaces (+1) and tabs (to the next multiple of
 *     8); a second column counts tabs as 1 (ALTTABSIZE); a form feed resets both to 0; a
 *     backslash-newline continues the indentation on the next line, and the column at the
 *     first such backslash, when not 0, is the line's column (both of them).
 *   - Lines with only blanks and/or a comment are skipped, and so are lines that start inside
 *     brackets, inside a (triple-quoted) string or after a backslash continuation: only the
 *     first physical line of a logical line outside brackets is checked.
 *   - The indent stack (at most 100 levels, MAXINDENT): a deeper column pushes (INDENT), a
 *     shallower one pops to a column on the stack (DEDENT). A column not on the stack is
 *     "unindent does not match any outer indentation level"; a push whose tab-1 column is not
 *     deeper, or an equal column whose tab-1 column differs, is a TabError ("inconsistent use
 *     of tabs and spaces in indentation"); the 100th level is "too many levels of indentation".
 *   - The parser's two: an INDENT after a logical line that does not end in ':' (a compound
 *     statement header) is "unexpected indent"; a logical line ending in ':' not followed by
 *     an INDENT (a line at the same or a lower column, or the end of the file) is "expected an
 *     indented block". In valid Python a logical line ends in ':' only as a block header.
 *     A decorator line followed by a dedent is "unexpected unindent".
 *   - Strings: a quote opens a string whatever its prefix (r, b, f, u, ...); a backslash skips
 *     the next character in every kind (a raw string cannot end in an odd backslash either);
 *     three quotes open a string that ends at the next three; a one-quote string ends at its
 *     quote or, unterminated, at the end of the line. f-strings are plain strings (Python 3.11).
 * CPython stops at the first error; this counts every offending line and recovers so that one
 * slip is one error: an unexpected column is pushed (as the tokenizer does), an unmatched one
 * is taken as the level above it (the last one popped), a missing block is not made up. Other syntax errors (an unclosed bracket, a stray character) are
 * tree-sitter's job and are ignored here.
 */
#include "lang_int.h"

#include <string.h>

#define MAXINDENT 100 /* CPython's limit on the indent stack */
#define TABSIZE 8

typedef struct scan {
    uint32_t ind[MAXINDENT], alt[MAXINDENT]; /* the indent stacks (column, tab-1 column) */
    int sp;                                  /* top of the stacks */
    int pending;                             /* the last logical line ended in ':' */
    int decorator;                           /* the last logical line started with '@' */
    lang_indent_result *r;
} scan;

static const char *const k_messages[] = {
    "",
    "unexpected indent",
    "unindent does not match any outer indentation level",
    "expected an indented block",
    "inconsistent use of tabs and spaces in indentation",
    "too many levels of indentation",
    "unexpected unindent",
};

const char *lang_indent_error_message(lang_indent_error e)
{
    return (unsigned)e < sizeof k_messages / sizeof k_messages[0] ? k_messages[e] : "";
}

/* Length of the newline at s[i] (1 or 2), 0 when there is none. */
static size_t nl_at(const char *s, size_t len, size_t i)
{
    if (i >= len) return 0;
    if (s[i] == '\n') return 1;
    if (s[i] == '\r') return i + 1 < len && s[i + 1] == '\n' ? 2 : 1;
    return 0;
}

static void report(scan *z, lang_indent_error e, uint32_t line)
{
    if (z->r->errors == 0) {
        z->r->first = e;
        z->r->first_line = line;
    }
    if (z->r->errors < UINT32_MAX) z->r->errors++;
}

static void push(scan *z, uint32_t col, uint32_t alt)
{
    if (z->sp + 1 >= MAXINDENT) return;
    z->sp++;
    z->ind[z->sp] = col;
    z->alt[z->sp] = alt;
}

/* The first line of a logical line outside brackets, at (col, alt). */
static void check_line(scan *z, uint32_t col, uint32_t alt, uint32_t line)
{
    lang_indent_error e = LANG_INDENT_OK;
    int pending = z->pending, decorator = z->decorator;
    z->pending = z->decorator = 0;
    if (col == z->ind[z->sp]) {
        if (alt != z->alt[z->sp]) e = LANG_INDENT_TAB;
        else if (pending) e = LANG_INDENT_EXPECTED;
    } else if (col > z->ind[z->sp]) {
        if (z->sp + 1 >= MAXINDENT) e = LANG_INDENT_TOO_DEEP;
        else {
            if (alt <= z->alt[z->sp]) e = LANG_INDENT_TAB;
            else if (!pending) e = LANG_INDENT_UNEXPECTED;
            push(z, col, alt);
        }
    } else {
        while (z->sp > 0 && col < z->ind[z->sp]) z->sp--;
        if (col != z->ind[z->sp]) {
            e = LANG_INDENT_DEDENT;
            z->sp++; /* take the line as the level above it, the last one popped */
        } else if (alt != z->alt[z->sp]) e = LANG_INDENT_TAB;
        else if (pending) e = LANG_INDENT_EXPECTED;
        else if (decorator) e = LANG_INDENT_UNINDENT;
    }
    if (e != LANG_INDENT_OK) report(z, e, line);
}

/* Skip the string whose opening quote is at s[i]; returns the index after it. */
static size_t skip_string(const char *s, size_t len, size_t i, uint32_t *line)
{
    char q = s[i];
    if (i + 2 < len && s[i + 1] == q && s[i + 2] == q) { /* triple-quoted */
        i += 3;
        while (i < len) {
            size_t nl;
            if (s[i] == '\\') {
                i++;
                if ((nl = nl_at(s, len, i)) != 0) (*line)++, i += nl;
                else if (i < len) i++;
            } else if (s[i] == q && i + 2 < len && s[i + 1] == q && s[i + 2] == q) {
                return i + 3;
            } else if ((nl = nl_at(s, len, i)) != 0) {
                (*line)++;
                i += nl;
            } else {
                i++;
            }
        }
        return len;
    }
    if (i + 1 < len && s[i + 1] == q) return i + 2; /* empty string */
    i++;
    while (i < len) {
        size_t nl;
        if (s[i] == '\\') {
            i++;
            if ((nl = nl_at(s, len, i)) != 0) (*line)++, i += nl; /* continued string */
            else if (i < len) i++;
        } else if (s[i] == q) {
            return i + 1;
        } else if (nl_at(s, len, i)) {
            return i; /* unterminated: a syntax error, not an indentation one */
        } else {
            i++;
        }
    }
    return len;
}

void lang_pyindent_check(const char *s, size_t len, lang_indent_result *r)
{
    memset(r, 0, sizeof *r);
    scan z;
    z.sp = 0;
    z.ind[0] = z.alt[0] = 0;
    z.pending = z.decorator = 0;
    z.r = r;
    size_t i = 0, level = 0;
    uint32_t line = 1;
    int atbol = 1, content = 0; /* content: the logical line has a token */
    int at = 0;                 /* its first token is '@' (a decorator) */
    unsigned char last = 0;     /* its last significant character */
    if (len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) i = 3; /* UTF-8 BOM */
    while (i < len) {
        if (atbol) {
            atbol = 0;
            uint32_t col = 0, alt = 0, cont = 0;
            for (;;) {
                size_t nl;
                if (i >= len) break;
                char c = s[i];
                if (c == ' ') col++, alt++, i++;
                else if (c == '\t') col = (col / TABSIZE + 1) * TABSIZE, alt++, i++;
                else if (c == '\f') col = alt = 0, i++;
                else if (c == '\\' && (nl = nl_at(s, len, i + 1)) != 0) {
                    if (!cont) cont = col;
                    i += 1 + nl;
                    line++;
                } else break;
                if (col > UINT32_MAX - 2 * TABSIZE) col = UINT32_MAX - 2 * TABSIZE; /* absurd */
                if (alt > UINT32_MAX - 2) alt = UINT32_MAX - 2;
            }
            int blank = i >= len || s[i] == '#' || nl_at(s, len, i);
            if (!blank && level == 0) {
                if (cont) col = alt = cont;
                check_line(&z, col, alt, line); /* CPython: the line of the first token */
                content = 0;
                last = 0;
            }
            continue;
        }
        char c = s[i];
        size_t nl = nl_at(s, len, i);
        if (nl) {
            i += nl;
            line++;
            atbol = 1;
            if (level == 0 && content) {
                z.pending = last == ':';
                z.decorator = at;
                content = 0;
            }
        } else if (c == '#') {
            while (i < len && !nl_at(s, len, i)) i++;
        } else if (c == '"' || c == '\'') {
            i = skip_string(s, len, i, &line);
            at = at && content;
            content = 1;
            last = (unsigned char)c;
        } else if (c == '\\' && (nl = nl_at(s, len, i + 1)) != 0) {
            i += 1 + nl; /* continuation: the next line is no new line */
            line++;
        } else if (c == ' ' || c == '\t' || c == '\f') {
            i++;
        } else {
            if (!content) at = c == '@';
            if (c == '(' || c == '[' || c == '{') level++;
            else if ((c == ')' || c == ']' || c == '}') && level) level--;
            content = 1;
            last = (unsigned char)c;
            i++;
        }
    }
    if (level == 0 && content) z.pending = last == ':';
    /* CPython puts the end of the file on the last line, not after its newline */
    if (line > 1 && len && (s[len - 1] == '\n' || s[len - 1] == '\r')) line--;
    if (z.pending) report(&z, LANG_INDENT_EXPECTED, line);
}
