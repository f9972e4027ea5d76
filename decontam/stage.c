/*
 * stage.c - the decontamination stage: load the benchmarks into one index (match.c), read
 * every shard once, write W/decontam/.
 *
 * One pass: shards one after the other on the calling thread, records in chunks scanned by a
 * pool of workers (one scratch each; with one thread each record is scanned where the reader
 * left it, without the chunk copy), results taken in line order, so every file but the
 * "seconds" field is the same whatever the thread count. The exact matcher decides at once.
 * The n-gram matcher needs each index n-gram's document frequency (df: accepted files that
 * contain it) over the whole corpus: during the pass every file's distinct index n-grams add
 * to df, and a file not matched exactly whose best item passes the threshold without the df
 * cap becomes a candidate (its text and n-gram hits kept; the cap only removes n-grams, so no
 * match is lost). After the pass, cap = max(ngram_df_min, ceil(ngram_df_share x accepted)) and
 * each candidate is judged again counting only n-grams with df <= cap.
 *
 * Files written in W/decontam/ (each via a temp name + rename):
 *   <shard>.decontam.npy  '|u1', shape (N,): per line of the shard, 0 kept, 1 removed by the
 *                         exact matcher, 2 removed by the n-gram matcher (rejected lines 0)
 *   removed.jsonl         one JSON object per removed file, in (shard, line) order:
 *                         {"shard", "line" (1-based), "id", "benchmark", "task_id",
 *                          "matcher": "exact"|"ngram", "field" (exact: "docstring", "prompt",
 *                          "solution", "text", "code" or the JSONL field), "start", "end"
 *                          (byte offsets of the matched span in the file's text, end
 *                          exclusive), "excerpt" (up to 80 bytes from start), and for ngram
 *                          "share", "ngrams_found", "ngrams_item"}
 *   summary.json          {"settings": {...}, "benchmarks": [{"name", "path", "format",
 *                          "items", "patterns", "allowlisted" (texts below exact_min_chars),
 *                          "ngram_too_small" (items below ngram_min), "removed_exact",
 *                          "removed_ngram"}], "shards": [{"name", "rows", "accepted",
 *                          "removed"}], "records", "accepted", "removed", "removed_exact",
 *                          "removed_ngram", "ngrams", "df_cap", "ngram_candidates",
 *                          "seconds"}; written last
 */
#include "decontam_int.h"
#include "../shard/sp_npy.h"
#include "../shard/sp_pool.h"
#include "../shard/sp_workdir.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sciprune_decontam_settings_default(sciprune_decontam_settings *s)
{
    memset(s, 0, sizeof *s);
    s->exact = 1;
    s->ngram = 1;
    s->exact_min_chars = 32;
    s->ngram_n = 13;
    s->ngram_min = 10;
    s->ngram_threshold = 0.5;
    s->ngram_df_min = 10;
    s->ngram_df_share = 0.001;
    sciprune_shard_options_default(&s->shard);
}

sciprune_status sciprune_decontam_settings_check(const sciprune_decontam_settings *s,
                                                 sciprune_error *err)
{
    if (!s->n_benchmarks || !s->benchmarks)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "decontam: no benchmark file given");
    if (!s->exact && !s->ngram)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "decontam: both matchers are off");
    if (s->exact_min_chars < DECONTAM_ANCHOR || s->exact_min_chars > 1000000)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "decontam: exact_min_chars must be in [%d, 1000000]",
                      DECONTAM_ANCHOR);
    if (s->ngram_n < 4 || s->ngram_n > 64)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "decontam: ngram_n must be in [4, 64]");
    if (!(s->ngram_threshold > 0 && s->ngram_threshold <= 1))
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "decontam: ngram_threshold must be in (0, 1]");
    if (!(s->ngram_df_share >= 0 && s->ngram_df_share <= 1))
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "decontam: ngram_df_share must be in [0, 1]");
    if (s->ngram_df_min < 1)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "decontam: ngram_df_min must be >= 1");
    for (size_t i = 0; i < s->n_benchmarks; i++) {
        const sciprune_decontam_benchmark *b = &s->benchmarks[i];
        if ((unsigned)b->format > SCIPRUNE_BENCH_JSONL || !b->path || !*b->path)
            return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "decontam: benchmark %zu: bad format or no path", i);
        if (b->format == SCIPRUNE_BENCH_JSONL && (!b->fields || !*b->fields))
            return sp_err(err, SCIPRUNE_EINVAL, b->path, -1, -1,
                          "decontam: a jsonl benchmark needs its text fields (fields)");
    }
    return SCIPRUNE_OK;
}

