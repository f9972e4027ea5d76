/*
 * gates.h - what other modules may use of gates/ (a narrow module-level header; gates_int.h
 * stays gates/' own): the gates' consumer of a record's one parse (lang_visit) and the writer
 * behind W/gates/, which the embed stage feeds from its own parse. Not part of the public API;
 * the language switch is public (sciprune_gates_langs, sciprune_gates_lang_on).
 */
#ifndef SCIPRUNE_GATES_H
#define SCIPRUNE_GATES_H

#include "../lang/lang_int.h"

/* The gates' consumer: a lang_visitor that fills *ctx->out with every gate of the record,
 * exactly what sciprune_gate_score_file() gives for the record's path and settings (a null
 * root: no tree, scores 0; a language without a grammar abstains "unsupported"). `ctx` and
 * what it points to are borrowed until the visit returns. */
typedef struct gates_visit_ctx {
    sciprune_gate_scores *out;          /* filled */
    const char *path;                   /* the record's path or NULL (host environments) */
    const sciprune_gates_settings *s;   /* js_envs; NULL: defaults */
} gates_visit_ctx;
lang_visitor gates_visitor(gates_visit_ctx *ctx);

/* ---- stage.c: the writer behind W/gates/, shared by the gates stage and the embed stage.
 * Per shard: begin, one add per line in line order (lang NULL for a rejected line), end
 * (writes the two .npy files, then <shard>.gates.json). finish() sums every shard's
 * .gates.json, in the order given, into summary.json. */
typedef struct gates_sink gates_sink;
sciprune_status gates_sink_open(gates_sink **out, const char *workdir,
                                const sciprune_gates_settings *s, sciprune_error *err);
/* 1 when the shard's files are complete and were made with the same settings (resume). */
int gates_sink_shard_complete(gates_sink *k, const char *name);
sciprune_status gates_sink_begin(gates_sink *k, const char *name, sciprune_error *err);
sciprune_status gates_sink_add(gates_sink *k, const char *lang, size_t len,
                               const sciprune_gate_scores *g, sciprune_error *err);
sciprune_status gates_sink_end(gates_sink *k, sciprune_error *err);
void gates_sink_abort(gates_sink *k);
sciprune_status gates_sink_finish(gates_sink *k, const char *const *names, size_t n,
                                  double seconds, sciprune_gates_info *info, sciprune_error *err);
void gates_sink_free(gates_sink *k);

#endif /* SCIPRUNE_GATES_H */
