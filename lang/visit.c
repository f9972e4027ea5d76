/*
 * visit.c - one parse per record: lang_visit() parses a record once and hands the tree to a
 * list of consumers (lang_int.h), so the modules that read trees (embed/'s feature walk,
 * gates/) share one parse without knowing each other. The parse guard runs first: a text it
 * refuses is handed to the consumers without a tree, with the verdict.
 */
#include "lang_int.h"

#include <string.h>

sciprune_status lang_visit(sciprune_parser *p, const char *lang, const char *text, size_t len,
                           lang_visit_mode mode, const lang_visitor *v, size_t nv,
                           sciprune_error *err)
{
    TSTree *tree = NULL;
    TSNode root;
    memset(&root, 0, sizeof root); /* the null node */
    sciprune_guard_verdict guard = SCIPRUNE_GUARD_OK;
    if (mode != LANG_VISIT_NO_PARSE && lang && lang_grammar(lang)) {
        sciprune_guard_info gi;
        sciprune_guard_check(lang, text, len, &gi);
        guard = gi.verdict;
    }
    if (guard == SCIPRUNE_GUARD_OK && mode != LANG_VISIT_NO_PARSE && lang && lang_grammar(lang)) {
        sciprune_error perr;
        sciprune_status st = lang_parse_checked(p, lang, text, len, &tree,
                                                mode == LANG_VISIT_PARSE ? err : &perr);
        if (st) {
            if (mode == LANG_VISIT_PARSE) return st;
            tree = NULL;
        }
        if (tree) root = ts_tree_root_node(tree);
    }
    sciprune_status st = SCIPRUNE_OK;
    for (size_t i = 0; i < nv && !st; i++) st = v[i].fn(v[i].self, lang, root, guard, text, len, err);
    if (tree) ts_tree_delete(tree);
    return st;
}
