/*
 * corruptor.c - loading the corruption queries and applying one corruption to one text.
 *
 * Query files: <queries>/<lang>/<type>.scm, where <type> is [a-z0-9-]+. The file opens with
 * comment lines
 *     ; kind: syntax            (or content; required)
 *     ; description: ...        (optional, for people)
 * followed by tree-sitter query patterns whose capture names pick the edit (see edit.c).
 *
 * Applying: run the query over the clean parse tree, keep the matches whose text predicates
 * hold, turn each edit capture into a candidate site, sort the sites by position and drop
 * duplicates (two patterns may select the same node), then visit them in an order drawn from
 * the seed (lazy Fisher-Yates) and return the first edit whose re-parse validates:
 *   syntax:  the variant has at least one ERROR or MISSING node;
 *   content: the variant has none, and differs from the input.
 * At most CORRUPT_MAX_ATTEMPTS edits are re-parsed. Nothing here depends on thread timing, so
 * the same (seed, input) always gives the same bytes.
 */
#include "corrupt_int.h"
#include "corrupt_sites.h"
#include "corrupt_sites_int.h"
#include "sciprune_config.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *sciprune_corrupt_kind_name(sciprune_corrupt_kind k)
{
    switch (k) {
    case SCIPRUNE_CORRUPT_SYNTAX: return "syntax";
    case SCIPRUNE_CORRUPT_CONTENT: return "content";
    }
    return "?";
}

const char *sciprune_corrupt_outcome_name(sciprune_corrupt_outcome o)
{
    switch (o) {
    case SCIPRUNE_CORRUPT_MADE: return "made";
    case SCIPRUNE_CORRUPT_UNCLEAN: return "unclean";
    case SCIPRUNE_CORRUPT_NO_SITE: return "no_site";
    case SCIPRUNE_CORRUPT_INVALID: return "invalid";
    }
    return "?";
}

const char *sciprune_data_dir(void)
{
    const char *e = getenv("SCIPRUNE_DATA_DIR");
    if (e && *e) return e;
    const char *inst = sp_install_data_dir(); /* an installed library: its prefix's data/ */
    return inst ? inst : SCIPRUNE_DATA_DIR;
}

void sciprune_corrupt_result_clear(sciprune_corrupt_result *r)
{
    if (!r) return;
    free(r->text);
    free(r->removed);
    free(r->inserted);
    memset(r, 0, sizeof *r);
}

void sciprune_corruptor_free(sciprune_corruptor *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->nops; i++) {
        free(c->ops[i].type);
        free(c->ops[i].path);
        lang_query_free(c->ops[i].query);
    }
    free(c->ops);
    for (size_t i = 0; i < c->ntypes; i++) free(c->types[i]);
    free(c->types);
    free(c->type_kinds);
    free(c);
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int valid_type_name(const char *s, size_t n)
{
    if (n == 0 || n > 64) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

/* Sorted names of the *.scm files in dir. *out owned by the caller (free each, then array). */
static sciprune_status list_scm(const char *dir, char ***out, size_t *n, sciprune_error *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return sp_err(err, SCIPRUNE_EIO, dir, -1, -1, "cannot open queries folder");
    char **v = NULL;
    size_t cnt = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".scm") != 0) continue;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            char **nv = realloc(v, cap * sizeof *nv);
            if (!nv) goto oom;
            v = nv;
        }
        if (!(v[cnt] = strdup(e->d_name))) goto oom;
        cnt++;
    }
    closedir(d);
    if (cnt) qsort(v, cnt, sizeof *v, cmp_str);
    *out = v;
    *n = cnt;
    return SCIPRUNE_OK;
oom:
    closedir(d);
    for (size_t i = 0; i < cnt; i++) free(v[i]);
    free(v);
    return sp_err(err, SCIPRUNE_ENOMEM, dir, -1, -1, "out of memory");
}

/* Read "; kind: ..." from the leading comment block. 0 when absent or unknown. */
static sciprune_corrupt_kind header_kind(const char *s, int64_t *bad_line)
{
    int64_t line = 1;
    *bad_line = -1;
    const char *p = s;
    while (*p) {
        while (*p == ' ' || *p == '\t') p++;
        if (*p != ';' && *p != '\n') break; /* the first pattern: the header is over */
        const char *eol = strchr(p, '\n');
        if (!eol) eol = p + strlen(p);
        if (*p == ';') {
            const char *q = p;
            while (*q == ';' || *q == ' ' || *q == '\t') q++;
            if (strncmp(q, "kind:", 5) == 0) {
                q += 5;
                while (*q == ' ' || *q == '\t') q++;
                size_t l = (size_t)(eol - q);
                while (l && (q[l - 1] == ' ' || q[l - 1] == '\r' || q[l - 1] == '\t')) l--;
                if (l == 6 && strncmp(q, "syntax", 6) == 0) return SCIPRUNE_CORRUPT_SYNTAX;
                if (l == 7 && strncmp(q, "content", 7) == 0) return SCIPRUNE_CORRUPT_CONTENT;
                *bad_line = line;
                return 0;
            }
        }
        if (!*eol) break;
        p = eol + 1;
        line++;
    }
    return 0;
}

/* Check the capture names of a compiled query. */
static sciprune_status check_captures(const lang_query *lq, const char *path, sciprune_error *err)
{
    const TSQuery *q = lang_query_ts(lq);
    int has_edit = 0, swap_a = 0, swap_b = 0, replace = 0;
    for (uint32_t i = 0; i < ts_query_capture_count(q); i++) {
        uint32_t l;
        const char *name = ts_query_capture_name_for_id(q, i, &l);
        int e = corrupt_edit_for_capture(name);
        if (e < 0)
            return sp_err(err, SCIPRUNE_EPARSE, path, -1, -1,
                          "unknown capture @%s (edits: delete, delete.spaced, delete.line, "
                          "replace, misspell, rename, swap.a/swap.b, operator, increment, "
                          "dedent, indent, misindent, tabify, negate; <edit>.each for each named child; helpers start with '_')", name);
        if (e != EDIT_NONE) has_edit = 1;
        if (e == EDIT_SWAP_A) swap_a = 1;
        if (e == EDIT_SWAP_B) swap_b = 1;
        if (e == EDIT_REPLACE) replace = 1;
    }
    if (!has_edit) return sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "the query captures no edit");
    if (swap_a != swap_b)
        return sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "@swap.a and @swap.b go together");
    if (replace && !lang_query_has_property(lq, "replace"))
        return sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "@replace needs (#set! replace \"text\")");
    return SCIPRUNE_OK;
}

