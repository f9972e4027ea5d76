/*
 * bench.c - benchmark loaders: the files the user gives (none ship with sciprune), read with
 * zlib's gzread (a .gz file is decompressed, a plain file read as is), one JSON object a line;
 * blank lines are skipped, any other line that is not a JSON object is an error (EPARSE, with
 * the line number).
 *   humaneval  task_id, prompt, canonical_solution. Exact patterns: the prompt's docstring
 *              (field "docstring": the text inside its first triple-quoted string; the whole
 *              prompt, field "prompt", when it has none) and the solution ("solution").
 *              n-grams: prompt + canonical_solution (a near-copy carries the signature too).
 *   mbpp       task_id, text (the problem statement, field "text"), code ("code").
 *              n-grams: code.
 *   jsonl      the fields named in `fields` (each an exact pattern under its own name), the
 *              id in `id_field` (default "task_id"; a number is written in decimal).
 *              n-grams: the fields joined by newlines.
 * A missing or non-string text field counts as empty (nothing to match).
 */
#include "decontam_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

sciprune_status sciprune_decontam_benchmark_parse(const char *spec,
                                                  sciprune_decontam_benchmark *out,
                                                  sciprune_error *err)
{
    memset(out, 0, sizeof *out);
    static const struct { const char *p; sciprune_decontam_format f; } k[] = {
        {"humaneval:", SCIPRUNE_BENCH_HUMANEVAL}, {"mbpp:", SCIPRUNE_BENCH_MBPP},
        {"jsonl:", SCIPRUNE_BENCH_JSONL}};
    for (size_t i = 0; spec && i < 3; i++) {
        size_t l = strlen(k[i].p);
        if (!strncmp(spec, k[i].p, l) && spec[l]) {
            out->format = k[i].f;
            out->path = spec + l;
            return SCIPRUNE_OK;
        }
    }
    return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1,
                  "benchmark \"%s\": want humaneval:PATH, mbpp:PATH or jsonl:PATH",
                  spec ? spec : "(null)");
}

void decontam_bench_label(const sciprune_decontam_benchmark *b, char *buf, size_t cap)
{
    if (b->name && *b->name) {
        sp_strlcpy(buf, b->name, cap);
        return;
    }
    const char *s = strrchr(b->path, '/');
    sp_strlcpy(buf, s ? s + 1 : b->path, cap);
    size_t l = strlen(buf);
    if (l > 3 && !strcmp(buf + l - 3, ".gz")) buf[l -= 3] = '\0';
    if (l > 6 && !strcmp(buf + l - 6, ".jsonl")) buf[l -= 6] = '\0';
    else if (l > 5 && !strcmp(buf + l - 5, ".json")) buf[l -= 5] = '\0';
}

/* The first triple-quoted string's content (""" or '''), or NULL. */
static const char *docstring(const char *s, size_t len, size_t *out_len)
{
    for (size_t i = 0; i + 2 < len; i++) {
        char q = s[i];
        if ((q == '"' || q == '\'') && s[i + 1] == q && s[i + 2] == q) {
            for (size_t j = i + 3; j + 2 < len; j++)
                if (s[j] == q && s[j + 1] == q && s[j + 2] == q) {
                    *out_len = j - (i + 3);
                    return s + i + 3;
                }
            return NULL;
        }
    }
    return NULL;
}

static const char *jstr(json_t *o, const char *k, size_t *len)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_string(v)) {
        *len = 0;
        return "";
    }
    *len = json_string_length(v);
    return json_string_value(v);
}

