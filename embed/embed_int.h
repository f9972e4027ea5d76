/* embed_int.h - internals of embed/: the backend table, the embedder object and the pieces the
 * stage driver (stage.c) shares with the backends (hash.c, npyimp.c, exec.c). */
#ifndef SCIPRUNE_EMBED_INT_H
#define SCIPRUNE_EMBED_INT_H

#include "../lang/lang_int.h"
#include "../shard/sp_common.h"
#include "../shard/sp_workdir.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* One text of a batch. The stage copies texts into the batch's arena; `row` is the 0-based line
 * of the shard (npy import looks rows up by it). */
typedef struct embed_item {
    const char *lang;      /* canonical language name or the default; borrowed */
    const char *text;      /* borrowed; NULL for rejected lines and for the npy backend */
    size_t len;
    uint64_t row;          /* 0-based line of the shard */
    int rejected;          /* 1: the reader rejected the line: zero row, status REJECTED */
    const char *path;      /* the record's path (shows the gates' Python hosts) or NULL;
                              borrowed */
    int nat_fit;           /* fit pass: the record is in the naturalness model's sample */
    int sites_fit;         /* fit pass: the record is in the sample the site detectors train on */
} embed_item;

/* One feature of a document's sparse bag (hash backend): 64-bit feature hash and its count. */
typedef struct embed_feat {
    uint64_t key;
    uint32_t cnt;
} embed_feat;

/* What the hash backend extracted from one record in the idf fit pass, kept by the stage so
 * the embed pass can vectorize the record without parsing it again (stage.c's feature cache).
 * `feat` NULL: nothing kept (the record is parsed again). */
typedef struct embed_cached {
    embed_feat *feat;            /* n, in insertion (walk) order, owned; NULL = not cached */
    uint32_t n;
    uint8_t status;              /* the row status extract() gave */
    uint8_t has_gates;           /* `gates` is valid (the fit pass scored them) */
    sciprune_gate_scores gates;
    uint32_t *sfeat;             /* sn: the site detectors' features (sites.c's flat list) when
                                    e->sites, owned; NULL when there are none */
    uint32_t sn;
    float sscore;                /* the site detectors' score, when sscored (the detectors were
                                    trained when the record was counted: no flat list kept) */
    uint8_t sscored;
    void *nat;                   /* the record's n-gram tokens and sites (ngram_doc_pack),
                                    owned, or NULL; moves with `feat` */
    size_t nat_bytes;
} embed_cached;

/* What a backend fills for a batch: n rows of dim floats and n status bytes. */
typedef struct embed_batch {
    const embed_item *items; /* n, borrowed */
    size_t n;
    float *out;              /* n * dim, caller-owned */
    uint8_t *status;         /* n, caller-owned (sciprune_embed_row values) */
    sciprune_gate_scores *gates; /* n or NULL, caller-owned: the hash backend scores the
                                    quality gates on its own parse (rejected: untouched) */
    embed_cached *cache;     /* n or NULL, caller-owned (hash backend only). An item whose
                                entry has feat != NULL is not parsed (`text` unused): the fit
                                pass counts its bag, the embed pass vectorizes it and takes its
                                status and gates; the entry stays the caller's to free. Fit
                                pass with `keep`: the entries of the other items are filled
                                (feat malloc'd; left NULL when out of memory), with the gates
                                too when `gates` is set. */
    int keep;
    float *sites;            /* n or NULL, caller-owned: the site detectors' score per row
                                (embed pass, e->sites) */
    float *nat;              /* n or NULL, caller-owned: the `naturalness` signal (ngram.c),
                                filled by the embed pass when the model is there */
    const sciprune_gates_settings *gates_settings; /* with `gates`: the settings (js_envs);
                                                      NULL: defaults; borrowed */
} embed_batch;

typedef struct hash_state hash_state; /* hash.c: symbol tables, idf */
typedef struct exec_proc exec_proc;   /* exec.c: the child process */
typedef struct npy_state npy_state;   /* npyimp.c: the mapped file of the current shard */