/* paths_only: the operator keeps its path and kind, its query is not compiled (NULL): for a
 * site set, which compiles the files together. */
static sciprune_status load_file(sciprune_corruptor *c, const char *lang, const char *dir,
                                 const char *file, int fallback, int paths_only,
                                 sciprune_error *err)
{
    char *path = sp_path_join(dir, file);
    char *text = NULL;
    size_t len = 0;
    lang_query *q = NULL;
    sciprune_status s;
    if (!path) return sp_err(err, SCIPRUNE_ENOMEM, dir, -1, -1, "out of memory");
    size_t tl = strlen(file) - 4;
    if (!valid_type_name(file, tl)) {
        s = sp_err(err, SCIPRUNE_EPARSE, path, -1, -1,
                   "corruption names are lowercase letters, digits and '-'");
        goto fail;
    }
    if ((s = sp_read_file(path, &text, &len, err)) != SCIPRUNE_OK) goto fail;
    int64_t bad_line;
    sciprune_corrupt_kind kind = header_kind(text, &bad_line);
    if (!kind) {
        s = sp_err(err, SCIPRUNE_EPARSE, path, bad_line, -1,
                   "the file must start with a comment line '; kind: syntax' or '; kind: content'");
        goto fail;
    }
    s = paths_only ? SCIPRUNE_OK : lang_query_new(&q, lang, text, len, path, err);
    if (s == SCIPRUNE_OK && !paths_only) s = check_captures(q, path, err);
    if (s != SCIPRUNE_OK) {
        if (fallback && s == SCIPRUNE_EPARSE) { /* a borrowed query may not fit this grammar */
            sp_log(SCIPRUNE_LOG_INFO, "%s: not used for %s: %s", path, lang, err ? err->text : "");
            sp_err_clear(err);
            s = SCIPRUNE_OK;
        }
        goto fail;
    }
    corrupt_op *nops = realloc(c->ops, (c->nops + 1) * sizeof *nops);
    if (!nops) {
        s = sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
        goto fail;
    }
    c->ops = nops;
    corrupt_op *op = &c->ops[c->nops];
    op->lang = lang;
    op->kind = kind;
    op->query = q;
    op->path = path;
    op->type = strndup(file, tl);
    c->nops++; /* owned by c from here: _free releases it */
    free(text);
    if (!op->type) return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
    return SCIPRUNE_OK;
fail:
    lang_query_free(q);
    free(text);
    free(path);
    return s;
}

/* Collect the distinct type names; the same name must have the same kind everywhere. */
static sciprune_status build_types(sciprune_corruptor *c, sciprune_error *err)
{
    c->types = calloc(c->nops, sizeof *c->types);
    c->type_kinds = calloc(c->nops, sizeof *c->type_kinds);
    if (!c->types || !c->type_kinds) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    for (size_t i = 0; i < c->nops; i++) {
        size_t k = 0;
        while (k < c->ntypes && strcmp(c->types[k], c->ops[i].type) != 0) k++;
        if (k < c->ntypes) {
            if (c->type_kinds[k] != c->ops[i].kind)
                return sp_err(err, SCIPRUNE_EPARSE, c->ops[i].path, -1, -1,
                              "'%s' is %s here but %s for another language", c->ops[i].type,
                              sciprune_corrupt_kind_name(c->ops[i].kind),
                              sciprune_corrupt_kind_name(c->type_kinds[k]));
            continue;
        }
        if (!(c->types[k] = strdup(c->ops[i].type)))
            return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        c->type_kinds[k] = c->ops[i].kind;
        c->ntypes++;
    }
    /* sort names and kinds together */
    for (size_t i = 1; i < c->ntypes; i++)
        for (size_t j = i; j > 0 && strcmp(c->types[j - 1], c->types[j]) > 0; j--) {
            char *t = c->types[j];
            c->types[j] = c->types[j - 1];
            c->types[j - 1] = t;
            sciprune_corrupt_kind kk = c->type_kinds[j];
            c->type_kinds[j] = c->type_kinds[j - 1];
            c->type_kinds[j - 1] = kk;
        }
    return SCIPRUNE_OK;
}

/* 1 when file "<type>.scm" names one of types[0, n) (every file when types is NULL). */
static int wanted(const char *file, const char *const *types, size_t n)
{
    if (!types) return 1;
    size_t l = strlen(file) - 4;
    for (size_t i = 0; i < n; i++)
        if (strlen(types[i]) == l && !strncmp(types[i], file, l)) return 1;
    return 0;
}

static sciprune_status corruptor_new(sciprune_corruptor **out, const char *queries_dir,
                                     const char *const *types, size_t ntypes,
                                     sciprune_error *err);

sciprune_status sciprune_corruptor_new(sciprune_corruptor **out, const char *queries_dir,
                                       sciprune_error *err)
{
    return corruptor_new(out, queries_dir, NULL, 0, err);
}

sciprune_status corrupt_corruptor_new_types(sciprune_corruptor **out, const char *const *types,
                                            size_t ntypes, sciprune_error *err)
{
    return corruptor_new(out, NULL, types, ntypes, err);
}

