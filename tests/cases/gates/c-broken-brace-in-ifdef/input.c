/* the #else branch lost a closing parenthesis: the check reads every alternative */
#include "io.h"

int flush_all(struct io *io)
{
#ifdef HAVE_FSYNC
    if (fsync(io->fd) != 0) {
        return -1;
    }
#else
    if (fflush(io->fp) != 0 {
        return -1;
    }
#endif
    return 0;
}
