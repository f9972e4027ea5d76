/*
 * fuzz_util.h - helpers shared by the fuzz targets (tests/fuzz/fuzz_<target>.c): a private temp folder
 * (created on first use, removed at exit) to hand bytes to APIs that take a path, and a
 * property check that aborts, so that a violated property is a crash for libFuzzer and a
 * failed test for the replay runner.
 */
#ifndef SCIPRUNE_FUZZ_UTIL_H
#define SCIPRUNE_FUZZ_UTIL_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond);   \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

static char fuzz_dir_[64];

static inline void fuzz_dir_remove(void)
{
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir_);
    if (system(cmd) != 0) fprintf(stderr, "fuzz: cannot remove %s\n", fuzz_dir_);
}

/* The process's temp folder (/dev/shm when there is one: the targets write a file per input). */
static inline const char *fuzz_dir(void)
{
    if (!fuzz_dir_[0]) {
        snprintf(fuzz_dir_, sizeof fuzz_dir_, "%s/sciprune-fuzz-XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(fuzz_dir_)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(fuzz_dir_remove);
    }
    return fuzz_dir_;
}

/* Write data to <fuzz_dir>/<name> (truncating) and return the path (static storage). */
static inline const char *fuzz_write(const char *name, const void *data, size_t size)
{
    static char path[160];
    snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        perror(path);
        abort();
    }
    const char *p = data;
    while (size) {
        ssize_t n = write(fd, p, size);
        if (n <= 0) {
            perror(path);
            abort();
        }
        p += n;
        size -= (size_t)n;
    }
    close(fd);
    return path;
}

#endif /* SCIPRUNE_FUZZ_UTIL_H */
