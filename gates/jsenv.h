/* jsenv.h - the JavaScript environments' global names (gates/undef.c), generated at build time
 * by scripts/gen_js_globals.py from the npm package `globals` (node_modules/globals), the
 * lists ESLint uses: builtin, es5 ... es2027, browser, node, commonjs, amd, worker,
 * serviceworker, mocha, jasmine, jest, qunit, jquery, ... Never committed. */
#ifndef SCIPRUNE_GATES_JSENV_H
#define SCIPRUNE_GATES_JSENV_H

#include <stddef.h>

typedef struct gates_js_env {
    const char *name;          /* environment, as `globals` spells it ("browser", "node", ...) */
    const char *const *names;  /* n global names, sorted by strcmp */
    size_t n;
} gates_js_env;

/* Every environment of the package, sorted by name (strcmp). */
extern const gates_js_env gates_js_envs[];
extern const size_t gates_js_nenvs;

/* Most environments undef.c can hold switched on at once (the generator's table must fit). */
#define GATES_JS_MAX_ENVS 256

/* Index of environment name[0, len) in gates_js_envs, after ESLint/JSHint aliases ("es6" ->
 * es2015, "phantom" -> phantomjs); -1 when unknown. */
int gates_js_env_index(const char *name, size_t len);

#endif /* SCIPRUNE_GATES_JSENV_H */
