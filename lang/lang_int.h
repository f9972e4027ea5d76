/* lang_int.h - internals of lang/: grammar lookup and the tree-sitter parser wrapper, for the
 * modules that walk trees (corrupt/, embed/, prune/ scorers). */
#ifndef SCIPRUNE_LANG_INT_H
#define SCIPRUNE_LANG_INT_H

#include "../shard/sp_common.h"

#include <tree_sitter/api.h>

/* The grammar for a canonical language name, or NULL. Static storage. */
const TSLanguage *lang_grammar(const char *lang);

/* Borrow the TSParser inside a sciprune_parser (one per worker thread). */
TSParser *lang_ts_parser(sciprune_parser *p);

/* Parse src as lang. *tree is owned by the caller (ts_tree_delete). Errors: EINVAL (no
 * grammar, or the parse guard refuses the text: lang_guard_err), EBACKEND. */
sciprune_status lang_parse(sciprune_parser *p, const char *lang, const char *src, size_t len,
                           TSTree **tree, sciprune_error *err);

/* lang_parse for a text the caller has already passed through sciprune_guard_check with the
 * verdict OK (lang_visit: the guard walks every byte, so it runs once per record, not twice). */
sciprune_status lang_parse_checked(sciprune_parser *p, const char *lang, const char *src,
                                   size_t len, TSTree **tree, sciprune_error *err);

/* The parse guard (guard.c, sciprune_guard_check) as an error: OK, or EINVAL with the verdict
 * first in err->text ("too_deep: ..."). Every call of ts_parser_parse* in the library checks
 * it first (lang_parse does; corrupt's incremental reparse calls it itself). */
sciprune_status lang_guard_err(const char *lang, const char *src, size_t len, sciprune_error *err);

/* Count the parse errors of `src` (len bytes), parsed as `lang` into the tree at `root`:
 * ERROR / MISSING nodes (ts_node_is_error does not exist in 0.20.7: an ERROR node has symbol
 * (TSSymbol)-1) and, for python, the indentation errors CPython reports that tree-sitter
 * accepts (lang_pyindent_check). Every caller that judges "does it parse" uses this. */
void lang_count_errors(const char *lang, TSNode root, const char *src, size_t len,
                       sciprune_parse_stats *st);

/* All the errors of st: ERROR + MISSING nodes + indentation errors. */
uint32_t lang_error_count(const sciprune_parse_stats *st);

/* ------------------------------------------------------------------ jsearly.c
 * JavaScript/TypeScript redeclarations V8 rejects and the grammar accepts (a let/const/class
 * name declared twice in one scope, or also by var or function there): how many, and the
 * 1-based line of the first redeclaration (0 when none). Never flags code V8 accepts. */
void lang_js_early_errors(TSNode root, const char *src, uint32_t *errors, uint32_t *first_line);

/* ------------------------------------------------------------------ pyindent.c
 * Python indentation errors by CPython's tokenizer rules (indent stack, tabs at 8 and 1,
 * form feeds, exempt lines in brackets, strings, continuations, blanks and comments) and its
 * parser's "unexpected indent" / "expected an indented block". Linear time, no allocation. */
typedef enum lang_indent_error {
    LANG_INDENT_OK = 0,
    LANG_INDENT_UNEXPECTED, /* IndentationError: unexpected indent */
    LANG_INDENT_DEDENT,     /* IndentationError: unindent does not match any outer level */
    LANG_INDENT_EXPECTED,   /* IndentationError: expected an indented block */
    LANG_INDENT_TAB,        /* TabError: inconsistent use of tabs and spaces in indentation */
    LANG_INDENT_TOO_DEEP,   /* IndentationError: too many levels of indentation (100) */
    LANG_INDENT_UNINDENT    /* IndentationError: unexpected unindent (after a decorator) */
} lang_indent_error;

typedef struct lang_indent_result {
    uint32_t errors;         /* offending lines (one per slip: the stack recovers) */
    uint32_t first_line;     /* 1-based line of the first error, 0 when none */
    lang_indent_error first; /* its class */
} lang_indent_result;

void lang_pyindent_check(const char *src, size_t len, lang_indent_result *r);

/* CPython's message for an error class ("" for LANG_INDENT_OK). Static storage. */
const char *lang_indent_error_message(lang_indent_error e);


/* ------------------------------------------------------------------ one parse per record (visit.c)
 * A record is parsed once and its tree handed to every consumer in turn: the embedder's feature
 * walk and the quality gates' consumer (gates/gates.h) share the embed stage's parse. A
 * consumer gets the record, its language, the tree's root and the text; `root` is a null node
 * (ts_node_is_null) when the record was not parsed (see lang_visit_mode) - a consumer then
 * scores what it gives for a record without a tree. `guard` is the parse guard's verdict when
 * it kept the record from the parser (root then null), else SCIPRUNE_GUARD_OK. */
