/*
 * visit.c - the gates seen from other modules: their consumer of a record's one parse
 * (gates.h, lang_visit) and the public language switch (sciprune_gates_langs / _lang_on).
 */
#include "gates_int.h"

#include <string.h>

_Static_assert((int)SCIPRUNE_GATE_PARSE_ERROR == (int)GATES_PARSE_ERROR &&
                   (int)SCIPRUNE_GATE_UNDEFINED_NAME == (int)GATES_UNDEFINED_NAME &&
                   SCIPRUNE_GATE_COUNT == GATES_COUNT,
               "public and internal gate numbers agree");

static sciprune_status visit(void *self, const char *lang, TSNode root,
                             sciprune_guard_verdict guard, const char *text, size_t len,
                             sciprune_error *err)
{
    const gates_visit_ctx *c = self;
    sciprune_gate_scores *out = c->out;
    memset(out, 0, sizeof *out);
    out->abstain_reason = "";
    out->indent_error = "";
    out->syntax_reason = "";
    if (!lang || !lang_grammar(lang)) {
        gates_scores_unsupported(out);
        return SCIPRUNE_OK;
    }
    if (guard != SCIPRUNE_GUARD_OK) { /* not parsed: not judged (every score 0, abstained) */
        out->guard = guard;
        out->undefined_abstained = 1;
        out->abstain_reason = sciprune_guard_verdict_name(guard);
        return SCIPRUNE_OK;
    }
    if (ts_node_is_null(root)) return SCIPRUNE_OK; /* not parsed (blank, or the parse failed) */
    return gates_score_tree_file(lang, c->path, c->s, root, text, len, out, err);
}

lang_visitor gates_visitor(gates_visit_ctx *ctx)
{
    return (lang_visitor){visit, ctx};
}

const char *sciprune_gates_langs(const sciprune_gates_settings *s, sciprune_gate gate)
{
    if ((unsigned)gate >= SCIPRUNE_GATE_COUNT) return "";
    if (!s) {
        sciprune_gates_settings d;
        sciprune_gates_settings_default(&d);
        return gates_langs_of(&d, (int)gate); /* the static default */
    }
    return gates_langs_of(s, (int)gate);
}

int sciprune_gates_lang_on(const sciprune_gates_settings *s, sciprune_gate gate, const char *lang)
{
    if ((unsigned)gate >= SCIPRUNE_GATE_COUNT || !lang) return 0;
    return gates_lang_on(sciprune_gates_langs(s, gate), lang);
}
