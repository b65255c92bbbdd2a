/* Stand-alone test of the Spack install (+mpi): a collective create, write,
 * close, reopen, check and remove. Prints "metallc mpi smoke: ok". */
#include <metall/metall_mpi.h>

#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    const char *root = argc > 1 ? argv[1] : "smoke-mpi-datastore";
    int rank, rc = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    metall_mpi *h = metall_mpi_create(root, MPI_COMM_WORLD, NULL);
    int64_t *v = h ? metall_named_malloc(metall_mpi_local(h), "rank", sizeof *v) : NULL;
    if (v != NULL) {
        *v = rank;
        if (metall_mpi_close(h) && (h = metall_mpi_open(root, MPI_COMM_WORLD)) != NULL) {
            v = metall_find(metall_mpi_local(h), "rank");
            rc = (v != NULL && *v == rank) ? 0 : 1;
            if (!metall_mpi_close(h) || !metall_mpi_remove(root, MPI_COMM_WORLD))
                rc = 1;
        }
    }
    if (rc != 0)
        fprintf(stderr, "rank %d: %s\n", rank, metall_errmsg());
    else if (rank == 0)
        printf("metallc mpi smoke: ok\n");
    MPI_Finalize();
    return rc;
}
