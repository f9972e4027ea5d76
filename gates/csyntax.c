/*
 * csyntax.c - a C/C++ syntax check that survives macros: the parse_error gate's value for c and
 * cpp.
 *
 * Why not tree-sitter's ERROR/MISSING nodes: tree-sitter-c parses the text as written, without
 * a preprocessor, so macros that expand to declarations, attributes or statement heads
 * (EXPORT int f(void); LIST_FOREACH(x, l) { ... }; DEFINE_THING(a) with no ';') give ERROR
 * nodes in ~46 % of clean real C files. What the compiler would reject is seen in two ways:
 *
 * 1. A lexer, linear in the text, that knows what tree-sitter does not: preprocessor lines and
 *    conditional groups. It skips comments, string/char literals (escapes, line continuations,
 *    C++ raw strings R"d(...)d", digit separators 1'000 inside pp-numbers) and directive lines,
 *    and reports
 *      brackets      ()[]{} that do not pair up in the code the preprocessor keeps; () in an
 *                    #if/#elif condition; a #define parameter list without ')',
 *      literals      a string or char literal that meets an unescaped newline, a raw string
 *                    without its closing delimiter, #include "x without its quote,
 *      comments      a block comment still open at the end of the file,
 *      conditionals  #else/#elif/#endif without #if, or an #if still open at the end.
 *    Conditionals: of each #if/#ifdef/#ifndef ... #endif one group is read as code (G_ACTIVE):
 *    the first whose condition is not known to be false (known: the literals 0 and 1, and
 *    __cplusplus, false for c and true for cpp). Taking one group keeps
 *    `#ifdef X if (a) { #else if (b) { #endif` balanced. Each later group (G_CHECK) is read from
 *    the bracket state at its #if and must end with the brackets the taken group left; then the
 *    taken group's state goes on. Known-false groups and the alternatives of a __cplusplus test
 *    are skipped (G_SKIP: only comments matter), which keeps `extern "C" {` and its `}` (often
 *    in different files) out of a C file's count. Macro bodies are never bracket-checked.
 *
 * 2. The tree-sitter parse (the embedder's own), for what a lexer alone cannot see:
 *      keywords      a misspelt keyword (two adjacent letters of a keyword swapped: retrun,
 *                    cosnt, whlie; C++ keywords too for cpp): any identifier of 4+ letters in
 *                    code the lexer reads (tree-sitter takes `retrun n;` for a declaration),
 *                    and any at, just before or just after an ERROR/MISSING site (fi, fro),
 *      semicolons    a dropped ';' where two weak signals agree: the lexer's line rule (a line
 *                    in a block that ends in an operand or a plain ')' and is followed by a
 *                    line that starts with a name, semi_*) and a tree-sitter site between
 *                    those two lines that does not look like a macro use (site_is_macro).
 *                    Either alone marks ~3 % of clean C; together 0.06 %.
 *      tree          (0/1, not in the gate's value) any site that does not look like a macro
 *                    use: about half of the dropped ';', but also ~3 % of clean C, so it is
 *                    reported as syntax_suspects only.
 *    bench/gates_c_results.md has the numbers on Debian C/C++.
 *
 * Everything is bounded: the bracket stack is fixed-size (deeper nesting is only counted), the
 * conditional stack likewise, lone-quote re-scans are capped at the text length, and at most
 * MAX_SITES tree-sitter sites are judged, each within a constant window.
 */
#include "gates_int.h"

#include <string.h>

#define MAX_BRACKETS 4096 /* typed stack; deeper brackets are counted, untyped */
#define MAX_CONDS 256     /* conditional nesting tracked; deeper is treated as one level */
#define MAX_RECOVER 8     /* a close may skip this many unclosed brackets to find its open */

/* The state of one #if ... #endif. Groups are read in one of three modes. */
enum { G_SKIP = 0, G_ACTIVE = 1, G_CHECK = 2 };
#define SNAP 32 /* bracket-stack entries saved at #if and at the end of the taken group */
typedef struct cond {
    unsigned char outer;    /* the mode around the #if */
    unsigned char taken;    /* some group was taken (read as code) */
    unsigned char mode;     /* the current group's mode */
    unsigned char cxx;      /* a condition tests __cplusplus: alternatives are not checked */
    unsigned char has_end;  /* the taken group's end state is in end/end_n */
    unsigned char in_taken; /* the current group is the taken one */
    size_t saved_n, end_n;  /* bracket depth at #if, at the end of the taken group */
    char saved[SNAP], end[SNAP];
} cond;

typedef struct lexer {
    const char *s;
    size_t n;
    int cpp;
    gates_csyntax *out;
    char br[MAX_BRACKETS]; /* open brackets ( [ { */
    unsigned char bk[MAX_BRACKETS]; /* their kind: K_* below */
    size_t nbr;            /* depth, may exceed MAX_BRACKETS */
    cond cs[MAX_CONDS];
    size_t ncs;            /* may exceed MAX_CONDS */
    int mode;              /* G_ACTIVE: code read; G_CHECK: an alternative group, read for its
                              own balance from the state at its #if; G_SKIP: comments only */
    int active;            /* mode != G_SKIP */
    size_t rescan;         /* bytes re-read after lone quotes (bounded by n) */
    /* the dropped-';' check (semi_*): the previous token and the current line */
    int prev;              /* T_* of the previous token in code */
    size_t prev_a, prev_l; /* its extent when an identifier */
    int close_kind;        /* K_* of the bracket the last ')' closed */
    int ln_toks;           /* tokens on the current line */
    int ln_macro;          /* the line is one macro-like name */
    size_t pending;        /* 1 + offset of a line end that wants a ';' (0: none) */
} lexer;

