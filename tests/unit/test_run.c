/* test_run.c - run/: the typed job config (every bad key or value is refused with the config
 * named, before anything is written) and sciprune_workdir_status() on workdirs made by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sciprune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[256];

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/sciprune-test-run.XXXXXX");
    if (!mkdtemp(g_dir)) return -1;
    char p[512];
    snprintf(p, sizeof p, "%s/shard-0.jsonl", g_dir);
    write_text(p, "{\"id\":\"a\",\"content\":\"x = 1\\n\",\"lang\":\"python\"}\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd);
}

/* Run a config whose body follows {"inputs": [...], "workdir": "w", ...; expect `code`, the
 * config named in err.source, `needle` in err.text and no workdir created. */
static void expect_refused(const char *rest, sciprune_status code, const char *needle)
{
    char cfg[512], text[2048], wd[512];
    snprintf(cfg, sizeof cfg, "%s/job.json", g_dir);
    snprintf(text, sizeof text, "{\"inputs\": [\"shard-*.jsonl\"], \"workdir\": \"w\"%s}", rest);
    write_text(cfg, text);
    sciprune_error e;
    memset(&e, 0, sizeof e);
    sciprune_status st = sciprune_run(cfg, NULL, &e);
    if (st != code || !strstr(e.text, needle))
        fail_msg("config %s: got %d \"%s\", want %d with \"%s\"", text, st, e.text, code, needle);
    assert_string_equal(e.source, cfg);
    snprintf(wd, sizeof wd, "%s/w", g_dir);
    struct stat sb;
    assert_int_not_equal(stat(wd, &sb), 0); /* refused before the workdir is made */
}

static void test_config_refuses_bad_keys_and_values(void **state)
{
    (void)state;
    expect_refused(", \"bogus\": 1", SCIPRUNE_EINVAL, "unknown key \"bogus\"");
    expect_refused(", \"score\": {\"metric\": [\"size\"]}", SCIPRUNE_EINVAL, "unknown key \"metric\" in \"score\"");
    expect_refused(", \"score\": {\"metrics\": [\"size\", \"size\"]}", SCIPRUNE_EINVAL, "given twice");
    expect_refused(", \"score\": {\"metrics\": [\"nope\"]}", SCIPRUNE_EINVAL, "unknown metric");
    expect_refused(", \"score\": {\"metrics\": []}", SCIPRUNE_EINVAL, "non-empty");
    expect_refused(", \"score\": {\"ratios\": [0.2, 1.5]}", SCIPRUNE_EINVAL, "[0, 1]");
    expect_refused(", \"score\": {\"alphas\": [0.2, 0.2]}", SCIPRUNE_EINVAL, "given twice");
    expect_refused(", \"score\": {\"ratios\": \"0.2\"}", SCIPRUNE_EINVAL, "list of numbers");
    expect_refused(", \"index\": {\"k\": \"eight\"}", SCIPRUNE_EINVAL, "index.k must be a number");
    expect_refused(", \"prune\": {\"fsync\": 1}", SCIPRUNE_EINVAL, "prune.fsync must be true or false");
    expect_refused(", \"embed\": {\"dtype\": \"int8\"}", SCIPRUNE_EINVAL, "embed.dtype");
    expect_refused(", \"gates\": {\"parse_error_langs\": [\"klingon\"]}", SCIPRUNE_EINVAL, "klingon");
    expect_refused(", \"score\": {\"metrics\": [\"gate+distance\"]}, \"gates\": {\"enabled\": false}",
                   SCIPRUNE_EINVAL, "needs the gates");
    expect_refused(", \"score\": {\"metrics\": [\"auto\"]}, \"gates\": {\"enabled\": false}",
                   SCIPRUNE_EINVAL, "needs the gates");
    expect_refused(", \"analyze\": {}", SCIPRUNE_EINVAL, "analyze needs corrupted variants");
    expect_refused(", \"corrupt\": {}, \"analyze\": {\"gate_budget_share\": 2}", SCIPRUNE_EINVAL,
                   "gate_budget_share");
    expect_refused(", \"corrupt\": {}, \"analyze\": {\"ratios\": [0.1, 0.1]}", SCIPRUNE_EINVAL, "given twice");
    expect_refused(", \"analyze\": {\"enabled\": \"yes\"}", SCIPRUNE_EINVAL, "analyze.enabled must be true or false");
    /* inputs matching nothing, and a config that is not JSON */
    char cfg[512];
    snprintf(cfg, sizeof cfg, "%s/job.json", g_dir);
    write_text(cfg, "{\"inputs\": [\"none-*.jsonl\"], \"workdir\": \"w\"}");
    sciprune_error e;
    assert_int_equal(sciprune_run(cfg, NULL, &e), SCIPRUNE_EINVAL);
    assert_non_null(strstr(e.text, "matches no file"));
    write_text(cfg, "{\"inputs\": [");
    assert_int_equal(sciprune_run(cfg, NULL, &e), SCIPRUNE_EPARSE);
    assert_string_equal(e.source, cfg);
}

/* Every class of bad value, each refused before anything is written with an error that names
 * the key (issue 13 item 6: "k": -3 was refused only after embedding, "fsync": "yes" and a
 * non-string text_field were ignored). */
