/* a dropped ';' where the line rule and tree-sitter agree */
#include "scale.h"
#define SCALE_MAX 1024

static int calls;

int scale(int a)
{
    calls++;
    a = a < 0 ? -a : a;
    int b = a * 2
    if (b > SCALE_MAX)
        b = SCALE_MAX;
    return b;
}