/* Token kinds for the dropped-';' check, and bracket kinds. */
enum { T_NONE = 0, T_IDENT, T_NUM, T_LIT, T_CLOSE, T_INCDEC, T_OTHER };
enum { K_PLAIN = 0, K_STMT, K_MACRO, K_BLOCK, K_OTHER };

static void note(gates_csyntax *o, uint32_t *cnt, const char *why, size_t at)
{
    if (*cnt < UINT32_MAX) (*cnt)++;
    if (!o->reason[0]) {
        o->reason = why;
        o->offset = at;
    }
}

/* Skip a backslash-newline (or backslash-CR-LF) at i; returns the new index. */
static size_t skip_splices(const char *s, size_t n, size_t i)
{
    while (i + 1 < n && s[i] == '\\') {
        if (s[i + 1] == '\n') i += 2;
        else if (s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n') i += 3;
        else break;
    }
    return i;
}

static int is_ident(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '$' || c >= 0x80;
}

/* A block comment from i (just after the opening slash-star). Returns the index after it;
 * reports an unclosed comment. */
static size_t block_comment(lexer *L, size_t i, size_t start)
{
    const char *s = L->s;
    size_t n = L->n;
    const char *p = s + i;
    for (;;) {
        const char *q = memchr(p, '*', (size_t)(s + n - p));
        if (!q) break;
        size_t j = skip_splices(s, n, (size_t)(q - s) + 1);
        if (j < n && s[j] == '/') return j + 1;
        p = q + 1;
    }
    note(L->out, &L->out->comments, "unclosed block comment", start);
    return n;
}

/* A line comment from i (after the two slashes): to the end of the line, continuations
 * included. Returns the index of the newline (or n). */
static size_t line_comment(lexer *L, size_t i)
{
    const char *s = L->s;
    size_t n = L->n;
    while (i < n && s[i] != '\n') {
        if (s[i] == '\\') {
            size_t j = skip_splices(s, n, i);
            i = j > i ? j : i + 1;
        } else {
            i++;
        }
    }
    return i;
}

/* A quoted literal from i (just after the opening quote q). Strict: an unescaped newline ends
 * it with an error. Returns the index after the closing quote, or of the newline. */
static size_t quoted(lexer *L, size_t i, char q, int strict, size_t start)
{
    const char *s = L->s;
    size_t n = L->n;
    while (i < n) {
        char c = s[i];
        if (c == q) return i + 1;
        if (c == '\\') {
            i += (i + 2 < n && s[i + 1] == '\r' && s[i + 2] == '\n') ? 3 : 2;
            continue;
        }
        if (c == '\n') break;
        i++;
    }
    if (i > n) i = n;
    if (strict)
        note(L->out, &L->out->literals,
             q == '"' ? "unterminated string literal" : "unterminated char literal", start);
    /* like cpp, go on just after the lone quote (an apostrophe in skipped text must not hide a
     * comment opening later on the line); a budget keeps this linear */
    if (L->rescan < L->n + 4096) {
        L->rescan += i - start;
        return start + 1;
    }
    return i;
}

/* C++11 raw string: i is at the quote after an R prefix. Returns the index after it, or 0 when
 * the text is not a raw string opening (no '(' within 16 delimiter characters). */
static size_t raw_string(lexer *L, size_t i, int strict)
{
    const char *s = L->s;
    size_t n = L->n, j = i + 1;
    while (j < n && j - i - 1 <= 16 && s[j] != '(') {
        char c = s[j];
        if (c == ' ' || c == ')' || c == '\\' || c == '\t' || c == '\n' || c == '"') return 0;
        j++;
    }
    if (j >= n || s[j] != '(') return 0;
    size_t dl = j - i - 1;
    const char *d = s + i + 1;
    for (size_t k = j + 1; k < n; k++) {
        if (s[k] != ')') continue;
        if (k + 1 + dl < n && memcmp(s + k + 1, d, dl) == 0 && s[k + 1 + dl] == '"')
            return k + 2 + dl;
    }
    if (strict) note(L->out, &L->out->literals, "unterminated raw string literal", i);
    return n;
}

/* A C keyword with two adjacent letters swapped (retrun, cosnt, fi, whlie): a misspelt keyword,
 * which no macro convention explains. */
static int typo_keyword(const char *s, size_t n, int cpp)
{
    static const char *const kx[] = {"class", "namespace", "template", "typename", "public",
                                     "private", "protected", "virtual", "using", "new",
                                     "delete", "throw", "try", "catch", "operator", "friend",
                                     "explicit", "nullptr", NULL};
    static const char *const k[] = {"if", "for", "while", "do", "switch", "case", "return",
                                    "struct", "typedef", "sizeof", "static", "const", "enum",
                                    "union", "goto", "extern", "else", "break", "continue",
                                    "default", "unsigned", "signed", "char", "int", "void",
                                    "volatile", "register", "short", "long", "double", "float",
                                    NULL};
    if (n < 2 || n > 9) return 0;
    for (int list = 0; list < (cpp ? 2 : 1); list++) {
        const char *const *kw = list ? kx : k;
        for (int i = 0; kw[i]; i++) {
            if (strlen(kw[i]) != n) continue;
            size_t d = 0, first = 0;
            for (size_t j = 0; j < n; j++)
                if (s[j] != kw[i][j]) {
                    if (!d) first = j;
                    d++;
                }
            if (d == 2 && first + 1 < n && s[first] == kw[i][first + 1] &&
                s[first + 1] == kw[i][first])
                return 1;
        }
    }
    return 0;
}

static int macro_like(const char *s, size_t n);

static int word_is(const char *s, size_t n, const char *w)
{
    return strlen(w) == n && !memcmp(s, w, n);
}

/* ---- dropped ';': a statement line inside a block that ends in an operand or ')' (not of an
 * if/while/for/switch head, not of a macro-like call) and is followed by a line that starts
 * with a name. These are candidates (out->semi_at); gates_csyntax_tree counts one only where a
 * tree-sitter error that does not look like a macro use falls between the two lines. */
static void semi_token(lexer *L, int t, size_t a, size_t l)
{
    if (L->mode != G_ACTIVE) {
        L->pending = 0;
        return;
    }
    if (L->pending) {
        gates_csyntax *o = L->out;
        if (t == T_IDENT && !word_is(L->s + a, l, "else") && o->nsemi < GATES_CSYNTAX_SEMI) {
            o->semi_at[o->nsemi][0] = L->pending - 1;
            o->semi_at[o->nsemi][1] = a;
            o->nsemi++;
        }
        L->pending = 0;
    }
    L->ln_toks++;
    L->ln_macro = L->ln_toks == 1 && t == T_IDENT && macro_like(L->s + a, l);
    L->prev = t;
    L->prev_a = a;
    L->prev_l = l;
}

static void semi_newline(lexer *L, size_t at)
{
    /* the candidate gap starts at the end of the line's last token */
    at = L->prev_a + (L->prev == T_IDENT || L->prev == T_LIT ? L->prev_l : 1);
    int t = L->prev, want = 0;
    if (L->ln_toks && L->mode == G_ACTIVE && L->nbr && L->nbr <= MAX_BRACKETS &&
        L->br[L->nbr - 1] == '{' && L->bk[L->nbr - 1] == K_BLOCK) {
        if (t == T_NUM || t == T_LIT || t == T_INCDEC) want = 1;
        else if (t == T_IDENT)
            want = !L->ln_macro && !word_is(L->s + L->prev_a, L->prev_l, "else") &&
                   !word_is(L->s + L->prev_a, L->prev_l, "do");
        else if (t == T_CLOSE) want = L->close_kind == K_PLAIN;
    }
    L->pending = want ? at + 1 : 0;
    L->ln_toks = 0;
    L->ln_macro = 0;
}

/* The kind of a bracket about to open, from the previous token. */
static int open_kind(const lexer *L, char c)
{
    const char *p = L->s + L->prev_a;
    size_t l = L->prev_l;
    if (c == '(') {
        if (L->prev != T_IDENT) return K_PLAIN;
        if (word_is(p, l, "if") || word_is(p, l, "while") || word_is(p, l, "for") ||
            word_is(p, l, "switch") || word_is(p, l, "sizeof") || word_is(p, l, "return"))
            return K_STMT;
        return macro_like(p, l) ? K_MACRO : K_PLAIN;
    }
    if (c == '{') {
        /* a block: a function body or statement block, not an initializer or a type body */
        if (L->prev == T_CLOSE && L->close_kind != K_MACRO) return K_BLOCK;
        if (L->prev == T_NONE) return K_BLOCK;
        if (L->prev == T_IDENT && (word_is(p, l, "else") || word_is(p, l, "do"))) return K_BLOCK;
        if (L->prev == T_OTHER && (L->s[L->prev_a] == '{' || L->s[L->prev_a] == ';' ||
                                   L->s[L->prev_a] == ':'))
            return K_BLOCK;
        if (L->prev == T_CLOSE && L->s[L->prev_a] == '}') return K_BLOCK;
        return K_OTHER;
    }
    return K_OTHER;
}

static char closer_of(char open)
{
    return open == '(' ? ')' : open == '[' ? ']' : '}';
}

static void bracket_open(lexer *L, char c, int kind)
{
    if (L->nbr < MAX_BRACKETS) L->br[L->nbr] = c, L->bk[L->nbr] = (unsigned char)kind;
    L->nbr++;
}

static void bracket_close(lexer *L, char c, size_t at)
{
    if (L->nbr == 0) {
        note(L->out, &L->out->brackets, "closing bracket without an opening one", at);
        return;
    }
    if (L->nbr > MAX_BRACKETS) { /* untyped depth */
        L->nbr--;
        return;
    }
    if (closer_of(L->br[L->nbr - 1]) == c) {
        L->close_kind = L->bk[L->nbr - 1];
        L->nbr--;
        return;
    }
    note(L->out, &L->out->brackets, "mismatched bracket", at);
    /* recover: a few unclosed brackets above the match were missing their closers */
    for (size_t d = 1; d <= MAX_RECOVER && d < L->nbr; d++)
        if (closer_of(L->br[L->nbr - 1 - d]) == c) {
            L->nbr -= d + 1;
            return;
        }
    /* else the close is a stray one: ignore it */
}

/* The condition of #if/#elif in s[a, b) (comments and blanks dropped, at most 127 chars):
 * 0 known false, 1 known true, -1 unknown. */
static int cond_value(const lexer *L, size_t a, size_t b)
{
    char t[128];
    size_t k = 0;
    for (size_t i = a; i < b && k + 1 < sizeof t;) {
        char c = L->s[i];
        if (c == '/' && i + 1 < b && (L->s[i + 1] == '*' || L->s[i + 1] == '/')) {
            if (L->s[i + 1] == '/') break;
            const char *e = NULL;
            for (size_t j = i + 2; j + 1 < b; j++)
                if (L->s[j] == '*' && L->s[j + 1] == '/') {
                    e = L->s + j + 2;
                    break;
                }
            if (!e) break;
            i = (size_t)(e - L->s);
            continue;
        }
        if (c == '\\' || c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            i++;
            continue;
        }
        t[k++] = c;
        i++;
    }
    t[k] = '\0';
    if (!strcmp(t, "0") || !strcmp(t, "(0)") || !strcmp(t, "0L") || !strcmp(t, "false")) return 0;
    if (!strcmp(t, "1") || !strcmp(t, "(1)")) return 1;
    /* __cplusplus alone, defined(__cplusplus), defined __cplusplus, optionally "&& ..." or a
     * comparison after __cplusplus; negated with '!' */
    const char *p = t;
    int neg = 0;
    if (*p == '!') neg = 1, p++;
    const char *rest = NULL;
    if (!strncmp(p, "defined(__cplusplus)", 20)) rest = p + 20;
    else if (!strncmp(p, "defined__cplusplus", 18)) rest = p + 18;
    else if (!neg && !strncmp(p, "__cplusplus", 11) && !is_ident((unsigned char)p[11])) rest = p + 11;
    if (!rest) return -1;
    int v = L->cpp ? !neg : neg;
    if (*rest == '\0') return v;
    if (!strncmp(rest, "&&", 2) && v == 0) return 0;
    if (!L->cpp && !neg && (*rest == '>' || *rest == '<' || *rest == '=')) return 0;
    return -1;
}

/* Does the condition s[a, b) mention __cplusplus? */
static int cond_is_cxx(const lexer *L, size_t a, size_t b)
{
    for (size_t i = a; i + 11 <= b; i++)
        if (L->s[i] == '_' && !memcmp(L->s + i, "__cplusplus", 11)) return 1;
    return 0;
}

/* The name after '#' in s[a, b): its extent in *na, *nl. */
static void directive_name(const lexer *L, size_t a, size_t b, size_t *na, size_t *nl)
{
    size_t i = a;
    for (;;) {
        while (i < b && (L->s[i] == ' ' || L->s[i] == '\t')) i++;
        size_t j = skip_splices(L->s, b, i);
        if (j == i) break;
        i = j;
    }
    *na = i;
    while (i < b && is_ident((unsigned char)L->s[i])) i++;
    *nl = i - *na;
}

static int name_is(const lexer *L, size_t na, size_t nl, const char *w)
{
    return strlen(w) == nl && memcmp(L->s + na, w, nl) == 0;
}

/* #ifdef/#ifndef NAME: known value of the test, or -1. */
static int ifdef_value(const lexer *L, size_t a, size_t b, int negate)
{
    size_t i = a;
    while (i < b && (L->s[i] == ' ' || L->s[i] == '\t')) i++;
    size_t j = i;
    while (j < b && is_ident((unsigned char)L->s[j])) j++;
    if (j - i == 11 && !memcmp(L->s + i, "__cplusplus", 11))
        return negate ? !L->cpp : L->cpp;
    return -1;
}

static void set_mode(lexer *L, int m)
{
    L->mode = m;
    L->active = m != G_SKIP;
}

static void snap(const lexer *L, char *dst, size_t *n)
{
    *n = L->nbr;
    size_t k = L->nbr < SNAP ? L->nbr : SNAP;
    if (L->nbr <= MAX_BRACKETS) memcpy(dst, L->br + L->nbr - k, k);
}

static void restore(lexer *L, const char *src, size_t n)
{
    L->nbr = n;
    size_t k = n < SNAP ? n : SNAP;
    if (n <= MAX_BRACKETS) memcpy(L->br + n - k, src, k);
}

/* Leave the current group of c: remember the taken group's end state. */
static void group_end(lexer *L, cond *c, size_t at)
{
    if (c->in_taken) {
        snap(L, c->end, &c->end_n);
        c->has_end = 1;
    } else if (c->mode == G_CHECK && c->has_end && L->nbr != c->end_n) {
        /* an alternative must leave the brackets as the taken group does
         * (#ifdef A if (a) { #else if (b) { #endif) */
        note(L->out, &L->out->brackets, "#if branches leave different brackets open", at);
    }
}

/* Enter a group of c whose condition has value v (1 true, 0 false, -1 unknown). */
static void group_begin(lexer *L, cond *c, int v)
{
    int m;
    if (c->outer == G_SKIP || v == 0) m = G_SKIP;
    else if (!c->taken) m = c->outer;
    else m = c->cxx ? G_SKIP : G_CHECK;
    c->in_taken = (unsigned char)(m != G_SKIP && !c->taken);
    if (c->in_taken) c->taken = 1;
    if (m == G_CHECK) restore(L, c->saved, c->saved_n);
    c->mode = (unsigned char)m;
    set_mode(L, m);
}

/* Brackets of an #if/#elif condition or a #define parameter list s[a, b): () must pair. */
static void check_parens(lexer *L, size_t a, size_t b, size_t at, const char *why)
{
    long d = 0;
    for (size_t i = a; i < b; i++) {
        char c = L->s[i];
        if (c == '/' && i + 1 < b && L->s[i + 1] == '/') break;
        if (c == '/' && i + 1 < b && L->s[i + 1] == '*') {
            size_t j = i + 2;
            while (j + 1 < b && !(L->s[j] == '*' && L->s[j + 1] == '/')) j++;
            i = j + 1;
            continue;
        }
        if (c == '"' || c == '\'') {
            size_t j = i + 1;
            while (j < b && L->s[j] != c && L->s[j] != '\n') j += L->s[j] == '\\' ? 2 : 1;
            i = j;
            continue;
        }
        if (c == '(') d++;
        else if (c == ')' && --d < 0) break;
    }
    if (d != 0) note(L->out, &L->out->brackets, why, at);
}

/* A directive ending at b, its name at s[na, na + nl). */
static void directive(lexer *L, size_t b, size_t na, size_t nl, size_t at)
{
    size_t ra = na + nl;
    int is_if = name_is(L, na, nl, "if"), is_ifdef = name_is(L, na, nl, "ifdef"),
        is_ifndef = name_is(L, na, nl, "ifndef");
    int is_elif = name_is(L, na, nl, "elif");
    if ((is_if && L->active) ||
        (is_elif && L->ncs && L->ncs <= MAX_CONDS && L->cs[L->ncs - 1].outer != G_SKIP))
        check_parens(L, ra, b, at, "unbalanced () in #if");
    if (name_is(L, na, nl, "define") && L->active) {
        size_t i = ra;
        while (i < b && (L->s[i] == ' ' || L->s[i] == '\t')) i++;
        while (i < b && is_ident((unsigned char)L->s[i])) i++;
        if (i < b && L->s[i] == '(') {
            size_t j = i;
            while (j < b && L->s[j] != ')') j++;
            if (j >= b) note(L->out, &L->out->brackets, "unclosed macro parameter list", at);
        }
        return;
    }
    if (is_if || is_ifdef || is_ifndef) {
        int v = is_if ? cond_value(L, ra, b) : ifdef_value(L, ra, b, is_ifndef);
        if (L->ncs < MAX_CONDS) {
            cond *c = &L->cs[L->ncs];
            c->outer = (unsigned char)L->mode;
            c->taken = 0;
            c->has_end = 0;
            c->cxx = (unsigned char)(v >= 0 && cond_is_cxx(L, ra, b));
            snap(L, c->saved, &c->saved_n);
            L->ncs++;
            group_begin(L, c, v);
        } else {
            L->ncs++;
        }
        return;
    }
    int is_else = name_is(L, na, nl, "else");
    is_elif = is_elif || name_is(L, na, nl, "elifdef") || name_is(L, na, nl, "elifndef");
    int is_endif = name_is(L, na, nl, "endif");
    if (!is_else && !is_elif && !is_endif) return;
    if (L->ncs == 0) {
        if (L->active)
            note(L->out, &L->out->conditionals, "#else/#elif/#endif without #if", at);
        return;
    }
    if (L->ncs > MAX_CONDS) {
        if (is_endif) L->ncs--;
        return;
    }
    cond *c = &L->cs[L->ncs - 1];
    group_end(L, c, at);
    if (is_endif) {
        /* go on from the taken group's end (or the state at #if when none was taken) */
        if (c->has_end) restore(L, c->end, c->end_n);
        else if (c->outer != G_SKIP) restore(L, c->saved, c->saved_n);
        int m = c->outer;
        L->ncs--;
        set_mode(L, m);
        return;
    }
    int v = is_else ? 1 : name_is(L, na, nl, "elif") ? cond_value(L, ra, b) : -1;
    if (v >= 0 && !is_else && cond_is_cxx(L, ra, b)) c->cxx = 1;
    group_begin(L, c, v);
}

/* The directive line from i (just after '#'): to its end, with comments and literals skipped
 * leniently. Returns the index of the ending newline (or n). */
static size_t directive_line(lexer *L, size_t i, size_t hash)
{
    const char *s = L->s;
    size_t n = L->n, a = i, na, nl;
    directive_name(L, a, n, &na, &nl);
    /* an #include "file without its closing quote is an error even where strings elsewhere
     * on directive lines are not checked (#error don't) */
    int strict = L->active && (name_is(L, na, nl, "include") || name_is(L, na, nl, "include_next") ||
                               name_is(L, na, nl, "import"));
    while (i < n && s[i] != '\n') {
        char c = s[i];
        if (c == '\\') {
            size_t j = skip_splices(s, n, i);
            i = j > i ? j : i + 1;
        } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
            i = block_comment(L, i + 2, i);
        } else if (c == '/' && i + 1 < n && s[i + 1] == '/') {
            i = line_comment(L, i + 2);
        } else if (c == '"' || c == '\'') {
            i = quoted(L, i + 1, c, strict && c == '"', i);
        } else if (c >= '0' && c <= '9') {
            while (i < n && (is_ident((unsigned char)s[i]) || s[i] == '.' ||
                             (s[i] == '\'' && i + 1 < n && is_ident((unsigned char)s[i + 1]))))
                i++;
        } else {
            i++;
        }
    }
    directive(L, i, na, nl, hash);
    return i;
}

