/* cmd_index.c - `sciprune index --workdir W`: k-means over W/embed, then assign every record. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    printf("usage: sciprune index --workdir W [options] [--in SHARD...]\n\n"
           "Train FAISS k-means on a hash sample of W/embed/<shard>.npy and assign every record to\n"
           "its nearest centroid. Writes W/index/{centroids.npy,kmeans.faiss,train.json,\n"
           "clusters.json} and W/assign/<shard>.{cluster,dist}.npy.\n"
           "Shards: --in paths, else W/embed/shards.json, else W/embed/*.jsonl[.zst].npy.\n\n"
           "options:\n"
           "  --workdir W          work folder (required)\n"
           "  --in SHARD...        input shards, in order (also as trailing arguments)\n"
           "  --k N                clusters (default 100; lowered on small inputs)\n"
           "  --niter N            k-means iterations (default 20)\n"
           "  --nredo N            k-means restarts, best kept (default 1)\n"
           "  --seed S             sample and k-means seed (default 1234)\n"
           "  --metric cosine|l2   spherical k-means on normalised vectors (default) or L2\n"
           "  --max-points-per-centroid N   sample size cap per centroid (default 256)\n"
           "  --threads N          threads (default: the CPUs this process may use)\n"
           "  --train-only         stop after training\n"
           "  --assign-only        only assign, with the existing index\n"
           "  -v, --verbose        log progress\n");
}

int cmd_index(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"workdir", required_argument, 0, 'w'}, {"in", required_argument, 0, 'i'},
        {"k", required_argument, 0, 'k'},       {"niter", required_argument, 0, 'n'},
        {"nredo", required_argument, 0, 'r'},   {"seed", required_argument, 0, 's'},
        {"metric", required_argument, 0, 'm'},  {"max-points-per-centroid", required_argument, 0, 'M'},
        {"threads", required_argument, 0, 't'}, {"train-only", no_argument, 0, 'T'},
        {"assign-only", no_argument, 0, 'A'},   {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    sciprune_index_settings s;
    sciprune_index_settings_default(&s);
    const char *workdir = NULL;
    char **ins = calloc((size_t)argc + 1, sizeof *ins);
    int nin = 0, train = 1, assign = 1, verbose = 0, c;
    long v;
    sciprune_error e;
    if (!ins) return CLI_FAIL;
    optind = 0;
#define BAD(...) do { free(ins); return cli_usage_error("index", __VA_ARGS__); } while (0)
    while ((c = getopt_long(argc, argv, "hvw:i:", longopts, NULL)) != -1) {
        switch (c) {
        case 'w': workdir = optarg; break;
        case 'i': ins[nin++] = optarg; break;
        case 'k': if (cli_parse_int(optarg, 1, 1 << 20, &v)) BAD("bad --k '%s'", optarg); s.k = (int)v; break;
        case 'n': if (cli_parse_int(optarg, 1, 100000, &v)) BAD("bad --niter '%s'", optarg); s.niter = (int)v; break;
        case 'r': if (cli_parse_int(optarg, 1, 1000, &v)) BAD("bad --nredo '%s'", optarg); s.nredo = (int)v; break;
        case 's': {
            char *end;
            s.seed = strtoull(optarg, &end, 10);
            if (end == optarg || *end) BAD("bad --seed '%s'", optarg);
            break;
        }
        case 'm': if (sciprune_space_parse(optarg, &s.space, &e)) BAD("%s", e.text); break;
        case 'M': if (cli_parse_int(optarg, 1, 1 << 24, &v)) BAD("bad --max-points-per-centroid '%s'", optarg); s.max_points_per_centroid = (int)v; break;
        case 't': if (cli_parse_int(optarg, 0, 4096, &v)) BAD("bad --threads '%s'", optarg); s.threads = (int)v; break;
        case 'T': assign = 0; break;
        case 'A': train = 0; break;
        case 'v': verbose = 1; break;
        case 'h': help(); free(ins); return CLI_OK;
        default: BAD("bad option");
        }
    }
    for (int i = optind; i < argc; i++) ins[nin++] = argv[i];
    if (!workdir) BAD("--workdir is required");
    if (!train && !assign) BAD("--train-only and --assign-only exclude each other");
#undef BAD
    sciprune_shard_set *sh = NULL;
    int rc = cli_stage_start(&sh, workdir, "index", verbose, ins, nin);
    if (rc) return rc;
    sciprune_index_info info;
    if (train) {
        if (sciprune_index_train(workdir, sh, &s, &info, &e)) {
            cli_error("index training failed", &e);
            sciprune_shard_set_free(sh);
            return CLI_FAIL;
        }
        fprintf(stderr, "index: k=%d (asked %d), d=%d, %llu accepted of %llu records, sample %llu, "
                "%.2fs\n", info.k, info.k_requested, info.d, (unsigned long long)info.n_accepted,
                (unsigned long long)info.n_records, (unsigned long long)info.n_sample, info.seconds);
    }
    if (assign) {
        if (sciprune_index_assign_shards(workdir, sh, &s, &info, &e)) {
            cli_error("assignment failed", &e);
            sciprune_shard_set_free(sh);
            return CLI_FAIL;
        }
        fprintf(stderr, "assign: %zu shards, %llu records (%llu accepted) to %d clusters, %.2fs\n",
                sh->n, (unsigned long long)info.n_records, (unsigned long long)info.n_accepted,
                info.k, info.seconds);
    }
    sciprune_shard_set_free(sh);
    return CLI_OK;
}
