/*
 * sciprune.h - the public API of libsciprune.
 *
 * sciprune prunes low-quality files from code datasets with SCIP (synthetic-corruption-informed
 * pruning, arXiv 2312.02418). The CLI and any binding include only this header.
 *
 * Conventions (see shared/STYLE.md):
 *  - every function returns a sciprune_status and fills a caller-owned sciprune_error when one
 *    is given (err may be NULL); filling it never allocates;
 *  - `_free(NULL)` / `_close(NULL)` are no-ops;
 *  - the library never prints and never exits; it logs through sciprune_set_logger();
 *  - memory returned to the caller says who frees it; "borrowed" pointers stay valid until the
 *    next call on the same object.
 * Thread safety: distinct objects may be used from distinct threads at once; one object must not
 * be used from two threads at once unless its section says so.
 */
#ifndef SCIPRUNE_H
#define SCIPRUNE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== core */

#define SCIPRUNE_VERSION_MAJOR 0
#define SCIPRUNE_VERSION_MINOR 1
#define SCIPRUNE_VERSION_PATCH 0

typedef enum sciprune_status {
    SCIPRUNE_OK = 0,
    SCIPRUNE_ENOMEM,   /* an allocation failed */
    SCIPRUNE_EIO,      /* a file could not be opened, read, written or renamed */
    SCIPRUNE_EPARSE,   /* malformed input (JSON, stream, config) */
    SCIPRUNE_EINVAL,   /* bad argument or option */
    SCIPRUNE_EBACKEND, /* a third-party library or external process failed */
    SCIPRUNE_ESTATE    /* wrong order of calls, or on-disk state that does not match */
} sciprune_status;

typedef struct sciprune_error { /* caller-owned; filling it never allocates */
    sciprune_status code;
    char source[256]; /* file, shard or backend; "" when none */
    int64_t line;     /* 1-based line, -1 when unknown */
    int64_t offset;   /* byte offset, -1 when unknown */
    char text[256];
} sciprune_error;

/* "0.1.0"; static storage. */
const char *sciprune_version(void);

/* Name of a status ("ENOMEM", ...); static storage. */
const char *sciprune_status_name(sciprune_status s);

typedef enum sciprune_log_level {
    SCIPRUNE_LOG_ERROR = 0,
    SCIPRUNE_LOG_WARN,
    SCIPRUNE_LOG_INFO,
    SCIPRUNE_LOG_DEBUG
} sciprune_log_level;

/* Process-wide logger. The library calls it for warnings and information (never for errors it
 * also returns). `msg` is borrowed for the duration of the call. The callback may be called
 * from several threads at once. NULL silences the library (the default). */
typedef void (*sciprune_log_fn)(void *user, sciprune_log_level level, const char *msg);
void sciprune_set_logger(sciprune_log_fn fn, void *user);

/* Free memory the library returned with "caller frees with sciprune_free()". */
void sciprune_free(void *p);

/* ==================================================================== shard
 * Record I/O: JSONL and JSONL.zst shards. A shard is one input file; each line one JSON object.
 * Every line read is returned, good or bad, so a caller can account for every line:
 * accepted + rejected = lines in the file. */

/* Why a line was rejected. SCIPRUNE_REJECT_NONE means the record is good. */
typedef enum sciprune_reject {
    SCIPRUNE_REJECT_NONE = 0,
    SCIPRUNE_REJECT_BAD_JSON,        /* not a JSON object */
    SCIPRUNE_REJECT_NO_TEXT,         /* the text field is missing */
    SCIPRUNE_REJECT_TEXT_NOT_STRING, /* the text field is not a string */
    SCIPRUNE_REJECT_BAD_UTF8,        /* the line is not valid UTF-8 */
    SCIPRUNE_REJECT_NUL_IN_TEXT,     /* the text contains U+0000 */
    SCIPRUNE_REJECT_TOO_LONG,        /* the line exceeds max_line_bytes */
    SCIPRUNE_REJECT_NO_NEWLINE,      /* the last line has no final newline (truncated write?) */
    SCIPRUNE_REJECT_EMPTY_LINE,      /* a blank line */
    SCIPRUNE_REJECT_STREAM           /* compressed stream damaged: truncated, corrupt, not zstd;
                                        the bytes decoded before the damage, if any */
} sciprune_reject;

/* Stable snake_case name of a reason ("bad_json", ...); static storage. */
const char *sciprune_reject_name(sciprune_reject r);

