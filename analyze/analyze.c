/*
 * analyze.c - stage 4: embed the corrupted variants, assign them to the clean clusters, and
 * report per corruption type how they move and how each metric would catch them.
 *
 * Steps: (1) read the clean side: W/embed/shards.json gives the shards and their paths,
 * W/assign/<shard>.{cluster,dist}.npy the cluster and distance of every line; the shards are
 * read once more for each accepted record's text length, id (random key), language and the
 * generated-file check (an_is_generated); the quality gates' values come from
 * W/gates/<shard>.{parse_error,undefined_name}.npy when they are there for every shard with the
 * rows of assign/, else they are computed from the same read (batches of BATCH records scored
 * with sciprune_gate_score on sp_parallel_for workers, one parser each); then the per-language switch
 * (gate_on: W/gates/summary.json "settings", else every language for W/gates values, else
 * the SCIPRUNE_GATES_*_LANGS defaults). (2) read every variant line, embed it with W/embed's embedder
 * (workers over a batch for the hash backend, one thread for exec), score its gates, and assign
 * it with W/index/kmeans.faiss; then the same for the held-out probes, heldout/ beside the first
 * corrupted shard when it holds a corrupt.json (`run`'s corrupt.heldout, issue 17): they serve
 * the semantic section only (semantic.c), never the groups, the recommendation or the raw
 * arrays. (3) eval.c ranks each group (one type over all languages, one
 * type x language) mixed into the clean corpus, for the metrics and the gate plans. (4) write
 * W/analyze/: the raw per-record arrays (so anyone can recompute the report), report.json and
 * report.md. The raw arrays and the semantics are laid out in sciprune.h (section analyze).
 *
 * Over ranks (settings part_count > 0): step (2)'s embedding (a parse per variant, with the
 * gates' and the signals' parses: the stage's cost, step (1) reads W/gates' values) is split
 * by variant: rank k embeds the variants j = k (mod part_count), j their index in file order,
 * and writes them to parts_dir/variants-<k>.bin (format at part_write()); the merge call
 * reads the parts instead of embedding and assigns in the same BATCH-row batches as one call
 * (FAISS's arithmetic depends on the batch), so W/analyze is byte-identical to one call.
 * When step (1) computes the gates (no W/gates values: a parse per clean record), the parts
 * also score the clean shards i = k (mod part_count) into parts_dir/gates-<i>.bin (format at
 * gates_part()) and the merge reads those values instead of parsing.
 *
 * report.json:
 *   {"settings": {"ratios": [R], "alphas": [A], "ratio", "weights", "seed"},
 *    "corrupted": [files], "semantics": "...", "embedder", "k", "n_clean", "n_variants",
 *    "n_variants_rejected", "n_orig_found", "n_clean_guarded" and "n_variants_guarded" (only
 *    when > 0: records the parse guard kept from tree-sitter, too deep or too large; they
 *    are embedded from their words and no gate judges them: value 0),
 *    "metrics": ["size", "distance", "combined-a0.00", ..., "random", "length"],
 *    "plans": ["gate+size", "gate+distance", "gate+combined-a0.00", ..., "gate+length"],
 *    "gates": {"source": "W/gates" | "computed", "source_note": why computed,
 *              "languages_on": {"parse_error": [langs], "undefined_name": [langs]} (of the
 *                              clean corpus' languages), "languages_source",
 *              "generated_heuristic": text,
 *              "clean": COUNTS, "clean_by_lang": {lang: COUNTS},
 *              "budget": [{"ratio", "n_budget" (floor(p * Nc + 0.5)), "n_gated",
 *                          "gates_exceed_budget"}]},
 *      COUNTS = {"n", "n_generated", "generated_share",
 *                "parse_error" | "undefined_name" | "gates" (either):
 *                   {"flagged", "share", "flagged_generated", "generated_share_of_flagged",
 *                    "share_of_generated_flagged"}},
 *    "cluster_sizes": [k clean sizes],
 *    "groups": [{"type", "kind", "lang" ("all" or a language), "n", "n_orig",
 *                "recall": {metric or plan: [R values]},
 *                "orig_recall": {metric or plan: [R values]},
 *                "gates": {"parse_error", "undefined_name", "gates"} (share flagged),
 *                "auroc": {"size", "distance", "random", "length"},
 *                "movement": {"share_smaller_cluster", "share_same_cluster",
 *                             "median_delta_size_pct", "median_delta_dist_pct",
 *                             "median_dist", "median_orig_dist"}}],   (null where undefined)
 *    "recommendation": {"name", "metric" ("combined", "gate+distance", ...), "alpha", "ratio",
 *                       "mean_recall", "random_mean_recall", "text" (one line),
 *                       "gates_clean_share", "gates_exceed_budget" (the flagged clean records
 *                       exceed floor(ratio * Nc + 0.5)), "plans_considered" (gate plans
 *                       compete only when they do not: past the budget a plan prunes more
 *                       than the ratio and its recall is not comparable),
 *                       "candidates": {metric or plan: mean},
 *                       "candidates_orig_recall": {metric or plan: mean},
 *                       "per_type_recall": {type: r}, "weights": {type: w}},
 *    (the recommendation also holds "rule" (one sentence), "mean_orig_recall" and "mean_lift":
 *     recall minus the originals' recall, the part the corruption itself makes catchable)
 *    "probes_strata": corrupt.json's "strata" (the probes' length distribution against the
 *                     corpus', see corrupt/run.c) when it sits beside the corrupted shards,
 *    "baselines_at_p": {"n_variants", "p", "se", "random", "length"}: the baselines' weighted
 *                     mean recall against p with its sampling error (baseline_se),
 *    "seconds"}
 * Groups are ordered by type name, each type's "all" row first, then its languages by name.
 */
#include "analyze_int.h"

#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH 256

void sciprune_analyze_settings_default(sciprune_analyze_settings *s)
{
    static const double r[] = {0.05, 0.1, 0.2, 0.3, 0.4, 0.5};
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < 6; i++) s->ratios[i] = r[i];
    s->n_ratios = 6;
    for (size_t i = 0; i < 6; i++) s->alphas[i] = 0.2 * (double)i;
    s->n_alphas = 6;
    s->ratio = 0.2;
    s->weights = NULL;
    s->seed = 1234;
    s->threads = 0;
    sciprune_shard_options_default(&s->shard);
    s->gate_budget_share = 0.5;
    s->held_out_auto = 1;
}

static sciprune_status parse_list(const char *list, double *v, size_t *n, const char *what,
                                  sciprune_error *err)
{
    char buf[1024];
    size_t m = 0;
    if (strlen(list) >= sizeof buf)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "%s list too long", what);
    strcpy(buf, list);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *end;
        double x = strtod(t, &end);
        while (*end == ' ') end++;
        if (end == t || *end)
            return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "bad %s '%s' (want a number in [0, 1])", what, t);
        sciprune_status st = sp_sweep_add(v, &m, x, what, err); /* range, duplicates, count */
        if (st) return st;
    }
    if (!m) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "empty %s list", what);
    *n = m;
    return SCIPRUNE_OK;
}

sciprune_status sciprune_analyze_settings_parse(sciprune_analyze_settings *s,
                                                const char *ratios, const char *alphas,
                                                sciprune_error *err)
{
    double v[SCIPRUNE_SWEEP_MAX];
    size_t n;
    sciprune_status st;
    if (ratios) {
        if ((st = parse_list(ratios, v, &n, "ratio", err))) return st;
        memcpy(s->ratios, v, n * sizeof *v);
        s->n_ratios = n;
    }
    if (alphas) {
        if ((st = parse_list(alphas, v, &n, "alpha", err))) return st;
        memcpy(s->alphas, v, n * sizeof *v);
        s->n_alphas = n;
    }
    return SCIPRUNE_OK;
}

/* ------------------------------------------------------------------ state */

typedef struct variant_meta {
    char *id, *orig_id;  /* owned */
    size_t type;         /* index into types */
    size_t lang;         /* index into langs */
    int kind;            /* sciprune_corrupt_kind */
} variant_meta;

typedef struct strtab {
    char **s;            /* n strings, owned */
    size_t n, cap;
} strtab;

/* A flagged clean record shown in the report as an example of what a gate flags. */
#define AN_EXAMPLES 5 /* per gate and language: the first flagged in input order */
typedef struct an_example {
    int gate;            /* sciprune_gate */
    size_t lang;         /* index into clangs */
    const char *shard;   /* the shard's name (r->shards) */
    uint64_t line;       /* 1-based line in the shard */
    char *path;          /* the record's path field; owned, NULL: none */
    float value;         /* the gate's value */
    uint32_t err_line;   /* parse_error: 1-based line of the first error in the file, 0: not
                            known (tree-sitter's own ERROR nodes carry no line here) */
    char detail[260];    /* the C check's finding, CPython's message, the undefined names */
} an_example;

typedef struct an_run {
    const char *workdir;
    const sciprune_analyze_settings *set;
    double ratios[SCIPRUNE_SWEEP_MAX + 1];
    size_t nr;
    an_corpus c;
    size_t cap_c, cap_v;
    sciprune_shard_set *shards;
    int64_t **rowmap;    /* per shard: rows -> clean g or -1; owned */
    uint64_t *rows;      /* per shard row counts */
    variant_meta *vm;    /* nv; owned */
    strtab types, langs;
    int *type_kind;      /* per type */
    char **files;        /* corrupted shard paths; owned */
    size_t nfiles;
    uint64_t v_rejected;
    uint64_t c_guarded, v_guarded; /* clean records / variants the parse guard kept from
                                      tree-sitter: embedded lexically, not judged by the gates */
    sciprune_embedder *emb;
    sciprune_index *ix;
    /* quality gates */
    float *cpe, *cun;    /* nc: parse_error / undefined_name value (0 where the gate is off for
                            the language); owned */
    uint8_t *cgen;       /* nc: an_is_generated(); owned */
    uint16_t *clang;     /* nc: index into clangs; owned */
    strtab clangs;       /* languages of the clean records */
    float *vpe, *vun;    /* nv (capacity cap_v); owned */
    float *cnat, *vnat;  /* nc / nv: the naturalness signal (-30 where absent); owned */
    uint8_t *cfit;       /* nc: in the naturalness model's fit sample; owned */
    uint8_t *chalf;      /* nc: sciprune_id_half(id), the held-out split; owned */
    size_t nv_main;      /* the main set's variants (read_variants: files, then hfiles) */
    size_t nv_all;       /* variants read: r->c.nv main ones, then the held-out probes
                            (semantic.c only); r->c.nv is cut back to the main ones after */
    char **hfiles;       /* the held-out probe shards (heldout/ beside the first corrupted
                            shard, when it has a corrupt.json); owned */
    size_t nhfiles;
    int64_t seed_main, seed_heldout; /* corrupt.json's "seed" of either set, -1 unknown */
    int have_nat;        /* the embedder has the naturalness model (W/embed/ngram.npy) */
    float *csites, *vsites; /* nc / nv: the site detectors' signal (0 where absent); owned */
    int have_sites;      /* the embed pass wrote W/embed/<shard>.sites.npy (features "sites") */
    json_t *semantic;    /* report.json's "semantic" section (semantic.c); owned */
    an_sem_out sem;
    int gates_from_files; /* 1: clean values from W/gates/<shard>.*.npy; 0: computed here */
    char gates_note[512]; /* why they were computed here */
    int gl_set[SCIPRUNE_GATE_COUNT]; /* 1: gl[gate] lists the languages the gate is on for */
    strtab gl[SCIPRUNE_GATE_COUNT];
    const char *gl_source;   /* where the language switch comes from (static string) */
    /* gates judged per language (judge_gates): per clean language index */
    int judged;              /* 1: judging on (gate_budget_share > 0) */
    double jlimit;           /* gate_budget_share x ratio */
    uint64_t *jn;            /* clean files per language; owned */
    uint64_t *jflag[SCIPRUNE_GATE_COUNT]; /* flagged per language with the settings' switch; owned */
    uint8_t *joff[SCIPRUNE_GATE_COUNT];   /* 1: on by the settings, off by judgement; owned */
    uint8_t *jcap[SCIPRUNE_GATE_COUNT];   /* 1: on, capped at jlimit (its most severe flags) */
    uint64_t *jkeep[SCIPRUNE_GATE_COUNT]; /* capped: the flagged files it still gates; owned */
    float *jvmin[SCIPRUNE_GATE_COUNT], *jdmin[SCIPRUNE_GATE_COUNT]; /* capped: value and
                                             distance of the last file kept (gate_keeps); owned */
    char js_envs[256];       /* undefined_name's JavaScript environments, from the settings in
                                W/gates/summary.json ("" = auto) */
    an_example *ex;          /* examples of flagged clean records; owned */
    size_t nex, cap_ex;
    sciprune_parser *ex_parser; /* W/gates values: to find an example's first error; owned */
    /* split over ranks (settings parts_dir, part_count, part_index; see the header) */
    int part_count;          /* 0: one call does everything */
    int part_index;          /* >= 0: embed this part's variants only; -1: the merge */
    uint32_t *pbuf;          /* part: its records, PART_WORDS(dim) words each; owned */
    size_t pn, pcap;         /* records in pbuf, capacity (records) */
    char **pdata;            /* merge: part_count files' contents; owned */
    size_t *plen;            /* their lengths; owned */
    uint64_t ids_hash;       /* FNV-1a over every variant's id (and its NUL), in file order */
} an_run;

static sciprune_status nomem(sciprune_error *err)
{
    return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
}

/* Index of s in t, added when missing; SIZE_MAX on ENOMEM. */
static size_t intern(strtab *t, const char *s)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->s[i], s)) return i;
    if (t->n == t->cap) {
        size_t nc = t->cap ? 2 * t->cap : 16;
        char **p = realloc(t->s, nc * sizeof *p);
        if (!p) return SIZE_MAX;
        t->s = p;
        t->cap = nc;
    }
    if (!(t->s[t->n] = strdup(s))) return SIZE_MAX;
    return t->n++;
}

static void strtab_free(strtab *t)
{
    for (size_t i = 0; i < t->n; i++) free(t->s[i]);
    free(t->s);
}

static char *path3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 3;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s%s", a, b, c);
    return p;
}

static int grow(void **p, size_t *cap, size_t need, size_t item)
{
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 1024;
    while (nc < need) nc *= 2;
    void *q = realloc(*p, nc * item);
    if (!q) return -1;
    *p = q;
    *cap = nc;
    return 0;
}

static int grow_clean(an_run *r, size_t need)
{
    size_t cap = r->cap_c, c1 = cap, c2 = cap, c3 = cap, c4 = cap, c5 = cap, c6 = cap, c7 = cap,
           c8 = cap, c9 = cap, c10 = cap, c11 = cap;
    if (grow((void **)&r->c.ccl, &cap, need, 4) || grow((void **)&r->c.cds, &c1, need, 4) ||
        grow((void **)&r->c.clen, &c2, need, 8) || grow((void **)&r->c.crnd, &c3, need, 8) ||
        grow((void **)&r->cpe, &c4, need, 4) || grow((void **)&r->cun, &c5, need, 4) ||
        grow((void **)&r->cgen, &c6, need, 1) || grow((void **)&r->clang, &c7, need, 2) ||
        grow((void **)&r->cnat, &c8, need, 4) || grow((void **)&r->cfit, &c9, need, 1) ||
        grow((void **)&r->csites, &c10, need, 4) || grow((void **)&r->chalf, &c11, need, 1))
        return -1;
    r->cap_c = cap > r->cap_c ? cap : r->cap_c;
    return 0;
}

static int grow_var(an_run *r, size_t need)
{
    if (need <= r->cap_v) return 0;
    size_t nc = r->cap_v ? 2 * r->cap_v : 1024;
    while (nc < need) nc *= 2;
#define RE(f)                                                              \
    do {                                                                   \
        void *q = realloc(r->c.f, nc * sizeof *r->c.f);                    \
        if (!q) return -1;                                                 \
        r->c.f = q;                                                        \
    } while (0)
    RE(vcl); RE(vds); RE(vlen); RE(vrnd); RE(vorig);
#undef RE
    float *pe = realloc(r->vpe, nc * sizeof *pe);
    if (!pe) return -1;
    r->vpe = pe;
    float *un = realloc(r->vun, nc * sizeof *un);
    if (!un) return -1;
    r->vun = un;
    float *na = realloc(r->vnat, nc * sizeof *na);
    if (!na) return -1;
    r->vnat = na;
    float *si = realloc(r->vsites, nc * sizeof *si);
    if (!si) return -1;
    r->vsites = si;
    variant_meta *m = realloc(r->vm, nc * sizeof *m);
    if (!m) return -1;
    r->vm = m;
    r->cap_v = nc;
    return 0;
}

/* ------------------------------------------------------------ quality gates */

/* Is `gate` on for `lang`? W/gates/summary.json's list where it has one; else every language
 * for values read from W/gates, the SCIPRUNE_GATES_*_LANGS defaults for values computed here. */
static int gate_on_by_settings(const an_run *r, sciprune_gate gate, const char *lang)
{
    if (r->gl_set[gate]) {
        for (size_t i = 0; i < r->gl[gate].n; i++)
            if (!strcmp(r->gl[gate].s[i], lang)) return 1;
        return 0;
    }
    return r->gates_from_files ? 1 : sciprune_gates_lang_on(NULL, gate, lang);
}

/* ... and not turned off by judge_gates() for the clean corpus' language */
static int gate_on(const an_run *r, sciprune_gate gate, const char *lang)
{
    if (!gate_on_by_settings(r, gate, lang)) return 0;
    if (r->judged && r->joff[gate])
        for (size_t i = 0; i < r->clangs.n; i++)
            if (!strcmp(r->clangs.s[i], lang)) return !r->joff[gate][i];
    return 1;
}

/* Is a flag of `gate` with this value and distance kept for `lang`? Where the gate is capped
 * only its most severe flags are: a larger value, then (equal values) a larger distance. */
static int gate_keeps(const an_run *r, sciprune_gate gate, const char *lang, float value, float dist)
{
    if (!(value > 0.0f) || !gate_on(r, gate, lang)) return 0;
    if (r->judged && r->jcap[gate])
        for (size_t i = 0; i < r->clangs.n; i++)
            if (!strcmp(r->clangs.s[i], lang) && r->jcap[gate][i])
                return value > r->jvmin[gate][i] ||
                       (value == r->jvmin[gate][i] && dist >= r->jdmin[gate][i]);
    return 1;
}

typedef struct sev_item {
    float v, d;
    uint32_t g;
} sev_item;

/* most severe first: value, then distance (descending), then input order */
static int cmp_sev(const void *a, const void *b)
{
    const sev_item *x = a, *y = b;
    if (x->v != y->v) return x->v > y->v ? -1 : 1;
    if (x->d != y->d) return x->d > y->d ? -1 : 1;
    return x->g < y->g ? -1 : x->g > y->g;
}

