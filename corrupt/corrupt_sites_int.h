/* corrupt_sites_int.h - internals of corrupt/: the site queries matched node by node
 * (sitepat.c; corrupt_sites.h's direct mode). */
#ifndef SCIPRUNE_CORRUPT_SITES_INT_H
#define SCIPRUNE_CORRUPT_SITES_INT_H

#include "../lang/lang_int.h"

/* A query's patterns compiled for direct matching: read-only once made, shared by threads. */
typedef struct sp_prog sp_prog;

/* The program of the compiled query q, from its source text (the same text q was compiled
 * from), or NULL when a pattern is outside the subset sitepat.c matches (or on ENOMEM): then
 * the query cursor stays the only way. */
sp_prog *sp_prog_new(const TSLanguage *L, const TSQuery *q, const char *text, size_t len);
void sp_prog_free(sp_prog *g);

/* 1 when some pattern is rooted at a node of symbol s. */
int sp_prog_is_root(const sp_prog *g, TSSymbol s);

/* Per-thread matching scratch. */
typedef struct sp_matcher sp_matcher;
sp_matcher *sp_matcher_new(void);
void sp_matcher_free(sp_matcher *m);

/* Called per match (pattern index and captures as a query cursor gives them; valid during the
 * call). Return nonzero to stop. */
typedef int (*sp_match_fn)(void *user, const TSQueryMatch *m);

/* Every match of g's patterns rooted at node x (none unless its symbol is a root symbol).
 * Returns 0, the callback's nonzero, or -1 on ENOMEM. */
int sp_match_at(sp_matcher *m, const sp_prog *g, TSNode x, sp_match_fn fn, void *user);

#endif /* SCIPRUNE_CORRUPT_SITES_INT_H */
