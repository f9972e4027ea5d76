/* judge.c - ask a pruning model "keep or drop?" for files, in-process.
 *
 *   cc judge.c $(pkg-config --cflags --libs sciprune) -o judge
 *   ./judge MODEL_DIR FILE...
 *
 * Prints one line per file: "keep|drop <reason> cluster=<c> distance=<d> <file>". The language
 * comes from the file's extension (sciprune_lang_from_path). One model, one worker per thread:
 * this example has one thread. */
#include <sciprune.h>

#include <stdio.h>
#include <stdlib.h>

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0, r;
    char *buf = malloc(cap);
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) { free(buf); buf = NULL; }
            else buf = nb;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL_DIR FILE...\n", argv[0]);
        return 2;
    }
    sciprune_error err;
    sciprune_model *model = NULL;
    sciprune_model_worker *worker = NULL;
    if (sciprune_model_open(&model, argv[1], &err) != SCIPRUNE_OK ||
        sciprune_model_worker_new(&worker, model, &err) != SCIPRUNE_OK) {
        fprintf(stderr, "judge: %s: %s\n", err.source, err.text);
        sciprune_model_free(model);
        return 1;
    }
    printf("# sciprune %s, model %s (%s), data %s\n", sciprune_version(),
           sciprune_model_variant(model), sciprune_model_metric(model), sciprune_data_dir());
    int rc = 0;
    for (int i = 2; i < argc; i++) {
        size_t len = 0;
        char *text = slurp(argv[i], &len);
        if (!text) {
            fprintf(stderr, "judge: cannot read %s\n", argv[i]);
            rc = 1;
            continue;
        }
        const char *lang = sciprune_lang_from_path(argv[i]);
        sciprune_verdict v;
        if (sciprune_model_judge(model, worker, text, len, lang, &v, &err) != SCIPRUNE_OK) {
            fprintf(stderr, "judge: %s: %s\n", argv[i], err.text);
            rc = 1;
        } else {
            printf("%s %s cluster=%d distance=%.6f %s\n", v.keep ? "keep" : "drop",
                   sciprune_reason_name(v.reason), (int)v.cluster, (double)v.distance, argv[i]);
        }
        free(text);
    }
    sciprune_model_worker_free(worker);
    sciprune_model_free(model);
    return rc;
}