/* Gates judged per language on the job's own corpus. The share F of a language's files a gate
 * flags is fp x (1 - b) + recall x b: false positives and really broken files (b) alike, so F
 * alone cannot tell a noisy gate from a precise one on a broken corpus; the kind of flag can.
 * undefined_name's flags depend on the environment the file runs in (browser globals, names a
 * host injects), so they can be wrong wholesale at any share: on while F <= gate_budget_share
 * x ratio (jlimit), else off. parse_error's flags are syntax the language's own tool rejects
 * (validated on real corpora: <= 0.8 % of clean files, none the compiler accepts), so a larger
 * F is mostly broken files, and what needs bounding is the damage: past jlimit it is capped,
 * i.e. it keeps gating only its floor(jlimit x n) most severe flags (gate_keeps) and the rest
 * go to the plan's fill metric with every other file; past the ratio itself (its flags alone
 * exceed the language's whole budget: raw tree-sitter-c on macros, 43 %) it is off, a filter
 * for the user to decide on. Needs the clean values (cpe, cun, cds) before the per-language
 * switch; zeroes the values a cap drops. */
static sciprune_status judge_gates(an_run *r, sciprune_error *err)
{
    size_t nl = r->clangs.n;
    r->judged = r->set->gate_budget_share > 0;
    r->jlimit = r->set->gate_budget_share * r->set->ratio;
    r->jn = calloc(nl ? nl : 1, sizeof *r->jn);
    for (int k = 0; k < SCIPRUNE_GATE_COUNT; k++) {
        r->jflag[k] = calloc(nl ? nl : 1, sizeof *r->jflag[k]);
        r->joff[k] = calloc(nl ? nl : 1, 1);
        r->jcap[k] = calloc(nl ? nl : 1, 1);
        r->jkeep[k] = calloc(nl ? nl : 1, sizeof *r->jkeep[k]);
        r->jvmin[k] = calloc(nl ? nl : 1, sizeof *r->jvmin[k]);
        r->jdmin[k] = calloc(nl ? nl : 1, sizeof *r->jdmin[k]);
        if (!r->jflag[k] || !r->joff[k] || !r->jcap[k] || !r->jkeep[k] || !r->jvmin[k] || !r->jdmin[k])
            return nomem(err);
    }
    if (!r->jn) return nomem(err);
    for (size_t g = 0; g < r->c.nc; g++) {
        uint16_t l = r->clang[g];
        r->jn[l]++;
        r->jflag[SCIPRUNE_GATE_PARSE_ERROR][l] += r->cpe[g] > 0;
        r->jflag[SCIPRUNE_GATE_UNDEFINED_NAME][l] += r->cun[g] > 0;
    }
    for (int k = 0; r->judged && k < SCIPRUNE_GATE_COUNT; k++) {
        float *val = k == SCIPRUNE_GATE_PARSE_ERROR ? r->cpe : r->cun;
        for (size_t l = 0; l < nl; l++) {
            if (!gate_on_by_settings(r, (sciprune_gate)k, r->clangs.s[l]) || !r->jn[l]) continue;
            double share = (double)r->jflag[k][l] / (double)r->jn[l];
            /* undefined_name's flags depend on the environment a file runs in, which the file
             * may not show: systematic (browser globals, host-injected names), never capped */
            if (share > (k == SCIPRUNE_GATE_UNDEFINED_NAME ? r->jlimit : r->set->ratio)) {
                r->joff[k][l] = 1;
                continue;
            }
            if (share <= r->jlimit) continue;
            /* capped: the most severe floor(jlimit x n) flags stay, the others are dropped */
            uint64_t keep = (uint64_t)floor(r->jlimit * (double)r->jn[l]), m = 0;
            sev_item *it = malloc((r->jflag[k][l] ? r->jflag[k][l] : 1) * sizeof *it);
            if (!it) return nomem(err);
            for (size_t g = 0; g < r->c.nc; g++)
                if (r->clang[g] == l && val[g] > 0)
                    it[m++] = (sev_item){val[g], r->c.cds[g], (uint32_t)g};
            qsort(it, m, sizeof *it, cmp_sev);
            r->jcap[k][l] = 1;
            r->jkeep[k][l] = keep;
            if (keep) {
                r->jvmin[k][l] = it[keep - 1].v;
                r->jdmin[k][l] = it[keep - 1].d;
            } else {
                r->jvmin[k][l] = INFINITY;
            }
            for (uint64_t i = keep; i < m; i++) val[it[i].g] = 0.0f;
            free(it);
        }
    }
    return SCIPRUNE_OK;
}

/* report.json gates.judged: {"budget_share", "limit", "off_above" (the ratio), "rule",
 * "languages": {lang: {"n", "parse_error" | "undefined_name": {"flagged", "share",
 * "on_by_settings", "on", "capped", "gated" (flagged files the gate plans gate),
 * "cap": {"value_min", "distance_min"} (capped only)}}}} */
static json_t *judged_json(const an_run *r, const size_t *lo, size_t nl)
{
    static const char *const gn[SCIPRUNE_GATE_COUNT] = {"parse_error", "undefined_name"};
    json_t *j = json_object(), *langs = json_object();
    json_object_set_new(j, "budget_share", json_real(r->set->gate_budget_share));
    json_object_set_new(j, "limit", json_real(r->jlimit));
    json_object_set_new(j, "off_above", json_real(r->set->ratio));
    json_object_set_new(j, "rule", json_string(
        r->judged ? "per language: a gate that flags at most budget_share x ratio (limit) of "
                    "that language's clean files is on; above, undefined_name is off (its flags "
                    "depend on the environment); parse_error up to the ratio is capped (it gates "
                    "its floor(limit x n) most severe flags: larger value, then larger distance; "
                    "the rest go to the fill metric) and over the ratio off (its flags alone "
                    "exceed the language's budget). Gate plans and metric auto use the gates "
                    "so judged"
                  : "judging off (gate_budget_share 0): the settings' languages"));
    for (size_t i = 0; i < nl; i++) {
        size_t l = lo[i];
        json_t *o = json_pack("{s:I}", "n", (json_int_t)r->jn[l]);
        for (int k = 0; k < SCIPRUNE_GATE_COUNT; k++) {
            int by_set = gate_on_by_settings(r, (sciprune_gate)k, r->clangs.s[l]);
            int on = by_set && !r->joff[k][l], cap = on && r->judged && r->jcap[k][l];
            json_t *go = json_pack("{s:I, s:f, s:b, s:b, s:b, s:I}", "flagged",
                (json_int_t)(by_set ? r->jflag[k][l] : 0),
                "share", r->jn[l] && by_set ? (double)r->jflag[k][l] / (double)r->jn[l] : 0.0,
                "on_by_settings", by_set, "on", on, "capped", cap,
                "gated", (json_int_t)(!on ? 0 : cap ? r->jkeep[k][l] : r->jflag[k][l]));
            if (cap)
                json_object_set_new(go, "cap", json_pack("{s:f, s:f}", "value_min",
                    (double)r->jvmin[k][l], "distance_min", (double)r->jdmin[k][l]));
            json_object_set_new(o, gn[k], go);
        }
        json_object_set_new(langs, r->clangs.s[l], o);
    }
    json_object_set_new(j, "languages", langs);
    return j;
}

/* Use W/gates/<shard>.{parse_error,undefined_name}.npy when they exist for every clean shard
 * with the rows of assign/; else note why in gates_note (they are computed while reading). */
static sciprune_status gates_probe(an_run *r, sciprune_error *err)
{
    static const sp_wfile suf[SCIPRUNE_GATE_COUNT] = {SP_WF_GATE_PARSE_ERROR, SP_WF_GATE_UNDEFINED_NAME};
    const sciprune_shard_set *ss = r->shards;
    r->gates_from_files = 1;
    for (size_t i = 0; i < ss->n && r->gates_from_files; i++) {
        sp_npy cl = {0};
        sciprune_error e2;
        char *pcl = sp_wpath(r->workdir, SP_WF_CLUSTER, ss->names[i]);
        if (!pcl) return nomem(err);
        uint64_t rows = sp_npy_open(&cl, pcl, &e2) ? UINT64_MAX : cl.rows;
        sp_npy_close(&cl);
        free(pcl);
        for (int k = 0; k < SCIPRUNE_GATE_COUNT && r->gates_from_files; k++) {
            sp_npy a = {0};
            char *p = sp_wpath(r->workdir, suf[k], ss->names[i]);
            if (!p) return nomem(err);
            if (sp_npy_open(&a, p, &e2)) {
                snprintf(r->gates_note, sizeof r->gates_note, "%s: %.200s", p, e2.text);
                r->gates_from_files = 0;
            } else if (a.dtype != SP_NPY_F32 || a.cols || a.rows != rows) {
                snprintf(r->gates_note, sizeof r->gates_note,
                         "%s: not float32 with the %llu rows of assign/", p,
                         (unsigned long long)rows);
                r->gates_from_files = 0;
            }
            sp_npy_close(&a);
            free(p);
        }
    }
    if (!r->gates_from_files) {
        r->gl_source = "defaults (SCIPRUNE_GATES_PARSE_ERROR_LANGS, SCIPRUNE_GATES_UNDEFINED_NAME_LANGS)";
        return SCIPRUNE_OK;
    }
    r->gl_source = "all languages (W/gates/summary.json has no settings)";
    char *sp = sp_wpath(r->workdir, SP_WF_GATES_SUMMARY, NULL);
    if (!sp) return nomem(err);
    json_t *root = json_load_file(sp, 0, NULL);
    free(sp);
    if (!root && sp_json_alloc_failed()) return nomem(err);
    json_t *set = root ? json_object_get(root, "settings") : NULL;
    json_t *je = json_is_object(set) ? json_object_get(set, "js_envs") : NULL;
    for (size_t i = 0; json_is_array(je) && i < json_array_size(je); i++) {
        const char *v = json_string_value(json_array_get(je, i));
        size_t at = strlen(r->js_envs);
        if (v && at + strlen(v) + 2 < sizeof r->js_envs)
            snprintf(r->js_envs + at, sizeof r->js_envs - at, "%s%s", at ? "," : "", v);
    }
    static const char *const keys[SCIPRUNE_GATE_COUNT] = {"parse_error_langs", "undefined_name_langs"};
    for (int k = 0; k < SCIPRUNE_GATE_COUNT && json_is_object(set); k++) {
        json_t *l = json_object_get(set, keys[k]);
        if (!json_is_array(l)) continue;
        r->gl_set[k] = 1;
        r->gl_source = "W/gates/summary.json settings";
        size_t i;
        json_t *v;
        json_array_foreach(l, i, v) {
            if (json_is_string(v) && intern(&r->gl[k], json_string_value(v)) == SIZE_MAX) {
                json_decref(root);
                return nomem(err);
            }
        }
    }
    json_decref(root);
    return SCIPRUNE_OK;
}

/* 1-based line of byte offset `off` in text. */
static uint32_t line_of(const char *text, size_t len, uint64_t off)
{
    uint32_t ln = 1;
    for (size_t i = 0; i < len && i < off; i++) ln += text[i] == '\n';
    return ln;
}

/* Keep clean record g (language li, line `line` of shard `shard`) as an example of each gate
 * that flags it (on for its language by the settings), up to AN_EXAMPLES per gate and
 * language. sc: its gate scores when computed here; NULL: score it again for the detail. */
static sciprune_status example_add(an_run *r, size_t g, size_t li, const char *shard,
                                   uint64_t line, const char *path, const char *text, size_t len,
                                   const sciprune_gate_scores *sc, sciprune_error *err)
{
    const char *lang = r->clangs.s[li];
    float val[SCIPRUNE_GATE_COUNT] = {r->cpe[g], r->cun[g]};
    int want[SCIPRUNE_GATE_COUNT] = {0}, any = 0;
    for (int k = 0; k < SCIPRUNE_GATE_COUNT; k++) {
        if (!(val[k] > 0) || !gate_on_by_settings(r, (sciprune_gate)k, lang)) continue;
        size_t have = 0;
        for (size_t e = 0; e < r->nex; e++) have += r->ex[e].gate == k && r->ex[e].lang == li;
        want[k] = have < AN_EXAMPLES;
        any |= want[k];
    }
    if (!any) return SCIPRUNE_OK;
    sciprune_gate_scores own;
    if (!sc) {
        sciprune_status st;
        if (!r->ex_parser && (st = sciprune_parser_new(&r->ex_parser, err))) return st;
        sciprune_gates_settings gs;
        sciprune_gates_settings_default(&gs);
        gs.js_envs = r->js_envs;
        if ((st = sciprune_gate_score_file(r->ex_parser, lang, path, text, len, &gs, &own, err)))
            return st;
        sc = &own;
    }
    for (int k = 0; k < SCIPRUNE_GATE_COUNT; k++) {
        if (!want[k]) continue;
        if (r->nex == r->cap_ex) {
            size_t nc = r->cap_ex ? 2 * r->cap_ex : 16;
            an_example *q = realloc(r->ex, nc * sizeof *q);
            if (!q) return nomem(err);
            r->ex = q;
            r->cap_ex = nc;
        }
        an_example *x = &r->ex[r->nex];
        memset(x, 0, sizeof *x);
        x->gate = k;
        x->lang = li;
        x->shard = shard;
        x->line = line;
        x->value = val[k];
        if (path && !(x->path = strdup(path))) return nomem(err);
        r->nex++;
        if (k == SCIPRUNE_GATE_UNDEFINED_NAME) {
            snprintf(x->detail, sizeof x->detail, "%s", sc->names);
        } else if (sc->syntax_reason && sc->syntax_reason[0]) {
            x->err_line = line_of(text, len, sc->syntax_offset);
            snprintf(x->detail, sizeof x->detail, "%s", sc->syntax_reason);
        } else if (sc->indent_errors) {
            x->err_line = sc->indent_line;
            snprintf(x->detail, sizeof x->detail, "%s", sc->indent_error ? sc->indent_error : "");
        } else if (sc->early_errors) {
            x->err_line = sc->early_line;
            snprintf(x->detail, sizeof x->detail, "a redeclaration V8 rejects");
        } else {
            snprintf(x->detail, sizeof x->detail, "tree-sitter: %u ERROR, %u MISSING nodes",
                     sc->error_nodes, sc->missing_nodes);
        }
    }
    return SCIPRUNE_OK;
}

typedef struct gate_batch {
    size_t n;
    char *text[BATCH];   /* owned */
    size_t len[BATCH];
    const char *lang[BATCH];
    char *path[BATCH];   /* owned; NULL: the record has none */
    size_t g[BATCH];     /* clean row */
    size_t li[BATCH];    /* its language */
    const char *shard[BATCH]; /* its shard's name */
    uint64_t line[BATCH]; /* its line there */
} gate_batch;

typedef struct gate_job {
    const gate_batch *b;
    sciprune_parser **parsers; /* one per worker */
    const sciprune_gates_settings *gs; /* js_envs of W/gates */
    sciprune_gate_scores gsc[BATCH];
} gate_job;

static sciprune_status gate_item(void *ctx, int worker, size_t i, sciprune_error *err)
{
    gate_job *j = ctx;
    return sciprune_gate_score_file(j->parsers[worker], j->b->lang[i], j->b->path[i],
                                    j->b->text[i], j->b->len[i], j->gs, &j->gsc[i], err);
}

/* Score a batch of clean records (sp_parallel_for, one parser per worker) into cpe / cun. */
static sciprune_status gates_flush(an_run *r, gate_batch *b, sciprune_parser **parsers,
                                   int nthreads, sciprune_error *err)
{
    sciprune_gates_settings gs;
    sciprune_gates_settings_default(&gs);
    gs.js_envs = r->js_envs;
    gate_job j = {.b = b, .parsers = parsers, .gs = &gs};
    sciprune_status st = sp_parallel_for(b->n, nthreads, gate_item, &j, err);
    for (size_t i = 0; i < b->n; i++) {
        if (!st) {
            r->cpe[b->g[i]] = (float)j.gsc[i].parse_errors;
            r->cun[b->g[i]] = (float)j.gsc[i].undefined_names;
            st = example_add(r, b->g[i], b->li[i], b->shard[i], b->line[i], b->path[i],
                             b->text[i], b->len[i], &j.gsc[i], err);
        }
        free(b->text[i]);
        free(b->path[i]);
    }
    b->n = 0;
    return st;
}

/* The gates over ranks, when they are computed here (no W/gates values): a part (rank k)
 * scores the accepted records of the clean shards i = k (mod part_count) into
 * parts_dir/gates-<i>.bin: native-endian uint64 words magic "SPANGAT1", i, rows, FNV-1a of
 * the shard's name, then rows x (parse_errors, undefined_names) float32 (0 for a rejected
 * line). The merge's read_clean() takes the values from there instead of parsing (an example's
 * detail is scored again, as for W/gates values: the same call, the same settings). */
#define GATES_MAGIC 0x315441474e415053ULL /* "SPANGAT1" */

static char *gates_part_path(const char *dir, size_t i)
{
    size_t n = strlen(dir) + 40;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/gates-%zu.bin", dir, i);
    return p;
}

static uint64_t name_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
    return h;
}

/* Score b's records into vals (2 floats per row; b->g[] holds the row). */
static sciprune_status gates_score(an_run *r, gate_batch *b, sciprune_parser **parsers,
                                   int nthreads, float *vals, sciprune_error *err)
{
    gate_job *j = malloc(sizeof *j);
    if (!j) return nomem(err);
    sciprune_gates_settings gs;
    sciprune_gates_settings_default(&gs);
    gs.js_envs = r->js_envs;
    j->b = b;
    j->parsers = parsers;
    j->gs = &gs;
    sciprune_status st = sp_parallel_for(b->n, nthreads, gate_item, j, err);
    for (size_t i = 0; i < b->n; i++) {
        if (!st) {
            vals[2 * b->g[i]] = (float)j->gsc[i].parse_errors;
            vals[2 * b->g[i] + 1] = (float)j->gsc[i].undefined_names;
        }
        free(b->text[i]);
        free(b->path[i]);
    }
    b->n = 0;
    free(j);
    return st;
}

