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
 * Thread counts: a `threads` setting of 0 ("all cores" below) means the CPUs this process may
 * run on (its affinity mask: `taskset -c 0` gives 1), at most SLURM_CPUS_PER_TASK when that is
 * set; the output bytes never depend on it.
 */
#ifndef SCIPRUNE_H
#define SCIPRUNE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libsciprune is built with hidden visibility: what this header declares is its whole ABI. */
#pragma GCC visibility push(default)

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
    SCIPRUNE_ESTATE,   /* wrong order of calls, or on-disk state that does not match */
    SCIPRUNE_EBUSY     /* the workdir is locked by another writer (sciprune_workdir_lock_acquire) */
} sciprune_status;

typedef struct sciprune_error { /* caller-owned; filling it never allocates */
    sciprune_status code;
    char source[512]; /* file, shard or backend; "" when none */
    int64_t line;     /* 1-based line, -1 when unknown */
    int64_t offset;   /* byte offset, -1 when unknown */
    char text[1024];  /* what went wrong; ends with the reason ("...: File exists") */
} sciprune_error;
/* A source or text longer than its field keeps its start and its end with "\u2026" (the
 * UTF-8 ellipsis) in place of the middle, so the file name at the end of a long path and the
 * reason at the end of a message are never lost ("/very/long/\u2026/x.jsonl: cannot create:
 * File exists"). */

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
    SCIPRUNE_REJECT_STREAM           /* compressed stream damaged (truncated, corrupt, not zstd)
                                        or compressed with something else (gzip...); ends the
                                        shard; raw = the verified bytes of the line that ran into
                                        the damaged zstd frame, if any; offset = the compressed
                                        byte offset where that frame starts */
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
                              SCIPRUNE_REJECT_STREAM the compressed offset of the damaged
                              zstd frame's first byte (0 for a file that is not zstd) */
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

/* Open a shard for streaming. A file that ends in ".zst" must be a zstd stream (one or more
 * frames, any level); a file that starts with a zstd magic number is read as zstd whatever its
 * name; anything else is read as plain JSONL (a UTF-8 byte-order mark at its start is skipped).
 * zstd: a frame's lines are returned only once the whole frame decoded and its checksum (if
 * any) matched; the first damaged frame ends the shard (see SCIPRUNE_REJECT_STREAM). A file
 * that starts with a gzip, bzip2, xz, lz4 or zip magic number gives one SCIPRUNE_REJECT_STREAM
 * record "unsupported compression: <name> (...)" and nothing else.
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
    size_t zstd_frame_bytes; /* a zstd frame (with its checksum) ends at the first line end after
                                this many uncompressed bytes, so damage costs the reader only the
                                frames from the damaged one on; default 8 MiB; 0: one frame */
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

/* Write the same shards from JSON records read from `in`, one object per line with a string
 * "content" (what scripts/parquet2shard.js prints for Parquet files). Field order is kept;
 * "lang" is normalised like the reader does (alias -> name, else lower case, else from the
 * extension of "path", else "unknown"); "size" defaults to the bytes of "content". `name`
 * names the stream in errors. A line that is not such an object stops it: EINVAL with the
 * line number. max_file_bytes and known_langs_only do not apply. Errors: EINVAL, EIO, ENOMEM. */
sciprune_status sciprune_ingest_jsonl(FILE *in, const char *name, const char *out_dir,
                                      const sciprune_ingest_options *opt,
                                      sciprune_ingest_stats *stats, sciprune_error *err);

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
    uint32_t indent_errors; /* python: lines with an indentation error CPython reports
                               (IndentationError, TabError) that tree-sitter accepts */
    uint32_t indent_line;   /* 1-based line of the first indentation error, 0 when none */
    const char *indent_error; /* "" or CPython's message for it; static storage */
    uint32_t early_errors;  /* javascript/typescript: redeclarations V8 rejects before running
                               ("Identifier 'x' has already been declared"): a let/const/class
                               name declared twice in one scope, or also by var or function */
    uint32_t early_line;    /* 1-based line of the first one, 0 when none */
} sciprune_parse_stats;

/* Parse `src` as `lang` and count error markers (and, for python, indentation errors).
 * Errors: EINVAL (no grammar, or a text the parse guard below refuses: err->text starts with
 * its verdict, "too_deep: ..." / "too_large: ..."), EBACKEND. */
sciprune_status sciprune_parse_check(sciprune_parser *p, const char *lang, const char *src,
                                     size_t len, sciprune_parse_stats *st, sciprune_error *err);

/* ---------------------------------------------------------------- the parse guard
 * No text reaches tree-sitter without passing this guard first: every parse of the library
 * (embed, gates, corrupt, analyze, sciprune_parse_check, `gates --file`) checks it, and a text
 * it refuses is not parsed. libtree-sitter 0.20.7 aborts the whole process (`munmap_chunk():
 * invalid pointer` in ts_tree_delete) when error recovery meets a parse stack ~65,535 deep
 * (65,534 unclosed brackets), and goes quadratic when it recovers over a deep stack (C file-scope
 * comma lists and macro-call lines: 60 KB in 59 s); bench/guard_results.md measures both.
 * The guard is one linear pass over the bytes, no allocation, no parse (lang/guard.c):
 *   depth     maximum bracket nesting, ( [ { open, ) ] } close, outside closed one-line
 *             strings and comments
 *   run       the longest run of tokens without a separator (; , { } newline) between them
 *             (chains of prefix or right-associative operators deepen the stack without a
 *             bracket)
 *   top_run   c, cpp: the most tokens at bracket depth 0 between two ; { } or preprocessor
 *             lines
 *   bytes, longest_line
 * A text over a limit is "too_deep" (depth, run, top_run) or "too_large" (bytes, line): its
 * record gets the row status SCIPRUNE_ROW_TOO_DEEP / SCIPRUNE_ROW_TOO_LARGE and a lexical-only
 * embedding, the gates do not judge it (scores 0: not flagged, undefined_name abstains with
 * the verdict as reason), corrupt does not use it as a source, analyze embeds it lexically and
 * leaves it ungated; every stage counts such records in its summary. The limits leave at least
 * a 10x margin below where tree-sitter crashes and keep the worst measured parse near linear. */
#define SCIPRUNE_GUARD_MAX_DEPTH 4096u        /* bracket nesting over this: too_deep */
#define SCIPRUNE_GUARD_MAX_RUN 16384u         /* tokens without a separator: too_deep */
#define SCIPRUNE_GUARD_MAX_TOP_RUN 2048u      /* c, cpp: file-scope tokens without ; { }: too_deep */
#define SCIPRUNE_GUARD_MAX_BYTES (4u << 20)   /* text over 4 MiB: too_large */
#define SCIPRUNE_GUARD_MAX_LINE (1u << 20)    /* a line over 1 MiB: too_large */

typedef enum sciprune_guard_verdict {
    SCIPRUNE_GUARD_OK = 0,
    SCIPRUNE_GUARD_TOO_DEEP,  /* depth, run or top_run over its limit */
    SCIPRUNE_GUARD_TOO_LARGE  /* bytes or longest_line over its limit (and not too deep) */
} sciprune_guard_verdict;

typedef struct sciprune_guard_info {
    sciprune_guard_verdict verdict;
    uint32_t depth;           /* maximum bracket nesting (saturates at UINT32_MAX) */
    uint32_t run;             /* longest token run without a separator */
    uint32_t top_run;         /* c, cpp: longest file-scope token run; 0 for other languages */
    uint64_t longest_line;    /* bytes of the longest line, without its '\n' */
    uint64_t bytes;           /* len */
} sciprune_guard_info;

/* Scan text (len bytes) as `lang` (a canonical name; it chooses the comment syntax and the
 * c/cpp top_run; NULL: C-like) and judge it. Linear, no allocation, thread-safe. */
void sciprune_guard_check(const char *lang, const char *text, size_t len,
                          sciprune_guard_info *out);
/* "ok", "too_deep", "too_large" ("?" for other values). Static storage. */
const char *sciprune_guard_verdict_name(sciprune_guard_verdict v);

/* =================================================================== corrupt
 * Synthetic corruptions (stage 1). Each corruption type is a tree-sitter query per language in
 * <data dir>/queries/<lang>/<type>.scm: the query selects candidate nodes, and the capture name
 * says which small edit to make at one candidate chosen at random (delete, replace, swap, rename,
 * operator flip, off-by-one, re-indent, negate; see data/queries/README.md). Every variant is
 * validated by parsing it again: a `syntax` corruption must add an ERROR or MISSING node (or, in
 * Python, an indentation error CPython reports), a `content` corruption must still parse
 * cleanly and differ from its input. Inputs that do not parse cleanly are never corrupted. Same seed and input give byte-identical output. */

typedef enum sciprune_corrupt_kind {
    SCIPRUNE_CORRUPT_SYNTAX = 1,  /* the result must not parse */
    SCIPRUNE_CORRUPT_CONTENT = 2  /* the result must parse cleanly and differ */
} sciprune_corrupt_kind;

/* "syntax" / "content"; static storage. */
const char *sciprune_corrupt_kind_name(sciprune_corrupt_kind k);

/* The data folder: $SCIPRUNE_DATA_DIR when set and not empty, else, for an installed shared
 * library, <prefix>/<datadir>/sciprune/data found from the library's own path (so a copied or
 * DESTDIR tree works), else the source tree's data/ folder recorded at build time. Static or environment storage; do not free. */
const char *sciprune_data_dir(void);

typedef struct sciprune_corruptor sciprune_corruptor;

/* Load and compile every <queries_dir>/<lang>/<type>.scm for the languages with a grammar
 * (tsx, which has no folder of its own, uses the typescript queries). `queries_dir` NULL means
 * "<sciprune_data_dir()>/queries". Each file starts with comment lines "; kind: syntax|content"
 * (required) and "; description: ..." (optional).
 * Errors: EIO (folder or file unreadable, no query files at all), EPARSE (bad header, query or
 * predicate; err->source is the file, err->line the line), ENOMEM.
 * The corruptor is immutable once made: one may serve many threads at once. Free with _free(). */
sciprune_status sciprune_corruptor_new(sciprune_corruptor **out, const char *queries_dir,
                                       sciprune_error *err);
void sciprune_corruptor_free(sciprune_corruptor *c);

/* List the corruptions available for `lang` (a canonical name; NULL: the union over all
 * languages), sorted by name. Writes up to `cap` names (borrowed, valid until _free) and kinds
 * (either array may be NULL) and returns how many there are in all. */
size_t sciprune_corrupt_list(const sciprune_corruptor *c, const char *lang, const char **names,
                             sciprune_corrupt_kind *kinds, size_t cap);

typedef enum sciprune_corrupt_outcome {
    SCIPRUNE_CORRUPT_MADE = 0, /* a validated variant is in the result */
    SCIPRUNE_CORRUPT_UNCLEAN,  /* the input itself has ERROR/MISSING nodes: not used */
    SCIPRUNE_CORRUPT_NO_SITE,  /* the query found no candidate in the input, or none where
                                  the edit applies (e.g. no local name to rename) */
    SCIPRUNE_CORRUPT_INVALID   /* candidates existed, but no edit passed validation */
} sciprune_corrupt_outcome;

/* "made", "unclean", "no_site", "invalid"; static storage. */
const char *sciprune_corrupt_outcome_name(sciprune_corrupt_outcome o);

/* One corrupted variant. The variant is the input with one splice:
 * text = src[0, offset) + inserted + src[offset + removed_len, len). */
typedef struct sciprune_corrupt_result {
    sciprune_corrupt_outcome outcome;
    sciprune_corrupt_kind kind;
    char *text;            /* text_len bytes + NUL; caller frees (sciprune_corrupt_result_clear) */
    size_t text_len;
    uint64_t offset;       /* byte offset of the edit in the input */
    char *removed;         /* removed_len bytes + NUL; caller frees */
    size_t removed_len;
    char *inserted;        /* inserted_len bytes + NUL; caller frees */
    size_t inserted_len;
    uint32_t sites;        /* candidate edits the query found */
    uint32_t attempts;     /* edits tried (each one re-parsed) */
} sciprune_corrupt_result;

