/* gates_int.h - internals of gates/: per-record quality gates (parse errors, undefined names)
 * computed on one tree-sitter parse per file. */
#ifndef SCIPRUNE_GATES_INT_H
#define SCIPRUNE_GATES_INT_H

#include "../lang/lang_int.h"

/* File-scope undefined-name analysis of a parsed tree (undef.c). `lang` is a canonical name;
 * python, javascript, typescript and tsx are analysed, any other language abstains with
 * reason "unsupported". Fills out->undefined_names, undefined_abstained, abstain_reason,
 * names. Errors: ENOMEM. */
sciprune_status gates_undefined(const char *lang, TSNode root, const char *src, size_t len,
                                sciprune_gate_scores *out, sciprune_error *err);

/* The gates, and the languages each is on for by default (langs.c: parse_error for every
 * grammar but c and cpp, undefined_name for python, javascript, typescript, tsx). */
enum { GATES_PARSE_ERROR = 0, GATES_UNDEFINED_NAME = 1, GATES_COUNT = 2 };
int gates_lang_default_on(int gate, const char *lang);
/* NULL-terminated list of the default languages of `gate`; static storage. */
const char *const *gates_lang_default_list(int gate);

#endif /* SCIPRUNE_GATES_INT_H */
