/* bench_judge.c - in-process judging (sciprune_model_judge_doc, one file per call) against the
 * batch embed stage (sciprune_embed_shards with the gates, the work judging repeats per file),
 * both on one thread, alternated A B A B so that load on the shared machine hits both alike.
 *
 *   bench_judge MODEL_DIR SHARD [PAIRS]
 *
 * A = embed stage: a fresh workdir each run, 1 thread, hash embedder as the model's (default
 *     settings), gates on; files/s = accepted records / wall seconds (reading, idf fit, embed,
 *     gates, writing the .npy files).
 * B = judge: the shard's records read into memory first (not timed), then one
 *     sciprune_model_judge_doc call per record with one worker; files/s likewise.
 * Prints one JSON line per pair and a summary {"ratio_median", "ratio_min", "ratio_max"} where
 * ratio = judge files/s / embed files/s (1 = no loss; 0.85 = the in-process path loses 15 %).
 * Links only the shared library's public API. */
#include <sciprune.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct doc {
    char *text, *lang, *path, *id;
    size_t len;
} doc;

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static char *dup0(const char *s) { return s ? strdup(s) : NULL; }

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_judge MODEL_DIR SHARD [PAIRS]\n");
        return 2;
    }
    int pairs = argc > 3 ? atoi(argv[3]) : 5;
    sciprune_error e;
    sciprune_model *m = NULL;
    sciprune_model_worker *w = NULL;
    if (sciprune_model_open(&m, argv[1], &e) || sciprune_model_worker_new(&w, m, &e)) {
        fprintf(stderr, "bench_judge: %s: %s\n", e.source, e.text);
        return 1;
    }
    /* the records, in memory */
    size_t n = 0, cap = 1024;
    doc *d = malloc(cap * sizeof *d);
    sciprune_shard_reader *r;
    if (sciprune_shard_reader_open(&r, argv[2], NULL, &e)) {
        fprintf(stderr, "bench_judge: %s: %s\n", e.source, e.text);
        return 1;
    }
    const sciprune_record *rec;
    while (!sciprune_shard_reader_next(r, &rec, &e) && rec) {
        if (rec->reject) continue;
        if (n == cap) d = realloc(d, (cap *= 2) * sizeof *d);
        d[n++] = (doc){dup0(rec->text), dup0(rec->lang), dup0(rec->path), dup0(rec->id), rec->text_len};
    }
    sciprune_shard_reader_close(r);
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) bytes += d[i].len;
    char tmpl[] = "/tmp/sciprune-bench-judge.XXXXXX";
    char *tmp = mkdtemp(tmpl);
    if (!tmp) return 1;
    double *ratio = calloc((size_t)pairs, sizeof *ratio);
    const char *paths[1] = {argv[2]};
    uint64_t kept = 0;
    for (int p = 0; p < pairs; p++) {
        /* A: the embed stage */
        char wd[256], cmd[300];
        snprintf(wd, sizeof wd, "%s/w%d", tmp, p);
        sciprune_embedder_settings es;
        sciprune_embedder_settings_default(&es);
        sciprune_embed_options eo;
        sciprune_embed_options_default(&eo);
        eo.threads = 1;
        sciprune_gates_settings gs;
        sciprune_gates_settings_default(&gs);
        gs.threads = 1;
        eo.gates = &gs;
        sciprune_embed_stats st;
        double t0 = now();
        if (sciprune_embed_shards(wd, paths, 1, &es, &eo, &st, &e)) {
            fprintf(stderr, "bench_judge: embed: %s: %s\n", e.source, e.text);
            return 1;
        }
        double ta = now() - t0;
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", wd);
        if (system(cmd)) return 1;
        /* B: one judge call per file */
        kept = 0;
        t0 = now();
        for (size_t i = 0; i < n; i++) {
            sciprune_model_doc x = {d[i].text, d[i].len, d[i].lang, d[i].path, d[i].id};
            sciprune_verdict v;
            if (sciprune_model_judge_doc(m, w, &x, &v, &e)) {
                fprintf(stderr, "bench_judge: judge: %s\n", e.text);
                return 1;
            }
            kept += (uint64_t)v.keep;
        }
        double tb = now() - t0;
        double fa = (double)n / ta, fb = (double)n / tb;
        ratio[p] = fb / fa;
        printf("{\"pair\": %d, \"embed_s\": %.3f, \"judge_s\": %.3f, \"embed_files_per_s\": %.1f, "
               "\"judge_files_per_s\": %.1f, \"ratio\": %.3f}\n", p + 1, ta, tb, fa, fb, ratio[p]);
        fflush(stdout);
    }
    qsort(ratio, (size_t)pairs, sizeof *ratio, cmp_d);
    double med = pairs % 2 ? ratio[pairs / 2] : (ratio[pairs / 2 - 1] + ratio[pairs / 2]) / 2;
    printf("{\"files\": %zu, \"text_bytes\": %zu, \"kept\": %llu, \"model\": \"%s\", \"pairs\": %d, "
           "\"ratio_median\": %.3f, \"ratio_min\": %.3f, \"ratio_max\": %.3f}\n", n, bytes,
           (unsigned long long)kept, sciprune_model_variant(m), pairs, med, ratio[0],
           ratio[pairs - 1]);
    rmdir(tmp);
    for (size_t i = 0; i < n; i++) free(d[i].text), free(d[i].lang), free(d[i].path), free(d[i].id);
    free(d);
    free(ratio);
    sciprune_model_worker_free(w);
    sciprune_model_free(m);
    return 0;
}
