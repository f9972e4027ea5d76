/*
 * lock.c - the workdir lock: one writer per workdir at a time.
 *
 * File W/.lock, text: "<pid> <command>\n" (e.g. "4242 run"), written by the holder after it
 * took the lock and emptied when it releases it (a killed holder leaves its line: harmless,
 * the lock itself is gone). The file stays, so the workdir's file list does not change.
 * The lock itself is flock(2) LOCK_EX on that file, taken without waiting: the kernel drops
 * it when the holder's descriptor is closed, also when the process is killed (SIGKILL, a
 * crash), so a lock is never stale and nothing has to be cleaned up. The descriptor is
 * O_CLOEXEC: an exec embedder started by the holder does not inherit (and keep) the lock.
 * flock locks belong to the open file description, so a second acquire in the same process
 * (another thread, a nested call) is refused like one from another process.
 * Readers (sciprune_workdir_status, `sciprune inspect`) do not take it.
 */
#include "run_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

struct sciprune_workdir_lock {
    int fd;
};

sciprune_status sciprune_workdir_lock_acquire(sciprune_workdir_lock **out, const char *workdir,
                                              const char *command, sciprune_error *err)
{
    *out = NULL;
    sciprune_status st = sp_mkdirs(workdir, err);
    if (st) return st;
    char *path = sp_wpath(workdir, SP_WF_LOCK, NULL);
    sciprune_workdir_lock *l = calloc(1, sizeof *l);
    if (!path || !l) {
        free(path);
        free(l);
        return sp_err(err, SCIPRUNE_ENOMEM, workdir, -1, -1, "out of memory");
    }
    l->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (l->fd < 0) {
        st = sp_err_errno(err, SCIPRUNE_EIO, path, errno, "cannot open the workdir lock");
        goto fail;
    }
    int rc;
    while ((rc = flock(l->fd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR) {}
    if (rc != 0) {
        if (errno != EWOULDBLOCK) {
            st = sp_err_errno(err, SCIPRUNE_EIO, path, errno, "cannot lock the workdir");
            goto fail;
        }
        char who[160] = "";
        ssize_t n = pread(l->fd, who, sizeof who - 1, 0);
        who[n > 0 ? n : 0] = '\0';
        who[strcspn(who, "\n")] = '\0';
        char *sp = strchr(who, ' ');
        if (sp) *sp++ = '\0';
        if (who[0] && sp && *sp)
            st = sp_err(err, SCIPRUNE_EBUSY, workdir, -1, -1, "workdir %s in use by pid %s (sciprune %s)",
                        workdir, who, sp);
        else if (who[0])
            st = sp_err(err, SCIPRUNE_EBUSY, workdir, -1, -1, "workdir %s in use by pid %s", workdir, who);
        else
            st = sp_err(err, SCIPRUNE_EBUSY, workdir, -1, -1, "workdir %s in use by another process",
                        workdir);
        goto fail;
    }
    char text[160];
    int tl = snprintf(text, sizeof text, "%ld %s\n", (long)getpid(), command && *command ? command : "?");
    if (tl < 0 || (size_t)tl >= sizeof text) tl = (int)strlen(text);
    if (ftruncate(l->fd, 0) != 0 || pwrite(l->fd, text, (size_t)tl, 0) != (ssize_t)tl) {
        st = sp_err_errno(err, SCIPRUNE_EIO, path, errno, "cannot write the workdir lock");
        goto fail;
    }
    free(path);
    *out = l;
    return SCIPRUNE_OK;
fail:
    if (l->fd >= 0) close(l->fd); /* drops the lock if it was taken */
    free(l);
    free(path);
    return st;
}

void sciprune_workdir_lock_release(sciprune_workdir_lock *l)
{
    if (!l) return;
    if (ftruncate(l->fd, 0) != 0) { /* best effort: an emptied file names no holder */ }
    close(l->fd);
    free(l);
}
