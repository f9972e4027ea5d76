/*
 * query.c - compiled tree-sitter queries with client-side text predicates.
 *
 * libtree-sitter 0.20.7 parses `(#name? ...)` predicates but evaluates none of them: it hands
 * each pattern's predicate steps to the client (ts_query_predicates_for_pattern). Here they are
 * compiled once, in lang_query_new(), into a small table per pattern, and checked per match by
 * lang_query_match_ok(). The table is read-only afterwards, so one lang_query serves every
 * worker thread (each thread brings its own TSQueryCursor).
 */
#include "lang_int.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    QP_EQ,
    QP_MATCH,
    QP_ANY_OF,
    QP_TYPE,
    QP_HAS_ANCESTOR,
    QP_NEXT_ON_SAME_LINE
} qp_op;

typedef struct qpred {
    qp_op op;
    int negate;          /* the not- form */
    uint32_t capture;    /* the capture tested */
    int other_is_capture;/* #eq? @a @b */
    uint32_t other;      /* capture id of @b */
    const char **args;   /* nargs strings borrowed from the TSQuery; owned array */
    uint32_t nargs;
    regex_t re;          /* QP_MATCH only */
    int has_re;
} qpred;

typedef struct qprop {
    const char *key;     /* borrowed from the TSQuery */
    const char *value;   /* borrowed from the TSQuery, or "" */
} qprop;

typedef struct qpattern {
    qpred *preds;        /* npreds, owned */
    uint32_t npreds;
    qprop *props;        /* nprops, owned */
    uint32_t nprops;
} qpattern;

struct lang_query {
    TSQuery *ts;         /* owned; NULL for lang_query_new_steps */
    char **strings;      /* lang_query_new_steps: the string table, owned */
    uint32_t nstrings;
    qpattern *pats;      /* one per pattern, owned */
    uint32_t npats;
};

static const struct {
    const char *name;
    qp_op op;
    int negate;
    int min_args;        /* string/capture arguments after the tested capture */
} k_preds[] = {
    {"eq?", QP_EQ, 0, 1},
    {"not-eq?", QP_EQ, 1, 1},
    {"match?", QP_MATCH, 0, 1},
    {"not-match?", QP_MATCH, 1, 1},
    {"any-of?", QP_ANY_OF, 0, 1},
    {"not-any-of?", QP_ANY_OF, 1, 1},
    {"type?", QP_TYPE, 0, 1},
    {"not-type?", QP_TYPE, 1, 1},
    {"has-ancestor?", QP_HAS_ANCESTOR, 0, 1},
    {"not-has-ancestor?", QP_HAS_ANCESTOR, 1, 1},
    {"next-on-same-line?", QP_NEXT_ON_SAME_LINE, 0, 0},
    {"not-next-on-same-line?", QP_NEXT_ON_SAME_LINE, 1, 0},
};
#define NPREDS (sizeof k_preds / sizeof k_preds[0])

void lang_query_free(lang_query *q)
{
    if (!q) return;
    for (uint32_t i = 0; q->pats && i < q->npats; i++) {
        qpattern *p = &q->pats[i];
        for (uint32_t k = 0; k < p->npreds; k++) {
            free(p->preds[k].args);
            if (p->preds[k].has_re) regfree(&p->preds[k].re);
        }
        free(p->preds);
        free(p->props);
    }
    free(q->pats);
    if (q->ts) ts_query_delete(q->ts);
    for (uint32_t i = 0; i < q->nstrings; i++) free(q->strings[i]);
    free(q->strings);
    free(q);
}

const TSQuery *lang_query_ts(const lang_query *q) { return q->ts; }

/* 1-based line of byte `off` in src. */
static int64_t line_of(const char *src, size_t len, size_t off)
{
    int64_t line = 1;
    for (size_t i = 0; i < off && i < len; i++)
        if (src[i] == '\n') line++;
    return line;
}

