/*
 * edit.c - the generic edits behind the capture names of the corruption queries.
 *
 * A query file says *where* (which nodes), the capture name says *what* (which edit), and
 * `#set!` properties tune the edit per pattern:
 *   @delete          remove the node's bytes
 *   @delete.spaced   remove the node and the spaces/tabs right before it (`return x` -> `return`)
 *   @delete.line     remove the node's line(s) with their newline when nothing else is on them,
 *                    else behave like @delete.spaced
 *   @replace         replace the node with (#set! replace "text")
 *   @misspell        transpose two letters in the middle of the node ("return" -> "retrun",
 *                    "def" -> "dfe"); (#set! replace "text") overrides
 *   @rename          rename the node to a fresh name: one that occurs nowhere in the file as a
 *                    word; the name must occur at least twice (same node type) inside the
 *                    nearest ancestor whose type is listed in (#set! rename.scope "t1 t2"),
 *                    the whole file when the property is absent, so only names that are bound
 *                    and used locally get renamed
 *   @swap.a @swap.b  exchange the two nodes (they must differ)
 *   @operator        flip the operator by the table below; (#set! replace "op") overrides
 *   @increment       integer literal +1 or -1 (decimal, 0x, 0o, 0b; separators dropped,
 *                    suffixes such as u, L, i32, n kept; floats and C octal are left alone)
 *   @dedent          re-indent the line a node starts (it must be first on its line) to the
 *                    indentation of the nearest enclosing construct that is indented less, e.g.
 *                    a statement of an `if` body to the column of its `if`
 *   @indent          indent the line a node starts (first on its line) deeper: by its own step
 *                    (its indentation beyond the nearest enclosing construct's; 4 spaces at
 *                    the top level) or, drawn from the seed, by part of a step of spaces
 *   @misindent       re-indent the line a node starts to a column strictly between the nearest
 *                    enclosing construct's and its own: the header's indentation plus spaces
 *   @tabify          rewrite the indentation of the line a node starts: tabs become spaces (to
 *                    the same column, at tab stops of 8); spaces become a tab per 8 columns and
 *                    spaces for the rest (the same column; one tab when under 8): the column
 *                    Python compares with tabs of 8 stays, the one with tabs of 1 moves
 *   @negate          wrap as <prefix>(<node>), prefix from (#set! negate.prefix "not "),
 *                    default "!"; no parentheses around a plain (dotted) name or a node whose
 *                    type is listed in (#set! negate.bare "call attribute ...")
 *   @<edit>.each     the edit at each named child of the node (swaps excepted): the same sites
 *                    as `(node (_) @<edit>)`, found by one match instead of one per child.
 *                    libtree-sitter 0.20.7 keeps an in-progress match per child while a pattern
 *                    still has steps after the child (`(if_statement consequence: (block (_)
 *                    @dedent) alternative: (_))`) and compares every pair of them at each node
 *                    it visits: cubic on a block of thousands of statements.
 * Names starting with '_' are helper captures for predicates and select no edit.
 * Every edit is one splice (offset, removed bytes, inserted bytes); a swap is the splice of the
 * whole range from the first node's start to the second node's end.
 */
#define _GNU_SOURCE /* memmem */
#include "corrupt_int.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    corrupt_edit edit;
} k_captures[] = {
    {"delete", EDIT_DELETE},       {"delete.spaced", EDIT_DELETE_SPACED},
    {"delete.line", EDIT_DELETE_LINE}, {"replace", EDIT_REPLACE},
    {"misspell", EDIT_MISSPELL},   {"rename", EDIT_RENAME},
    {"swap.a", EDIT_SWAP_A},       {"swap.b", EDIT_SWAP_B},
    {"operator", EDIT_OPERATOR},   {"increment", EDIT_INCREMENT},
    {"dedent", EDIT_DEDENT},       {"negate", EDIT_NEGATE},
    {"indent", EDIT_INDENT},       {"misindent", EDIT_MISINDENT},
    {"tabify", EDIT_TABIFY},
    {"delete.tail", EDIT_DELETE_TAIL}, {"truncate", EDIT_TRUNCATE},
};