static sciprune_status corruptor_new(sciprune_corruptor **out, const char *queries_dir,
                                     const char *const *types, size_t ntypes,
                                     sciprune_error *err)
{
    *out = NULL;
    sciprune_status s = SCIPRUNE_OK;
    char *qdir = queries_dir ? strdup(queries_dir) : sp_path_join(sciprune_data_dir(), "queries");
    sciprune_corruptor *c = calloc(1, sizeof *c);
    if (!qdir || !c) {
        s = sp_err(err, SCIPRUNE_ENOMEM, queries_dir, -1, -1, "out of memory");
        goto fail;
    }
    if (!is_dir(qdir)) {
        s = sp_err(err, SCIPRUNE_EIO, qdir, -1, -1,
                   "queries folder not found (set SCIPRUNE_DATA_DIR to the data/ folder)");
        goto fail;
    }
    /* languages in registry order; ops end up sorted by (lang, type) below */
    for (size_t li = 0; li < sciprune_lang_count(); li++) {
        const char *lang = sciprune_lang_name(li);
        char *dir = sp_path_join(qdir, lang);
        int fallback = 0;
        if (!dir) {
            s = sp_err(err, SCIPRUNE_ENOMEM, qdir, -1, -1, "out of memory");
            goto fail;
        }
        if (!is_dir(dir) && strcmp(lang, "tsx") == 0) {
            free(dir);
            dir = sp_path_join(qdir, "typescript");
            fallback = 1;
            if (!dir) {
                s = sp_err(err, SCIPRUNE_ENOMEM, qdir, -1, -1, "out of memory");
                goto fail;
            }
        }
        if (!is_dir(dir)) {
            free(dir);
            continue;
        }
        char **files = NULL;
        size_t nfiles = 0;
        s = list_scm(dir, &files, &nfiles, err);
        for (size_t i = 0; s == SCIPRUNE_OK && i < nfiles; i++)
            if (wanted(files[i], types, ntypes)) s = load_file(c, lang, dir, files[i], fallback, types != NULL, err);
        for (size_t i = 0; i < nfiles; i++) free(files[i]);
        free(files);
        free(dir);
        if (s != SCIPRUNE_OK) goto fail;
    }
    if (c->nops == 0) {
        s = sp_err(err, SCIPRUNE_EIO, qdir, -1, -1, "no <lang>/<type>.scm query files found");
        goto fail;
    }
    /* stable sort by (lang, type): files are already sorted within a language */
    for (size_t i = 1; i < c->nops; i++)
        for (size_t j = i; j > 0; j--) {
            corrupt_op *x = &c->ops[j - 1], *y = &c->ops[j];
            int d = strcmp(x->lang, y->lang);
            if (d < 0 || (d == 0 && strcmp(x->type, y->type) <= 0)) break;
            corrupt_op t = *x;
            *x = *y;
            *y = t;
        }
    if ((s = build_types(c, err)) != SCIPRUNE_OK) goto fail;
    free(qdir);
    *out = c;
    return SCIPRUNE_OK;
fail:
    free(qdir);
    sciprune_corruptor_free(c);
    return s;
}

const corrupt_op *corrupt_find(const sciprune_corruptor *c, const char *lang, const char *type)
{
    if (!lang || !type) return NULL;
    for (size_t i = 0; i < c->nops; i++)
        if (strcmp(c->ops[i].lang, lang) == 0 && strcmp(c->ops[i].type, type) == 0)
            return &c->ops[i];
    return NULL;
}

int corrupt_has_lang(const sciprune_corruptor *c, const char *lang)
{
    for (size_t i = 0; i < c->nops; i++)
        if (strcmp(c->ops[i].lang, lang) == 0) return 1;
    return 0;
}

size_t sciprune_corrupt_list(const sciprune_corruptor *c, const char *lang, const char **names,
                             sciprune_corrupt_kind *kinds, size_t cap)
{
    size_t n = 0;
    if (!lang) {
        for (size_t i = 0; i < c->ntypes; i++, n++)
            if (n < cap) {
                if (names) names[n] = c->types[i];
                if (kinds) kinds[n] = c->type_kinds[i];
            }
        return n;
    }
    for (size_t i = 0; i < c->nops; i++) {
        if (strcmp(c->ops[i].lang, lang) != 0) continue;
        if (n < cap) {
            if (names) names[n] = c->ops[i].type;
            if (kinds) kinds[n] = c->ops[i].kind;
        }
        n++;
    }
    return n;
}

/* ---------------------------------------------------------------- apply */

static int cmp_site(const void *pa, const void *pb)
{
    const corrupt_site *a = pa, *b = pb;
#define CMP(x, y) if ((x) != (y)) return (x) < (y) ? -1 : 1
    CMP(ts_node_start_byte(a->a), ts_node_start_byte(b->a));
    CMP(ts_node_end_byte(a->a), ts_node_end_byte(b->a));
    CMP(a->edit, b->edit);
    int an = ts_node_is_null(a->b), bn = ts_node_is_null(b->b);
    CMP(an, bn);
    if (!an) {
        CMP(ts_node_start_byte(a->b), ts_node_start_byte(b->b));
        CMP(ts_node_end_byte(a->b), ts_node_end_byte(b->b));
    }
    CMP(a->pattern, b->pattern);
#undef CMP
    return 0;
}

static int same_site(const corrupt_site *a, const corrupt_site *b)
{
    if (a->edit != b->edit || ts_node_start_byte(a->a) != ts_node_start_byte(b->a) ||
        ts_node_end_byte(a->a) != ts_node_end_byte(b->a))
        return 0;
    int an = ts_node_is_null(a->b), bn = ts_node_is_null(b->b);
    if (an != bn) return 0;
    return an || (ts_node_start_byte(a->b) == ts_node_start_byte(b->b) &&
                  ts_node_end_byte(a->b) == ts_node_end_byte(b->b));
}

static int push_site(corrupt_site **v, size_t *n, size_t *cap, corrupt_site s)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        corrupt_site *nv = realloc(*v, nc * sizeof *nv);
        if (!nv) return -1;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = s;
    return 0;
}

/* Candidate sites of op in the tree, sorted and unique. */
static sciprune_status find_sites_q(const lang_query *lq, const char *path, const TSNode *roots,
                                    size_t nroots, const char *src, size_t len,
                                    corrupt_site **out, size_t *nout, sciprune_error *err);

