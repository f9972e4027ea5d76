/* corrupt_sites_int.h - internals of corrupt/: the site queries matched node by node
 * (sitepat.c; corrupt_sites.h's direct mode). */
#ifndef SCIPRUNE_CORRUPT_SITES_INT_H
#define SCIPRUNE_CORRUPT_SITES_INT_H

#include "../lang/lang_int.h"

/* A query's patterns compiled for direct matching: read-only once made, shared by threads. */
typedef struct sp_prog sp_prog;

/* The program of a query text for language L, or NULL when a pattern is outside the subset
 * sitepat.c matches (or on ENOMEM, or a bad predicate): then the query must be compiled with
 * tree-sitter and matched with its cursor. It holds its own capture ids (in order of first
 * appearance) and the predicates and properties (a lang_query without a TSQuery); `source`
 * names the text in errors. */
sp_prog *sp_prog_new(const TSLanguage *L, const char *text, size_t len, const char *source);
void sp_prog_free(sp_prog *g);

/* Its patterns (in text order: the pattern index a query compiled from the text gives), their
 * first bytes, its capture names by id, and its predicates and properties
 * (lang_query_match_ok / lang_query_property take the program's pattern and capture ids). */
uint32_t sp_prog_pattern_count(const sp_prog *g);
uint32_t sp_prog_pattern_start(const sp_prog *g, uint32_t i);
uint32_t sp_prog_capture_count(const sp_prog *g);
const char *sp_prog_capture_name(const sp_prog *g, uint32_t id);
const lang_query *sp_prog_query(const sp_prog *g);


/* One record's walk (per thread): the children of every node a pattern is rooted at, and of
 * every node a nested step may match, collected from a pre-order walk of the tree. */
typedef struct sp_walk sp_walk;
sp_walk *sp_walk_new(void);
void sp_walk_free(sp_walk *w);

/* Start a record (g: the set's program). */
void sp_walk_begin(sp_walk *w, const sp_prog *g);

/* The next node of a pre-order walk over every node of the tree (anonymous nodes and extras
 * too) with its ts_node_symbol and ts_node_is_named, its depth below the walk's root, and a
 * cursor positioned on it (for its field). */
void sp_walk_node(sp_walk *w, TSNode x, TSSymbol sym, int named, uint32_t depth,
                  const TSTreeCursor *c);

/* Called per match (pattern index and captures as a query cursor gives them; valid during the
 * call). Return nonzero to stop. */
typedef int (*sp_match_fn)(void *user, const TSQueryMatch *m);

/* After the walk's last node: every match of the program's patterns in the walked tree.
 * Returns 0, the callback's nonzero, or -1 on ENOMEM (also one during the walk). */
int sp_walk_matches(sp_walk *w, sp_match_fn fn, void *user);

#endif /* SCIPRUNE_CORRUPT_SITES_INT_H */
