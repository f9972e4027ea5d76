#include <stdio.h>
#define EXPORT __attribute__((visibility("default")))

EXPORT void usage(const char *prog)
{
    fprintf(stderr, "usage: %s [-v] FILE\n, prog);
}
