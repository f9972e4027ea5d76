/* poll.c - wait for a descriptor, one branch per platform */
#include "poll_int.h"

#if 0
  This used to say: don't call this from a signal handler (it isn't safe {
  and the old code had an unbalanced ( here.
#endif

int wait_readable(int fd, int ms)
{
    int r;
#ifdef HAVE_POLL
    struct pollfd p = { fd, POLLIN, 0 };
    for (;;) {
        r = poll(&p, 1, ms);
#else
    fd_set set;
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    for (;;) {
        FD_ZERO(&set);
        FD_SET(fd, &set);
        r = select(fd + 1, &set, NULL, NULL, &tv);
#endif
        if (r >= 0 || errno != EINTR)
            break;
    }
#if defined(DEBUG) && \
    (DEBUG > 1)
    fprintf(stderr, "wait_readable(%d) = %d\n", fd, r);
#endif
    return r > 0 ? 1 : r;
}

static const long big = 1000000L;
static const char quote = '\'', dquote = '"', *url = "http://example.org/a/*b";