/* A part's gates: its clean shards scored and written (format above). */
static sciprune_status gates_part(an_run *r, sciprune_error *err)
{
    const sciprune_shard_set *ss = r->shards;
    int nthreads = sp_threads(r->set->threads, BATCH);
    sciprune_parser **parsers = calloc((size_t)nthreads, sizeof *parsers);
    gate_batch *gb = calloc(1, sizeof *gb);
    sciprune_status st = SCIPRUNE_OK;
    if (!parsers || !gb) st = nomem(err);
    for (int t = 0; !st && t < nthreads; t++) st = sciprune_parser_new(&parsers[t], err);
    if (!st) st = sp_mkdirs(r->set->parts_dir, err);
    for (size_t i = (size_t)r->part_index; !st && i < ss->n; i += (size_t)r->part_count) {
        if (!ss->paths[i]) {
            st = sp_err(err, SCIPRUNE_EINVAL, ss->names[i], -1, -1,
                        "the clean shard's path is unknown (W/embed/shards.json)");
            break;
        }
        sciprune_shard_reader *rd = NULL;
        float *vals = NULL;
        size_t cap = 0, rows = 0;
        st = sciprune_shard_reader_open(&rd, ss->paths[i], &r->set->shard, err);
        while (!st) {
            const sciprune_record *rec;
            if ((st = sciprune_shard_reader_next(rd, &rec, err)) || !rec) break;
            size_t row = (size_t)rec->line - 1;
            if (row >= cap) {
                size_t nc = cap ? 2 * cap : 1024;
                while (nc <= row) nc *= 2;
                float *q = realloc(vals, nc * 2 * sizeof *q);
                if (!q) { st = nomem(err); break; }
                memset(q + 2 * cap, 0, (nc - cap) * 2 * sizeof *q);
                vals = q;
                cap = nc;
            }
            rows = row + 1;
            if (rec->reject != SCIPRUNE_REJECT_NONE) continue;
            size_t li = intern(&r->clangs, rec->lang ? rec->lang : "unknown");
            if (li == SIZE_MAX || !(gb->text[gb->n] = malloc(rec->text_len + 1))) {
                st = nomem(err);
                break;
            }
            memcpy(gb->text[gb->n], rec->text, rec->text_len + 1);
            gb->len[gb->n] = rec->text_len;
            gb->path[gb->n] = rec->path ? strdup(rec->path) : NULL;
            gb->lang[gb->n] = r->clangs.s[li];
            gb->g[gb->n++] = row;
            if (gb->n == BATCH) st = gates_score(r, gb, parsers, nthreads, vals, err);
        }
        if (!st && gb->n) st = gates_score(r, gb, parsers, nthreads, vals, err);
        sciprune_shard_reader_close(rd);
        size_t len = 4 * sizeof(uint64_t) + rows * 2 * sizeof(float);
        char *buf = st ? NULL : malloc(len), *path = st ? NULL : gates_part_path(r->set->parts_dir, i);
        if (!st && (!buf || !path)) st = nomem(err);
        if (!st) {
            uint64_t h[4] = {GATES_MAGIC, i, rows, name_hash(ss->names[i])};
            memcpy(buf, h, sizeof h);
            if (rows) memcpy(buf + sizeof h, vals, rows * 2 * sizeof(float));
            st = sp_write_file_atomic(path, buf, len, err);
        }
        free(buf);
        free(path);
        free(vals);
        for (size_t k = 0; k < gb->n; k++) free(gb->text[k]), free(gb->path[k]);
        gb->n = 0;
    }
    if (parsers)
        for (int t = 0; t < nthreads; t++) sciprune_parser_free(parsers[t]);
    free(parsers);
    free(gb);
    return st;
}

/* The merge: shard i's gate values from its part (rows as assign/'s); *out owned. */
static sciprune_status gates_part_load(const an_run *r, size_t i, uint64_t rows, char **out,
                                       sciprune_error *err)
{
    char *path = gates_part_path(r->set->parts_dir, i), *data = NULL;
    size_t len = 0;
    *out = NULL;
    if (!path) return nomem(err);
    sciprune_status st = sp_read_file(path, &data, &len, err);
    if (st && st != SCIPRUNE_ENOMEM)
        st = sp_err(err, SCIPRUNE_ESTATE, path, -1, -1, "a rank's analyze gates part is missing");
    uint64_t h[4];
    if (!st && (len < sizeof h || (memcpy(h, data, sizeof h), 0) || h[0] != GATES_MAGIC ||
                h[1] != i || h[2] > rows || h[3] != name_hash(r->shards->names[i]) ||
                len != sizeof h + h[2] * 2 * sizeof(float)))
        st = sp_err(err, SCIPRUNE_ESTATE, path, -1, -1, "a rank's analyze gates part is from another job");
    free(path);
    if (st) free(data);
    else *out = data;
    return st;
}

/* ------------------------------------------------------------ clean side */

static sciprune_status read_clean(an_run *r, sciprune_error *err)
{
    sciprune_status st;
    const sciprune_shard_set *ss = r->shards;
    r->rowmap = calloc(ss->n, sizeof *r->rowmap);
    r->rows = calloc(ss->n, sizeof *r->rows);
    if (!r->rowmap || !r->rows) return nomem(err);
    if ((st = gates_probe(r, err))) return st;
    int nthreads = sp_threads(r->set->threads, BATCH);
    sciprune_parser **parsers = NULL;
    gate_batch gb;
    gb.n = 0;
    /* the merge of a split run: the parts scored the gates (gates_part()) */
    int gparts = !r->gates_from_files && r->part_count && r->part_index < 0;
    if (!r->gates_from_files && !gparts) {
        parsers = calloc((size_t)nthreads, sizeof *parsers);
        if (!parsers) return nomem(err);
        for (int t = 0; t < nthreads; t++)
            if ((st = sciprune_parser_new(&parsers[t], err))) goto out;
    }
    for (size_t i = 0; i < ss->n; i++) {
        if (!ss->paths[i]) {
            st = sp_err(err, SCIPRUNE_EINVAL, ss->names[i], -1, -1,
                        "the clean shard's path is unknown (W/embed/shards.json)");
            goto out;
        }
        sp_npy cl = {0}, ds = {0}, gpe = {0}, gun = {0}, nat = {0}, sit = {0};
        int have_nat = 0, have_sit = 0;
        char *gpart = NULL; /* gparts: this shard's part (header, then 2 floats per row) */
        uint64_t gprows = 0;
        sciprune_shard_reader *rd = NULL;
        char *pcl = sp_wpath(r->workdir, SP_WF_CLUSTER, ss->names[i]);
        char *pds = sp_wpath(r->workdir, SP_WF_DIST, ss->names[i]);
        if (!pcl || !pds) { free(pcl); free(pds); st = nomem(err); goto out; }
        st = sp_npy_open(&cl, pcl, err);
        if (!st) st = sp_npy_open(&ds, pds, err);
        if (st) {
            if (st == SCIPRUNE_EIO) { /* a missing assign/ file means "run index first" */
                st = SCIPRUNE_ESTATE;
                if (err) err->code = st;
            }
            free(pcl); free(pds); sp_npy_close(&cl); sp_npy_close(&ds);
            goto out;
        }
        if (r->gates_from_files) { /* checked by gates_probe: float32 with cl.rows rows */
            char *p1 = sp_wpath(r->workdir, SP_WF_GATE_PARSE_ERROR, ss->names[i]);
            char *p2 = sp_wpath(r->workdir, SP_WF_GATE_UNDEFINED_NAME, ss->names[i]);
            if (!p1 || !p2) st = nomem(err);
            if (!st) st = sp_npy_open(&gpe, p1, err);
            if (!st) st = sp_npy_open(&gun, p2, err);
            free(p1);
            free(p2);
            if (!st && (gpe.rows != cl.rows || gun.rows != cl.rows || gpe.dtype != SP_NPY_F32 ||
                        gun.dtype != SP_NPY_F32))
                st = sp_err(err, SCIPRUNE_ESTATE, ss->names[i], -1, -1,
                            "W/gates arrays changed while analyze ran");
            if (st) goto shard_done;
        }
        if (cl.dtype != SP_NPY_I32 || ds.dtype != SP_NPY_F32 || cl.cols || ds.cols || cl.rows != ds.rows) {
            st = sp_err(err, SCIPRUNE_ESTATE, pcl, -1, -1, "assign arrays of unexpected type or shape");
            goto shard_done;
        }
        if (gparts) {
            if ((st = gates_part_load(r, i, cl.rows, &gpart, err))) goto shard_done;
            memcpy(&gprows, gpart + 2 * sizeof gprows, sizeof gprows);
        }
        if (r->have_nat) { /* the embed pass's signal (sp_wsignal_path); absent: -30 */
            char *pn = sp_wsignal_path(r->workdir, ss->names[i], "naturalness");
            if (!pn) st = nomem(err);
            if (!st && sp_exists(pn)) {
                st = sp_npy_open(&nat, pn, err);
                have_nat = !st && nat.dtype == SP_NPY_F32 && !nat.cols && nat.rows == cl.rows;
            }
            free(pn);
            if (st) goto shard_done;
        }
        if (r->have_sites) { /* the site detectors' signal; every shard has it (embed wrote it) */
            char *pn = sp_wsignal_path(r->workdir, ss->names[i], "sites");
            if (!pn) st = nomem(err);
            if (!st) st = sp_npy_open(&sit, pn, err);
            if (!st && !(sit.dtype == SP_NPY_F32 && !sit.cols && sit.rows == cl.rows))
                st = sp_err(err, SCIPRUNE_ESTATE, pn, -1, -1, "want a float32 vector like assign/");
            have_sit = !st;
            free(pn);
            if (st) goto shard_done;
        }
        r->rows[i] = cl.rows;
        r->rowmap[i] = malloc((cl.rows ? cl.rows : 1) * sizeof **r->rowmap);
        if (!r->rowmap[i]) { st = nomem(err); goto shard_done; }
        for (uint64_t j = 0; j < cl.rows; j++) r->rowmap[i][j] = -1;
        const int32_t *cv = cl.data;
        const float *dv = ds.data;
        if ((st = sciprune_shard_reader_open(&rd, ss->paths[i], &r->set->shard, err))) goto shard_done;
        for (;;) {
            const sciprune_record *rec;
            if ((st = sciprune_shard_reader_next(rd, &rec, err))) goto shard_done;
            if (!rec) break;
            uint64_t row = (uint64_t)rec->line - 1;
            if (row >= cl.rows) {
                st = sp_err(err, SCIPRUNE_ESTATE, ss->paths[i], rec->line, -1,
                            "the shard has more lines than assign/ (changed input?)");
                goto shard_done;
            }
            if (rec->reject != SCIPRUNE_REJECT_NONE || cv[row] < 0) {
                if ((rec->reject == SCIPRUNE_REJECT_NONE) != (cv[row] >= 0)) {
                    st = sp_err(err, SCIPRUNE_ESTATE, ss->paths[i], rec->line, -1,
                                "the line's state does not match assign/ (changed input or "
                                "shard options?)");
                    goto shard_done;
                }
                continue;
            }
            size_t g = r->c.nc;
            if (grow_clean(r, g + 1)) { st = nomem(err); goto shard_done; }
            r->c.ccl[g] = cv[row];
            r->c.cds[g] = dv[row];
            r->c.clen[g] = (int64_t)rec->text_len;
            r->c.crnd[g] = rank_key_random_id(rec->id, r->set->seed);
            r->chalf[g] = (uint8_t)sciprune_id_half(rec->id, strlen(rec->id));
            r->rowmap[i][row] = (int64_t)g;
            r->cgen[g] = (uint8_t)an_is_generated(rec->text, rec->text_len);
            sciprune_guard_info gi; /* counted only: the gates gave it 0 (not judged) */
            sciprune_guard_check(rec->lang, rec->text, rec->text_len, &gi);
            r->c_guarded += gi.verdict != SCIPRUNE_GUARD_OK && sciprune_lang_has_grammar(rec->lang);
            size_t li = intern(&r->clangs, rec->lang ? rec->lang : "unknown");
            if (li == SIZE_MAX) { st = nomem(err); goto shard_done; }
            if (li > UINT16_MAX) {
                st = sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "more than 65536 languages");
                goto shard_done;
            }
            r->clang[g] = (uint16_t)li;
            r->cpe[g] = r->cun[g] = 0.0f;
            r->cnat[g] = have_nat ? ((const float *)nat.data)[row] : -30.0f;
            r->cfit[g] = (uint8_t)sciprune_embedder_naturalness_sampled(r->emb, rec->id);
            r->csites[g] = have_sit ? ((const float *)sit.data)[row] : 0.0f;
            r->c.nc++;
            if (r->gates_from_files) {
                r->cpe[g] = ((const float *)gpe.data)[row];
                r->cun[g] = ((const float *)gun.data)[row];
                if ((r->cpe[g] > 0 || r->cun[g] > 0) &&
                    (st = example_add(r, g, li, ss->names[i], (uint64_t)rec->line, rec->path,
                                      rec->text, rec->text_len, NULL, err)))
                    goto shard_done;
            } else if (gparts) {
                if (row >= gprows) {
                    st = sp_err(err, SCIPRUNE_ESTATE, ss->names[i], rec->line, -1,
                                "a rank's analyze gates part is from another job");
                    goto shard_done;
                }
                const char *v = gpart + 4 * sizeof(uint64_t) + row * 2 * sizeof(float);
                memcpy(&r->cpe[g], v, sizeof(float));
                memcpy(&r->cun[g], v + sizeof(float), sizeof(float));
                if ((r->cpe[g] > 0 || r->cun[g] > 0) &&
                    (st = example_add(r, g, li, ss->names[i], (uint64_t)rec->line, rec->path,
                                      rec->text, rec->text_len, NULL, err)))
                    goto shard_done;
            } else {
                if (!(gb.text[gb.n] = malloc(rec->text_len + 1))) { st = nomem(err); goto shard_done; }
                memcpy(gb.text[gb.n], rec->text, rec->text_len + 1);
                gb.len[gb.n] = rec->text_len;
                gb.path[gb.n] = rec->path ? strdup(rec->path) : NULL;
                gb.lang[gb.n] = r->clangs.s[li];
                gb.li[gb.n] = li;
                gb.shard[gb.n] = ss->names[i];
                gb.line[gb.n] = (uint64_t)rec->line;
                gb.g[gb.n++] = g;
                if (gb.n == BATCH && (st = gates_flush(r, &gb, parsers, nthreads, err)))
                    goto shard_done;
            }
        }
    shard_done:
        free(gpart);
        sciprune_shard_reader_close(rd);
        sp_npy_close(&cl);
        sp_npy_close(&ds);
        sp_npy_close(&gpe);
        sp_npy_close(&gun);
        sp_npy_close(&nat);
        sp_npy_close(&sit);
        free(pcl);
        free(pds);
        if (st) goto out;
    }
    if (gb.n && (st = gates_flush(r, &gb, parsers, nthreads, err))) goto out;
    if (r->c.nc >= UINT32_MAX / 2) {
        st = sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "more than 2G clean records");
        goto out;
    }
    /* the gates judged per language, the per-language switch, then the flags eval.c uses */
    if ((st = judge_gates(r, err))) goto out;
    r->c.cgate = malloc(r->c.nc ? r->c.nc : 1);
    if (!r->c.cgate) { st = nomem(err); goto out; }
    for (size_t g = 0; g < r->c.nc; g++) {
        const char *lang = r->clangs.s[r->clang[g]];
        if (!gate_on(r, SCIPRUNE_GATE_PARSE_ERROR, lang)) r->cpe[g] = 0.0f;
        if (!gate_on(r, SCIPRUNE_GATE_UNDEFINED_NAME, lang)) r->cun[g] = 0.0f;
        r->c.cgate[g] = (uint8_t)((r->cpe[g] > 0) | (r->cun[g] > 0) << 1);
    }
out:
    for (size_t i = 0; i < gb.n; i++) free(gb.text[i]), free(gb.path[i]);
    if (parsers)
        for (int t = 0; t < nthreads; t++) sciprune_parser_free(parsers[t]);
    free(parsers);
    return st;
}

/* ---------------------------------------------------------- variant side */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_corrupt_name(const char *n)
{
    size_t l = strlen(n);
    if (strncmp(n, "corrupt-", 8)) return 0;
    return (l > 10 && !strcmp(n + l - 10, ".jsonl.zst")) || (l > 6 && !strcmp(n + l - 6, ".jsonl"));
}

static sciprune_status list_files(an_run *r, const char *const *in, size_t n, sciprune_error *err)
{
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        DIR *d = opendir(in[i]);
        if (!d) {
            if (grow((void **)&r->files, &cap, r->nfiles + 1, sizeof *r->files)) return nomem(err);
            if (!(r->files[r->nfiles] = strdup(in[i]))) return nomem(err);
            r->nfiles++;
            continue;
        }
        size_t first = r->nfiles;
        struct dirent *de;
        while ((de = readdir(d))) {
            if (!is_corrupt_name(de->d_name)) continue;
            if (grow((void **)&r->files, &cap, r->nfiles + 1, sizeof *r->files) ||
                !(r->files[r->nfiles] = path3(in[i], "", de->d_name))) {
                closedir(d);
                return nomem(err);
            }
            r->nfiles++;
        }
        closedir(d);
        qsort(r->files + first, r->nfiles - first, sizeof *r->files, cmp_str);
    }
    if (!r->nfiles) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "no corrupted shards given");
    return SCIPRUNE_OK;
}

/* The folder of the first corrupted shard joined with `name` ("." when no slash); owned. */
static char *beside_first(const an_run *r, const char *name)
{
    const char *f = r->files[0], *slash = strrchr(f, '/');
    size_t dl = slash ? (size_t)(slash - f) : 1;
    char *dir = malloc(dl + 1);
    if (!dir) return NULL;
    if (slash) memcpy(dir, f, dl);
    else dir[0] = '.';
    dir[dl] = '\0';
    char *p = sp_path_join(dir, name);
    free(dir);
    return p;
}

/* corrupt.json's "seed" in dir (-1: no such file, unreadable, or no seed). */
static int64_t corrupt_seed(const char *dir)
{
    char *p = sp_path_join(dir, "corrupt.json");
    json_t *o = p ? json_load_file(p, 0, NULL) : NULL;
    json_t *v = json_object_get(o, "seed");
    int64_t seed = json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
    json_decref(o);
    free(p);
    return seed;
}

/* The held-out probe set (issue 17): heldout/ beside the first corrupted shard, written by
 * `run` (corrupt.heldout) with a corrupt.json; its corrupt-* shards in name order. None:
 * nhfiles 0, and the semantic section tests on the main set's half 1 (same seed). */
static sciprune_status find_heldout(an_run *r, sciprune_error *err)
{
    r->seed_main = r->seed_heldout = -1;
    char *main_dir = beside_first(r, "."), *hdir = beside_first(r, "heldout");
    sciprune_status st = SCIPRUNE_OK;
    if (!main_dir || !hdir) { st = nomem(err); goto done; }
    r->seed_main = corrupt_seed(main_dir);
    r->seed_heldout = corrupt_seed(hdir);
    if (r->seed_heldout < 0) goto done;
    DIR *d = opendir(hdir);
    if (!d) goto done;
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!is_corrupt_name(de->d_name)) continue;
        if (grow((void **)&r->hfiles, &cap, r->nhfiles + 1, sizeof *r->hfiles) ||
            !(r->hfiles[r->nhfiles] = path3(hdir, "", de->d_name))) {
            st = nomem(err);
            break;
        }
        r->nhfiles++;
    }
    closedir(d);
    if (r->nhfiles > 1) qsort(r->hfiles, r->nhfiles, sizeof *r->hfiles, cmp_str);