int corrupt_edit_for_capture(const char *name)
{
    if (name[0] == '_') return EDIT_NONE;
    size_t n = strlen(name);
    if (corrupt_capture_each(name)) n -= 5;
    for (size_t i = 0; i < sizeof k_captures / sizeof k_captures[0]; i++)
        if (strlen(k_captures[i].name) == n && memcmp(name, k_captures[i].name, n) == 0) {
            corrupt_edit e = k_captures[i].edit;
            if (n != strlen(name) && (e == EDIT_SWAP_A || e == EDIT_SWAP_B)) return -1;
            return (int)e;
        }
    return -1;
}

int corrupt_capture_each(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '_' && n > 5 && strcmp(name + n - 5, ".each") == 0;
}

uint64_t corrupt_rng_next(corrupt_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t corrupt_rng_below(corrupt_rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)corrupt_rng_next(r) * n) >> 64);
}

/* Operator flips: equality, ordering (to the complement), additive, boolean. */
static const char *const k_ops[][2] = {
    {"==", "!="}, {"!=", "=="}, {"===", "!=="}, {"!==", "==="}, {"<", ">="}, {">=", "<"},
    {">", "<="},  {"<=", ">"},  {"+", "-"},     {"-", "+"},     {"and", "or"}, {"or", "and"},
    {"&&", "||"}, {"||", "&&"},
};

/* Names a typo must not turn into: keywords and common builtins of the supported languages,
 * which would be "defined" (or not parse). The freshness check covers names in the file. */
static const char *const k_reserved[] = {
    "abs", "all", "and", "any", "as", "auto", "bool", "break", "byte", "case", "cast", "catch",
    "char", "chr", "class", "const", "continue", "def", "default", "del", "delete", "dict",
    "dir", "do", "double", "elif", "else", "enum", "eval", "exec", "extern", "false", "False",
    "final", "float", "fn", "for", "func", "go", "goto", "hash", "id", "if", "impl", "import",
    "in", "int", "is", "iter", "len", "let", "list", "long", "loop", "map", "match", "max",
    "min", "mod", "mut", "new", "next", "nil", "None", "not", "null", "or", "ord", "pass",
    "pow", "print", "pub", "range", "ref", "repr", "ret", "return", "round", "self", "Self",
    "set", "short", "signed", "sizeof", "static", "str", "struct", "sum", "super", "switch",
    "this", "throw", "true", "True", "try", "tuple", "type", "typeof", "union", "unsigned",
    "use", "var", "void", "while", "with", "yield", "zip",
};

static int is_word(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '$' || ch >= 0x80;
}

static int is_alpha(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* 1 when w[0, n) occurs in src as a whole word. */
static int word_in(const char *src, size_t len, const char *w, size_t n)
{
    if (n == 0 || n > len) return 0;
    const char *p = src, *end = src + len;
    while ((p = memmem(p, (size_t)(end - p), w, n)) != NULL) {
        int before = p > src && is_word((unsigned char)p[-1]);
        int after = p + n < end && is_word((unsigned char)p[n]);
        if (!before && !after) return 1;
        p++;
    }
    return 0;
}

static int reserved(const char *w, size_t n)
{
    for (size_t i = 0; i < sizeof k_reserved / sizeof k_reserved[0]; i++)
        if (strlen(k_reserved[i]) == n && memcmp(k_reserved[i], w, n) == 0) return 1;
    return 0;
}

static int fresh_ok(const char *src, size_t len, const char *w, size_t n)
{
    if (n == 0 || (w[0] >= '0' && w[0] <= '9')) return 0;
    return !reserved(w, n) && !word_in(src, len, w, n);
}

static int set_splice(corrupt_splice *sp, size_t off, size_t removed, const char *ins,
                      size_t ins_len)
{
    sp->offset = off;
    sp->removed = removed;
    sp->ins = malloc(ins_len + 1);
    if (!sp->ins) return -1;
    if (ins_len) memcpy(sp->ins, ins, ins_len);
    sp->ins[ins_len] = '\0';
    sp->ins_len = ins_len;
    return 1;
}

static int is_blank(char ch) { return ch == ' ' || ch == '\t'; }

/* Count nodes with n's symbol and text in the subtree of `scope`. */
static uint32_t count_same(TSNode scope, TSNode n, const char *src)
{
    TSSymbol sym = ts_node_symbol(n);
    uint32_t a = ts_node_start_byte(n), tl = ts_node_end_byte(n) - a;
    uint32_t count = 0;
    TSTreeCursor c = ts_tree_cursor_new(scope);
    for (;;) {
        TSNode x = ts_tree_cursor_current_node(&c);
        if (ts_node_symbol(x) == sym) {
            uint32_t xa = ts_node_start_byte(x);
            if (ts_node_end_byte(x) - xa == tl && memcmp(src + xa, src + a, tl) == 0) count++;
        }
        if (ts_tree_cursor_goto_first_child(&c)) continue;
        for (;;) {
            if (ts_tree_cursor_goto_next_sibling(&c)) break;
            if (!ts_tree_cursor_goto_parent(&c)) {
                ts_tree_cursor_delete(&c);
                return count;
            }
        }
    }
}

static int list_has(const char *list, const char *word)
{
    size_t wl = strlen(word);
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        const char *e = p;
        while (*e && *e != ' ' && *e != ',') e++;
        if ((size_t)(e - p) == wl && memcmp(p, word, wl) == 0) return 1;
        p = e;
    }
    return 0;
}

