/* corrupt_int.h - internals of corrupt/: the operator table, edits, the seeded PRNG. */
#ifndef SCIPRUNE_CORRUPT_INT_H
#define SCIPRUNE_CORRUPT_INT_H

#include "../lang/lang_int.h"

/* At most this many candidate edits are tried (each re-parsed) per apply. */
#define CORRUPT_MAX_ATTEMPTS 32

/* One corruption type for one language: a compiled query file. */
typedef struct corrupt_op {
    const char *lang;          /* canonical name, static storage */
    char *type;                /* "drop-colon"; owned */
    sciprune_corrupt_kind kind;
    char *path;                /* the .scm file; owned */
    lang_query *query;         /* owned */
} corrupt_op;

struct sciprune_corruptor {
    corrupt_op *ops;           /* nops, sorted by (lang, type); owned */
    size_t nops;
    char **types;              /* ntypes distinct type names, sorted; owned */
    sciprune_corrupt_kind *type_kinds; /* ntypes; owned */
    size_t ntypes;
};

/* The operator for (lang, type), or NULL. */
const corrupt_op *corrupt_find(const sciprune_corruptor *c, const char *lang, const char *type);

/* 1 when some operator exists for lang. */
int corrupt_has_lang(const sciprune_corruptor *c, const char *lang);

/* Apply op to src whose clean parse is `tree` (the caller checked it has no error). Same
 * contract as sciprune_corrupt_apply() otherwise; res->outcome is never UNCLEAN. */
sciprune_status corrupt_apply_tree(const corrupt_op *op, sciprune_parser *parser, uint64_t seed,
                                   const char *src, size_t len, TSTree *tree,
                                   sciprune_corrupt_result *res, sciprune_error *err);

/* ------------------------------------------------------------------ edit.c */

/* The generic edits, named by the capture that selects their node (see data/queries/README). */
typedef enum corrupt_edit {
    EDIT_NONE = 0,
    EDIT_DELETE,        /* @delete         remove the node */
    EDIT_DELETE_SPACED, /* @delete.spaced  remove the node and the blanks before it */
    EDIT_DELETE_LINE,   /* @delete.line    remove the node's whole line(s) when it is alone */
    EDIT_REPLACE,       /* @replace        replace with (#set! replace "text") */
    EDIT_MISSPELL,      /* @misspell       transpose two letters (or #set! replace) */
    EDIT_RENAME,        /* @rename         rename to a fresh name used nowhere in the file */
    EDIT_SWAP_A,        /* @swap.a/@swap.b exchange two nodes of one match */
    EDIT_SWAP_B,
    EDIT_OPERATOR,      /* @operator       flip an operator by the table in edit.c */
    EDIT_INCREMENT,     /* @increment      integer literal +1 or -1 */
    EDIT_DEDENT,        /* @dedent         re-indent a line to an enclosing construct's column */
    EDIT_NEGATE,        /* @negate         wrap as <prefix>(<node>) */
    EDIT_INDENT,        /* @indent         indent a line deeper (a step or part of one) */
    EDIT_MISINDENT,     /* @misindent      re-indent a line between two levels */
    EDIT_TABIFY,        /* @tabify         tabs for spaces (or spaces for tabs) in a line's indent */
    EDIT_DELETE_TAIL,   /* @delete.tail    remove the node's last (#set! tail "N") bytes */
    EDIT_TRUNCATE       /* @truncate       cut the text from the node's start to its end */
} corrupt_edit;

/* The edit a capture name selects; EDIT_NONE for helper captures (names starting with '_')
 * and -1 for an unknown name. */
int corrupt_edit_for_capture(const char *name);

/* 1 when the capture name ends in ".each": its edit applies to each named child of the node. */
int corrupt_capture_each(const char *name);

/* splitmix64: a small, fast PRNG with a 64-bit state; deterministic everywhere. */
typedef struct corrupt_rng {
    uint64_t s;
} corrupt_rng;
uint64_t corrupt_rng_next(corrupt_rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t corrupt_rng_below(corrupt_rng *r, uint64_t n);

/* A candidate site: the edit, its node(s) and the pattern (for properties). */
typedef struct corrupt_site {
    corrupt_edit edit;
    uint32_t pattern;
    TSNode a, b;               /* b only for swaps */
} corrupt_site;

/* One splice: replace src[offset, offset + removed) with ins[0, ins_len). */
typedef struct corrupt_splice {
    size_t offset, removed;
    char *ins;                 /* owned (malloc) */
    size_t ins_len;
} corrupt_splice;

/* Build the splice for a site. Returns 1 and fills *sp when the site gives an edit, 0 when it
 * does not apply (e.g. not an integer, no operator mapping, no fresh name), -1 on ENOMEM. */
int corrupt_edit_build(const lang_query *q, const corrupt_site *site, TSNode root,
                       const char *src, size_t len, corrupt_rng *rng, corrupt_splice *sp);

#endif /* SCIPRUNE_CORRUPT_INT_H */