typedef struct sciprune_shard_options {
    const char *text_field;   /* default "content" */
    const char *id_field;     /* default "id"; absent in a record: "<shard name>:<line>" */
    const char *lang_fields;  /* comma-separated, first present wins; default "lang,language" */
    const char *path_fields;  /* comma-separated; default "path,max_stars_repo_path" */
    const char *default_lang; /* used when nothing else tells; default "unknown" */
    size_t max_line_bytes;    /* default 16 MiB */
} sciprune_shard_options;

/* Fill `o` with the defaults above. Strings are static; the struct borrows what you set. */
void sciprune_shard_options_default(sciprune_shard_options *o);

typedef struct sciprune_record {
    int64_t line;          /* 1-based line number in the (decompressed) shard */
    int64_t offset;        /* byte offset of the line in the decompressed stream; for
                              SCIPRUNE_REJECT_STREAM the compressed offset of the damage */
    const char *raw;       /* the line's bytes without the '\n'; borrowed */
    size_t raw_len;
    const char *text;      /* decoded text field (NUL-terminated, no inner NUL); borrowed;
                              NULL when rejected */
    size_t text_len;
    const char *id;        /* record id; borrowed; NULL when rejected */
    const char *lang;      /* canonical language name ("python", "cpp", ...) or default_lang */
    const char *path;      /* path-like field, or NULL */
    sciprune_reject reject;/* NONE for a good record */
    char detail[160];      /* human-readable detail for a rejection ("" otherwise) */
} sciprune_record;

typedef struct sciprune_shard_reader sciprune_shard_reader;

/* Open a shard for streaming. Format by content: a file that ends in ".zst" must be a zstd
 * stream (one or more frames, any level); anything else is read as plain JSONL.
 * Errors: EIO (cannot open), EINVAL (bad options), ENOMEM.
 * `opt` may be NULL (defaults); its strings must outlive the reader. Free with _close(). */
sciprune_status sciprune_shard_reader_open(sciprune_shard_reader **out, const char *path,
                                           const sciprune_shard_options *opt,
                                           sciprune_error *err);

/* Read the next line. On success *rec points at a record borrowed until the next call, or is
 * NULL at the end of the shard. Bad lines are returned with rec->reject set; stream damage
 * ends the shard after one SCIPRUNE_REJECT_STREAM record. Errors: EIO (read failed), ENOMEM. */
sciprune_status sciprune_shard_reader_next(sciprune_shard_reader *r,
                                           const sciprune_record **rec, sciprune_error *err);

/* Compressed bytes consumed so far (the file's bytes), for progress. */
uint64_t sciprune_shard_reader_tell(const sciprune_shard_reader *r);

void sciprune_shard_reader_close(sciprune_shard_reader *r);

/* Shard writer: writes "<path>.tmp.<pid>" and renames it to `path` only in _close(), so a killed
 * run never leaves a file that looks complete. ".zst" paths are zstd-compressed. */
typedef struct sciprune_shard_writer sciprune_shard_writer;

typedef struct sciprune_writer_options {
    int zstd_level; /* default 3 */
    int fsync;      /* fsync before rename; default 1 */
} sciprune_writer_options;
void sciprune_writer_options_default(sciprune_writer_options *o);

/* Errors: EIO, ENOMEM. `opt` may be NULL. */
sciprune_status sciprune_shard_writer_open(sciprune_shard_writer **out, const char *path,
                                           const sciprune_writer_options *opt,
                                           sciprune_error *err);
/* Append one line; a '\n' is added. Errors: EIO, EBACKEND (zstd). */
sciprune_status sciprune_shard_writer_write(sciprune_shard_writer *w, const void *line,
                                            size_t len, sciprune_error *err);
/* Flush, fsync, rename into place, free. On error the temp file is removed and `w` is freed. */
sciprune_status sciprune_shard_writer_close(sciprune_shard_writer *w, sciprune_error *err);
/* Drop everything written: remove the temp file, free `w`. NULL is a no-op. */
void sciprune_shard_writer_abort(sciprune_shard_writer *w);

/* Write a rejected record to `w` as one JSON line:
 * {"shard":..., "line":N, "offset":B, "reason":"bad_json", "detail":..., "raw":"<line>"}
 * "raw" holds the line's bytes exactly when they are valid UTF-8, else "raw_base64" does. */
sciprune_status sciprune_reject_write(sciprune_shard_writer *w, const char *shard,
                                      const sciprune_record *rec, sciprune_error *err);