static const char *query_error_name(TSQueryError e)
{
    switch (e) {
    case TSQueryErrorSyntax: return "syntax error";
    case TSQueryErrorNodeType: return "unknown node type";
    case TSQueryErrorField: return "unknown field";
    case TSQueryErrorCapture: return "unknown capture";
    case TSQueryErrorStructure: return "impossible pattern structure";
    case TSQueryErrorLanguage: return "language mismatch";
    default: return "error";
    }
}

/* String `id` of the query's predicates (TSQuery's, or the lang_query_new_steps table). */
static const char *qstr(const lang_query *q, uint32_t id)
{
    uint32_t n;
    if (q->ts) return ts_query_string_value_for_id(q->ts, id, &n);
    return id < q->nstrings ? q->strings[id] : "";
}

/* Compile the predicate steps st[0, nsteps) of pattern pi (at `line` of its source). */
static sciprune_status compile_pattern(lang_query *q, uint32_t pi, const TSQueryPredicateStep *st,
                                       uint32_t nsteps, int64_t line, const char *source,
                                       sciprune_error *err)
{
    qpattern *pat = &q->pats[pi];
    uint32_t i = 0;
    while (i < nsteps) {
        uint32_t j = i;
        while (j < nsteps && st[j].type != TSQueryPredicateStepTypeDone) j++;
        /* steps [i, j) form one predicate; st[i] is its name */
        if (j == i || st[i].type != TSQueryPredicateStepTypeString)
            return sp_err(err, SCIPRUNE_EPARSE, source, line, -1, "predicate without a name");
        const char *name = qstr(q, st[i].value_id);
        uint32_t argc = j - i - 1;
        const TSQueryPredicateStep *a = st + i + 1;
        if (strcmp(name, "set!") == 0) {
            uint32_t k = 0;
            if (argc > 0 && a[0].type == TSQueryPredicateStepTypeCapture) k = 1;
            if (argc - k < 1 || argc - k > 2 || a[k].type != TSQueryPredicateStepTypeString ||
                (argc - k == 2 && a[k + 1].type != TSQueryPredicateStepTypeString))
                return sp_err(err, SCIPRUNE_EPARSE, source, line, -1,
                              "#set! wants a key and an optional value");
            qprop *np = realloc(pat->props, (pat->nprops + 1) * sizeof *np);
            if (!np) return sp_err(err, SCIPRUNE_ENOMEM, source, -1, -1, "out of memory");
            pat->props = np;
            qprop *pr = &pat->props[pat->nprops++];
            pr->key = qstr(q, a[k].value_id);
            pr->value = argc - k == 2 ? qstr(q, a[k + 1].value_id) : "";
        } else {
            size_t d = 0;
            while (d < NPREDS && strcmp(name, k_preds[d].name) != 0) d++;
            if (d == NPREDS)
                return sp_err(err, SCIPRUNE_EPARSE, source, line, -1, "unknown predicate #%s", name);
            if (argc < 1 || a[0].type != TSQueryPredicateStepTypeCapture)
                return sp_err(err, SCIPRUNE_EPARSE, source, line, -1,
                              "#%s wants a capture as its first argument", name);
            if (argc - 1 < (uint32_t)k_preds[d].min_args ||
                (k_preds[d].min_args == 0 && argc > 1) ||
                ((k_preds[d].op == QP_EQ || k_preds[d].op == QP_MATCH) && argc != 2))
                return sp_err(err, SCIPRUNE_EPARSE, source, line, -1,
                              "#%s: wrong number of arguments", name);
            qpred *np = realloc(pat->preds, (pat->npreds + 1) * sizeof *np);
            if (!np) return sp_err(err, SCIPRUNE_ENOMEM, source, -1, -1, "out of memory");
            pat->preds = np;
            qpred *p = &pat->preds[pat->npreds];
            memset(p, 0, sizeof *p);
            p->op = k_preds[d].op;
            p->negate = k_preds[d].negate;
            p->capture = a[0].value_id;
            if (argc > 1) {
                p->args = calloc(argc - 1, sizeof *p->args);
                if (!p->args) return sp_err(err, SCIPRUNE_ENOMEM, source, -1, -1, "out of memory");
            }
            pat->npreds++; /* counted now so lang_query_free() releases args */
            for (uint32_t k = 1; k < argc; k++) {
                if (a[k].type == TSQueryPredicateStepTypeCapture) {
                    if (p->op != QP_EQ)
                        return sp_err(err, SCIPRUNE_EPARSE, source, line, -1,
                                      "#%s takes strings after its capture", name);
                    p->other_is_capture = 1;
                    p->other = a[k].value_id;
                } else {
                    p->args[p->nargs++] = qstr(q, a[k].value_id);
                }
            }
            if (p->op == QP_MATCH) {
                int rc = regcomp(&p->re, p->args[0], REG_EXTENDED | REG_NOSUB);
                if (rc != 0) {
                    char msg[128];
                    regerror(rc, &p->re, msg, sizeof msg);
                    return sp_err(err, SCIPRUNE_EPARSE, source, line, -1, "#%s: bad regex '%s': %s",
                                  name, p->args[0], msg);
                }
                p->has_re = 1;
            }
        }
        i = j + 1;
    }
    return SCIPRUNE_OK;
}