static const char *const k_formats[] = {"humaneval", "mbpp", "jsonl"};

/* ------------------------------------------------------------------ results */

typedef struct removal {
    uint32_t shard;
    int64_t line;
    char *id;                /* owned */
    int matcher;             /* 1 exact, 2 ngram */
    uint32_t item;
    const char *field;       /* exact */
    size_t start, end;
    char *excerpt;           /* owned */
    double share;
    uint32_t found;
} removal;

typedef struct cand {
    uint32_t shard;
    uint64_t row;
    int64_t line;
    char *id, *text;         /* owned */
    size_t len;
    decontam_hit *hits;      /* owned */
    size_t n_hits;
} cand;

typedef struct item {
    size_t text_off, text_len, id_off;
    const char *text, *id;   /* one thread: borrowed from the reader's record (no copy) */
    int64_t line;
    int rejected;
    /* results */
    decontam_scan_result r;
    decontam_hit *hits;      /* owned copy */
    int cand;
} item;

typedef struct chunk {
    item *it;
    size_t n, cap;
    char *text;
    size_t tlen, tcap;
} chunk;

static const char *item_text(const chunk *c, const item *it)
{
    return it->text ? it->text : c->text + it->text_off;
}

static const char *item_id(const chunk *c, const item *it)
{
    return it->id ? it->id : c->text + it->id_off;
}

typedef struct ctx {
    const decontam_index *ix;
    decontam_scratch **scr;
    chunk *c;
} ctx;

static sciprune_status scan_item(void *vc, int worker, size_t i, sciprune_error *err)
{
    ctx *C = vc;
    item *it = &C->c->it[i];
    it->hits = NULL;
    it->cand = 0;
    memset(&it->r, 0, sizeof it->r);
    if (it->rejected) return SCIPRUNE_OK;
    sciprune_status st = decontam_scan(C->ix, C->scr[worker], item_text(C->c, it),
                                       it->text_len, &it->r, err);
    if (st || !it->r.n_hits) return st;
    it->hits = malloc(it->r.n_hits * sizeof *it->hits);
    if (!it->hits) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    memcpy(it->hits, it->r.hits, it->r.n_hits * sizeof *it->hits);
    it->r.hits = it->hits;
    if (!it->r.exact) {
        decontam_verdict v;
        decontam_judge(C->ix, C->scr[worker], it->hits, it->r.n_hits, NULL, 0, &v);
        it->cand = v.match;
    }
    return SCIPRUNE_OK;
}

/* Adds rec to the chunk: copied, or with borrow (one thread, the chunk scanned before the
 * reader's next record) only pointed at. */
static int chunk_add(chunk *c, const sciprune_record *rec, int borrow)
{
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 256;
        item *ni = realloc(c->it, nc * sizeof *ni);
        if (!ni) return 0;
        c->it = ni;
        c->cap = nc;
    }
    item *it = &c->it[c->n++];
    memset(it, 0, sizeof *it);
    it->line = rec->line;
    it->rejected = rec->reject != SCIPRUNE_REJECT_NONE;
    if (it->rejected) return 1;
    if (borrow) {
        it->text = rec->text;
        it->text_len = rec->text_len;
        it->id = rec->id ? rec->id : "";
        return 1;
    }
    size_t il = strlen(rec->id ? rec->id : "") + 1;
    if (c->tlen + rec->text_len + 1 + il > c->tcap) {
        size_t nc = c->tcap ? c->tcap : 1 << 20;
        while (nc < c->tlen + rec->text_len + 1 + il) nc *= 2;
        char *nt = realloc(c->text, nc);
        if (!nt) return 0;
        c->text = nt;
        c->tcap = nc;
    }
    it->text_off = c->tlen;
    it->text_len = rec->text_len;
    if (rec->text_len) memcpy(c->text + c->tlen, rec->text, rec->text_len);
    c->text[c->tlen + rec->text_len] = '\0';
    c->tlen += rec->text_len + 1;
    it->id_off = c->tlen;
    memcpy(c->text + c->tlen, rec->id ? rec->id : "", il);
    c->tlen += il;
    return 1;
}

