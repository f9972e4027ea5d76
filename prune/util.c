/* util.c - prune/ helpers: JSON files, paths, the budget units and output names, the
 * approximate token count (sciprune_tokens_approx, documented in sciprune.h). */
#include "prune_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sciprune_status prune_json_write(const char *path, const json_t *j, sciprune_error *err)
{
    return sp_json_write_atomic(path, j, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(9), err);
}

sciprune_status prune_json_load(const char *path, int missing_ok, json_t **out,
                                sciprune_error *err)
{
    *out = NULL;
    if (!sp_exists(path)) {
        if (missing_ok) return SCIPRUNE_OK;
        return sp_err(err, SCIPRUNE_EIO, path, -1, -1, "missing (run the earlier stage first)");
    }
    json_error_t je;
    *out = json_load_file(path, 0, &je);
    if (!*out) return sp_err(err, sp_json_load_status(SCIPRUNE_EPARSE), path, je.line, je.position, "%s", je.text);
    return SCIPRUNE_OK;
}

static const char *const k_budget_names[] = {"records", "bytes", "tokens"};
static const char *const k_output_names[] = {"shards", "ids", "mask"};

const char *sciprune_budget_unit_name(sciprune_budget_unit u)
{
    return (unsigned)u < 3 ? k_budget_names[u] : "?";
}

sciprune_status sciprune_budget_unit_parse(const char *name, sciprune_budget_unit *out,
                                           sciprune_error *err)
{
    for (int i = 0; i < 3; i++)
        if (name && !strcmp(name, k_budget_names[i])) {
            *out = (sciprune_budget_unit)i;
            return SCIPRUNE_OK;
        }
    return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1,
                  "unknown budget unit '%s' (want records, bytes or tokens)", name ? name : "");
}

static const char *const k_per_lang_names[] = {"global", "proportional"};

const char *sciprune_per_lang_name(sciprune_per_lang m)
{
    return (unsigned)m < 2 ? k_per_lang_names[m] : "?";
}

sciprune_status sciprune_per_lang_parse(const char *name, sciprune_per_lang *out,
                                        sciprune_error *err)
{
    for (int i = 0; i < 2; i++)
        if (name && !strcmp(name, k_per_lang_names[i])) {
            *out = (sciprune_per_lang)i;
            return SCIPRUNE_OK;
        }
    return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1,
                  "unknown per_lang '%s' (want global or proportional)", name ? name : "");
}

const char *sciprune_prune_output_name(sciprune_prune_output o)
{
    return (unsigned)o < 3 ? k_output_names[o] : "?";
}

sciprune_status sciprune_prune_output_parse(const char *name, sciprune_prune_output *out,
                                            sciprune_error *err)
{
    for (int i = 0; i < 3; i++)
        if (name && !strcmp(name, k_output_names[i])) {
            *out = (sciprune_prune_output)i;
            return SCIPRUNE_OK;
        }
    return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1,
                  "unknown prune output '%s' (want shards, ids or mask)", name ? name : "");
}

uint64_t sciprune_tokens_approx(const char *text, size_t len)
{
    uint64_t n = 0;
    int in_word = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        int word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '_' || c >= 0x80;
        if (word) {
            n += !in_word;
            in_word = 1;
        } else {
            in_word = 0;
            n += !(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v');
        }
    }
    return n;
}

/* A .ids line: the id as a JSON string (RFC 8259): '"' and '\\' escaped, control bytes
 * (< 0x20, and 0x7f) as \n, \t, \r, \b, \f or \u00XX, other bytes as they are. */
sciprune_status prune_id_quote(const char *id, size_t n, char **buf, size_t *cap, size_t *len,
                               sciprune_error *err)
{
    size_t need = 6 * n + 3; /* worst case: every byte \u00XX, the quotes, a NUL */
    if (need > *cap) {
        size_t nc = need < 256 ? 256 : need * 2;
        char *nb = realloc(*buf, nc);
        if (!nb) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        *buf = nb;
        *cap = nc;
    }
    char *o = *buf;
    size_t k = 0;
    o[k++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)id[i];
        switch (ch) {
        case '"': o[k++] = '\\'; o[k++] = '"'; break;
        case '\\': o[k++] = '\\'; o[k++] = '\\'; break;
        case '\n': o[k++] = '\\'; o[k++] = 'n'; break;
        case '\t': o[k++] = '\\'; o[k++] = 't'; break;
        case '\r': o[k++] = '\\'; o[k++] = 'r'; break;
        case '\b': o[k++] = '\\'; o[k++] = 'b'; break;
        case '\f': o[k++] = '\\'; o[k++] = 'f'; break;
        default:
            if (ch < 0x20 || ch == 0x7f) {
                static const char hex[] = "0123456789abcdef";
                o[k++] = '\\';
                o[k++] = 'u';
                o[k++] = '0';
                o[k++] = '0';
                o[k++] = hex[ch >> 4];
                o[k++] = hex[ch & 15];
            } else {
                o[k++] = (char)ch;
            }
        }
    }
    o[k++] = '"';
    o[k] = '\0';
    *len = k;
    return SCIPRUNE_OK;
}

char *prune_id_unquote(const char *line, size_t n)
{
    json_t *j = json_loadb(line, n, JSON_DECODE_ANY, NULL);
    char *s = json_is_string(j) ? strdup(json_string_value(j)) : NULL;
    json_decref(j);
    return s;
}