void gates_csyntax_lex(const char *src, size_t len, int cpp, gates_csyntax *out)
{
    /* The lexer state is ~6 KiB: on the heap would need an ENOMEM path for no gain. */
    lexer L;
    memset(out, 0, sizeof *out);
    out->reason = "";
    L.s = src;
    L.n = len;
    L.cpp = cpp;
    L.out = out;
    L.nbr = 0;
    L.ncs = 0;
    set_mode(&L, G_ACTIVE);
    L.rescan = 0;
    L.prev = T_NONE;
    L.prev_a = L.prev_l = 0;
    L.close_kind = K_OTHER;
    L.ln_toks = L.ln_macro = 0;
    L.pending = 0;
    const char *s = src;
    size_t n = len, i = 0;
    int line_start = 1; /* only blanks since the last newline: '#' opens a directive */
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') {
            if (!line_start) semi_newline(&L, i);
            line_start = 1;
            i++;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            i++;
            continue;
        }
        if (c == '\\') {
            size_t j = skip_splices(s, n, i);
            i = j > i ? j : i + 1;
            continue;
        }
        if (c == '/' && i + 1 < n && s[i + 1] == '*') {
            i = block_comment(&L, i + 2, i);
            continue; /* a comment does not end "line start" ( / * x * / #define is valid) */
        }
        if (c == '/' && i + 1 < n && s[i + 1] == '/') {
            i = line_comment(&L, i + 2);
            continue;
        }
        if (c == '#' && line_start) {
            i = directive_line(&L, i + 1, i);
            L.pending = 0;
            L.prev = T_NONE;
            continue;
        }
        line_start = 0;
        if (c == '"' || c == '\'') {
            size_t a0 = i;
            i = quoted(&L, i + 1, (char)c, L.active, i);
            semi_token(&L, T_LIT, a0, i - a0);
            continue;
        }
        if ((c >= '0' && c <= '9') || (c == '.' && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9')) {
            /* pp-number: digits, letters, '.', exponent signs, digit separators */
            i++;
            while (i < n) {
                unsigned char d = (unsigned char)s[i];
                if (is_ident(d) || d == '.') i++;
                else if ((d == '+' || d == '-') &&
                         (s[i - 1] == 'e' || s[i - 1] == 'E' || s[i - 1] == 'p' || s[i - 1] == 'P'))
                    i++;
                else if (d == '\'' && i + 1 < n && is_ident((unsigned char)s[i + 1])) i += 2;
                else break;
            }
            semi_token(&L, T_NUM, i - 1, 0);
            continue;
        }
        if (is_ident(c)) {
            size_t a = i;
            while (i < n && is_ident((unsigned char)s[i])) i++;
            size_t l = i - a;
            /* retrun x; cosnt char *s: a misspelt keyword the parse may accept (as a type) */
            if (L.active && l >= 4 && typo_keyword(s + a, l, L.cpp))
                note(out, &out->keywords, "misspelt keyword", a);
            if (i < n && s[i] == '"' && s[i - 1] == 'R' &&
                (l == 1 || (l == 2 && strchr("LuU", s[a])) || (l == 3 && !memcmp(s + a, "u8", 2)))) {
                size_t e = raw_string(&L, i, L.active);
                if (e) {
                    i = e;
                    semi_token(&L, T_LIT, a, i - a);
                    continue;
                }
            }
            semi_token(&L, T_IDENT, a, l);
            continue;
        }
        if (L.active) {
            if (c == '(' || c == '[' || c == '{') bracket_open(&L, (char)c, open_kind(&L, (char)c));
            else if (c == ')' || c == ']' || c == '}') bracket_close(&L, (char)c, i);
        }
        if ((c == '+' || c == '-') && i + 1 < n && s[i + 1] == c) {
            semi_token(&L, T_INCDEC, i, 2);
            i += 2;
            continue;
        }
        semi_token(&L, c == ')' || c == ']' || c == '}' ? T_CLOSE : T_OTHER, i, 1);
        if (c == ']' || c == '}') L.close_kind = K_OTHER;
        i++;
    }
    if (L.nbr) note(out, &out->brackets, "unclosed bracket at the end of the file", len);
    if (L.ncs) note(out, &out->conditionals, "#if without #endif", len);
}

