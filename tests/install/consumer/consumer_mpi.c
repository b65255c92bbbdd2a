/*
 * An outside MPI program built against an installed metall-c (the
 * MetallC::metallc_mpi target or metallc-mpi.pc): every rank writes its
 * rank into its own datastore, the MPI datastore is reopened and checked,
 * then removed.
 *   mpiexec -n 2 consumer_mpi ROOT
 */
#include <metall/metall_mpi.h>

#include <stdint.h>
#include <stdio.h>

static int fail(int rank, const char *what)
{
    fprintf(stderr, "consumer_mpi: rank %d: %s: %s\n", rank, what, metall_errmsg());
    return 1;
}

static int run(const char *root, int rank)
{
    metall_mpi *h = metall_mpi_create(root, MPI_COMM_WORLD, NULL);
    if (h == NULL)
        return fail(rank, "metall_mpi_create");
    int64_t *mine = metall_named_malloc(metall_mpi_local(h), "rank", sizeof *mine);
    if (mine == NULL) {
        metall_mpi_close(h);
        return fail(rank, "metall_named_malloc");
    }
    *mine = rank;
    if (!metall_mpi_close(h))
        return fail(rank, "metall_mpi_close");

    h = metall_mpi_open(root, MPI_COMM_WORLD);
    if (h == NULL)
        return fail(rank, "metall_mpi_open");
    mine = metall_find(metall_mpi_local(h), "rank");
    int ok = mine != NULL && *mine == rank;
    if (!metall_mpi_close(h))
        return fail(rank, "metall_mpi_close (reopened)");
    if (!ok) {
        fprintf(stderr, "consumer_mpi: rank %d: lost its value\n", rank);
        return 1;
    }
    if (!metall_mpi_remove(root, MPI_COMM_WORLD))
        return fail(rank, "metall_mpi_remove");
    return 0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int rc = argc == 2 ? run(argv[1], rank) : 2;
    /* every rank's verdict decides: one failing rank fails the program */
    int worst = 0;
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (rank == 0 && worst == 0)
        printf("consumer_mpi: %d ranks: ok\n", size);
    MPI_Finalize();
    return worst;
}
