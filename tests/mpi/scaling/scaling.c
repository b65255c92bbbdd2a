/*
 * scaling.c - the program of the MPI scaling test: runs every collective
 * of the MPI layer once on a shared root (create, close, open, snapshot,
 * consistent, partitions, copy, remove) and prints, for each and each rank,
 * the MPI calls and the bytes they delivered to that rank (mpicount.c).
 * Around each operation it calls access("/metallc-scaling-mark/OP/begin")
 * and ".../end": markers for the file-system trace (strace) that the
 * driver, run_scaling.py, splits per operation.
 *   scaling DIR     (DIR: the shared scratch directory, empty)
 */
#include "scaling_ops.h"

#include <metall/metall_mpi.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    scaling_init(&argc, &argv, "scaling");
    char ds[PATH_MAX], snap[PATH_MAX], cp[PATH_MAX];
    snprintf(ds, sizeof ds, "%s/ds", argv[1]);
    snprintf(snap, sizeof snap, "%s/snap", argv[1]);
    snprintf(cp, sizeof cp, "%s/cp", argv[1]);
    metall_mpi_options opt = {.local = {.capacity = 1ull << 30}};

    begin("create");
    metall_mpi *h = metall_mpi_create(ds, MPI_COMM_WORLD, &opt);
    end("create", h != NULL);
    int *v = metall_named_malloc(metall_mpi_local(h), "v", 4096);
    if (v)
        v[0] = g_rank;

    begin("close");
    end("close", metall_mpi_close(h));

    begin("open");
    h = metall_mpi_open(ds, MPI_COMM_WORLD);
    end("open", h != NULL);

    begin("snapshot");
    end("snapshot", metall_mpi_snapshot(h, snap));

    begin("close2");
    end("close2", metall_mpi_close(h));

    begin("consistent");
    end("consistent", metall_mpi_consistent(ds, MPI_COMM_WORLD));

    begin("partitions");
    end("partitions", metall_mpi_partitions(snap, MPI_COMM_WORLD) == g_size);

    begin("copy");
    end("copy", metall_mpi_copy(snap, cp, MPI_COMM_WORLD));

    begin("remove");
    end("remove", metall_mpi_remove(cp, MPI_COMM_WORLD));

    metall_mpi_remove(snap, MPI_COMM_WORLD);
    metall_mpi_remove(ds, MPI_COMM_WORLD);
    MPI_Finalize();
    return 0;
}