uint32_t gates_csyntax_total(const gates_csyntax *c)
{
    uint64_t t = (uint64_t)c->brackets + c->literals + c->comments + c->conditionals + c->keywords +
                 c->semicolons;
    return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

/* ---------------------------------------------------------------- tree-sitter errors */

/* An identifier that names a macro by convention: no lowercase letter and at least two
 * characters (EXPORT, LIST_FOREACH, XMLPUBFUN), an upper-case first word (DEFINE_STACK_OF,
 * IMPLEMENT_PEM_rw), or a reserved __name (__attribute__, __declspec). */
static int macro_like(const char *s, size_t n)
{
    if (n >= 2 && s[0] == '_' && s[1] == '_') return 1;
    if (n < 2) return 0;
    int upper = 0, lower = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '_' && i >= 2 && upper && !lower) return 1;
        lower |= s[i] >= 'a' && s[i] <= 'z';
        upper |= s[i] >= 'A' && s[i] <= 'Z';
    }
    if (!lower) return upper;
    /* a word of two or more capitals after an underscore: ZSTDLIBv06_API, static_ASN1_ITEM */
    for (size_t i = 0; i < n;) {
        if (s[i] != '_') {
            i++;
            continue;
        }
        size_t j = ++i, caps = 0;
        while (j < n && s[j] != '_' && !(s[j] >= 'a' && s[j] <= 'z')) caps += s[j] >= 'A' && s[j] <= 'Z', j++;
        if (caps >= 2 && j - i >= 2 && (j == n || s[j] == '_')) return 1;
        i = j;
    }
    return 0;
}

