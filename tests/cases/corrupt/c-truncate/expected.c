/* ring.c - a fixed-size ring of integers */
#include <stddef.h>

struct ring {
    int buf[16]; /* storage */
    size_t head, len;
};

/* push one value; drop the oldest when full */
void ring_push(struct ring *r, int v)
{
    r->buf[(r->head + r->len) % 16] = v;
    