/* corrupt_sites.h - the one entry point of corrupt/ that another module uses: the sites of a
 * corruption type in a clean tree, each with the edit the engine would make there. embed/sites.c
 * trains its site detectors on these pairs (the clean site, the corrupted site), so the
 * detectors learn exactly the corruptions the engine makes, from one edit logic. */
#ifndef SCIPRUNE_CORRUPT_SITES_H
#define SCIPRUNE_CORRUPT_SITES_H

#include "../lang/lang_int.h"

/* What a site's edit does (the capture's edit, coarsely). */
typedef enum corrupt_site_kind {
    CORRUPT_SITE_OTHER = 0,
    CORRUPT_SITE_OPERATOR,  /* @operator: flip the operator */
    CORRUPT_SITE_SWAP,      /* @swap.a/@swap.b: exchange two nodes */
    CORRUPT_SITE_INCREMENT, /* @increment: integer +-1 */
    CORRUPT_SITE_NEGATE,    /* @negate: wrap in a negation */
    CORRUPT_SITE_DELETE     /* @delete, @delete.spaced, @delete.line */
} corrupt_site_kind;

/* One site. `ins` is NULL when the site was asked for without its edit, or its edit does not
 * apply (then offset/removed are 0). */
typedef struct corrupt_site_edit {
    corrupt_site_kind kind;
    int type;                  /* index into the set's types */
    TSNode a, b;               /* the site's node(s); b null except for swaps */
    size_t offset, removed;    /* the splice: src[offset, offset + removed) -> ins */
    const char *ins;           /* ins_len bytes; borrowed, valid during the callback */
    size_t ins_len;
} corrupt_site_edit;

/* Return nonzero to stop the walk. */
typedef int (*corrupt_site_fn)(void *user, const corrupt_site_edit *se);

/* The query files of several corruption types for one language, compiled into one query, so
 * one pass of a query cursor over a tree finds the sites of all of them. */
typedef struct corrupt_site_set corrupt_site_set;

/* A corruptor with the operators of `types` only (the default queries folder), their queries
 * not compiled: only for corrupt_site_set_new (which compiles them together). Same errors as
 * sciprune_corruptor_new. */
sciprune_status corrupt_corruptor_new_types(sciprune_corruptor **out, const char *const *types,
                                            size_t ntypes, sciprune_error *err);

/* Build the set of `types` (at most 255) for `lang` from c's operators. *out stays NULL when
 * the language has none of the types. Errors: ENOMEM, EIO, EPARSE. */
sciprune_status corrupt_site_set_new(corrupt_site_set **out, const sciprune_corruptor *c,
                                     const char *lang, const char *const *types, size_t ntypes,
                                     sciprune_error *err);
void corrupt_site_set_free(corrupt_site_set *s);

/* Per symbol of the set's language (*nsym of them): nonzero where a match of the set's query
 * can be rooted at a node of that symbol (every pattern is one plain named node at its root,
 * which the symbols are marked by name). NULL (*nsym 0) when that is not known (a pattern
 * rooted at a wildcard, an alternation, a supertype...) or for a NULL set. */
const uint8_t *corrupt_site_set_root_symbols(const corrupt_site_set *s, uint32_t *nsym);

/* Call fn for each site of the set's types in the clean tree `root` of src, in position order
 * (the engine's own site list: sorted, duplicates dropped). With `with_edit` each site's edit
 * is built as the engine builds it, its random choices drawn from `seed`; the variant is not
 * re-parsed (a training pair, not a validated corruption). A NULL set: no call.
 * `subtrees` (nsub of them, may be 0), when not NULL, restricts the query passes to those
 * subtrees of root: they must be disjoint, in document order, and hold every node of a root
 * symbol (corrupt_site_set_root_symbols) outside any other such node - the outermost ones;
 * then no match can start outside them, none of them starts inside a match from outside, and
 * the sites are exactly those of a pass over the whole tree. NULL: one pass over root.
 * Errors: ENOMEM. Thread-safe (the set is read only). */
sciprune_status corrupt_site_set_each(const corrupt_site_set *s, TSNode root, const TSNode *subtrees,
                                      size_t nsub, const char *src, size_t len, int with_edit,
                                      uint64_t seed, corrupt_site_fn fn, void *user,
                                      sciprune_error *err);

/* Nonzero when the set's patterns are matched node by node (corrupt/sitepat.c: every pattern
 * within its subset - true of the default site queries): then a corrupt_site_walk finds the
 * sites from a walk of the tree the caller makes anyway, without a query cursor. */
int corrupt_site_set_direct(const corrupt_site_set *s);

/* The direct mode's per-thread state: begin, then every node of the tree in pre-order, then
 * each (the sites of the walked tree, as corrupt_site_set_each with no subtrees gives them:
 * the same sites, order and edits). Not thread-safe; one per thread, reused record after
 * record. */
typedef struct corrupt_site_walk corrupt_site_walk;
corrupt_site_walk *corrupt_site_walk_new(void);
void corrupt_site_walk_free(corrupt_site_walk *w);

/* Start a record's walk for S, which must be direct (corrupt_site_set_direct): -1 if not. */
int corrupt_site_walk_begin(corrupt_site_walk *w, const corrupt_site_set *S);

/* Each node of the tree in pre-order (every visible node: anonymous ones, extras, MISSING
 * ones) with its ts_node_symbol and ts_node_is_named, `depth` below the root, `c` a cursor
 * positioned on it. */
void corrupt_site_walk_node(corrupt_site_walk *w, TSNode x, TSSymbol sym, int named,
                            uint32_t depth, const TSTreeCursor *c);

/* After the last node: fn for each site of the walked tree `root` of src (see
 * corrupt_site_set_each). Errors: ENOMEM. */
sciprune_status corrupt_site_walk_each(corrupt_site_walk *w, TSNode root, const char *src,
                                       size_t len, int with_edit, uint64_t seed,
                                       corrupt_site_fn fn, void *user, sciprune_error *err);

#endif /* SCIPRUNE_CORRUPT_SITES_H */