#define LOOK 512       /* bytes scanned around an error site */
#define MAX_SITES 4096 /* error sites judged per file */

static int blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The identifier ending at i (exclusive) after skipping blanks back, or at the '(' matching a
 * ')' there (the callee of FOO(x)). *a, *l its extent (l = 0: none); returns the index where
 * the scan stopped. */
static size_t skip_back(const char *s, size_t i, size_t lo)
{
    for (;;) {
        while (i > lo && blank(s[i - 1])) i--;
        if (i >= lo + 4 && s[i - 1] == '/' && s[i - 2] == '*') { /* a comment before */
            size_t j = i - 2;
            while (j > lo + 1 && !(s[j - 2] == '/' && s[j - 1] == '*')) j--;
            if (j <= lo + 1) return i;
            i = j - 2;
            continue;
        }
        return i;
    }
}

static size_t ident_back(const char *s, size_t i, size_t lo, size_t *a, size_t *l)
{
    *l = 0;
    i = skip_back(s, i, lo);
    if (i > lo && s[i - 1] == ')') {
        long d = 0;
        while (i > lo) {
            char c = s[--i];
            if (c == ')') d++;
            else if (c == '(' && --d == 0) break;
        }
        if (d != 0) return lo;
        while (i > lo && blank(s[i - 1])) i--;
    }
    size_t e = i;
    while (i > lo && is_ident((unsigned char)s[i - 1])) i--;
    if (e > i && !(s[i] >= '0' && s[i] <= '9')) {
        *a = i;
        *l = e - i;
    }
    return i;
}

