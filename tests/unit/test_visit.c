/* test_visit.c - lang/'s one parse per record (lang_visit) and the gates' consumer on it
 * (gates/gates.h): consumers see one tree in order, the modes, error propagation, the consumer
 * giving exactly sciprune_gate_score()'s scores, and the public language switch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../gates/gates.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct seen {
    int calls;
    int order[4];
    int id;
    int *clock;
    TSNode root;          /* compared by identity only: the tree is gone after the visit */
    char type[32];        /* the root's type, read during the visit */
    int null_root;
    sciprune_guard_verdict guard; /* the parse guard's verdict handed over */
    sciprune_status fail; /* returned */
} seen;

static sciprune_status record(void *self, const char *lang, TSNode root,
                              sciprune_guard_verdict guard, const char *text, size_t len,
                              sciprune_error *err)
{
    seen *s = self;
    s->guard = guard;
    (void)lang;
    (void)text;
    (void)len;
    s->order[s->calls++] = (*s->clock)++;
    s->root = root;
    s->null_root = ts_node_is_null(root);
    snprintf(s->type, sizeof s->type, "%s", s->null_root ? "" : ts_node_type(root));
    if (s->fail) return sp_err(err, s->fail, NULL, -1, -1, "consumer %d failed", s->id);
    return SCIPRUNE_OK;
}

static void test_visit_one_tree_in_order(void **state)
{
    (void)state;
    sciprune_parser *p;
    assert_int_equal(sciprune_parser_new(&p, NULL), SCIPRUNE_OK);
    int clock = 0;
    seen a = {.id = 0, .clock = &clock}, b = {.id = 1, .clock = &clock};
    lang_visitor v[2] = {{record, &a}, {record, &b}};
    const char *src = "def f(x):\n    return x\n";
    assert_int_equal(lang_visit(p, "python", src, strlen(src), LANG_VISIT_PARSE, v, 2, NULL),
                     SCIPRUNE_OK);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 1);
    assert_int_equal(a.order[0], 0);
    assert_int_equal(b.order[0], 1);
    assert_false(a.null_root);
    assert_true(ts_node_eq(a.root, b.root)); /* the same tree, parsed once */
    assert_string_equal(a.type, "module");
    /* no parse asked: a null root */
    assert_int_equal(lang_visit(p, "python", src, strlen(src), LANG_VISIT_NO_PARSE, v, 1, NULL),
                     SCIPRUNE_OK);
    assert_true(a.null_root);
    /* no grammar: a null root, not an error, in both parse modes */
    assert_int_equal(lang_visit(p, "cobol", src, strlen(src), LANG_VISIT_PARSE, v, 1, NULL),
                     SCIPRUNE_OK);
    assert_true(a.null_root);
    assert_int_equal(lang_visit(p, NULL, src, strlen(src), LANG_VISIT_PARSE_OR_NULL, v, 1, NULL),
                     SCIPRUNE_OK);
    assert_true(a.null_root);
    sciprune_parser_free(p);
}

static void test_visit_stops_at_failing_consumer(void **state)
{
    (void)state;
    sciprune_parser *p;
    assert_int_equal(sciprune_parser_new(&p, NULL), SCIPRUNE_OK);
    int clock = 0;
    seen a = {.id = 0, .clock = &clock, .fail = SCIPRUNE_ENOMEM}, b = {.id = 1, .clock = &clock};
    lang_visitor v[2] = {{record, &a}, {record, &b}};
    sciprune_error e;
    assert_int_equal(lang_visit(p, "python", "x = 1\n", 6, LANG_VISIT_PARSE, v, 2, &e),
                     SCIPRUNE_ENOMEM);
    assert_string_equal(e.text, "consumer 0 failed");
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 0);
    sciprune_parser_free(p);
}

static void check_same_as_gate_score(sciprune_parser *p, const char *lang, const char *src)
{
    sciprune_gate_scores want, got;
    memset(&got, 0x5a, sizeof got); /* the consumer must fill every field */
    assert_int_equal(sciprune_gate_score(p, lang, src, strlen(src), &want, NULL), SCIPRUNE_OK);
    gates_visit_ctx c = {&got, NULL, NULL};
    lang_visitor v = gates_visitor(&c);
    assert_int_equal(lang_visit(p, lang, src, strlen(src), LANG_VISIT_PARSE, &v, 1, NULL),
                     SCIPRUNE_OK);
    assert_int_equal(got.parse_errors, want.parse_errors);
    assert_int_equal(got.error_nodes, want.error_nodes);
    assert_int_equal(got.missing_nodes, want.missing_nodes);
    assert_true(got.parse_error_share == want.parse_error_share);
    assert_int_equal(got.undefined_names, want.undefined_names);
    assert_int_equal(got.undefined_abstained, want.undefined_abstained);
    assert_string_equal(got.abstain_reason, want.abstain_reason);
    assert_string_equal(got.names, want.names);
}