/* Content hash of a whole file: 32 lowercase hex digits (XXH3-128) + NUL into out[33]. */
sciprune_status sciprune_file_hash(const char *path, char out[33], sciprune_error *err);

/* Canonical language name for a path's extension ("x/y.py" -> "python"), or NULL. */
const char *sciprune_lang_from_path(const char *path);
/* Canonical language name for a user-given name ("Python", "C++", "js" ...), or NULL. */
const char *sciprune_lang_canonical(const char *name);

/* Shard file name without directories ("a/b/x.jsonl.zst" -> "x.jsonl.zst"); borrowed from
 * `path`. */
const char *sciprune_shard_name(const char *path);

/* ------------------------------------------------------------------ ingest
 * Turn source trees into Stack-like shards: {"id","content","lang","path","size"}. */
typedef struct sciprune_ingest_options {
    size_t docs_per_shard; /* default 10000 */
    size_t max_file_bytes; /* default 1 MiB; larger files are skipped and counted */
    int zstd_level;        /* default 3 */
    int known_langs_only;  /* 1 (default): only files whose extension maps to a language */
    const char *prefix;    /* shard name prefix, default "shard" -> shard-00000.jsonl.zst */
} sciprune_ingest_options;
void sciprune_ingest_options_default(sciprune_ingest_options *o);

typedef struct sciprune_ingest_stats {
    uint64_t files_seen, files_written, skipped_binary, skipped_large, skipped_unknown_lang,
        skipped_unreadable, bytes_written, shards;
} sciprune_ingest_stats;

/* Walk `dirs` (sorted, deterministic, symlinks not followed) and write shards into out_dir.
 * Ids are "<dir basename>/<relative path>". Errors: EIO, ENOMEM, EINVAL. */
sciprune_status sciprune_ingest(const char *const *dirs, size_t ndirs, const char *out_dir,
                                const sciprune_ingest_options *opt, sciprune_ingest_stats *stats,
                                sciprune_error *err);

/* ===================================================================== lang
 * tree-sitter grammars: python, javascript, typescript, tsx, java, c, cpp, go, rust. */

typedef struct sciprune_parser sciprune_parser; /* one per worker thread */

/* Number of languages with a grammar, and the i-th canonical name (static storage). */
size_t sciprune_lang_count(void);
const char *sciprune_lang_name(size_t i);
/* 1 when `lang` (canonical name) has a grammar. */
int sciprune_lang_has_grammar(const char *lang);

sciprune_status sciprune_parser_new(sciprune_parser **out, sciprune_error *err);
void sciprune_parser_free(sciprune_parser *p);

typedef struct sciprune_parse_stats {
    uint32_t error_nodes;   /* ERROR nodes */
    uint32_t missing_nodes; /* MISSING nodes */
    uint64_t error_bytes;   /* bytes covered by ERROR nodes (outermost only) */
} sciprune_parse_stats;

/* Parse `src` as `lang` and count error markers. Errors: EINVAL (no grammar), EBACKEND. */
sciprune_status sciprune_parse_check(sciprune_parser *p, const char *lang, const char *src,
                                     size_t len, sciprune_parse_stats *st, sciprune_error *err);

/* =================================================================== corrupt */
/* (issue 3) */

/* ===================================================================== embed */
/* (issue 4) */

/* ===================================================================== index */
/* Stage 3: FAISS k-means over the embeddings, then every record assigned to its nearest
 * centroid. All files live in a workdir W:
 *
 *   W/embed/<shard>.npy           in:  float32 or float16, N x d, one row per input line
 *   W/embed/<shard>.status.npy    in:  uint8 N; 1 = the line was rejected (its row is ignored),
 *                                      any other value counts (0 ok, >1 embedder fallbacks).
 *                                      Missing: every row counts.
 *   W/embed/shards.json           in, optional: the shard list and its order (see
 *                                      sciprune_shard_set_load)
 *   W/index/centroids.npy         float32 k x d (unit length for cosine)
 *   W/index/kmeans.faiss          FAISS IndexFlatIP (cosine) or IndexFlatL2 (l2) over the
 *                                 centroids: faiss.read_index() loads it
 *   W/index/train.json            settings, k asked and used, sample size, warnings, time
 *   W/index/clusters.json         k, d, metric, per-cluster sizes over all accepted records
 *   W/assign/<shard>.cluster.npy  int32 N: nearest centroid per line, -1 for rejected lines
 *   W/assign/<shard>.dist.npy     float32 N: distance to that centroid (cosine: 1 - cos
 *                                 similarity; l2: Euclidean distance), 0 for rejected lines
 *
 * Records are addressed by (shard index, line); line = row + 1. The training sample holds a
 * record iff XXH3("<shard name>:<line>", seed) is among the max_points_per_centroid * k smallest
 * hashes (found with one threshold pass), so it does not depend on shard order, thread count or
 * rank count; it is sorted by hash before training. */

