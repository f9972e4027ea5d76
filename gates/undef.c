/*
 * undef.c - the undefined_name gate: file-scope name resolution on a tree-sitter tree.
 *
 * Algorithm: one depth-first walk classifies every name node as a READ, a BIND or neither,
 * from the node kinds on the way down (a mode passed to the children: read, bind-pattern,
 * parameters, match-case pattern, skip). Scopes are flattened on purpose: the answer is
 * "read somewhere, bound nowhere in the file, not a builtin". That makes hoisting, closures,
 * decorators, default arguments and conditional or try/except imports come out right without
 * modelling execution order, and errs toward "defined" where scopes matter (a class-body name
 * read from a method). The synthetic undefined-name corruption renames one use to a fresh name,
 * which this catches by construction. Strings in `__all__` are not checked: in a package's
 * __init__.py they name submodules, which are bound by the import system, not the file.
 *
 * Anything that can bind names invisibly makes the file abstain instead of guess: parse errors,
 * star imports, exec/eval/execfile/globals(), assignment into builtins (Python); with, eval,
 * importScripts (JavaScript/TypeScript). gettext.install() does not: what it installs (_,
 * ngettext, pgettext, npgettext) is always a builtin here.
 *
 * Environments: a JavaScript file's globals are the union of the environments of the npm
 * package `globals` (jsenv.h, generated at build time) that the settings force or the file
 * evidences (js_choose_envs); a Python file's are the builtins plus the names of the hosts its
 * path or its unbound reads show (py_choose_hosts). In a classic page script (no import/export,
 * CommonJS or AMD) a name read at two places, or used as N.x at the top level, is a global of
 * another script of the page (see the final loop of gates_undefined).
 *
 * Node kinds and field names are mapped once per grammar into small tables (pthread_once), so
 * the walk compares integers, not strings.
 */
#define _GNU_SOURCE /* memmem */
#include "gates_int.h"
#include "jsenv.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ kinds */
enum {
    K_NONE = 0,
    K_IDENT,          /* identifier */
    K_COMMENT,
    /* python */
    K_ASSIGN, K_AUGASSIGN, K_FOR, K_FOR_IN_CLAUSE, K_AS_PATTERN, K_EXCEPT, K_NAMED_EXPR,
    K_FUNC_DEF, K_LAMBDA, K_PARAMS, K_DEFAULT_PARAM, K_TYPED_PARAM, K_TYPED_DEFAULT_PARAM,
    K_SPLAT_PATTERN, K_CLASS_DEF, K_IMPORT, K_IMPORT_FROM, K_FUTURE_IMPORT, K_DOTTED_NAME,
    K_ALIASED_IMPORT, K_WILDCARD_IMPORT, K_ATTRIBUTE, K_KEYWORD_ARG, K_GLOBAL, K_CASE_CLAUSE,
    K_CASE_PATTERN, K_TYPE_PARAM, K_EXEC_STMT, K_CALL, K_PATTERN_CONTAINER, K_LIST, K_STRING,
    K_STRING_CONTENT, K_SUBSCRIPT, K_DECORATED, K_TYPE_ALIAS,
    /* javascript / typescript */
    K_VAR_DECLARATOR, K_FUNC_DECL, K_FUNC_EXPR, K_CLASS_DECL, K_FORMAL_PARAMS, K_ARROW,
    K_CATCH, K_FOR_IN_JS, K_ASSIGN_JS, K_AUGASSIGN_JS, K_IMPORT_JS, K_IMPORT_CLAUSE,
    K_NAMESPACE_IMPORT, K_IMPORT_SPEC, K_EXPORT_JS, K_EXPORT_SPEC, K_MEMBER, K_SHORTHAND_PROP,
    K_SHORTHAND_PATTERN, K_PAIR_PATTERN, K_OBJ_ASSIGN_PATTERN, K_ASSIGN_PATTERN, K_REST_PATTERN,
    K_JS_PATTERN, K_UNARY, K_WITH, K_CALL_JS, K_JSX_ELEMENT, K_REQ_PARAM, K_ENUM_DECL,
    K_MODULE_DECL, K_FUNC_SIGNATURE, K_TYPE_ANNOTATION, K_IMPORT_ALIAS, K_SKIP_SUBTREE,
    K_NEW_EXPR, K_TYPE_IDENT, K_TYPE_DECL, K_METHOD,
    K_COUNT
};

enum {
    F_NONE = 0, F_LEFT, F_RIGHT, F_NAME, F_ALIAS, F_VALUE, F_PARAMETERS, F_PARAMETER, F_TYPE,
    F_BODY, F_OBJECT, F_ATTRIBUTE, F_FUNCTION, F_MODULE_NAME, F_GUARD, F_PROPERTY, F_KEY,
    F_SOURCE, F_ARGUMENT, F_OPERATOR, F_RETURN_TYPE, F_CONSEQUENCE, F_ARGUMENTS,
    F_TYPE_PARAMETERS, F_PATTERN, F_DECLARATION, F_CONSTRUCTOR,
    F_COUNT
};

typedef struct kind_name {
    const char *name;
    int kind;
} kind_name;

static const kind_name k_py_kinds[] = {
    {"identifier", K_IDENT}, {"comment", K_COMMENT},
    {"assignment", K_ASSIGN}, {"augmented_assignment", K_AUGASSIGN},
    {"for_statement", K_FOR}, {"for_in_clause", K_FOR_IN_CLAUSE}, {"as_pattern", K_AS_PATTERN},
    {"except_clause", K_EXCEPT}, {"named_expression", K_NAMED_EXPR},
    {"function_definition", K_FUNC_DEF}, {"lambda", K_LAMBDA}, {"parameters", K_PARAMS},
    {"lambda_parameters", K_PARAMS}, {"default_parameter", K_DEFAULT_PARAM},
    {"typed_parameter", K_TYPED_PARAM}, {"typed_default_parameter", K_TYPED_DEFAULT_PARAM},
    {"list_splat_pattern", K_SPLAT_PATTERN}, {"dictionary_splat_pattern", K_SPLAT_PATTERN},
    {"class_definition", K_CLASS_DEF}, {"import_statement", K_IMPORT},
    {"import_from_statement", K_IMPORT_FROM}, {"future_import_statement", K_FUTURE_IMPORT},
    {"dotted_name", K_DOTTED_NAME}, {"aliased_import", K_ALIASED_IMPORT},
    {"wildcard_import", K_WILDCARD_IMPORT}, {"attribute", K_ATTRIBUTE},
    {"keyword_argument", K_KEYWORD_ARG}, {"global_statement", K_GLOBAL},
    {"nonlocal_statement", K_GLOBAL}, {"case_clause", K_CASE_CLAUSE},
    {"case_pattern", K_CASE_PATTERN}, {"type_parameter", K_TYPE_PARAM},
    {"exec_statement", K_EXEC_STMT}, {"call", K_CALL},
    {"pattern_list", K_PATTERN_CONTAINER}, {"tuple_pattern", K_PATTERN_CONTAINER},
    {"list_pattern", K_PATTERN_CONTAINER}, {"parenthesized_expression", K_PATTERN_CONTAINER},
    {"tuple", K_PATTERN_CONTAINER}, {"expression_list", K_PATTERN_CONTAINER},
    {"as_pattern_target", K_PATTERN_CONTAINER}, {"list_splat", K_PATTERN_CONTAINER},
    {"list", K_LIST}, {"string", K_STRING}, {"string_content", K_STRING_CONTENT},
    {"subscript", K_SUBSCRIPT}, {"decorated_definition", K_DECORATED},
    {"type_alias_statement", K_TYPE_ALIAS},
};

