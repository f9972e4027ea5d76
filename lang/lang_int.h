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

/* Parse src as lang. *tree is owned by the caller (ts_tree_delete). Errors: EINVAL, EBACKEND. */
sciprune_status lang_parse(sciprune_parser *p, const char *lang, const char *src, size_t len,
                           TSTree **tree, sciprune_error *err);

/* Count ERROR / MISSING nodes of a tree (ts_node_is_error does not exist in 0.20.7:
 * an ERROR node has symbol (TSSymbol)-1). */
void lang_count_errors(TSNode root, sciprune_parse_stats *st);

#endif /* SCIPRUNE_LANG_INT_H */
