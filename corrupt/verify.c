/*
 * verify.c - re-check corrupted shards (the format is laid out in run.c): undo each line's
 * edit, and check that the original parses cleanly and the variant validates for its kind.
 */
#include "corrupt_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void bad(sciprune_corrupt_verify_stats *st, const char *shard, int64_t line,
                const char *why)
{
    if (st->bad++ == 0)
        snprintf(st->first_bad, sizeof st->first_bad, "%s:%lld: %s", shard, (long long)line, why);
}

/* Check one record; returns a reason or NULL when it is good. */
static const char *check_one(sciprune_parser *p, const sciprune_record *rec, int *is_syntax,
                             sciprune_status *s, sciprune_error *err)
{
    json_error_t je;
    json_t *o = json_loadb(rec->raw, rec->raw_len, 0, &je);
    const char *why = NULL;
    char *orig = NULL;
    if (!o) return "not JSON";
    const char *kind = json_string_value(json_object_get(o, "kind"));
    const char *lang = json_string_value(json_object_get(o, "lang"));
    json_t *e = json_object_get(o, "edit");
    json_t *off = json_object_get(e, "offset");
    json_t *rem = json_object_get(e, "removed"), *ins = json_object_get(e, "inserted");
    if (!kind || (strcmp(kind, "syntax") && strcmp(kind, "content"))) {
        why = "no kind syntax|content";
        goto out;
    }
    *is_syntax = strcmp(kind, "syntax") == 0;
    if (!lang || !lang_grammar(lang)) {
        why = "no lang with a grammar";
        goto out;
    }
    if (!json_is_integer(off) || !json_is_string(rem) || !json_is_string(ins)) {
        why = "no edit {offset, removed, inserted}";
        goto out;
    }
    size_t o0 = (size_t)json_integer_value(off), il = json_string_length(ins);
    size_t rl = json_string_length(rem), tl = rec->text_len;
    if (json_integer_value(off) < 0 || o0 > tl || il > tl - o0 ||
        memcmp(rec->text + o0, json_string_value(ins), il) != 0) {
        why = "the edit does not match the content";
        goto out;
    }
    size_t ol = tl - il + rl;
    orig = malloc(ol + 1);
    if (!orig) {
        *s = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto out;
    }
    memcpy(orig, rec->text, o0);
    memcpy(orig + o0, json_string_value(rem), rl);
    memcpy(orig + o0 + rl, rec->text + o0 + il, tl - o0 - il);
    sciprune_parse_stats a, b;
    sciprune_guard_info ga, gb; /* a text the parse guard refuses is a bad line, not an error */
    sciprune_guard_check(lang, orig, ol, &ga);
    sciprune_guard_check(lang, rec->text, tl, &gb);
    if (ga.verdict != SCIPRUNE_GUARD_OK || gb.verdict != SCIPRUNE_GUARD_OK) {
        why = sciprune_guard_verdict_name(ga.verdict != SCIPRUNE_GUARD_OK ? ga.verdict : gb.verdict);
        goto out;
    }
    if ((*s = sciprune_parse_check(p, lang, orig, ol, &a, err)) != SCIPRUNE_OK) goto out;
    if ((*s = sciprune_parse_check(p, lang, rec->text, tl, &b, err)) != SCIPRUNE_OK) goto out;
    if (lang_error_count(&a)) why = "the original does not parse cleanly";
    else if (*is_syntax && lang_error_count(&b) == 0)
        why = "syntax variant parses cleanly";
    else if (!*is_syntax && lang_error_count(&b))
        why = "content variant has a parse error";
    else if (!*is_syntax && ol == tl && memcmp(orig, rec->text, tl) == 0)
        why = "content variant equals the original";
out:
    free(orig);
    json_decref(o);
    return why;
}

sciprune_status sciprune_corrupt_verify(const char *const *shards, size_t nshards,
                                        sciprune_corrupt_verify_stats *st, sciprune_error *err)
{
    memset(st, 0, sizeof *st);
    sciprune_parser *p = NULL;
    sciprune_status s = sciprune_parser_new(&p, err);
    if (s) return s;
    for (size_t i = 0; i < nshards && s == SCIPRUNE_OK; i++) {
        sciprune_shard_reader *rd = NULL;
        if ((s = sciprune_shard_reader_open(&rd, shards[i], NULL, err)) != SCIPRUNE_OK) break;
        const char *name = sciprune_shard_name(shards[i]);
        const sciprune_record *rec;
        while ((s = sciprune_shard_reader_next(rd, &rec, err)) == SCIPRUNE_OK && rec) {
            st->lines++;
            if (rec->reject != SCIPRUNE_REJECT_NONE) {
                bad(st, name, rec->line, sciprune_reject_name(rec->reject));
                continue;
            }
            int syn = 0;
            const char *why = check_one(p, rec, &syn, &s, err);
            if (s) break;
            if (why) bad(st, name, rec->line, why);
            else if (syn) st->syntax_ok++;
            else st->content_ok++;
        }
        sciprune_shard_reader_close(rd);
    }
    sciprune_parser_free(p);
    return s;
}
