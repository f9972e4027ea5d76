/* bench_reader.c - read shards with the library reader (decompress + line split + JSON
 * validation + field extraction) and report records, bytes and time. One thread. */
#include "sciprune.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long long recs = 0, bad = 0, raw = 0, text = 0;
    for (int i = 1; i < argc; i++) {
        sciprune_shard_reader *r;
        sciprune_error e;
        if (sciprune_shard_reader_open(&r, argv[i], NULL, &e)) {
            fprintf(stderr, "bench_reader: %s: %s\n", e.source, e.text);
            return 1;
        }
        const sciprune_record *rec;
        while (sciprune_shard_reader_next(r, &rec, &e) == SCIPRUNE_OK && rec) {
            recs++;
            raw += rec->raw_len + 1;
            if (rec->reject) bad++;
            else text += rec->text_len;
        }
        sciprune_shard_reader_close(r);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    printf("{\"records\": %llu, \"rejected\": %llu, \"jsonl_bytes\": %llu, \"text_bytes\": %llu, \"seconds\": %.4f}\n",
           recs, bad, raw, text, s);
    return 0;
}