/* Statement keywords that take a parenthesised head, and sizeof-like operators. */
static int is_keyword(const char *s, size_t n)
{
    static const char *const k[] = {"if", "while", "for", "switch", "return", "sizeof",
                                    "_Alignof", "alignof", "do", "else", "case", NULL};
    for (int i = 0; k[i]; i++)
        if (strlen(k[i]) == n && !memcmp(k[i], s, n)) return 1;
    return 0;
}

/* The site is inside the arguments of a call that is not a statement head: a macro taking
 * statements, types or operators (FOO( stmt; ), va_arg(ap, char *), CHECK(a, ==, b)); within
 * LOOK. */
static int open_call_is_macro(const char *s, size_t len, size_t at)
{
    size_t lo = at > LOOK ? at - LOOK : 0, i = at;
    long d = 0;
    while (i > lo) {
        char c = s[--i];
        if (c == ')') d++;
        else if (c == '(' && d-- == 0) {
            size_t j = i, a, l;
            while (j > lo && (blank(s[j - 1]) || s[j - 1] == '(')) j--;
            ident_back(s, j, lo, &a, &l);
            if (!l || is_keyword(s + a, l) || at >= len) return 0;
            /* a ';' in the arguments of a lower-case name is a misspelt for (fro(i = 0; ...)) */
            return macro_like(s + a, l) || s[at] != ';';
        } else if (c == '{' || c == '}') {
            return 0;
        }
    }
    return 0;
}

