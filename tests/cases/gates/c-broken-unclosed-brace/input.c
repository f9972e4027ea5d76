#include "list.h"
#define LIST_FOREACH(it, head) for ((it) = (head)->first; (it); (it) = (it)->next)

int count(struct list *l)
{
    int n = 0;
    struct node *it;
    LIST_FOREACH(it, l) {
        if (it->dead)
            continue;
        n++;
    return n;
}