static const kind_name k_js_kinds[] = {
    {"identifier", K_IDENT}, {"comment", K_COMMENT},
    {"variable_declarator", K_VAR_DECLARATOR}, {"function_declaration", K_FUNC_DECL},
    {"generator_function_declaration", K_FUNC_DECL}, {"function_expression", K_FUNC_EXPR},
    {"function", K_FUNC_EXPR}, {"generator_function", K_FUNC_EXPR},
    {"class_declaration", K_CLASS_DECL}, {"abstract_class_declaration", K_CLASS_DECL},
    {"class", K_CLASS_DECL}, {"formal_parameters", K_FORMAL_PARAMS},
    {"arrow_function", K_ARROW}, {"catch_clause", K_CATCH}, {"for_in_statement", K_FOR_IN_JS},
    {"assignment_expression", K_ASSIGN_JS},
    {"augmented_assignment_expression", K_AUGASSIGN_JS}, {"import_statement", K_IMPORT_JS},
    {"import_clause", K_IMPORT_CLAUSE}, {"import_require_clause", K_IMPORT_CLAUSE}, {"namespace_import", K_NAMESPACE_IMPORT},
    {"import_specifier", K_IMPORT_SPEC}, {"export_statement", K_EXPORT_JS},
    {"export_specifier", K_EXPORT_SPEC}, {"member_expression", K_MEMBER},
    {"shorthand_property_identifier", K_SHORTHAND_PROP},
    {"shorthand_property_identifier_pattern", K_SHORTHAND_PATTERN},
    {"pair_pattern", K_PAIR_PATTERN}, {"object_assignment_pattern", K_OBJ_ASSIGN_PATTERN},
    {"assignment_pattern", K_ASSIGN_PATTERN}, {"rest_pattern", K_REST_PATTERN},
    {"object_pattern", K_JS_PATTERN}, {"array_pattern", K_JS_PATTERN},
    {"parenthesized_expression", K_JS_PATTERN}, {"unary_expression", K_UNARY},
    {"with_statement", K_WITH}, {"call_expression", K_CALL_JS},
    {"new_expression", K_NEW_EXPR},
    {"jsx_opening_element", K_JSX_ELEMENT}, {"jsx_self_closing_element", K_JSX_ELEMENT},
    {"jsx_closing_element", K_JSX_ELEMENT},
    {"required_parameter", K_REQ_PARAM}, {"optional_parameter", K_REQ_PARAM},
    {"enum_declaration", K_ENUM_DECL}, {"internal_module", K_MODULE_DECL},
    {"module", K_MODULE_DECL}, {"function_signature", K_FUNC_SIGNATURE},
    {"type_annotation", K_TYPE_ANNOTATION}, {"import_alias", K_IMPORT_ALIAS},
    {"type_arguments", K_SKIP_SUBTREE}, {"type_parameters", K_SKIP_SUBTREE},
    {"interface_declaration", K_TYPE_DECL}, {"type_alias_declaration", K_TYPE_DECL},
    {"type_identifier", K_TYPE_IDENT},
    {"predicate_type", K_SKIP_SUBTREE}, {"asserts_annotation", K_SKIP_SUBTREE},
    {"omitting_type_annotation", K_SKIP_SUBTREE}, {"opting_type_annotation", K_SKIP_SUBTREE},
    {"jsx_namespace_name", K_SKIP_SUBTREE}, {"method_definition", K_METHOD},
};

static const char *const k_fields[F_COUNT] = {
    [F_LEFT] = "left", [F_RIGHT] = "right", [F_NAME] = "name", [F_ALIAS] = "alias",
    [F_VALUE] = "value", [F_PARAMETERS] = "parameters", [F_PARAMETER] = "parameter",
    [F_TYPE] = "type", [F_BODY] = "body", [F_OBJECT] = "object", [F_ATTRIBUTE] = "attribute",
    [F_FUNCTION] = "function", [F_MODULE_NAME] = "module_name", [F_GUARD] = "guard",
    [F_PROPERTY] = "property", [F_KEY] = "key", [F_SOURCE] = "source",
    [F_ARGUMENT] = "argument", [F_OPERATOR] = "operator", [F_RETURN_TYPE] = "return_type",
    [F_CONSEQUENCE] = "consequence", [F_ARGUMENTS] = "arguments",
    [F_TYPE_PARAMETERS] = "type_parameters", [F_PATTERN] = "pattern",
    [F_DECLARATION] = "declaration", [F_CONSTRUCTOR] = "constructor",
};

typedef struct grammar_tables {
    uint8_t *kind;     /* symbol -> K_*, owned (process lifetime) */
    uint32_t nsym;
    uint8_t *field;    /* field id -> F_*, owned */
    uint32_t nfield;
} grammar_tables;

enum { G_PY = 0, G_JS, G_TS, G_TSX, G_N };
static grammar_tables g_tables[G_N];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_init_ok;

/* sorted builtins, per family */
static const char **g_py_builtins, **g_js_builtins;
static size_t g_py_nb, g_js_nb;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Python 3.12 builtins, module dunders, and Python 2 names that version-guarded code reads. */
static const char *const k_py_builtins[] = {
    "ArithmeticError", "AssertionError", "AttributeError", "BaseException",
    "BaseExceptionGroup", "BlockingIOError", "BrokenPipeError", "BufferError", "BytesWarning",
    "ChildProcessError", "ConnectionAbortedError", "ConnectionError", "ConnectionRefusedError",
    "ConnectionResetError", "DeprecationWarning", "EOFError", "Ellipsis", "EncodingWarning",
    "EnvironmentError", "Exception", "ExceptionGroup", "False", "FileExistsError",
    "FileNotFoundError", "FloatingPointError", "FutureWarning", "GeneratorExit", "IOError",
    "ImportError", "ImportWarning", "IndentationError", "IndexError", "InterruptedError",
    "IsADirectoryError", "KeyError", "KeyboardInterrupt", "LookupError", "MemoryError",
    "ModuleNotFoundError", "NameError", "None", "NotADirectoryError", "NotImplemented",
    "NotImplementedError", "OSError", "OverflowError", "PendingDeprecationWarning",
    "PermissionError", "ProcessLookupError", "RecursionError", "ReferenceError",
    "ResourceWarning", "RuntimeError", "RuntimeWarning", "StopAsyncIteration", "StopIteration",
    "SyntaxError", "SyntaxWarning", "SystemError", "SystemExit", "TabError", "TimeoutError",
    "True", "TypeError", "UnboundLocalError", "UnicodeDecodeError", "UnicodeEncodeError",
    "UnicodeError", "UnicodeTranslateError", "UnicodeWarning", "UserWarning", "ValueError",
    "Warning", "WindowsError", "ZeroDivisionError", "__build_class__", "__builtins__",
    "__debug__", "__doc__", "__file__", "__import__", "__loader__", "__name__", "__package__",
    "__spec__", "__path__", "__annotations__", "__dict__", "__class__", "__qualname__",
    "__module__", "__cached__", "__all__", "__version__", "abs", "aiter", "all", "anext", "any",
    "ascii", "bin", "bool", "breakpoint", "bytearray", "bytes", "callable", "chr",
    "classmethod", "compile", "complex", "copyright", "credits", "delattr", "dict", "dir",
    "divmod", "enumerate", "eval", "exec", "exit", "filter", "float", "format", "frozenset",
    "getattr", "globals", "hasattr", "hash", "help", "hex", "id", "input", "int", "isinstance",
    "issubclass", "iter", "len", "license", "list", "locals", "map", "max", "memoryview", "min",
    "next", "object", "oct", "open", "ord", "pow", "print", "property", "quit", "range", "repr",
    "reversed", "round", "set", "setattr", "slice", "sorted", "staticmethod", "str", "sum",
    "super", "tuple", "type", "vars", "zip",
    /* Python 2, read under version checks */
    "basestring", "buffer", "cmp", "execfile", "file", "long", "raw_input", "reduce", "reload",
    "unichr", "unicode", "xrange", "apply", "intern", "coerce", "StandardError",
    /* type checkers (stubs, typing tests) and IPython */
    "reveal_type", "reveal_locals", "ellipsis", "get_ipython", "__IPYTHON__",
    /* gettext.install() puts _ (and, when asked, ngettext, pgettext, npgettext) into builtins;
     * applications call it once in their entry point and every module reads `_` unbound */
    "_", "ngettext", "pgettext", "npgettext",
};

/* JavaScript names no environment of the `globals` package lists: `arguments` is a binding of
 * every non-arrow function. Every other global comes from the environments (jsenv.h). */
static const char *const k_js_builtins[] = {
    "arguments",
};

/* Old browsers' globals that the `globals` package no longer lists (Internet Explorer, Opera
 * Presto), read by feature-testing code; on with the browser environment. */
static const char *const k_js_legacy_browser[] = {
    "ActiveXObject", "XDomainRequest", "attachEvent", "detachEvent", "opera", "execScript",
    "showModalDialog", "clipboardData", "createPopup", NULL,
};

