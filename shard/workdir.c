/*
 * workdir.c - the workdir layout table (sp_workdir.h): folder and suffix of every file a run
 * writes. The formats are described in the header comment of the .c file that writes each.
 */
#include "sp_workdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const k_dirs[SP_WD_COUNT] = {
    [SP_WD_EMBED] = "embed",   [SP_WD_INDEX] = "index",       [SP_WD_ASSIGN] = "assign",
    [SP_WD_SCORE] = "score",   [SP_WD_GATES] = "gates",       [SP_WD_OUT] = "out",
    [SP_WD_REJECTED] = "out/rejected", [SP_WD_CORRUPT] = "corrupt", [SP_WD_ANALYZE] = "analyze",
    [SP_WD_DECONTAM] = "decontam",
};

static const struct { int dir; const char *name; } k_files[SP_WF_COUNT] = {
    [SP_WF_VECTORS] = {SP_WD_EMBED, ".npy"},
    [SP_WF_STATUS] = {SP_WD_EMBED, ".status.npy"},
    [SP_WF_CLUSTER] = {SP_WD_ASSIGN, ".cluster.npy"},
    [SP_WF_DIST] = {SP_WD_ASSIGN, ".dist.npy"},
    [SP_WF_PRUNE_MASK] = {SP_WD_SCORE, ".prune.npy"},
    [SP_WF_GATE_PARSE_ERROR] = {SP_WD_GATES, ".parse_error.npy"},
    [SP_WF_GATE_UNDEFINED_NAME] = {SP_WD_GATES, ".undefined_name.npy"},
    [SP_WF_GATE_SHARD] = {SP_WD_GATES, ".gates.json"},
    [SP_WF_REJECTED] = {SP_WD_REJECTED, ".jsonl"},
    [SP_WF_SITES] = {SP_WD_EMBED, ".sites.npy"},
    [SP_WF_DECONTAM] = {SP_WD_DECONTAM, ".decontam.npy"},
    [SP_WF_MANIFEST] = {-1, "manifest.json"},
    [SP_WF_REPORT_JSON] = {-1, "report.json"},
    [SP_WF_REPORT_MD] = {-1, "report.md"},
    [SP_WF_EMBEDDER] = {SP_WD_EMBED, "embedder.json"},
    [SP_WF_IDF] = {SP_WD_EMBED, "idf.npy"},
    [SP_WF_SHARDS] = {SP_WD_EMBED, "shards.json"},
    [SP_WF_EMBED_SUMMARY] = {SP_WD_EMBED, "summary.json"},
    [SP_WF_CENTROIDS] = {SP_WD_INDEX, "centroids.npy"},
    [SP_WF_KMEANS] = {SP_WD_INDEX, "kmeans.faiss"},
    [SP_WF_CLUSTERS] = {SP_WD_INDEX, "clusters.json"},
    [SP_WF_TRAIN] = {SP_WD_INDEX, "train.json"},
    [SP_WF_PLAN] = {SP_WD_SCORE, "plan.json"},
    [SP_WF_PRUNE_SUMMARY] = {SP_WD_OUT, "prune.json"},
    [SP_WF_GATES_SUMMARY] = {SP_WD_GATES, "summary.json"},
    [SP_WF_ANALYZE_REPORT] = {SP_WD_ANALYZE, "report.json"},
    [SP_WF_ANALYZE_CLEAN_PE] = {SP_WD_ANALYZE, "clean.parse_error.npy"},
    [SP_WF_ANALYZE_CLEAN_UN] = {SP_WD_ANALYZE, "clean.undefined_name.npy"},
    [SP_WF_LOCK] = {-1, ".lock"},
    [SP_WF_SITES_MODEL] = {SP_WD_EMBED, "sites.npy"},
    [SP_WF_DECONTAM_SUMMARY] = {SP_WD_DECONTAM, "summary.json"},
    [SP_WF_DECONTAM_LOG] = {SP_WD_DECONTAM, "removed.jsonl"},
};

static char *join3(const char *a, const char *b, const char *c, const char *d)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + strlen(d) + 3;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s%s%s%s%s%s", a, *b ? "/" : "", b, *c ? "/" : "", c, d);
    return p;
}

char *sp_wpath(const char *workdir, sp_wfile f, const char *shard)
{
    if ((unsigned)f >= SP_WF_COUNT) return NULL;
    const char *dir = k_files[f].dir < 0 ? "" : k_dirs[k_files[f].dir];
    if (f < SP_WF_N_PER_SHARD) return join3(workdir, dir, shard ? shard : "", k_files[f].name);
    return join3(workdir, dir, k_files[f].name, "");
}

char *sp_wsignal_path(const char *workdir, const char *shard, const char *signal)
{
    size_t n = strlen(workdir) + strlen(shard) + strlen(signal) + 16;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/embed/%s.%s.npy", workdir, shard, signal);
    return p;
}

char *sp_wngram_path(const char *workdir)
{
    size_t n = strlen(workdir) + 24;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/embed/ngram.npy", workdir);
    return p;
}

char *sp_wdir_path(const char *workdir, sp_wdir d)
{
    return (unsigned)d < SP_WD_COUNT ? join3(workdir, k_dirs[d], "", "") : NULL;
}

char *sp_wvariant_path(const char *workdir, const char *variant, int removed, const char *shard)
{
    size_t n = strlen(workdir) + strlen(variant) + (shard ? strlen(shard) : 0) + 24;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/out/%s/%s%s%s", workdir, variant, removed ? "removed" : "kept",
                    shard ? "/" : "", shard ? shard : "");
    return p;
}

const char *sp_wfile_suffix(sp_wfile f)
{
    return (unsigned)f < SP_WF_N_PER_SHARD ? k_files[f].name : "";
}