done:
    free(main_dir);
    free(hdir);
    return st;
}

typedef struct batch {
    size_t n;
    char *text[BATCH];   /* owned; NULL in the merge (the ranks embedded them) */
    size_t len[BATCH];
    const char *lang[BATCH]; /* interned, borrowed from langs */
    size_t j[BATCH];     /* the variant's index */
} batch;

/* ------------------------------------------------------------ parts (ranks) */

/*
 * A rank's part, parts_dir/variants-<k>.bin: native-endian (the ranks of one job share a
 * machine type). A header of PART_HDR uint64 words:
 *   magic "SPANVAR1", nv (the variants of every corrupted file), part_count, part_index k,
 *   dim, n (this part's variants: j = k, k + part_count, ... below nv), ids_hash (FNV-1a over
 *   every variant's id and its NUL, in file order), 0;
 * then n records of PART_WORDS(dim) 32-bit words, in variant order: the vector (dim float32),
 * parse_errors, undefined_names, naturalness, sites (float32 each, as embed_item() made them)
 * and the parse guard's verdict (uint32).
 */
#define PART_MAGIC 0x315241564e415053ULL /* "SPANVAR1" */
#define PART_HDR 8
#define PART_WORDS(dim) ((size_t)(dim) + 5)

static char *part_path(const char *dir, int k)
{
    size_t n = strlen(dir) + 32;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/variants-%d.bin", dir, k);
    return p;
}

static sciprune_status part_stale(const an_run *r, int k, const char *why, sciprune_error *err)
{
    char *p = part_path(r->set->parts_dir, k);
    sciprune_status st = sp_err(err, SCIPRUNE_ESTATE, p ? p : r->set->parts_dir, -1, -1,
                                "a rank's analyze part is %s", why);
    free(p);
    return st;
}

/* The part's variant count: j = k, k + count, ... below nv. */
static uint64_t part_expect(uint64_t nv, int count, int k)
{
    return nv > (uint64_t)k ? (nv - (uint64_t)k - 1) / (uint64_t)count + 1 : 0;
}

static sciprune_status part_write(an_run *r, uint32_t dim, sciprune_error *err)
{
    size_t pw = PART_WORDS(dim), body = r->pn * pw * sizeof(uint32_t);
    size_t len = PART_HDR * sizeof(uint64_t) + body;
    char *buf = malloc(len), *path = part_path(r->set->parts_dir, r->part_index);
    sciprune_status st = SCIPRUNE_OK;
    if (!buf || !path) st = nomem(err);
    if (!st) {
        uint64_t hdr[PART_HDR] = {PART_MAGIC, r->c.nv, (uint64_t)r->part_count,
                                  (uint64_t)r->part_index, dim, r->pn, r->ids_hash, 0};
        memcpy(buf, hdr, sizeof hdr);
        if (body) memcpy(buf + sizeof hdr, r->pbuf, body);
        st = sp_mkdirs(r->set->parts_dir, err);
    }
    if (!st) st = sp_write_file_atomic(path, buf, len, err);
    free(buf);
    free(path);
    return st;
}

/* The merge: read every part (checked again against the variants at the end, part_check()). */
static sciprune_status part_load(an_run *r, uint32_t dim, sciprune_error *err)
{
    r->pdata = calloc((size_t)r->part_count, sizeof *r->pdata);
    r->plen = calloc((size_t)r->part_count, sizeof *r->plen);
    if (!r->pdata || !r->plen) return nomem(err);
    for (int k = 0; k < r->part_count; k++) {
        char *path = part_path(r->set->parts_dir, k);
        if (!path) return nomem(err);
        sciprune_status st = sp_read_file(path, &r->pdata[k], &r->plen[k], err);
        free(path);
        if (st == SCIPRUNE_ENOMEM) return st;
        if (st) return part_stale(r, k, "missing", err);
        uint64_t h[PART_HDR];
        if (r->plen[k] < sizeof h) return part_stale(r, k, "from another job", err);
        memcpy(h, r->pdata[k], sizeof h);
        if (h[0] != PART_MAGIC || h[2] != (uint64_t)r->part_count || h[3] != (uint64_t)k ||
            h[4] != dim || h[5] > (r->plen[k] - sizeof h) / sizeof(uint32_t) / PART_WORDS(dim) ||
            r->plen[k] != sizeof h + h[5] * PART_WORDS(dim) * sizeof(uint32_t))
            return part_stale(r, k, "from another job", err);
    }
    return SCIPRUNE_OK;
}

/* Variant j's record in the parts; NULL: not there (a part from another job). */
static const char *part_rec(const an_run *r, size_t j, uint32_t dim)
{
    int k = (int)(j % (size_t)r->part_count);
    uint64_t i = j / (size_t)r->part_count, n;
    memcpy(&n, r->pdata[k] + 5 * sizeof n, sizeof n);
    if (i >= n) return NULL;
    return r->pdata[k] + PART_HDR * sizeof(uint64_t) + i * PART_WORDS(dim) * sizeof(uint32_t);
}

/* Every part made from these variants, each with all of its own. */
static sciprune_status part_check(const an_run *r, sciprune_error *err)
{
    for (int k = 0; k < r->part_count; k++) {
        uint64_t h[PART_HDR];
        memcpy(h, r->pdata[k], sizeof h);
        if (h[1] != r->c.nv || h[6] != r->ids_hash || h[5] != part_expect(r->c.nv, r->part_count, k))
            return part_stale(r, k, "from another job", err);
    }
    return SCIPRUNE_OK;
}

/* Remove every variants-*.bin and gates-*.bin in dir (this job's parts and any of a job with
 * more ranks). */
static void part_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if ((strncmp(de->d_name, "variants-", 9) && strncmp(de->d_name, "gates-", 6)) || l < 10 ||
            strcmp(de->d_name + l - 4, ".bin"))
            continue;
        char *p = path3(dir, "", de->d_name);
        if (p) unlink(p);
        free(p);
    }
    closedir(d);
}

typedef struct embed_job {
    an_run *r;
    const batch *b;
    sciprune_parser **parsers; /* one per worker */
    sciprune_gates_settings gs; /* js_envs of W/gates */
    float *vecs;
    uint32_t dim;
    sciprune_gate_scores gsc[BATCH];
    float nat[BATCH];
    float sites[BATCH];
} embed_job;

/* Embed one variant; the quality gates parse it once more (variants are few). */
static sciprune_status embed_item(void *ctx, int worker, size_t i, sciprune_error *err)
{
    embed_job *j = ctx;
    const batch *b = j->b;
    sciprune_parser *p = j->parsers[worker];
    sciprune_status st = sciprune_embedder_embed(j->r->emb, p, b->lang[i], b->text[i], b->len[i],
                                                 j->vecs + i * j->dim, j->dim, NULL, err);
    if (!st)
        st = sciprune_gate_score_file(p, b->lang[i], NULL, b->text[i], b->len[i], &j->gs,
                                      &j->gsc[i], err);
    j->nat[i] = -30.0f;
    if (!st && j->r->have_nat)
        st = sciprune_embedder_naturalness(j->r->emb, p, b->lang[i], b->text[i], b->len[i],
                                           &j->nat[i], err);
    j->sites[i] = 0.0f;
    if (!st && j->r->have_sites)
        st = sciprune_embedder_sites(j->r->emb, p, b->lang[i], b->text[i], b->len[i],
                                     &j->sites[i], err);
    return st;
}

/* Embed (or, in the merge, take from the parts) and assign a batch of variants b->j[0..n):
 * consecutive indices in one call and the merge (the assignment's batches), this part's own
 * in a part (kept in r->pbuf for part_write(), not assigned). */
static sciprune_status embed_batch(an_run *r, batch *b, sciprune_parser **parsers, int nthreads,
                                   float *vecs, uint32_t dim, sciprune_error *err)
{
    embed_job *j = malloc(sizeof *j);
    if (!j) return nomem(err);
    *j = (embed_job){.r = r, .b = b, .parsers = parsers, .vecs = vecs, .dim = dim};
    sciprune_gates_settings_default(&j->gs);
    j->gs.js_envs = r->js_envs;
    float pe[BATCH], un[BATCH];
    uint32_t guard[BATCH];
    sciprune_status st = SCIPRUNE_OK;
    if (r->part_count && r->part_index < 0) { /* the merge: the ranks embedded them */
        for (size_t i = 0; i < b->n && !st; i++) {
            const char *rec = part_rec(r, b->j[i], dim);
            if (!rec) {
                st = part_stale(r, (int)(b->j[i] % (size_t)r->part_count), "from another job", err);
                break;
            }
            size_t w = sizeof(uint32_t);
            memcpy(vecs + i * dim, rec, dim * w);
            memcpy(&pe[i], rec + dim * w, w);
            memcpy(&un[i], rec + (dim + 1) * w, w);
            memcpy(&j->nat[i], rec + (dim + 2) * w, w);
            memcpy(&j->sites[i], rec + (dim + 3) * w, w);
            memcpy(&guard[i], rec + (dim + 4) * w, w);
        }
    } else {
        st = sp_parallel_for(b->n, nthreads, embed_item, j, err);
        for (size_t i = 0; !st && i < b->n; i++) {
            pe[i] = (float)j->gsc[i].parse_errors;
            un[i] = (float)j->gsc[i].undefined_names;
            guard[i] = (uint32_t)j->gsc[i].guard;
        }
    }
    if (!st && r->part_count && r->part_index >= 0) { /* a part: its records, in order */
        size_t pw = PART_WORDS(dim);
        if (r->pn + b->n > r->pcap) {
            size_t nc = r->pcap ? 2 * r->pcap : BATCH;
            while (nc < r->pn + b->n) nc *= 2;
            uint32_t *q = realloc(r->pbuf, nc * pw * sizeof *q);
            if (!q) st = nomem(err);
            else r->pbuf = q, r->pcap = nc;
        }
        for (size_t i = 0; !st && i < b->n; i++, r->pn++) {
            uint32_t *o = r->pbuf + r->pn * pw;
            memcpy(o, vecs + i * dim, dim * sizeof *o);
            memcpy(o + dim, &pe[i], sizeof *o);
            memcpy(o + dim + 1, &un[i], sizeof *o);
            memcpy(o + dim + 2, &j->nat[i], sizeof *o);
            memcpy(o + dim + 3, &j->sites[i], sizeof *o);
            o[dim + 4] = guard[i];
        }
        free(j);
        return st;
    }
    if (st) {
        free(j);
        return st;
    }
    int32_t cl[BATCH];
    float ds[BATCH];
    st = sciprune_index_assign(r->ix, vecs, b->n, cl, ds, err);
    if (st) {
        free(j);
        return st;
    }
    for (size_t i = 0; i < b->n; i++) {
        size_t v = b->j[i];
        r->c.vcl[v] = cl[i];
        r->c.vds[v] = ds[i];
        r->vpe[v] = gate_keeps(r, SCIPRUNE_GATE_PARSE_ERROR, b->lang[i], pe[i], ds[i]) ? pe[i] : 0.0f;
        r->vun[v] = gate_keeps(r, SCIPRUNE_GATE_UNDEFINED_NAME, b->lang[i], un[i], ds[i]) ? un[i] : 0.0f;
        r->v_guarded += guard[i] != (uint32_t)SCIPRUNE_GUARD_OK;
        r->vnat[v] = j->nat[i];
        r->vsites[v] = j->sites[i];
    }
    free(j);
    return SCIPRUNE_OK;
}

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The variants of r->files (the main set), then of r->hfiles (the held-out probes, after the
 * main set's last batch: the main set's assignment batches do not depend on them). A part embeds
 * its share j = part_index mod part_count of both, in the same order. */
static sciprune_status read_variants(an_run *r, sciprune_error *err)
{
    sciprune_status st = SCIPRUNE_OK;
    uint32_t dim = sciprune_embedder_dim(r->emb);
    if ((int)dim != sciprune_index_dim(r->ix))
        return sp_err(err, SCIPRUNE_ESTATE, NULL, -1, -1,
                      "embedder dimension %u differs from the index's %d", dim,
                      sciprune_index_dim(r->ix));
    int nthreads = sp_threads(r->set->threads, BATCH);
    if (strcmp(sciprune_embedder_backend_name(r->emb), "hash")) nthreads = 1;
    sciprune_parser **parsers = calloc((size_t)nthreads, sizeof *parsers);
    float *vecs = malloc((size_t)BATCH * dim * sizeof *vecs);
    batch b = {0};
    sciprune_shard_options so;
    sciprune_shard_options_default(&so);
    if (!parsers || !vecs) { st = nomem(err); goto done; }
    int merge = r->part_count && r->part_index < 0, part = r->part_count && r->part_index >= 0;
    for (int t = 0; t < nthreads && !merge; t++)
        if ((st = sciprune_parser_new(&parsers[t], err))) goto done;
    if (merge && (st = part_load(r, dim, err))) goto done;
    r->ids_hash = 0xcbf29ce484222325ULL;
    r->nv_main = 0;
    for (size_t f = 0; f < r->nfiles + r->nhfiles; f++) {
        const char *path = f < r->nfiles ? r->files[f] : r->hfiles[f - r->nfiles];
        if (f == r->nfiles) { /* the held-out set starts a batch of its own */
            if (b.n) st = embed_batch(r, &b, parsers, nthreads, vecs, dim, err);
            for (size_t i = 0; i < b.n; i++) free(b.text[i]);
            b.n = 0;
            if (st) goto done;
            r->nv_main = r->c.nv;
        }
        sciprune_shard_reader *rd = NULL;
        if ((st = sciprune_shard_reader_open(&rd, path, &so, err))) goto done;
        for (;;) {
            const sciprune_record *rec;
            if ((st = sciprune_shard_reader_next(rd, &rec, err))) break;
            if (!rec) break;
            if (rec->reject != SCIPRUNE_REJECT_NONE) {
                r->v_rejected++;
                continue;
            }
            json_t *o = json_loadb(rec->raw, rec->raw_len, 0, NULL);
            const char *type = o ? jstr(o, "corruption") : NULL;
            const char *kind = o ? jstr(o, "kind") : NULL;
            if (!type || !kind) {
                json_decref(o);
                st = !o && sp_json_alloc_failed()
                         ? sp_err(err, SCIPRUNE_ENOMEM, path, rec->line, -1, "out of memory")
                         : sp_err(err, SCIPRUNE_EPARSE, path, rec->line, -1,
                                  "not a corrupted variant: \"corruption\" or \"kind\" missing");
                break;
            }
            size_t j = r->c.nv;
            if (grow_var(r, j + 1)) { json_decref(o); st = nomem(err); break; }
            variant_meta *m = &r->vm[j];
            memset(m, 0, sizeof *m);
            m->type = intern(&r->types, type);
            m->lang = intern(&r->langs, rec->lang);
            m->kind = !strcmp(kind, "syntax") ? SCIPRUNE_CORRUPT_SYNTAX : SCIPRUNE_CORRUPT_CONTENT;
            m->id = strdup(rec->id);
            const char *oid = jstr(o, "orig_id");
            m->orig_id = strdup(oid ? oid : "");
            if (m->type == SIZE_MAX || m->lang == SIZE_MAX || !m->id || !m->orig_id) {
                json_decref(o);
                r->c.nv++; /* so the strings are freed */
                st = nomem(err);
                break;
            }
            int *tk = realloc(r->type_kind, r->types.n * sizeof *tk);
            if (!tk) { json_decref(o); r->c.nv++; st = nomem(err); break; }
            r->type_kind = tk;
            tk[m->type] = m->kind;
            /* the original: (orig_shard, orig_line) in the workdir's shards */
            r->c.vorig[j] = -1;
            const char *osh = jstr(o, "orig_shard");
            json_t *ol = json_object_get(o, "orig_line");
            if (osh && json_is_integer(ol) && r->rows) { /* a part has no clean side */
                int64_t line = json_integer_value(ol);
                for (size_t s = 0; s < r->shards->n; s++)
                    if (!strcmp(r->shards->names[s], osh)) {
                        if (line >= 1 && (uint64_t)line <= r->rows[s])
                            r->c.vorig[j] = r->rowmap[s][line - 1];
                        /* same shard name but another file: the ids tell (the random key is
                         * a hash of the id) */
                        if (r->c.vorig[j] >= 0 && oid &&
                            rank_key_random_id(oid, r->set->seed) !=
                                r->c.crnd[r->c.vorig[j]])
                            r->c.vorig[j] = -1;
                        break;
                    }
            }
            json_decref(o);
            r->c.vlen[j] = (int64_t)rec->text_len;
            r->c.vrnd[j] = rank_key_random_id(rec->id, r->set->seed);
            r->c.nv++;
            for (const char *q = rec->id; ; q++) { /* FNV-1a, the NUL included */
                r->ids_hash = (r->ids_hash ^ (uint8_t)*q) * 0x100000001b3ULL;
                if (!*q) break;
            }
            if (part && j % (size_t)r->part_count != (size_t)r->part_index) continue;
            b.text[b.n] = NULL;
            if (!merge && !(b.text[b.n] = malloc(rec->text_len + 1))) { st = nomem(err); break; }
            if (!merge) memcpy(b.text[b.n], rec->text, rec->text_len + 1);
            b.len[b.n] = rec->text_len;
            b.lang[b.n] = r->langs.s[m->lang];
            b.j[b.n] = j;
            b.n++;
            if (b.n == BATCH) {
                st = embed_batch(r, &b, parsers, nthreads, vecs, dim, err);
                for (size_t i = 0; i < b.n; i++) free(b.text[i]);
                b.n = 0;
                if (st) break;
            }
        }
        sciprune_shard_reader_close(rd);
        if (st) goto done;
    }
    if (b.n) st = embed_batch(r, &b, parsers, nthreads, vecs, dim, err);
    if (!r->nhfiles) r->nv_main = r->c.nv;
    if (!st && !r->nv_main) st = sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "no corrupted variant found");
    if (!st && merge) st = part_check(r, err);
    if (!st && part) st = part_write(r, dim, err);
    if (!st && !(r->c.vgate = malloc(r->c.nv))) st = nomem(err);
    for (size_t j = 0; !st && j < r->c.nv; j++)
        r->c.vgate[j] = (uint8_t)((r->vpe[j] > 0) | (r->vun[j] > 0) << 1);
done:
    for (size_t i = 0; i < b.n; i++) free(b.text[i]);
    if (parsers)
        for (int t = 0; t < nthreads; t++) sciprune_parser_free(parsers[t]);
    free(parsers);
    free(vecs);
    return st;
}

/* ------------------------------------------------------------- reporting */

typedef struct group {
    size_t type;        /* index into types */
    size_t lang;        /* SIZE_MAX: all languages */
    uint32_t *J;        /* owned */
    size_t nj;
    an_group_result res;
} group;

