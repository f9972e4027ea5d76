/*
 * fuzz_gates.c - property: the quality gates (gates/, through lang/ and tree-sitter) score any
 * source without a memory error and with consistent counts. Input: byte 0 picks the language
 * (% 3: python, javascript, c), byte 1 the record's path (% 4: none, a plain file name, a
 * Python host file SConstruct, a browser extension's background.js), the rest is the source,
 * capped at 32 KiB: libtree-sitter 0.20.7 aborts on nesting >= 65535, which the nesting guard
 * (#13) handles, not this target. Checked: python and javascript count parse_errors as
 * ERROR + MISSING + indentation + early errors; the error share lies in [0, 1]; an abstained
 * undefined_name gate counts no names and says why; the names list is NUL-terminated.
 */
#include "fuzz_util.h"

#include "sciprune.h"

#define MAX_SOURCE (32 << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sciprune_parser *parser;
    static const char *const langs[] = {"python", "javascript", "c"};
    static const char *const paths[] = {NULL, "src/x.txt", "SConstruct", "ext/background.js"};
    if (size < 2 || size - 2 > MAX_SOURCE) return 0;
    sciprune_error err;
    if (!parser && sciprune_parser_new(&parser, &err) != SCIPRUNE_OK) abort();
    const char *lang = langs[data[0] % 3];
    const char *path = paths[data[1] % 4];
    sciprune_gate_scores g;
    sciprune_status st = sciprune_gate_score_file(parser, lang, path, (const char *)data + 2,
                                                  size - 2, NULL, &g, &err);
    if (st != SCIPRUNE_OK) {
        FUZZ_CHECK(err.code == st && err.text[0]);
        return 0;
    }
    if (data[0] % 3 != 2)
        FUZZ_CHECK(g.parse_errors ==
                   g.error_nodes + g.missing_nodes + g.indent_errors + g.early_errors);
    FUZZ_CHECK(g.parse_error_share >= 0 && g.parse_error_share <= 1);
    FUZZ_CHECK(memchr(g.names, '\0', sizeof g.names) != NULL);
    FUZZ_CHECK(g.indent_error && g.abstain_reason);
    FUZZ_CHECK(!g.indent_errors == !g.indent_line);
    if (g.undefined_abstained) FUZZ_CHECK(g.undefined_names == 0 && g.abstain_reason[0]);
    return 0;
}
