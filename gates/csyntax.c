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
 * 3. Token rules of the lexer that no macro explains (expr_token, comment_swallows):
 *      chars         @ or ` in code, a backslash that splices no line,
 *      exprs         token pairs no C expression has: an operator before ; or ) (a + ;),
 *                    two binary operators in a row (a << << b), a literal assigned to
 *                    (1 = x), two operands with nothing between (f(a "s"), 0 x, f(a NULL),
 *                    f(a b) in call arguments in a function body, {a b} in an initializer,
 *                    f(int a char *b) in a parameter list, f(a MACRO) where the macro ends
 *                    the argument). A name the file #defines, a macro by convention, a
 *                    keyword or a string prefix is never an operand; the arguments of a
 *                    macro call, MSVC _asm, and conditional groups of prose (#if N != 8
 *                    Sorry, ... #endif) are skipped; C++ (cpp, or its marks in a .h) turns
 *                    off the rules templates and references break,
 *      comments      a block comment holding a line of code and another comment's opening
 *                    (its own closing was lost),
 *      keywords      short misspelt keywords where the keyword would stand (nit x;
 *                    fi (a) b; od {),
 *      semicolons    a statement block closed after an operand (f(x) }), and strong
 *                    candidates: a statement that starts with a plain name or a declaration
 *                    keyword, ends its line in an operand or a call, and a next line that
 *                    starts with a plain name or a statement/declaration keyword; at file
 *                    scope two declarations. A lower-case statement macro used without ';'
 *                    (sqlite's testcase(x)) is the known false positive.
 *
 * Everything is bounded: the bracket stack is fixed-size (deeper nesting is only counted), the
 * conditional stack likewise, lone-quote re-scans are capped at the text length, and at most
 * MAX_SITES tree-sitter sites are judged, each within a constant window.
 */
#include "gates_int.h"

#include <string.h>

static int blank(char c);

#define MAX_BRACKETS 4096 /* typed stack; deeper brackets are counted, untyped */
#define MAX_CONDS 256     /* conditional nesting tracked; deeper is treated as one level */
#define DEFS_BITS 8192 /* Bloom filter of the names the file #defines */
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
    int pending_strong;    /* ... and the statement there starts with a plain name */
    int st_t, st_new;      /* T_* of the current statement's first token; 1: next token starts one */
    size_t st_a, st_l;
    /* impossible token pairs (expr_*): the two previous tokens in code read (X_*) */
    int xk, xk2;
    size_t xa, xl, xa2, xl2;
    int cxx;               /* C++ (cpp, or C++ in a file read as c): no token-pair rule that
                              templates or rvalue references break */
    size_t asm_until;      /* an MSVC `_asm op` line: no pair rules before this offset */
    size_t xfind;          /* 1 + offset of a token-pair finding not yet counted: one in a
                              conditional group of prose (#if N != 8 \n Sorry, ... #endif, no
                              ';', '{' or '}' in it) is dropped at the #else/#endif */
    int grp_stmt;          /* ';', '{' or '}' seen since the last directive */
    int xck;               /* the kind of the bracket the previous token closed (K_*) */
    size_t xpend;          /* 1 + offset of `a MACRO` in call arguments: an error when the
                              argument ends there (0: none) */
    unsigned char defs[DEFS_BITS / 8]; /* names #defined so far (a Bloom filter, 2 bits) */
} lexer;

/* Token kinds for the dropped-';' check, and bracket kinds. */
enum { T_NONE = 0, T_IDENT, T_NUM, T_LIT, T_CLOSE, T_INCDEC, T_OTHER };
enum { K_PLAIN = 0, K_STMT, K_MACRO, K_BLOCK, K_OTHER, K_CALL, K_INIT, K_ENUM, K_ASM, K_TYPO, K_GROUP };
/* Token kinds for the token-pair rules (expr_token). */
enum { X_NONE = 0, X_IDENT, X_NUM, X_STR, X_CHR, X_OP, X_OPEN, X_CLOSE };

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

/* A block comment s[a, b) in code that holds another comment's opening after a line of code
 * (ending in ';', '{' or '}' after the comment's first line): a comment whose closing was lost,
 * running on to the next comment's end over the code between. */
static void comment_swallows(lexer *L, size_t a, size_t b)
{
    const char *s = L->s;
    if (b - a < 8) return;
    const char *o = NULL;
    for (const char *p = s + a + 2; p + 1 < s + b - 2; p++)
        if (p[0] == '/' && p[1] == '*') {
            o = p;
            break;
        }
    if (!o) return;
    /* a code line between the first line of the comment and the inner opening */
    const char *nl = memchr(s + a, '\n', (size_t)(o - (s + a)));
    while (nl && nl < o) {
        const char *e = memchr(nl + 1, '\n', (size_t)(o - nl - 1));
        const char *end = e ? e : o;
        const char *t = end;
        while (t > nl + 1 && blank(t[-1])) t--;
        if (t > nl + 1 && (t[-1] == ';' || t[-1] == '{' || t[-1] == '}')) {
            note(L->out, &L->out->comments, "comment opening inside a comment", a);
            return;
        }
        nl = e;
    }
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
static int looks_cxx(const char *s, size_t n);
static int c_keyword(const char *s, size_t n);
static int stmt_keyword(const char *s, size_t n);
static int decl_keyword(const char *s, size_t n);
struct lexer;
static int is_macro(const struct lexer *L, const char *s, size_t n);

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
        /* an alternative group: no ';' candidates, but bracket kinds need the previous token */
        L->pending = 0;
        if (L->active) {
            L->prev = t;
            L->prev_a = a;
            L->prev_l = l;
        }
        return;
    }
    if (L->pending) {
        gates_csyntax *o = L->out;
        if (t == T_IDENT && !word_is(L->s + a, l, "else") && o->nsemi < GATES_CSYNTAX_SEMI) {
            o->semi_at[o->nsemi][0] = L->pending - 1;
            o->semi_at[o->nsemi][1] = a;
            /* strong: the next line starts with a plain name or a statement keyword too */
            int next = L->pending_strong == 2
                           ? decl_keyword(L->s + a, l) || word_is(L->s + a, l, "typedef")
                           : !is_macro(L, L->s + a, l) &&
                                 (!c_keyword(L->s + a, l) || stmt_keyword(L->s + a, l) ||
                                  decl_keyword(L->s + a, l));
            o->nsemi++;
            /* strong: no tree-sitter site needed (it takes f(x)\ng(y); for a declaration) */
            if (L->pending_strong && next) note(o, &o->semicolons, "missing ';'", L->pending - 1);
        }
        L->pending = 0;
    }
    if (L->st_new) {
        L->st_t = t;
        L->st_a = a;
        L->st_l = l;
        L->st_new = 0;
    }
    if (t == T_OTHER && l == 1 && L->s[a] == ';') L->st_new = 1;
    if ((t == T_OTHER || t == T_CLOSE) && l == 1 && (L->s[a] == '{' || L->s[a] == '}')) L->st_new = 1;
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
        else if (t == T_CLOSE)
            want = L->close_kind == K_PLAIN || L->close_kind == K_CALL || L->close_kind == K_GROUP;
    }
    /* a strong candidate: the statement starts with a plain name (a call or an assignment),
     * return or a declaration keyword, not with a macro (a lower-case statement macro is
     * still the known miss), and the line does not end in a keyword */
    size_t j = L->st_a + L->st_l;
    const char *st = L->s + L->st_a;
    while (j < L->n && blank(L->s[j])) j++;
    int dbl = j + 1 < L->n && L->s[j] == '(' && L->s[j + 1] == '('; /* Trace((fmt, x)): a macro */
    int last_kw = t == T_IDENT && c_keyword(L->s + L->prev_a, L->prev_l);
    L->pending_strong = want && L->st_t == T_IDENT && !L->st_new && !dbl && !last_kw &&
                        !(t == T_CLOSE && L->close_kind == K_GROUP) && /* x = (T *)\n y; */
                        !is_macro(L, st, L->st_l) &&
                        (!c_keyword(st, L->st_l) || word_is(st, L->st_l, "return") ||
                         decl_keyword(st, L->st_l));
    /* at file scope: a declaration that ends in a name, a number, a literal or ']' and a line
     * that starts another declaration (static int a\nstatic int b;); not after ')', which
     * K&R parameter declarations follow */
    if (!want && L->ln_toks && L->mode == G_ACTIVE && L->nbr == 0 && L->st_t == T_IDENT &&
        !L->st_new && (decl_keyword(st, L->st_l) || !is_macro(L, st, L->st_l)) &&
        (t == T_NUM || t == T_LIT || (t == T_CLOSE && L->s[L->prev_a] == ']') ||
         (t == T_IDENT && !last_kw && !is_macro(L, L->s + L->prev_a, L->prev_l)))) {
        want = 1;
        L->pending_strong = 2;
    }
    L->pending = want ? at + 1 : 0;
    L->ln_toks = 0;
    L->ln_macro = 0;
}

/* A C (or common C++) keyword: never a macro name, a callee or a value. */
static int c_keyword(const char *s, size_t n)
{
    static const char *const k[] = {
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
        "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
        "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch",
        "typedef", "union", "unsigned", "void", "volatile", "while", "_Bool", "_Complex",
        "_Alignas", "_Alignof", "_Atomic", "_Generic", "_Noreturn", "_Static_assert",
        "_Thread_local", "asm", "typeof", "bool", "class", "namespace", "template", "typename",
        "public", "private", "protected", "virtual", "using", "new", "delete", "throw", "try",
        "catch", "operator", "friend", "explicit", "nullptr", "this", "true", "false",
        "constexpr", "decltype", "noexcept", "static_assert", "alignof", "alignas", "mutable",
        "co_return", "co_await", "co_yield", "override", "final", "static_cast",
        "dynamic_cast", "const_cast", "reinterpret_cast", NULL};
    if (n < 2 || n > 16) return 0;
    for (int i = 0; k[i]; i++)
        if (word_is(s, n, k[i])) return 1;
    return 0;
}

/* The length of the punctuator at s[i] (1 for any other character). */
static size_t punct_len(const char *s, size_t n, size_t i)
{
    static const char *const p3[] = {"<<=", ">>=", "...", "->*", NULL};
    static const char *const p2[] = {"->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=",
                                     "&&", "||", "*=", "/=", "%=", "+=", "-=", "&=", "^=",
                                     "|=", "##", "::", NULL};
    for (int k = 0; p3[k]; k++)
        if (i + 3 <= n && !memcmp(s + i, p3[k], 3)) return 3;
    for (int k = 0; p2[k]; k++)
        if (i + 2 <= n && !memcmp(s + i, p2[k], 2)) return 2;
    return 1;
}

/* A binary-only operator (no unary or declarator use: not * & ! ~ ++ --; < > and >> only for
 * C, where they close no template). */
static int binary_op(const char *s, size_t l, int cpp)
{
    static const char *const ops[] = {"/", "%", "<<", "<=", ">=", "==", "!=", "&&", "||", "|",
                                      "^", "=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
                                      "<<=", ">>=", "?", "+", "-", NULL};
    if (!cpp && (word_is(s, l, "<") || word_is(s, l, ">") || word_is(s, l, ">>"))) return 1;
    for (int k = 0; ops[k]; k++)
        if (word_is(s, l, ops[k])) return 1;
    return 0;
}

static int assign_op(const char *s, size_t l)
{
    return (l == 1 && s[0] == '=') || (l >= 2 && s[l - 1] == '=' && strchr("+-*/%&|^<>", s[0]) &&
                                       !word_is(s, l, "<=") && !word_is(s, l, ">="));
}

/* A name a string literal may stand next to: a macro (PRIu64 and the like too). */
static int string_macro(const lexer *L, const char *s, size_t n)
{
    return is_macro(L, s, n) || (n >= 4 && (!memcmp(s, "PRI", 3) || !memcmp(s, "SCN", 3)));
}

static uint32_t name_hash(const char *s, size_t n, uint32_t h)
{
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void def_add(lexer *L, const char *s, size_t n)
{
    uint32_t a = name_hash(s, n, 2166136261u) % DEFS_BITS, b = name_hash(s, n, 33u) % DEFS_BITS;
    L->defs[a / 8] |= (unsigned char)(1u << (a % 8));
    L->defs[b / 8] |= (unsigned char)(1u << (b % 8));
}

/* A macro by convention, or a name the file #defines (before this point). */
static int is_macro(const lexer *L, const char *s, size_t n)
{
    if (macro_like(s, n)) return 1;
    if (n >= 2 && s[0] == '_' && s[1] >= 'A' && s[1] <= 'Z') return 1; /* reserved: _In_z_ */
    uint32_t a = name_hash(s, n, 2166136261u) % DEFS_BITS, b = name_hash(s, n, 33u) % DEFS_BITS;
    return (L->defs[a / 8] >> (a % 8) & 1) && (L->defs[b / 8] >> (b % 8) & 1);
}

/* A reserved name that is a function, not a macro or a compiler keyword taking non-expressions:
 * __xmlRaiseError(...), as opposed to __attribute__, __declspec, __builtin_offsetof, __asm. */
static int reserved_function(const char *s, size_t n)
{
    if (n < 3 || s[0] != '_' || s[1] != '_') return 0;
    static const char *const pre[] = {"__attribute", "__declspec", "__builtin", "__typeof",
                                      "__asm", "__extension", "__alignof", "__has_", "__pragma",
                                      "__VA_", "__cplusplus", "__declspec", NULL};
    for (int k = 0; pre[k]; k++)
        if (n >= strlen(pre[k]) && !memcmp(s, pre[k], strlen(pre[k]))) return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] >= 'a' && s[i] <= 'z') return 1;
    return 0;
}

/* The null pointer and boolean constants: values, although macros. */
static int value_name(const char *s, size_t n)
{
    return word_is(s, n, "NULL") || word_is(s, n, "nullptr") || word_is(s, n, "true") ||
           word_is(s, n, "false") || word_is(s, n, "TRUE") || word_is(s, n, "FALSE");
}

/* A type keyword that starts a declaration (not const/volatile, which may follow a type). */
static int type_start(const char *s, size_t n)
{
    static const char *const k[] = {"char", "int", "void", "struct", "union", "enum", "unsigned",
                                    "signed", "long", "short", "float", "double", "_Bool",
                                    NULL};
    for (int i = 0; k[i]; i++)
        if (word_is(s, n, k[i])) return 1;
    return 0;
}

/* Some open bracket is a macro's arguments or an inline-assembly block: anything goes. */
static int in_macro(const lexer *L)
{
    /* the innermost 64 brackets: a bounded cost per token however deep the nesting */
    size_t d = L->nbr < MAX_BRACKETS ? L->nbr : MAX_BRACKETS, lo = d > 64 ? d - 64 : 0;
    for (size_t k = d; k > lo; k--)
        if (L->bk[k - 1] == K_MACRO || L->bk[k - 1] == K_ASM) return 1;
    return 0;
}

/* Some open bracket is a statement block: the tokens are inside a function body. */
static int in_body(const lexer *L)
{
    /* the outermost 64 brackets (a function body is one of the first) */
    size_t d = L->nbr < MAX_BRACKETS ? L->nbr : MAX_BRACKETS;
    for (size_t k = 0; k < d && k < 64; k++)
        if (L->bk[k] == K_BLOCK) return 1;
    return 0;
}

/* C++ in a file read as c, for the token-pair rules: stronger marks than looks_cxx (whose
 * "class " and "::" are common in C comments). */
static int cxx_marks(const char *s, size_t n)
{
    static const char *const marks[] = {"template <", "template<", "public:", "private:",
                                        "std::", "&&) = ", NULL};
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

/* A fall-through annotation macro (sqlite's deliberate_fall_through, fallthrough): a statement
 * that takes no ';'. */
static int fallthrough(const char *s, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i++)
        if (!memcmp(s + i, "fall", 4)) return 1;
    return 0;
}

/* A value macro that may stand after a value only where it is an argument of its own (not an
 * extra-arguments macro: f(a ParseCTX_PARAM), f(a TSRMLS_CC)): all capitals. */
static int value_macro(const char *s, size_t n)
{
    static const char *const suf[] = {"_CC", "_DC", "_PARAM", "_PARAMS", "_ARG", "_ARGS",
                                      "_PDECL", "_DECL", NULL};
    if (n < 2 || (s[0] == '_' && s[1] == '_')) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 'a' && s[i] <= 'z') return 0;
    for (int k = 0; suf[k]; k++) {
        size_t m = strlen(suf[k]);
        if (n > m && !memcmp(s + n - m, suf[k], m)) return 0;
    }
    return macro_like(s, n);
}

/* A token-pair finding at `at`: counted at the next directive or the end of the file, unless
 * the conditional group it is in holds prose (see lexer.xfind). */
static void expr_find(lexer *L, size_t at)
{
    if (!L->xfind) L->xfind = at + 1;
}

static void expr_flush(lexer *L, int group_ends)
{
    if (L->xfind && !(group_ends && !L->grp_stmt && L->ncs))
        note(L->out, &L->out->exprs, "impossible token pair", L->xfind - 1);
    L->xfind = 0;
    L->grp_stmt = 0;
}

/* Token pairs that no C expression has, whatever the macros (they are judged only outside
 * directive lines, where a macro's parameters could be anything):
 *   an operator with no right operand   a + ;   x = ;   return - ;   f(a - )
 *   a literal assigned to               1 = x   x + 1 = y   "s" += t
 *   two operands with no operator       1 x   'c' 2   f(a "s")   x 1   f(a NULL)
 *   a name before a type keyword        f(int a char *b)   f(char *a b_t c)
 *   and two names in call arguments in a function body, in an initializer or in an enum
 *   body, or after a ',' in a block:    f(a b)   {a b}   int i, j k;
 * A name is fine next to a literal when it is a keyword (return 1, extern "C"), a macro by
 * convention or #defined in the file (10 KB, "%" PRIu64) or a string prefix (L"x"). Inside a
 * macro's arguments only pairs of literals count. */
static void expr_token(lexer *L, int k, size_t a, size_t l)
{
    if (!L->active) {
        L->xk = L->xk2 = X_NONE;
        return;
    }
    const char *s = L->s, *p = s + L->xa, *q = s + a, *p2 = s + L->xa2;
    size_t pl = L->xl, pl2 = L->xl2;
    int pk = L->xk, k2 = L->xk2, bad = 0, names = 0;
    if (L->xpend) { /* f(a MACRO) f(a MACRO, b): a value macro after a value */
        if ((k == X_CLOSE && *q == ')') || (k == X_OP && *q == ',' && l == 1) || (k == X_CLOSE && *q == '}'))
            expr_find(L, L->xpend - 1);
        L->xpend = 0;
    }
    if (k == X_IDENT && (word_is(q, l, "_asm") || word_is(q, l, "__asm"))) {
        size_t j = a + l;
        while (j < L->n && blank(s[j])) j++;
        const char *e = memchr(q, '\n', L->n - a);
        if (j < L->n && s[j] != '{' && s[j] != '(') L->asm_until = e ? (size_t)(e - s) : L->n;
    }
    if (a < L->asm_until) {
        L->xk = L->xk2 = X_NONE;
        return;
    }
    if ((k == X_OP && *q == ';') || k == X_OPEN || k == X_CLOSE) L->grp_stmt |= *q == ';' || *q == '{' || *q == '}';
    /* an operand: a literal, NULL, or a name that is no macro and no keyword */
    int p_val = pk == X_IDENT && value_name(p, pl), q_val = k == X_IDENT && value_name(q, l);
    int p_name = pk == X_IDENT && !p_val && !is_macro(L, p, pl) && !c_keyword(p, pl);
    int q_name = k == X_IDENT && !q_val && !is_macro(L, q, l) && !c_keyword(q, l);
    int p_lit = pk == X_NUM || pk == X_CHR || pk == X_STR || p_val;
    int q_lit = k == X_NUM || k == X_CHR || k == X_STR || q_val;
    if (pk == X_OP && k == X_OP && l == 1 && *q == ';') {
        bad = binary_op(p, pl, L->cxx) ||
              (!L->cxx && (word_is(p, pl, "*") || word_is(p, pl, "&"))) ||
              word_is(p, pl, "!") || word_is(p, pl, "~") || word_is(p, pl, ".") ||
              word_is(p, pl, "->") || (!L->cxx && (word_is(p, pl, "<") || word_is(p, pl, ">")));
    } else if (pk == X_OP && k == X_OP && binary_op(p, pl, L->cxx) && binary_op(q, l, L->cxx) &&
               !word_is(q, l, "+") && !word_is(q, l, "-") && !word_is(p, pl, "?") &&
               !word_is(q, l, "?") && !(L->cxx && word_is(p, pl, "&&"))) { /* f() && = delete */
        bad = 1; /* a << << b: an operand dropped between two binary operators */
    } else if (pk == X_OP && k == X_CLOSE && binary_op(p, pl, L->cxx) &&
               !(L->cxx && word_is(p, pl, "&&"))) {
        /* the operator follows an operand (not '(' or ',': OP(<) passes an operator) */
        if (k2 == X_NUM || k2 == X_STR || k2 == X_CHR ||
            (k2 == X_CLOSE && (*p2 == ')' || *p2 == ']')) ||
            (k2 == X_IDENT && !c_keyword(p2, pl2)))
            bad = !(*q == ')' && L->close_kind == K_MACRO && assign_op(p, pl)); /* TESTONLY(rc = ) */
    } else if (k == X_OP && assign_op(q, l) && (pk == X_NUM || pk == X_STR || pk == X_CHR)) {
        bad = 1;
    } else if (p_lit && q_lit) {
        bad = !(pk == X_STR && k == X_STR) && !(p_val && q_val);
    } else if ((pk == X_NUM || pk == X_CHR) && k == X_IDENT) {
        bad = names = !is_macro(L, q, l) && !c_keyword(q, l);
    } else if (pk == X_STR && k == X_IDENT) {
        bad = names = !string_macro(L, q, l) && !c_keyword(q, l) &&
                      !(k2 == X_IDENT && word_is(p2, pl2, "operator")) && /* operator"" _a */
                      !(L->cxx && a == L->xa + pl && *q == '_'); /* "x"_sv */
    } else if (pk == X_IDENT && (k == X_NUM || k == X_CHR || k == X_STR)) {
        int prefix = a == L->xa + pl && (word_is(p, pl, "L") || word_is(p, pl, "u") ||
                                        word_is(p, pl, "U") || word_is(p, pl, "u8"));
        bad = names = !prefix && !string_macro(L, p, pl) && !c_keyword(p, pl) &&
                      !(k2 == X_IDENT && word_is(p2, pl2, "operator"));
    } else if ((p_name || p_val) && (q_name || q_val) && !L->cxx) {
        int bk = L->nbr && L->nbr <= MAX_BRACKETS ? L->bk[L->nbr - 1] : -1;
        int br = L->nbr && L->nbr <= MAX_BRACKETS ? L->br[L->nbr - 1] : 0;
        int k2_kw = k2 == X_IDENT && c_keyword(p2, pl2);
        names = 1;
        if (p_val || q_val) bad = 1;
        else if ((bk == K_CALL && in_body(L)) || bk == K_INIT || bk == K_ENUM) bad = !k2_kw;
        else if (br == '(' && k2 == X_OP && word_is(p2, pl2, "*")) bad = 1; /* (a_t *a b_t *b) */
        else if ((br == '{' || !br) && k2 == X_OP && word_is(p2, pl2, ",")) bad = 1; /* int a, b c; */
    } else if (p_name && k == X_IDENT && type_start(q, l) && L->nbr && L->nbr <= MAX_BRACKETS &&
               L->br[L->nbr - 1] == '(') {
        /* a parameter's name before the next parameter's type: f(int a char b) */
        int k2_type = (k2 == X_IDENT && type_start(p2, pl2)) || (k2 == X_OP && word_is(p2, pl2, "*")) ||
                      (k2 == X_IDENT && !c_keyword(p2, pl2) && !is_macro(L, p2, pl2));
        bad = names = k2_type;
    } else if (p_name && k == X_IDENT && (word_is(q, l, "const") || word_is(q, l, "volatile")) &&
               !L->cxx &&
               L->nbr && L->nbr <= MAX_BRACKETS && L->br[L->nbr - 1] == '(' &&
               ((k2 == X_IDENT && type_start(p2, pl2) && !word_is(p2, pl2, "struct") &&
                 !word_is(p2, pl2, "union") && !word_is(p2, pl2, "enum")) ||
                (k2 == X_OP && word_is(p2, pl2, "*")))) {
        bad = names = 1; /* f(int a const char *b) */
    } else if ((p_name || pk == X_NUM || pk == X_CHR ||
                (pk == X_CLOSE && (*p == ']' || (*p == ')' && L->xck == K_CALL)))) &&
               k == X_IDENT && value_macro(q, l) &&
               !(k2 == X_IDENT && is_macro(L, p2, pl2)) &&
               !(q[0] == '_' && q[1] == '_') && !c_keyword(q, l) && !in_macro(L) &&
               L->nbr && L->nbr <= MAX_BRACKETS &&
               ((L->bk[L->nbr - 1] == K_CALL && in_body(L)) || L->bk[L->nbr - 1] == K_INIT)) {
        L->xpend = L->xa + 1;
    }
    /* a statement block closed after an operand or a call: a dropped ';' (x = f(a) }, return 1 }),
     * unless a macro ends the statement (Py_END_ALLOW_THREADS }, FOREACH(x) }) */
    if (k == X_CLOSE && *q == '}' && L->close_kind == K_BLOCK && !L->cxx) {
        int semi = pk == X_NUM || pk == X_STR || pk == X_CHR ||
                   (pk == X_IDENT && !is_macro(L, p, pl) && !fallthrough(p, pl) &&
                    (!c_keyword(p, pl) || word_is(p, pl, "break") || word_is(p, pl, "continue") ||
                     word_is(p, pl, "return"))) ||
                   (pk == X_CLOSE && *p == ']') ||
                   (pk == X_CLOSE && *p == ')' &&
                    (L->xck == K_PLAIN || L->xck == K_CALL || L->xck == K_GROUP)) ||
                   (pk == X_OP && (word_is(p, pl, "++") || word_is(p, pl, "--")));
        if (semi && !in_macro(L)) note(L->out, &L->out->semicolons, "missing ';' before '}'", L->xa + pl);
    }
    /* short misspelt keywords, where they stand as the keyword would: nit x; (nit)y;
     * fi (a) b = 1; fro (i = 0; ...) {; od { */
    if (pk == X_IDENT && (word_is(p, pl, "nit") || word_is(p, pl, "itn")) &&
        ((k == X_IDENT && !c_keyword(q, l)) ||
         (k == X_CLOSE && *q == ')' && k2 == X_OPEN && *p2 == '(')))
        note(L->out, &L->out->keywords, "misspelt keyword", L->xa);
    if (pk == X_IDENT && word_is(p, pl, "od") && k == X_OPEN && *q == '{')
        note(L->out, &L->out->keywords, "misspelt keyword", L->xa);
    if (pk == X_CLOSE && *p == ')' && L->close_kind == K_TYPO &&
        ((k == X_IDENT && !is_macro(L, q, l)) || (k == X_OPEN && *q == '{')))
        note(L->out, &L->out->keywords, "misspelt keyword", L->xa);
    if (bad && !(names && in_macro(L))) expr_find(L, L->xa);
    if (k == X_CLOSE) L->xck = L->close_kind;
    L->xk2 = L->xk;
    L->xa2 = L->xa;
    L->xl2 = L->xl;
    L->xk = k;
    L->xa = a;
    L->xl = l;
}

/* A keyword that starts a declaration. */
static int decl_keyword(const char *s, size_t n)
{
    static const char *const k[] = {"static", "extern", "const", "volatile", "register", "char",
                                    "int", "void", "unsigned", "signed", "long", "short",
                                    "float", "double", "struct", "union", "enum", NULL};
    for (int i = 0; k[i]; i++)
        if (word_is(s, n, k[i])) return 1;
    return 0;
}

/* A keyword that starts a statement. */
static int stmt_keyword(const char *s, size_t n)
{
    return word_is(s, n, "return") || word_is(s, n, "if") || word_is(s, n, "for") ||
           word_is(s, n, "while") || word_is(s, n, "switch") || word_is(s, n, "break") ||
           word_is(s, n, "continue") || word_is(s, n, "goto") || word_is(s, n, "do");
}

/* The kind of a bracket about to open, from the previous token. */
static int open_kind(const lexer *L, char c)
{
    const char *p = L->s + L->prev_a;
    size_t l = L->prev_l;
    if (c == '(') {
        if (L->prev != T_IDENT) return K_GROUP; /* (a + b), a cast */
        if (word_is(p, l, "if") || word_is(p, l, "while") || word_is(p, l, "for") ||
            word_is(p, l, "switch"))
            return K_STMT;
        if (word_is(p, l, "sizeof") || word_is(p, l, "return")) return K_GROUP;
        if (word_is(p, l, "fi") || word_is(p, l, "fro") || word_is(p, l, "ofr") ||
            word_is(p, l, "hwile") || word_is(p, l, "wihle"))
            return K_TYPO; /* fi (x) y = 1; */
        if (is_macro(L, p, l) && !reserved_function(p, l)) return K_MACRO;
        if (c_keyword(p, l)) return K_PLAIN;
        /* a declarator (extern int f(size_t n);) when a type name stands before the name */
        if (L->xk2 == X_IDENT) {
            const char *t = L->s + L->xa2;
            size_t tl = L->xl2;
            if (!word_is(t, tl, "return") && !word_is(t, tl, "else") && !word_is(t, tl, "do") &&
                !word_is(t, tl, "case") && !word_is(t, tl, "goto"))
                return K_PLAIN;
        }
        return K_CALL;
    }
    if (c == '{') {
        /* an initializer (= { ... }, and the braces nested in one) or an enum body: commas
         * between their items */
        const char *x = L->s + L->xa;
        if (L->xk == X_OP && L->xl == 1 && *x == '=') return K_INIT;
        if (L->nbr && L->nbr <= MAX_BRACKETS && L->bk[L->nbr - 1] == K_INIT) return K_INIT;
        if (L->nbr && L->nbr <= MAX_BRACKETS && L->bk[L->nbr - 1] == K_INIT &&
            ((L->xk == X_OPEN && *x == '{') || (L->xk == X_OP && *x == ',')))
            return K_INIT;
        if (L->xk == X_IDENT && word_is(x, L->xl, "enum")) return K_ENUM;
        if (L->xk == X_IDENT && (word_is(x, L->xl, "__asm") || word_is(x, L->xl, "_asm") ||
                                 word_is(x, L->xl, "asm") || word_is(x, L->xl, "__asm__")))
            return K_ASM;
        if (L->xk == X_IDENT && L->xk2 == X_IDENT && word_is(L->s + L->xa2, L->xl2, "enum"))
            return K_ENUM;
        /* a block: a function body or statement block, not an initializer or a type body */
        /* not after a macro call or a cast ((struct s){ 1, 2 } is a compound literal) */
        if (L->prev == T_CLOSE && L->s[L->prev_a] == ')' && L->close_kind != K_MACRO &&
            L->close_kind != K_GROUP)
            return K_BLOCK;
        /* after a macro call: a function body at file scope (TEST_IMPL(x) {), a loop in a
         * block (FOREACH(x, l) {) */
        if (L->prev == T_CLOSE && L->s[L->prev_a] == ')' && L->close_kind == K_MACRO &&
            (L->nbr == 0 || (L->nbr <= MAX_BRACKETS && L->bk[L->nbr - 1] == K_BLOCK)))
            return K_BLOCK;
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
        size_t da = i;
        while (i < b && is_ident((unsigned char)L->s[i])) i++;
        def_add(L, L->s + da, i - da);
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
    L.pending_strong = 0;
    L.st_t = T_NONE;
    L.st_new = 1;
    L.st_a = L.st_l = 0;
    L.xk = L.xk2 = X_NONE;
    L.xa = L.xl = L.xa2 = L.xl2 = 0;
    L.xpend = 0;
    L.cxx = cpp || cxx_marks(src, len);
    L.asm_until = 0;
    L.xfind = 0;
    L.grp_stmt = 0;
    L.xck = K_OTHER;
    memset(L.defs, 0, sizeof L.defs);
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
            if (j == i) {
                /* a backslash that splices no line (blanks before the newline only warn) */
                j = i + 1;
                while (j < n && (s[j] == ' ' || s[j] == '\t')) j++;
                if (L.active && j < n && s[j] != '\n' && s[j] != '\r')
                    note(out, &out->chars, "stray backslash", i);
                j = i + 1;
            }
            i = j;
            continue;
        }
        if (c == '/' && i + 1 < n && s[i + 1] == '*') {
            size_t a_c = i;
            i = block_comment(&L, i + 2, i);
            if (L.active) comment_swallows(&L, a_c, i);
            continue; /* a comment does not end "line start" ( / * x * / #define is valid) */
        }
        if (c == '/' && i + 1 < n && s[i + 1] == '/') {
            i = line_comment(&L, i + 2);
            continue;
        }
        if (c == '#' && line_start) {
            {
                size_t na, nl;
                directive_name(&L, i + 1, n, &na, &nl);
                expr_flush(&L, name_is(&L, na, nl, "else") || name_is(&L, na, nl, "elif") ||
                                   name_is(&L, na, nl, "endif"));
            }
            i = directive_line(&L, i + 1, i);
            L.pending = 0;
            L.prev = T_NONE;
            L.xk = L.xk2 = X_NONE;
            L.xpend = 0;
            continue;
        }
        line_start = 0;
        if (c == '"' || c == '\'') {
            size_t a0 = i;
            i = quoted(&L, i + 1, (char)c, L.active, i);
            expr_token(&L, c == '"' ? X_STR : X_CHR, a0, i - a0);
            semi_token(&L, T_LIT, a0, i - a0);
            continue;
        }
        if ((c >= '0' && c <= '9') || (c == '.' && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9')) {
            /* pp-number: digits, letters, '.', exponent signs, digit separators */
            size_t a0 = i;
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
            expr_token(&L, X_NUM, a0, i - a0);
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
                    expr_token(&L, X_STR, a, i - a);
                    semi_token(&L, T_LIT, a, i - a);
                    continue;
                }
            }
            expr_token(&L, X_IDENT, a, l);
            semi_token(&L, T_IDENT, a, l);
            continue;
        }
        if (L.active) {
            if (c == '(' || c == '[' || c == '{') bracket_open(&L, (char)c, open_kind(&L, (char)c));
            else if (c == ')' || c == ']' || c == '}') bracket_close(&L, (char)c, i);
            else if (c == '@' || c == '`') note(out, &out->chars, "stray character", i);
        }
        int open = c == '(' || c == '[' || c == '{', close = c == ')' || c == ']' || c == '}';
        size_t pl = open || close ? 1 : punct_len(s, n, i);
        expr_token(&L, open ? X_OPEN : close ? X_CLOSE : X_OP, i, pl);
        if ((c == '+' || c == '-') && pl == 2 && s[i + 1] == c) {
            semi_token(&L, T_INCDEC, i, 2);
            i += 2;
            continue;
        }
        semi_token(&L, close ? T_CLOSE : T_OTHER, i, 1);
        if (c == ']' || c == '}') L.close_kind = K_OTHER;
        i += pl;
    }
    expr_flush(&L, 0);
    if (L.nbr) note(out, &out->brackets, "unclosed bracket at the end of the file", len);
    if (L.ncs) note(out, &out->conditionals, "#if without #endif", len);
}

uint32_t gates_csyntax_total(const gates_csyntax *c)
{
    uint64_t t = (uint64_t)c->brackets + c->literals + c->comments + c->conditionals + c->keywords +
                 c->chars + c->exprs + c->semicolons;
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
