/*
 * mpi_checkpoint - per-rank datastores on node-local storage, collective
 * snapshot to a parallel file system, restore after a failure.
 *
 *   mpirun -n P mpi_checkpoint create   ROOT [N [NUMA]]  each rank builds N values
 *                                                   (NUMA: none, local, interleave,
 *                                                   node:K) and prints its placement
 *   mpirun -n P mpi_checkpoint update   ROOT       one step of work on them
 *   mpirun -n P mpi_checkpoint snapshot ROOT DST   collective checkpoint
 *   mpirun -n P mpi_checkpoint crash    ROOT       work, then die without closing
 *   mpirun -n P mpi_checkpoint restore  DST ROOT   copy the checkpoint back
 *   mpirun -n P mpi_checkpoint verify   ROOT       reopen and check every value
 *   mpirun -n P mpi_checkpoint placement ROOT      where each rank ran at create
 *
 * ROOT and DST may use %r (rank), %h (host) and %n (NUMA node), e.g.
 * /local/nvme/%h/app. Every step gives the same answer on every rank; on
 * failure rank 0 prints metall_errmsg(), which names the failing ranks.
 */
#include <metall/metall_mpi.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct state {
    uint64_t step;  /* updates applied so far */
    uint64_t n;     /* number of values */
    uint64_t values[];
};

static int rank, size;

static uint64_t expected(uint64_t i, uint64_t step)
{
    return ((uint64_t)rank << 32) + i * 7 + step;
}

static int fail(const char *what)
{
    if (rank == 0)
        fprintf(stderr, "mpi_checkpoint %s failed (errno %d): %s\n", what, errno,
                metall_errmsg());
    return 1;
}