static int build_rename(const lang_query *q, const corrupt_site *site, TSNode root,
                        const char *src, size_t len, corrupt_rng *rng, corrupt_splice *sp)
{
    TSNode n = site->a;
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    size_t nl = b - a;
    const char *name = src + a;
    if (nl == 0 || nl > 200) return 0;
    TSNode scope = root;
    const char *scopes = lang_query_property(q, site->pattern, "rename.scope");
    if (scopes) {
        TSNode s = ts_node_parent(n);
        while (!ts_node_is_null(s) && !list_has(scopes, ts_node_type(s))) s = ts_node_parent(s);
        if (ts_node_is_null(s)) return 0;
        scope = s;
    }
    if (count_same(scope, n, src) < 2) return 0;

    char w[256];
    /* 1. drop one interior ASCII letter (names of 4+ bytes), from a seeded start position */
    if (nl >= 4) {
        size_t span = nl - 2, start = (size_t)corrupt_rng_below(rng, span);
        for (size_t j = 0; j < span; j++) {
            size_t p = 1 + (start + j) % span;
            if (!is_alpha((unsigned char)name[p]) || name[p] == name[p - 1]) continue;
            memcpy(w, name, p);
            memcpy(w + p, name + p + 1, nl - p - 1);
            if (fresh_ok(src, len, w, nl - 1)) return set_splice(sp, a, nl, w, nl - 1);
        }
    }
    /* 2. transpose two interior ASCII letters (names of 4+ bytes) */
    if (nl >= 4) {
        size_t span = nl - 3, start = (size_t)corrupt_rng_below(rng, span);
        for (size_t j = 0; j < span; j++) {
            size_t p = 1 + (start + j) % span;
            if (!is_alpha((unsigned char)name[p]) || !is_alpha((unsigned char)name[p + 1]) ||
                name[p] == name[p + 1])
                continue;
            memcpy(w, name, nl);
            w[p] = name[p + 1];
            w[p + 1] = name[p];
            if (fresh_ok(src, len, w, nl)) return set_splice(sp, a, nl, w, nl);
        }
    }
    /* 3. double the last letter ("i" -> "ii"), then suffixes */
    static const char *const k_suffix[] = {"", "2", "_", "_1", "_tmp"};
    for (size_t k = 0; k < sizeof k_suffix / sizeof k_suffix[0]; k++) {
        size_t sl = strlen(k_suffix[k]);
        memcpy(w, name, nl);
        size_t wl = nl;
        if (k == 0) {
            if (!is_alpha((unsigned char)name[nl - 1])) continue;
            w[wl++] = name[nl - 1];
        } else {
            memcpy(w + wl, k_suffix[k], sl);
            wl += sl;
        }
        if (fresh_ok(src, len, w, wl)) return set_splice(sp, a, nl, w, wl);
    }
    return 0;
}

static int digit_value(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return 99;
}

