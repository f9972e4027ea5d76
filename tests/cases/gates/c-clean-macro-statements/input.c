/* list.c - an intrusive list, walked with macros */
#include "list.h"

#define LIST_FOREACH(it, head) for ((it) = (head)->first; (it); (it) = (it)->next)
#define CHECK(cond) do { if (!(cond)) return -1; } while (0)
#define BEGIN_BLOCK {
#define END_BLOCK }
#define UNUSED(x) (void)(x)
#define DECLARE_COUNTER(name) static unsigned long name##_count = 0

DECLARE_COUNTER(visit)
DECLARE_COUNTER(skip)

static int visit_all(struct list *l, int (*fn)(struct node *, void *), void *arg)
{
    struct node *it;
    CHECK(l != NULL)
    LIST_FOREACH(it, l) {
        if (fn(it, arg) < 0) {
            skip_count++;
            continue;
        }
        visit_count++;
    }
    return 0;
}

int list_walk(struct list *l, void *arg)
BEGIN_BLOCK
    UNUSED(arg);
    return visit_all(l, NULL, NULL);
END_BLOCK

const char *list_usage =
    "usage: list [-v] FILE\n"
    "  walks every node \
of the list\n";