/* sites.c: the site detectors (metric `sites`), see its header comment. */
#define SITES_BITS 20      /* weight table: 2^SITES_BITS floats shared by every model */
#define SITES_NTYPES 5     /* swap-operator, swap-args, off-by-one, negate-if, drop-return-value */
typedef struct embed_sites {
    struct corrupt_site_set **sets;  /* per language (registry order): the 5 types' queries as
                                        one, owned; NULL where a language has none; compiled
                                        on the language's first record (sites_set) */
    size_t nsets;
    sciprune_corruptor *corr;        /* the 5 types' operators, for the lazy compile, owned */
    atomic_uchar *ready;             /* per language: sets[i] is final (release/acquire), owned */
    pthread_mutex_t lock;            /* one compile at a time */
    float *w;                        /* 2^SITES_BITS weights, owned; NULL until trained/loaded */
    uint64_t pairs[SITES_NTYPES];    /* last training: corrupted examples per type */
    uint64_t examples[SITES_NTYPES]; /* and all examples per type */
} embed_sites;
typedef struct sites_worker sites_worker; /* per-thread scratch and training heaps */

/* The backend table (one static instance per backend). Every function returns a status and
 * fills `err`. A backend whose `parallel` is 1 may have embed_batch called from several threads
 * at once, each with its own worker context from worker_new; the others run on the caller's
 * thread with worker == NULL. */
typedef struct embed_backend {
    const char *name;
    int parallel;
    /* Make the embedder ready to embed (exec: spawn + handshake, sets e->dim). */
    sciprune_status (*start)(sciprune_embedder *e, sciprune_error *err);
    sciprune_status (*worker_new)(sciprune_embedder *e, void **w, sciprune_error *err);
    void (*worker_free)(void *w);
    /* Shard boundaries; `name` is the shard file name, `lines` the shard's line count. */
    sciprune_status (*shard_begin)(sciprune_embedder *e, const char *name, sciprune_error *err);
    sciprune_status (*embed_batch)(sciprune_embedder *e, void *w, embed_batch *b,
                                   sciprune_error *err);
    sciprune_status (*shard_end)(sciprune_embedder *e, uint64_t lines, sciprune_error *err);
    void (*destroy)(sciprune_embedder *e);
} embed_backend;

extern const embed_backend embed_hash_backend;
extern const embed_backend embed_npy_backend;
extern const embed_backend embed_exec_backend;

struct sciprune_embedder {
    const embed_backend *be;
    sciprune_embedder_settings s; /* strings below are owned copies */
    char *npy_dir;                /* owned */
    char *exec_command;           /* owned */
    uint32_t dim;                 /* 0 until known (npy: first file; exec: handshake) */
    char model[256];              /* exec: model id from the handshake; "" otherwise */
    char expect_model[256];       /* exec: model id a loaded embedder.json requires, or "" */
    int started;

    hash_state *hash;             /* hash backend, owned */
    exec_proc *proc;              /* exec backend, owned */
    npy_state *npy;               /* npy backend, owned */

    /* idf (hash backend): 2^idf_bits floats, owned; NULL = unit weights */
    float *idf;
    uint64_t idf_docs;            /* documents the table was fitted on */
    double idf_sample_used;       /* the sample fraction actually used */

    embed_sites *sites;           /* SCIPRUNE_FEAT_SITES (hash backend): owned; else NULL */
    /* naturalness (hash backend with idf): 2^NGRAM_BITS counts, owned; NULL = not fitted */
    uint32_t *ngram;
    int ngram_fit;                /* the fit pass counts n-grams (the model is fitted here) */
};

/* 1 when the features ask for the naturalness model: always without the site detectors, with
 * them only when listed (SCIPRUNE_FEAT_NATURALNESS). */
static inline int embed_naturalness_wanted(uint32_t features)
{
    return (features & SCIPRUNE_FEAT_NATURALNESS) || !(features & SCIPRUNE_FEAT_SITES);
}

/* 1 when the record `id` is in the naturalness model's fit sample (stage.c's rule: XXH3(id,
 * seed) below idf_sample * 2^64, never widened to every record). */
int embed_ngram_in_sample(const sciprune_embedder *e, const char *id);