static sciprune_status find_sites(const corrupt_op *op, TSNode root, const char *src, size_t len,
                                  corrupt_site **out, size_t *nout, sciprune_error *err)
{
    return find_sites_q(op->query, op->path, &root, 1, src, len, out, nout, err);
}

typedef struct site_vec {
    corrupt_site *v;
    size_t n, cap;
} site_vec;

/* What a capture does: the edit its name selects (corrupt_edit_for_capture) and whether it
 * applies to each named child (".each"). One per capture id of a query. */
typedef struct cap_info {
    int edit;
    int each;
} cap_info;

/* The table of nc captures named name(ctx, id) (malloc), or NULL on ENOMEM. */
static cap_info *capture_table_of(uint32_t nc, const char *(*name)(const void *ctx, uint32_t id),
                                  const void *ctx)
{
    cap_info *t = malloc((nc ? nc : 1) * sizeof *t);
    if (!t) return NULL;
    for (uint32_t i = 0; i < nc; i++) {
        const char *nm = name(ctx, i);
        t[i].edit = corrupt_edit_for_capture(nm);
        t[i].each = corrupt_capture_each(nm);
    }
    return t;
}

static const char *ts_capture_name(const void *q, uint32_t id)
{
    uint32_t l;
    return ts_query_capture_name_for_id(q, id, &l);
}

static const char *prog_capture_name(const void *g, uint32_t id) { return sp_prog_capture_name(g, id); }

/* The table of lq's captures (a TSQuery's), or NULL on ENOMEM. */
static cap_info *capture_table(const lang_query *lq)
{
    const TSQuery *q = lang_query_ts(lq);
    return capture_table_of(ts_query_capture_count(q), ts_capture_name, q);
}

/* The sites of one match of lq (none when its predicates do not hold): per capture, the edit
 * its name selects (ct: lq's capture_table). 0, or -1 on ENOMEM. */
static int collect_match(const lang_query *lq, const cap_info *ct, const TSQueryMatch *m,
                         const char *src, size_t len, site_vec *sv)
{
    if (!lang_query_match_ok(lq, m, src, len)) return 0;
    corrupt_site swap = {EDIT_SWAP_A, m->pattern_index, {{0}, 0, 0}, {{0}, 0, 0}};
    int has_a = 0, has_b = 0;
    for (uint16_t k = 0; k < m->capture_count; k++) {
        int e = ct[m->captures[k].index].edit;
        if (e == EDIT_SWAP_A) swap.a = m->captures[k].node, has_a = 1;
        else if (e == EDIT_SWAP_B) swap.b = m->captures[k].node, has_b = 1;
        else if (e > 0 && ct[m->captures[k].index].each) {
            /* the named children, as a (_) child pattern would match them */
            TSTreeCursor tc = ts_tree_cursor_new(m->captures[k].node);
            int bad = 0;
            if (ts_tree_cursor_goto_first_child(&tc)) do {
                TSNode ch = ts_tree_cursor_current_node(&tc);
                if (!ts_node_is_named(ch)) continue;
                corrupt_site s = {(corrupt_edit)e, m->pattern_index, ch, {{0}, 0, 0}};
                if (push_site(&sv->v, &sv->n, &sv->cap, s)) bad = 1;
            } while (!bad && ts_tree_cursor_goto_next_sibling(&tc));
            ts_tree_cursor_delete(&tc);
            if (bad) return -1;
        } else if (e > 0) {
            corrupt_site s = {(corrupt_edit)e, m->pattern_index, m->captures[k].node, {{0}, 0, 0}};
            if (push_site(&sv->v, &sv->n, &sv->cap, s)) return -1;
        }
    }
    if (has_a && has_b && push_site(&sv->v, &sv->n, &sv->cap, swap)) return -1;
    return 0;
}

/* Sort a site list and drop duplicates (the first pattern's kept). */
static void sites_sort_unique(site_vec *sv)
{
    if (sv->n < 2) return;
    qsort(sv->v, sv->n, sizeof *sv->v, cmp_site);
    size_t w = 1;
    for (size_t i = 1; i < sv->n; i++)
        if (!same_site(&sv->v[w - 1], &sv->v[i])) sv->v[w++] = sv->v[i];
    sv->n = w;
}

/* Candidate sites of a compiled query in the subtrees roots[0, nroots) (the whole tree: its
 * root), sorted and unique; `path` names it in errors. */
static sciprune_status find_sites_q(const lang_query *lq, const char *path, const TSNode *roots,
                                    size_t nroots, const char *src, size_t len,
                                    corrupt_site **out, size_t *nout, sciprune_error *err)
{
    *out = NULL;
    *nout = 0;
    if (!nroots) return SCIPRUNE_OK;
    const TSQuery *q = lang_query_ts(lq);
    TSQueryCursor *cur = ts_query_cursor_new();
    cap_info *ct = capture_table(lq);
    if (!cur || !ct) {
        if (cur) ts_query_cursor_delete(cur);
        free(ct);
        return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
    }
    site_vec sv = {NULL, 0, 0};
    TSQueryMatch m;
    for (size_t ri = 0; ri < nroots; ri++) {
        ts_query_cursor_exec(cur, q, roots[ri]);
        while (ts_query_cursor_next_match(cur, &m))
            if (collect_match(lq, ct, &m, src, len, &sv)) {
                ts_query_cursor_delete(cur);
                free(ct);
                free(sv.v);
                return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
            }
    }
    ts_query_cursor_delete(cur);
    free(ct);
    sites_sort_unique(&sv);
    *out = sv.v;
    *nout = sv.n;
    return SCIPRUNE_OK;
}