/* Every rank's local answer, agreed: 1 if all ranks hold. */
static int all(int ok)
{
    int r = 0;
    MPI_Allreduce(&ok, &r, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return r;
}

/* Rank 0 prints every rank's placement line, in rank order. */
static void print_placement(metall_mpi *h)
{
    char line[1024];
    const char *p = metall_mpi_placement(h);
    snprintf(line, sizeof line, "%s", p ? p : "no placement recorded");
    char *all = rank == 0 ? malloc((size_t)size * sizeof line) : NULL;
    MPI_Gather(line, (int)sizeof line, MPI_CHAR, all, (int)sizeof line, MPI_CHAR, 0,
               MPI_COMM_WORLD);
    for (int r = 0; all && r < size; r++)
        printf("placement: %s\n", all + (size_t)r * sizeof line);
    free(all);
}

static int parse_numa(const char *s, metall_options *o)
{
    if (!s || strcmp(s, "none") == 0)
        o->numa = METALL_NUMA_NONE;
    else if (strcmp(s, "local") == 0)
        o->numa = METALL_NUMA_LOCAL;
    else if (strcmp(s, "interleave") == 0)
        o->numa = METALL_NUMA_INTERLEAVE;
    else if (strncmp(s, "node:", 5) == 0) {
        o->numa = METALL_NUMA_NODE;
        o->numa_node = atoi(s + 5);
    } else
        return -1;
    return 0;
}

static int do_create(const char *root, uint64_t n, const char *numa)
{
    metall_mpi_options opt = {0};
    if (parse_numa(numa, &opt.local) != 0) {
        if (rank == 0)
            fprintf(stderr, "mpi_checkpoint: NUMA policy %s: none, local, interleave or node:K\n",
                    numa);
        return 2;
    }
    metall_mpi *h = metall_mpi_create(root, MPI_COMM_WORLD, &opt);
    if (!h)
        return fail("create");
    print_placement(h);
    struct state *s = metall_named_malloc(metall_mpi_local(h), "state",
                                          sizeof *s + n * sizeof s->values[0]);
    if (s) {
        s->step = 0;
        s->n = n;
        for (uint64_t i = 0; i < n; i++)
            s->values[i] = expected(i, 0);
    }
    int ok = all(s != NULL);
    if (!metall_mpi_close(h) || !ok)
        return fail("create");
    if (rank == 0)
        printf("created %s: %d ranks x %" PRIu64 " values\n", root, size, n);
    return 0;
}

/* One step of "work": every value moves on by one. Without close when
 * crash is set: the job dies with its datastores open. */
static int do_update(const char *root, int crash)
{
    metall_mpi *h = metall_mpi_open(root, MPI_COMM_WORLD);
    if (!h)
        return fail("update");
    struct state *s = metall_find(metall_mpi_local(h), "state");
    if (!all(s != NULL))
        return metall_mpi_close(h), fail("update (no state)");
    for (uint64_t i = 0; i < s->n; i++)
        s->values[i]++;
    s->step++;
    if (crash) {
        if (rank == 0)
            printf("crashing at step %" PRIu64 " without closing\n", s->step);
        fflush(stdout);
        MPI_Barrier(MPI_COMM_WORLD);
        MPI_Finalize();
        _exit(0); /* as a killed job would: no close */
    }
    uint64_t step = s->step; /* s is unmapped by close */
    if (!metall_mpi_close(h))
        return fail("update");
    if (rank == 0)
        printf("step %" PRIu64 " done\n", step);
    return 0;
}

static int do_snapshot(const char *root, const char *dst)
{
    metall_mpi *h = metall_mpi_open(root, MPI_COMM_WORLD);
    if (!h)
        return fail("snapshot (open)");
    double t0 = MPI_Wtime();
    bool ok = metall_mpi_snapshot(h, dst);
    double dt = MPI_Wtime() - t0;
    if (!ok) {
        fail("snapshot");
        metall_mpi_close(h);
        return 1;
    }
    if (!metall_mpi_close(h))
        return fail("snapshot (close)");
    if (rank == 0)
        printf("snapshot of %s taken at %s in %.3f s\n", root, dst, dt);
    return 0;
}

static int do_restore(const char *src, const char *root)
{
    if (!metall_mpi_copy(src, root, MPI_COMM_WORLD))
        return fail("restore");
    if (rank == 0)
        printf("restored %s to %s\n", src, root);
    return 0;
}

static int do_placement(const char *root)
{
    metall_mpi *h = metall_mpi_open_read_only(root, MPI_COMM_WORLD);
    if (!h)
        return fail("placement");
    print_placement(h);
    return metall_mpi_close(h) ? 0 : fail("placement (close)");
}

static int do_verify(const char *root)
{
    metall_mpi *h = metall_mpi_open_read_only(root, MPI_COMM_WORLD);
    if (!h)
        return fail("verify");
    struct state *s = metall_find(metall_mpi_local(h), "state");
    uint64_t bad = s ? 0 : 1, step = s ? s->step : 0;
    for (uint64_t i = 0; s && i < s->n; i++)
        bad += s->values[i] != expected(i, s->step);
    uint64_t total_bad = 0;
    MPI_Allreduce(&bad, &total_bad, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    metall_mpi_close(h);
    if (rank == 0)
        printf("verify %s: step %" PRIu64 ", %s\n", root, step,
               total_bad ? "WRONG VALUES" : "all values correct");
    return total_bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const char *cmd = argc > 2 ? argv[1] : "";
    int rc = 2;
    if (strcmp(cmd, "create") == 0)
        rc = do_create(argv[2], argc > 3 ? strtoull(argv[3], NULL, 0) : 1000000,
                       argc > 4 ? argv[4] : NULL);
    else if (strcmp(cmd, "update") == 0)
        rc = do_update(argv[2], 0);
    else if (strcmp(cmd, "crash") == 0)
        rc = do_update(argv[2], 1);
    else if (strcmp(cmd, "snapshot") == 0 && argc > 3)
        rc = do_snapshot(argv[2], argv[3]);
    else if (strcmp(cmd, "restore") == 0 && argc > 3)
        rc = do_restore(argv[2], argv[3]);
    else if (strcmp(cmd, "verify") == 0)
        rc = do_verify(argv[2]);
    else if (strcmp(cmd, "placement") == 0)
        rc = do_placement(argv[2]);
    else if (rank == 0)
        fprintf(stderr, "usage: mpi_checkpoint create ROOT [N [NUMA]] | update ROOT"
                        " | snapshot ROOT DST | crash ROOT | restore DST ROOT | verify ROOT"
                        " | placement ROOT\n");
    MPI_Finalize();
    return rc;
}