/* ---- ngram.c: the naturalness model and signal (format and rules in ngram.c) */
#define NGRAM_ORDER 4
#define NGRAM_BITS 22
#define NGRAM_FLOOR 30.0
enum { NGRAM_SITE_OP = 1, NGRAM_SITE_NUM, NGRAM_SITE_SWAP, NGRAM_SITE_NEG };
typedef struct ngram_site {
    uint32_t s, e;     /* token range the alternative replaces */
    uint32_t a1, b0;   /* SWAP: end of the first argument, start of the second */
    uint32_t kind;
    int32_t val;       /* OP: operator class; NUM: the value */
} ngram_site;
/* One record's tokens and sites; a worker's scratch (tbyte / pend only while tokenizing). */
typedef struct ngram_doc {
    uint32_t *tok, *tbyte;
    uint32_t ntok, tcap;
    ngram_site *site;
    uint32_t nsite, scap;
    uint32_t *pend;    /* argument ranges in bytes, 4 per entry */
    uint32_t npend, pcap;
    uint64_t lang;
    int oom;
    /* tokenizer scratch, kept across records: the class bits of the walk's current node's
     * ancestors (a stack, by depth), and per node symbol of the language `cls_lang` its class
     * bits (ngram.c), owned */
    uint8_t *pcls;
    uint32_t pcap2;
    const void *cls_lang;
    uint8_t *cls;
    uint32_t ncls;
} ngram_doc;
uint32_t ngram_token_id(const char *s, size_t n);
/* A zeroed table of 2^NGRAM_BITS counts (free() it), or NULL. */
uint32_t *ngram_table_alloc(void);
/* dst[b] = min(dst[b] + src[b], UINT32_MAX) over n counters (the n-gram tables of the fit's
 * workers, their document frequencies). */
void embed_counts_add(uint32_t *dst, const uint32_t *src, size_t n);
uint64_t ngram_lang_key(const char *lang);
void ngram_doc_clear(ngram_doc *d);
void ngram_doc_free(ngram_doc *d);
/* Tokens and sites of a parse (root may be null: no tokens). */
void ngram_tokens(ngram_doc *d, const char *lang, TSNode root, const char *text);
/* The same tokenizer as steps of a pre-order walk the caller drives (hash.c's feature walk,
 * so that a record's tree is walked once): begin; then for every node the walk reaches, in
 * pre-order, that is not MISSING (ts_node_is_missing) and lies below no node this returned 0
 * for, ngram_walk_node with its symbol and namedness (ts_node_symbol, ts_node_is_named: the walk
 * asks once for all its consumers), visible child count and depth (root 0), which returns 1
 * when the tokenizer wants the node's children; then end. ngram_tokens is exactly this over a
 * walk of its own. */
void ngram_walk_begin(ngram_doc *d, const char *lang);
int ngram_walk_node(ngram_doc *d, TSNode n, TSSymbol sym, int named, uint32_t nchild,
                    uint32_t depth, const char *text);
void ngram_walk_end(ngram_doc *d);
/* Add the doc's k-gram counts (k = 1..NGRAM_ORDER) and token total to tab (saturating). */
void ngram_count(uint32_t *tab, const ngram_doc *d);
/* log S(w | ctx[0..nctx)) under stupid backoff (only the last NGRAM_ORDER-1 of ctx count). */
double ngram_logprob(const uint32_t *tab, uint64_t lang, const uint32_t *ctx, size_t nctx,
                     uint32_t w);
/* The record's naturalness (max site gain); scratch: d->ntok doubles. */
float ngram_score(const uint32_t *tab, const ngram_doc *d, double *scratch);
/* The doc's tokens and sites as one malloc'd blob (the feature cache), and a read-only view. */
void *ngram_doc_pack(const ngram_doc *d, size_t *bytes);
void ngram_doc_view(const void *blob, ngram_doc *v);

/* ---- hash.c */
sciprune_status embed_hash_init(sciprune_embedder *e, sciprune_error *err);
/* One text with the caller's parser (NULL: a temporary one); a temporary scratch per call. */
sciprune_status embed_hash_embed_one(sciprune_embedder *e, sciprune_parser *p, const char *lang,
                                     const char *text, size_t len, float *out, uint8_t *row,
                                     sciprune_error *err);