/* The logical line holding `at` is a directive (tree-sitter cannot parse conditionals that cut
 * through statements), or the nearest non-blank line before or after it is one. */
static int near_directive(const char *s, size_t len, size_t at)
{
    size_t lo = at > (1u << 14) ? at - (1u << 14) : 0, i = at;
    for (;;) { /* back to the start of the logical line (macro bodies can be long) */
        while (i > lo && s[i - 1] != '\n') i--;
        if (i >= lo + 2 && s[i - 2] == '\\') {
            i--;
            continue;
        }
        if (i >= lo + 3 && s[i - 2] == '\r' && s[i - 3] == '\\') {
            i--;
            continue;
        }
        break;
    }
    size_t j = i;
    while (j < len && (s[j] == ' ' || s[j] == '\t')) j++;
    if (j < len && s[j] == '#') return 1;
    lo = at > LOOK ? at - LOOK : 0;
    if (i < lo) i = lo;
    for (int back = 0; back < 3; back++) { /* the previous non-blank lines */
        size_t k = i;
        while (k > lo && blank(s[k - 1])) k--;
        if (k <= lo) break;
        size_t ls = k;
        while (ls > lo && s[ls - 1] != '\n') ls--;
        size_t f = ls;
        while (f < k && (s[f] == ' ' || s[f] == '\t')) f++;
        if (s[f] == '#') return 1;
        i = ls;
    }
    size_t e = at, hi = len - at > LOOK ? at + LOOK : len;
    for (int fwd = 0; fwd < 2; fwd++) { /* the next non-blank lines */
        while (e < hi && s[e] != '\n') e++;
        while (e < hi && blank(s[e])) e++;
        if (e < hi && s[e] == '#') return 1;
    }
    return 0;
}

/* Does s[a, b) (at most LOOK bytes of it) hold a macro-like identifier? */
static int span_has_macro(const char *s, size_t a, size_t b)
{
    if (b - a > LOOK) b = a + LOOK;
    for (size_t i = a; i < b;) {
        if (is_ident((unsigned char)s[i]) && !(s[i] >= '0' && s[i] <= '9')) {
            size_t j = i;
            while (j < b && is_ident((unsigned char)s[j])) j++;
            if (macro_like(s + i, j - i)) return 1;
            i = j;
        } else if (s[i] >= '0' && s[i] <= '9') {
            while (i < b && is_ident((unsigned char)s[i])) i++;
        } else {
            i++;
        }
    }
    return 0;
}

/* An error site looks like a macro use when a macro-like identifier is one of the two before it
 * (or the callee of a call just before it), inside the ERROR node, next on the same line, or the
 * callee of the call the site is inside; or when it touches a directive line. */
/* The first identifier in s[a, b), or after b on the same line when b == a; *l = 0: none. */
static void ident_at(const char *s, size_t len, size_t a, size_t b, size_t *ia, size_t *il)
{
    size_t e = a, hi = b > a ? b : (len - a > 80 ? a + 80 : len);
    *il = 0;
    while (e < hi && s[e] != '\n' && !(is_ident((unsigned char)s[e]) && !(s[e] >= '0' && s[e] <= '9')))
        e++;
    if (e >= hi || s[e] == '\n') return;
    size_t f = e;
    while (f < len && is_ident((unsigned char)s[f])) f++;
    *ia = e;
    *il = f - e;
}

/* The text at a starts with a C type keyword. */
static int type_keyword_at(const char *s, size_t len, size_t a)
{
    static const char *const k[] = {"char", "int", "void", "unsigned", "signed", "short", "long",
                                    "const", "struct", "union", "enum", "float", "double",
                                    "static", "volatile", "size_t", NULL};
    for (int i = 0; k[i]; i++) {
        size_t l = strlen(k[i]);
        if (a + l <= len && !memcmp(s + a, k[i], l) && (a + l == len || !is_ident((unsigned char)s[a + l])))
            return 1;
    }
    return 0;
}