static char *dup_bytes(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* The row/column just after s[0, n) when s starts at p. */
static TSPoint advance_point(TSPoint p, const char *s, size_t n)
{
    const char *end = s + n, *nl;
    while ((nl = memchr(s, '\n', (size_t)(end - s))) != NULL) {
        p.row++;
        p.column = 0;
        s = nl + 1;
    }
    p.column += (uint32_t)(end - s);
    return p;
}

/* Parse the variant `var` incrementally: a copy of the clean tree of `src`, edited by the
 * splice, is handed to the parser, which re-lexes and re-parses only around the edit (tree-sitter
 * gives the same tree as a fresh parse). A fresh parse of the whole variant per attempt was
 * most of the corrupt stage's time. */
static sciprune_status reparse(sciprune_parser *parser, const char *lang, const TSTree *tree,
                               const char *src, const corrupt_splice *sp, const char *var,
                               size_t vlen, TSTree **out, sciprune_error *err)
{
    *out = NULL;
    sciprune_status gs = lang_guard_err(lang, var, vlen, err); /* the edit may deepen it */
    if (gs) return gs;
    TSParser *tsp = lang_ts_parser(parser);
    if (!ts_parser_set_language(tsp, lang_grammar(lang)))
        return sp_err(err, SCIPRUNE_EBACKEND, lang, -1, -1, "tree-sitter rejected the %s grammar", lang);
    TSInputEdit e;
    e.start_byte = (uint32_t)sp->offset;
    e.old_end_byte = (uint32_t)(sp->offset + sp->removed);
    e.new_end_byte = (uint32_t)(sp->offset + sp->ins_len);
    e.start_point = advance_point((TSPoint){0, 0}, src, sp->offset);
    e.old_end_point = advance_point(e.start_point, src + sp->offset, sp->removed);
    e.new_end_point = advance_point(e.start_point, sp->ins, sp->ins_len);
    TSTree *old = ts_tree_copy(tree);
    if (!old) return sp_err(err, SCIPRUNE_ENOMEM, lang, -1, -1, "out of memory");
    ts_tree_edit(old, &e);
    *out = ts_parser_parse_string(tsp, old, var, (uint32_t)vlen);
    ts_tree_delete(old);
    if (!*out) return sp_err(err, SCIPRUNE_EBACKEND, lang, -1, -1, "tree-sitter parse failed");
    return SCIPRUNE_OK;
}

sciprune_status corrupt_apply_tree(const corrupt_op *op, sciprune_parser *parser, uint64_t seed,
                                   const char *src, size_t len, TSTree *tree,
                                   sciprune_corrupt_result *res, sciprune_error *err)
{
    memset(res, 0, sizeof *res);
    res->kind = op->kind;
    TSNode root = ts_tree_root_node(tree);
    corrupt_site *sites = NULL;
    size_t nsites = 0;
    size_t *order = NULL;
    char *var = NULL;
    sciprune_status s = find_sites(op, root, src, len, &sites, &nsites, err);
    if (s) return s;
    res->sites = nsites > UINT32_MAX ? UINT32_MAX : (uint32_t)nsites;
    res->outcome = nsites ? SCIPRUNE_CORRUPT_INVALID : SCIPRUNE_CORRUPT_NO_SITE;
    if (nsites == 0) goto done;
    order = malloc(nsites * sizeof *order);
    if (!order) goto oom;
    for (size_t i = 0; i < nsites; i++) order[i] = i;
    corrupt_rng rng = {seed};
    for (size_t k = 0; k < nsites && res->attempts < CORRUPT_MAX_ATTEMPTS; k++) {
        size_t j = k + (size_t)corrupt_rng_below(&rng, nsites - k);
        size_t t = order[k];
        order[k] = order[j];
        order[j] = t;
        corrupt_splice sp;
        int r = corrupt_edit_build(op->query, &sites[order[k]], root, src, len, &rng, &sp);
        if (r < 0) goto oom;
        if (r == 0) continue;
        res->attempts++;
        size_t vlen = len - sp.removed + sp.ins_len;
        var = malloc(vlen + 1);
        if (!var) {
            free(sp.ins);
            goto oom;
        }
        memcpy(var, src, sp.offset);
        memcpy(var + sp.offset, sp.ins, sp.ins_len);
        memcpy(var + sp.offset + sp.ins_len, src + sp.offset + sp.removed,
               len - sp.offset - sp.removed);
        var[vlen] = '\0';
        if (lang_guard_err(op->lang, var, vlen, NULL) != SCIPRUNE_OK) {
            /* the edit took a source at the guard's limit over it: not a valid variant */
            free(sp.ins);
            free(var);
            var = NULL;
            continue;
        }
        TSTree *vt = NULL;
        if ((s = reparse(parser, op->lang, tree, src, &sp, var, vlen, &vt, err)) != SCIPRUNE_OK) {
            free(sp.ins);
            goto done;
        }
        sciprune_parse_stats st;
        lang_count_errors(op->lang, ts_tree_root_node(vt), var, vlen, &st);
        ts_tree_delete(vt);
        int broken = lang_error_count(&st) > 0;
        int differs = vlen != len || memcmp(var, src, len) != 0;
        int ok = op->kind == SCIPRUNE_CORRUPT_SYNTAX ? broken : (!broken && differs);
        if (!ok) {
            free(sp.ins);
            free(var);
            var = NULL;
            continue;
        }
        res->text = var;
        res->text_len = vlen;
        var = NULL;
        res->offset = sp.offset;
        res->inserted = sp.ins;
        res->inserted_len = sp.ins_len;
        res->removed = dup_bytes(src + sp.offset, sp.removed);
        res->removed_len = sp.removed;
        if (!res->removed) goto oom;
        res->outcome = SCIPRUNE_CORRUPT_MADE;
        break;
    }
    /* sites whose edit did not apply (no fresh name, not an integer...) are no sites */
    if (res->outcome == SCIPRUNE_CORRUPT_INVALID && res->attempts == 0)
        res->outcome = SCIPRUNE_CORRUPT_NO_SITE;
done:
    free(var);
    free(order);
    free(sites);
    if (s != SCIPRUNE_OK) sciprune_corrupt_result_clear(res);
    return s;
oom:
    s = sp_err(err, SCIPRUNE_ENOMEM, op->path, -1, -1, "out of memory");
    goto done;
}

sciprune_status sciprune_corrupt_apply(const sciprune_corruptor *c, sciprune_parser *parser,
                                       const char *lang, const char *type, uint64_t seed,
                                       const char *src, size_t len, sciprune_corrupt_result *res,
                                       sciprune_error *err)
{
    memset(res, 0, sizeof *res);
    if (!c || !parser || !lang || !type || (!src && len))
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "NULL argument");
    if (!lang_grammar(lang))
        return sp_err(err, SCIPRUNE_EINVAL, lang, -1, -1, "no grammar for language '%s'", lang);
    const corrupt_op *op = corrupt_find(c, lang, type);
    if (!op)
        return sp_err(err, SCIPRUNE_EINVAL, lang, -1, -1, "no corruption '%s' for %s", type, lang);
    TSTree *tree = NULL;
    sciprune_status s = lang_parse(parser, lang, src ? src : "", len, &tree, err);
    if (s) return s;
    sciprune_parse_stats st;
    lang_count_errors(lang, ts_tree_root_node(tree), src, len, &st);
    if (lang_error_count(&st) > 0) {
        res->kind = op->kind;
        res->outcome = SCIPRUNE_CORRUPT_UNCLEAN;
    } else {
        s = corrupt_apply_tree(op, parser, seed, src ? src : "", len, tree, res, err);
    }
    ts_tree_delete(tree);
    return s;
}