/* Fit pass: a counting context per worker. count_batch adds the document frequencies of the
 * batch's non-rejected texts to the worker's table (2^idf_bits uint32); with b->cache it also
 * keeps each record's features (and, with b->gates, its gate scores) for the embed pass. */
sciprune_status embed_hash_count_batch(sciprune_embedder *e, void *w, const embed_batch *b,
                                       sciprune_error *err);
/* The worker's table and how many documents it counted; the table is zeroed by _reset (in
 * place), or becomes the caller's by _take (free(); NULL when it counted nothing). */
const uint32_t *embed_hash_worker_df(void *w);
uint64_t embed_hash_worker_docs(void *w);
void embed_hash_worker_reset_df(void *w);
uint32_t *embed_hash_worker_take_df(void *w);
/* The worker's n-gram count table of the fit pass (2^NGRAM_BITS, NULL when none). */
const uint32_t *embed_hash_worker_ngram(void *w);
/* The worker's n-gram table, now the caller's (free()); NULL when it counted nothing. */
uint32_t *embed_hash_worker_take_ngram(void *w);
void embed_hash_worker_reset_ngram(void *w);
/* The naturalness of one text (its own parse); -NGRAM_FLOOR without a model or sites. */
/* sciprune_embed_worker_embed, and the record's embed-pass signals from the same parse (what
 * the embed stage writes for it): naturalness into *nat (-NGRAM_FLOOR without the model), the
 * site detectors' score into *sites (0 without them); either may be NULL. Hash backend only
 * (EINVAL otherwise). */
/* The worker stops scoring the site detectors (a model that does not rank by them: its
 * embedder loads them, its vectors do not need them). Hash backend; a no-op otherwise. */
void embed_worker_drop_sites(sciprune_embed_worker *w);
sciprune_status embed_worker_embed_signals(sciprune_embed_worker *w, const char *lang,
                                           const char *path, const char *text, size_t len,
                                           float *dst, size_t dst_cap, sciprune_embed_row *row,
                                           const sciprune_gates_settings *gs,
                                           struct sciprune_gate_scores *gates, float *nat,
                                           float *sites, sciprune_error *err);
sciprune_status embed_hash_naturalness_one(sciprune_embedder *e, sciprune_parser *p,
                                           const char *lang, const char *text, size_t len,
                                           float *out, sciprune_error *err);
/* Turn summed document frequencies into the idf table of e (ln((1+N)/(1+df)) + 1): from df
 * (64-bit sums) or, when df is NULL, from df32 (one process's saturated 32-bit sums). */
sciprune_status embed_hash_set_idf(sciprune_embedder *e, const uint64_t *df, const uint32_t *df32,
                                   uint64_t docs, double sample_used, sciprune_error *err);

/* ---- npyimp.c */
/* Check the header of DIR/<shard>.npy (dtype, order, 2-D, dimension against e->dim, setting it
 * when 0). Used up front for every shard, so a bad file fails the stage before any work. */
sciprune_status embed_npy_check_file(sciprune_embedder *e, const char *shard_name,
                                     sciprune_error *err);
/* DIR/<name>.npy, or DIR/<name without .zst / .jsonl>.npy when only that exists. Caller frees. */
char *embed_npy_source_path(const sciprune_embedder *e, const char *shard_name);

/* ---- exec.c */
/* Close stdin, wait for the child (bounded), kill what is left. */
void embed_exec_stop(sciprune_embedder *e);

/* ---- embedder.c */
/* Validate and copy the settings; hash: build the symbol tables. Nothing is started. */
sciprune_status embed_create(sciprune_embedder **out, const sciprune_embedder_settings *s,
                             sciprune_error *err);
/* Read DIR/embedder.json (+ idf.npy) without starting anything (exec: e->expect_model set). */
sciprune_status embed_load_dir(sciprune_embedder **out, const char *dir, sciprune_error *err);
/* 1 when embedders made with settings `want` would differ from `have`; *why says how. */
int embed_settings_differ(const sciprune_embedder_settings *want, const sciprune_embedder *have,
                          char *why, size_t cap);
