/*
 * mpi_restart - an iterative MPI program that checkpoints its per-rank
 * heaps every N iterations into a chain on the parallel file system and,
 * after a failure, restarts from the newest complete checkpoint.
 *
 *   mpirun -n P mpi_restart ROOT CHAIN ITERS EVERY [DIE_AT]
 *
 * ROOT: the per-rank datastores (node-local, e.g. /local/nvme/%h/app);
 * CHAIN: the checkpoint chain root (e.g. /pfs/me/app-chain). Each
 * iteration rewrites 1% of every rank's values; every EVERY iterations an
 * asynchronous checkpoint is taken (the next iteration computes while it
 * is written). With DIE_AT, the last rank is killed in the middle of the
 * checkpoint at that iteration (a stand-in for a node failure). Run again:
 * the datastore that was open is not consistent, so it is replaced by the
 * newest complete checkpoint, and the run goes on from there. At the end
 * every value is checked; rank 0 prints "finished ITERS iterations, values
 * correct (restarted from checkpoint K at iteration I)".
 */
#include <metall/metall_mpi.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NVALUES 200000

struct state {
    uint64_t iter;          /* iterations done */
    uint64_t values[NVALUES];
};

static int rank, size;

/* value i after iteration `it` (i changes at the iterations where it is picked) */
static uint64_t value(uint64_t i, uint64_t it)
{
    uint64_t v = ((uint64_t)rank << 40) + i;
    for (uint64_t k = 1; k <= it; k++)
        if ((i * 2654435761u + k * 40503u) % 100 == 0)
            v = v * 31 + k;
    return v;
}

static void step(struct state *s)
{
    uint64_t k = ++s->iter;
    for (uint64_t i = 0; i < NVALUES; i++)
        if ((i * 2654435761u + k * 40503u) % 100 == 0)
            s->values[i] = s->values[i] * 31 + k;
}

static int fail(const char *what)
{
    if (rank == 0)
        fprintf(stderr, "mpi_restart: %s failed (errno %d): %s\n", what, errno, metall_errmsg());
    return 1;
}

/* Open ROOT, or after a failure restore it from the chain. */
static metall_mpi *start(const char *root, const char *chain, int64_t *restored)
{
    *restored = -1;
    metall_mpi *h = metall_mpi_open(root, MPI_COMM_WORLD);
    if (h)
        return h;
    if (metall_mpi_partitions(root, MPI_COMM_WORLD) < 0 || !metall_mpi_consistent(root, MPI_COMM_WORLD)) {
        /* crashed (or never created): take the newest complete checkpoint */
        metall_mpi_remove(root, MPI_COMM_WORLD); /* nothing there is also fine */
        if (metall_mpi_restore(chain, -1, root, MPI_COMM_WORLD)) {
            h = metall_mpi_open(root, MPI_COMM_WORLD);
            *restored = 1;
            return h;
        }
    }
    metall_mpi *c = metall_mpi_create(root, MPI_COMM_WORLD, NULL);
    if (c) {
        struct state *s = metall_named_malloc(metall_mpi_local(c), "state", sizeof *s);
        if (!s)
            return NULL;
        s->iter = 0;
        for (uint64_t i = 0; i < NVALUES; i++)
            s->values[i] = value(i, 0);
    }
    return c;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc < 5) {
        if (rank == 0)
            fprintf(stderr, "usage: mpi_restart ROOT CHAIN ITERS EVERY [DIE_AT]\n");
        MPI_Finalize();
        return 2;
    }
    const char *root = argv[1], *chain = argv[2];
    uint64_t iters = strtoull(argv[3], NULL, 10), every = strtoull(argv[4], NULL, 10);
    uint64_t die_at = argc > 5 ? strtoull(argv[5], NULL, 10) : 0;
    int64_t restored;
    metall_mpi *h = start(root, chain, &restored);
    if (!h)
        return fail("start"), MPI_Finalize(), 1;
    struct state *s = metall_find(metall_mpi_local(h), "state");
    uint64_t from = s->iter;
    metall_checkpoint_options opt = {.keep = 2, .async = true};
    metall_mpi_request *pending = NULL;
    while (s->iter < iters) {
        step(s);
        if (s->iter % every)
            continue;
        if (pending && !metall_mpi_checkpoint_wait(pending))
            return fail("checkpoint wait"), MPI_Finalize(), 1;
        pending = NULL;
        if (s->iter == die_at && rank == size - 1)
            setenv("METALLC_CKPT_KILL", "ckpt-manifest:1", 1); /* dies in its part */
        if (!metall_mpi_checkpoint(h, chain, &opt, &pending))
            return fail("checkpoint"), MPI_Finalize(), 1;
        if (s->iter == die_at && !metall_mpi_checkpoint_wait(pending))
            return fail("checkpoint wait"), MPI_Finalize(), 1;
        if (s->iter == die_at)
            pending = NULL;
    }
    if (pending && !metall_mpi_checkpoint_wait(pending))
        return fail("checkpoint wait"), MPI_Finalize(), 1;
    int ok = 1, all = 0;
    for (uint64_t i = 0; i < NVALUES; i++)
        ok &= s->values[i] == value(i, iters);
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (!metall_mpi_close(h))
        return fail("close"), MPI_Finalize(), 1;
    if (rank == 0)
        printf("finished %" PRIu64 " iterations, values %s (%s at iteration %" PRIu64 ")\n",
               iters, all ? "correct" : "WRONG", restored >= 0 ? "restarted from the chain" : "started",
               from);
    MPI_Finalize();
    return all ? 0 : 1;
}
