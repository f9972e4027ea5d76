/*
 * fuzz_exec_embed.c - property: the exec embedder's protocol parser (embed/exec.c) takes any
 * bytes from the embedding process without a memory error, a hang or a bad vector. The input
 * is everything the process writes on stdout: the process is `exec cat FILE` (docs/
 * embed-exec-protocol.md: a JSON handshake line, then "SPEV" u32 count u32 dim f32[count*dim]
 * per request). The target opens the embedder (spawn + handshake) and embeds three texts, one
 * request each, until a call fails. Checked: a handshake that is accepted gives a dimension in
 * 1..65536 and a model name; an embedding that succeeds gives `dim` finite values and row
 * status OK; after a failed call, later calls fail too (the process is gone).
 */
#include "fuzz_util.h"

#include "sciprune.h"

#include <math.h>

static float g_out[65536];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536) return 0;
    const char *path = fuzz_write("stdout.bin", data, size);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "exec cat '%s'", path);
    sciprune_embedder_settings s;
    sciprune_embedder_settings_default(&s);
    s.backend = SCIPRUNE_EMBED_EXEC;
    s.dim = 0;
    s.exec_command = cmd;
    s.exec_timeout_s = 20;
    s.exec_start_timeout_s = 20;
    sciprune_embedder *e = NULL;
    sciprune_error err;
    if (sciprune_embedder_open(&e, &s, &err) != SCIPRUNE_OK) {
        FUZZ_CHECK(err.code != SCIPRUNE_OK && err.text[0] && e == NULL);
        return 0;
    }
    uint32_t dim = sciprune_embedder_dim(e);
    FUZZ_CHECK(dim >= 1 && dim <= 65536);
    FUZZ_CHECK(sciprune_embedder_model(e) != NULL);
    static const char *const texts[] = {"def f():\n    return 1\n", "x", "int main(void) { }"};
    int failed = 0;
    for (int i = 0; i < 3; i++) {
        sciprune_embed_row row = SCIPRUNE_ROW_REJECTED;
        memset(g_out, 0xff, sizeof g_out); /* NaN: a row not written shows */
        sciprune_status st = sciprune_embedder_embed(e, NULL, "python", texts[i], strlen(texts[i]),
                                                     g_out, 65536, &row, &err);
        if (st != SCIPRUNE_OK) {
            FUZZ_CHECK(err.code == st && err.text[0]);
            failed = 1;
            continue;
        }
        FUZZ_CHECK(!failed && row == SCIPRUNE_ROW_OK);
        for (uint32_t c = 0; c < dim; c++) FUZZ_CHECK(isfinite(g_out[c]));
    }
    sciprune_embedder_free(e);
    return 0;
}