static int has_kind(const kind_name *t, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(t[i].name, name)) return t[i].kind;
    return K_NONE;
}

static int build_tables(grammar_tables *gt, const TSLanguage *g, const kind_name *t, size_t n)
{
    gt->nsym = ts_language_symbol_count(g);
    gt->kind = calloc(gt->nsym ? gt->nsym : 1, 1);
    gt->nfield = ts_language_field_count(g) + 1;
    gt->field = calloc(gt->nfield, 1);
    if (!gt->kind || !gt->field) return 0;
    for (uint32_t i = 0; i < gt->nsym; i++) {
        TSSymbolType ty = ts_language_symbol_type(g, (TSSymbol)i);
        if (ty != TSSymbolTypeRegular) continue;
        gt->kind[i] = (uint8_t)has_kind(t, n, ts_language_symbol_name(g, (TSSymbol)i));
    }
    for (uint32_t f = 1; f < gt->nfield; f++) {
        const char *nm = ts_language_field_name_for_id(g, (TSFieldId)f);
        if (!nm) continue;
        for (int j = 1; j < F_COUNT; j++)
            if (k_fields[j] && !strcmp(k_fields[j], nm)) gt->field[f] = (uint8_t)j;
    }
    return 1;
}

static const char **sorted_copy(const char *const *src, size_t n, size_t *nout)
{
    const char **a = malloc(n * sizeof *a);
    if (!a) return NULL;
    memcpy(a, src, n * sizeof *a);
    qsort(a, n, sizeof *a, cmp_str);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!m || strcmp(a[m - 1], a[i])) a[m++] = a[i];
    *nout = m;
    return a;
}

static void init_once(void)
{
    g_init_ok =
        build_tables(&g_tables[G_PY], lang_grammar("python"), k_py_kinds,
                     sizeof k_py_kinds / sizeof *k_py_kinds) &&
        build_tables(&g_tables[G_JS], lang_grammar("javascript"), k_js_kinds,
                     sizeof k_js_kinds / sizeof *k_js_kinds) &&
        build_tables(&g_tables[G_TS], lang_grammar("typescript"), k_js_kinds,
                     sizeof k_js_kinds / sizeof *k_js_kinds) &&
        build_tables(&g_tables[G_TSX], lang_grammar("tsx"), k_js_kinds,
                     sizeof k_js_kinds / sizeof *k_js_kinds);
    g_py_builtins = sorted_copy(k_py_builtins, sizeof k_py_builtins / sizeof *k_py_builtins,
                                &g_py_nb);
    g_js_builtins = sorted_copy(k_js_builtins, sizeof k_js_builtins / sizeof *k_js_builtins,
                                &g_js_nb);
    if (!g_py_builtins || !g_js_builtins) g_init_ok = 0;
}

static int in_sorted(const char *const *a, size_t n, const char *s, size_t len)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strncmp(a[mid], s, len);
        if (c == 0 && a[mid][len] != '\0') c = 1;
        if (c == 0) return 1;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

/* ------------------------------------------------------------------ name sets */
typedef struct name_set {
    struct slot {
        const char *s; /* borrowed from the source text */
        uint32_t len;
        uint32_t used; /* 0 empty, else how many times the name was added */
    } *slots;          /* cap, owned */
    size_t cap, n;
} name_set;

static uint64_t hash_name(const char *s, size_t len) { return sp_hash64(s, len, 0x5eed); }

static int set_find(const name_set *st, const char *s, size_t len)
{
    if (!st->cap) return 0;
    size_t i = hash_name(s, len) & (st->cap - 1);
    while (st->slots[i].used) {
        if (st->slots[i].len == len && !memcmp(st->slots[i].s, s, len)) return 1;
        i = (i + 1) & (st->cap - 1);
    }
    return 0;
}

static int set_add(name_set *st, const char *s, size_t len)
{
    if ((st->n + 1) * 2 > st->cap) {
        size_t nc = st->cap ? st->cap * 2 : 64;
        struct slot *ns = calloc(nc, sizeof *ns);
        if (!ns) return 0;
        for (size_t i = 0; i < st->cap; i++)
            if (st->slots[i].used) {
                size_t j = hash_name(st->slots[i].s, st->slots[i].len) & (nc - 1);
                while (ns[j].used) j = (j + 1) & (nc - 1);
                ns[j] = st->slots[i];
            }
        free(st->slots);
        st->slots = ns;
        st->cap = nc;
    }
    size_t i = hash_name(s, len) & (st->cap - 1);
    while (st->slots[i].used) {
        if (st->slots[i].len == len && !memcmp(st->slots[i].s, s, len)) {
            if (st->slots[i].used < UINT32_MAX) st->slots[i].used++;
            return 1;
        }
        i = (i + 1) & (st->cap - 1);
    }
    st->slots[i].s = s;
    st->slots[i].len = (uint32_t)len;
    st->slots[i].used = 1;
    st->n++;
    return 1;
}

/* ------------------------------------------------------------------ the walk */
enum { M_READ = 0, M_BIND, M_PARAMS, M_CASE, M_SKIP };

typedef struct walker {
    const grammar_tables *gt;
    int py;                 /* 1 python, 0 js/ts */
    const char *src;
    size_t len;
    name_set reads, binds;
    const char *abstain;    /* static reason or NULL */
    int oom;
    TSTreeCursor cur;
    /* javascript / typescript */
    uint8_t env[GATES_JS_MAX_ENVS]; /* environments named by eslint-env / jshint comments */
    int fn_depth;           /* non-arrow functions, classes and methods around the node */
    int js_module;          /* an import or export statement: an ES module */
    name_set this_binds;    /* top-level `this.x = ...`: globals of a script, not of a module */
    name_set top_roots;     /* names read as N.x outside every function, arrow, class, method */
    int any_fn_depth;       /* functions, arrows, classes and methods around the node */
} walker;

#define MAX_DEPTH 3000

static int kind_of(const walker *w, TSNode n)
{
    TSSymbol s = ts_node_symbol(n);
    return s < w->gt->nsym ? w->gt->kind[s] : K_NONE;
}

static const char *node_text(const walker *w, TSNode n, size_t *len)
{
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    if (b > w->len) b = (uint32_t)w->len;
    if (a > b) a = b;
    *len = b - a;
    return w->src + a;
}

static int text_is(const walker *w, TSNode n, const char *s)
{
    size_t l;
    const char *t = node_text(w, n, &l);
    return l == strlen(s) && !memcmp(t, s, l);
}

static void add_name(walker *w, name_set *st, TSNode n)
{
    size_t l;
    const char *t = node_text(w, n, &l);
    if (!l) return;
    if (!set_add(st, t, l)) w->oom = 1;
}

static void walk(walker *w, int mode, int depth);

/* walk all children of the cursor's current node, the mode of each chosen by pick() */
typedef int (*pick_fn)(walker *w, int parent_kind, int parent_mode, int field, int child_kind,
                       TSNode child);

static int pick_py(walker *w, int pk, int pm, int f, int ck, TSNode child);
static int pick_js(walker *w, int pk, int pm, int f, int ck, TSNode child);

static void walk_children(walker *w, int kind, int mode, int depth)
{
    if (!ts_tree_cursor_goto_first_child(&w->cur)) return;
    do {
        TSNode c = ts_tree_cursor_current_node(&w->cur);
        TSFieldId fid = ts_tree_cursor_current_field_id(&w->cur);
        int f = fid < w->gt->nfield ? w->gt->field[fid] : F_NONE;
        int ck = kind_of(w, c);
        int cm = w->py ? pick_py(w, kind, mode, f, ck, c) : pick_js(w, kind, mode, f, ck, c);
        if (cm != M_SKIP) walk(w, cm, depth + 1);
    } while (!w->abstain && !w->oom && ts_tree_cursor_goto_next_sibling(&w->cur));
    ts_tree_cursor_goto_parent(&w->cur);
}

/* Python `import a.b.c` binds a; `from m import a` binds a */
static void bind_dotted_first(walker *w, TSNode dotted)
{
    if (ts_node_named_child_count(dotted) > 0) add_name(w, &w->binds, ts_node_named_child(dotted, 0));
}

