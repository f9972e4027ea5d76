/* gates_int.h - internals of gates/: per-record quality gates (parse errors, undefined names)
 * computed on one tree-sitter parse per file. */
#ifndef SCIPRUNE_GATES_INT_H
#define SCIPRUNE_GATES_INT_H

#include "gates.h"
#include "../shard/sp_workdir.h"

/* File-scope undefined-name analysis of a parsed tree (undef.c). `lang` is a canonical name;
 * python, javascript, typescript and tsx are analysed, any other language abstains with
 * reason "unsupported". `path` (the record's, or NULL) shows Python hosts; `js_envs` is
 * sciprune_gates_settings.js_envs (NULL: auto). Fills out->undefined_names,
 * undefined_abstained, abstain_reason, names. Errors: ENOMEM. */
sciprune_status gates_undefined(const char *lang, const char *path, const char *js_envs,
                                TSNode root, const char *src, size_t len,
                                sciprune_gate_scores *out, sciprune_error *err);

/* C/C++ syntax check (csyntax.c): the parse_error gate's value for c and cpp, where raw
 * tree-sitter errors fire on macros. Counts per class; reason/offset: the first finding. */
typedef struct gates_csyntax {
    uint32_t brackets;     /* ()[]{} that do not pair up in the code the preprocessor keeps */
    uint32_t literals;     /* unterminated string / char / raw string literals */
    uint32_t comments;     /* block comment open at the end of the file */
    uint32_t conditionals; /* #else/#elif/#endif without #if, #if without #endif */
    uint32_t keywords;     /* misspelt keywords (retrun, cosnt): in code, or at a tree-sitter error */
    uint32_t chars;        /* a character that is no C token in code (@, `, a lone backslash) */
    uint32_t exprs;        /* token pairs no C expression has: an operator before ; or ), a
                              literal assigned to, two operands with nothing between */
    uint32_t tree;         /* 0/1: some other tree-sitter error does not look like a macro use.
                              Not part of the total: it flags ~3 % of clean C (see
                              bench/gates_c_results.md) */
    size_t tree_offset;    /* where, when tree = 1 */
    uint32_t semicolons;   /* a dropped ';': a strong lexer candidate (a statement that starts
                              with a plain name or a declaration keyword, a line that does too),
                              a weak one where tree-sitter has an error that does not look like
                              a macro use, or a statement block closed after an operand */
#define GATES_CSYNTAX_SEMI 64
    uint32_t nsemi;        /* lexer candidates: a line in a block ending in an operand or a
                              plain ')', the next starting with a name */
    size_t semi_at[GATES_CSYNTAX_SEMI][2]; /* the gap: [end of that line's last token, next
                                              token] */
    size_t offset;         /* byte offset of the first finding */
    const char *reason;    /* the first finding, "" when none; static storage */
} gates_csyntax;
/* Zero *out, then lex src (cpp: C++ rules for __cplusplus). Linear, no allocation. */
void gates_csyntax_lex(const char *src, size_t len, int cpp, gates_csyntax *out);
/* Add the tree-sitter findings of the parse `root` of src to *out (after the lexer). */
void gates_csyntax_tree(TSNode root, const char *src, size_t len, int cpp, gates_csyntax *out);
/* The parse_error value: brackets + literals + comments + conditionals + keywords + chars +
 * exprs + semicolons. */
uint32_t gates_csyntax_total(const gates_csyntax *c);

/* The gates. */
enum { GATES_PARSE_ERROR = 0, GATES_UNDEFINED_NAME = 1, GATES_COUNT = 2 };
/* Is `gate` on for `lang` by default (SCIPRUNE_GATES_PARSE_ERROR_LANGS /
 * SCIPRUNE_GATES_UNDEFINED_NAME_LANGS)? */
int gates_lang_default_on(int gate, const char *lang);

/* Every gate of one file from an existing parse tree (the embedder's): what
 * sciprune_gate_score() computes after parsing. Errors: ENOMEM. */
sciprune_status gates_score_tree(const char *lang, TSNode root, const char *text, size_t len,
                                 sciprune_gate_scores *out, sciprune_error *err);
/* The same for a file with a path (NULL: none) under settings `s` (NULL: defaults), which
 * choose the undefined_name environments (see sciprune_gate_score_file). */
sciprune_status gates_score_tree_file(const char *lang, const char *path,
                                      const sciprune_gates_settings *s, TSNode root,
                                      const char *text, size_t len, sciprune_gate_scores *out,
                                      sciprune_error *err);
/* The scores of a file in a language without a grammar (zero, undefined_name abstains). */
void gates_scores_unsupported(sciprune_gate_scores *out);

/* The language list in force for a gate (the setting or its default), and whether `lang` is on
 * it ("all": every language). */
const char *gates_langs_of(const sciprune_gates_settings *s, int gate);
int gates_lang_on(const char *list, const char *lang);
/* Iterate a comma-separated list: the next item, spaces trimmed, in *tok / *len (may be
 * empty); 0 at the end. *p advances. */
int gates_list_next(const char **p, const char **tok, size_t *len);

#endif /* SCIPRUNE_GATES_INT_H */
