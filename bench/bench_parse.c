/* bench_parse.c - the floor for the tree-sitter stages: read shards with the library reader
 * and parse every record whose language has a grammar, nothing else. One thread. */
#include "sciprune.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long long recs = 0, parsed = 0, text = 0, errs = 0;
    sciprune_parser *p;
    sciprune_error e;
    if (sciprune_parser_new(&p, &e)) return 1;
    for (int i = 1; i < argc; i++) {
        sciprune_shard_reader *r;
        if (sciprune_shard_reader_open(&r, argv[i], NULL, &e)) {
            fprintf(stderr, "bench_parse: %s: %s\n", e.source, e.text);
            return 1;
        }
        const sciprune_record *rec;
        while (sciprune_shard_reader_next(r, &rec, &e) == SCIPRUNE_OK && rec) {
            recs++;
            if (rec->reject || !sciprune_lang_has_grammar(rec->lang)) continue;
            sciprune_parse_stats st;
            if (sciprune_parse_check(p, rec->lang, rec->text, rec->text_len, &st, &e) == SCIPRUNE_OK) {
                parsed++;
                text += rec->text_len;
                errs += st.error_nodes + st.missing_nodes > 0;
                if (getenv("BENCH_PARSE_LIST") && st.error_nodes + st.missing_nodes > 0)
                    fprintf(stderr, "%s %u %u %llu\n", rec->id, st.error_nodes, st.missing_nodes, (unsigned long long)st.error_bytes);
            }
        }
        sciprune_shard_reader_close(r);
    }
    sciprune_parser_free(p);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    printf("{\"records\": %llu, \"parsed\": %llu, \"with_errors\": %llu, \"text_bytes\": %llu, \"seconds\": %.4f}\n",
           recs, parsed, errs, text, s);
    return 0;
}
