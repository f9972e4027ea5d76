/*
 * gates.c - per-record quality gates (one parse per file) and their settings: which
 * languages each gate judges. The stage and the files of W/gates/ are in stage.c.
 */
#include "gates_int.h"
#include "jsenv.h"
#include "../shard/sp_npy.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

sciprune_status gates_score_tree(const char *lang, TSNode root, const char *text, size_t len,
                                 sciprune_gate_scores *out, sciprune_error *err)
{
    return gates_score_tree_file(lang, NULL, NULL, root, text, len, out, err);
}

sciprune_status gates_score_tree_file(const char *lang, const char *path,
                                      const sciprune_gates_settings *s, TSNode root,
                                      const char *text, size_t len, sciprune_gate_scores *out,
                                      sciprune_error *err)
{
    sciprune_parse_stats ps;
    lang_count_errors(lang, root, text, len, &ps);
    out->error_nodes = ps.error_nodes;
    out->missing_nodes = ps.missing_nodes;
    out->indent_errors = ps.indent_errors;
    out->indent_line = ps.indent_line;
    out->indent_error = ps.indent_error;
    out->early_errors = ps.early_errors;
    out->early_line = ps.early_line;
    out->parse_errors = lang_error_count(&ps);
    out->parse_error_share = len ? (double)ps.error_bytes / (double)len : 0.0;
    if (out->parse_error_share > 1.0) out->parse_error_share = 1.0;
    out->syntax_reason = "";
    if (!strcmp(lang, "c") || !strcmp(lang, "cpp")) {
        /* tree-sitter has no preprocessor: its errors on C are mostly macros (csyntax.c) */
        gates_csyntax cs;
        gates_csyntax_lex(text, len, lang[1] == 'p', &cs);
        gates_csyntax_tree(root, text, len, lang[1] == 'p', &cs);
        out->parse_errors = gates_csyntax_total(&cs);
        out->syntax_reason = cs.reason;
        out->syntax_offset = cs.offset;
        out->syntax_suspects = cs.tree;
    }
    return gates_undefined(lang, path, s ? s->js_envs : NULL, root, text, len, out, err);
}

void gates_scores_unsupported(sciprune_gate_scores *out)
{
    memset(out, 0, sizeof *out);
    out->indent_error = "";
    out->syntax_reason = "";
    out->undefined_abstained = 1;
    out->abstain_reason = "unsupported";
}

sciprune_status sciprune_gate_score(sciprune_parser *parser, const char *lang, const char *text,
                                    size_t len, sciprune_gate_scores *out, sciprune_error *err)
{
    return sciprune_gate_score_file(parser, lang, NULL, text, len, NULL, out, err);
}

sciprune_status sciprune_gate_score_file(sciprune_parser *parser, const char *lang,
                                         const char *path, const char *text, size_t len,
                                         const sciprune_gates_settings *s,
                                         sciprune_gate_scores *out, sciprune_error *err)
{
    memset(out, 0, sizeof *out);
    out->abstain_reason = "";
    out->syntax_reason = "";
    out->indent_error = "";
    gates_visit_ctx c = {out, path, s};
    lang_visitor v = gates_visitor(&c); /* the one consumer, as in the embed stage */
    return lang_visit(parser, lang, text, len, LANG_VISIT_PARSE, &v, 1, err);
}

void sciprune_gates_settings_default(sciprune_gates_settings *s)
{
    memset(s, 0, sizeof *s);
    s->threads = 0;
    sciprune_shard_options_default(&s->shard);
    s->parse_error_langs = NULL;
    s->undefined_name_langs = NULL;
    s->js_envs = NULL;
}

const char *gates_langs_of(const sciprune_gates_settings *s, int gate)
{
    const char *l = gate == GATES_PARSE_ERROR ? s->parse_error_langs : s->undefined_name_langs;
    if (l && *l) return l;
    return gate == GATES_PARSE_ERROR ? SCIPRUNE_GATES_PARSE_ERROR_LANGS
                                    : SCIPRUNE_GATES_UNDEFINED_NAME_LANGS;
}

int gates_lang_default_on(int gate, const char *lang)
{
    return gates_lang_on(gate == GATES_PARSE_ERROR ? SCIPRUNE_GATES_PARSE_ERROR_LANGS
                                                   : SCIPRUNE_GATES_UNDEFINED_NAME_LANGS,
                         lang);
}

int gates_list_next(const char **p, const char **tok, size_t *len)
{
    if (!*p || !**p) return 0;
    const char *t = *p, *e = strchr(t, ',');
    size_t l = e ? (size_t)(e - t) : strlen(t);
    *p = e ? e + 1 : t + l;
    while (l && *t == ' ') t++, l--;
    while (l && t[l - 1] == ' ') l--;
    *tok = t;
    *len = l;
    return 1;
}

int gates_lang_on(const char *list, const char *lang)
{
    if (!lang) return 0;
    if (!strcmp(list, "all")) return 1;
    size_t n = strlen(lang), l;
    const char *t;
    for (const char *p = list; gates_list_next(&p, &t, &l);)
        if (l == n && !memcmp(t, lang, n)) return 1;
    return 0;
}

sciprune_status sciprune_gates_settings_check(const sciprune_gates_settings *s,
                                              sciprune_error *err)
{
    for (int g = 0; g < GATES_COUNT; g++) {
        const char *list = gates_langs_of(s, g), *t;
        if (!strcmp(list, "all")) continue;
        size_t l;
        for (const char *p = list; gates_list_next(&p, &t, &l);) {
            char name[64];
            if (l >= sizeof name) l = sizeof name - 1;
            memcpy(name, t, l);
            name[l] = '\0';
            const char *c = sciprune_lang_canonical(name);
            if (!l || !c || strcmp(c, name) != 0 || !sciprune_lang_has_grammar(c))
                return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1,
                              "%s languages: \"%s\" is not a canonical language name with a "
                              "grammar (or use \"all\")",
                              g == GATES_PARSE_ERROR ? "parse_error" : "undefined_name", name);
        }
    }
    const char *t;
    size_t l;
    for (const char *p = s->js_envs; p && gates_list_next(&p, &t, &l);)
        if (!(l == 4 && !memcmp(t, "auto", 4)) && gates_js_env_index(t, l) < 0)
            return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1,
                          "js_envs: \"%.*s\" is not an environment of the npm package globals "
                          "(browser, node, commonjs, amd, worker, mocha, jquery, ...) or auto",
                          (int)l, t);
    return SCIPRUNE_OK;
}
