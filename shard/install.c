/*
 * install.c - where an installed libsciprune finds its data/ folder: relative to its own
 * install prefix, so an installed tree works anywhere it is copied (a `meson install
 * --destdir` tree, a relocated package). The shared library's path (dladdr on one of its own
 * functions) is <prefix>/<libdir>/libsciprune.so.0; data/ is then
 * <prefix>/<datadir>/sciprune/data, the folder meson installs it into. A library that is not
 * under <libdir> (the build tree, a static link into an executable) gets NULL and falls back
 * to the source tree's data/ recorded at build time (corrupt/corruptor.c).
 */
#define _GNU_SOURCE
#include "sp_common.h"
#include "sciprune_config.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static char g_dir[PATH_MAX]; /* "" when not installed */

static void find_dir(void)
{
    Dl_info info;
    if (!dladdr((void *)&sp_install_data_dir, &info) || !info.dli_fname) return;
    char so[PATH_MAX];
    if (!realpath(info.dli_fname, so)) return;
    char *slash = strrchr(so, '/');
    if (!slash) return;
    *slash = '\0'; /* the library's folder */
    const char *rel = SCIPRUNE_LIBDIR_REL;
    size_t n = strlen(so), r = strlen(rel);
    if (rel[0] == '/' || n <= r + 1 || strcmp(so + n - r, rel) || so[n - r - 1] != '/') return;
    so[n - r - 1] = '\0'; /* the prefix */
    char dir[PATH_MAX], q[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s/%s", so, SCIPRUNE_DATADIR_REL) >= (int)sizeof dir) return;
    if (snprintf(q, sizeof q, "%s/queries", dir) >= (int)sizeof q || !sp_exists(q)) return;
    memcpy(g_dir, dir, strlen(dir) + 1);
}

const char *sp_install_data_dir(void)
{
    pthread_once(&g_once, find_dir);
    return g_dir[0] ? g_dir : NULL;
}