sciprune_status lang_query_new(lang_query **out, const char *lang, const char *src, size_t len,
                               const char *source, sciprune_error *err)
{
    *out = NULL;
    const TSLanguage *g = lang_grammar(lang);
    if (!g)
        return sp_err(err, SCIPRUNE_EINVAL, source, -1, -1, "no grammar for language '%s'",
                      lang ? lang : "(null)");
    if (len > UINT32_MAX) return sp_err(err, SCIPRUNE_EINVAL, source, -1, -1, "query too large");
    lang_query *q = calloc(1, sizeof *q);
    if (!q) return sp_err(err, SCIPRUNE_ENOMEM, source, -1, -1, "out of memory");
    sciprune_status s = SCIPRUNE_OK;
    uint32_t eoff = 0;
    TSQueryError etype = TSQueryErrorNone;
    q->ts = ts_query_new(g, src, (uint32_t)len, &eoff, &etype);
    if (!q->ts) {
        s = sp_err(err, SCIPRUNE_EPARSE, source, line_of(src, len, eoff), eoff,
                   "query %s near '%.20s'", query_error_name(etype), src + (eoff < len ? eoff : len));
        goto fail;
    }
    q->npats = ts_query_pattern_count(q->ts);
    q->pats = calloc(q->npats ? q->npats : 1, sizeof *q->pats);
    if (!q->pats) {
        s = sp_err(err, SCIPRUNE_ENOMEM, source, -1, -1, "out of memory");
        goto fail;
    }
    for (uint32_t i = 0; i < q->npats; i++) {
        uint32_t nsteps = 0;
        const TSQueryPredicateStep *st = ts_query_predicates_for_pattern(q->ts, i, &nsteps);
        int64_t line = line_of(src, len, ts_query_start_byte_for_pattern(q->ts, i));
        if ((s = compile_pattern(q, i, st, nsteps, line, source, err)) != SCIPRUNE_OK) goto fail;
    }
    *out = q;
    return SCIPRUNE_OK;
fail:
    lang_query_free(q);
    return s;
}

sciprune_status lang_query_new_steps(lang_query **out, uint32_t npats,
                                     const TSQueryPredicateStep *const *steps,
                                     const uint32_t *nsteps, const int64_t *lines,
                                     char **strings, uint32_t nstrings, const char *source,
                                     sciprune_error *err)
{
    *out = NULL;
    lang_query *q = calloc(1, sizeof *q);
    if (!q) {
        for (uint32_t i = 0; i < nstrings; i++) free(strings[i]);
        free(strings);
        return sp_err(err, SCIPRUNE_ENOMEM, source, -1, -1, "out of memory");
    }
    q->strings = strings;
    q->nstrings = nstrings;
    q->npats = npats;
    q->pats = calloc(npats ? npats : 1, sizeof *q->pats);
    sciprune_status s = SCIPRUNE_OK;
    if (!q->pats) s = sp_err(err, SCIPRUNE_ENOMEM, source, -1, -1, "out of memory");
    for (uint32_t i = 0; !s && i < npats; i++)
        s = compile_pattern(q, i, steps[i], nsteps[i], lines ? lines[i] : -1, source, err);
    if (s) {
        lang_query_free(q);
        return s;
    }
    *out = q;
    return SCIPRUNE_OK;
}

