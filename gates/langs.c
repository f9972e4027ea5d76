/*
 * langs.c - the languages each quality gate is on for by default (one place for them).
 *
 *   parse_error     every language with a grammar but C and C++: their preprocessor macros
 *                   leave ERROR nodes in 40-80 % of clean files, so the gate would mostly
 *                   remove good code there
 *   undefined_name  the languages the analysis supports (python, javascript, typescript, tsx)
 *
 * W/gates/summary.json's "settings" (parse_error_langs, undefined_name_langs) override these
 * where present.
 */
#include "gates_int.h"

#include <string.h>

const char *const *gates_lang_default_list(int gate)
{
    static const char *const pe[] = {"python", "javascript", "typescript", "tsx",
                                     "java",   "go",         "rust",       NULL};
    static const char *const un[] = {"python", "javascript", "typescript", "tsx", NULL};
    return gate == GATES_PARSE_ERROR ? pe : gate == GATES_UNDEFINED_NAME ? un : NULL;
}

int gates_lang_default_on(int gate, const char *lang)
{
    const char *const *l = gates_lang_default_list(gate);
    if (!l || !lang) return 0;
    for (; *l; l++)
        if (!strcmp(*l, lang)) return 1;
    return 0;
}
