/* bench_guard.c - what the parse guard (lang/guard.c) protects against: parse one file with
 * libtree-sitter directly, without the guard (tree-sitter's API and the grammars are used
 * directly here, allowed in bench/ only), and print the time of the parse and of the tree's
 * deletion, and what the guard's scan says of the file.
 *   bench_guard LANG FILE [--scan-only]
 *   bench_guard --scan LANG FILE...   (verdict depth run top_run longest_line bytes file)
 * prints one JSON line {"lang", "bytes", "depth", "longest_line", "run", "top_run", "verdict",
 * "scan_s",
 * "parse_s", "delete_s", "has_error", "nodes_walked"}. A crash of libtree-sitter kills the
 * process (bench/guard_bench.py records the exit status). */
#include "sciprune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_python(void);
const TSLanguage *tree_sitter_javascript(void);
const TSLanguage *tree_sitter_typescript(void);
const TSLanguage *tree_sitter_c(void);
const TSLanguage *tree_sitter_cpp(void);
const TSLanguage *tree_sitter_java(void);
const TSLanguage *tree_sitter_go(void);
const TSLanguage *tree_sitter_rust(void);

static unsigned long long g_ops;
static void count_log(void *payload, TSLogType t, const char *msg)
{
    (void)payload;
    (void)msg;
    if (t == TSLogTypeParse) g_ops++;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* --scan LANG FILE...: the guard's verdict of each file, one line each, nothing parsed (the
 * false-positive count of bench/guard_bench.py on real code). */
static int scan_files(const char *lang, int n, char **files)
{
    for (int i = 0; i < n; i++) {
        FILE *f = fopen(files[i], "rb");
        if (!f) continue;
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *buf = malloc((size_t)len + 1);
        if (buf && fread(buf, 1, (size_t)len, f) == (size_t)len) {
            sciprune_guard_info gi;
            sciprune_guard_check(lang, buf, (size_t)len, &gi);
            printf("%s %u %u %u %llu %ld %s\n", sciprune_guard_verdict_name(gi.verdict), gi.depth,
                   gi.run, gi.top_run, (unsigned long long)gi.longest_line, len, files[i]);
        }
        free(buf);
        fclose(f);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "--scan")) return scan_files(argv[2], argc - 3, argv + 3);
    int scan_only = argc == 4 && !strcmp(argv[3], "--scan-only");
    if (argc != 3 && !scan_only) {
        fprintf(stderr, "usage: bench_guard LANG FILE [--scan-only]\n");
        return 2;
    }
    const char *lang = argv[1];
    const TSLanguage *g = !strcmp(lang, "python")       ? tree_sitter_python()
                          : !strcmp(lang, "javascript") ? tree_sitter_javascript()
                          : !strcmp(lang, "typescript") ? tree_sitter_typescript()
                          : !strcmp(lang, "c")          ? tree_sitter_c()
                          : !strcmp(lang, "cpp")        ? tree_sitter_cpp()
                          : !strcmp(lang, "java")       ? tree_sitter_java()
                          : !strcmp(lang, "go")         ? tree_sitter_go()
                          : !strcmp(lang, "rust")       ? tree_sitter_rust()
                                                        : NULL;
    if (!g) {
        fprintf(stderr, "bench_guard: no grammar for %s\n", lang);
        return 2;
    }
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "bench_guard: cannot read %s\n", argv[2]);
        return 1;
    }
    fclose(f);
    double t0 = now();
    sciprune_guard_info gi;
    sciprune_guard_check(lang, buf, (size_t)n, &gi);
    double t1 = now();
    printf("{\"lang\": \"%s\", \"bytes\": %ld, \"depth\": %u, \"longest_line\": %llu, "
           "\"run\": %u, \"top_run\": %u, \"verdict\": \"%s\", \"scan_s\": %.6f",
           lang, n, gi.depth, (unsigned long long)gi.longest_line, gi.run, gi.top_run,
           sciprune_guard_verdict_name(gi.verdict), t1 - t0);
    if (scan_only) {
        printf("}\n");
        free(buf);
        return 0;
    }
    printf(", ");
    fflush(stdout);
    TSParser *p = ts_parser_new();
    ts_parser_set_language(p, g);
    if (getenv("BENCH_GUARD_LOGGER")) ts_parser_set_logger(p, (TSLogger){NULL, count_log});
    t0 = now();
    TSTree *t = ts_parser_parse_string(p, NULL, buf, (uint32_t)n);
    t1 = now();
    int has_error = ts_node_has_error(ts_tree_root_node(t));
    /* walk the whole tree once (what the embedder and the gates do) */
    uint64_t nodes = 0;
    TSTreeCursor c = ts_tree_cursor_new(ts_tree_root_node(t));
    for (;;) {
        nodes++;
        if (ts_tree_cursor_goto_first_child(&c)) continue;
        while (!ts_tree_cursor_goto_next_sibling(&c))
            if (!ts_tree_cursor_goto_parent(&c)) goto walked;
    }
walked:
    ts_tree_cursor_delete(&c);
    double t2 = now();
    ts_tree_delete(t);
    double t3 = now();
    printf("\"parse_s\": %.6f, \"walk_s\": %.6f, \"delete_s\": %.6f, \"has_error\": %d, "
           "\"nodes_walked\": %llu, \"parse_ops\": %llu}\n",
           t1 - t0, t2 - t1, t3 - t2, has_error, (unsigned long long)nodes, g_ops);
    ts_parser_delete(p);
    free(buf);
    return 0;
}