static int build_increment(const char *t, size_t n, uint32_t off, corrupt_rng *rng,
                           corrupt_splice *sp)
{
    unsigned base = 10;
    size_t i = 0;
    if (n >= 2 && t[0] == '0') {
        char x = t[1];
        if (x == 'x' || x == 'X') base = 16, i = 2;
        else if (x == 'o' || x == 'O') base = 8, i = 2;
        else if (x == 'b' || x == 'B') base = 2, i = 2;
        else if (x >= '0' && x <= '9') return 0; /* C octal "010" or "00": leave alone */
    }
    uint64_t v = 0;
    size_t digits = 0;
    int upper = 0;
    for (; i < n; i++) {
        char ch = t[i];
        if (ch == '_' || ch == '\'') continue;
        int d = digit_value(ch);
        if (d >= (int)base) break;
        if (ch >= 'A' && ch <= 'F') upper = 1;
        if (v > (UINT64_C(1) << 60)) return 0;
        v = v * base + (unsigned)d;
        digits++;
    }
    if (digits == 0) return 0;
    size_t suffix = i;
    for (size_t k = suffix; k < n; k++)
        if (!is_alpha((unsigned char)t[k]) && !(t[k] >= '0' && t[k] <= '9')) return 0;
    if (base == 10 && suffix < n && (t[suffix] == 'e' || t[suffix] == 'E' || t[suffix] == 'f' ||
                                     t[suffix] == 'F' || t[suffix] == 'd' || t[suffix] == 'D'))
        return 0; /* float exponent or float/double suffix */
    if (v == 0 || (corrupt_rng_next(rng) & 1)) v++;
    else v--;
    char out[96];
    size_t o = 0;
    size_t prefix = base == 10 ? 0 : 2;
    memcpy(out, t, prefix);
    o = prefix;
    char dig[70];
    size_t nd = 0;
    do {
        unsigned d = (unsigned)(v % base);
        dig[nd++] = (char)(d < 10 ? '0' + d : (upper ? 'A' : 'a') + d - 10);
        v /= base;
    } while (v);
    while (nd) out[o++] = dig[--nd];
    if (n - suffix > 20) return 0;
    memcpy(out + o, t + suffix, n - suffix);
    o += n - suffix;
    return set_splice(sp, off, n, out, o);
}

static int plain_name(const char *t, size_t n)
{
    if (n == 0 || (t[0] >= '0' && t[0] <= '9') || t[0] == '.') return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_word((unsigned char)t[i]) && t[i] != '.') return 0;
    return 1;
}

/* The column of s[0, n) of blanks, tabs to the next multiple of 8. */
static size_t blank_cols(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c = s[i] == '\t' ? (c / 8 + 1) * 8 : c + 1;
    return c;
}

/* The indentation of the line a node starts, when the node is the first thing on it
 * (*ls: the line start; the indentation is src[*ls, a)), and that of the nearest enclosing
 * construct starting on an earlier line (*hl: its line start, *hn: its indentation bytes;
 * 0 and 0 when there is none). Returns 0 when the node is not first on its line. */
static int line_indent(TSNode n, const char *src, size_t len, size_t *ls, size_t *hl,
                       size_t *hn)
{
    size_t a = ts_node_start_byte(n), l = a;
    while (l > 0 && is_blank(src[l - 1])) l--;
    if (l > 0 && src[l - 1] != '\n') return 0;
    *ls = l;
    *hl = *hn = 0;
    for (TSNode p = ts_node_parent(n); !ts_node_is_null(p); p = ts_node_parent(p)) {
        size_t ps = ts_node_start_byte(p);
        if (ps >= l) continue; /* starts on the node's own line */
        size_t pl = ps;
        while (pl > 0 && src[pl - 1] != '\n') pl--;
        size_t ind = 0;
        while (pl + ind < len && is_blank(src[pl + ind])) ind++;
        if (blank_cols(src + pl, ind) < blank_cols(src + l, a - l)) {
            *hl = pl;
            *hn = ind;
            return 1;
        }
    }
    return 1;
}