static double weight_of(const an_run *r, const char *type, int kind)
{
    const char *w = r->set->weights;
    double tw = NAN, kw = NAN, dw = NAN;
    const char *kname = sciprune_corrupt_kind_name((sciprune_corrupt_kind)kind);
    while (w && *w) {
        const char *e = strchr(w, ',');
        size_t l = e ? (size_t)(e - w) : strlen(w);
        const char *eq = memchr(w, '=', l);
        if (eq) {
            size_t kl = (size_t)(eq - w);
            double v = strtod(eq + 1, NULL);
            if (strlen(type) == kl && !strncmp(w, type, kl)) tw = v;
            else if (strlen(kname) == kl && !strncmp(w, kname, kl)) kw = v;
            else if (kl == 7 && !strncmp(w, "default", 7)) dw = v;
        }
        w = e ? e + 1 : w + l;
    }
    return !isnan(tw) ? tw : !isnan(kw) ? kw : !isnan(dw) ? dw : 1.0;
}

static sciprune_status check_weights(const char *w, sciprune_error *err)
{
    while (w && *w) {
        const char *e = strchr(w, ',');
        size_t l = e ? (size_t)(e - w) : strlen(w);
        const char *eq = memchr(w, '=', l);
        char num[64];
        if (!eq || eq == w || (size_t)(w + l - eq - 1) >= sizeof num || w + l - eq - 1 == 0)
            return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "bad weight '%.*s' (want NAME=W)", (int)l, w);
        memcpy(num, eq + 1, (size_t)(w + l - eq - 1));
        num[w + l - eq - 1] = '\0';
        char *end;
        double v = strtod(num, &end);
        if (end == num || *end || !(v >= 0) || isinf(v))
            return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "bad weight '%.*s' (want NAME=W, W >= 0)", (int)l, w);
        w = e ? e + 1 : w + l;
    }
    return SCIPRUNE_OK;
}

sciprune_status sciprune_analyze_settings_check(const sciprune_analyze_settings *s,
                                                sciprune_error *err)
{
    if (!s->n_ratios || !s->n_alphas || !(s->ratio >= 0 && s->ratio <= 1))
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "ratios and alphas in [0, 1] needed");
    if (!(s->gate_budget_share >= 0 && s->gate_budget_share <= 1))
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "gate_budget_share must be in [0, 1]");
    return check_weights(s->weights, err);
}

/* The one recommendation rule (report.md and report.json say it in these words). */
#define AN_RULE "among the candidates (size, distance, combined at every alpha, and their gate " \
    "plans when the gates fit the budget; random and length are baselines), the one whose " \
    "variants are pruned most: the highest weighted mean recall over the corruption types at " \
    "p; its lift (recall minus its originals' recall) says how much of that the corruption " \
    "itself makes catchable rather than where the files sit"

/* Row m of the recall tables: the plain metrics, then (m >= AN_N_METRICS(na)) "gate+<metric>". */
static void metric_name(char *buf, size_t cap, size_t m, const double *alphas, size_t na)
{
    if (m >= AN_N_METRICS(na) && cap > 5) {
        memcpy(buf, "gate+", 5);
        buf += 5;
        cap -= 5;
        m -= AN_N_METRICS(na);
    }
    if (m == 0) snprintf(buf, cap, "size");
    else if (m == 1) snprintf(buf, cap, "distance");
    else if (m < 2 + na) snprintf(buf, cap, "combined-a%.2f", alphas[m - 2]);
    else if (m == 2 + na) snprintf(buf, cap, "random");
    else snprintf(buf, cap, "length");
}

/* jansson's setters fail quietly (NULL value, out of memory): these record it in a local
 * `bad`, so an incomplete report is never written. They take ownership of v in any case. */
static int jset_(json_t *o, const char *k, json_t *v)
{
    if (!o || !v) {
        json_decref(v);
        return 1;
    }
    return json_object_set_new(o, k, v) != 0;
}
static int japp_(json_t *a, json_t *v)
{
    if (!a || !v) {
        json_decref(v);
        return 1;
    }
    return json_array_append_new(a, v) != 0;
}
#define JSET(o, k, v) (bad |= jset_((o), (k), (v)))
#define JAPP(a, v) (bad |= japp_((a), (v)))

static json_t *jnum(double x)
{
    return isnan(x) ? json_null() : json_real(x);
}

static const char *auroc_names[AN_ORD_COUNT] = {"size", "distance", "random", "length"};
static const char *const gate_names[3] = {"parse_error", "undefined_name", "gates"};

/* NULL on ENOMEM. */
static json_t *group_json(const an_run *r, const group *g)
{
    int bad = 0;
    const sciprune_analyze_settings *s = r->set;
    size_t na = s->n_alphas;
    json_t *o = json_object(), *rec = json_object(), *au = json_object(), *mv = json_object();
    json_t *orec = json_object();
    JSET(o, "type", json_string(r->types.s[g->type]));
    JSET(o, "kind", json_string(sciprune_corrupt_kind_name(
                                       (sciprune_corrupt_kind)r->type_kind[g->type])));
    JSET(o, "lang", json_string(g->lang == SIZE_MAX ? "all" : r->langs.s[g->lang]));
    JSET(o, "n", json_integer((json_int_t)g->nj));
    JSET(o, "n_orig", json_integer((json_int_t)g->res.n_orig));
    for (size_t m = 0; m < AN_N_ROWS(na, r->c.cgate != NULL); m++) {
        char name[48];
        metric_name(name, sizeof name, m, s->alphas, na);
        json_t *a = json_array(), *b = json_array();
        for (size_t i = 0; i < r->nr; i++) {
            JAPP(a, jnum(g->res.recall[m * r->nr + i]));
            JAPP(b, jnum(g->res.orig_recall[m * r->nr + i]));
        }
        JSET(rec, name, a);
        JSET(orec, name, b);
    }
    JSET(o, "recall", rec);
    JSET(o, "orig_recall", orec);
    if (r->c.cgate) {
        json_t *gt = json_object();
        for (int q = 0; q < 3; q++) JSET(gt, gate_names[q], jnum(g->res.gate_recall[q]));
        JSET(o, "gates", gt);
    } else {
        JSET(o, "gates", json_null());
    }
    for (int k = 0; k < AN_ORD_COUNT; k++) JSET(au, auroc_names[k], jnum(g->res.auroc[k]));
    JSET(o, "auroc", au);
    JSET(mv, "share_smaller_cluster", jnum(g->res.share_smaller));
    JSET(mv, "share_same_cluster", jnum(g->res.share_same));
    JSET(mv, "median_delta_size_pct", jnum(g->res.med_dsize_pct));
    JSET(mv, "median_delta_dist_pct", jnum(g->res.med_ddist_pct));
    JSET(mv, "median_dist", jnum(g->res.med_dist));
    JSET(mv, "median_orig_dist", jnum(g->res.med_orig_dist));
    JSET(o, "movement", mv);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static sciprune_status write_text(const char *dir, const char *name, const char *txt,
                                  sciprune_error *err)
{
    char *p = path3(dir, "", name);
    if (!p) return nomem(err);
    sciprune_status st = sp_write_file_atomic(p, txt, strlen(txt), err);
    free(p);
    return st;
}

static sciprune_status write_npy(const char *dir, const char *name, sp_npy_dtype t, size_t n,
                                 const void *data, sciprune_error *err)
{
    char *p = path3(dir, "", name);
    if (!p) return nomem(err);
    sciprune_status st = sp_npy_write(p, t, n, 0, data, err);
    free(p);
    return st;
}

/* A growing string for report.md. */
typedef struct sbuf {
    char *s;
    size_t n, cap;
    int oom;
} sbuf;

SP_PRINTF(2, 3) static void sb(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int l = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (l < 0) { b->oom = 1; return; }
        if (b->s && b->n + (size_t)l < b->cap) { b->n += (size_t)l; return; }
        size_t nc = b->cap ? b->cap * 2 : 4096;
        while (nc < b->n + (size_t)l + 1) nc *= 2;
        char *q = realloc(b->s, nc);
        if (!q) { b->oom = 1; return; }
        b->s = q;
        b->cap = nc;
    }
}

static void sb_pct(sbuf *b, double x)
{
    if (isnan(x)) sb(b, " – |");
    else sb(b, " %.1f |", 100.0 * x);
}

/* ------------------------------------------------------- gate reporting */

#define GENERATED_HEURISTIC                                                                     \
    "a clean file counts as generated when its first 2 KiB contain (ASCII case ignored) "     \
    "\"generated by\", \"do not edit\", \"auto-generated\", \"autogenerated\", \"@generated\" " \
    "or \"code generated\", or when it is minified: over 10 KiB with an average line over "   \
    "300 bytes or a line over 5000 bytes"

typedef struct gate_counts {
    uint64_t n, ngen, flagged[3], flagged_gen[3]; /* [parse_error, undefined_name, either] */
} gate_counts;

static void gate_count(const an_run *r, size_t g, gate_counts *c)
{
    uint8_t f = r->c.cgate[g];
    int on[3] = {f & 1, (f >> 1) & 1, f != 0};
    c->n++;
    c->ngen += r->cgen[g];
    for (int q = 0; q < 3; q++) {
        c->flagged[q] += (uint64_t)on[q];
        c->flagged_gen[q] += (uint64_t)(on[q] && r->cgen[g]);
    }
}

static double ratio_or_nan(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : NAN;
}

/* NULL on ENOMEM. */
static json_t *gate_counts_json(const gate_counts *c)
{
    int bad = 0;
    json_t *o = json_object();
    JSET(o, "n", json_integer((json_int_t)c->n));
    JSET(o, "n_generated", json_integer((json_int_t)c->ngen));
    JSET(o, "generated_share", jnum(ratio_or_nan(c->ngen, c->n)));
    for (int q = 0; q < 3; q++) {
        json_t *x = json_object();
        JSET(x, "flagged", json_integer((json_int_t)c->flagged[q]));
        JSET(x, "share", jnum(ratio_or_nan(c->flagged[q], c->n)));
        JSET(x, "flagged_generated", json_integer((json_int_t)c->flagged_gen[q]));
        JSET(x, "generated_share_of_flagged", jnum(ratio_or_nan(c->flagged_gen[q], c->flagged[q])));
        JSET(x, "share_of_generated_flagged", jnum(ratio_or_nan(c->flagged_gen[q], c->ngen)));
        JSET(o, gate_names[q], x);
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static void gate_counts_md(sbuf *md, const char *lang, const gate_counts *c)
{
    sb(md, "| %s | %llu |", SP_MD(lang), (unsigned long long)c->n);
    sb_pct(md, ratio_or_nan(c->ngen, c->n));
    for (int q = 0; q < 3; q++) {
        sb(md, " %llu |", (unsigned long long)c->flagged[q]);
        sb_pct(md, ratio_or_nan(c->flagged[q], c->n));
        sb_pct(md, ratio_or_nan(c->flagged_gen[q], c->flagged[q]));
    }
    sb(md, "\n");
}

/* W/analyze report.json "gates" and the report.md section; clean counts in *all. */
/* A markdown table cell: '|' escaped, control characters and backticks shown as spaces. */
static void md_cell(sbuf *md, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '|') sb(md, "\\|");
        else if (c < 0x20 || c == 0x7f || c == '`') sb(md, " ");
        else sb(md, "%c", c);
    }
}