static int py_is_builtins_obj(const walker *w, TSNode obj)
{
    if (kind_of(w, obj) == K_SUBSCRIPT) obj = ts_node_child_by_field_name(obj, "value", 5);
    if (ts_node_is_null(obj) || kind_of(w, obj) != K_IDENT) return 0;
    return text_is(w, obj, "builtins") || text_is(w, obj, "__builtin__") ||
           text_is(w, obj, "__builtins__");
}

/* SCons: Import('a', 'b c') binds a, b and c (names another SConscript exported) */
static void py_scons_import(walker *w, TSNode call)
{
    TSNode args = ts_node_child_by_field_name(call, "arguments", 9);
    uint32_t n = ts_node_is_null(args) ? 0 : ts_node_named_child_count(args);
    for (uint32_t i = 0; i < n; i++) {
        TSNode a = ts_node_named_child(args, i);
        if (kind_of(w, a) != K_STRING) continue;
        uint32_t m = ts_node_named_child_count(a);
        for (uint32_t j = 0; j < m; j++) {
            TSNode c = ts_node_named_child(a, j);
            if (kind_of(w, c) != K_STRING_CONTENT) continue;
            size_t l;
            const char *t = node_text(w, c, &l);
            for (size_t k = 0; k < l;) {
                while (k < l && (t[k] == ' ' || t[k] == '\t')) k++;
                size_t b = k;
                while (k < l && t[k] != ' ' && t[k] != '\t') k++;
                if (k > b && !set_add(&w->binds, t + b, k - b)) w->oom = 1;
            }
        }
    }
}

static int pick_py(walker *w, int pk, int pm, int f, int ck, TSNode c)
{
    (void)c;
    switch (pk) {
    case K_ASSIGN:
        if (f == F_LEFT) return M_BIND;
        return M_READ;
    case K_AUGASSIGN:
        return M_READ;
    case K_FOR:
    case K_FOR_IN_CLAUSE:
        return f == F_LEFT ? M_BIND : M_READ;
    case K_AS_PATTERN:
    case K_EXCEPT:
        return f == F_ALIAS ? M_BIND : pm == M_CASE ? M_CASE : M_READ;
    case K_NAMED_EXPR:
        return f == F_NAME ? M_BIND : M_READ;
    case K_FUNC_DEF:
        if (f == F_NAME) return M_BIND;
        if (f == F_PARAMETERS) return M_PARAMS;
        if (f == F_TYPE_PARAMETERS) return M_BIND;
        return M_READ;
    case K_LAMBDA:
        return f == F_PARAMETERS ? M_PARAMS : M_READ;
    case K_CLASS_DEF:
        if (f == F_NAME || f == F_TYPE_PARAMETERS) return M_BIND;
        return M_READ;
    case K_PARAMS:
        /* identifiers, splats and tuple patterns bind; default/typed parameters sort their
         * own children out */
        if (ck == K_DEFAULT_PARAM || ck == K_TYPED_PARAM || ck == K_TYPED_DEFAULT_PARAM)
            return M_READ;
        return M_BIND;
    case K_DEFAULT_PARAM:
    case K_TYPED_DEFAULT_PARAM:
        return f == F_NAME ? M_BIND : M_READ;
    case K_TYPED_PARAM:
        return f == F_TYPE ? M_READ : M_BIND;
    case K_IMPORT:
    case K_IMPORT_FROM:
        if (f == F_MODULE_NAME) return M_SKIP;
        if (ck == K_DOTTED_NAME) {
            bind_dotted_first(w, c);
            return M_SKIP;
        }
        if (ck == K_WILDCARD_IMPORT) {
            w->abstain = "star_import";
            return M_SKIP;
        }
        return ck == K_ALIASED_IMPORT ? M_READ : M_SKIP;
    case K_ALIASED_IMPORT:
        return f == F_ALIAS ? M_BIND : M_SKIP;
    case K_FUTURE_IMPORT:
        return M_SKIP;
    case K_ATTRIBUTE:
        return f == F_ATTRIBUTE ? M_SKIP : M_READ;
    case K_KEYWORD_ARG:
        return f == F_NAME ? M_SKIP : M_READ;
    case K_GLOBAL:
        return M_BIND;
    case K_CASE_CLAUSE:
        if (f == F_GUARD || f == F_CONSEQUENCE) return M_READ;
        return ck == K_CASE_PATTERN ? M_CASE : M_READ;
    case K_TYPE_PARAM:
        return M_BIND;
    case K_TYPE_ALIAS:
        return f == F_LEFT ? M_BIND : M_READ;
    }
    if (pm == M_CASE) return M_CASE;
    if (pm == M_BIND) {
        /* a.x = / a[i] = read a; containers pass the pattern down */
        return M_BIND;
    }
    return M_READ;
}

static int js_is_ident_text(const walker *w, TSNode n, const char *s)
{
    return !ts_node_is_null(n) && kind_of(w, n) == K_IDENT && text_is(w, n, s);
}

/* `typeof x` compared with "undefined" (or used as a condition on its own): a guard */
static int js_typeof_guard(const walker *w, TSNode u)
{
    TSNode b = ts_node_parent(u);
    if (ts_node_is_null(b)) return 0;
    const char *bt = ts_node_type(b);
    if (strcmp(bt, "binary_expression")) return 0;
    uint32_t n = ts_node_named_child_count(b);
    for (uint32_t i = 0; i < n; i++) {
        TSNode o = ts_node_named_child(b, i);
        if (!strcmp(ts_node_type(o), "string")) {
            size_t l;
            const char *t = node_text(w, o, &l);
            if (l == 11 && !memcmp(t + 1, "undefined", 9)) return 1;
        }
    }
    return 0;
}

static int pick_js(walker *w, int pk, int pm, int f, int ck, TSNode c)
{
    (void)c;
    if (ck == K_TYPE_ANNOTATION || ck == K_SKIP_SUBTREE) return M_SKIP;
    if (ck == K_TYPE_DECL) {
        /* interface / type alias: only its name matters (export { T } reads it) */
        TSNode nm = ts_node_child_by_field_name(c, "name", 4);
        if (!ts_node_is_null(nm)) add_name(w, &w->binds, nm);
        return M_SKIP;
    }
    switch (pk) {
    case K_VAR_DECLARATOR:
        return f == F_NAME ? M_BIND : M_READ;
    case K_FUNC_DECL:
    case K_FUNC_EXPR:
    case K_CLASS_DECL:
    case K_FUNC_SIGNATURE:
        if (f == F_NAME) return M_BIND;
        if (f == F_PARAMETERS) return M_PARAMS;
        if (f == F_RETURN_TYPE) return M_SKIP;
        return M_READ;
    case K_ARROW:
        if (f == F_PARAMETER) return M_BIND;
        if (f == F_PARAMETERS) return M_PARAMS;
        if (f == F_RETURN_TYPE) return M_SKIP;
        return M_READ;
    case K_FORMAL_PARAMS:
        if (ck == K_REQ_PARAM) return M_READ;
        return M_BIND;
    case K_REQ_PARAM:
        if (f == F_PATTERN || f == F_NAME) return M_BIND;
        if (f == F_VALUE) return M_READ;
        return M_SKIP; /* accessibility modifiers, types */
    case K_CATCH:
        return f == F_PARAMETER ? M_BIND : M_READ;
    case K_FOR_IN_JS:
        return f == F_LEFT ? M_BIND : M_READ;
    case K_ASSIGN_JS:
        /* sloppy-mode assignment to an undeclared name creates a global: count it as a bind */
        return f == F_LEFT ? M_BIND : M_READ;
    case K_AUGASSIGN_JS:
        return M_READ;
    case K_IMPORT_JS:
        return f == F_SOURCE ? M_SKIP : ck == K_IMPORT_CLAUSE ? M_BIND : M_SKIP;
    case K_IMPORT_CLAUSE:
    case K_NAMESPACE_IMPORT:
        return M_BIND;
    case K_EXPORT_JS:
        if (f == F_SOURCE) return M_SKIP;
        return M_READ;
    case K_EXPORT_SPEC:
        return f == F_NAME ? M_READ : M_SKIP;
    case K_MEMBER:
        if (f == F_OBJECT && ck == K_IDENT && pm == M_READ && !w->any_fn_depth)
            add_name(w, &w->top_roots, c);
        return f == F_PROPERTY ? M_SKIP : M_READ;
    case K_PAIR_PATTERN:
        if (f == F_KEY) return M_READ; /* property_identifier: ignored; computed keys: reads */
        return M_BIND;
    case K_OBJ_ASSIGN_PATTERN:
    case K_ASSIGN_PATTERN:
        return f == F_LEFT ? M_BIND : M_READ;
    case K_UNARY:
        /* `typeof x` is safe on an undeclared x: feature tests (typeof x === "undefined",
         * typeof x !== "function", ...) are not reads; a bare `typeof x` elsewhere is */
        if (f == F_ARGUMENT && ck == K_IDENT) {
            TSNode u = ts_node_parent(c);
            TSNode op = ts_node_child_by_field_name(u, "operator", 8);
            if (!ts_node_is_null(op) && text_is(w, op, "typeof") && js_typeof_guard(w, u))
                return M_SKIP;
        }
        return M_READ;
    case K_JSX_ELEMENT:
        if (f == F_NAME && ck == K_IDENT) {
            size_t l;
            const char *t = node_text(w, c, &l);
            if (l && !(t[0] >= 'A' && t[0] <= 'Z')) return M_SKIP; /* intrinsic <div> */
        }
        return M_READ;
    case K_ENUM_DECL:
    case K_MODULE_DECL:
        return f == F_NAME ? M_BIND : M_READ;
    case K_IMPORT_ALIAS:
        return ck == K_IDENT && ts_node_prev_named_sibling(c).id == NULL ? M_BIND : M_SKIP;
    }
    if (pm == M_BIND) {
        if (pk == K_MEMBER || pk == K_NONE) return M_READ;
        return M_BIND;
    }
    return M_READ;
}