/* Free the strings of `r` (sciprune_free) and zero it. NULL is a no-op. */
void sciprune_corrupt_result_clear(sciprune_corrupt_result *r);

/* Apply corruption `type` to src[0, len) in language `lang`, with `seed` choosing the site
 * (same seed and input: same bytes). Candidates are tried in a seeded random order, at most 32,
 * until one validates. On SCIPRUNE_OK, *res holds the outcome; only for
 * SCIPRUNE_CORRUPT_MADE are text/removed/inserted set (clear *res in any case).
 * `parser` is the caller's per-thread parser. Thread safety: distinct parsers, shared `c`.
 * Errors: EINVAL (unknown language, or no such corruption for it), EBACKEND (tree-sitter),
 * ENOMEM. */
sciprune_status sciprune_corrupt_apply(const sciprune_corruptor *c, sciprune_parser *parser,
                                       const char *lang, const char *type, uint64_t seed,
                                       const char *src, size_t len, sciprune_corrupt_result *res,
                                       sciprune_error *err);

/* ---------------------------------------------------------------- corrupt stage
 * Sample clean records from shards and write corrupted shards.
 * Sampling (independent of shard order and thread count): for each language L and type T the
 * candidates are the accepted records of language L, ranked by h = hash(id, T, seed); the
 * max_tries smallest are split into length strata (quantile bins of all accepted records'
 * lengths) and tried in ascending h (ties: shard, line) until each stratum has its share of
 * per_type variants (the stratum's share of the corpus) or runs out of candidates. The edit site inside a record is drawn from hash(id, T, seed) too.
 * Output in out_dir:
 *   corrupt-<lang>.jsonl.zst  for each language with input records; one line per variant,
 *                             ordered by type name then h:
 *     {"id":"corrupt:<type>:<orig id>","orig_id","corruption","kind":"syntax"|"content","lang",
 *      "content","edit":{"offset","removed","inserted"},"orig_shard","orig_line"}
 *   labels.jsonl  one line per variant, all languages (registry order), same order:
 *     {"id","orig_id","corruption","kind","lang","shard":"corrupt-<lang>.jsonl.zst",
 *      "line":<1-based line in it>,"orig_shard","orig_line"}
 *   corrupt.json  settings and the per language x type counts below
 * Byte-identical for the same inputs, settings and seed, whatever the thread count. */
typedef struct sciprune_corrupt_options {
    const char *queries_dir;  /* NULL: <sciprune_data_dir()>/queries */
    const char *types;        /* comma-separated type names; NULL or "all": every type */
    const char *langs;        /* comma-separated languages; NULL or "all": every language that
                                 has queries */
    uint64_t per_type;        /* target variants per language x type; default 100 */
    uint64_t max_tries;       /* candidates ranked per language x type; 0 (default): 20 x
                                 per_type */
    uint64_t seed;            /* default 0 */
    int threads;              /* worker threads; default 1; 0: online CPUs */
    int zstd_level;           /* output level; default 3 */
    const sciprune_shard_options *shard; /* how to read the inputs; NULL: defaults */
    uint32_t strata;          /* length strata (quantile bins of the lengths of every
                                 accepted record, all languages; 1..64); default 10; 1: off.
                                 Each language x type cell makes per_type x (the bin's share
                                 of the corpus) variants per bin, so the probes' length
                                 distribution matches the corpus' (see corrupt/run.c) */
    /* Split over ranks (default NULL, 0, 0: one call does everything). With parts_dir and
     * part_count > 0: part_index >= 0 scans only the shards i (index in `shards`) with
     * i % part_count == part_index and writes that scan to parts_dir/scan-<part_index>.bin
     * (atomically; out_dir untouched); part_index == -1 reads the part_count scans instead of
     * scanning (ESTATE if one is missing or from another job), makes the variants and writes
     * out_dir as one call without parts would, byte for byte, then removes the scans. */
    const char *parts_dir;
    int part_count, part_index;
    /* Held-out probes (default 0: candidates from every record). 1: only records in the
     * held-out test half, sciprune_id_half(id) == 1, are candidates (the lengths of the strata
     * stay every record's); corrupt.json gets "heldout_only": true. Not with parts_dir. */
    int heldout_only;
} sciprune_corrupt_options;
void sciprune_corrupt_options_default(sciprune_corrupt_options *o);

/* The held-out split of analyze's semantic evaluation (issue 17): bit 0 of
 * XXH3_64(id bytes, seed 0x68616c66 "half"); half 0 trains the learned model, half 1 tests. */
int sciprune_id_half(const char *id, size_t len);
/* The seed of the held-out probe set (W/corrupt/heldout/, made by `run` beside the main
 * corrupt stage): XXH3_64("heldout", 7 bytes, seed = the corrupt seed) with the top bit
 * cleared (bit 0 flipped if that equals the seed): never the corrupt seed, below 2^63. */
uint64_t sciprune_corrupt_heldout_seed(uint64_t seed);

typedef struct sciprune_corrupt_cell { /* one language x type */
    const char *lang;          /* static storage */
    const char *type;          /* owned by the stats */
    sciprune_corrupt_kind kind;
    uint64_t candidates;       /* records ranked (at most max_tries) */
    uint64_t tried;            /* clean records the operator was applied to */
    uint64_t made;             /* validated variants written (<= per_type) */
    uint64_t unclean;          /* ranked records skipped because they do not parse cleanly */
    uint64_t no_site;          /* tried, but the query found no candidate */
    uint64_t invalid;          /* tried, but no edit validated */
} sciprune_corrupt_cell;

typedef struct sciprune_corrupt_stats {
    sciprune_corrupt_cell *cells; /* ncells, sorted by (lang, type); owned, see _stats_free */
    size_t ncells;
    uint64_t records;          /* lines read from the inputs */
    uint64_t rejected;         /* lines the reader rejected (bad JSON, ...) */
    uint64_t other_lang;       /* accepted records in languages not selected */
    uint64_t guarded;          /* records of a selected language the parse guard keeps from
                                  tree-sitter (too deep or too large): never sources */
    uint64_t rounds;           /* sampling rounds (passes over the inputs) */
} sciprune_corrupt_stats;

/* Check the options as sciprune_corrupt_run() would before reading anything: per_type, the
 * type and language selection (loads the queries). Errors: EINVAL (naming the type or
 * language in err->source), EIO, EPARSE (queries), ENOMEM. */
sciprune_status sciprune_corrupt_options_check(const sciprune_corrupt_options *o,
                                               sciprune_error *err);

/* Run the stage. Errors: EINVAL (bad options, unknown type or language, nothing to do), EIO,
 * EPARSE (queries), EBACKEND, ENOMEM. On error no output file is half-written (each is written
 * to a temp name and renamed), but files renamed before the error stay. `stats` may be NULL;
 * free it with sciprune_corrupt_stats_free(). */
sciprune_status sciprune_corrupt_run(const char *const *shards, size_t nshards,
                                     const char *out_dir, const sciprune_corrupt_options *opt,
                                     sciprune_corrupt_stats *stats, sciprune_error *err);
void sciprune_corrupt_stats_free(sciprune_corrupt_stats *s);

/* Re-check corrupted shards written by sciprune_corrupt_run(): for every line, undo the edit
 * (content[offset, +inserted) must equal "inserted") and check the original parses cleanly,
 * and that a syntax variant has an ERROR/MISSING node while a content variant has none and
 * differs. `bad` counts lines that fail any check (and lines that are not corrupted records);
 * `first_bad` describes the first. Errors: EIO, ENOMEM, EBACKEND. */
typedef struct sciprune_corrupt_verify_stats {
    uint64_t lines, syntax_ok, content_ok, bad;
    char first_bad[256];
} sciprune_corrupt_verify_stats;
sciprune_status sciprune_corrupt_verify(const char *const *shards, size_t nshards,
                                        sciprune_corrupt_verify_stats *st, sciprune_error *err);

/* ===================================================================== embed
 * Stage 2: one vector per record. Three backends behind one interface:
 *   hash  (default) tree-sitter-aware feature hashing, no model files, deterministic;
 *   npy   import vectors computed elsewhere: DIR/<shard>.npy, one row per input line;
 *   exec  stream texts to an external process (e.g. scripts/embed_hf.py) over the pipe
 *         protocol of docs/embed-exec-protocol.md.
 * Files in a workdir W (written to a temp name and renamed, vectors last):
 *   W/embed/embedder.json        how the vectors were made (backend, dim, dtype, feature
 *                                switches, seed, idf file + hash, exec model id); a bundle
 *                                loads it with sciprune_embedder_load() to embed new files
 *                                identically
 *   W/embed/idf.npy              hash backend: float32 2^idf_bits idf weights per feature bucket
 *   W/embed/<shard>.npy          float32 (or float16) N x dim, one row per input line, in input
 *                                order; rows of rejected lines are zero; <shard> is the shard
 *                                file name ("x.jsonl.zst" -> "x.jsonl.zst.npy")
 *   W/embed/<shard>.status.npy   uint8 N: a sciprune_embed_row value per line
 *   W/embed/shards.json          {"shards": [{"name":..., "path":...}, ...]} in input order
 *   W/embed/summary.json         per-shard and total counts of every status value ("too_deep"
 *                                and "too_large" only when not 0), timings */

/* Per-row status (the values of <shard>.status.npy). */
typedef enum sciprune_embed_row {
    SCIPRUNE_ROW_OK = 0,          /* embedded normally */
    SCIPRUNE_ROW_REJECTED = 1,    /* the reader rejected the line: zero row */
    SCIPRUNE_ROW_LEXICAL = 2,     /* hash: no grammar for the language (or the parser gave up):
                                     lexical tokenizer */
    SCIPRUNE_ROW_PARSE_ERROR = 3, /* hash: parsed with ERROR/MISSING nodes; the structure
                                     features were dropped when drop_structure_on_error */
    SCIPRUNE_ROW_EMPTY = 4,       /* hash: the text yielded no feature (empty or blank): the
                                     row is the unit vector of a fixed "empty" feature */
    SCIPRUNE_ROW_TOO_DEEP = 5,    /* hash: the parse guard kept it from tree-sitter (nesting
                                     or token run over its limit, see "the parse guard"):
                                     lexical tokenizer, like LEXICAL */
    SCIPRUNE_ROW_TOO_LARGE = 6    /* hash: the same for size (SCIPRUNE_GUARD_MAX_BYTES) or line
                                     length (SCIPRUNE_GUARD_MAX_LINE) */
} sciprune_embed_row;
#define SCIPRUNE_ROW_COUNT 7

typedef enum sciprune_embed_backend {
    SCIPRUNE_EMBED_HASH = 0,
    SCIPRUNE_EMBED_NPY,
    SCIPRUNE_EMBED_EXEC
} sciprune_embed_backend;

typedef enum sciprune_vec_dtype {
    SCIPRUNE_VEC_F32 = 0, /* '<f4' */
    SCIPRUNE_VEC_F16      /* '<f2' (round to nearest even) */
} sciprune_vec_dtype;

/* Feature families of the hash backend (bit flags). */
#define SCIPRUNE_FEAT_IDENT    0x01u /* identifier sub-tokens (snake_case/camelCase, lower-cased) */
#define SCIPRUNE_FEAT_KEYWORD  0x02u /* keywords, operators, punctuation, other named leaves */
#define SCIPRUNE_FEAT_LITERAL  0x04u /* literal classes: string, number, bool, null, comment... */
#define SCIPRUNE_FEAT_AST_PAIR 0x08u /* named parent -> named child node types */
#define SCIPRUNE_FEAT_AST_PATH 0x10u /* named ancestor paths of path_depth node types */
#define SCIPRUNE_FEAT_ERROR    0x20u /* ERROR / MISSING markers (never up-weighted) */
#define SCIPRUNE_FEAT_ALL      0x3fu /* the vector's families ("all" in a list) */
#define SCIPRUNE_FEAT_SITES    0x40u /* not in the vector: the site detectors' score per record,
                                        W/embed/<shard>.sites.npy (metric `sites`); off by
                                        default, "all,sites" turns it on */