/* Feature switches <-> names (for embedder.json and the CLI). */
const char *embed_feature_name(uint32_t bit);
/* Status value names, for documentation in embedder.json. */
const char *embed_row_name(int v);
/* Call the backend's start once. */
sciprune_status embed_ensure_started(sciprune_embedder *e, sciprune_error *err);

/* ---- sites.c */
sciprune_status embed_sites_new(embed_sites **out, sciprune_error *err);
void embed_sites_free(embed_sites *s);
const char *embed_sites_type_name(int t);
sciprune_status embed_sites_worker_new(const sciprune_embedder *e, sites_worker **out,
                                       sciprune_error *err);
void embed_sites_worker_free(sites_worker *w);
/* One record's parse: collect its sites' features (the worker's flat list, borrowed until the
 * next visit), and with `train` the training examples. A null root: an empty list. */
sciprune_status embed_sites_visit(const sciprune_embedder *e, sites_worker *w, int train,
                                  const char *lang, TSNode root, const char *text, size_t len,
                                  sciprune_error *err);
/* The sites' record walk driven by another pre-order walk of the same tree (hash.c's feature
 * walk), so that embed_sites_visit need not walk it again: scan_begin (0: nothing to scan, no
 * scan_node calls), then scan_node for every node in pre-order (depth: below root; c: the
 * walk's cursor, on the node) but those under a node it said 0 for (it says whether to enter
 * the node). embed_sites_visit with the
 * same root and text then uses it; any other call drops it. */
int embed_sites_scan_begin(const sciprune_embedder *e, sites_worker *w, const char *lang,
                           TSNode root, const char *text, size_t len);
int embed_sites_scan_node(sites_worker *w, TSNode x, TSSymbol sym, int named, uint32_t depth,
                          const TSTreeCursor *c);
const uint32_t *embed_sites_worker_flat(const sites_worker *w, uint32_t *n);
/* The record's score after embed_sites_visit: scored as it went when the weights were at hand
 * and it did not train (embed_sites_worker_scored: no flat list then), else from the flat list;
 * the same float either way. */
float embed_sites_worker_score(const sciprune_embedder *e, const sites_worker *w);
int embed_sites_worker_scored(const sites_worker *w);
/* Max over the listed sites of the detector's probability (0: none, or no model). */
float embed_sites_score_flat(const sciprune_embedder *e, const uint32_t *flat, uint32_t n);
/* Merge the workers' examples and fit the models (single-threaded, deterministic). */
sciprune_status embed_sites_train(sciprune_embedder *e, sites_worker *const *ws, size_t nw,
                                  sciprune_error *err);
sciprune_status embed_sites_save(const embed_sites *s, const char *path, sciprune_error *err);
/* Split fit (sciprune_run over ranks): the workers' examples, merged per model as
 * embed_sites_train merges them (sorted, exact duplicates dropped, the SITES_MAX_EX smallest),
 * written to `path` (format in sites.c); the heaps stay the workers'. */
sciprune_status embed_sites_part_save(sites_worker *const *ws, size_t nw, const char *path,
                                      sciprune_error *err);
/* Merge the part files of every rank (the same set whatever their number) and fit the models
 * as embed_sites_train does. Errors: EIO, EPARSE, ENOMEM. */
sciprune_status embed_sites_train_parts(sciprune_embedder *e, const char *const *paths, size_t np,
                                        sciprune_error *err);
sciprune_status embed_sites_load(embed_sites *s, const char *path, sciprune_error *err);
/* hash.c: the site detectors' score of one text (its own parse), a temporary worker. */
sciprune_status embed_hash_sites_one(sciprune_embedder *e, sciprune_parser *p, const char *lang,
                                     const char *text, size_t len, float *score,
                                     sciprune_error *err);
/* hash.c: the worker's sites scratch (NULL when the feature is off). */
sites_worker *embed_hash_worker_sites(void *w);
void embed_hash_worker_drop_sites(void *w);

#endif /* SCIPRUNE_EMBED_INT_H */
