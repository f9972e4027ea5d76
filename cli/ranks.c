/*
 * ranks.c - the CLI's side of running as several tasks (mpirun, srun): which launcher started
 * this process and with how many tasks, MPI start and stop, and the two collectives that
 * sciprune_run needs (sciprune_ranks.reduce_min, .reduce_sum). The library itself has no MPI.
 *
 * Launchers are recognised by their environment: Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE
 * and _RANK; MPICH/Hydra and PMI-2 set PMI_SIZE and PMI_RANK; Slurm's srun sets
 * SLURM_STEP_NUM_TASKS and SLURM_PROCID for each task of a step. SLURM_NTASKS alone is not
 * read: sbatch sets it in the batch script too, where sciprune runs once and is right to.
 * Several tasks and a build without MPI (or a command other than run): every task exits 2,
 * rank 0 saying why, instead of each one running the whole job.
 *
 * The reduce waits with MPI_Iallreduce and a 2 ms sleep between MPI_Test calls, not a blocking
 * MPI_Allreduce: Open MPI polls in a blocking call, and the ranks that wait for rank 0's
 * global stages must leave the cores to it.
 */
#include "cli.h"
#include "sciprune_config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#if SCIPRUNE_HAVE_MPI
#include <mpi.h>
#endif

static long env_long(const char *name)
{
    const char *s = getenv(name);
    if (!s || !*s) return -1;
    char *end;
    long v = strtol(s, &end, 10);
    return *end ? -1 : v;
}

int cli_launcher_tasks(int *rank, const char **launcher)
{
    static const char *const vars[][3] = {
        {"OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "mpirun"},
        {"PMI_SIZE", "PMI_RANK", "an MPI launcher (PMI)"},
        {"SLURM_STEP_NUM_TASKS", "SLURM_PROCID", "srun"},
    };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        long n = env_long(vars[i][0]);
        if (n < 1) continue;
        long r = env_long(vars[i][1]);
        *rank = r >= 0 ? (int)r : 0;
        if (launcher) *launcher = vars[i][2];
        return (int)n;
    }
    *rank = 0;
    if (launcher) *launcher = NULL;
    return 0;
}

int cli_refuse_tasks(const char *cmd)
{
    int rank;
    const char *how;
    int n = cli_launcher_tasks(&rank, &how);
    if (n <= 1) return CLI_OK;
    if (SCIPRUNE_HAVE_MPI && cmd && !strcmp(cmd, "run")) return CLI_OK;
    if (rank == 0) {
        if (!SCIPRUNE_HAVE_MPI)
            fprintf(stderr, "sciprune: started as %d tasks by %s, but this build has no MPI: each "
                    "task would run the whole job. Rebuild with -Dmpi=enabled (Debian: "
                    "libopenmpi-dev), or run one task.\n", n, how);
        else
            fprintf(stderr, "sciprune: started as %d tasks by %s: only `sciprune run` splits its "
                    "work over ranks; run `sciprune %s` as one task.\n", n, how, cmd ? cmd : "");
    }
    return CLI_USAGE;
}

#if SCIPRUNE_HAVE_MPI
static int reduce_op(int64_t *v, int n, MPI_Op op)
{
    MPI_Request rq;
    if (MPI_Iallreduce(MPI_IN_PLACE, v, n, MPI_INT64_T, op, MPI_COMM_WORLD, &rq) != MPI_SUCCESS)
        return -1;
    for (;;) {
        int done = 0;
        if (MPI_Test(&rq, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) return -1;
        if (done) return 0;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
}

static int reduce_min(void *user, int64_t *v, int n)
{
    (void)user;
    return reduce_op(v, n, MPI_MIN);
}

static int reduce_sum(void *user, int64_t *v, int n)
{
    (void)user;
    return reduce_op(v, n, MPI_SUM);
}
#endif

int cli_ranks_start(sciprune_ranks *r, int *argc, char ***argv)
{
    memset(r, 0, sizeof *r);
    r->size = 1;
    int rank;
    if (cli_launcher_tasks(&rank, NULL) < 1) return 0;
#if SCIPRUNE_HAVE_MPI
    int prov;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &prov) != MPI_SUCCESS) {
        fprintf(stderr, "sciprune: MPI_Init failed\n");
        return -1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &r->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &r->size);
    r->reduce_min = reduce_min;
    r->reduce_sum = reduce_sum;
    return 1;
#else
    (void)argc;
    (void)argv;
    return 0;
#endif
}

void cli_ranks_stop(int started)
{
#if SCIPRUNE_HAVE_MPI
    if (started > 0) MPI_Finalize();
#else
    (void)started;
#endif
}