#define SCIPRUNE_FEAT_NATURALNESS 0x80u /* not in the vector: the naturalness model and signal
                                        (W/embed/ngram.npy, <shard>.naturalness.npy, metric
                                        `naturalness`; hash backend with idf). On without
                                        "sites" whether listed or not; with "sites" only when
                                        listed ("all,sites,naturalness"): next to the site
                                        detectors the learned combination gives it no weight
                                        (bench/semantic_results.md) and it costs ~0.08 of the
                                        bare parse's speed */

typedef struct sciprune_embedder_settings {
    sciprune_embed_backend backend; /* default HASH */
    uint32_t dim;                /* hash: 64..4096, default 256. npy/exec: 0 (default) takes the
                                    files' / process's dimension, else it must match */
    sciprune_vec_dtype dtype;    /* stored vectors; default F32 */
    /* hash backend */
    uint32_t features;           /* SCIPRUNE_FEAT_* bits; default SCIPRUNE_FEAT_ALL */
    int drop_structure_on_error; /* 1 (default): a file with ERROR/MISSING nodes gets no
                                    AST pair/path features (see hash.c for why) */
    uint32_t path_depth;         /* node types in an ancestor path, 2..8; default 3 */
    uint64_t seed;               /* feature hashing and idf sample; default 0 */
    int idf;                     /* 1 (default): fit idf on the corpus; 0: unit weights */
    double idf_sample;           /* fraction of records (by hash of id) for idf; default 0.1 */
    uint64_t idf_min_docs;       /* fewer sampled records than this: fit on all; default 1000 */
    uint32_t idf_bits;           /* idf table of 2^idf_bits buckets, 10..24; default 20 */
    /* npy backend */
    const char *npy_dir;         /* folder of <shard>.npy files; borrowed */
    /* exec backend */
    const char *exec_command;    /* run with /bin/sh -c; borrowed */
    uint32_t exec_batch;         /* texts per request; default 32 */
    size_t exec_batch_bytes;     /* and at most this many text bytes (one text always goes);
                                    default 4 MiB */
    double exec_timeout_s;       /* no response byte for this long while a request is pending
                                    = hang: the process is killed; default 300 */
    double exec_start_timeout_s; /* handshake deadline (model loading); default 600 */
} sciprune_embedder_settings;

/* Fill `s` with the defaults above. */
void sciprune_embedder_settings_default(sciprune_embedder_settings *s);

/* Set backend and its argument from "hash", "npy:DIR" or "exec:COMMAND". DIR / COMMAND are
 * borrowed from `spec`. Errors: EINVAL. */
sciprune_status sciprune_embedder_settings_parse(sciprune_embedder_settings *s, const char *spec,
                                                 sciprune_error *err);

/* Parse a comma-separated feature list ("all", "none", or names from "identifiers,keywords,
 * literals,ast_pairs,ast_paths,errors") into SCIPRUNE_FEAT_* bits. Errors: EINVAL. */
sciprune_status sciprune_embed_features_parse(const char *list, uint32_t *bits,
                                              sciprune_error *err);

typedef struct sciprune_embedder sciprune_embedder;

/* Make an embedder from settings (copied; strings too). hash: ready, with unit idf weights
 * until an idf table is loaded (sciprune_embedder_load) or fitted (sciprune_embed_shards).
 * exec: spawns the process and reads its handshake, so _dim() and _model() are known.
 * npy: cannot embed texts; used by the stage. Free with sciprune_embedder_free().
 * Errors: EINVAL (bad settings), EBACKEND (exec: spawn/handshake failed), ENOMEM. */
sciprune_status sciprune_embedder_open(sciprune_embedder **out,
                                       const sciprune_embedder_settings *s, sciprune_error *err);

/* Load DIR/embedder.json (and DIR/idf.npy, checked against its recorded hash). exec: spawns
 * the command and requires the handshake's model id and dimension to match the file.
 * Errors: EIO, EPARSE (not an embedder.json, idf hash mismatch), ESTATE (exec model differs),
 * EBACKEND, ENOMEM. */
sciprune_status sciprune_embedder_load(sciprune_embedder **out, const char *dir,
                                       sciprune_error *err);

/* Write DIR/embedder.json (and DIR/idf.npy when the hash backend has a fitted table),
 * atomically. Errors: EIO, ESTATE (exec/npy before the dimension is known), ENOMEM. */
sciprune_status sciprune_embedder_save(const sciprune_embedder *e, const char *dir,
                                       sciprune_error *err);

/* exec: closes the process's stdin, waits for it (bounded) and kills what is left. NULL: no-op */
void sciprune_embedder_free(sciprune_embedder *e);

/* Vector dimension (0 for npy before any file was seen). */
uint32_t sciprune_embedder_dim(const sciprune_embedder *e);
/* "hash", "npy" or "exec"; static storage. */
const char *sciprune_embedder_backend_name(const sciprune_embedder *e);
/* exec: the model id from the handshake; "" otherwise. Borrowed, lives as long as `e`. */
const char *sciprune_embedder_model(const sciprune_embedder *e);
/* The site detectors' score of one text (feature 'sites', see SCIPRUNE_FEAT_SITES): the max
 * over the text's sites of the probability that the site was corrupted; 0 with no sites. It
 * parses the text (p: the caller's parser, or NULL for a temporary one). The same value the embed
 * stage writes to W/embed/<shard>.sites.npy for a record. Errors: EINVAL, ESTATE (the embedder
 * has no trained detectors), ENOMEM, EBACKEND. Thread-safe with a parser per thread. */
sciprune_status sciprune_embedder_sites(sciprune_embedder *e, sciprune_parser *p,
                                        const char *lang, const char *text, size_t len,
                                        float *score, sciprune_error *err);

/* Embed one text into dst[0..dim) (float32; hash rows are L2-normalised). `p` is the calling
 * thread's parser (NULL: a temporary one is made, slower). `row` (may be NULL) receives how the
 * text was embedded. Thread safety: hash: any number of threads at once, each with its own
 * parser; exec: one thread at a time (one process); npy: always EINVAL.
 * Errors: EINVAL (dst_cap < dim, npy backend), EBACKEND (exec process failed: it is killed and
 * later calls return ESTATE), ESTATE, ENOMEM. */
sciprune_status sciprune_embedder_embed(sciprune_embedder *e, sciprune_parser *p,
                                        const char *lang, const char *text, size_t len,
                                        float *dst, size_t dst_cap, sciprune_embed_row *row,
                                        sciprune_error *err);

/* The per-record signal `naturalness` of one text (embed/ngram.c; what the embed stage writes
 * to W/embed/<shard>.naturalness.npy): the largest log-probability gain, under the workdir's
 * token 4-gram model, of the best alternative at any operator, integer literal, argument pair
 * or negated if (higher = the text looks more like a one-token corruption). -30 when the
 * embedder has no model (not the hash backend, idf off, or an older workdir) or the text has no
 * site. `p` as for sciprune_embedder_embed. Errors: ENOMEM. */
sciprune_status sciprune_embedder_naturalness(sciprune_embedder *e, sciprune_parser *p,
                                              const char *lang, const char *text, size_t len,
                                              float *out, sciprune_error *err);
/* 1 when the embedder holds a naturalness model. */
int sciprune_embedder_has_naturalness(const sciprune_embedder *e);
/* 1 when the record `id` was in the fit sample of the naturalness model or of the site
 * detectors (embed features "sites"; both take the idf sample rule: XXH3(id, seed) <
 * idf_sample * 2^64, never widened to every record), when the embedder holds either: its own
 * n-grams or sites are in the model, so an honest evaluation leaves it out. */
int sciprune_embedder_naturalness_sampled(const sciprune_embedder *e, const char *id);

/* Progress callback of the stage, called on the calling thread. */
typedef void (*sciprune_progress_fn)(void *user, uint64_t records, uint64_t bytes);

struct sciprune_ranks;
typedef struct sciprune_embed_options {
    sciprune_shard_options shard; /* how shards are read; default sciprune_shard_options_default */
    int threads;                  /* hash workers; 0 = all online cores; default 0 */
    int force;                    /* 1: discard an existing W/embed made with another spec and
                                     recompute every shard; default 0 */
    sciprune_progress_fn progress;/* may be NULL */
    void *progress_user;
    const struct sciprune_gates_settings *gates; /* non-NULL (hash embedder only): score the
                                     quality gates on the embedder's own parse and write
                                     W/gates/ exactly as sciprune_gates_run would (a shard
                                     counts as complete only with its gate files); borrowed */
    /* Splitting one embed over processes that share W (sciprune_run under MPI):
     * spec_only 1: make the spec only (embedder.json, the idf fit over every shard, shards.json)
     *   and embed no shard; what one process does before the others start.
     * part_count > 0: embed only the shards i (index in `shards`) with i % part_count ==
     *   part_index, with the spec already in W (ESTATE if not); shards.json, summary.json and
     *   the gates' summary are left to a final call without parts, which then finds every
     *   shard complete. Output bytes are those of one call without parts. Default 0, 0, 0. */
    int spec_only;
    int part_count, part_index;
    /* spec_only with ranks (size > 1, reduce_sum set; default NULL): every rank calls it and
     * the fit pass is split: rank r counts the shards i with i % size == r; document
     * frequencies and n-gram counts are sum-reduced (chunks of 2^17 int64), the site
     * detectors' examples gathered through parts_dir/sites-<rank>.bin (default
     * W/parts/embed); rank 0 trains once and writes the spec, byte-identical to one call's.
     * Only rank 0 checks, clears (force) or writes W/embed. When another rank failed, a rank
     * that did not returns OK without a spec: the caller's own status reduce names it. */
    const struct sciprune_ranks *ranks;
    const char *parts_dir;
} sciprune_embed_options;
void sciprune_embed_options_default(sciprune_embed_options *o);

typedef struct sciprune_embed_stats {
    uint64_t shards;          /* input shards */
    uint64_t shards_done;     /* embedded by this call */
    uint64_t shards_skipped;  /* already complete with the same embedder */
    uint64_t lines;           /* lines of all shards (skipped shards counted from status.npy) */
    uint64_t rows[SCIPRUNE_ROW_COUNT]; /* per sciprune_embed_row value */
    uint64_t text_bytes;      /* text embedded by this call */
    uint64_t idf_docs;        /* documents the idf table was fitted on (hash) */
    double idf_seconds, seconds;
    uint32_t dim;
    char model[256];          /* exec model id */
} sciprune_embed_stats;

/* Run the embed stage over `shards` (in this order) into W/embed/. Resumable: the first run
 * writes embedder.json (hash: after fitting idf on a hash sample of the records; exec: after
 * the handshake); a rerun with the same settings skips shards whose vectors exist, and a run
 * with different settings is refused with ESTATE unless opt->force. A shard's vectors appear
 * only after the whole shard succeeded. Output bytes do not depend on opt->threads.
 * Thread safety: runs its own worker threads; two calls must not share a workdir (no lock is
 * taken). The npy and exec backends run on the calling thread.
 * `opt` and `stats` may be NULL. Errors: EINVAL (settings, duplicate shard names), EIO,
 * EPARSE (npy files: dtype, order, rows, dimension), EBACKEND (exec process: crash, hang,
 * wrong row count or dimension), ESTATE (workdir made with another spec), ENOMEM. */