/* The shards of a workdir, in their canonical order (the order ties are broken in). */
typedef struct sciprune_shard_set {
    size_t n;
    char **names; /* n shard file names ("x.jsonl.zst"), unique; owned */
    char **paths; /* n input paths; an entry is NULL when unknown; owned */
} sciprune_shard_set;

/* From input shard paths, in the given order. Errors: EINVAL (two shards with one name, n == 0),
 * ENOMEM. Free with sciprune_shard_set_free(). */
sciprune_status sciprune_shard_set_from_paths(sciprune_shard_set **out, const char *const *paths,
                                              size_t n, sciprune_error *err);

/* From W/embed/shards.json when it exists, else every W/embed/<name>.npy whose name ends in
 * ".jsonl.npy" or ".jsonl.zst.npy", sorted by name (without paths). shards.json may be a JSON
 * array, or an object with a "shards" array; its entries are strings (a path or a name) or
 * objects with "path" (or "file") and/or "name" (or "shard"). Errors: EIO, EPARSE, EINVAL (none found), ENOMEM. */
sciprune_status sciprune_shard_set_load(sciprune_shard_set **out, const char *workdir,
                                        sciprune_error *err);
void sciprune_shard_set_free(sciprune_shard_set *s);

typedef enum sciprune_space {
    SCIPRUNE_SPACE_COSINE = 0, /* spherical k-means on L2-normalised vectors (default) */
    SCIPRUNE_SPACE_L2          /* plain k-means on the vectors as they are */
} sciprune_space;
/* "cosine" / "l2"; static storage. */
const char *sciprune_space_name(sciprune_space s);
/* Errors: EINVAL. */
sciprune_status sciprune_space_parse(const char *name, sciprune_space *out, sciprune_error *err);

typedef struct sciprune_index_settings {
    int k;                       /* clusters; default 100 */
    int niter;                   /* k-means iterations; default 20 */
    int nredo;                   /* restarts, best objective kept; default 1 */
    uint64_t seed;               /* sample hash and FAISS seed; default 1234 */
    sciprune_space space;        /* default cosine */
    int max_points_per_centroid; /* sample cap = this * k; default 256 */
    int min_points_per_centroid; /* fewer accepted records than this * k lowers k; default 39 */
    int threads;                 /* workers over shards, and OpenMP threads for training;
                                    0 = all cores */
    size_t batch_rows;           /* assignment batch; default 8192 */
} sciprune_index_settings;
void sciprune_index_settings_default(sciprune_index_settings *s);

typedef struct sciprune_index_info {
    int k_requested;      /* settings.k */
    int k;                /* k used (lowered on small inputs) */
    int d;                /* vector dimension */
    uint64_t n_records;   /* rows (= input lines) */
    uint64_t n_accepted;  /* rows not rejected */
    uint64_t n_sample;    /* training points */
    double objective;     /* final k-means objective (sum of similarities or squared L2) */
    double seconds;       /* wall time of the call */
    char warning[256];    /* "" or why k was lowered */
} sciprune_index_info;

/* Train k-means on the hash sample of W/embed and write W/index/{centroids.npy, kmeans.faiss,
 * train.json}. When there are fewer than min_points_per_centroid * k accepted records, k is
 * lowered to max(1, accepted / min_points_per_centroid), with a warning logged and put in
 * info->warning. `info` may be NULL. Not thread-safe with other FAISS users of the calling
 * thread's OpenMP settings (it sets and restores them).
 * Errors: EIO (missing or unwritable files), EPARSE (bad .npy, shapes disagree, NaN or
 * infinite values: source and line name the record), EINVAL (bad settings, no accepted
 * record), EBACKEND (FAISS), ENOMEM. */
sciprune_status sciprune_index_train(const char *workdir, const sciprune_shard_set *shards,
                                     const sciprune_index_settings *s, sciprune_index_info *info,
                                     sciprune_error *err);