static sciprune_status gates_report(const an_run *r, json_t *root, sbuf *md, gate_counts *all,
                                    sciprune_error *err)
{
    int bad = 0;
    size_t nl = r->clangs.n, nc = r->c.nc;
    gate_counts *bl = calloc(nl ? nl : 1, sizeof *bl);
    size_t *lo = malloc((nl ? nl : 1) * sizeof *lo);
    if (!bl || !lo) {
        free(bl);
        free(lo);
        return nomem(err);
    }
    memset(all, 0, sizeof *all);
    for (size_t g = 0; g < nc; g++) {
        gate_count(r, g, all);
        gate_count(r, g, &bl[r->clang[g]]);
    }
    for (size_t i = 0; i < nl; i++) lo[i] = i;
    for (size_t i = 1; i < nl; i++)
        for (size_t j = i; j > 0 && strcmp(r->clangs.s[lo[j - 1]], r->clangs.s[lo[j]]) > 0; j--) {
            size_t t = lo[j]; lo[j] = lo[j - 1]; lo[j - 1] = t;
        }
    json_t *gj = json_object(), *langs = json_object(), *byl = json_object(), *bud = json_array();
    JSET(gj, "source", json_string(r->gates_from_files ? "W/gates" : "computed"));
    JSET(gj, "source_note", json_string(r->gates_from_files ? "" : r->gates_note));
    for (int k = 0; k < SCIPRUNE_GATE_COUNT; k++) {
        json_t *l = json_array();
        for (size_t i = 0; i < nl; i++)
            if (gate_on(r, k, r->clangs.s[lo[i]])) JAPP(l, json_string(r->clangs.s[lo[i]]));
        JSET(langs, gate_names[k], l);
    }
    JSET(gj, "languages_on", langs);
    JSET(gj, "languages_source", json_string(r->gl_source));
    JSET(gj, "judged", judged_json(r, lo, nl));
    JSET(gj, "generated_heuristic", json_string(GENERATED_HEURISTIC));
    JSET(gj, "clean", gate_counts_json(all));
    for (size_t i = 0; i < nl; i++) JSET(byl, r->clangs.s[lo[i]], gate_counts_json(&bl[lo[i]]));
    JSET(gj, "clean_by_lang", byl);
    for (size_t i = 0; i < r->nr; i++) {
        json_t *b = json_object();
        double x = floor(r->ratios[i] * (double)nc + 0.5);
        uint64_t n = x > (double)nc ? nc : (uint64_t)x;
        JSET(b, "ratio", json_real(r->ratios[i]));
        JSET(b, "n_budget", json_integer((json_int_t)n));
        JSET(b, "n_gated", json_integer((json_int_t)all->flagged[2]));
        JSET(b, "gates_exceed_budget", json_boolean(all->flagged[2] > n));
        JAPP(bud, b);
    }
    JSET(gj, "budget", bud);
    json_t *exa = json_array();
    for (int k = 0; k < SCIPRUNE_GATE_COUNT; k++)
        for (size_t i = 0; i < nl; i++)
            for (size_t e = 0; e < r->nex; e++) {
                const an_example *x = &r->ex[e];
                if (x->gate != k || x->lang != lo[i]) continue;
                json_t *o = json_object();
                JSET(o, "gate", json_string(gate_names[k]));
                JSET(o, "lang", json_string(r->clangs.s[x->lang]));
                JSET(o, "shard", json_string(x->shard));
                JSET(o, "line", json_integer((json_int_t)x->line));
                JSET(o, "path", x->path ? json_string(x->path) : json_null());
                JSET(o, "value", json_real(x->value));
                JSET(o, "error_line", x->err_line ? json_integer(x->err_line) : json_null());
                JSET(o, "detail", json_string(x->detail));
                JAPP(exa, o);
            }
    JSET(gj, "examples", exa);
    JSET(root, "gates", gj);

    sb(md, "\n## Quality gates\n\nClean-side values %s; gates on for: parse_error [",
       r->gates_from_files ? "read from W/gates" : "computed here (no usable W/gates files)");
    for (size_t i = 0, first = 1; i < nl; i++)
        if (gate_on(r, SCIPRUNE_GATE_PARSE_ERROR, r->clangs.s[lo[i]])) {
            sb(md, "%s%s", first ? "" : ", ", SP_MD(r->clangs.s[lo[i]]));
            first = 0;
        }
    sb(md, "], undefined_name [");
    for (size_t i = 0, first = 1; i < nl; i++)
        if (gate_on(r, SCIPRUNE_GATE_UNDEFINED_NAME, r->clangs.s[lo[i]])) {
            sb(md, "%s%s", first ? "" : ", ", SP_MD(r->clangs.s[lo[i]]));
            first = 0;
        }
    sb(md, "] (%s). Generated files: %s.\n\n", r->gl_source, GENERATED_HEURISTIC);
    for (size_t i = 0; r->judged && i < nl; i++)
        for (int k = 0; k < SCIPRUNE_GATE_COUNT; k++)
            if (r->joff[k][lo[i]])
                sb(md, "> **Gate judged off:** %s for %s: it flags %.1f %% of the %s files, over %s "
                       "(gate_budget_share %.2g x p %.2f = %.1f %%; parse_error is capped up to p, "
                       "undefined_name never: its flags depend on the environment). The gate plans "
                       "and metric auto leave it out; turn it on by hand (or raise "
                       "analyze.gate_budget_share) to use it as a filter.\n\n",
                   k == SCIPRUNE_GATE_PARSE_ERROR ? "parse_error" : "undefined_name", SP_MD(r->clangs.s[lo[i]]),
                   100.0 * (double)r->jflag[k][lo[i]] / (double)r->jn[lo[i]], SP_MD(r->clangs.s[lo[i]]),
                   k == SCIPRUNE_GATE_PARSE_ERROR ? "p: its flags alone exceed the language's budget"
                                                  : "the limit",
                   r->set->gate_budget_share, r->set->ratio, 100.0 * r->jlimit);
            else if (r->jcap[k][lo[i]])
                sb(md, "> **Gate capped:** %s for %s: it flags %.1f %% of the %s files (%llu), over "
                       "the limit %.1f %% (gate_budget_share %.2g x p %.2f) but within p: the gate "
                       "plans and metric auto gate its %llu most severe flags (value >= %g, then "
                       "by distance); the other %llu are ranked by the fill metric like any file. "
                       "Over p it would be judged off.\n\n",
                   k == SCIPRUNE_GATE_PARSE_ERROR ? "parse_error" : "undefined_name", SP_MD(r->clangs.s[lo[i]]),
                   100.0 * (double)r->jflag[k][lo[i]] / (double)r->jn[lo[i]], SP_MD(r->clangs.s[lo[i]]),
                   (unsigned long long)r->jflag[k][lo[i]], 100.0 * r->jlimit,
                   r->set->gate_budget_share, r->set->ratio, (unsigned long long)r->jkeep[k][lo[i]],
                   (double)r->jvmin[k][lo[i]],
                   (unsigned long long)(r->jflag[k][lo[i]] - r->jkeep[k][lo[i]]));
    sb(md, "| lang | files | generated (%%) | parse_error | flagged (%%) | of them generated (%%) "
           "| undefined_name | flagged (%%) | of them generated (%%) | either | flagged (%%) "
           "| of them generated (%%) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    gate_counts_md(md, "all", all);
    for (size_t i = 0; i < nl; i++) gate_counts_md(md, r->clangs.s[lo[i]], &bl[lo[i]]);
    sb(md, "\nA gate plan prunes every flagged file first: %llu clean files (%.1f %%); ",
       (unsigned long long)all->flagged[2], 100.0 * ratio_or_nan(all->flagged[2], nc));
    int any = 0;
    for (size_t i = 0; i < r->nr; i++) {
        double x = floor(r->ratios[i] * (double)nc + 0.5);
        if (all->flagged[2] > (uint64_t)x) {
            sb(md, "%sp = %.2f", any ? ", " : "they exceed the budget at ", r->ratios[i]);
            any = 1;
        }
    }
    sb(md, any ? ".\n" : "they fit the budget at every ratio.\n");
    if (r->nex) {
        sb(md, "\nExamples of flagged clean files (the first %d per gate and language in input "
               "order, gates on by the settings; a gate judged off above is listed too, as what it "
               "would remove):\n\n| gate | lang | shard | line | path | value | first error line "
               "| detail |\n|---|---|---|---:|---|---:|---:|---|\n", AN_EXAMPLES);
        for (int k = 0; k < SCIPRUNE_GATE_COUNT; k++)
            for (size_t i = 0; i < nl; i++)
                for (size_t e = 0; e < r->nex; e++) {
                    const an_example *x = &r->ex[e];
                    if (x->gate != k || x->lang != lo[i]) continue;
                    sb(md, "| %s | %s | ", gate_names[k], r->clangs.s[x->lang]);
                    md_cell(md, x->shard);
                    sb(md, " | %llu | ", (unsigned long long)x->line);
                    md_cell(md, x->path ? x->path : "");
                    sb(md, " | %g | ", (double)x->value);
                    if (x->err_line) sb(md, "%u", x->err_line);
                    else sb(md, "–");
                    sb(md, " | ");
                    md_cell(md, x->detail);
                    sb(md, " |\n");
                }
    }
    free(bl);
    free(lo);
    return bad ? nomem(err) : SCIPRUNE_OK;
}

/* snprintf at b + *o, never past cap. */
SP_PRINTF(4, 5) static void cat(char *b, size_t cap, size_t *o, const char *fmt, ...)
{
    if (*o + 1 >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int l = vsnprintf(b + *o, cap - *o, fmt, ap);
    va_end(ap);
    if (l > 0) *o = *o + (size_t)l < cap ? *o + (size_t)l : cap - 1;
}

/* The report's numbers at the recommendation ratio (r->ratios[ip]): the weighted mean recall
 * of every metric and plan over the all-language type groups, and what is recommended. The
 * parts of write_outputs() share it. */
typedef struct pick {
    const group *gs;
    size_t ng, ip;
    size_t na, nm, nr, nrow;  /* alphas, metrics, ratios, rows (metrics, then gate plans) */
    double *mean, *omean;     /* nrow each: the variants' and their originals' recall; owned */
    uint64_t ngated;          /* clean records either gate flags */
    int exceed;               /* they exceed the budget: gate plans not considered */
    size_t best, lbest;       /* the row picked on recall, on lift */
    size_t bfill;             /* best's metric (its fill metric for a plan) */
    double balpha;            /* best's alpha, -1 for none */
    size_t bcomb;             /* the combined row the text compares with */
    size_t norig;             /* variants with their original */
    char bname[48], lname[48];
    char rtext[512];          /* the recommendation in one line */
    json_t *strata;           /* corrupt.json's "strata" or NULL; owned */
    const struct an_sem_vs *adv; /* the semantic section's plan that beats the pick on the
                                    held-out test (paired, > 2 se), or NULL (held_out_advice) */
    char atext[512];          /* adv in one line */
} pick;
static double baseline_se(const an_run *r, const pick *p);

/* The raw per-record arrays and variants.jsonl. Errors: EIO, ENOMEM. */
static sciprune_status write_raw(an_run *r, const char *dir, sciprune_error *err)
{
    sciprune_status st;
    int bad = 0;
    sbuf jl = {0};
    size_t nc = r->c.nc, nv = r->c.nv;
    if ((st = write_npy(dir, "clean.cluster.npy", SP_NPY_I32, nc, r->c.ccl, err)) ||
        (st = write_npy(dir, "clean.dist.npy", SP_NPY_F32, nc, r->c.cds, err)) ||
        (st = write_npy(dir, "clean.length.npy", SP_NPY_I64, nc, r->c.clen, err)) ||
        (st = write_npy(dir, "clean.random.npy", SP_NPY_I64, nc, r->c.crnd, err)) ||
        (st = write_npy(dir, "variants.cluster.npy", SP_NPY_I32, nv, r->c.vcl, err)) ||
        (st = write_npy(dir, "variants.dist.npy", SP_NPY_F32, nv, r->c.vds, err)) ||
        (st = write_npy(dir, "variants.length.npy", SP_NPY_I64, nv, r->c.vlen, err)) ||
        (st = write_npy(dir, "variants.random.npy", SP_NPY_I64, nv, r->c.vrnd, err)) ||
        (st = write_npy(dir, "variants.orig.npy", SP_NPY_I64, nv, r->c.vorig, err)) ||
        (st = write_npy(dir, "clean.parse_error.npy", SP_NPY_F32, nc, r->cpe, err)) ||
        (st = write_npy(dir, "clean.undefined_name.npy", SP_NPY_F32, nc, r->cun, err)) ||
        (st = write_npy(dir, "clean.generated.npy", SP_NPY_U8, nc, r->cgen, err)) ||
        (st = write_npy(dir, "variants.parse_error.npy", SP_NPY_F32, nv, r->vpe, err)) ||
        (st = write_npy(dir, "variants.undefined_name.npy", SP_NPY_F32, nv, r->vun, err)) ||
        (st = write_npy(dir, "clean.naturalness.npy", SP_NPY_F32, nc, r->cnat, err)) ||
        (st = write_npy(dir, "variants.naturalness.npy", SP_NPY_F32, nv, r->vnat, err)) ||
        (r->have_sites &&
         ((st = write_npy(dir, "clean.sites.npy", SP_NPY_F32, nc, r->csites, err)) ||
          (st = write_npy(dir, "variants.sites.npy", SP_NPY_F32, nv, r->vsites, err)))))
        goto out;
    for (size_t j = 0; j < nv; j++) {
        json_t *o = json_object();
        JSET(o, "row", json_integer((json_int_t)j));
        JSET(o, "id", json_string(r->vm[j].id));
        JSET(o, "orig_id", json_string(r->vm[j].orig_id));
        JSET(o, "type", json_string(r->types.s[r->vm[j].type]));
        JSET(o, "kind", json_string(sciprune_corrupt_kind_name((sciprune_corrupt_kind)r->vm[j].kind)));
        JSET(o, "lang", json_string(r->langs.s[r->vm[j].lang]));
        char *t = bad ? NULL : sp_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(o);
        if (!t) { st = nomem(err); goto out; }
        sb(&jl, "%s\n", t);
        free(t);
    }
    if (jl.oom) { st = nomem(err); goto out; }
    if ((st = write_text(dir, "variants.jsonl", jl.s ? jl.s : "", err))) goto out;

out:
    free(jl.s);
    return st;
}

/* The weighted means and the picks (p->gs .. p->nrow and the mean arrays set). */
static void recommend(const an_run *r, pick *p)
{
    const sciprune_analyze_settings *s = r->set;
    const group *gs = p->gs;
    size_t ng = p->ng, ip = p->ip, na = p->na, nm = p->nm, nr = p->nr, nrow = p->nrow;
    size_t nc = r->c.nc;
    double *mean = p->mean, *omean = p->omean;
    /* recommendation: weighted mean recall over the all-language type groups at ratio ip */
    double wsum = 0;
    for (size_t gi = 0; gi < ng; gi++) {
        if (gs[gi].lang != SIZE_MAX) continue;
        double w = weight_of(r, r->types.s[gs[gi].type], r->type_kind[gs[gi].type]);
        wsum += w;
        for (size_t m = 0; m < nrow; m++) {
            mean[m] += w * gs[gi].res.recall[m * nr + ip];
            double orc = gs[gi].res.orig_recall[m * nr + ip];
            omean[m] += w * (isnan(orc) ? 0.0 : orc);
        }
    }
    /* Gate plans compete only when the flagged clean records fit the budget at the ratio:
     * past it a plan prunes more than p of the corpus, and its recall is not comparable. */
    uint64_t ngated = 0;
    for (size_t g = 0; r->c.cgate && g < nc; g++) ngated += r->c.cgate[g] != 0;
    int exceed = r->c.cgate && (double)ngated > floor(s->ratio * (double)nc + 0.5);
    size_t ncand = exceed ? nm : nrow;
    /* random and length are baselines: reported, never recommended. Their recall measures where
     * the probes sit, not what the corruption did (corruptible files are longer than most: their
     * originals are pruned by length far above p, see candidates_orig_recall), and pruning the
     * longest files removes the most code. */
#define IS_BASELINE(m) ((m) % nm >= 2 + na)
    size_t best = 0;
    for (size_t m = 0; m < nrow; m++) {
        mean[m] = wsum > 0 ? mean[m] / wsum : NAN;
        omean[m] = wsum > 0 ? omean[m] / wsum : NAN;
        if (m < ncand && !IS_BASELINE(m) && !isnan(mean[m]) &&
            (isnan(mean[best]) || mean[m] > mean[best]))
            best = m;
    }
    char bname[48];
    metric_name(bname, sizeof bname, best, s->alphas, na);
    /* the same pick on lift (recall minus the originals' recall): what the corruption itself
     * makes catchable, without files that are pruned wherever they sit */
    size_t lbest = 0;
    for (size_t m = 0; m < ncand; m++)
        if (!IS_BASELINE(m) && mean[m] - omean[m] > mean[lbest] - omean[lbest]) lbest = m;
#undef IS_BASELINE
    char lname[48];
    metric_name(lname, sizeof lname, lbest, s->alphas, na);
    size_t bfill = best % nm; /* the fill metric of a gate plan */
    double balpha = bfill == 0 ? 1.0 : bfill == 1 ? 0.0 : bfill < 2 + na ? s->alphas[bfill - 2] : -1.0;
    /* the plain metrics to compare the pick with: distance, the best combined with 0 < alpha
     * < 1 (alpha 0 is distance, 1 is size) where there is one, random */
    size_t bcomb = 2;
    int inner = 0;
    for (size_t m = 2; m < 2 + na; m++) {
        int in = s->alphas[m - 2] > 0 && s->alphas[m - 2] < 1;
        if ((in && !inner) || (in == inner && mean[m] > mean[bcomb])) {
            bcomb = m;
            inner = in;
        }
    }
    p->ngated = ngated;
    p->exceed = exceed;
    p->best = best;
    p->lbest = lbest;
    p->bfill = bfill;
    p->balpha = balpha;
    p->bcomb = bcomb;
    memcpy(p->bname, bname, sizeof p->bname);
    memcpy(p->lname, lname, sizeof p->lname);
}

/* p->rtext: the pick against distance, combined, gate+distance and random, in one line. */
static void recommend_text(const an_run *r, pick *p)
{
    const sciprune_analyze_settings *s = r->set;
    size_t na = p->na, nm = p->nm, best = p->best, bfill = p->bfill, bcomb = p->bcomb;
    size_t nc = r->c.nc;
    const double *mean = p->mean;
    uint64_t ngated = p->ngated;
    int exceed = p->exceed;
    const char *bname = p->bname;
    char rtext[512];
    {
        size_t o = 0;
        rtext[0] = '\0';
        char fname[48];
        cat(rtext, sizeof rtext, &o, "%s at p=%.2f: mean recall %.2f (", bname, s->ratio,
            mean[best]);
        const char *sep = "";
        if (best >= nm) {
            metric_name(fname, sizeof fname, bfill, s->alphas, na);
            cat(rtext, sizeof rtext, &o, "%s alone %.2f", fname, mean[bfill]);
            sep = ", ";
        }
        if (bfill != 1) { /* best or its fill is distance: said already */
            cat(rtext, sizeof rtext, &o, "%sdistance %.2f", sep, mean[1]);
            sep = ", ";
        }
        if (bfill != bcomb) {
            cat(rtext, sizeof rtext, &o, "%scombined α=%g %.2f", sep, s->alphas[bcomb - 2],
                mean[bcomb]);
            sep = ", ";
        }
        if (best < nm && r->c.cgate && !exceed) {
            cat(rtext, sizeof rtext, &o, "%sgate+distance %.2f", sep, mean[nm + 1]);
            sep = ", ";
        }
        if (bfill != 2 + na) cat(rtext, sizeof rtext, &o, "%srandom %.2f", sep, mean[2 + na]);
        cat(rtext, sizeof rtext, &o, ")");
        if (exceed)
            cat(rtext, sizeof rtext, &o, "; gate plans not considered: the gates flag %.1f%% of "
                "clean files, over the budget", 100.0 * ratio_or_nan(ngated, nc));
        else if (r->c.cgate)
            cat(rtext, sizeof rtext, &o, "; gates remove %.1f%% of clean files",
                100.0 * ratio_or_nan(ngated, nc));
    }

    memcpy(p->rtext, rtext, sizeof p->rtext);
}

/* p->adv: when the pick is distance, size or their gate plan (what the held-out test also
 * scores), the semantic section's learned or sites plan that beats it there by more than 2 se (the
 * largest such gain), with its sentence. With settings.held_out_auto, metric auto takes it
 * (recommendation.auto); else it is advice only. */
/* The pick's metric name: "[gate+]" and its fill (size, distance, combined, random, length). */
static void pick_metric(const pick *p, char *buf, size_t cap)
{
    size_t f = p->bfill, na = p->na;
    snprintf(buf, cap, "%s%s", p->best >= p->nm ? "gate+" : "",
             f == 0 ? "size" : f == 1 ? "distance" : f < 2 + na ? "combined"
             : f == 2 + na ? "random" : "length");
}

static void held_out_advice(const an_run *r, pick *p)
{
    p->adv = NULL;
    p->atext[0] = '\0';
    if (p->bfill != 1 && p->bfill != 0) return; /* a distance or size pick (or its gate plan) */
    char bmetric[48];
    pick_metric(p, bmetric, sizeof bmetric);
    for (size_t i = 0; i < r->sem.n_vs; i++) {
        const struct an_sem_vs *v = &r->sem.vs[i];
        if (strcmp(v->against, bmetric) || !(v->diff > 2 * v->se)) continue;
        if (!p->adv || v->diff > p->adv->diff) p->adv = v;
    }
    if (!p->adv)
        return;
    char tail[160];
    if (r->set->held_out_auto)
        snprintf(tail, sizeof tail, "metric auto prunes with %s (analyze.held_out_auto)",
                 p->adv->metric);
    else
        snprintf(tail, sizeof tail, "list %s in score.metrics to prune with it (auto keeps to %s: "
                 "analyze.held_out_auto is off)", p->adv->metric, p->bname);
    snprintf(p->atext, sizeof p->atext,
             "on the held-out test (files and corruptions the learned model never saw), %s "
             "catches %.3f of the probes against %s's %.3f at p=%.2f (every type weighted as "
             "here; paired difference %+.3f, se %.3f): %s",
             p->adv->metric, p->adv->mean, p->adv->against, p->adv->mean_against, r->set->ratio,
             p->adv->diff, p->adv->se, tail);
}

/* report.json's "recommendation" and "recommendation_by_lift" into root; 1 when a value
 * could not be built (out of memory). */
static int recommendation_json(const an_run *r, const pick *p, json_t *root)
{
    int bad = 0;
    const sciprune_analyze_settings *s = r->set;
    const group *gs = p->gs;
    size_t ng = p->ng, ip = p->ip, na = p->na, nr = p->nr, nrow = p->nrow;
    const double *mean = p->mean, *omean = p->omean;
    size_t best = p->best;
    double balpha = p->balpha;
    size_t nc = r->c.nc;
    uint64_t ngated = p->ngated;
    int exceed = p->exceed;
    const char *bname = p->bname, *rtext = p->rtext;
    json_t *rc = json_object(), *cand = json_object(), *pt = json_object(), *wt = json_object();
    JSET(rc, "name", json_string(bname));
    char bmetric[48];
    pick_metric(p, bmetric, sizeof bmetric);
    JSET(rc, "metric", json_string(bmetric));
    JSET(rc, "alpha", balpha >= 0 ? json_real(balpha) : json_null());
    JSET(rc, "ratio", json_real(s->ratio));
    JSET(rc, "mean_recall", jnum(mean[best]));
    JSET(rc, "mean_orig_recall", jnum(omean[best]));
    JSET(rc, "mean_lift", jnum(mean[best] - omean[best]));
    JSET(rc, "rule", json_string(AN_RULE));
    JSET(rc, "random_mean_recall", jnum(mean[2 + na]));
    JSET(rc, "text", json_string(rtext));
    JSET(rc, "baselines_not_recommended",
         json_string("random and length (alone or as a plan's fill) are baselines: their recall "
                     "shows where the probes sit (see candidates_orig_recall), and pruning the "
                     "longest files removes the most code"));
    if (r->c.cgate) {
        JSET(rc, "gates_clean_share", jnum(ratio_or_nan(ngated, nc)));
        JSET(rc, "gates_exceed_budget", json_boolean(exceed));
        JSET(rc, "plans_considered", json_boolean(!exceed));
    }
    for (size_t m = 0; m < nrow; m++) {
        char name[48];
        metric_name(name, sizeof name, m, s->alphas, na);
        JSET(cand, name, jnum(mean[m]));
    }
    JSET(rc, "candidates", cand);
    json_t *ocand = json_object();
    for (size_t m = 0; m < nrow; m++) {
        char name[48];
        metric_name(name, sizeof name, m, s->alphas, na);
        JSET(ocand, name, jnum(omean[m]));
    }
    JSET(rc, "candidates_orig_recall", ocand);
    for (size_t gi = 0; gi < ng; gi++) {
        if (gs[gi].lang != SIZE_MAX) continue;
        const char *tn = r->types.s[gs[gi].type];
        JSET(pt, tn, jnum(gs[gi].res.recall[best * nr + ip]));
        JSET(wt, tn, json_real(weight_of(r, tn, r->type_kind[gs[gi].type])));
    }
    JSET(rc, "per_type_recall", pt);
    JSET(rc, "weights", wt);
    if (p->adv)
        JSET(rc, "held_out_advice",
             json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:s}", "metric", p->adv->metric, "against",
                       p->adv->against, "mean_recall", p->adv->mean, "mean_recall_against",
                       p->adv->mean_against, "diff", p->adv->diff, "se", p->adv->se, "text",
                       p->atext));
    if (p->adv && s->held_out_auto) /* what score's auto takes (prune/auto.c) */
        JSET(rc, "auto", json_pack("{s:s, s:s, s:s}", "metric", p->adv->metric, "name",
                                   p->adv->metric, "text", p->atext));
    JSET(root, "recommendation", rc);
    return bad;
}