const char *lang_query_property(const lang_query *q, uint32_t pattern, const char *key)
{
    if (pattern >= q->npats) return NULL;
    const qpattern *p = &q->pats[pattern];
    for (uint32_t i = 0; i < p->nprops; i++)
        if (strcmp(p->props[i].key, key) == 0) return p->props[i].value;
    return NULL;
}

int lang_query_has_property(const lang_query *q, const char *key)
{
    for (uint32_t i = 0; i < q->npats; i++)
        if (lang_query_property(q, i, key)) return 1;
    return 0;
}

static int text_eq(const char *src, TSNode n, const char *s, size_t slen)
{
    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
    return b - a == slen && memcmp(src + a, s, slen) == 0;
}

static int type_in(const char *type, const char **args, uint32_t nargs)
{
    for (uint32_t i = 0; i < nargs; i++)
        if (strcmp(type, args[i]) == 0) return 1;
    return 0;
}

static int next_on_same_line(TSNode n, const char *src, size_t len)
{
    size_t i = ts_node_end_byte(n);
    while (i < len && (src[i] == ' ' || src[i] == '\t')) i++;
    return i < len && src[i] != '\n' && src[i] != '\r';
}

/* Evaluate predicate p (without its negation) on node n. */
static int pred_holds(const qpred *p, const TSQueryMatch *m, TSNode n, const char *src, size_t len)
{
    switch (p->op) {
    case QP_EQ:
        if (p->other_is_capture) {
            for (uint16_t k = 0; k < m->capture_count; k++)
                if (m->captures[k].index == p->other) {
                    TSNode o = m->captures[k].node;
                    uint32_t oa = ts_node_start_byte(o);
                    if (!text_eq(src, n, src + oa, ts_node_end_byte(o) - oa)) return 0;
                }
            return 1;
        }
        return text_eq(src, n, p->args[0], strlen(p->args[0]));
    case QP_ANY_OF:
        for (uint32_t i = 0; i < p->nargs; i++)
            if (text_eq(src, n, p->args[i], strlen(p->args[i]))) return 1;
        return 0;
    case QP_MATCH: {
        uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
        char small[256];
        char *buf = b - a < sizeof small ? small : malloc(b - a + 1);
        if (!buf) return 0; /* out of memory: treat as no match (never an unsafe edit) */
        memcpy(buf, src + a, b - a);
        buf[b - a] = '\0';
        int ok = regexec(&p->re, buf, 0, NULL, 0) == 0;
        if (buf != small) free(buf);
        return ok;
    }
    case QP_TYPE:
        return type_in(ts_node_type(n), p->args, p->nargs);
    case QP_HAS_ANCESTOR:
        for (TSNode a = ts_node_parent(n); !ts_node_is_null(a); a = ts_node_parent(a))
            if (type_in(ts_node_type(a), p->args, p->nargs)) return 1;
        return 0;
    case QP_NEXT_ON_SAME_LINE:
        return next_on_same_line(n, src, len);
    }
    return 0;
}

int lang_query_match_ok(const lang_query *q, const TSQueryMatch *m, const char *src, size_t len)
{
    if (m->pattern_index >= q->npats) return 0;
    const qpattern *pat = &q->pats[m->pattern_index];
    for (uint32_t i = 0; i < pat->npreds; i++) {
        const qpred *p = &pat->preds[i];
        for (uint16_t k = 0; k < m->capture_count; k++) {
            if (m->captures[k].index != p->capture) continue;
            if (pred_holds(p, m, m->captures[k].node, src, len) == p->negate) return 0;
        }
    }
    return 1;
}