/* Assign every row of every shard to its nearest centroid (threads over shards, single-threaded
 * FAISS inside each worker so results do not depend on the thread count) and write
 * W/assign/<shard>.{cluster,dist}.npy and W/index/clusters.json. Needs sciprune_index_train()
 * first. `info` may be NULL. Errors: EIO, EPARSE (as for training), ESTATE (no index,
 * dimension mismatch), EBACKEND, ENOMEM. */
sciprune_status sciprune_index_assign_shards(const char *workdir,
                                             const sciprune_shard_set *shards,
                                             const sciprune_index_settings *s,
                                             sciprune_index_info *info, sciprune_error *err);

/* A trained index loaded for online use: assign new vectors (e.g. corrupted variants). */
typedef struct sciprune_index sciprune_index;

/* Load W/index/kmeans.faiss. Errors: EIO, EBACKEND, ENOMEM. Free with sciprune_index_free(). */
sciprune_status sciprune_index_open(sciprune_index **out, const char *workdir,
                                    sciprune_error *err);
void sciprune_index_free(sciprune_index *ix);
int sciprune_index_k(const sciprune_index *ix);
int sciprune_index_dim(const sciprune_index *ix);
sciprune_space sciprune_index_space(const sciprune_index *ix);

/* Nearest centroid of each of the n row-major vectors (n x dim floats; normalised internally
 * for cosine; not modified): cluster[i] and dist[i] as in assign/. Uses the calling thread's
 * OpenMP thread count. May be called from several threads at once on one index.
 * Errors: EINVAL (a vector with NaN or infinite values), EBACKEND, ENOMEM. */
sciprune_status sciprune_index_assign(const sciprune_index *ix, const float *vecs, size_t n,
                                      int32_t *cluster, float *dist, sciprune_error *err);

/* ===================================================================== prune */
/* Stages 5 and 6: score every record, pick what each variant prunes with exact global
 * thresholds, then stream the inputs once and write each variant's kept (and removed) shards.
 *
 *   W/score/<shard>.prune.npy   uint8 N x B, B = ceil(variants / 8): bit v % 8 of byte v / 8 is
 *                               1 when variant v prunes the line (numpy: np.unpackbits(a, axis=1,
 *                               bitorder='little')[:, :variants]); rejected lines are all 0
 *   W/score/plan.json           variants (name, metric, ratio, alpha, bit, counts, thresholds),
 *                               per-cluster size, distance quantiles and pruned counts
 *   W/out/<variant>/kept/<shard>     same name and format as the input; lines byte-identical
 *   W/out/<variant>/removed/<shard>  with write_removed
 *   W/out/rejected/<shard>.jsonl     rejected lines (sciprune_reject_write format)
 *   W/out/prune.json            counts and bytes per variant, language and shard
 *   W/report.json, W/report.md  everything above in one place, with stage times and memory
 *
 * Metrics. Each metric is a total order over the accepted records; a variant with ratio p
 * prunes the first round(p * accepted) records of it. Ties are broken by (shard index, line).
 *   size         clusters by (size, cluster id) ascending: whole smallest clusters first, the
 *                last one partially, farthest records first
 *   distance     distance to the own centroid, farthest first, over the whole corpus
 *   distance-pc  within-cluster percentile: (rank by distance within the cluster, farthest = 0)
 *                / cluster size, smallest first; prunes about the same share of every cluster
 *   combined     SCIP: round(alpha * n) records in size order, then the rest of the n by
 *                distance among the records not yet pruned
 *   combined-pc  the same with distance-pc for the second part
 *   random       XXH3(record id, seed) ascending (id from the shards when they are read,
 *                else "<shard name>:<line>")
 *   length       text length in bytes, longest first (reads the input shards) */
typedef enum sciprune_score_metric {
    SCIPRUNE_METRIC_SIZE = 0,
    SCIPRUNE_METRIC_DISTANCE,
    SCIPRUNE_METRIC_DISTANCE_PC,
    SCIPRUNE_METRIC_COMBINED,
    SCIPRUNE_METRIC_COMBINED_PC,
    SCIPRUNE_METRIC_RANDOM,
    SCIPRUNE_METRIC_LENGTH
} sciprune_score_metric;
#define SCIPRUNE_METRIC_COUNT 7

