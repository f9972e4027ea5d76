/*
 * sp_workdir.h - the workdir layout: the one place a path inside a workdir W is made. Every
 * stage asks here for its files; the README's "Workdir" listing is this table (workdir.c).
 * It lives in shard/, the base layer every module may use, because the stages below run/
 * (embed, index, score, prune, gates, analyze) read and write these files themselves; run/
 * on top owns what is recorded about them (manifest.json).
 */
#ifndef SCIPRUNE_SP_WORKDIR_H
#define SCIPRUNE_SP_WORKDIR_H

#include "sp_common.h"

typedef enum sp_wfile {
    /* per shard: W/<folder>/<shard><suffix> */
    SP_WF_VECTORS = 0,          /* embed/<s>.npy                 float32/16 N x d */
    SP_WF_STATUS,               /* embed/<s>.status.npy          uint8 N */
    SP_WF_CLUSTER,              /* assign/<s>.cluster.npy        int32 N */
    SP_WF_DIST,                 /* assign/<s>.dist.npy           float32 N */
    SP_WF_PRUNE_MASK,           /* score/<s>.prune.npy           uint8 N x B */
    SP_WF_GATE_PARSE_ERROR,     /* gates/<s>.parse_error.npy     float32 N */
    SP_WF_GATE_UNDEFINED_NAME,  /* gates/<s>.undefined_name.npy  float32 N */
    SP_WF_GATE_SHARD,           /* gates/<s>.gates.json          counts; marks the shard done */
    SP_WF_REJECTED,             /* out/rejected/<s>.jsonl        rejected lines */
    SP_WF_SITES,                /* embed/<s>.sites.npy           float32 N (metric `sites`) */
    SP_WF_DECONTAM,             /* decontam/<s>.decontam.npy     uint8 N: 0 kept, 1 exact, 2 ngram */
    SP_WF_N_PER_SHARD,
    /* one per workdir: W/<folder>/<name> */
    SP_WF_MANIFEST = SP_WF_N_PER_SHARD, /* manifest.json */
    SP_WF_REPORT_JSON,          /* report.json */
    SP_WF_REPORT_MD,            /* report.md */
    SP_WF_EMBEDDER,             /* embed/embedder.json */
    SP_WF_IDF,                  /* embed/idf.npy */
    SP_WF_SHARDS,               /* embed/shards.json */
    SP_WF_EMBED_SUMMARY,        /* embed/summary.json */
    SP_WF_CENTROIDS,            /* index/centroids.npy */
    SP_WF_KMEANS,               /* index/kmeans.faiss */
    SP_WF_CLUSTERS,             /* index/clusters.json */
    SP_WF_TRAIN,                /* index/train.json */
    SP_WF_PLAN,                 /* score/plan.json */
    SP_WF_PRUNE_SUMMARY,        /* out/prune.json */
    SP_WF_GATES_SUMMARY,        /* gates/summary.json */
    SP_WF_ANALYZE_REPORT,       /* analyze/report.json */
    SP_WF_ANALYZE_CLEAN_PE,     /* analyze/clean.parse_error.npy */
    SP_WF_ANALYZE_CLEAN_UN,     /* analyze/clean.undefined_name.npy */
    SP_WF_LOCK,                 /* .lock                         the workdir lock (run/lock.c) */
    SP_WF_SITES_MODEL,          /* embed/sites.npy               the site detectors' weights */
    SP_WF_DECONTAM_SUMMARY,     /* decontam/summary.json */
    SP_WF_DECONTAM_LOG,         /* decontam/removed.jsonl        every file decontam removed */
    SP_WF_COUNT
} sp_wfile;

typedef enum sp_wdir {
    SP_WD_EMBED = 0, SP_WD_INDEX, SP_WD_ASSIGN, SP_WD_SCORE, SP_WD_GATES, SP_WD_OUT,
    SP_WD_REJECTED, SP_WD_CORRUPT, SP_WD_ANALYZE, SP_WD_DECONTAM, SP_WD_COUNT
} sp_wdir;

/* W/<folder>/<shard><suffix> for a per-shard file (shard required), W/<folder>/<name> for a
 * per-workdir one (shard ignored). NULL on ENOMEM. Caller frees with free(). */
char *sp_wpath(const char *workdir, sp_wfile f, const char *shard);
/* A per-record signal of the embed pass: W/embed/<shard>.<signal>.npy, '<f4', shape (N,), row
 * i = line i + 1, higher = more likely corrupted ("naturalness", "sites"). Any stage may read
 * it; a signal is present for a shard when its file has the rows of <shard>.status.npy.
 * NULL on ENOMEM; caller frees. */
char *sp_wsignal_path(const char *workdir, const char *shard, const char *signal);
/* W/embed/ngram.npy: the naturalness model (embed/ngram.c). NULL on ENOMEM; caller frees. */
char *sp_wngram_path(const char *workdir);
/* W/<folder>. NULL on ENOMEM. Caller frees with free(). */
char *sp_wdir_path(const char *workdir, sp_wdir d);
/* W/out/<variant>/kept/<shard> (removed/ when `removed`; the folder when shard is NULL).
 * NULL on ENOMEM; caller frees. */
char *sp_wvariant_path(const char *workdir, const char *variant, int removed, const char *shard);
/* The suffix of a per-shard file (".cluster.npy"), for folder scans; static storage. */
const char *sp_wfile_suffix(sp_wfile f);

#endif /* SCIPRUNE_SP_WORKDIR_H */
