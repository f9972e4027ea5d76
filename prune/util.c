/* util.c - prune/ helpers: JSON files, paths. */
#include "prune_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sciprune_status prune_json_write(const char *path, const json_t *j, sciprune_error *err)
{
    char *txt = sp_json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(9));
    if (!txt) return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "cannot serialise JSON");
    size_t n = strlen(txt);
    char *buf = realloc(txt, n + 2);
    if (!buf) {
        free(txt);
        return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
    }
    buf[n] = '\n';
    buf[n + 1] = '\0';
    sciprune_status st = sp_write_file_atomic(path, buf, n + 1, err);
    free(buf);
    return st;
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