static sciprune_status add_object(decontam_index *ix, uint32_t bench,
                                  const sciprune_decontam_benchmark *b, json_t *o,
                                  sciprune_error *err)
{
    const char *idf = b->format == SCIPRUNE_BENCH_JSONL && b->id_field && *b->id_field ? b->id_field : "task_id";
    json_t *idv = json_object_get(o, idf);
    char idbuf[64];
    const char *id = "";
    if (json_is_string(idv)) id = json_string_value(idv);
    else if (json_is_integer(idv)) {
        snprintf(idbuf, sizeof idbuf, "%lld", (long long)json_integer_value(idv));
        id = idbuf;
    }
    const char *fields[16], *texts[16];
    size_t lens[16], n = 0;
    sciprune_status st = SCIPRUNE_OK;
    if (b->format == SCIPRUNE_BENCH_HUMANEVAL) {
        size_t pl, sl, dl;
        const char *p = jstr(o, "prompt", &pl), *s = jstr(o, "canonical_solution", &sl);
        const char *d = docstring(p, pl, &dl);
        fields[n] = d ? "docstring" : "prompt";
        texts[n] = d ? d : p;
        lens[n++] = d ? dl : pl;
        fields[n] = "solution";
        texts[n] = s;
        lens[n++] = sl;
        char *code = malloc(pl + sl + 1);
        if (!code) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        memcpy(code, p, pl);
        memcpy(code + pl, s, sl);
        st = decontam_index_add_item(ix, bench, id, n, fields, texts, lens, code, pl + sl, err);
        free(code);
        return st;
    }
    if (b->format == SCIPRUNE_BENCH_MBPP) {
        fields[n] = "text";
        texts[n] = jstr(o, "text", &lens[n]);
        n++;
        fields[n] = "code";
        texts[n] = jstr(o, "code", &lens[n]);
        n++;
        return decontam_index_add_item(ix, bench, id, n, fields, texts, lens, texts[1], lens[1], err);
    }
    /* generic: the named fields */
    char names[1024];
    sp_strlcpy(names, b->fields ? b->fields : "", sizeof names);
    size_t total = 0;
    char *save = NULL;
    for (char *t = strtok_r(names, ",", &save); t && n < 16; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ') t++;
        size_t l = strlen(t);
        while (l && t[l - 1] == ' ') t[--l] = '\0';
        if (!l) continue;
        fields[n] = t;
        texts[n] = jstr(o, t, &lens[n]);
        total += lens[n] + 1;
        n++;
    }
    char *code = malloc(total + 1);
    if (!code) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(code + at, texts[i], lens[i]);
        at += lens[i];
        code[at++] = '\n';
    }
    st = decontam_index_add_item(ix, bench, id, n, fields, texts, lens, code, at, err);
    free(code);
    return st;
}

sciprune_status decontam_load(decontam_index *ix, const sciprune_decontam_benchmark *b,
                              sciprune_error *err)
{
    if (!b->path || !*b->path) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "benchmark without a path");
    if (b->format == SCIPRUNE_BENCH_JSONL && (!b->fields || !*b->fields))
        return sp_err(err, SCIPRUNE_EINVAL, b->path, -1, -1,
                      "a jsonl benchmark needs the names of its text fields (fields)");
    char label[256];
    decontam_bench_label(b, label, sizeof label);
    uint32_t bench;
    sciprune_status st = decontam_index_add_bench(ix, label, &bench, err);
    if (st) return st;
    gzFile f = gzopen(b->path, "rb");
    if (!f) return sp_err(err, SCIPRUNE_EIO, b->path, -1, -1, "cannot open the benchmark file");
    size_t cap = 1 << 16, len = 0;
    char *line = malloc(cap);
    int64_t lineno = 0;
    if (!line) st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    int eof = 0;
    while (!st && !eof) {
        /* one line, however long */
        len = 0;
        for (;;) {
            if (len + 2 >= cap) {
                char *nl = realloc(line, cap * 2);
                if (!nl) {
                    st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
                    break;
                }
                line = nl;
                cap *= 2;
            }
            if (!gzgets(f, line + len, (int)(cap - len > INT32_MAX ? INT32_MAX : cap - len))) {
                int zerr;
                gzerror(f, &zerr);
                if (zerr != Z_OK && zerr != Z_BUF_ERROR) /* Z_BUF_ERROR: a truncated .gz */
                    st = sp_err(err, SCIPRUNE_EIO, b->path, lineno + 1, -1, "read error: %s",
                                gzerror(f, &zerr));
                else if (zerr == Z_BUF_ERROR)
                    st = sp_err(err, SCIPRUNE_EPARSE, b->path, lineno + 1, -1, "truncated gzip stream");
                eof = 1;
                break;
            }
            len += strlen(line + len);
            if (len && line[len - 1] == '\n') break;
        }
        if (st || (eof && !len)) break;
        lineno++;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
        size_t sp = 0;
        while (sp < len && (line[sp] == ' ' || line[sp] == '\t')) sp++;
        if (sp == len) continue;
        json_error_t je;
        json_t *o = json_loadb(line, len, 0, &je);
        if (!json_is_object(o)) {
            json_decref(o);
            st = sp_err(err, SCIPRUNE_EPARSE, b->path, lineno, -1, "not a JSON object%s%s",
                        o ? "" : ": ", o ? "" : je.text);
            break;
        }
        st = add_object(ix, bench, b, o, err);
        json_decref(o);
    }
    free(line);
    gzclose(f);
    return st;
}