/* "size", "distance", "distance-pc", ...; static storage. */
const char *sciprune_score_metric_name(sciprune_score_metric m);
/* Errors: EINVAL. */
sciprune_status sciprune_score_metric_parse(const char *name, sciprune_score_metric *out,
                                            sciprune_error *err);

#define SCIPRUNE_SWEEP_MAX 16 /* metrics, ratios and alphas per sweep, each */

typedef struct sciprune_score_settings {
    sciprune_score_metric metrics[SCIPRUNE_SWEEP_MAX]; /* default {combined} */
    size_t n_metrics;
    double ratios[SCIPRUNE_SWEEP_MAX]; /* share of accepted records to prune; default {0.2} */
    size_t n_ratios;
    double alphas[SCIPRUNE_SWEEP_MAX]; /* combined: share of the budget taken by size;
                                          default {0.8} */
    size_t n_alphas;
    uint64_t seed;                 /* random baseline; default 1234 */
    int threads;                   /* workers reading shards; 0 = all cores */
    int read_shards;               /* 1: read the input shards even when no metric needs them
                                      (ids for random); default 0 */
    sciprune_shard_options shard;  /* how shards are read; must match the embed stage */
} sciprune_score_settings;
void sciprune_score_settings_default(sciprune_score_settings *s);

/* Replace the metrics / ratios / alphas from comma-separated lists ("size,distance",
 * "0.1,0.2"); a NULL list leaves that field as it is. Ratios and alphas must lie in [0, 1].
 * Errors: EINVAL (unknown metric, bad number, too many, duplicates). */
sciprune_status sciprune_score_settings_parse(sciprune_score_settings *s, const char *metrics,
                                              const char *ratios, const char *alphas,
                                              sciprune_error *err);

typedef struct sciprune_score_info {
    size_t n_variants;
    uint64_t n_records, n_accepted;
    double seconds;
} sciprune_score_info;

/* Rank the records of W/assign (the shards of `shards`, in that order) by every metric and
 * write W/score/<shard>.prune.npy and W/score/plan.json. Variants are every metric x ratio, and
 * x alpha for combined ones, named "<metric>-p<ratio>[-a<alpha>]" ("combined-p0.20-a0.80").
 * The input shards are read (threads over shards) only for `length`, or for `random` when their
 * paths are known, or with read_shards. Memory: up to about 70 bytes per record with every
 * metric (cluster, distance, one 4-byte order per metric, a 16-byte sort buffer, the masks).
 * Errors: EIO, EPARSE, ESTATE (missing or inconsistent assign/ files, shards that do not match
 * them), EINVAL (length without shard paths, more than 4G records), ENOMEM. */
sciprune_status sciprune_score_sweep(const char *workdir, const sciprune_shard_set *shards,
                                     const sciprune_score_settings *s, sciprune_score_info *info,
                                     sciprune_error *err);

typedef struct sciprune_prune_settings {
    int write_removed;              /* also write out/<variant>/removed/; default 0 */
    int threads;                    /* workers over shards; 0 = all cores */
    sciprune_shard_options shard;   /* must match the embed stage */
    sciprune_writer_options writer; /* zstd level, fsync */
} sciprune_prune_settings;
void sciprune_prune_settings_default(sciprune_prune_settings *s);

typedef struct sciprune_prune_info {
    size_t n_variants;
    uint64_t n_lines, n_accepted, n_rejected;
    double seconds;
} sciprune_prune_info;

/* Stream each shard of `shards` (paths required) once and write, for every variant of
 * W/score/plan.json, out/<variant>/kept/<shard> (and removed/), out/rejected/<shard>.jsonl (only
 * when the shard has rejected lines) and out/prune.json. Output files are written atomically
 * and are byte-identical whatever the thread count. `info` may be NULL.
 * Errors: EIO, EPARSE, ESTATE (a shard does not match assign/ or score/: changed input or
 * different shard options), EINVAL (no path for a shard), EBACKEND (zstd), ENOMEM. */
sciprune_status sciprune_prune_write(const char *workdir, const sciprune_shard_set *shards,
                                     const sciprune_prune_settings *s, sciprune_prune_info *info,
                                     sciprune_error *err);

/* Gather index/train.json, index/clusters.json, score/plan.json and out/prune.json (whichever
 * exist) into W/report.json and W/report.md. Errors: EIO, EPARSE, ENOMEM. */
sciprune_status sciprune_report_write(const char *workdir, sciprune_error *err);

#ifdef __cplusplus
}
#endif
#endif /* SCIPRUNE_H */