static void test_config_names_the_key_of_each_bad_value(void **state)
{
    (void)state;
    static const struct { const char *rest; const char *key; } cases[] = {
        /* the two: a bad range refused late, a string for a boolean */
        {", \"index\": {\"k\": -3}", "index.k"},
        {", \"prune\": {\"fsync\": \"yes\"}", "prune.fsync"},
        /* unknown keys, at every level, named with their path */
        {", \"inputz\": []", "inputz"},
        {", \"prune\": {\"fsynk\": true}", "prune.fsynk"},
        {", \"analyze\": {\"ratio\": 0.2, \"weight\": \"x=1\"}", "analyze.weight"},
        /* sections must be objects */
        {", \"index\": [8]", "\"index\" must be an object"},
        /* booleans are JSON booleans, nothing else */
        {", \"prune\": {\"fsync\": \"yes\"}", "prune.fsync"},
        {", \"prune\": {\"write_removed\": 0}", "prune.write_removed"},
        {", \"embed\": {\"idf\": \"true\"}", "embed.idf"},
        {", \"embed\": {\"drop_structure_on_error\": null}", "embed.drop_structure_on_error"},
        {", \"gates\": {\"enabled\": 1}", "gates.enabled"},
        {", \"corrupt\": {\"enabled\": \"no\"}", "corrupt.enabled"},
        /* integers: type, integral, range */
        {", \"index\": {\"k\": -3}", "index.k"},
        {", \"index\": {\"k\": 0}", "index.k"},
        {", \"index\": {\"k\": 2.5}", "index.k"},
        {", \"index\": {\"k\": 1e30}", "index.k"},
        {", \"index\": {\"niter\": 0}", "index.niter"},
        {", \"index\": {\"nredo\": -1}", "index.nredo"},
        {", \"index\": {\"max_points_per_centroid\": 0}", "index.max_points_per_centroid"},
        {", \"index\": {\"seed\": -1}", "index.seed"},
        {", \"threads\": -2", "threads"},
        {", \"threads\": \"2\"", "threads"},
        {", \"progress_interval_s\": -1", "progress_interval_s"},
        {", \"progress_interval_s\": \"30\"", "progress_interval_s"},
        {", \"embed\": {\"dim\": 0}", "embed.dim"},
        {", \"embed\": {\"dim\": 32}", "embed.dim"},
        {", \"embed\": {\"seed\": 1.5}", "embed.seed"},
        {", \"shard\": {\"max_line_bytes\": 4}", "shard.max_line_bytes"},
        {", \"prune\": {\"zstd_level\": 40}", "prune.zstd_level"},
        {", \"score\": {\"seed\": \"x\"}", "score.seed"},
        {", \"corrupt\": {\"per_type\": 0}", "corrupt.per_type"},
        {", \"corrupt\": {\"max_tries\": -5}", "corrupt.max_tries"},
        {", \"corrupt\": {\"strata\": 0}", "corrupt.strata"},
        {", \"corrupt\": {\"strata\": 65}", "corrupt.strata"},
        /* numbers and ratios in range */
        {", \"score\": {\"ratios\": [0.2, -0.1]}", "score.ratios[1]"},
        {", \"score\": {\"alphas\": [2]}", "score.alphas[0]"},
        {", \"score\": {\"ratios\": [0.2, 0.2]}", "score.ratios"},
        {", \"corrupt\": {}, \"analyze\": {\"ratio\": 1.5}", "analyze.ratio"},
        {", \"corrupt\": {}, \"analyze\": {\"alphas\": [\"a\"]}", "analyze.alphas[0]"},
        {", \"corrupt\": {}, \"analyze\": {\"gate_budget_share\": -1}", "analyze.gate_budget_share"},
        /* strings: type and emptiness */
        {", \"shard\": {\"text_field\": 5}", "shard.text_field"},
        {", \"shard\": {\"id_field\": \"\"}", "shard.id_field"},
        {", \"shard\": {\"default_lang\": []}", "shard.default_lang"},
        {", \"embed\": {\"features\": [\"all\"]}", "embed.features"},
        {", \"inputs\": [\"shard-*.jsonl\", 3]", "inputs[1]"},
        {", \"gates\": {\"js_envs\": [\"\"]}", "gates.js_envs[0]"},
        {", \"corrupt\": {}, \"analyze\": {\"corrupted\": \"x\"}", "analyze.corrupted"},
        /* enums and names from their lists */
        {", \"embed\": {\"dtype\": \"int8\"}", "embed.dtype"},
        {", \"index\": {\"metric\": \"manhattan\"}", "index.metric"},
        {", \"embed\": {\"embedder\": \"magic\"}", "embed.embedder"},
        {", \"embed\": {\"features\": \"identifiers,colours\"}", "embed.features"},
        {", \"score\": {\"metrics\": [\"size\", \"sizes\"]}", "score.metrics"},
        {", \"gates\": {\"undefined_name_langs\": \"python,klingon\"}", "gates"},
        {", \"corrupt\": {\"types\": [\"drop-colon\", \"drop-everything\"]}", "corrupt"},
        {", \"corrupt\": {\"langs\": [\"klingon\"]}", "corrupt"},
        {", \"corrupt\": {}, \"analyze\": {\"weights\": \"syntax=-2\"}", "analyze.weights"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        expect_refused(cases[i].rest, SCIPRUNE_EINVAL, cases[i].key);
    /* the type-and-range pass runs before the workdir is resolved: a bad value deep in the
     * file is reported even when the workdir is missing too */
    char cfg[512];
    snprintf(cfg, sizeof cfg, "%s/job.json", g_dir);
    write_text(cfg, "{\"inputs\": [\"shard-*.jsonl\"], \"index\": {\"k\": -3}}");
    sciprune_error e;
    assert_int_equal(sciprune_run(cfg, NULL, &e), SCIPRUNE_EINVAL);
    assert_non_null(strstr(e.text, "index.k"));
}

static void test_workdir_status_reads_what_run_records(void **state)
{
    (void)state;
    char w[400], p[512];
    sciprune_workdir_info *info = (sciprune_workdir_info *)1;
    sciprune_error e;
    snprintf(w, sizeof w, "%s/ws", g_dir);
    assert_int_equal(sciprune_workdir_status(w, &info, &e), SCIPRUNE_EIO);
    assert_null(info);
    mkdir(w, 0777);
    snprintf(p, sizeof p, "%s/manifest.json", w);
    write_text(p, "{\"format\": \"sciprune-manifest\", \"version\": 1, \"inputs\": [{}, {}],"
                  " \"inputs_key\": \"0\", \"stages\": {\"embed\": {\"key\": \"k\", \"seconds\": 2.5,"
                  " \"peak_rss\": 1000000}, \"analyze\": {\"key\": \"k2\", \"seconds\": 1, \"peak_rss\": 5}}}");
    assert_int_equal(sciprune_workdir_status(w, &info, &e), SCIPRUNE_OK);
    assert_int_equal(info->n_inputs, 2);
    assert_int_equal(info->n_stages, 8);
    const char *order[] = {"embed", "gates", "index", "corrupt", "analyze", "decontam", "score", "prune"};
    for (size_t i = 0; i < 8; i++) assert_string_equal(info->stages[i].name, order[i]);
    assert_true(info->stages[0].done);
    assert_true(info->stages[0].seconds == 2.5);
    assert_true(info->stages[4].done);
    assert_false(info->stages[2].done);
    assert_true(info->stages[1].optional);
    assert_true(info->stages[5].optional); /* decontam */
    assert_false(info->stages[6].optional);
    assert_false(info->has_report);
    assert_false(info->has_analysis);
    sciprune_workdir_info_free(info);
    /* a report with an auto variant, an analysis with a recommendation */
    snprintf(p, sizeof p, "%s/report.json", w);
    write_text(p, "{\"corpus\": {\"records\": 10, \"accepted\": 9, \"rejected\": 1, \"k\": 3, \"d\": 8},"
                  " \"variants\": [{\"name\": \"auto-p0.20\", \"kept\": 7, \"pruned\": 2, \"rejected\": 1,"
                  " \"auto\": {\"resolved\": \"gate+distance\", \"why\": \"because\"}},"
                  " {\"name\": \"size-p0.20\", \"kept\": 7, \"pruned\": 2, \"rejected\": 1}]}");
    snprintf(p, sizeof p, "%s/analyze", w);
    mkdir(p, 0777);
    snprintf(p, sizeof p, "%s/analyze/report.json", w);
    write_text(p, "{\"recommendation\": {\"name\": \"gate+distance\", \"ratio\": 0.2, \"mean_recall\": 0.7,"
                  " \"random_mean_recall\": 0.2, \"text\": \"gate+distance at p=0.20\","
                  " \"held_out_advice\": {\"metric\": \"gate+learned\", \"text\": \"use gate+learned\"}}}");
    assert_int_equal(sciprune_workdir_status(w, &info, &e), SCIPRUNE_OK);
    assert_true(info->has_report);
    assert_int_equal(info->records, 10);
    assert_int_equal(info->n_variants, 2);
    assert_string_equal(info->variants[0].auto_resolved, "gate+distance");
    assert_string_equal(info->variants[1].auto_resolved, "");
    assert_string_equal(info->auto_why, "because");
    assert_true(info->has_analysis);
    assert_string_equal(info->recommendation, "gate+distance");
    assert_true(info->rec_mean_recall == 0.7);
    assert_string_equal(info->rec_advice, "use gate+learned");
    sciprune_workdir_info_free(info);
    sciprune_workdir_info_free(NULL);
    /* a damaged report is an error naming it */
    snprintf(p, sizeof p, "%s/report.json", w);
    write_text(p, "{\"corpus\": ");
    assert_int_equal(sciprune_workdir_status(w, &info, &e), SCIPRUNE_EPARSE);
    assert_non_null(strstr(e.source, "report.json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_refuses_bad_keys_and_values),
        cmocka_unit_test(test_config_names_the_key_of_each_bad_value),
        cmocka_unit_test(test_workdir_status_reads_what_run_records),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