/* Up to DECONTAM_EXCERPT bytes of text[start, end), cut before a partial UTF-8 character. */
static char *excerpt(const char *text, size_t start, size_t end)
{
    size_t n = end - start;
    if (n > DECONTAM_EXCERPT) {
        n = DECONTAM_EXCERPT;
        while (n && ((unsigned char)text[start + n] & 0xC0) == 0x80) n--;
    }
    return strndup(text + start, n);
}

typedef struct state {
    const sciprune_decontam_settings *s;
    decontam_index *ix;
    uint32_t *df;
    uint8_t **flags;         /* per shard */
    uint64_t *rows, *acc, *removed;
    removal *rm;
    size_t n_rm, cap_rm;
    cand *cd;
    size_t n_cd, cap_cd;
    uint64_t accepted, records;
} state;

static int push_rm(state *S, const removal *r)
{
    if (S->n_rm == S->cap_rm) {
        size_t nc = S->cap_rm ? S->cap_rm * 2 : 64;
        removal *n = realloc(S->rm, nc * sizeof *n);
        if (!n) return 0;
        S->rm = n;
        S->cap_rm = nc;
    }
    S->rm[S->n_rm++] = *r;
    return 1;
}

static sciprune_status take_chunk(state *S, uint32_t shard, chunk *c, uint8_t **fl, size_t *nfl,
                                  size_t *capfl, sciprune_error *err)
{
    for (size_t i = 0; i < c->n; i++) {
        item *it = &c->it[i];
        if (*nfl == *capfl) {
            size_t nc = *capfl ? *capfl * 2 : 4096;
            uint8_t *nf = realloc(*fl, nc);
            if (!nf) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            *fl = nf;
            *capfl = nc;
        }
        uint64_t row = (*nfl)++;
        (*fl)[row] = 0;
        S->records++;
        if (it->rejected) continue;
        S->accepted++;
        S->acc[shard]++;
        for (size_t h = 0; h < it->r.n_hits; h++)
            if (S->df[it->hits[h].id] < UINT32_MAX) S->df[it->hits[h].id]++;
        const char *text = item_text(c, it);
        if (it->r.exact) {
            const decontam_pattern *p = decontam_index_pattern(S->ix, it->r.pattern);
            removal r = {shard, it->line, strdup(item_id(c, it)), 1, p->item, p->field,
                         it->r.start, it->r.end, excerpt(text, it->r.start, it->r.end), 0, 0};
            if (!r.id || !r.excerpt || !push_rm(S, &r)) {
                free(r.id);
                free(r.excerpt);
                return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            }
            (*fl)[row] = 1;
        } else if (it->cand) {
            if (S->n_cd == S->cap_cd) {
                size_t nc = S->cap_cd ? S->cap_cd * 2 : 64;
                cand *n = realloc(S->cd, nc * sizeof *n);
                if (!n) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
                S->cd = n;
                S->cap_cd = nc;
            }
            cand *k = &S->cd[S->n_cd];
            *k = (cand){shard, row, it->line, strdup(item_id(c, it)), strndup(text, it->text_len),
                        it->text_len, it->hits, it->r.n_hits};
            if (!k->id || !k->text) {
                free(k->id);
                free(k->text);
                return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            }
            S->n_cd++;
            it->hits = NULL; /* owned by the candidate */
        }
        free(it->hits);
        it->hits = NULL;
    }
    c->n = 0;
    c->tlen = 0;
    return SCIPRUNE_OK;
}