sciprune_status sciprune_embed_shards(const char *workdir, const char *const *shards, size_t n,
                                      const sciprune_embedder_settings *s,
                                      const sciprune_embed_options *opt,
                                      sciprune_embed_stats *stats, sciprune_error *err);

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
/* The same, one process's part of it (sciprune_run over ranks; every rank calls it, with the
 * same arguments but its own ranks->rank): each rank assigns the shards whose index i in
 * `shards` has i % size == rank (threads over them as above) and writes their files; the
 * cluster sizes and per-shard counts are sum-reduced (ranks->reduce_sum: the failure flags,
 * one int64, then 1 + k + 2 x shards int64) and rank 0 alone writes W/index/clusters.json,
 * byte-identical to a single process's. ranks NULL or size 1: sciprune_index_assign_shards. When another
 * rank failed, returns OK without writing clusters.json: the caller's status exchange names
 * the failure. `info` (rank 0: the whole corpus's counts) may be NULL. */
struct sciprune_ranks;
sciprune_status sciprune_index_assign_part(const char *workdir, const sciprune_shard_set *shards,
                                           const sciprune_index_settings *s,
                                           const struct sciprune_ranks *ranks,
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
 *   length       text length in bytes, longest first (reads the input shards)
 *   naturalness  the embed pass's per-record signal W/embed/<shard>.naturalness.npy (float32,
 *                sp_wsignal_path; embed/ngram.c), highest first
 *   learned      w . f + b, highest first, with the weights the analysis fitted
 *                (W/analyze/report.json "semantic" "learned_weights") over f = (distance,
 *                log(1 + clean cluster size), parse_error flagged, undefined_name flagged,
 *                naturalness, log(1 + length), sites); reads the shards (length) and
 *                W/gates; sites is 0 (weight 0) when the workdir has no sites signal
 *   sites        the site detectors' per-record signal W/embed/<shard>.sites.npy (float32,
 *                embed/sites.c; embed.features with "sites"), highest first
 *   gate+naturalness, gate+learned, gate+sites: plans as below with those fills
 *   gate+FILL    a plan: "gate" then "fill". Every accepted record a quality gate flags
 *                (W/gates/<shard>.parse_error.npy or .undefined_name.npy > 0, from
 *                sciprune_gates_run or sciprune_embed_shards with gates) first; then the
 *                rest m = n - gated of the budget by FILL among the records not gated:
 *                gate+distance, gate+size, gate+random, gate+length (their orders above,
 *                gated records skipped) or gate+combined (floor(alpha * m + 0.5) by size,
 *                then the rest by distance). When the gates alone flag more than n records,
 *                all of them are pruned (n_pruned > round(p * accepted), and
 *                "gates_exceed_budget": true in the plan and the report) */
typedef enum sciprune_score_metric {
    SCIPRUNE_METRIC_SIZE = 0,
    SCIPRUNE_METRIC_DISTANCE,
    SCIPRUNE_METRIC_DISTANCE_PC,
    SCIPRUNE_METRIC_COMBINED,
    SCIPRUNE_METRIC_COMBINED_PC,
    SCIPRUNE_METRIC_RANDOM,
    SCIPRUNE_METRIC_LENGTH,
    SCIPRUNE_METRIC_GATE_DISTANCE,
    SCIPRUNE_METRIC_GATE_SIZE,
    SCIPRUNE_METRIC_GATE_COMBINED,
    SCIPRUNE_METRIC_GATE_RANDOM,
    SCIPRUNE_METRIC_GATE_LENGTH,
    SCIPRUNE_METRIC_AUTO,  /* the analysis' recommendation for this workdir (metric, alpha):
                             W/analyze/report.json "recommendation"; the variant is named
                             "auto-p<ratio>" and plan.json says what it resolved to and why */
    /* per-record signals of the embed pass (issue 17): */
    SCIPRUNE_METRIC_NATURALNESS,      /* W/embed/<shard>.naturalness.npy, highest first */
    SCIPRUNE_METRIC_LEARNED,          /* the analysis' logistic model over the signals
                                         (W/analyze/report.json "semantic"), highest first */
    SCIPRUNE_METRIC_GATE_NATURALNESS, /* gate+naturalness */
    SCIPRUNE_METRIC_GATE_LEARNED,     /* gate+learned */
    SCIPRUNE_METRIC_SITES,            /* W/embed/<shard>.sites.npy (embed.features with
                                         "sites"), highest first */
    SCIPRUNE_METRIC_GATE_SITES        /* gate+sites */
} sciprune_score_metric;
#define SCIPRUNE_METRIC_COUNT 19
/* 1 for the gate+FILL plans (not auto, which may resolve to one). */
int sciprune_score_metric_is_plan(sciprune_score_metric m);

/* "size", "distance", "distance-pc", ...; static storage. */
const char *sciprune_score_metric_name(sciprune_score_metric m);
/* Errors: EINVAL. */
sciprune_status sciprune_score_metric_parse(const char *name, sciprune_score_metric *out,
                                            sciprune_error *err);

#define SCIPRUNE_SWEEP_MAX 16 /* metrics, ratios and alphas per sweep, each */

/* What a ratio is a share of (score.budget). records: p of the accepted records (the first
 * floor(p * N + 0.5) of the order). bytes and tokens: the ranking is walked from the worst and
 * a record is taken while taking it leaves the pruned total nearer to p x the accepted total
 * than not taking it (a tie takes it), so every variant prunes p of the unit to within half of
 * one record's size; gated records count toward it. bytes: the record's JSONL line with its
 * '\n' (what out/prune.json and the report count). tokens: sciprune_tokens_approx() of the text
 * field. With unit weights the rule is the records rule. */
typedef enum sciprune_budget_unit {
    SCIPRUNE_BUDGET_RECORDS = 0,
    SCIPRUNE_BUDGET_BYTES,
    SCIPRUNE_BUDGET_TOKENS
} sciprune_budget_unit;
/* "records", "bytes", "tokens"; static storage. */
const char *sciprune_budget_unit_name(sciprune_budget_unit u);
/* Errors: EINVAL. */
sciprune_status sciprune_budget_unit_parse(const char *name, sciprune_budget_unit *out,
                                           sciprune_error *err);
/* A cheap approximation of a code tokenizer's count: every maximal run of [A-Za-z0-9_] and
 * bytes >= 0x80 (a word, number or non-ASCII word) is one token, every other non-blank byte
 * (punctuation, operators, brackets, quotes) is one token, and blanks count nothing. One pass
 * over the bytes; not any model's tokenizer (BPE splits long identifiers and merges some
 * operators and indentation runs), but it follows code length better than bytes / 4 does
 * for files whose size is mostly indentation or long literals. */
uint64_t sciprune_tokens_approx(const char *text, size_t len);

/* How the budget is shared between the languages of the corpus (score.per_lang).
 * global: one plan over all the records (a language far from the centroids, e.g. a minority
 * with few clusters of its own, can lose most of its files). proportional: the plan is made
 * for each language L (the record's "lang") on its own, over its N_L accepted records:
 * floor(p x N_L + 0.5) of them (a bytes or tokens budget: p x its own total, to within half
 * of one record), each step taking L's records in the metric's global order (one threshold per
 * language); the gate plans take L's gated records first, all of them, so only the gates can
 * take more than p of a language. The total can differ from the global budget by rounding
 * (at most half a record per language). proportional reads the input shards (the languages). */
typedef enum sciprune_per_lang {
    SCIPRUNE_PER_LANG_GLOBAL = 0,
    SCIPRUNE_PER_LANG_PROPORTIONAL
} sciprune_per_lang;
/* "global", "proportional"; static storage. */
const char *sciprune_per_lang_name(sciprune_per_lang m);
/* Errors: EINVAL. */
sciprune_status sciprune_per_lang_parse(const char *name, sciprune_per_lang *out,
                                        sciprune_error *err);

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
    sciprune_budget_unit budget;   /* what a ratio is a share of; default records (bytes and
                                      tokens read the input shards) */
    sciprune_per_lang per_lang;    /* how the budget is shared between languages; default
                                      global */
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
 * them, gate+distance without W/gates files of the same lengths), EINVAL (length without shard paths, more than 4G records), ENOMEM. */
sciprune_status sciprune_score_sweep(const char *workdir, const sciprune_shard_set *shards,
                                     const sciprune_score_settings *s, sciprune_score_info *info,
                                     sciprune_error *err);
/* The same, one process's part of it (sciprune_run over ranks; every rank calls it with the
 * same arguments): each rank reads only the shards whose index i has i % size == rank and
 * writes their score/<shard>.prune.npy; every global number (cluster sizes, budget totals,
 * gated counts, each variant's cut in its order, plan.json's per-cluster quantiles) comes from
 * ranks->reduce_sum: a cut is a radix select over the order's (key, record index) in 6 rounds
 * of a 2^16-bucket histogram (512 KiB a reduce), so the masks and plan.json are byte-identical
 * to sciprune_score_sweep's (timings aside) and no rank holds the whole corpus. Rank 0 writes
 * plan.json. distance-pc and combined-pc run on rank 0 alone (sciprune_score_sweep). ranks
 * NULL, size 1 or without reduce_sum: sciprune_score_sweep on rank 0. When another rank failed,
 * returns OK without writing plan.json: the caller's status exchange names it. */
struct sciprune_ranks;
sciprune_status sciprune_score_sweep_part(const char *workdir, const sciprune_shard_set *shards,
                                          const sciprune_score_settings *s,
                                          const struct sciprune_ranks *ranks,
                                          sciprune_score_info *info, sciprune_error *err);

/* What the prune stage writes per variant (prune.output; formats in write.c's header and the
 * README): full copies of the kept lines, the kept ids, or bit-packed kept flags. */
typedef enum sciprune_prune_output {
    SCIPRUNE_OUTPUT_SHARDS = 0, /* out/<variant>/kept/<shard> (the default) */
    SCIPRUNE_OUTPUT_IDS,        /* out/<variant>/kept/<shard>.ids: one kept id a line, as a
                                   JSON string ("\n", '"', '\\' escaped) */
    SCIPRUNE_OUTPUT_MASK        /* out/<variant>/mask/<shard>.kept.npy: packed kept bits */
} sciprune_prune_output;
/* "shards", "ids", "mask"; static storage. */
const char *sciprune_prune_output_name(sciprune_prune_output o);
/* Errors: EINVAL. */
sciprune_status sciprune_prune_output_parse(const char *name, sciprune_prune_output *out,
                                            sciprune_error *err);

