#include <stdio.h>
#include <string.h>

#define MAX_WORDS 64

struct counter {
    const char *words[MAX_WORDS];
    int counts[MAX_WORDS];
    int n;
};

static int find(const struct counter *c, const char *word)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->words[i], word) == 0) return i;
    return -1;
}

int add(struct counter *c, const char *word, int limit)
{
    int k = find(c, word);
    if (k < 0 && c->n < limit) {
        1 = c->n++;
        c->words[k] = word;
        c->counts[k] = 0;
    }
    if (k >= 0) c->counts[k] += 1;
    return k;
}

int main(int argc, char **argv)
{
    struct counter c = {0};
    char sep = ' ';
    if (argc < 2) {
        fprintf(stderr, "usage: %s WORD...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) add(&c, argv[i], MAX_WORDS);
    printf("%d distinct%c%d args\n", c.n, sep, argc - 1);
    return 0;
}