/* ---------------------------------------------------------------- sites (corrupt_sites.h) */

static corrupt_site_kind site_kind(corrupt_edit e)
{
    switch (e) {
    case EDIT_OPERATOR: return CORRUPT_SITE_OPERATOR;
    case EDIT_SWAP_A: case EDIT_SWAP_B: return CORRUPT_SITE_SWAP;
    case EDIT_INCREMENT: return CORRUPT_SITE_INCREMENT;
    case EDIT_NEGATE: return CORRUPT_SITE_NEGATE;
    case EDIT_DELETE: case EDIT_DELETE_SPACED: case EDIT_DELETE_LINE: return CORRUPT_SITE_DELETE;
    default: return CORRUPT_SITE_OTHER;
    }
}

struct corrupt_site_set {
    /* the query cursor's: the types' query files, concatenated, compiled once - at creation,
     * or for a direct set on the first corrupt_site_set_each (full_query) - and its capture
     * table; owned */
    lang_query *query;
    cap_info *caps;
    pthread_mutex_t lock;   /* full_query's compile */
    atomic_int ready;       /* query and caps are made */
    char *lang, *text;      /* for full_query's compile: owned (text NULL once compiled) */
    size_t tlen;
    uint8_t *rootsym;       /* per symbol of the language: a pattern may be rooted at a node
                               of it (corrupt_site_set_root_symbols); NULL: not known; owned */
    uint32_t nsym;
    uint8_t *ptype;         /* per pattern: index into the caller's types, owned */
    const corrupt_op **ops; /* per type: the operator (NULL when the language has none) */
    size_t ntypes;
    /* direct sets: the patterns as sitepat.c matches them, with their own predicates and
     * properties (sp_prog_query) and capture table; NULL otherwise; owned */
    sp_prog *prog;
    cap_info *pcaps;
};

void corrupt_site_set_free(corrupt_site_set *s)
{
    if (!s) return;
    lang_query_free(s->query);
    free(s->caps);
    pthread_mutex_destroy(&s->lock);
    free(s->lang);
    free(s->text);
    sp_prog_free(s->prog);
    free(s->pcaps);
    free(s->rootsym);
    free(s->ptype);
    free(s->ops);
    free(s);
}

/* The name of the node a pattern is rooted at, when the pattern (at text[b...]) is one plain
 * named node: "(name ...)", then only captures; NULL otherwise (a wildcard, an alternation, a
 * group, a string, a quantified or field-prefixed root...). */
static const char *pattern_root_name(const char *text, size_t tlen, size_t b, size_t *nlen)
{
    size_t i = b;
    if (i >= tlen || text[i] != '(') return NULL;
    i++;
    while (i < tlen && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) i++;
    size_t n0 = i;
    while (i < tlen && ((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= 'A' && text[i] <= 'Z') ||
                        (text[i] >= '0' && text[i] <= '9') || text[i] == '_'))
        i++;
    if (i == n0 || (i - n0 == 1 && text[n0] == '_')) return NULL;
    if (i >= tlen || !(text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r' ||
                       text[i] == ')'))
        return NULL;
    *nlen = i - n0;
    /* the root's closing parenthesis (strings and comments skipped), then captures only */
    int depth = 1;
    while (i < tlen && depth) {
        char c = text[i];
        if (c == '"') {
            for (i++; i < tlen && text[i] != '"'; i++)
                if (text[i] == '\\') i++;
        } else if (c == ';') {
            while (i < tlen && text[i] != '\n') i++;
        } else if (c == '(') depth++;
        else if (c == ')') depth--;
        i++;
    }
    if (depth) return NULL;
    for (;;) {
        while (i < tlen && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) i++;
        if (i < tlen && text[i] == '@') {
            while (i < tlen && !(text[i] == ' ' || text[i] == '\t' || text[i] == '\n' ||
                                 text[i] == '\r' || text[i] == '(' || text[i] == ')' ||
                                 text[i] == '*' || text[i] == '+' || text[i] == '?'))
                i++;
            continue;
        }
        break;
    }
    if (i < tlen && (text[i] == '*' || text[i] == '+' || text[i] == '?')) return NULL;
    return text + n0;
}

/* S->rootsym from the patterns' root names (left NULL when one is not a plain named node). A
 * symbol is marked when its name is a root's name (a superset of the symbols the query maps
 * to it: marking more only makes the subtrees larger). */