static int js_word_char(char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' ||
           (!first && ((c >= '0' && c <= '9') || c == '-'));
}

/* Directive comments: `/\* global a, b:writable *\/` and `/\*globals a *\/` (ESLint, JSHint,
 * JSLint) bind names; `/\* eslint-env browser, node *\/` and `/\* jshint browser: true *\/`
 * (also jslint) switch environments on (names gates_js_env_index() does not know are
 * ignored). Block comments only, as ESLint reads them. */
static void js_directive_comment(walker *w, TSNode n)
{
    size_t l;
    const char *t = node_text(w, n, &l);
    if (l < 4 || t[0] != '/') return;
    /* `eslint-disable no-undef` (block, line or -line forms): the author says the file reads
     * globals it does not declare; judge nothing rather than guess */
    const char *ed = memmem(t, l, "eslint-disable", 14);
    if (ed && memmem(ed, l - (size_t)(ed - t), "no-undef", 8)) {
        w->abstain = "eslint_no_undef";
        return;
    }
    if (t[1] == '/') { /* `// declare global: a, b` (CodeMirror's convention) binds names */
        size_t i = 2;
        while (i < l && (t[i] == ' ' || t[i] == '\t')) i++;
        if (l - i < 15 || memcmp(t + i, "declare global:", 15)) return;
        for (i += 15; i < l;) {
            while (i < l && !js_word_char(t[i], 1)) i++;
            size_t b = i;
            while (i < l && js_word_char(t[i], 0) && t[i] != '-') i++;
            if (i > b && !set_add(&w->binds, t + b, i - b)) w->oom = 1;
            if (i == b) i++;
        }
        return;
    }
    if (t[1] != '*') return;
    size_t i = 2;
    while (i < l && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) i++;
    enum { D_GLOBAL, D_ENV, D_HINT } kind;
    size_t kw;
    if (l - i >= 7 && !memcmp(t + i, "globals", 7)) kind = D_GLOBAL, kw = 7;
    else if (l - i >= 6 && !memcmp(t + i, "global", 6)) kind = D_GLOBAL, kw = 6;
    else if (l - i >= 10 && !memcmp(t + i, "eslint-env", 10)) kind = D_ENV, kw = 10;
    else if (l - i >= 6 && (!memcmp(t + i, "jshint", 6) || !memcmp(t + i, "jslint", 6)))
        kind = D_HINT, kw = 6;
    else return;
    i += kw;
    if (i >= l || !(t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) return;
    size_t end = l - 2;
    while (i < end) {
        while (i < end && !js_word_char(t[i], 1)) i++;
        size_t s = i;
        while (i < end && js_word_char(t[i], 0) && (kind != D_GLOBAL || t[i] != '-')) i++;
        size_t e = i;
        /* a "name: value" pair; the value is skipped */
        const char *val = NULL;
        size_t vl = 0;
        while (i < end && (t[i] == ' ' || t[i] == '\t')) i++;
        if (i < end && t[i] == ':') {
            i++;
            while (i < end && (t[i] == ' ' || t[i] == '\t')) i++;
            val = t + i;
            while (i < end && t[i] != ',' && t[i] != '\n' && t[i] != ' ') i++;
            vl = (size_t)(t + i - val);
        }
        if (e == s) continue;
        if (kind == D_GLOBAL) {
            if (!set_add(&w->binds, t + s, e - s)) w->oom = 1;
        } else if (kind == D_ENV || (val && vl == 4 && !memcmp(val, "true", 4))) {
            int ei = gates_js_env_index(t + s, e - s);
            if (ei >= 0) w->env[ei] = 1;
        }
    }
}

static int in_list(const char *const *list, const char *s, size_t len);

/* A path inside a test suite: a test/, tests/, spec/, specs/ or __tests__/ folder, or a file
 * named test.js, tests.js, *_test.js, *-test.js, *.test.js, *.spec.js, test_*.js (ASCII case
 * ignored). */
static int js_test_path(const char *path)
{
    if (!path) return 0;
    static const char *const dirs[] = {"test/", "tests/", "spec/", "specs/", "__tests__/", NULL};
    for (const char *p = path; *p; p++) {
        if (p != path && p[-1] != '/') continue;
        for (size_t i = 0; dirs[i]; i++)
            if (!strncasecmp(p, dirs[i], strlen(dirs[i]))) return 1;
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strchr(base, '.');
    size_t stem = dot ? (size_t)(dot - base) : strlen(base);
    if ((stem == 4 && !strncasecmp(base, "test", 4)) || (stem == 5 && !strncasecmp(base, "tests", 5)))
        return 1;
    if (stem >= 5 && !strncasecmp(base + stem - 4, "test", 4) &&
        (base[stem - 5] == '_' || base[stem - 5] == '-'))
        return 1;
    if (!strncasecmp(base, "test_", 5)) return 1;
    return dot && (strstr(dot, ".test.") || strstr(dot, ".spec."));
}

/* `import "./polyfill";`: an import for its effects, which are globals the file may read (the
 * JavaScript star import; d3 3.x's smash builds concatenate such files). Imports of
 * stylesheets, data and assets (any extension but .js/.mjs/.cjs/.jsx/.ts/.tsx) do not count. */
static int js_side_effect_import(walker *w, TSNode imp)
{
    uint32_t n = ts_node_named_child_count(imp);
    for (uint32_t i = 0; i < n; i++)
        if (kind_of(w, ts_node_named_child(imp, i)) == K_IMPORT_CLAUSE) return 0;
    TSNode src = ts_node_child_by_field_name(imp, "source", 6);
    if (ts_node_is_null(src)) return 0;
    size_t l;
    const char *t = node_text(w, src, &l);
    if (l < 2) return 0;
    t++, l -= 2; /* quotes */
    size_t slash = 0, dot = l;
    for (size_t i = 0; i < l; i++) {
        if (t[i] == '/') slash = i + 1, dot = l;
        else if (t[i] == '.' && i > slash) dot = i;
    }
    if (dot == l) return 1;
    static const char *const code[] = {"js", "mjs", "cjs", "jsx", "ts", "tsx", NULL};
    return in_list(code, t + dot + 1, l - dot - 1);
}

/* `window.x = ...`, `globalThis.x =`, `self.x =`, `global.x =` define the global x; so does
 * `this.x =` outside every function, class and method of a script (not of a module: there
 * top-level `this` is undefined; decided after the walk). */
static void js_global_assign(walker *w, TSNode assign)
{
    TSNode l = ts_node_child_by_field_name(assign, "left", 4);
    if (ts_node_is_null(l) || kind_of(w, l) != K_MEMBER) return;
    TSNode obj = ts_node_child_by_field_name(l, "object", 6);
    TSNode prop = ts_node_child_by_field_name(l, "property", 8);
    if (ts_node_is_null(obj) || ts_node_is_null(prop) ||
        strcmp(ts_node_type(prop), "property_identifier"))
        return;
    if (kind_of(w, obj) == K_IDENT) {
        if (text_is(w, obj, "window") || text_is(w, obj, "globalThis") ||
            text_is(w, obj, "self") || text_is(w, obj, "global"))
            add_name(w, &w->binds, prop);
    } else if (w->fn_depth == 0 && !strcmp(ts_node_type(obj), "this")) {
        add_name(w, &w->this_binds, prop);
    }
}

static void walk(walker *w, int mode, int depth)
{
    if (depth > MAX_DEPTH) {
        w->abstain = "too_deep";
        return;
    }
    TSNode n = ts_tree_cursor_current_node(&w->cur);
    int k = kind_of(w, n);
    if (k == K_IDENT) {
        if (mode == M_BIND || mode == M_PARAMS || mode == M_CASE) add_name(w, &w->binds, n);
        else if (mode == M_READ) add_name(w, &w->reads, n);
        return;
    }
    if (k == K_COMMENT) {
        if (!w->py) js_directive_comment(w, n);
        return;
    }
    if (w->py) {
        switch (k) {
        case K_EXEC_STMT:
            w->abstain = "exec_eval";
            return;
        case K_CALL: {
            TSNode fn = ts_node_child_by_field_name(n, "function", 8);
            if (!ts_node_is_null(fn) && kind_of(w, fn) == K_IDENT &&
                (text_is(w, fn, "exec") || text_is(w, fn, "eval") ||
                 text_is(w, fn, "execfile") || text_is(w, fn, "globals"))) {
                w->abstain = text_is(w, fn, "globals") ? "globals" : "exec_eval";
                return;
            }
            if (!ts_node_is_null(fn) && kind_of(w, fn) == K_IDENT && text_is(w, fn, "Import"))
                py_scons_import(w, n);
            break;
        }
        case K_ASSIGN:
        case K_AUGASSIGN: {
            TSNode l = ts_node_child_by_field_name(n, "left", 4);
            if (!ts_node_is_null(l) && (kind_of(w, l) == K_ATTRIBUTE || kind_of(w, l) == K_SUBSCRIPT)) {
                TSNode obj = ts_node_child_by_field_name(l, kind_of(w, l) == K_ATTRIBUTE ? "object" : "value",
                                                         kind_of(w, l) == K_ATTRIBUTE ? 6 : 5);
                if (!ts_node_is_null(obj) && py_is_builtins_obj(w, obj)) {
                    w->abstain = "builtins_write";
                    return;
                }
            }
            break;
        }
        case K_ATTRIBUTE:
        case K_SUBSCRIPT:
            if (mode == M_BIND) mode = M_READ; /* a.x = 1 reads a */
            break;
        }
    } else {
        switch (k) {
        case K_WITH:
            w->abstain = "with";
            return;
        case K_CALL_JS: {
            TSNode fn = ts_node_child_by_field_name(n, "function", 8);
            if (js_is_ident_text(w, fn, "eval")) {
                w->abstain = "eval";
                return;
            }
            if (js_is_ident_text(w, fn, "importScripts")) {
                w->abstain = "import_scripts";
                return;
            }
            break;
        }
        case K_IMPORT_SPEC: {
            /* `{a as b}` binds b, `{a}` binds a; handled here as the alias is optional */
            TSNode alias = ts_node_child_by_field_name(n, "alias", 5);
            TSNode name = ts_node_child_by_field_name(n, "name", 4);
            TSNode b = ts_node_is_null(alias) ? name : alias;
            if (!ts_node_is_null(b)) add_name(w, &w->binds, b);
            return;
        }
        case K_IMPORT_JS:
            w->js_module = 1;
            if (js_side_effect_import(w, n)) {
                w->abstain = "side_effect_import";
                return;
            }
            break;
        case K_ASSIGN_JS:
            js_global_assign(w, n);
            break;
        case K_EXPORT_JS:
            w->js_module = 1;
            /* export {a} from "m" re-exports: nothing read or bound here */
            if (!ts_node_is_null(ts_node_child_by_field_name(n, "source", 6))) return;
            break;
        case K_SHORTHAND_PROP:
            if (mode == M_READ) add_name(w, &w->reads, n);
            else if (mode == M_BIND) add_name(w, &w->binds, n);
            return;
        case K_TYPE_IDENT:
            /* TypeScript class names are type_identifiers; types are never reads */
            if (mode == M_BIND) add_name(w, &w->binds, n);
            return;
        case K_SHORTHAND_PATTERN:
            add_name(w, &w->binds, n);
            return;
        case K_MEMBER:
            if (mode == M_BIND) mode = M_READ;
            break;
        }
    }
    int scope = !w->py && (k == K_FUNC_DECL || k == K_FUNC_EXPR || k == K_CLASS_DECL ||
                           k == K_METHOD || k == K_FUNC_SIGNATURE);
    int any = scope || (!w->py && k == K_ARROW);
    w->fn_depth += scope;
    w->any_fn_depth += any;
    walk_children(w, k, mode, depth);
    w->fn_depth -= scope;
    w->any_fn_depth -= any;
}

static int gram_index(const char *lang)
{
    if (!strcmp(lang, "python")) return G_PY;
    if (!strcmp(lang, "javascript")) return G_JS;
    if (!strcmp(lang, "typescript")) return G_TS;
    if (!strcmp(lang, "tsx")) return G_TSX;
    return -1;
}

typedef struct name_ref {
    const char *s;
    uint32_t len;
} name_ref;

static int cmp_ref(const void *a, const void *b)
{
    const name_ref *x = a, *y = b;
    uint32_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, m);
    if (c) return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

static void set_free(name_set *s)
{
    free(s->slots);
    memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------------ environments */
int gates_js_env_index(const char *name, size_t len)
{
    static const char *const alias[][2] = {
        {"es6", "es2015"}, {"phantom", "phantomjs"}, {"prototype", "prototypejs"},
    };
    char buf[64];
    if (len >= sizeof buf) return -1;
    memcpy(buf, name, len);
    buf[len] = '\0';
    for (size_t i = 0; i < sizeof alias / sizeof *alias; i++)
        if (!strcmp(buf, alias[i][0])) {
            sp_strlcpy(buf, alias[i][1], sizeof buf);
            break;
        }
    size_t lo = 0, hi = gates_js_nenvs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(gates_js_envs[mid].name, buf);
        if (!c) return mid < GATES_JS_MAX_ENVS ? (int)mid : -1;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

static int set_has(const name_set *st, const char *s) { return set_find(st, s, strlen(s)); }

/* read somewhere and bound nowhere in the file */
static int unbound(const walker *w, const char *s)
{
    return set_has(&w->reads, s) && !set_has(&w->binds, s);
}

static int unbound_any(const walker *w, const char *const *list)
{
    for (; *list; list++)
        if (unbound(w, *list)) return 1;
    return 0;
}

static void env_on(uint8_t *on, const char *name)
{
    int i = gates_js_env_index(name, strlen(name));
    if (i >= 0) on[i] = 1;
}

static int prefix_in(const char *s, size_t len, const char *pre)
{
    size_t l = strlen(pre);
    return len > l && !memcmp(s, pre, l);
}

/* The environments of a JavaScript/TypeScript file (see sciprune.h, gates): builtin always;
 * `forced` (comma list of environment names, "auto" among them for the detection below; NULL
 * or "" = "auto"); the file's eslint-env/jshint comments; and, in auto mode,
 * shared-node-browser plus the environments evidenced by names the file reads unbound. */
static void js_choose_envs(const walker *w, const char *forced, uint8_t *on)
{
    memcpy(on, w->env, GATES_JS_MAX_ENVS);
    env_on(on, "builtin");
    int autod = !forced || !*forced;
    const char *t;
    size_t l;
    for (const char *p = forced; p && gates_list_next(&p, &t, &l);) {
        if (l == 4 && !memcmp(t, "auto", 4)) autod = 1;
        else {
            int i = gates_js_env_index(t, l);
            if (i >= 0) on[i] = 1;
        }
    }
    if (!autod) return;
    env_on(on, "shared-node-browser");
    static const char *const node_m[] = {"require", "module", "exports", "__dirname",
                                         "__filename", "process", "Buffer", "global",
                                         "setImmediate", NULL};
    static const char *const amd_m[] = {"define", "requirejs", NULL};
    static const char *const browser_m[] = {
        "window", "document", "navigator", "location", "history", "screen", "localStorage",
        "sessionStorage", "XMLHttpRequest", "alert", "confirm", "prompt",
        "requestAnimationFrame", "cancelAnimationFrame", "getComputedStyle", "matchMedia",
        "Element", "Node", "NodeFilter", "NodeList", "DOMParser", "XMLSerializer", "Image",
        "Audio", "Option", "FileReader", "MutationObserver", "ResizeObserver",
        "IntersectionObserver", "customElements", "indexedDB", "devicePixelRatio",
        "innerWidth", "innerHeight", "pageXOffset", "pageYOffset", "scrollX", "scrollY",
        "getSelection", "opener", "frames", "jQuery", "$", NULL};
    static const char *const worker_m[] = {"self", "importScripts", "WorkerGlobalScope",
                                           "DedicatedWorkerGlobalScope", "postMessage", NULL};
    static const char *const sw_m[] = {"ServiceWorkerGlobalScope", "skipWaiting", "clients",
                                       NULL};
    static const char *const bdd_m[] = {"describe", "it", "xit", "fit", "xdescribe",
                                        "fdescribe", "beforeEach", "afterEach", "beforeAll",
                                        "afterAll", "suite", NULL};
    static const char *const qunit_a[] = {"ok", "equal", "strictEqual", "deepEqual",
                                          "notEqual", "notStrictEqual", "throws", NULL};
    if (unbound_any(w, node_m)) env_on(on, "node"), env_on(on, "commonjs");
    if (unbound_any(w, amd_m)) env_on(on, "amd");
    if (unbound_any(w, browser_m)) env_on(on, "browser");
    if (unbound_any(w, worker_m)) env_on(on, "worker");
    if (unbound_any(w, sw_m) && unbound(w, "self")) env_on(on, "serviceworker");
    if (unbound_any(w, bdd_m)) {
        env_on(on, "mocha"), env_on(on, "jasmine"), env_on(on, "jest"), env_on(on, "chai");
        if (unbound(w, "vi")) env_on(on, "vitest");
    }
    if (unbound(w, "jest") || (unbound(w, "test") && unbound(w, "expect"))) env_on(on, "jest");
    if (unbound(w, "QUnit") ||
        ((unbound(w, "test") || unbound(w, "asyncTest")) && unbound_any(w, qunit_a)))
        env_on(on, "qunit");
    if (unbound(w, "$") || unbound(w, "jQuery")) env_on(on, "jquery");
    if (unbound(w, "chrome")) env_on(on, "webextensions");
    if (unbound(w, "unsafeWindow")) env_on(on, "greasemonkey");
    if (unbound(w, "Prototype") || unbound(w, "$A") || unbound(w, "$H") || unbound(w, "$w"))
        env_on(on, "prototypejs");
    if (unbound(w, "YUI") || unbound(w, "YAHOO")) env_on(on, "yui");
    if (unbound(w, "phantom")) env_on(on, "phantomjs");
    if (unbound(w, "Packages") || unbound(w, "importPackage"))
        env_on(on, "rhino"), env_on(on, "nashorn");
    if (unbound(w, "WScript") || unbound(w, "ActiveXObject")) env_on(on, "wsh");
    if (unbound(w, "Meteor")) env_on(on, "meteor");
    if (unbound(w, "Deno")) env_on(on, "denoBuiltin");
    if (unbound(w, "Bun")) env_on(on, "bunBuiltin");
    if (unbound(w, "protractor")) env_on(on, "protractor");
    /* name families: HTML*Element, SVG*, WebGL*, CSS* (browser); GM_* (greasemonkey) */
    for (size_t i = 0; i < w->reads.cap; i++) {
        const struct slot *sl = &w->reads.slots[i];
        if (!sl->used || set_find(&w->binds, sl->s, sl->len)) continue;
        if (prefix_in(sl->s, sl->len, "HTML") || prefix_in(sl->s, sl->len, "SVG") ||
            prefix_in(sl->s, sl->len, "WebGL") || prefix_in(sl->s, sl->len, "CSS"))
            env_on(on, "browser");
        else if (prefix_in(sl->s, sl->len, "GM_") || (sl->len == 2 && !memcmp(sl->s, "GM", 2)))
            env_on(on, "greasemonkey");
    }
}

/* Python hosts: programs that run a file with names already defined (see sciprune.h, gates).
 * A host is recognised from the file's name (exact basename), a part of its path, or a name
 * the file reads unbound that only the host defines. */
typedef struct py_host {
    const char *const *files;    /* basenames, NULL-terminated; NULL: none */
    const char *path_part;       /* substring of the path; NULL: none */
    const char *const *markers;  /* unbound reads; NULL: none */
    const char *const *names;    /* what the host defines, NULL-terminated */
} py_host;

static const char *const k_gdb_names[] = {"gdb", NULL};
static const char *const k_lit_files[] = {"lit.cfg", "lit.cfg.py", "lit.local.cfg",
                                          "lit.local.cfg.py", "lit.site.cfg",
                                          "lit.site.cfg.py", "lit.site.cfg.in",
                                          "lit.site.cfg.py.in", "lit.cfg.in", NULL};
static const char *const k_lit_markers[] = {"lit_config", NULL};
static const char *const k_lit_names[] = {"config", "lit_config", NULL};
static const char *const k_scons_files[] = {"SConstruct", "Sconstruct", "sconstruct",
                                            "SConscript", "Sconscript", "sconscript",
                                            "SConstruct.py", "SConscript.py", NULL};
static const char *const k_scons_markers[] = {"SConscript", "Import", "Export",
                                              "DefaultEnvironment", "ARGUMENTS",
                                              "COMMAND_LINE_TARGETS", "BUILD_TARGETS", NULL};
/* SCons's SConscript globals (SCons.Script: the environment methods exported as functions) */
static const char *const k_scons_names[] = {
    "ARGLIST", "ARGUMENTS", "Action", "AddMethod", "AddOption", "AddPostAction",
    "AddPreAction", "Alias", "AllowSubstExceptions", "AlwaysBuild", "BUILD_TARGETS",
    "BoolVariable", "Builder", "COMMAND_LINE_TARGETS", "CacheDir", "Chmod", "Clean", "Command",
    "Configure", "Copy", "DEFAULT_TARGETS", "Decider", "Default", "DefaultEnvironment",
    "Delete", "Depends", "Dir", "Dump", "Duplicate", "EnsurePythonVersion",
    "EnsureSConsVersion", "Entry", "EnumVariable", "Environment", "Execute", "Exit", "Export",
    "File", "FindFile", "FindInstalledFiles", "FindPathDirs", "FindSourceFiles", "Flatten",
    "GetBuildFailures", "GetBuildPath", "GetLaunchDir", "GetOption", "Glob", "Help",
    "Ignore", "Import", "Install", "InstallAs", "ListVariable", "Literal", "Local", "Mkdir",
    "Move", "NoCache", "NoClean", "PackageVariable", "ParseConfig", "ParseDepends",
    "PathVariable", "Platform", "Precious", "Progress", "Repository", "Requires", "Return",
    "SConscript", "SConscriptChdir", "SConsignFile", "Scanner", "SetDefault", "SetOption",
    "SideEffect", "Split", "Tag", "Tool", "Touch", "Value", "Variables", "VariantDir",
    "WhereIs", "Object", "Program", "Library", "SharedLibrary", "StaticLibrary",
    "SharedObject", "StaticObject", "LoadableModule", "CFile", "CXXFile", "Java", "Jar",
    "Package", "Zip", "Tar", "M4", "PDF", "PostScript", "DVI", NULL};
static const char *const k_sphinx_files[] = {"conf.py", NULL};
static const char *const k_sphinx_names[] = {"tags", NULL};
static const char *const k_freecad_files[] = {"Init.py", "InitGui.py", NULL};
static const char *const k_freecad_markers[] = {"FreeCAD", "FreeCADGui", NULL};
static const char *const k_freecad_names[] = {"FreeCAD", "FreeCADGui", "App", "Gui",
                                              "Workbench", "Log", "Msg", "Err", "Wrn", NULL};
static const char *const k_blender_markers[] = {"bpy", NULL};
static const char *const k_blender_names[] = {"bpy", "C", "D", NULL};
static const char *const k_ipython_markers[] = {"get_ipython", NULL};
static const char *const k_ipython_names[] = {"get_ipython", "display", "In", "Out", NULL};

static const py_host k_py_hosts[] = {
    {NULL, "gdb", k_gdb_names, k_gdb_names},                    /* gdb pre-imports gdb */
    {k_lit_files, NULL, k_lit_markers, k_lit_names},            /* LLVM lit configs */
    {k_scons_files, NULL, k_scons_markers, k_scons_names},      /* SCons */
    {k_sphinx_files, NULL, NULL, k_sphinx_names},               /* Sphinx conf.py: tags */
    {k_freecad_files, NULL, k_freecad_markers, k_freecad_names},/* FreeCAD */
    {NULL, "blender", k_blender_markers, k_blender_names},      /* Blender */
    {NULL, ".ipynb", k_ipython_markers, k_ipython_names},       /* IPython / Jupyter */
};
#define N_PY_HOSTS (sizeof k_py_hosts / sizeof *k_py_hosts)

static int in_list(const char *const *list, const char *s, size_t len)
{
    for (; list && *list; list++)
        if (strlen(*list) == len && !memcmp(*list, s, len)) return 1;
    return 0;
}

/* on[h] = 1 for each host of k_py_hosts the file shows */
static void py_choose_hosts(const walker *w, const char *path, uint8_t *on)
{
    const char *base = path ? strrchr(path, '/') : NULL;
    base = base ? base + 1 : path;
    for (size_t h = 0; h < N_PY_HOSTS; h++) {
        const py_host *ph = &k_py_hosts[h];
        on[h] = (base && ph->files && in_list(ph->files, base, strlen(base))) ||
                (path && ph->path_part && strstr(path, ph->path_part)) ||
                (ph->markers && unbound_any(w, ph->markers));
    }
    /* notebooks exported as scripts (jupyter nbconvert) keep their "# In[1]:" cells */
    if (!on[N_PY_HOSTS - 1] && memmem(w->src, w->len, "# In[", 5)) on[N_PY_HOSTS - 1] = 1;
}

sciprune_status gates_undefined(const char *lang, const char *path, const char *js_envs,
                                TSNode root, const char *src, size_t len,
                                sciprune_gate_scores *out, sciprune_error *err)
{
    out->undefined_names = 0;
    out->undefined_abstained = 0;
    out->abstain_reason = "";
    out->names[0] = '\0';
    int gi = lang ? gram_index(lang) : -1;
    if (gi < 0) {
        out->undefined_abstained = 1;
        out->abstain_reason = "unsupported";
        return SCIPRUNE_OK;
    }
    pthread_once(&g_once, init_once);
    if (!g_init_ok) return sp_err(err, SCIPRUNE_ENOMEM, "gates", -1, -1, "out of memory");
    if (ts_node_has_error(root)) {
        out->undefined_abstained = 1;
        out->abstain_reason = "parse_error";
        return SCIPRUNE_OK;
    }
    walker w;
    memset(&w, 0, sizeof w);
    w.gt = &g_tables[gi];
    w.py = gi == G_PY;
    w.src = src;
    w.len = len;
    w.cur = ts_tree_cursor_new(root);
    walk(&w, M_READ, 0);
    ts_tree_cursor_delete(&w.cur);

    sciprune_status st = SCIPRUNE_OK;
    name_ref *und = NULL;
    size_t nund = 0;
    if (w.oom) {
        st = sp_err(err, SCIPRUNE_ENOMEM, "gates", -1, -1, "out of memory");
        goto done;
    }
    if (w.abstain) {
        out->undefined_abstained = 1;
        out->abstain_reason = w.abstain;
        goto done;
    }
    und = malloc((w.reads.n + 1) * sizeof *und);
    if (!und) {
        st = sp_err(err, SCIPRUNE_ENOMEM, "gates", -1, -1, "out of memory");
        goto done;
    }
    const char **bl = w.py ? g_py_builtins : g_js_builtins;
    size_t nb = w.py ? g_py_nb : g_js_nb;
    /* the environments (javascript) or hosts (python) in force, as lists of indexes */
    uint8_t on[GATES_JS_MAX_ENVS];
    uint16_t act[GATES_JS_MAX_ENVS];
    int browser_on = 0;
    /* a classic script of a web page: no import/export (ES module), no require/module/exports
     * (CommonJS) and no define (AMD), whose names come from imports or the loader */
    int page_script = !w.py && !w.js_module && !unbound(&w, "require") &&
                      !unbound(&w, "module") && !unbound(&w, "exports") && !unbound(&w, "define");
    size_t nact = 0;
    memset(on, 0, sizeof on);
    if (w.py) {
        py_choose_hosts(&w, path, on);
        for (size_t h = 0; h < N_PY_HOSTS; h++)
            if (on[h]) act[nact++] = (uint16_t)h;
    } else {
        js_choose_envs(&w, js_envs, on);
        int bi = gates_js_env_index("browser", 7);
        browser_on = bi >= 0 && on[bi];
        for (size_t e = 0; e < gates_js_nenvs && e < GATES_JS_MAX_ENVS; e++)
            if (on[e]) act[nact++] = (uint16_t)e;
    }
    /* a classic page script of a test suite (by its path) reads the harness' helpers that the
     * suite's other scripts define (jQuery's testinit.js, CodeMirror's mode tests): those
     * globals are the environment, not this file's, so it is not judged */
    if (page_script && js_test_path(path)) {
        out->undefined_abstained = 1;
        out->abstain_reason = "test_page_script";
        goto done;
    }
    int amd_on = 0;
    if (!w.py) {
        int ai = gates_js_env_index("amd", 3);
        amd_on = ai >= 0 && on[ai];
    }
    for (size_t i = 0; i < w.reads.cap; i++) {
        const struct slot *sl = &w.reads.slots[i];
        if (!sl->used) continue;
        if (set_find(&w.binds, sl->s, sl->len)) continue;
        /* RequireJS's own name, which the globals package's amd list lacks */
        if (amd_on && sl->len == 9 && !memcmp(sl->s, "requirejs", 9)) continue;
        if (in_sorted(bl, nb, sl->s, sl->len)) continue;
        if (!w.py && !w.js_module && set_find(&w.this_binds, sl->s, sl->len)) continue;
        /* a page script shares its globals with the page's other scripts (a library's
         * namespace object, a test harness's helpers): a name read at two places or more,
         * or used as N.x at the top level (outside every function), is taken as one of
         * them; a misspelt use inside a function is one fresh name, read once */
        if (page_script && (sl->used >= 2 || set_find(&w.top_roots, sl->s, sl->len)))
            continue;
        size_t a = 0;
        if (w.py)
            while (a < nact && !in_list(k_py_hosts[act[a]].names, sl->s, sl->len)) a++;
        else
            while (a < nact && !in_sorted(gates_js_envs[act[a]].names,
                                          gates_js_envs[act[a]].n, sl->s, sl->len))
                a++;
        if (a < nact) continue;
        if (!w.py && browser_on && in_list(k_js_legacy_browser, sl->s, sl->len)) continue;
        und[nund].s = sl->s;
        und[nund].len = sl->len;
        nund++;
    }
    qsort(und, nund, sizeof *und, cmp_ref);
    out->undefined_names = (uint32_t)nund;
    size_t pos = 0, cap = sizeof out->names;
    for (size_t i = 0; i < nund; i++) {
        size_t need = und[i].len + (i ? 1 : 0);
        if (pos + need + 4 >= cap) {
            memcpy(out->names + pos, i ? ",..." : "...", i ? 4 : 3);
            pos += i ? 4 : 3;
            break;
        }
        if (i) out->names[pos++] = ',';
        memcpy(out->names + pos, und[i].s, und[i].len);
        pos += und[i].len;
    }
    out->names[pos] = '\0';
done:
    free(und);
    set_free(&w.reads);
    set_free(&w.binds);
    set_free(&w.this_binds);
    set_free(&w.top_roots);
    return st;
}