/* report.json (gates_report also fills gmd and gall for report.md). Errors: EIO, ENOMEM. */
static sciprune_status write_report_json(an_run *r, const pick *p, double seconds, sbuf *gmd,
                                         gate_counts *gall, const char *dir, sciprune_error *err)
{
    const sciprune_analyze_settings *s = r->set;
    const group *gs = p->gs;
    size_t ng = p->ng, na = p->na, nm = p->nm, nr = p->nr, nrow = p->nrow;
    size_t nc = r->c.nc, nv = r->c.nv, norig = p->norig;
    sciprune_status st = SCIPRUNE_OK;
    int bad = 0;
    json_t *root = NULL;
    root = json_object();
    json_t *set = json_object(), *ra = json_array(), *al = json_array(), *files = json_array();
    for (size_t i = 0; i < nr; i++) JAPP(ra, json_real(r->ratios[i]));
    for (size_t i = 0; i < na; i++) JAPP(al, json_real(s->alphas[i]));
    JSET(set, "ratios", ra);
    JSET(set, "alphas", al);
    JSET(set, "ratio", json_real(s->ratio));
    JSET(set, "weights", s->weights ? json_string(s->weights) : json_null());
    JSET(set, "seed", json_integer((json_int_t)s->seed));
    JSET(root, "settings", set);
    for (size_t f = 0; f < r->nfiles; f++) JAPP(files, json_string(r->files[f]));
    JSET(root, "corrupted", files);
    JSET(root, "semantics", json_string(
        "recall: each group's variants V are added to the clean corpus C; U = C + V is ranked "
        "with the metric's total order (ties by clean row, then variant row), cluster sizes are "
        "the clean sizes only; ratio p prunes floor(p*|U|+0.5) records of U; recall = pruned "
        "variants / |V|. AUROC: Mann-Whitney of one score (size: -clean cluster size, distance, "
        "length, random: -key; higher = pruned first) for V against C, ties 1/2. Movement: "
        "variant minus its original, percentiles over C. Gate plans gate+<metric>: every record "
        "of U either gate flags first (all of them, even past the budget), then the rest of the "
        "budget by the metric among the unflagged records (combined: floor(alpha*rest+0.5) by "
        "size, then by distance). gates.<gate> in a group: share of its variants flagged."));
    JSET(root, "embedder", json_string(sciprune_embedder_backend_name(r->emb)));
    JSET(root, "k", json_integer(r->c.k));
    JSET(root, "n_clean", json_integer((json_int_t)nc));
    JSET(root, "n_variants", json_integer((json_int_t)nv));
    JSET(root, "n_variants_rejected", json_integer((json_int_t)r->v_rejected));
    if (r->c_guarded) JSET(root, "n_clean_guarded", json_integer((json_int_t)r->c_guarded));
    if (r->v_guarded) JSET(root, "n_variants_guarded", json_integer((json_int_t)r->v_guarded));
    JSET(root, "n_orig_found", json_integer((json_int_t)norig));
    json_t *ms = json_array();
    for (size_t m = 0; m < nm; m++) {
        char name[48];
        metric_name(name, sizeof name, m, s->alphas, na);
        JAPP(ms, json_string(name));
    }
    JSET(root, "metrics", ms);
    json_t *plans = json_array();
    for (size_t m = nm; m < nrow; m++) {
        char name[48];
        metric_name(name, sizeof name, m, s->alphas, na);
        JAPP(plans, json_string(name));
    }
    JSET(root, "plans", plans);
    if (r->c.cgate) {
        if ((st = gates_report(r, root, gmd, gall, err))) goto out;
    } else {
        JSET(root, "gates", json_null());
    }
    /* made after gates_report, whose failure leaves through `out` (only root is freed there) */
    json_t *gj = json_array(), *sz = json_array();
    for (int c = 0; c < r->c.k; c++) JAPP(sz, json_integer((json_int_t)r->c.size[c]));
    JSET(root, "cluster_sizes", sz);
    for (size_t gi = 0; gi < ng; gi++) JAPP(gj, group_json(r, &gs[gi]));
    JSET(root, "groups", gj);
    if (r->semantic) JSET(root, "semantic", json_incref(r->semantic));
    bad |= recommendation_json(r, p, root);
    if (p->strata) JSET(root, "probes_strata", json_incref(p->strata));
    {
        double n = (double)nv, pr = s->ratio;
        json_t *bl = json_object();
        JSET(bl, "n_variants", json_integer((json_int_t)nv));
        JSET(bl, "p", json_real(pr));
        JSET(bl, "se", jnum(n > 0 ? baseline_se(r, p) : NAN));
        JSET(bl, "random", jnum(p->mean[2 + na]));
        JSET(bl, "length", jnum(p->mean[3 + na]));
        JSET(root, "baselines_at_p", bl);
    }
    JSET(root, "seconds", json_real(seconds));
    char *txt = bad ? NULL : sp_json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    if (!txt) { st = nomem(err); goto out; }
    st = write_text(dir, "report.json", txt, err);
    free(txt);
out:
    json_decref(root);
    return st;
}

/* corrupt.json beside the first corrupted shard (NULL when absent or unreadable); owned. */
/* corrupt.json's "strata" beside the first variants file (*out NULL: no such file, or made
 * unstratified). A file that exists but cannot be read is an error, not a missing section. */
static sciprune_status load_strata(const an_run *r, json_t **out, sciprune_error *err)
{
    *out = NULL;
    if (!r->nfiles) return SCIPRUNE_OK;
    const char *f = r->files[0], *slash = strrchr(f, '/');
    size_t dl = slash ? (size_t)(slash - f) : 1;
    char *path = malloc(dl + 16);
    if (!path) return nomem(err);
    if (slash) memcpy(path, f, dl);
    else path[0] = '.';
    memcpy(path + dl, "/corrupt.json", 14);
    if (access(path, F_OK) != 0) {
        free(path);
        return SCIPRUNE_OK;
    }
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    sciprune_status st = SCIPRUNE_OK;
    if (!root)
        st = sp_err(err, sp_json_load_status(SCIPRUNE_EPARSE), path, je.line, -1, "cannot read: %s",
                    je.text);
    free(path);
    *out = json_incref(json_object_get(root, "strata"));
    json_decref(root);
    return st;
}

/* report.md: the baselines against p (sampling error) and the probes' length distribution
 * against the corpus' (corrupt.json's strata). */
/* The sampling error of a weighted mean recall at p when each probe is pruned with chance p:
 * sqrt(p (1-p) sum_t w_t^2 / n_t) / sum_t w_t over the all-language type groups (a type with
 * few probes weighs as much as any other, so this is wider than sqrt(p (1-p) / n_variants)). */
static double baseline_se(const an_run *r, const pick *p)
{
    double pr = r->set->ratio, num = 0, wsum = 0;
    for (size_t gi = 0; gi < p->ng; gi++) {
        const group *g = &p->gs[gi];
        if (g->lang != SIZE_MAX || !g->nj) continue;
        double w = weight_of(r, r->types.s[g->type], r->type_kind[g->type]);
        num += w * w / (double)g->nj;
        wsum += w;
    }
    return wsum > 0 ? sqrt(pr * (1 - pr) * num) / wsum : NAN;
}

static void md_probes(const an_run *r, const pick *p, const json_t *strata, sbuf *md)
{
    const sciprune_analyze_settings *s = r->set;
    double n = (double)r->c.nv, pr = s->ratio, se = baseline_se(r, p);
    sb(md, "\n## Probes against the corpus\n\nAt p = %.2f the baselines' weighted mean recall: "
            "random %.1f %%, length %.1f %%. If the probes sit where the corpus does, both are p "
            "up to sampling error: with %.0f probes over the types (each type weighted as in the "
            "recommendation), the standard error of that mean is %.1f points (2 SE = %.1f); "
            "random is %+.1f SE from p, length %+.1f SE.\n\n",
       pr, 100 * p->mean[2 + p->na], 100 * p->mean[3 + p->na], n, 100 * se, 200 * se,
       (p->mean[2 + p->na] - pr) / se, (p->mean[3 + p->na] - pr) / se);
    if (!strata) {
        sb(md, "(corrupt.json has no length strata: the probes were not stratified.)\n");
        return;
    }
    json_t *langs = json_object_get(strata, "langs");
    sb(md, "Length strata (corrupt.strata = %lld): the lengths of every corpus record (all "
            "languages: what a metric ranks the probes against) are cut at their quantiles, and "
            "every corruption type draws its probes per bin in proportion to the bin's share of "
            "the corpus.\n\n| | records | length p10 / p50 / p90 (bytes) | share per bin (%%) |\n"
            "|---|---:|---|---|\n",
       (long long)json_integer_value(json_object_get(strata, "bins")));
    for (int w = -1; w < (int)json_array_size(langs); w++) {
        json_t *x = w < 0 ? (json_t *)strata : json_array_get(langs, (size_t)w);
        json_t *l = json_object_get(x, w < 0 ? "corpus_len" : "probe_len"),
               *bins = json_object_get(x, w < 0 ? "corpus_bins" : "probe_bins");
        double tot = (double)json_integer_value(json_object_get(x, w < 0 ? "records" : "probes"));
        if (w < 0) sb(md, "| corpus (all languages) | %.0f |", tot);
        else sb(md, "| probes: %s | %.0f |", SP_MD(json_string_value(json_object_get(x, "lang"))), tot);
        sb(md, " %lld / %lld / %lld | ", (long long)json_integer_value(json_object_get(l, "p10")),
           (long long)json_integer_value(json_object_get(l, "p50")),
           (long long)json_integer_value(json_object_get(l, "p90")));
        for (size_t b = 0; b < json_array_size(bins); b++)
            sb(md, "%s%.0f", b ? " " : "",
               tot > 0 ? 100 * (double)json_integer_value(json_array_get(bins, b)) / tot : 0.0);
        sb(md, " |\n");
    }
}

/* report.md: the summary and the recall table of the metrics at the recommendation ratio. */
static void md_recall(const an_run *r, const pick *p, sbuf *md)
{
    const sciprune_analyze_settings *s = r->set;
    const group *gs = p->gs;
    size_t ng = p->ng, ip = p->ip, na = p->na, nm = p->nm, nr = p->nr;
    const double *mean = p->mean, *omean = p->omean;
    size_t best = p->best;
    size_t nc = r->c.nc, nv = r->c.nv, norig = p->norig;
    const char *bname = p->bname, *rtext = p->rtext;
    sb(md, "# sciprune analyze\n\n");
    sb(md, "%zu clean records in %d clusters (embedder %s), %zu corrupted variants of %zu types "
            "(%zu with their original in the workdir).\n\n",
       nc, r->c.k, sciprune_embedder_backend_name(r->emb), nv, r->types.n, norig);
    if (r->c_guarded || r->v_guarded)
        sb(md, "%llu clean records and %llu variants are too deep or too large to parse (the "
                "parse guard): embedded from their words, not judged by the gates.\n\n",
           (unsigned long long)r->c_guarded, (unsigned long long)r->v_guarded);
    sb(md, "**Recommendation** at p = %.2f: `%s`, weighted mean recall %.1f %% over the "
            "types, lift %+.1f points (its originals: %.1f %%); random pruning: %.1f %%.\n\n",
       s->ratio, bname, 100 * mean[best], 100 * (mean[best] - omean[best]), 100 * omean[best],
       100 * mean[2 + na]);
    sb(md, "Rule: %s.\n\n", AN_RULE);
    sb(md, "In short: %s.\n\n", rtext);
    if (p->adv) sb(md, "Held-out advice: %s (report.json semantic.versus).\n\n", p->atext);
    sb(md, "Recall = share of a type's variants pruned when they are mixed into the clean corpus "
            "(clean + that type's variants, clean cluster sizes, exact global ranking, ties by "
            "position).\n\n");
    sb(md, "## Recall at p = %.2f (%%)\n\n| type | kind | lang | n |", s->ratio);
    for (size_t m = 0; m < nm; m++) {
        char name[48];
        metric_name(name, sizeof name, m, s->alphas, na);
        sb(md, " %s |", name);
    }
    sb(md, "\n|---|---|---|---:|");
    for (size_t m = 0; m < nm; m++) sb(md, "---:|");
    sb(md, "\n");
    for (int pass = 0; pass < 2; pass++)
        for (size_t gi = 0; gi < ng; gi++) {
            if ((gs[gi].lang == SIZE_MAX) != (pass == 0)) continue;
            sb(md, "| %s | %s | %s | %zu |", SP_MD(r->types.s[gs[gi].type]),
               sciprune_corrupt_kind_name((sciprune_corrupt_kind)r->type_kind[gs[gi].type]),
               gs[gi].lang == SIZE_MAX ? "all" : SP_MD(r->langs.s[gs[gi].lang]), gs[gi].nj);
            for (size_t m = 0; m < nm; m++) sb_pct(md, gs[gi].res.recall[m * nr + ip]);
            sb(md, "\n");
        }
    sb(md, "| **weighted mean** | | | |");
    for (size_t m = 0; m < nm; m++) sb_pct(md, mean[m]);
    sb(md, "\n| *originals pruned (weighted mean)* | | | |");
    for (size_t m = 0; m < nm; m++) sb_pct(md, omean[m]);
    sb(md, "\n| *lift: recall minus originals (points)* | | | |");
    for (size_t m = 0; m < nm; m++) sb(md, " %+.1f |", 100 * (mean[m] - omean[m]));
    for (int kind = SCIPRUNE_CORRUPT_SYNTAX; kind <= SCIPRUNE_CORRUPT_CONTENT; kind++) {
        size_t cnt = 0;
        for (size_t gi = 0; gi < ng; gi++) cnt += gs[gi].lang == SIZE_MAX && r->type_kind[gs[gi].type] == kind;
        if (!cnt) continue;
        sb(md, "\n| mean of the %s types (unweighted) | %s | | |",
           sciprune_corrupt_kind_name((sciprune_corrupt_kind)kind),
           sciprune_corrupt_kind_name((sciprune_corrupt_kind)kind));
        for (size_t m = 0; m < nm; m++) {
            double acc = 0;
            for (size_t gi = 0; gi < ng; gi++)
                if (gs[gi].lang == SIZE_MAX && r->type_kind[gs[gi].type] == kind)
                    acc += gs[gi].res.recall[m * nr + ip];
            sb_pct(md, acc / (double)cnt);
        }
    }
    sb(md, "\n\nThe last row is the share of the variants' *originals* (clean) that the same "
            "selection prunes: recall above it is signal from the corruption; recall equal to it "
            "comes from where those files sit (e.g. a minority language in small clusters).\n");
}

/* report.md: the gates and gate plans (with gates). */
static void md_gates(const an_run *r, const pick *p, const sbuf *gmd, sbuf *md)
{
    const sciprune_analyze_settings *s = r->set;
    const group *gs = p->gs;
    size_t ng = p->ng, ip = p->ip, na = p->na, nm = p->nm, nr = p->nr, nrow = p->nrow;
    const double *mean = p->mean, *omean = p->omean;
    (void)omean;
    if (r->c.cgate) {
        sb(md, "\n## Quality gates and gate plans: recall at p = %.2f (%%)\n\n"
                "A gate's recall is the share of the variants it flags (any ratio). A plan "
                "`gate+<metric>` prunes every flagged record first, then fills the budget with "
                "the metric among the rest.\n\n| type | kind | lang | n | parse_error | "
                "undefined_name | either |", s->ratio);
        for (size_t m = nm; m < nrow; m++) {
            char name[48];
            metric_name(name, sizeof name, m, s->alphas, na);
            sb(md, " %s |", name);
        }
        sb(md, "\n|---|---|---|---:|---:|---:|---:|");
        for (size_t m = nm; m < nrow; m++) sb(md, "---:|");
        sb(md, "\n");
        for (int pass = 0; pass < 2; pass++)
            for (size_t gi = 0; gi < ng; gi++) {
                if ((gs[gi].lang == SIZE_MAX) != (pass == 0)) continue;
                sb(md, "| %s | %s | %s | %zu |", SP_MD(r->types.s[gs[gi].type]),
                   sciprune_corrupt_kind_name((sciprune_corrupt_kind)r->type_kind[gs[gi].type]),
                   gs[gi].lang == SIZE_MAX ? "all" : SP_MD(r->langs.s[gs[gi].lang]), gs[gi].nj);
                for (int q = 0; q < 3; q++) sb_pct(md, gs[gi].res.gate_recall[q]);
                for (size_t m = nm; m < nrow; m++) sb_pct(md, gs[gi].res.recall[m * nr + ip]);
                sb(md, "\n");
            }
        sb(md, "| **weighted mean** | | | |");
        for (int q = 0; q < 3; q++) {
            double acc = 0, ws = 0;
            for (size_t gi = 0; gi < ng; gi++) {
                if (gs[gi].lang != SIZE_MAX) continue;
                double w = weight_of(r, r->types.s[gs[gi].type], r->type_kind[gs[gi].type]);
                acc += w * gs[gi].res.gate_recall[q];
                ws += w;
            }
            sb_pct(md, ws > 0 ? acc / ws : NAN);
        }
        for (size_t m = nm; m < nrow; m++) sb_pct(md, mean[m]);
        sb(md, "\n| *originals pruned (weighted mean)* | | | | | | |");
        for (size_t m = nm; m < nrow; m++) sb_pct(md, omean[m]);
        sb(md, "\n");
        sb(md, "%s", gmd->s ? gmd->s : "");
        if (gmd->oom) md->oom = 1;
    }
}

/* report.md: lift, AUROC and movement per type. */
static void md_types(const an_run *r, const pick *p, sbuf *md)
{
    const sciprune_analyze_settings *s = r->set;
    const group *gs = p->gs;
    size_t ng = p->ng, ip = p->ip, na = p->na, nm = p->nm, nr = p->nr;
    sb(md, "\n## Recall of the variants minus recall of their originals at p = %.2f (points)\n\n"
            "| type | n |", s->ratio);
    for (size_t m = 0; m < nm; m++) {
        char name[48];
        metric_name(name, sizeof name, m, s->alphas, na);
        sb(md, " %s |", name);
    }
    sb(md, "\n|---|---:|");
    for (size_t m = 0; m < nm; m++) sb(md, "---:|");
    sb(md, "\n");
    for (size_t gi = 0; gi < ng; gi++) {
        if (gs[gi].lang != SIZE_MAX) continue;
        sb(md, "| %s | %zu |", SP_MD(r->types.s[gs[gi].type]), gs[gi].nj);
        for (size_t m = 0; m < nm; m++)
            sb(md, " %+.1f |", 100 * (gs[gi].res.recall[m * nr + ip] - gs[gi].res.orig_recall[m * nr + ip]));
        sb(md, "\n");
    }
    sb(md, "\n\n## AUROC (corrupted vs clean)\n\n| type | lang | size | distance | random | length |\n"
            "|---|---|---:|---:|---:|---:|\n");
    for (size_t gi = 0; gi < ng; gi++) {
        if (gs[gi].lang != SIZE_MAX) continue;
        sb(md, "| %s | all |", SP_MD(r->types.s[gs[gi].type]));
        for (int k = 0; k < AN_ORD_COUNT; k++) sb(md, " %.3f |", gs[gi].res.auroc[k]);
        sb(md, "\n");
    }
    sb(md, "\n## Movement against the originals\n\n"
            "| type | n with original | in a smaller cluster (%%) | same cluster (%%) | "
            "median Δ size percentile | median Δ distance percentile | median dist | "
            "median orig dist |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (size_t gi = 0; gi < ng; gi++) {
        if (gs[gi].lang != SIZE_MAX) continue;
        const an_group_result *g = &gs[gi].res;
        sb(md, "| %s | %zu |", SP_MD(r->types.s[gs[gi].type]), g->n_orig);
        sb_pct(md, g->share_smaller);
        sb_pct(md, g->share_same);
        sb(md, " %+.1f | %+.1f | %.3f | %.3f |\n", g->med_dsize_pct, g->med_ddist_pct,
           g->med_dist, g->med_orig_dist);
    }
}