static int site_set_roots(corrupt_site_set *S, const TSLanguage *L, const char *text, size_t tlen,
                          const uint32_t *starts, uint32_t np)
{
    if (!L) return 0;
    uint32_t ns = ts_language_symbol_count(L);
    uint8_t *r = calloc(ns ? ns : 1, 1);
    if (!r) return -1;
    for (uint32_t p = 0; p < np; p++) {
        size_t nl = 0;
        const char *nm = pattern_root_name(text, tlen, starts[p], &nl);
        TSSymbol sym = nm ? ts_language_symbol_for_name(L, nm, (uint32_t)nl, true) : 0;
        if (!sym || ts_language_symbol_type(L, sym) != TSSymbolTypeRegular) {
            free(r);
            return 0;
        }
        int any = 0;
        for (uint32_t i = 0; i < ns; i++) {
            const char *si = ts_language_symbol_name(L, (TSSymbol)i);
            if (si && strlen(si) == nl && !memcmp(si, nm, nl)) r[i] = 1, any = 1;
        }
        if (!any) {
            free(r);
            return 0;
        }
    }
    S->rootsym = r;
    S->nsym = ns;
    return 0;
}

sciprune_status corrupt_site_set_new(corrupt_site_set **out, const sciprune_corruptor *c,
                                     const char *lang, const char *const *types, size_t ntypes,
                                     sciprune_error *err)
{
    *out = NULL;
    if (ntypes > 255) return sp_err(err, SCIPRUNE_EINVAL, lang, -1, -1, "too many types");
    sciprune_status st = SCIPRUNE_OK;
    char *text = NULL, *part = NULL;
    size_t tlen = 0, *ends = calloc(ntypes ? ntypes : 1, sizeof *ends);
    corrupt_site_set *S = calloc(1, sizeof *S);
    if (S && pthread_mutex_init(&S->lock, NULL)) {
        free(S);
        S = NULL;
    }
    if (!S || !ends || !(S->ops = calloc(ntypes ? ntypes : 1, sizeof *S->ops))) goto oom;
    S->ntypes = ntypes;
    int any = 0;
    for (size_t t = 0; t < ntypes; t++) {
        const corrupt_op *op = corrupt_find(c, lang, types[t]);
        S->ops[t] = op;
        if (op) {
            size_t pl;
            if ((st = sp_read_file(op->path, &part, &pl, err))) goto fail;
            char *nt = realloc(text, tlen + pl + 2);
            if (!nt) goto oom;
            text = nt;
            memcpy(text + tlen, part, pl);
            tlen += pl;
            text[tlen++] = '\n';
            text[tlen] = '\0';
            free(part);
            part = NULL;
            any = 1;
        }
        ends[t] = tlen;
    }
    if (!any) { /* no site type for this language */
        corrupt_site_set_free(S);
        free(ends);
        return SCIPRUNE_OK;
    }
    const TSLanguage *L = lang_grammar(lang);
    uint32_t np = 0, *starts = NULL;
    /* the default queries are within sitepat.c's subset: no TSQuery compiled (ts_query_new was
     * a fixed 0.1-0.2 s per language); else (NULL) tree-sitter compiles them now */
    S->prog = L ? sp_prog_new(L, text, tlen, "corrupt sites") : NULL;
    if (S->prog) {
        np = sp_prog_pattern_count(S->prog);
        if (!(starts = malloc(np * sizeof *starts))) goto oom;
        for (uint32_t p = 0; p < np; p++) starts[p] = sp_prog_pattern_start(S->prog, p);
        if (!(S->pcaps = capture_table_of(sp_prog_capture_count(S->prog), prog_capture_name,
                                          S->prog)))
            goto oom_starts;
        if (!(S->lang = strdup(lang))) goto oom_starts;
        S->text = text; /* kept for full_query */
        S->tlen = tlen;
        text = NULL;
    } else {
        if ((st = lang_query_new(&S->query, lang, text, tlen, "corrupt sites", err))) {
            if (st == SCIPRUNE_EPARSE) { /* a borrowed query (tsx) may not fit this grammar */
                sp_log(SCIPRUNE_LOG_INFO, "corrupt sites: none for %s: %s", lang, err ? err->text : "");
                sp_err_clear(err);
                free(text);
                free(ends);
                corrupt_site_set_free(S);
                return SCIPRUNE_OK;
            }
            goto fail;
        }
        if (!(S->caps = capture_table(S->query))) goto oom;
        atomic_store(&S->ready, 1);
        const TSQuery *q = lang_query_ts(S->query);
        np = ts_query_pattern_count(q);
        if (!(starts = malloc((np ? np : 1) * sizeof *starts))) goto oom;
        for (uint32_t p = 0; p < np; p++) starts[p] = ts_query_start_byte_for_pattern(q, p);
    }
    if (!(S->ptype = malloc(np ? np : 1))) goto oom_starts;
    for (uint32_t p = 0; p < np; p++) {
        size_t t = 0;
        while (t + 1 < ntypes && starts[p] >= ends[t]) t++;
        S->ptype[p] = (uint8_t)t;
    }
    if (site_set_roots(S, L, S->text ? S->text : text, tlen, starts, np)) goto oom_starts;
    free(starts);
    free(text);
    free(ends);
    *out = S;
    return SCIPRUNE_OK;
oom_starts:
    free(starts);
oom:
    st = sp_err(err, SCIPRUNE_ENOMEM, lang, -1, -1, "out of memory");
fail:
    free(part);
    free(text);
    free(ends);
    corrupt_site_set_free(S);
    return st;
}

const uint8_t *corrupt_site_set_root_symbols(const corrupt_site_set *s, uint32_t *nsym)
{
    *nsym = s && s->rootsym ? s->nsym : 0;
    return s ? s->rootsym : NULL;
}

int corrupt_site_set_direct(const corrupt_site_set *s) { return s && s->prog; }

/* The query cursor's query of S: a direct set compiles it (with tree-sitter) on first use, under
 * the set's lock; later calls read it once `ready` is published. */