typedef sciprune_status (*lang_visit_fn)(void *self, const char *lang, TSNode root,
                                         sciprune_guard_verdict guard, const char *text,
                                         size_t len, sciprune_error *err);
typedef struct lang_visitor {
    lang_visit_fn fn;
    void *self;                 /* the consumer's state; borrowed */
} lang_visitor;

typedef enum lang_visit_mode {
    LANG_VISIT_NO_PARSE = 0,    /* do not parse: every consumer gets a null root */
    LANG_VISIT_PARSE,           /* parse when lang has a grammar (else a null root); a failed
                                   parse is the error returned, no consumer is called (a text
                                   the guard refuses is not a failure: a null root and the
                                   verdict, in every mode but NO_PARSE) */
    LANG_VISIT_PARSE_OR_NULL    /* the same, but a failed parse gives a null root */
} lang_visit_mode;

/* Parse text (len bytes) as lang once, per `mode`, and call v[0..nv) in order on the tree;
 * stops at the first consumer that fails and returns its error. The tree lives until the last
 * consumer returns. `p` is the caller's per-thread parser. Errors: those of the consumers;
 * EINVAL, EBACKEND (LANG_VISIT_PARSE: the parse failed). */
sciprune_status lang_visit(sciprune_parser *p, const char *lang, const char *text, size_t len,
                           lang_visit_mode mode, const lang_visitor *v, size_t nv,
                           sciprune_error *err);

/* ------------------------------------------------------------------ queries (query.c)
 * A compiled tree-sitter query plus its text predicates, which libtree-sitter leaves to the
 * client. Supported predicates (each applies to every node of the capture in the match):
 *   #eq? / #not-eq?           @cap "text" | @cap @other
 *   #match? / #not-match?     @cap "POSIX extended regex"
 *   #any-of? / #not-any-of?   @cap "a" "b" ...
 *   #type? / #not-type?       @cap type ...            node type is (not) one of these
 *   #has-ancestor? / #not-has-ancestor?  @cap type ... some proper ancestor has one of these types
 *   #next-on-same-line? / #not-next-on-same-line?  @cap  more code follows the node on its line
 *   #set! [@cap] key [value]  a per-pattern property, read with lang_query_property()
 * An unknown predicate is a compile error, so a typo in a .scm file does not silently match
 * everything. A compiled lang_query is immutable: share it between threads, each with its own
 * TSQueryCursor. */
typedef struct lang_query lang_query;

/* Compile `src` (len bytes) for `lang`. `source` names the text in errors (a file path).
 * Errors: EINVAL (no grammar), EPARSE (bad query or predicate; err->line/offset set), ENOMEM. */
sciprune_status lang_query_new(lang_query **out, const char *lang, const char *src, size_t len,
                               const char *source, sciprune_error *err);
void lang_query_free(lang_query *q);

/* A lang_query of npats patterns whose predicate steps the caller parsed itself (pattern i:
 * steps[i][0, nsteps[i]), as ts_query_predicates_for_pattern gives them, string ids into
 * `strings`, capture ids the caller's; lines[i] its line in errors, lines may be NULL): the
 * predicates and properties without tree-sitter's query compiler; it has no TSQuery. Takes
 * `strings` (nstrings malloc'd strings in a malloc'd array), also on error. Errors: EPARSE
 * (a bad predicate), ENOMEM. */
sciprune_status lang_query_new_steps(lang_query **out, uint32_t npats,
                                     const TSQueryPredicateStep *const *steps,
                                     const uint32_t *nsteps, const int64_t *lines,
                                     char **strings, uint32_t nstrings, const char *source,
                                     sciprune_error *err);

/* The compiled TSQuery; borrowed for the life of q. NULL for lang_query_new_steps. */
const TSQuery *lang_query_ts(const lang_query *q);

/* 1 when every text predicate of the match's pattern holds on src (the parsed text). */
int lang_query_match_ok(const lang_query *q, const TSQueryMatch *m, const char *src, size_t len);

/* Value of `#set! key value` in pattern `pattern` ("" for `#set! key`), or NULL. Borrowed. */
const char *lang_query_property(const lang_query *q, uint32_t pattern, const char *key);

/* 1 when some pattern of q sets `key`. */
int lang_query_has_property(const lang_query *q, const char *key);

#endif /* SCIPRUNE_LANG_INT_H */