/* @indent, @misindent, @tabify: the new indentation of the node's line. */
static int build_reindent(const corrupt_site *site, const char *src, size_t len,
                          corrupt_rng *rng, corrupt_splice *sp)
{
    size_t ls, hl, hn, a = ts_node_start_byte(site->a);
    if (!line_indent(site->a, src, len, &ls, &hl, &hn)) return 0;
    const char *ws = src + ls;
    size_t wn = a - ls, cur = blank_cols(ws, wn), head = blank_cols(src + hl, hn);
    char w[512];
    size_t o = 0;
    if (site->edit == EDIT_INDENT) {
        /* the step: the node's indentation beyond its header's, when the header's is a
         * prefix of it; 4 spaces otherwise (top level, mixed indentation) */
        const char *step = "    ";
        size_t stepn = 4;
        if (cur > head && hn < wn && !memcmp(ws, src + hl, hn)) step = ws + hn, stepn = wn - hn;
        int spaces = 1;
        for (size_t i = 0; i < stepn; i++) spaces &= step[i] == ' ';
        if (spaces && stepn >= 2 && (corrupt_rng_next(rng) & 1))
            stepn = 1 + (size_t)corrupt_rng_below(rng, stepn - 1); /* part of a step */
        if (stepn > sizeof w) return 0;
        memcpy(w, step, stepn);
        return set_splice(sp, a, 0, w, stepn);
    }
    if (site->edit == EDIT_MISINDENT) {
        if (cur < head + 2 || hn > sizeof w / 2 || cur - head - 1 > sizeof w / 2) return 0;
        size_t k = 1 + (size_t)corrupt_rng_below(rng, cur - head - 1);
        memcpy(w, src + hl, hn), o = hn;
        memset(w + o, ' ', k), o += k;
        return set_splice(sp, ls, wn, w, o);
    }
    /* EDIT_TABIFY */
    if (cur == 0 || cur > 8 * sizeof w / 2) return 0;
    if (memchr(ws, '\t', wn)) {
        memset(w, ' ', cur), o = cur;
    } else if (cur < 8) {
        w[o++] = '\t';
    } else {
        for (size_t i = 0; i < cur / 8; i++) w[o++] = '\t';
        for (size_t i = 0; i < cur % 8; i++) w[o++] = ' ';
    }
    if (o == wn && !memcmp(w, ws, wn)) return 0;
    return set_splice(sp, ls, wn, w, o);
}