static sciprune_status run_shard(state *S, ctx *C, uint32_t si, const char *path,
                                 sciprune_error *err)
{
    sciprune_shard_reader *r = NULL;
    chunk *c = C->c;
    c->n = c->tlen = 0;
    uint8_t *fl = NULL;
    size_t nfl = 0, capfl = 0;
    int threads = sp_threads(S->s->threads, SP_THREADS_MAX);
    sciprune_status st = sciprune_shard_reader_open(&r, path, &S->s->shard, err);
    for (int eof = 0; !st && !eof;) {
        const sciprune_record *rec = NULL;
        if ((st = sciprune_shard_reader_next(r, &rec, err))) break;
        eof = rec == NULL;
        if (rec && !chunk_add(c, rec, threads == 1)) {
            st = sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
            break;
        }
        if (eof || c->n >= 2048 || c->tlen >= (32u << 20) || (threads == 1 && c->n)) {
            if (threads == 1) {
                for (size_t i = 0; i < c->n && !st; i++) st = scan_item(C, 0, i, err);
            } else {
                st = sp_parallel_for(c->n, threads, scan_item, C, err);
            }
            if (st) break;
            st = take_chunk(S, si, c, &fl, &nfl, &capfl, err);
        }
    }
    for (size_t i = 0; i < c->n; i++) free(c->it[i].hits); /* after a failure */
    c->n = 0;
    sciprune_shard_reader_close(r);
    S->flags[si] = fl;
    S->rows[si] = nfl;
    return st;
}

static int cmp_rm(const void *a, const void *b)
{
    const removal *x = a, *y = b;
    if (x->shard != y->shard) return x->shard < y->shard ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static sciprune_status write_json(const char *path, json_t *j, int lines, sciprune_error *err)
{
    return sp_json_write_atomic(path, j, lines ? JSON_COMPACT | JSON_ENSURE_ASCII : JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17), err);
}

static json_t *settings_json(const sciprune_decontam_settings *s)
{
    return json_pack("{s:b, s:b, s:I, s:I, s:I, s:f, s:I, s:f}", "exact", s->exact, "ngram",
                     s->ngram, "exact_min_chars", (json_int_t)s->exact_min_chars, "ngram_n",
                     (json_int_t)s->ngram_n, "ngram_min", (json_int_t)s->ngram_min,
                     "ngram_threshold", s->ngram_threshold, "ngram_df_min",
                     (json_int_t)s->ngram_df_min, "ngram_df_share", s->ngram_df_share);
}