static void test_gates_visitor_matches_gate_score(void **state)
{
    (void)state;
    sciprune_parser *p;
    assert_int_equal(sciprune_parser_new(&p, NULL), SCIPRUNE_OK);
    check_same_as_gate_score(p, "python", "import os\nprint(os.path.join('a', 'b'))\n");
    check_same_as_gate_score(p, "python", "def f(x)\n    return y + x\n");
    check_same_as_gate_score(p, "python", "print(undefined_thing + other)\n");
    check_same_as_gate_score(p, "javascript", "const a = 1;\nconsole.log(a + b);\n");
    check_same_as_gate_score(p, "cobol", "MOVE A TO B.\n");
    check_same_as_gate_score(p, "python", "");
    /* the values themselves: one undefined name, a parse error */
    sciprune_gate_scores g;
    gates_visit_ctx gc = {&g, NULL, NULL};
    lang_visitor v = gates_visitor(&gc);
    const char *u = "print(zz_undefined)\n";
    assert_int_equal(lang_visit(p, "python", u, strlen(u), LANG_VISIT_PARSE, &v, 1, NULL), 0);
    assert_int_equal(g.undefined_names, 1);
    assert_string_equal(g.names, "zz_undefined");
    const char *b = "def f(:\n";
    assert_int_equal(lang_visit(p, "python", b, strlen(b), LANG_VISIT_PARSE, &v, 1, NULL), 0);
    assert_true(g.parse_errors > 0);
    /* no tree (the embedder's blank text): zeros, no abstention; no grammar: "unsupported" */
    assert_int_equal(lang_visit(p, "python", u, strlen(u), LANG_VISIT_NO_PARSE, &v, 1, NULL), 0);
    assert_int_equal(g.parse_errors, 0);
    assert_int_equal(g.undefined_names, 0);
    assert_int_equal(g.undefined_abstained, 0);
    assert_string_equal(g.abstain_reason, "");
    assert_int_equal(lang_visit(p, "cobol", u, strlen(u), LANG_VISIT_NO_PARSE, &v, 1, NULL), 0);
    assert_int_equal(g.undefined_abstained, 1);
    assert_string_equal(g.abstain_reason, "unsupported");
    sciprune_parser_free(p);
}

static void test_gates_lang_switch_public(void **state)
{
    (void)state;
    assert_string_equal(sciprune_gates_langs(NULL, SCIPRUNE_GATE_PARSE_ERROR),
                        SCIPRUNE_GATES_PARSE_ERROR_LANGS);
    assert_string_equal(sciprune_gates_langs(NULL, SCIPRUNE_GATE_UNDEFINED_NAME),
                        SCIPRUNE_GATES_UNDEFINED_NAME_LANGS);
    assert_true(sciprune_gates_lang_on(NULL, SCIPRUNE_GATE_PARSE_ERROR, "python"));
    assert_true(sciprune_gates_lang_on(NULL, SCIPRUNE_GATE_PARSE_ERROR, "c")); /* on since csyntax */
    assert_false(sciprune_gates_lang_on(NULL, SCIPRUNE_GATE_PARSE_ERROR, "java"));
    assert_false(sciprune_gates_lang_on(NULL, SCIPRUNE_GATE_PARSE_ERROR, NULL));
    sciprune_gates_settings s;
    sciprune_gates_settings_default(&s);
    s.parse_error_langs = "c, go";
    s.undefined_name_langs = "all";
    assert_string_equal(sciprune_gates_langs(&s, SCIPRUNE_GATE_PARSE_ERROR), "c, go");
    assert_true(sciprune_gates_lang_on(&s, SCIPRUNE_GATE_PARSE_ERROR, "go"));
    assert_true(sciprune_gates_lang_on(&s, SCIPRUNE_GATE_PARSE_ERROR, "c"));
    assert_false(sciprune_gates_lang_on(&s, SCIPRUNE_GATE_PARSE_ERROR, "python"));
    assert_true(sciprune_gates_lang_on(&s, SCIPRUNE_GATE_UNDEFINED_NAME, "rust"));
    s.parse_error_langs = ""; /* empty: the default */
    assert_string_equal(sciprune_gates_langs(&s, SCIPRUNE_GATE_PARSE_ERROR),
                        SCIPRUNE_GATES_PARSE_ERROR_LANGS);
    assert_string_equal(sciprune_gates_langs(&s, (sciprune_gate)7), "");
    assert_false(sciprune_gates_lang_on(&s, (sciprune_gate)7, "python"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_visit_one_tree_in_order),
        cmocka_unit_test(test_visit_stops_at_failing_consumer),
        cmocka_unit_test(test_gates_visitor_matches_gate_score),
        cmocka_unit_test(test_gates_lang_switch_public),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