static sciprune_status full_query(const corrupt_site_set *cS, sciprune_error *err)
{
    corrupt_site_set *S = (corrupt_site_set *)cS; /* the lazily made part only */
    if (atomic_load_explicit(&S->ready, memory_order_acquire)) return SCIPRUNE_OK;
    sciprune_status st = SCIPRUNE_OK;
    pthread_mutex_lock(&S->lock);
    if (!atomic_load_explicit(&S->ready, memory_order_relaxed)) {
        st = lang_query_new(&S->query, S->lang, S->text, S->tlen, "corrupt sites", err);
        const TSQuery *q = st ? NULL : lang_query_ts(S->query);
        int same = q && ts_query_pattern_count(q) == sp_prog_pattern_count(S->prog);
        for (uint32_t p = 0; same && p < sp_prog_pattern_count(S->prog); p++)
            same = ts_query_start_byte_for_pattern(q, p) == sp_prog_pattern_start(S->prog, p);
        if (!st && !same) /* the pattern indices (types, properties) would not be the program's */
            st = sp_err(err, SCIPRUNE_EPARSE, "corrupt sites", -1, -1,
                        "%s: the site queries' patterns do not match their direct program", S->lang);
        if (!st && !(S->caps = capture_table(S->query)))
            st = sp_err(err, SCIPRUNE_ENOMEM, "corrupt sites", -1, -1, "out of memory");
        if (st) {
            lang_query_free(S->query);
            S->query = NULL;
        } else {
            free(S->text);
            S->text = NULL;
            atomic_store_explicit(&S->ready, 1, memory_order_release);
        }
    }
    pthread_mutex_unlock(&S->lock);
    return st;
}

/* fn for each of the sites (sorted, unique), with its edit when with_edit (lq: the properties
 * of the patterns the sites came from). */
static sciprune_status each_site(const corrupt_site_set *S, const lang_query *lq, TSNode root,
                                 const corrupt_site *sites, size_t n, const char *src, size_t len,
                                 int with_edit, uint64_t seed, corrupt_site_fn fn, void *user,
                                 sciprune_error *err)
{
    sciprune_status s = SCIPRUNE_OK;
    corrupt_rng rng = {seed};
    for (size_t i = 0; i < n; i++) {
        int t = S->ptype[sites[i].pattern];
        corrupt_site_edit se = {site_kind(sites[i].edit), t, sites[i].a, sites[i].b, 0, 0, NULL, 0};
        corrupt_splice sp = {0, 0, NULL, 0};
        if (with_edit) {
            int r = corrupt_edit_build(lq, &sites[i], root, src, len, &rng, &sp);
            if (r < 0) {
                s = sp_err(err, SCIPRUNE_ENOMEM, "corrupt sites", -1, -1, "out of memory");
                break;
            }
            if (r > 0) {
                se.offset = sp.offset;
                se.removed = sp.removed;
                se.ins = sp.ins;
                se.ins_len = sp.ins_len;
            }
        }
        int stop = fn(user, &se);
        free(sp.ins);
        if (stop) break;
    }
    return s;
}

sciprune_status corrupt_site_set_each(const corrupt_site_set *S, TSNode root, const TSNode *subtrees,
                                      size_t nsub, const char *src, size_t len, int with_edit,
                                      uint64_t seed, corrupt_site_fn fn, void *user,
                                      sciprune_error *err)
{
    if (!S) return SCIPRUNE_OK;
    sciprune_status s = full_query(S, err);
    if (s) return s;
    corrupt_site *sites = NULL;
    size_t n = 0;
    s = subtrees ? find_sites_q(S->query, "corrupt sites", subtrees, nsub, src, len, &sites, &n, err)
                 : find_sites_q(S->query, "corrupt sites", &root, 1, src, len, &sites, &n, err);
    if (!s) s = each_site(S, S->query, root, sites, n, src, len, with_edit, seed, fn, user, err);
    free(sites);
    return s;
}

typedef struct direct_ctx {
    const lang_query *lq;
    const cap_info *ct;
    const char *src;
    size_t len;
    site_vec sv;
} direct_ctx;

static int direct_match(void *user, const TSQueryMatch *m)
{
    direct_ctx *d = user;
    return collect_match(d->lq, d->ct, m, d->src, d->len, &d->sv);
}

struct corrupt_site_walk {
    const corrupt_site_set *S;
    sp_walk *w;           /* owned */
};

corrupt_site_walk *corrupt_site_walk_new(void)
{
    corrupt_site_walk *w = calloc(1, sizeof *w);
    if (w && !(w->w = sp_walk_new())) {
        free(w);
        return NULL;
    }
    return w;
}

void corrupt_site_walk_free(corrupt_site_walk *w)
{
    if (!w) return;
    sp_walk_free(w->w);
    free(w);
}

int corrupt_site_walk_begin(corrupt_site_walk *w, const corrupt_site_set *S)
{
    w->S = S;
    if (!S || !S->prog) return -1;
    sp_walk_begin(w->w, S->prog);
    return 0;
}

void corrupt_site_walk_node(corrupt_site_walk *w, TSNode x, TSSymbol sym, int named,
                            uint32_t depth, const TSTreeCursor *c)
{
    sp_walk_node(w->w, x, sym, named, depth, c);
}

sciprune_status corrupt_site_walk_each(corrupt_site_walk *w, TSNode root, const char *src,
                                       size_t len, int with_edit, uint64_t seed,
                                       corrupt_site_fn fn, void *user, sciprune_error *err)
{
    const corrupt_site_set *S = w->S;
    if (!S || !S->prog)
        return sp_err(err, SCIPRUNE_ESTATE, "corrupt sites", -1, -1, "the site set has no direct matcher");
    const lang_query *lq = sp_prog_query(S->prog);
    direct_ctx d = {lq, S->pcaps, src, len, {NULL, 0, 0}};
    sciprune_status s = SCIPRUNE_OK;
    if (sp_walk_matches(w->w, direct_match, &d))
        s = sp_err(err, SCIPRUNE_ENOMEM, "corrupt sites", -1, -1, "out of memory");
    else {
        sites_sort_unique(&d.sv);
        s = each_site(S, lq, root, d.sv.v, d.sv.n, src, len, with_edit, seed, fn, user, err);
    }
    free(d.sv.v);
    return s;
}