static sciprune_status write_outputs(state *S, const char *workdir, const char *const *paths,
                                     size_t n, uint32_t cap, double seconds, sciprune_error *err)
{
    sciprune_status st = SCIPRUNE_OK;
    char *dir = sp_wdir_path(workdir, SP_WD_DECONTAM);
    char *sp = sp_wpath(workdir, SP_WF_DECONTAM_SUMMARY, NULL);
    char *lp = sp_wpath(workdir, SP_WF_DECONTAM_LOG, NULL);
    json_t *root = NULL;
    char *log = NULL;
    size_t nb = decontam_index_benches(S->ix);
    uint64_t *bx = calloc(nb * 2 + 1, sizeof *bx);
    if (!dir || !sp || !lp || !bx) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    if ((st = sp_mkdirs(dir, err))) goto done;
    unlink(sp); /* incomplete until written again */
    if (S->n_rm) qsort(S->rm, S->n_rm, sizeof *S->rm, cmp_rm);
    /* the log */
    size_t lcap = 4096, llen = 0;
    log = malloc(lcap);
    if (!log) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    uint64_t n_exact = 0, n_ngram = 0;
    for (size_t i = 0; i < S->n_rm; i++) {
        const removal *r = &S->rm[i];
        const decontam_item *it = decontam_index_item(S->ix, r->item);
        S->removed[r->shard]++;
        bx[it->bench * 2 + (r->matcher == 2)]++;
        if (r->matcher == 1) n_exact++;
        else n_ngram++;
        json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:I}", "shard",
                              sciprune_shard_name(paths[r->shard]), "line", (json_int_t)r->line,
                              "id", r->id, "benchmark", decontam_index_bench_name(S->ix, it->bench),
                              "task_id", it->task_id, "matcher", r->matcher == 1 ? "exact" : "ngram",
                              "start", (json_int_t)r->start, "end", (json_int_t)r->end);
        if (!o) {
            st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            goto done;
        }
        json_t *ex = json_string(r->excerpt);
        json_object_set_new(o, "excerpt", ex ? ex : json_string(""));
        if (r->matcher == 1) {
            json_object_set_new(o, "field", json_string(r->field));
        } else {
            json_object_set_new(o, "share", json_real(r->share));
            json_object_set_new(o, "ngrams_found", json_integer(r->found));
            json_object_set_new(o, "ngrams_item", json_integer(it->n_ngrams));
        }
        char *js = sp_json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(o);
        if (!js) {
            st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            goto done;
        }
        size_t l = strlen(js);
        while (llen + l + 2 > lcap) {
            char *nl = realloc(log, lcap * 2);
            if (!nl) {
                free(js);
                st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
                goto done;
            }
            log = nl;
            lcap *= 2;
        }
        memcpy(log + llen, js, l);
        log[llen + l] = '\n';
        llen += l + 1;
        free(js);
    }
    for (size_t i = 0; i < n; i++) {
        char *p = sp_wpath(workdir, SP_WF_DECONTAM, sciprune_shard_name(paths[i]));
        if (!p) {
            st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            goto done;
        }
        st = sp_npy_write(p, SP_NPY_U8, S->rows[i], 0, S->flags[i] ? (const void *)S->flags[i] : (const void *)"", err);
        free(p);
        if (st) goto done;
    }
    if ((st = sp_write_file_atomic(lp, log, llen, err))) goto done;
    root = json_object();
    json_t *bj = json_array(), *sj = json_array();
    json_object_set_new(root, "settings", settings_json(S->s));
    json_object_set_new(root, "benchmarks", bj);
    json_object_set_new(root, "shards", sj);
    for (size_t b = 0; b < nb; b++) {
        uint64_t items, pats, allow, small;
        decontam_index_bench_counts(S->ix, (uint32_t)b, &items, &pats, &allow, &small);
        json_array_append_new(bj, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "name",
                                            decontam_index_bench_name(S->ix, (uint32_t)b), "path",
                                            S->s->benchmarks[b].path, "format",
                                            k_formats[S->s->benchmarks[b].format], "items",
                                            (json_int_t)items, "patterns", (json_int_t)pats,
                                            "allowlisted", (json_int_t)allow, "ngram_too_small",
                                            (json_int_t)small, "removed_exact", (json_int_t)bx[b * 2],
                                            "removed_ngram", (json_int_t)bx[b * 2 + 1]));
    }
    for (size_t i = 0; i < n; i++)
        json_array_append_new(sj, json_pack("{s:s, s:I, s:I, s:I}", "name", sciprune_shard_name(paths[i]),
                                            "rows", (json_int_t)S->rows[i], "accepted",
                                            (json_int_t)S->acc[i], "removed", (json_int_t)S->removed[i]));
    json_object_set_new(root, "records", json_integer((json_int_t)S->records));
    json_object_set_new(root, "accepted", json_integer((json_int_t)S->accepted));
    json_object_set_new(root, "removed", json_integer((json_int_t)(n_exact + n_ngram)));
    json_object_set_new(root, "removed_exact", json_integer((json_int_t)n_exact));
    json_object_set_new(root, "removed_ngram", json_integer((json_int_t)n_ngram));
    json_object_set_new(root, "ngrams", json_integer((json_int_t)decontam_index_ngrams(S->ix)));
    json_object_set_new(root, "df_cap", json_integer(cap));
    json_object_set_new(root, "ngram_candidates", json_integer((json_int_t)S->n_cd));
    json_object_set_new(root, "seconds", json_real(seconds));
    st = write_json(sp, root, 0, err);
done:
    json_decref(root);
    free(log);
    free(bx);
    free(dir);
    free(sp);
    free(lp);
    return st;
}