/* report.md: the semantic section (semantic.c): held-out recall of naturalness, sites (when
 * the workdir has them) and learned. */
static void md_semantic(const an_run *r, sbuf *md)
{
    if (!r->semantic) return;
    sb(md, "\n## Semantic signals (held-out halves)\n\n");
    sb(md, "%s\n\n", json_string_value(json_object_get(r->semantic, "evaluation")));
    json_t *tp = json_object_get(r->semantic, "test_probes");
    sb(md, "Trained on: the main probes' half 0 (corrupt seed %lld). Tested on: %s, half 1, "
           "corrupt seed %lld.\n\n",
       (long long)json_integer_value(json_object_get(json_object_get(r->semantic, "train_probes"), "seed")),
       json_string_value(json_object_get(tp, "set")),
       (long long)json_integer_value(json_object_get(tp, "seed")));
    if (!r->have_nat)
        sb(md, "This workdir has no naturalness model (hash embedder with idf only; with the site "
               "detectors only when embed features list \"naturalness\"): naturalness is -30 for "
               "every record, and its rows say nothing.\n\n");
    json_t *m3 = json_object_get(r->semantic, "mean_content_recall_same_seed");
    json_t *sra = json_object_get(r->semantic, "ratios");
    size_t ir3 = SIZE_MAX;
    for (size_t i = 0; i < json_array_size(sra); i++)
        if (fabs(json_real_value(json_array_get(sra, i)) - r->set->ratio) < 1e-9) ir3 = i;
    sb(md, "Mean recall over the content types but undefined-name at p = %.2f, on the held-out "
           "half:\n\n| metric | mean recall |%s\n|---|---|%s\n", r->set->ratio,
       m3 ? " same seed (main set's half 1, comparison) |" : "", m3 ? "---|" : "");
    for (size_t m = 0; m < r->sem.n_metrics; m++) {
        sb(md, "| %s | %.3f |", r->sem.names[m], r->sem.mean_at_ratio[m]);
        if (m3) {
            json_t *x = json_array_get(json_object_get(m3, r->sem.names[m]), ir3);
            if (json_is_number(x)) sb(md, " %.3f |", json_number_value(x));
            else sb(md, " - |");
        }
        sb(md, "\n");
    }
    json_t *rec = json_object_get(r->semantic, "recall");
    json_t *ra = json_object_get(r->semantic, "ratios");
    size_t ir = SIZE_MAX;
    for (size_t i = 0; i < json_array_size(ra); i++)
        if (fabs(json_real_value(json_array_get(ra, i)) - r->set->ratio) < 1e-9) ir = i;
    if (ir == SIZE_MAX) return;
    sb(md, "\nRecall per type at p = %.2f (held-out half):\n\n| type |", r->set->ratio);
    for (size_t m = 0; m < r->sem.n_metrics; m++) sb(md, " %s |", r->sem.names[m]);
    sb(md, "\n|---|");
    for (size_t m = 0; m < r->sem.n_metrics; m++) sb(md, "---|");
    sb(md, "\n");
    const char *t;
    json_t *v;
    json_object_foreach(json_object_get(rec, r->sem.names[0]), t, v) {
        sb(md, "| %s |", t);
        for (size_t m = 0; m < r->sem.n_metrics; m++) {
            json_t *x = json_array_get(json_object_get(json_object_get(rec, r->sem.names[m]), t), ir);
            if (json_is_number(x)) sb(md, " %.2f |", json_number_value(x));
            else sb(md, " - |");
        }
        sb(md, "\n");
    }
    json_t *w = json_object_get(r->semantic, "learned_weights");
    sb(md, "\nlearned weights (raw units):");
    json_object_foreach(w, t, v) sb(md, " %s %.4g", t, json_number_value(v));
    sb(md, "\n");
}

/* report.md: mean recall of every metric and plan at every ratio. */
static void md_sweep(const an_run *r, const pick *p, sbuf *md)
{
    const sciprune_analyze_settings *s = r->set;
    const group *gs = p->gs;
    size_t ng = p->ng, na = p->na, nr = p->nr, nrow = p->nrow;
    sb(md, "\n## Mean recall over the types vs prune ratio (%%)\n\n| metric |");
    for (size_t i = 0; i < nr; i++) sb(md, " p=%.2f |", r->ratios[i]);
    sb(md, "\n|---|");
    for (size_t i = 0; i < nr; i++) sb(md, "---:|");
    sb(md, "\n");
    for (size_t m = 0; m < nrow; m++) {
        char name[48];
        metric_name(name, sizeof name, m, s->alphas, na);
        sb(md, "| %s |", name);
        for (size_t i = 0; i < nr; i++) {
            double acc = 0, ws = 0;
            for (size_t gi = 0; gi < ng; gi++) {
                if (gs[gi].lang != SIZE_MAX) continue;
                double w = weight_of(r, r->types.s[gs[gi].type], r->type_kind[gs[gi].type]);
                acc += w * gs[gi].res.recall[m * nr + i];
                ws += w;
            }
            sb_pct(md, ws > 0 ? acc / ws : NAN);
        }
        sb(md, "\n");
    }
}

static sciprune_status write_outputs(an_run *r, group *gs, size_t ng, size_t ip,
                                     double seconds, sciprune_analyze_info *info,
                                     sciprune_error *err)
{
    const sciprune_analyze_settings *s = r->set;
    sciprune_status st;
    char *dir = sp_wdir_path(r->workdir, SP_WD_ANALYZE);
    sbuf md = {0}, gmd = {0};
    gate_counts gall;
    memset(&gall, 0, sizeof gall);
    pick p;
    memset(&p, 0, sizeof p);
    p.gs = gs;
    p.ng = ng;
    p.ip = ip;
    p.na = s->n_alphas;
    p.nm = AN_N_METRICS(p.na);
    p.nr = r->nr;
    p.nrow = AN_N_ROWS(p.na, r->c.cgate != NULL);
    p.mean = calloc(p.nrow, sizeof *p.mean);
    p.omean = calloc(p.nrow, sizeof *p.omean);
    if (!dir || !p.mean || !p.omean) { st = nomem(err); goto done; }
    if ((st = sp_mkdirs(dir, err))) goto done;
    if ((st = write_raw(r, dir, err))) goto done;
    for (size_t j = 0; j < r->c.nv; j++) p.norig += r->c.vorig[j] >= 0;
    recommend(r, &p);
    recommend_text(r, &p);
    held_out_advice(r, &p);
    if ((st = load_strata(r, &p.strata, err))) goto done;
    if ((st = write_report_json(r, &p, seconds, &gmd, &gall, dir, err))) goto done;
    md_recall(r, &p, &md);
    md_gates(r, &p, &gmd, &md);
    md_types(r, &p, &md);
    md_sweep(r, &p, &md);
    md_probes(r, &p, p.strata, &md);
    md_semantic(r, &md);
    if (md.oom) { st = nomem(err); goto done; }
    if ((st = write_text(dir, "report.md", md.s, err))) goto done;
    if (info) {
        info->n_clean = r->c.nc;
        info->n_variants = r->c.nv;
        info->n_orig_found = p.norig;
        info->n_guarded = r->c_guarded + r->v_guarded;
        info->n_types = r->types.n;
        sp_strlcpy(info->best, p.bname, sizeof info->best);
        info->best_alpha = p.balpha;
        info->best_recall = p.mean[p.best];
        info->random_recall = p.mean[2 + p.na];
        info->gates_clean_share = r->c.cgate ? ratio_or_nan(p.ngated, r->c.nc) : -1.0;
    }
done:
    free(md.s);
    free(gmd.s);
    free(p.mean);
    free(p.omean);
    json_decref(p.strata);
    free(dir);
    return st;
}

/* ------------------------------------------------------------------ main */

sciprune_status sciprune_analyze(const char *workdir, const char *const *corrupted, size_t n,
                                 const sciprune_analyze_settings *s, sciprune_analyze_info *info,
                                 sciprune_error *err)
{
    double t0 = sp_now();
    sciprune_status st;
    an_run r;
    group *gs = NULL;
    size_t ng = 0, ip = 0;
    memset(&r, 0, sizeof r);
    sp_err_clear(err);
    if (info) memset(info, 0, sizeof *info);
    if (!workdir || !s || (!corrupted && n))
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "missing argument");
    if ((st = sciprune_analyze_settings_check(s, err))) return st;
    if (s->parts_dir && s->part_count > 0) {
        if (s->part_index < -1 || s->part_index >= s->part_count)
            return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "part_index must be -1 .. part_count - 1");
        r.part_count = s->part_count;
        r.part_index = s->part_index;
    }
    r.workdir = workdir;
    r.set = s;
    memcpy(r.ratios, s->ratios, s->n_ratios * sizeof *s->ratios);
    r.nr = s->n_ratios;
    for (ip = 0; ip < r.nr && r.ratios[ip] != s->ratio; ip++) {}
    if (ip == r.nr) r.ratios[r.nr++] = s->ratio;

    char *ed = sp_wdir_path(workdir, SP_WD_EMBED);
    if (!ed) return nomem(err);
    st = sciprune_embedder_load(&r.emb, ed, err);
    if (!st) r.have_nat = sciprune_embedder_has_naturalness(r.emb);
    free(ed);
    if (st) goto done;
    if ((st = sciprune_index_open(&r.ix, workdir, err))) goto done;
    r.c.k = sciprune_index_k(r.ix);
    if ((st = sciprune_shard_set_load(&r.shards, workdir, err))) goto done;
    if (r.shards->n) { /* the sites signal: written by the embed pass with features "sites" */
        char *ps = sp_wsignal_path(workdir, r.shards->names[0], "sites");
        if (!ps) { st = nomem(err); goto done; }
        r.have_sites = sp_exists(ps);
        free(ps);
    }
    if ((st = list_files(&r, corrupted, n, err))) goto done;
    if (r.part_count && r.part_index >= 0) { /* a part: this rank's variants, embedded */
        if ((st = gates_probe(&r, err))) goto done;
        if (!r.gates_from_files && (st = gates_part(&r, err))) goto done;
        if ((st = find_heldout(&r, err))) goto done;
        if ((st = read_variants(&r, err))) goto done;
        sp_log(SCIPRUNE_LOG_INFO, "analyze: part %d/%d: %zu of %zu variants embedded in %.2fs",
               r.part_index + 1, r.part_count, r.pn, r.c.nv, sp_now() - t0);
        goto done;
    }
    if ((st = read_clean(&r, err))) goto done;
    double t1 = sp_now();
    sp_log(SCIPRUNE_LOG_INFO, "analyze: %zu clean records read in %.2fs (gate values %s)", r.c.nc,
           t1 - t0, r.gates_from_files ? "from W/gates" : "computed");
    if ((st = find_heldout(&r, err))) goto done;
    if ((st = read_variants(&r, err))) goto done; /* the main set, then the held-out probes */
    size_t nv_main = r.nv_main;
    r.nv_all = r.c.nv;
    double t2 = sp_now();
    sp_log(SCIPRUNE_LOG_INFO, "analyze: %zu variants %s and assigned in %.2fs", r.c.nv,
           r.part_count ? "taken from the ranks' parts" : "embedded", t2 - t1);
    if ((st = an_corpus_prepare(&r.c, err))) goto done;
    { /* the semantic section: naturalness and learned on held-out halves (semantic.c) */
        size_t *vt = malloc((r.c.nv ? r.c.nv : 1) * sizeof *vt);
        int *tc = malloc((r.types.n ? r.types.n : 1) * sizeof *tc);
        if (!vt || !tc) { free(vt); free(tc); st = nomem(err); goto done; }
        size_t *vl = malloc((r.c.nv ? r.c.nv : 1) * sizeof *vl);
        if (!vl) { free(vt); free(tc); st = nomem(err); goto done; }
        for (size_t j = 0; j < r.c.nv; j++) vt[j] = r.vm[j].type;
        for (size_t j = 0; j < r.c.nv; j++) vl[j] = r.vm[j].lang;
        for (size_t t = 0; t < r.types.n; t++) tc[t] = r.type_kind[t] == SCIPRUNE_CORRUPT_CONTENT;
        double *tw = malloc((r.types.n ? r.types.n : 1) * sizeof *tw);
        if (!tw) { free(vt); free(tc); free(vl); st = nomem(err); goto done; }
        for (size_t t = 0; t < r.types.n; t++) tw[t] = weight_of(&r, r.types.s[t], r.type_kind[t]);
        an_sem_in si = {.c = &r.c, .cnat = r.cnat, .vnat = r.vnat, .have_nat = r.have_nat,
                        .cfit = r.cfit, .chalf = r.chalf, .nv_main = nv_main,
                        .seed_main = r.seed_main, .seed_heldout = r.seed_heldout,
                        .csites = r.csites, .vsites = r.vsites,
                        .have_sites = r.have_sites,
                        .vtype = vt, .vlang = vl,
                        .lang_names = (const char *const *)r.langs.s, .nlangs = r.langs.n,
                        .type_names = (const char *const *)r.types.s,
                        .type_content = tc, .ntypes = r.types.n, .ratios = r.ratios, .nr = r.nr,
                        .ratio = s->ratio, .type_weight = tw};
        r.semantic = an_semantic(&si, &r.sem);
        free(tw);
        free(vl);
        free(vt);
        free(tc);
        if (!r.semantic) { st = nomem(err); goto done; }
    }
    r.c.nv = nv_main; /* the held-out probes serve the semantic section only */

    /* groups: per type (types sorted by name) all languages, then each language */
    size_t nt = r.types.n, nl = r.langs.n;
    size_t *torder = malloc(nt * sizeof *torder), *lorder = malloc(nl * sizeof *lorder);
    gs = calloc(nt * (nl + 1), sizeof *gs);
    if (!torder || !lorder || !gs) { free(torder); free(lorder); st = nomem(err); goto done; }
    for (size_t i = 0; i < nt; i++) torder[i] = i;
    for (size_t i = 0; i < nl; i++) lorder[i] = i;
    for (size_t i = 1; i < nt; i++)
        for (size_t j = i; j > 0 && strcmp(r.types.s[torder[j - 1]], r.types.s[torder[j]]) > 0; j--) {
            size_t t = torder[j]; torder[j] = torder[j - 1]; torder[j - 1] = t;
        }
    for (size_t i = 1; i < nl; i++)
        for (size_t j = i; j > 0 && strcmp(r.langs.s[lorder[j - 1]], r.langs.s[lorder[j]]) > 0; j--) {
            size_t t = lorder[j]; lorder[j] = lorder[j - 1]; lorder[j - 1] = t;
        }
    size_t nm = AN_N_ROWS(s->n_alphas, r.c.cgate != NULL);
    for (size_t ti = 0; ti < nt && !st; ti++)
        for (size_t li = 0; li <= nl && !st; li++) {
            size_t t = torder[ti], l = li == 0 ? SIZE_MAX : lorder[li - 1];
            group *g = &gs[ng];
            g->type = t;
            g->lang = l;
            g->J = malloc((r.c.nv ? r.c.nv : 1) * sizeof *g->J);
            g->res.recall = calloc(nm * r.nr, sizeof(double));
            g->res.orig_recall = calloc(nm * r.nr, sizeof(double));

            ng++;
            if (!g->J || !g->res.recall || !g->res.orig_recall) { st = nomem(err); break; }
            for (size_t j = 0; j < r.c.nv; j++)
                if (r.vm[j].type == t && (l == SIZE_MAX || r.vm[j].lang == l)) g->J[g->nj++] = (uint32_t)j;
            if (!g->nj) { /* no variant of this type in this language */
                free(g->J); free(g->res.recall); free(g->res.orig_recall); ng--;
                memset(g, 0, sizeof *g);
                continue;
            }
            st = an_group_eval(&r.c, g->J, g->nj, r.ratios, r.nr, s->alphas, s->n_alphas, &g->res, err);
        }
    free(torder);
    free(lorder);
    if (st) goto done;
    sp_log(SCIPRUNE_LOG_INFO, "analyze: %zu groups evaluated in %.2fs", ng, sp_now() - t2);
    st = write_outputs(&r, gs, ng, ip, sp_now() - t0, info, err);
    if (info) info->seconds = sp_now() - t0;
    if (!st && r.part_count) part_remove(s->parts_dir);
done:
    for (size_t i = 0; i < ng; i++) {
        free(gs[i].J);
        free(gs[i].res.recall);
        free(gs[i].res.orig_recall);
    }
    free(gs);
    for (size_t j = 0; j < (r.nv_all > r.c.nv ? r.nv_all : r.c.nv); j++) {
        free(r.vm[j].id);
        free(r.vm[j].orig_id);
    }
    for (size_t f = 0; f < r.nhfiles; f++) free(r.hfiles[f]);
    free(r.hfiles);
    free(r.chalf);
    free(r.vm);
    free(r.type_kind);
    free(r.cpe); free(r.cun); free(r.cgen); free(r.clang); free(r.vpe); free(r.vun);
    free(r.cnat); free(r.vnat); free(r.cfit);
    free(r.csites); free(r.vsites);
    json_decref(r.semantic);
    free(r.jn);
    for (int k = 0; k < SCIPRUNE_GATE_COUNT; k++) {
        free(r.jflag[k]); free(r.joff[k]); free(r.jcap[k]); free(r.jkeep[k]);
        free(r.jvmin[k]); free(r.jdmin[k]);
    }
    for (size_t e = 0; e < r.nex; e++) free(r.ex[e].path);
    free(r.ex);
    sciprune_parser_free(r.ex_parser);
    free(r.pbuf);
    for (int k = 0; r.pdata && k < r.part_count; k++) free(r.pdata[k]);
    free(r.pdata);
    free(r.plen);
    strtab_free(&r.clangs);
    for (int k = 0; k < SCIPRUNE_GATE_COUNT; k++) strtab_free(&r.gl[k]);
    strtab_free(&r.types);
    strtab_free(&r.langs);
    for (size_t f = 0; f < r.nfiles; f++) free(r.files[f]);
    free(r.files);
    if (r.rowmap)
        for (size_t i = 0; i < r.shards->n; i++) free(r.rowmap[i]);
    free(r.rowmap);
    free(r.rows);
    sciprune_shard_set_free(r.shards);
    sciprune_index_free(r.ix);
    sciprune_embedder_free(r.emb);
    an_corpus_clear(&r.c);
    return st;
}