static int decl_macro(const char *s, size_t n)
{
    /* lower-case declaration macros common enough to know by name (zlib's local) */
    return (n == 5 && !memcmp(s, "local", 5)) || memchr(s, '_', n) != NULL;
}

static int site_is_macro(const char *src, size_t len, size_t a, size_t b, int missing, int cpp)
{
    size_t ia, il;
    if (b > len) b = len;
    if (a > b) a = b;
    size_t lo = a > LOOK ? a - LOOK : 0;
    /* a misspelt keyword at, just before or just after the site is an error whatever else */
    size_t ta, tl;
    ident_at(src, len, a, b, &ta, &tl);
    if (tl && typo_keyword(src + ta, tl, cpp)) return -1;
    ident_at(src, len, b, b, &ta, &tl);
    if (tl && typo_keyword(src + ta, tl, cpp)) return -1;
    size_t i = ident_back(src, a, lo, &ia, &il);
    if (il && typo_keyword(src + ia, il, cpp)) return -1;
    if (il && macro_like(src + ia, il)) return 1;
    if (il && !missing && decl_macro(src + ia, il) &&
        (type_keyword_at(src, len, a) || (a < len && is_ident((unsigned char)src[a]))))
        return 1;
    for (int back = 0; il && back < 2; back++) {
        i = ident_back(src, i, lo, &ia, &il);
        if (il && macro_like(src + ia, il)) return 1;
    }
    if (span_has_macro(src, a, b)) return 1;
    /* NAME(args) { ... }: a loop macro (json_object_foreach(o, k, v) {) */
    size_t q = b;
    while (q < len && q - b < 80 && blank(src[q])) q++;
    size_t p = skip_back(src, a, lo);
    if (q < len && src[q] == '{' && p > lo && src[p - 1] == ')') return 1;
    size_t e = b;
    while (e < len && e - b < 80 && src[e] != '\n' && !is_ident((unsigned char)src[e])) e++;
    if (e < len && is_ident((unsigned char)src[e])) {
        size_t f = e;
        while (f < len && is_ident((unsigned char)src[f])) f++;
        if (macro_like(src + e, f - e)) return 1;
    }
    return open_call_is_macro(src, len, a) || near_directive(src, len, a);
}

/* C++ in a file parsed as C (headers of C++ libraries are .h): tree-sitter-c cannot judge it. */
static int looks_cxx(const char *s, size_t n)
{
    static const char *const marks[] = {"template <", "template<", "namespace ", "public:",
                                        "private:", "::", "class ", NULL};
    size_t m = n < (1u << 20) ? n : (1u << 20);
    for (int k = 0; marks[k]; k++) {
        size_t l = strlen(marks[k]);
        const char *p = s, *e = s + m;
        while (p + l <= e && (p = memchr(p, marks[k][0], (size_t)(e - p))) != NULL) {
            if (p + l <= e && !memcmp(p, marks[k], l)) return 1;
            p++;
        }
    }
    return 0;
}

/* An ERROR of nothing but closing brackets and ';' (the lexer judges brackets). */
static int only_closers(const char *s, size_t a, size_t b)
{
    if (b - a > LOOK) return 0;
    for (size_t i = a; i < b; i++)
        if (!blank(s[i]) && s[i] != '}' && s[i] != ')' && s[i] != ']' && s[i] != ';') return 0;
    return 1;
}

void gates_csyntax_tree(TSNode root, const char *src, size_t len, int cpp, gates_csyntax *out)
{
    if (!ts_node_has_error(root)) return;
    if (!cpp && looks_cxx(src, len)) return;
    TSTreeCursor c = ts_tree_cursor_new(root);
    unsigned sites = 0;
    for (;;) {
        TSNode n = ts_tree_cursor_current_node(&c);
        int is_err = ts_node_symbol(n) == (TSSymbol)-1, miss = ts_node_is_missing(n);
        if (is_err || miss) {
            size_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
            const char *t = miss ? ts_node_type(n) : "";
            /* the lexer owns brackets and conditionals: a MISSING closer or #endif is the parse
             * losing its way in code the preprocessor would have cut */
            int closer = miss ? !strcmp(t, "}") || !strcmp(t, "#endif") : only_closers(src, a, b);
            int v = closer || ++sites > MAX_SITES ? 1 : site_is_macro(src, len, a, b, miss, cpp);
            if (v == -1 && !out->keywords)
                note(out, &out->keywords, "misspelt keyword", a);
            else if (v == 0) {
                if (!out->tree) {
                    out->tree = 1;
                    out->tree_offset = a;
                }
                /* a lexer candidate for a dropped ';' at the same place: both agree */
                for (uint32_t k = 0; k < out->nsemi && !out->semicolons; k++)
                    if (a >= out->semi_at[k][0] && a <= out->semi_at[k][1])
                        note(out, &out->semicolons, "missing ';'", out->semi_at[k][0]);
            }
            if (out->keywords && out->semicolons) break; /* one of each is enough */
        } else if (ts_node_has_error(n) && ts_tree_cursor_goto_first_child(&c)) {
            continue;
        }
        /* next: sibling, or up */
        for (;;) {
            if (ts_tree_cursor_goto_next_sibling(&c)) break;
            if (!ts_tree_cursor_goto_parent(&c)) {
                ts_tree_cursor_delete(&c);
                return;
            }
        }
    }
    ts_tree_cursor_delete(&c);
}