sciprune_status sciprune_decontam_run(const char *workdir, const char *const *paths, size_t n,
                                      const sciprune_decontam_settings *s,
                                      sciprune_decontam_info *info, sciprune_error *err)
{
    double t0 = sp_now();
    if (info) memset(info, 0, sizeof *info);
    sciprune_status st = sciprune_decontam_settings_check(s, err);
    if (st) return st;
    if (!n) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "no input shards");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(sciprune_shard_name(paths[i]), sciprune_shard_name(paths[j])))
                return sp_err(err, SCIPRUNE_EINVAL, paths[i], -1, -1, "two input shards are named %s",
                              sciprune_shard_name(paths[i]));
    decontam_params p = {s->exact, s->ngram, s->exact_min_chars, s->ngram_n, s->ngram_min,
                         s->ngram_threshold};
    state S;
    memset(&S, 0, sizeof S);
    S.s = s;
    chunk ch;
    memset(&ch, 0, sizeof ch);
    ctx C = {.c = &ch};
    int threads = sp_threads(s->threads, SP_THREADS_MAX);
    if ((st = decontam_index_new(&S.ix, &p, err))) return st;
    for (size_t b = 0; b < s->n_benchmarks && !st; b++) st = decontam_load(S.ix, &s->benchmarks[b], err);
    if (!st) st = decontam_index_finish(S.ix, err);
    if (st) goto done;
    C.ix = S.ix;
    C.scr = calloc((size_t)threads, sizeof *C.scr);
    S.df = calloc(decontam_index_ngrams(S.ix) + 1, sizeof *S.df);
    S.flags = calloc(n, sizeof *S.flags);
    S.rows = calloc(n, sizeof *S.rows);
    S.acc = calloc(n, sizeof *S.acc);
    S.removed = calloc(n, sizeof *S.removed);
    if (!C.scr || !S.df || !S.flags || !S.rows || !S.acc || !S.removed) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    for (int t = 0; t < threads && !st; t++) st = decontam_scratch_new(&C.scr[t], S.ix, err);
    for (size_t i = 0; i < n && !st; i++) st = run_shard(&S, &C, (uint32_t)i, paths[i], err);
    if (st) goto done;
    /* the n-gram candidates, judged with the df cap */
    double capd = ceil(s->ngram_df_share * (double)S.accepted);
    uint32_t cap = capd > (double)s->ngram_df_min ? (capd > 4e9 ? UINT32_MAX - 1 : (uint32_t)capd) : s->ngram_df_min;
    for (size_t i = 0; i < S.n_cd && !st; i++) {
        cand *k = &S.cd[i];
        decontam_verdict v;
        decontam_judge(S.ix, C.scr[0], k->hits, k->n_hits, S.df, cap, &v);
        if (!v.match) continue;
        removal r = {k->shard, k->line, k->id, 2, v.item, NULL, v.start, v.end,
                     excerpt(k->text, v.start, v.end), v.share, v.found};
        if (!r.excerpt || !push_rm(&S, &r)) {
            free(r.excerpt);
            st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            break;
        }
        k->id = NULL; /* owned by the removal */
        S.flags[k->shard][k->row] = 2;
    }
    if (st) goto done;
    double secs = sp_now() - t0;
    if ((st = write_outputs(&S, workdir, paths, n, cap, secs, err))) goto done;
    if (info) {
        info->n_records = S.records;
        info->n_accepted = S.accepted;
        info->n_items = decontam_index_items(S.ix);
        info->n_ngrams = decontam_index_ngrams(S.ix);
        for (size_t i = 0; i < S.n_rm; i++) {
            if (S.rm[i].matcher == 1) info->n_exact++;
            else info->n_ngram++;
        }
        info->seconds = secs;
    }
done:
    for (size_t i = 0; i < S.n_rm; i++) {
        free(S.rm[i].id);
        free(S.rm[i].excerpt);
    }
    free(S.rm);
    for (size_t i = 0; i < S.n_cd; i++) {
        free(S.cd[i].id);
        free(S.cd[i].text);
        free(S.cd[i].hits);
    }
    free(S.cd);
    for (size_t i = 0; S.flags && i < n; i++) free(S.flags[i]);
    free(S.flags);
    free(S.rows);
    free(S.acc);
    free(S.removed);
    free(S.df);
    for (int t = 0; C.scr && t < threads; t++) decontam_scratch_free(C.scr[t]);
    free(C.scr);
    free(ch.it);
    free(ch.text);
    decontam_index_free(S.ix);
    return st;
}