int corrupt_edit_build(const lang_query *q, const corrupt_site *site, TSNode root,
                       const char *src, size_t len, corrupt_rng *rng, corrupt_splice *sp)
{
    memset(sp, 0, sizeof *sp);
    uint32_t a = ts_node_start_byte(site->a), b = ts_node_end_byte(site->a);
    if (b > len || a > b) return 0;
    const char *t = src + a;
    size_t n = b - a;
    const char *repl = lang_query_property(q, site->pattern, "replace");
    switch (site->edit) {
    case EDIT_NONE:
    case EDIT_SWAP_B:
        return 0;
    case EDIT_DELETE:
        if (n == 0) return 0;
        return set_splice(sp, a, n, "", 0);
    case EDIT_DELETE_SPACED:
    case EDIT_DELETE_LINE: {
        if (n == 0) return 0;
        size_t s = a;
        while (s > 0 && is_blank(src[s - 1])) s--;
        if (site->edit == EDIT_DELETE_LINE && (s == 0 || src[s - 1] == '\n')) {
            size_t e = b;
            while (e < len && is_blank(src[e])) e++;
            if (e == len) return set_splice(sp, s, e - s, "", 0);
            if (src[e] == '\n') return set_splice(sp, s, e + 1 - s, "", 0);
            if (src[e] == '\r' && e + 1 < len && src[e + 1] == '\n')
                return set_splice(sp, s, e + 2 - s, "", 0);
        }
        return set_splice(sp, s, b - s, "", 0);
    }
    case EDIT_REPLACE:
        if (!repl || (strlen(repl) == n && memcmp(repl, t, n) == 0)) return 0;
        return set_splice(sp, a, n, repl, strlen(repl));
    case EDIT_MISSPELL: {
        if (repl) {
            if (strlen(repl) == n && memcmp(repl, t, n) == 0) return 0;
            return set_splice(sp, a, n, repl, strlen(repl));
        }
        if (n < 2 || n > 64) return 0;
        size_t i = n / 2 < n - 2 ? n / 2 : n - 2;
        if (t[i] == t[i + 1]) {
            if (i == 0 || t[i - 1] == t[i]) return 0;
            i--;
        }
        char w[64];
        memcpy(w, t, n);
        w[i] = t[i + 1];
        w[i + 1] = t[i];
        return set_splice(sp, a, n, w, n);
    }
    case EDIT_RENAME:
        return build_rename(q, site, root, src, len, rng, sp);
    case EDIT_SWAP_A: {
        TSNode x = site->a, y = site->b;
        if (ts_node_start_byte(y) < ts_node_start_byte(x)) {
            TSNode tmp = x;
            x = y;
            y = tmp;
        }
        uint32_t xa = ts_node_start_byte(x), xb = ts_node_end_byte(x);
        uint32_t ya = ts_node_start_byte(y), yb = ts_node_end_byte(y);
        if (xb > ya || yb > len) return 0; /* overlapping */
        if (xb - xa == yb - ya && memcmp(src + xa, src + ya, xb - xa) == 0) return 0;
        size_t tot = yb - xa;
        char *w = malloc(tot + 1);
        if (!w) return -1;
        size_t o = 0;
        memcpy(w + o, src + ya, yb - ya), o += yb - ya;
        memcpy(w + o, src + xb, ya - xb), o += ya - xb;
        memcpy(w + o, src + xa, xb - xa), o += xb - xa;
        int r = set_splice(sp, xa, tot, w, o);
        free(w);
        return r;
    }
    case EDIT_OPERATOR:
        if (repl) {
            if (strlen(repl) == n && memcmp(repl, t, n) == 0) return 0;
            return set_splice(sp, a, n, repl, strlen(repl));
        }
        for (size_t i = 0; i < sizeof k_ops / sizeof k_ops[0]; i++)
            if (strlen(k_ops[i][0]) == n && memcmp(k_ops[i][0], t, n) == 0)
                return set_splice(sp, a, n, k_ops[i][1], strlen(k_ops[i][1]));
        return 0;
    case EDIT_INCREMENT:
        return build_increment(t, n, a, rng, sp);
    case EDIT_DEDENT: {
        size_t ls = a;
        while (ls > 0 && is_blank(src[ls - 1])) ls--;
        if (ls > 0 && src[ls - 1] != '\n') return 0; /* not the first thing on its line */
        size_t cur = a - ls;
        for (TSNode p = ts_node_parent(site->a); !ts_node_is_null(p); p = ts_node_parent(p)) {
            size_t ps = ts_node_start_byte(p);
            if (ps >= ls) continue; /* starts on the node's own line */
            size_t pl = ps;
            while (pl > 0 && src[pl - 1] != '\n') pl--;
            size_t ind = 0;
            while (pl + ind < len && is_blank(src[pl + ind])) ind++;
            if (ind < cur) return set_splice(sp, ls, cur, src + pl, ind);
        }
        return 0;
    }
    case EDIT_INDENT:
    case EDIT_MISINDENT:
    case EDIT_TABIFY:
        return build_reindent(site, src, len, rng, sp);
    case EDIT_NEGATE: {
        if (n == 0) return 0;
        const char *pre = lang_query_property(q, site->pattern, "negate.prefix");
        if (!pre) pre = "!";
        size_t pl = strlen(pre);
        const char *bare = lang_query_property(q, site->pattern, "negate.bare");
        int paren = !plain_name(t, n) && !(bare && list_has(bare, ts_node_type(site->a)));
        char *w = malloc(pl + n + 3);
        if (!w) return -1;
        size_t o = 0;
        memcpy(w, pre, pl), o = pl;
        if (paren) w[o++] = '(';
        memcpy(w + o, t, n), o += n;
        if (paren) w[o++] = ')';
        int r = set_splice(sp, a, n, w, o);
        free(w);
        return r;
    }
    case EDIT_DELETE_TAIL: {
        const char *tp = lang_query_property(q, site->pattern, "tail");
        long k = tp ? strtol(tp, NULL, 10) : 1;
        if (k <= 0 || (size_t)k >= n) return 0;
        return set_splice(sp, b - (size_t)k, (size_t)k, "", 0);
    }
    case EDIT_TRUNCATE:
        if (a == 0) return 0; /* an empty file is no variant */
        return set_splice(sp, a, len - a, "", 0);
    }
    return 0;
}