typedef struct sciprune_prune_settings {
    int write_removed;              /* also write out/<variant>/removed/ (shards, ids); default 0 */
    int threads;                    /* workers over shards; 0 = all cores */
    sciprune_shard_options shard;   /* must match the embed stage */
    sciprune_writer_options writer; /* zstd level, fsync */
    sciprune_prune_output output;   /* default SCIPRUNE_OUTPUT_SHARDS */
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
/* The same, one process's part of it (sciprune_run over ranks; every rank calls it): rank 0
 * checks the inputs, reads the plan and prepares out/ (stale variants removed, folders made);
 * then each rank streams the shards whose index i has i % size == rank and writes their
 * outputs (atomically, as above) and their counts to W/parts/prune/<shard>.json; rank 0 merges
 * every shard's counts in shard order into out/prune.json, byte-identical to one process's
 * except the timing fields, and removes the parts. The ranks meet at ranks->reduce_min (two
 * reduces of one value: after rank 0's preparation, after the shards). ranks NULL or size 1: sciprune_prune_write. When another rank failed,
 * returns OK without writing out/prune.json: the caller's status exchange names it. */
sciprune_status sciprune_prune_write_part(const char *workdir, const sciprune_shard_set *shards,
                                          const sciprune_prune_settings *s,
                                          const struct sciprune_ranks *ranks,
                                          sciprune_prune_info *info, sciprune_error *err);

/* Write the shards of one variant later: out_dir/kept/<shard> (and out_dir/removed/<shard> with
 * s->write_removed), byte-identical to what sciprune_prune_write() with output shards writes
 * under W/out/<variant>/ (s->output is ignored). The decisions are what the prune wrote when
 * W/out/prune.json says output ids or mask (W/out/<variant>/kept/<shard>.ids or
 * mask/<shard>.kept.npy, checked against the shards and prune.json's kept counts: ESTATE naming
 * the file otherwise), else W/score/<shard>.prune.npy's bit of the variant. Nothing in W
 * changes. Errors: as sciprune_prune_write, and EINVAL (no such variant). */
sciprune_status sciprune_prune_materialize(const char *workdir, const sciprune_shard_set *shards,
                                           const char *variant, const char *out_dir,
                                           const sciprune_prune_settings *s,
                                           sciprune_error *err);

/* Gather index/train.json, index/clusters.json, score/plan.json and out/prune.json (whichever
 * exist) into W/report.json and W/report.md. Errors: EIO, EPARSE, ENOMEM. */
sciprune_status sciprune_report_write(const char *workdir, sciprune_error *err);

/* Join evaluation results back to a variant: read `results` (plain {"benchmark", "pass@1",
 * "per_problem"}, bigcode-evaluation-harness or lm-evaluation-harness JSON; the fields read:
 * prune/results.c) and keep them in W/eval/<variant>/<benchmark>.json (normalised) and
 * <benchmark>.source.json (the file as given), replacing an earlier result of the same pair.
 * The variant must be in W/report.json. sciprune_report_write() then shows pass@1 per
 * benchmark per variant (bootstrap 95 % intervals when per-problem results exist) beside the
 * variant's corruption recall, and a verdict. *n_added: benchmarks read (may be NULL).
 * Errors: EINVAL (no such variant, bad name), EIO, EPARSE (not one of the formats), ENOMEM. */
sciprune_status sciprune_eval_add(const char *workdir, const char *variant, const char *results,
                                  size_t *n_added, sciprune_error *err);

/* ======================================================================= run
 * Every stage from one JSON job config (format: run/config.c header, example
 * data/configs/default.json), resumable through workdir/manifest.json. */
typedef struct sciprune_run_options {
    const char *workdir;   /* overrides the config's "workdir"; NULL: the config's */
    int threads;           /* overrides the config's "threads"; -1 (default): the config's */
    int force;             /* 1: accept changed inputs/config under an existing workdir and
                              recompute the stages whose keys changed; default 0 */
    sciprune_progress_fn progress; /* embed progress; may be NULL */
    void (*on_stage)(void *user, const char *stage, const char *state); /* may be NULL */
    void *user;            /* passed to progress and on_stage */
    char *workdir_out;     /* if set, receives the resolved workdir */
    size_t workdir_out_cap;
    const struct sciprune_ranks *ranks; /* NULL: one process; else the job runs split over
                              ranks that share the workdir (see sciprune_ranks) */
    /* Called on every rank before it works on its part of a stage: the shards it owns and
     * their bytes (progress lines with an ETA); may be NULL. */
    void (*on_part)(void *user, const char *stage, uint64_t shards, uint64_t bytes);
    /* if set, receives the job config's "progress_interval_s" (-1 when absent) once the config
     * is parsed, before the first stage (the CLI's progress lines) */
    double *progress_interval_out;
} sciprune_run_options;

/* One job over several processes (MPI ranks), the library staying free of MPI: the caller
 * gives its rank, the count, and one collective. Every rank calls sciprune_run with the same
 * config; rank 0 takes the workdir lock, writes the manifest and the reports, and runs the
 * global stages (k-means training, corrupt, analyze, the reports); the shard-parallel
 * stages (embed + gates, the assignment, score, prune) are dealt over ranks round-robin by index in
 * the sorted input list. The outputs are byte-identical to one process's.
 * reduce: collective over all ranks, called by every rank in the same order: v[0..n-1]
 * becomes the element-wise minimum over ranks; returns 0 on success. */
typedef struct sciprune_ranks {
    int rank, size;
    int (*reduce_min)(void *user, int64_t *v, int n);
    void *user;
    /* v[0..n-1] becomes the element-wise sum over ranks (same calling rules); NULL: the split
     * stages after embed (assignment, prune) run on rank 0 alone */
    int (*reduce_sum)(void *user, int64_t *v, int n);
} sciprune_ranks;
void sciprune_run_options_default(sciprune_run_options *o);

/* Run the job in `config_path`: embed (+ gates) -> index -> corrupt -> analyze -> score ->
 * prune (+ report), each stage only when the job turns it on, skipping every stage whose
 * outputs are current. Score metric "auto" takes this job's own analysis' recommendation. Holds
 * the workdir lock while it runs. Errors: EPARSE/EINVAL (config, naming the key), EBUSY (another
 * process writes into the workdir), ESTATE
 * (the workdir was made from other inputs or another config and force is 0), and every error
 * of the stages. */
sciprune_status sciprune_run(const char *config_path, const sciprune_run_options *o,
                             sciprune_error *err);
/* The workdir lock: one writer per workdir. Every command that writes into a workdir takes it
 * (sciprune_run does itself; the stage functions do not, so a caller that runs them alone takes
 * it around them). flock(2) on W/.lock, which records "<pid> <command>"; the kernel releases it
 * when the holder closes it or dies (SIGKILL included), so it is never stale. Makes W when
 * missing. Never waits. Errors: EBUSY (another holder; err->text "workdir W in use by pid N
 * (sciprune CMD)"), EIO, ENOMEM. Release with _release() (NULL: no-op). A second acquire of
 * the same workdir in the same process is refused too. */
typedef struct sciprune_workdir_lock sciprune_workdir_lock;
sciprune_status sciprune_workdir_lock_acquire(sciprune_workdir_lock **out, const char *workdir,
                                              const char *command, sciprune_error *err);
void sciprune_workdir_lock_release(sciprune_workdir_lock *l);

/* What a workdir holds: the stages of run's table with their state, the report's counts
 * and the analysis' recommendation, for `sciprune inspect` and for tools. */
#define SCIPRUNE_STAGE_MAX 8
typedef struct sciprune_stage_state {
    const char *name;      /* "embed", "gates", "index", "corrupt", "analyze", "score",
                              "prune", in run order; static storage */
    int done;              /* 1: finished (manifest.json) */
    int optional;          /* 1: runs only when the job turns it on (gates, corrupt, analyze) */
    double seconds;        /* wall time of the finished stage */
    uint64_t peak_rss;     /* bytes */
} sciprune_stage_state;

typedef struct sciprune_variant_state {
    char name[128];        /* "gate+distance-p0.20", "auto-p0.20", ... */
    uint64_t kept, pruned, rejected;
    char auto_resolved[64]; /* auto variants: the metric it stood for ("" otherwise) */
} sciprune_variant_state;

typedef struct sciprune_workdir_info {
    size_t n_inputs;                      /* input shards recorded in the manifest */
    sciprune_stage_state stages[SCIPRUNE_STAGE_MAX];
    size_t n_stages;
    int has_report;                       /* W/report.json exists */
    uint64_t records, accepted, rejected; /* from the report */
    int k, dim;
    sciprune_variant_state *variants;     /* n_variants, owned */
    size_t n_variants;
    int has_analysis;                     /* W/analyze/report.json exists */
    char recommendation[64];              /* the analysis' pick ("gate+distance") */
    double rec_ratio, rec_mean_recall, rec_random_mean_recall;
    char rec_text[512];                   /* its one-line reason */
    char auto_why[512];                   /* why auto resolved as it did ("" without auto) */
    char rec_advice[512];                 /* the analysis' held-out advice: a learned or sites
                                             plan that beats the pick on the held-out probes
                                             (recommendation.held_out_advice.text), or "" */
} sciprune_workdir_info;

/* Read workdir/manifest.json (required) and, when present, report.json and
 * analyze/report.json. Errors: EIO (no manifest), EPARSE (a file that is not ours), ENOMEM.
 * Free with sciprune_workdir_info_free(). */
sciprune_status sciprune_workdir_status(const char *workdir, sciprune_workdir_info **out,
                                        sciprune_error *err);
void sciprune_workdir_info_free(sciprune_workdir_info *w);

/* ===================================================================== check
 * Read shards, account for every line (accepted, or rejected with a reason) and keep every bad
 * line: out_dir/rejected/<shard>.jsonl (sciprune_reject_write format; only for shards with
 * rejected lines, a stale one from an earlier run is removed) and out_dir/check.json:
 *   {"shards": [{"shard", "lines", "accepted", "rejected", "reasons": {reason: count}}],
 *    "lines", "accepted", "rejected", "text_bytes"}                                       */
#define SCIPRUNE_REJECT_REASONS (SCIPRUNE_REJECT_STREAM + 1)
typedef struct sciprune_check_options {
    sciprune_shard_options shard;  /* how to read the shards */
    int fail_fast;                 /* 1: stop at the first bad line (EPARSE naming shard, line,
                                      reason); default 0: reject it and go on */
    sciprune_progress_fn progress; /* lines and compressed bytes read so far; may be NULL */
    void *progress_user;
} sciprune_check_options;
void sciprune_check_options_default(sciprune_check_options *o);

typedef struct sciprune_check_info {
    uint64_t lines, accepted, rejected, text_bytes;
    uint64_t reasons[SCIPRUNE_REJECT_REASONS]; /* rejected lines per sciprune_reject */
    size_t n_shards, n_empty;                  /* shards read; shards without a line */
} sciprune_check_info;

/* Check the n shards of `paths` into out_dir (created). `info` may be NULL. Shards with the
 * same file name in different folders are refused (their rejected/ files would collide).
 * Errors: EINVAL (no shards, duplicate names), EIO, EPARSE (fail_fast: the first bad line),
 * ENOMEM. */
sciprune_status sciprune_check_run(const char *const *paths, size_t n, const char *out_dir,
                                   const sciprune_check_options *o, sciprune_check_info *info,
                                   sciprune_error *err);

/* ===================================================================== gates
 * Corruption-validated quality gates: cheap per-file checks that catch what one-vector-per-file
 * embeddings miss. Each gate gives a per-record score; a pruning plan drops every record over a
 * gate's threshold first, then fills the budget with an embedding metric ("gate+distance").
 *   parse_error     ERROR and MISSING nodes of the tree-sitter parse, and the share of the
 *                   file's bytes under (outermost) ERROR nodes. Every language with a grammar.
 *                   For c and cpp (no preprocessor in tree-sitter: macros give ERROR nodes in
 *                   ~40 % of clean C) the value is the C syntax check's count instead: ()[]{}
 *                   that do not pair up in the code the preprocessor keeps (one group of each
 *                   #if read as code, the others checked from the same state), unterminated
 *                   string/char/raw-string literals, an unclosed block comment, unbalanced
 *                   #if/#endif, unbalanced () in #if or a macro parameter list, a misspelt
 *                   keyword (two letters swapped: retrun, cosnt), and a dropped ';' where a
 *                   line rule and a tree-sitter error agree (a quarter of them;
 *                   syntax_suspects marks about half, with ~3 % of clean C).
 *   undefined_name  file-scope name resolution: names read somewhere but bound nowhere in the
 *                   file (assignment, parameter, def/class/function, import, loop/with/except/
 *                   comprehension targets, global/nonlocal, destructuring, ...) and not a
 *                   builtin or environment global. Scopes are flattened: a name bound anywhere
 *                   counts as bound everywhere, so the check errs toward "defined" (it misses a
 *                   class-scope name read from a method) and never flags hoisting or closures.
 *                   Python, JavaScript, TypeScript, TSX. A file the analysis cannot judge
 *                   soundly abstains (score 0, abstained = 1), with one of these reasons:
 *                   "parse_error" (ERROR/MISSING nodes), "star_import", "exec_eval" (exec,
 *                   eval, execfile, Python 2 exec), "globals" (any globals() call),
 *                   "builtins_write" (assignment into builtins) (Python);
 *                   "with", "eval", "import_scripts", "side_effect_import" (`import "./x"`
 *                   of code, not of a stylesheet or asset: it may define globals, like a
 *                   star import) (JavaScript/TypeScript); "too_deep"
 *                   (nesting over 3000, or the parse guard's verdict); "too_large" (the parse
 *                   guard's); "unsupported" (other languages). Builtins: Python 3
 *                   builtins and module dunders plus Python 2 names read under version checks,
 *                   and gettext's `_`, ngettext, pgettext, npgettext (gettext.install() puts
 *                   them into builtins). Python hosts that run a file with names predefined,
 *                   recognised from the record's path or an unbound read only the host
 *                   defines: gdb (a path containing "gdb", or `gdb` read: gdb), lit configs
 *                   (lit.cfg.py, lit.local.cfg, lit.site.cfg.py, ...; or `lit_config` read:
 *                   config, lit_config), SCons (SConstruct, SConscript, ...; or SConscript/
 *                   Import/Export/... read: the SConscript globals), Sphinx conf.py (tags),
 *                   FreeCAD (Init.py, InitGui.py, or FreeCAD/FreeCADGui read: FreeCAD,
 *                   FreeCADGui, App, Gui, Workbench, Log, Msg, Err, Wrn), Blender (a path
 *                   containing "blender" or `bpy` read: bpy, C, D), IPython/Jupyter (".ipynb",
 *                   `get_ipython` read or "# In[" cells: display, get_ipython, In, Out).
 *                   JavaScript/TypeScript: the global names of the environments of the npm
 *                   package `globals` (ESLint's lists; generated at build time) in force for
 *                   the file: builtin (ECMAScript) always; those named by js_envs (settings)
 *                   and by the file's `/\* eslint-env a, b *\/` and `/\* jshint a: true *\/`
 *                   comments; and, in auto mode (the default), shared-node-browser plus what
 *                   the file evidences by reading unbound: require/module/exports/process/...
 *                   (node, commonjs), define (amd), window/document/navigator/alert/HTML*...
 *                   (browser), self/postMessage (worker), describe/it/beforeEach/... (mocha,
 *                   jasmine, jest, chai), test+expect or jest (jest), QUnit or test with ok/
 *                   equal/... (qunit), $ or jQuery (jquery, and browser), chrome
 *                   (webextensions), and a few more (sciprune.h's source: gates/undef.c).
 *                   Names declared in `/\* global a, b *\/` comments, and names the file
 *                   assigns on the global object (window.x =, globalThis.x =, self.x =,
 *                   global.x =, and top-level this.x = in a script, not a module) are bound.
 *                   A classic page script (no import/export, no require/module/exports, no
 *                   define) shares its globals with the page's other scripts: there a name
 *                   read at two places or more, or used as N.x at the top level (outside
 *                   every function, arrow, class and method), is taken as one of them (a
 *                   library's namespace such as `L`, `OpenLayers`, `MathJax`, a test
 *                   harness's helpers); a misspelt use inside a function is one fresh name
 *                   read once, and still counts. In modules (ES, CommonJS, AMD) and for any
 *                   other name, what no environment in force defines counts as undefined. A `typeof x`
 *                   compared with "undefined" is a guard, not a read. */
typedef struct sciprune_gate_scores {
    uint32_t parse_errors;       /* ERROR + MISSING nodes + indentation errors + early errors;
                                    c, cpp: the C syntax check (above) instead */
    uint32_t error_nodes;        /* ERROR nodes */
    uint32_t missing_nodes;      /* MISSING nodes */
    uint32_t indent_errors;      /* python: indentation errors CPython reports (tree-sitter
                                    accepts them): see sciprune_parse_stats */
    uint32_t indent_line;        /* 1-based line of the first one, 0 when none */
    const char *indent_error;    /* "" or CPython's message for it; static storage */
    uint32_t early_errors;       /* javascript/typescript: redeclarations V8 rejects (see
                                    sciprune_parse_stats); counted in parse_errors */
    uint32_t early_line;         /* 1-based line of the first one, 0 when none */
    double parse_error_share;    /* bytes under outermost ERROR nodes / file bytes; 0 if empty */
    uint32_t undefined_names;    /* distinct undefined names; 0 when abstained */
    int undefined_abstained;     /* 1 when the undefined_name gate abstained for this file */
    const char *abstain_reason;  /* "" or why (see above); static storage */
    char names[256];             /* for debugging: the undefined names, sorted, comma-separated,
                                    truncated with "..." */
    const char *syntax_reason;   /* c, cpp: the first finding of the C syntax check ("" when
                                    none); static storage */
    uint64_t syntax_offset;      /* c, cpp: its byte offset */
    uint32_t syntax_suspects;    /* c, cpp: 1 when some other tree-sitter error does not look
                                    like a macro use (a dropped ';' looks like this); not part
                                    of parse_errors: it also marks ~3 % of clean C */
    sciprune_guard_verdict guard; /* not OK: the parse guard kept the text from tree-sitter;
                                    the file is not judged: every score is 0 (no gate flags
                                    it, so the gate plans neither prune nor keep it for the
                                    gates: the fill metric ranks it like any other file) and
                                    undefined_name abstains with reason "too_deep" or
                                    "too_large" */
} sciprune_gate_scores;

/* Parse `text` (len bytes) once as `lang` (a canonical name) and compute every gate.
 * A language without a grammar is not an error: all scores are 0 and undefined_name abstains
 * with reason "unsupported"; nor is a text the parse guard refuses (out->guard, above).
 * `parser` is the caller's per-thread parser.
 * Errors: EBACKEND (tree-sitter), EINVAL (text over 4 GiB), ENOMEM. */
sciprune_status sciprune_gate_score(sciprune_parser *parser, const char *lang, const char *text,
                                    size_t len, sciprune_gate_scores *out, sciprune_error *err);

typedef struct sciprune_gates_settings sciprune_gates_settings;
/* The same for a file with a path (the record's path field; NULL: none), which shows Python
 * hosts (gdb, lit, SCons, ...), under settings `s` (NULL: defaults; js_envs chooses the
 * JavaScript environments). sciprune_gate_score() is this with path and s NULL. */
sciprune_status sciprune_gate_score_file(sciprune_parser *parser, const char *lang,
                                         const char *path, const char *text, size_t len,
                                         const sciprune_gates_settings *s,
                                         sciprune_gate_scores *out, sciprune_error *err);

/* ---------------------------------------------------------------- gates stage
 * Read each shard once (one parse per record, records spread over the threads) and write,
 * in W/gates/:
 *   <shard>.parse_error.npy     float32 N: sciprune_gate_scores.parse_errors per line (ERROR +
 *                               MISSING nodes, indentation, early errors; c, cpp: the C syntax check); 0 for rejected
 *                               lines, languages without a grammar, languages where the
 *                               gate is off and texts the parse guard refuses ("not judged",
 *                               counted as "not_judged" per language in summary.json)
 *   <shard>.undefined_name.npy  float32 N: distinct undefined names per line (0 when rejected,
 *                               abstained or off for the language)
 *   <shard>.gates.json          the shard's counts per language and the settings; written
 *                               last, it marks the shard complete: a rerun with the same
 *                               settings skips complete shards (resume after a kill)
 *   summary.json                "settings" (the language lists, js_envs), per language: files, for
 *                               each gate whether it is on, flagged (count, share) and what it
 *                               would flag if on ("flagged_if_on"), undefined_name abstentions
 *                               by reason, mean error share; totals; time
 * Output is byte-identical whatever the thread count (summary.json's "seconds" aside).
 * The embed stage writes the same files from its own parse when asked
 * (sciprune_embed_options.gates, hash embedder): one parse per record for both. */
/* Languages where a gate judges files by default. A gate is only trusted where it was
 * validated on clean code: on this machine's Python and JavaScript it flags 0.02-0.3 % of
 * clean files. tree-sitter-c/cpp put ERROR nodes in 39-83 % of clean C/C++ files (macros,
 * attributes), so for c and cpp the parse_error value is the C syntax check instead (brackets,
 * literals, comments and #if groups as the preprocessor sees them, misspelt keywords, some
 * dropped ';'): 0.18 % of ~4900 clean Debian C files (7 of the 9 real bugs), 0 % of C++
 * (bench/gates_c_results.md). Other grammars (java, go, rust) are off until measured.
 * "all" turns a gate on for every language. */
#define SCIPRUNE_GATES_PARSE_ERROR_LANGS "python,javascript,typescript,tsx,c,cpp"
#define SCIPRUNE_GATES_UNDEFINED_NAME_LANGS "python,javascript,typescript,tsx"

typedef struct sciprune_gates_settings {
    int threads;                  /* workers over shards; 0 = all cores */
    sciprune_shard_options shard; /* must match the embed stage */
    const char *parse_error_langs;    /* comma-separated canonical names or "all"; NULL/"":
                                         SCIPRUNE_GATES_PARSE_ERROR_LANGS. Borrowed. */
    const char *undefined_name_langs; /* the same; NULL: SCIPRUNE_GATES_UNDEFINED_NAME_LANGS.
                                         (undefined_name only analyses python, javascript,
                                         typescript and tsx; it abstains on others.) */
    const char *js_envs;          /* undefined_name's JavaScript/TypeScript environments:
                                     comma-separated names of the npm package globals'
                                     environments ("browser", "node", "commonjs", "amd",
                                     "worker", "mocha", "jquery", ...; "es6" = es2015), and
                                     "auto" for the detection from the file; NULL/"": auto.
                                     Without "auto" exactly builtin, these and the file's
                                     eslint-env/jshint comments. Borrowed. */
} sciprune_gates_settings;
void sciprune_gates_settings_default(sciprune_gates_settings *s);
/* EINVAL when a language list names something that is not a canonical language with a
 * grammar. */
sciprune_status sciprune_gates_settings_check(const sciprune_gates_settings *s,
                                              sciprune_error *err);

/* The gates, for the language switch below. */
typedef enum sciprune_gate {
    SCIPRUNE_GATE_PARSE_ERROR = 0,
    SCIPRUNE_GATE_UNDEFINED_NAME = 1
} sciprune_gate;
#define SCIPRUNE_GATE_COUNT 2
/* The language list in force for `gate`: the setting, or its default
 * (SCIPRUNE_GATES_*_LANGS) when the setting is NULL or "", or when s is NULL. Borrowed from s
 * or static. An unknown gate gives "". */
const char *sciprune_gates_langs(const sciprune_gates_settings *s, sciprune_gate gate);
/* 1 when `gate` judges files of `lang` (a canonical name) under s (NULL: the defaults): lang is
 * on the list in force, or the list is "all". 0 for a NULL lang or an unknown gate. */
int sciprune_gates_lang_on(const sciprune_gates_settings *s, sciprune_gate gate, const char *lang);

typedef struct sciprune_gates_info {
    uint64_t n_records, n_accepted;
    uint64_t n_parse_error;    /* accepted records with parse_error > 0 */
    uint64_t n_undefined;      /* accepted records with undefined_name > 0 */
    uint64_t n_abstained;      /* accepted records where undefined_name abstained */
    uint64_t n_guarded;        /* accepted records the parse guard kept from tree-sitter (not
                                  judged: scores 0; summary.json "not_judged") */
    uint64_t bytes;            /* text bytes scored */
    uint64_t shards_skipped;   /* complete from an earlier run with the same settings */
    double seconds;
} sciprune_gates_info;

/* Run the gates over `paths` (n shards, unique names) into W/gates/. `info` may be NULL.
 * Errors: EIO, EINVAL (no shards, duplicate shard names), EBACKEND, ENOMEM. */
sciprune_status sciprune_gates_run(const char *workdir, const char *const *paths, size_t n,
                                   const sciprune_gates_settings *s, sciprune_gates_info *info,
                                   sciprune_error *err);
/* =================================================================== analyze */
/* Stage 4: the "informed" in SCIP. Embed the corrupted variants (sciprune_corrupt_run output)
 * with the workdir's embedder, assign them to the clean clusters, and measure per corruption
 * type (all languages, and per language) how they move against their originals and how each
 * metric, quality gate and gate plan would catch them; recommend the metric or plan and alpha.
 * Files in W/analyze/:
 *
 *   report.json, report.md       the tables below and the recommendation
 *   clean.cluster.npy            int32 Nc: cluster of each accepted clean record, in (shard
 *                                order, line) order; g = row is the record's tie-break index
 *   clean.dist.npy               float32 Nc: distance to that centroid (as assign/)
 *   clean.length.npy             int64 Nc: text length in bytes
 *   clean.random.npy             int64 Nc: the random baseline's uint64 key, bit for bit
 *                                (numpy: .view('<u8'))
 *   variants.{cluster,dist,length,random}.npy   the same for the Nv variants, in input order;
 *                                their tie-break index is g = Nc + row
 *   variants.orig.npy            int64 Nv: row of the original in clean.*, -1 when not found
 *   variants.jsonl               per variant: {"row","id","orig_id","type","kind","lang"}
 *   clean.{parse_error,undefined_name}.npy     float32 Nc: the quality gates' values (> 0 =
 *                                flagged), 0 where the gate is off for the record's language
 *   variants.{parse_error,undefined_name}.npy  float32 Nv: the same for the variants
 *   clean.generated.npy          uint8 Nc: 1 when the clean file looks machine-generated
 *
 * Quality gates (section gates). Clean side: W/gates/<shard>.{parse_error,undefined_name}.npy
 * when they exist for every clean shard with the rows of assign/ (the gates stage), else
 * computed here while the clean shards are read (one parse per record, OpenMP); report.json
 * "gates.source" says which. Per-language switch: W/gates/summary.json "settings"
 * {"parse_error_langs": [...], "undefined_name_langs": [...]} where the values come from
 * W/gates and it has them (a list, or "all"); W/gates values without settings: every language;
 * computed here: SCIPRUNE_GATES_PARSE_ERROR_LANGS and SCIPRUNE_GATES_UNDEFINED_NAME_LANGS
 * (see the gates section). The switch applies to both sides. Variants are scored with
 * sciprune_gate_score. A gate's recall is the share of a group's variants it flags ("gates" = either gate). Gate plans "gate+<metric>" (every metric
 * above, "gate+combined-a0.20", ...): every record of U either gate flags first, then the rest
 * of n by the metric among the unflagged records (combined: floor(alpha * rest + 0.5) of them
 * by size, then by distance); when the flagged records alone exceed n, all of them are pruned
 * and only those ("gates_exceed_budget"). Generated files (a clean-side diagnostic: do the
 * gates mostly remove generated code?): a marker in the first 2 KiB, ASCII case ignored
 * ("generated by", "do not edit", "auto-generated", "autogenerated", "@generated", "code
 * generated"), or minified (over 10 KiB with an average line over 300 bytes or any line over
 * 5000 bytes); report.json gives per gate and language the flagged clean files, how many of
 * them are generated, and the generated share of the whole clean corpus.
 *
 * "Recall if mixed into the corpus": for a group of variants V (one type, one type x language)
 * the corpus is U = clean + V. Every record of U is ranked with the same total orders as
 * sciprune_score_sweep (ties by g), using the CLEAN cluster sizes only: variants are a probe
 * and do not grow the clusters they land in (100 variants of one type landing together would
 * otherwise make their own cluster look big, and a bundle scores new files against fixed sizes).
 * A ratio p prunes floor(p * |U| + 0.5) records of U; combined takes floor(alpha * n + 0.5)
 * in size order, then the rest by distance among those not taken. recall = pruned variants / |V|.
 * AUROC (Mann-Whitney, ties count 1/2) separates V from the clean records with one score,
 * higher = pruned earlier: size -> -(clean size of the cluster), distance -> dist, length ->
 * length, random -> -key. Combined is a budget split, not a score: no AUROC.
 * Movement (variants whose original is in the workdir): share in a smaller cluster (clean
 * sizes), median change of the cluster-size percentile and of the distance percentile, both
 * percentiles over the clean records: 100 * (#below + #equal / 2) / Nc.
 * Originals: report.json also gives, per group and metric, "orig_recall": the share of the
 * variants whose original (a clean record) the same selection prunes. Recall above it comes
 * from the corruption; recall equal to it from where the file sits (e.g. a minority language
 * in small clusters). "recommendation" picks the metric or gate plan with the best weighted
 * mean recall over the types at settings.ratio (ties: the earlier one in size, distance,
 * combined by alpha, random, length, then the gate plans in the same order; gate plans only
 * when the flagged clean records fit the budget floor(ratio * Nc + 0.5), since past it a plan
 * prunes more than the ratio and its recall is not comparable), with a one-line
 * "text" comparing it with distance, combined, random and the clean share the gates remove;
 * "recommendation_by_lift" the best mean (recall - orig_recall).
 * Cost: the clean shards are read once (text length, id, generated; one parse per record when
 * the gates are computed here); every variant is embedded and gate-scored once; memory about
 * 190 bytes per clean record; each group costs O(Nc) per ratio x (alpha + plan). */
typedef struct sciprune_analyze_settings {
    double ratios[SCIPRUNE_SWEEP_MAX]; /* recall at these ratios; default 0.05,0.1,0.2,0.3,0.4,0.5 */
    size_t n_ratios;
    double alphas[SCIPRUNE_SWEEP_MAX]; /* combined; default 0,0.2,0.4,0.6,0.8,1 */
    size_t n_alphas;
    double ratio;           /* the recommendation's ratio; default 0.2 (added to ratios when
                               missing) */
    const char *weights;    /* "NAME=W,...": NAME a type, a kind ("syntax", "content") or
                               "default"; a type's weight is its own, else its kind's, else
                               default's, else 1. NULL: all 1. Borrowed. */
    uint64_t seed;          /* random baseline; default 1234 (as sciprune_score_settings) */
    int threads;            /* embedding threads (hash backend); 0 = all cores */
    sciprune_shard_options shard; /* how the clean shards were read; must match embed */
    double gate_budget_share; /* gates judged per language: a gate that flags at most
                               gate_budget_share x ratio of a language's clean files is on;
                               above, undefined_name is off (its flags depend on the
                               environment), parse_error is capped up to ratio (it gates only
                               its most severe flags, that many files; the rest go to the fill
                               metric) and off over ratio (its flags alone would eat the
                               budget: a filter, not a gate); the gate plans are evaluated,
                               and metric auto prunes, with the gates so judged. Default 0.5;
                               0: no judging (the settings' languages as they are) */
    int held_out_auto;      /* 1 (default): when the held-out test says a learned (or sites)
                               plan beats the pick (report.json recommendation.held_out_advice:
                               paired on the held-out probes, by more than 2 standard errors),
                               metric auto takes that plan (recommendation.auto); 0: auto keeps
                               to the pick and the advice is advice only */
    /* Split over ranks (default NULL, 0, 0: one call does everything). The cost is embedding
     * the variants (a parse each, the gates' and signals' too): with parts_dir and
     * part_count > 0, part_index >= 0 embeds only the variants j (index in file order over
     * every corrupted file) with j % part_count == part_index and writes their vectors and
     * gate / signal values to parts_dir/variants-<part_index>.bin (atomically; W/analyze
     * untouched); when the clean records' gates are computed (no W/gates values), it also
     * scores the clean shards i (index in W/embed/shards.json) with i % part_count ==
     * part_index into parts_dir/gates-<i>.bin. part_index == -1 reads the part_count parts
     * instead of embedding and parsing (ESTATE if one is missing or from another job), assigns
     * in the batches one call uses and writes W/analyze as one call without parts would, byte
     * for byte, then removes the parts. */
    const char *parts_dir;
    int part_count, part_index;
} sciprune_analyze_settings;
void sciprune_analyze_settings_default(sciprune_analyze_settings *s);

/* Replace ratios / alphas from comma-separated lists (NULL leaves a field as is). Errors:
 * EINVAL (bad number, outside [0, 1], duplicates, too many). */
sciprune_status sciprune_analyze_settings_parse(sciprune_analyze_settings *s,
                                                const char *ratios, const char *alphas,
                                                sciprune_error *err);
/* Check settings as sciprune_analyze() does before reading anything: ratios, alphas, ratio and
 * gate_budget_share in [0, 1], weights "NAME=W,..." with W >= 0. Errors: EINVAL. */
sciprune_status sciprune_analyze_settings_check(const sciprune_analyze_settings *s,
                                                sciprune_error *err);

typedef struct sciprune_analyze_info {
    uint64_t n_clean;        /* accepted clean records */
    uint64_t n_variants;     /* variants read and embedded */
    uint64_t n_orig_found;   /* variants whose original is in the workdir */
    uint64_t n_guarded;      /* clean records + variants the parse guard kept from tree-sitter
                                (report.json n_clean_guarded, n_variants_guarded) */
    size_t n_types;
    char best[48];           /* recommended name: "distance", "combined-a0.20", "gate+distance",
                                "gate+combined-a0.20", ... */
    double best_alpha;       /* combined (or gate+combined): its alpha; size 1, distance 0;
                                -1 for random/length */
    double best_recall;      /* its weighted mean recall over the types at settings.ratio */
    double random_recall;    /* the random baseline's, for comparison */
    double gates_clean_share; /* share of the clean records either quality gate flags */
    double seconds;
} sciprune_analyze_info;

/* Run the analysis on workdir W (embed/, index/ and assign/ done; the clean shards' paths known
 * from W/embed/shards.json) with the variants in `corrupted`: each entry is a corrupted shard,
 * or a folder whose corrupt-*.jsonl.zst / corrupt-*.jsonl files are taken, sorted by name.
 * Writes W/analyze/ (files above, each atomically). `info` may be NULL. Runs its own OpenMP
 * threads; two calls must not share a workdir.
 * Errors: EINVAL (bad settings, no variants, clean shard paths unknown), EIO, EPARSE (a
 * variant line without "corruption"/"kind", bad .npy), ESTATE (assign/ missing or not
 * matching the shards, embedder and index dimensions differ), EBACKEND, ENOMEM. */
sciprune_status sciprune_analyze(const char *workdir, const char *const *corrupted, size_t n,
                                 const sciprune_analyze_settings *s, sciprune_analyze_info *info,
                                 sciprune_error *err);


/* ===================================================================== model
 * A pruning model: one variant of a finished job (score and its inputs done) saved as a
 * self-contained, versioned folder that ingestion tools load once to ask "keep or drop?" per
 * file, in-process. The folder (format: model/export.c header; "format": "sciprune-model",
 * "version": SCIPRUNE_MODEL_VERSION in model.json) holds the embedder spec and idf, the
 * centroids, the cluster sizes, the variant's plan as thresholds, the gates' settings.
 *
 * The rule (the batch ranks of score/, rank/rank.h, turned into thresholds). A variant prunes
 * the records its gates flag (gate plans) and, for each step of its plan (one order, or size
 * then distance for combined), the records up to the step's cut in that order: the prefix of
 * the order that ends at the last record the step took. A record is judged by its key in
 * each order, against the cut's key:
 *   size         (rank of its cluster by (size, id)) << 32 | ~distance: smaller clusters,
 *                then farther in the cut's cluster, before the cut
 *   distance     ~distance (global): farther than the cut
 *   distance-pc  per cluster: farther than the last record the step pruned in its cluster
 *   random       XXH3(id, seed): needs the record's id (sciprune_model_doc.id)
 *   length       ~text bytes: longer than the cut
 *   naturalness, sites  the embed-pass signal (sciprune_embedder_naturalness / _sites of the
 *                text, each its own parse; the folder carries embed/ngram.npy, embed/sites.npy):
 *                higher than the cut
 *   learned      the analysis' logistic model (model.json "learned": weights, bias) over
 *                distance, log(1 + cluster size), the gates of the text (after the language
 *                switch, before any judgement of auto), naturalness, log(1 + text bytes) and
 *                sites, summed as score/ sums it: higher than the cut
 * Ties with the cut's key: the batch broke them by position in the corpus (shard, line); a new
 * record has no position and is ordered after every training record, so a tie is kept. The
 * training records near each cut (same key, or a distance within 1e-5 of the cut's, where the
 * last bits of a distance may differ between the batch's matrix product and one vector;
 * learned: within 1e-5 * (1 + |its distance weight|) of the cut's value) are
 * stored with the batch's decision and matched by (text hash, id): for every record of the
 * training corpus the verdict equals what prune decided. Cluster sizes and cuts are fixed:
 * judging never changes the model. */
#define SCIPRUNE_MODEL_VERSION 1

/* Export variant `variant` ("gate+distance-p0.20", "auto-p0.20", ... as in score/plan.json)
 * of workdir W into folder `out_dir` (created; replaced when it holds a model; written to a
 * temp folder and renamed). Reads the shards once (paths from W/embed/shards.json) for ids,
 * lengths and text hashes, recomputes the variant's plan with rank/ and checks it against
 * W/score/<shard>.prune.npy. Errors: EINVAL (no such variant, npy embedder: cannot embed
 * texts), ESTATE (score not done, files that do not match), EIO, EPARSE, ENOMEM. */
sciprune_status sciprune_model_export(const char *workdir, const char *variant,
                                      const char *out_dir, sciprune_error *err);

typedef struct sciprune_model sciprune_model;               /* immutable once open */
typedef struct sciprune_model_worker sciprune_model_worker; /* one per thread */

/* Open a model folder. Errors: EIO (missing files), EPARSE (not a model), ESTATE (a model of
 * another format version: the error names both versions), EBACKEND (exec embedder), ENOMEM.
 * The model may serve many threads at once, each with its own worker (exec embedder: one
 * process, calls serialised). Free with sciprune_model_free(). */
sciprune_status sciprune_model_open(sciprune_model **out, const char *path, sciprune_error *err);
void sciprune_model_free(sciprune_model *m);
/* The variant's name and metric it was exported from ("gate+distance-p0.20"; "gate+distance");
 * borrowed from m. */
const char *sciprune_model_variant(const sciprune_model *m);
const char *sciprune_model_metric(const sciprune_model *m);
/* Vector dimension and cluster count. */
uint32_t sciprune_model_dim(const sciprune_model *m);
uint32_t sciprune_model_k(const sciprune_model *m);

/* Per-thread scratch: the embedder's worker (its own parser) and buffers. Errors: ENOMEM,
 * EBACKEND. Free with sciprune_model_worker_free() before the model. */
sciprune_status sciprune_model_worker_new(sciprune_model_worker **out, const sciprune_model *m,
                                          sciprune_error *err);
void sciprune_model_worker_free(sciprune_model_worker *w);

/* Why a file is dropped (the first rule that drops it, in plan order), or KEEP. */
typedef enum sciprune_reason {
    SCIPRUNE_REASON_KEEP = 0,
    SCIPRUNE_REASON_PARSE_ERROR,    /* gate parse_error */
    SCIPRUNE_REASON_UNDEFINED_NAME, /* gate undefined_name */
    SCIPRUNE_REASON_SMALL_CLUSTER,  /* size order: in a small cluster */
    SCIPRUNE_REASON_FAR,            /* distance order: far from its centroid */
    SCIPRUNE_REASON_FAR_IN_CLUSTER, /* distance-pc order: far for its cluster */
    SCIPRUNE_REASON_RANDOM,         /* random baseline */
    SCIPRUNE_REASON_LONG,           /* length baseline */
    SCIPRUNE_REASON_UNNATURAL,      /* naturalness order: a site looks like a one-token change */
    SCIPRUNE_REASON_LEARNED,        /* learned order: the analysis' logistic model */
    SCIPRUNE_REASON_SITES           /* sites order: a site detector fired */
} sciprune_reason;
/* "keep", "parse_error", "undefined_name", "small_cluster", "far", "far_in_cluster", "random",
 * "long"; static storage. */
const char *sciprune_reason_name(sciprune_reason r);

typedef struct sciprune_verdict {
    int keep;                 /* 1 keep, 0 drop */
    sciprune_reason reason;   /* KEEP when kept */
    int32_t cluster;          /* nearest centroid */
    float distance;           /* to it (cosine: 1 - cos; l2: Euclidean) */
    uint64_t cluster_size;    /* training records in that cluster */
    float parse_error;        /* gate values after the model's language switch (0 = off) */
    float undefined_name;
    int gated;                /* 1 when a gate of the plan flags it (gate plans only) */
    int from_training;        /* 1 when decided by the stored training records near a cut */
    sciprune_embed_row row;   /* how the text was embedded */
} sciprune_verdict;

/* A file to judge. id: the record id (random needs it; near a cut it picks the training
 * record), path: its path field (the gates' Python hosts); both may be NULL. */
typedef struct sciprune_model_doc {
    const char *text;
    size_t len;
    const char *lang;         /* canonical language name ("python"); NULL: "unknown" */
    const char *path;
    const char *id;
} sciprune_model_doc;

/* Judge one file: embed it, assign it, score the gates, apply the variant's thresholds.
 * Thread safety: one worker per thread, any number of threads on one model.
 * Errors: EINVAL (random without an id, text over 4 GiB), EBACKEND, ENOMEM. */
sciprune_status sciprune_model_judge(const sciprune_model *m, sciprune_model_worker *w,
                                     const char *text, size_t len, const char *lang,
                                     sciprune_verdict *out, sciprune_error *err);
sciprune_status sciprune_model_judge_doc(const sciprune_model *m, sciprune_model_worker *w,
                                         const sciprune_model_doc *doc, sciprune_verdict *out,
                                         sciprune_error *err);
/* The vector the model gives a text (float32, L2-normalised for hash; dst_cap >= dim), for
 * tools that want the embedding itself. Same thread rules. Errors: as judge. */
sciprune_status sciprune_model_embed(const sciprune_model *m, sciprune_model_worker *w,
                                     const char *text, size_t len, const char *lang, float *dst,
                                     size_t dst_cap, sciprune_error *err);

/* Embedding with a per-thread worker (what the model uses; also for other tools): hash keeps
 * its parser and scratch in the worker so per-text calls do not allocate. */
typedef struct sciprune_embed_worker sciprune_embed_worker;
struct sciprune_gate_scores;
/* Errors: EINVAL (npy embedder), EBACKEND (exec start), ENOMEM. `e` must outlive the worker.
 * Free with sciprune_embed_worker_free(). */
sciprune_status sciprune_embed_worker_new(sciprune_embed_worker **out, sciprune_embedder *e,
                                          sciprune_error *err);
void sciprune_embed_worker_free(sciprune_embed_worker *w);
/* sciprune_embedder_embed with the worker; with `gates` non-NULL the quality gates too, as
 * sciprune_gate_score_file(lang, path, text, gs) gives them (hash: on the same parse).
 * Thread safety: as sciprune_embedder_embed, one worker per thread. */
sciprune_status sciprune_embed_worker_embed(sciprune_embed_worker *w, const char *lang,
                                            const char *path, const char *text, size_t len,
                                            float *dst, size_t dst_cap, sciprune_embed_row *row,
                                            const sciprune_gates_settings *gs,
                                            struct sciprune_gate_scores *gates,
                                            sciprune_error *err);

/* ===================================================================== decontam
 * Decontamination: remove the corpus files that contain an evaluation benchmark (HumanEval,
 * MBPP, any JSONL of problems) before pruning, so no variant wins by keeping leaked answers.
 * The user supplies the benchmark files; none ship with sciprune. Two matchers (decontam/):
 *   exact  the BigCode/StarCoder rule: a file that contains a benchmark docstring or solution
 *          after whitespace normalisation (every run of spaces, tabs and newlines is one space,
 *          both sides trimmed) is removed. Allowlist: a text whose normalised form is shorter
 *          than exact_min_chars (`return x + y`, 12) is never matched: trivial solutions are
 *          everywhere in real code.
 *   ngram  n-grams (ngram_n tokens, 13 by default) over a code-aware tokenisation (comments and
 *          whitespace dropped; keywords of Python/C/C++/Java/JS/Go/Rust, attribute names after
 *          '.', numbers, string literals and punctuation kept; every other identifier is one
 *          placeholder, so renamed variables still match), each n-gram an XXH3 hash. All
 *          benchmark n-grams sit in one in-memory index. A file matches an item when at least
 *          ngram_threshold of the item's distinct n-grams occur in it, counting only n-grams
 *          found in at most max(ngram_df_min, ngram_df_share x files) corpus files (idioms
 *          shared by many files do not count). Items with fewer than ngram_min distinct n-grams
 *          are never matched. The document frequencies are counted in the same single pass: a
 *          file whose share passes without the cap is kept as a candidate (its matched n-grams
 *          recorded) and judged again with the cap once every file has been seen.
 * Outputs in W/decontam/ (format: decontam/stage.c): <shard>.decontam.npy (uint8 per line: 0
 * kept, 1 exact, 2 ngram), removed.jsonl (every removed file: shard, line, id, benchmark,
 * task_id, matcher, field, matched span as byte offsets + excerpt) and summary.json. The score
 * stage then removes these files in every variant before its budget (see sciprune_score_sweep). */
typedef enum sciprune_decontam_format {
    SCIPRUNE_BENCH_HUMANEVAL = 0, /* .jsonl[.gz]: task_id, prompt (its docstring is matched),
                                     canonical_solution */
    SCIPRUNE_BENCH_MBPP,          /* .jsonl[.gz]: task_id, text, code */
    SCIPRUNE_BENCH_JSONL          /* .jsonl[.gz]: the fields named in `fields`, id `id_field` */
} sciprune_decontam_format;

typedef struct sciprune_decontam_benchmark {
    sciprune_decontam_format format;
    const char *path;      /* borrowed */
    const char *name;      /* the label in the log; NULL: the file name without .jsonl[.gz] */
    const char *fields;    /* JSONL: comma list of text fields (each matched); borrowed */
    const char *id_field;  /* JSONL: the task id field; NULL: "task_id" */
} sciprune_decontam_benchmark;

/* "humaneval:PATH", "mbpp:PATH" or "jsonl:PATH" into *out (path borrowed from spec; fields and
 * id_field left NULL). Errors: EINVAL. */
sciprune_status sciprune_decontam_benchmark_parse(const char *spec,
                                                  sciprune_decontam_benchmark *out,
                                                  sciprune_error *err);

typedef struct sciprune_decontam_settings {
    const sciprune_decontam_benchmark *benchmarks; /* n_benchmarks, borrowed */
    size_t n_benchmarks;
    int exact;                 /* the exact matcher; default 1 */
    int ngram;                 /* the n-gram matcher; default 1 */
    uint32_t exact_min_chars;  /* allowlist: shorter normalised texts never match; default 32,
                                  at least 16 */
    uint32_t ngram_n;          /* tokens per n-gram; default 13, in [4, 64] */
    uint32_t ngram_min;        /* items with fewer distinct n-grams are not matched; default 10 */
    double ngram_threshold;    /* share of an item's n-grams found in a file; default 0.5, (0, 1] */
    uint32_t ngram_df_min;     /* an n-gram found in more files than max(ngram_df_min,
                                  ngram_df_share x files) does not count; default 10 */
    double ngram_df_share;     /* default 0.001 */
    int threads;               /* 0 = all cores */
    sciprune_shard_options shard;
} sciprune_decontam_settings;
void sciprune_decontam_settings_default(sciprune_decontam_settings *s);
/* Errors: EINVAL (no benchmark, no matcher, a value out of range). */
sciprune_status sciprune_decontam_settings_check(const sciprune_decontam_settings *s,
                                                 sciprune_error *err);

typedef struct sciprune_decontam_info {
    uint64_t n_records, n_accepted, n_items, n_ngrams;
    uint64_t n_exact, n_ngram;  /* files removed by each matcher (exact first) */
    double seconds;
} sciprune_decontam_info;

/* Load the benchmarks and match every accepted record of `paths` (n shards, unique names) in
 * one pass; write W/decontam/. `info` may be NULL. Errors: EIO, EPARSE (a benchmark file),
 * EINVAL, ENOMEM. */
sciprune_status sciprune_decontam_run(const char *workdir, const char *const *paths, size_t n,
                                      const sciprune_decontam_settings *s,
                                      sciprune_decontam_info *info, sciprune_error *err);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* SCIPRUNE_H */
