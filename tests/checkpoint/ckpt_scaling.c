/*
 * ckpt_scaling.c - the program of the checkpoint scaling test: runs every
 * collective of MPI checkpointing once on a shared chain root (the first
 * checkpoint, a delta, an asynchronous delta and its wait, a close while
 * an asynchronous one is pending, the restore of the newest) and prints,
 * for each and each rank, the MPI calls and the bytes they delivered to
 * that rank. Markers around each operation split the file-system trace
 * (tests/mpi/scaling/run_scaling.py, which runs it under strace).
 *   ckpt_scaling DIR     (DIR: the shared scratch directory, empty)
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
    scaling_init(&argc, &argv, "ckpt_scaling");
    char ds[PATH_MAX], chain[PATH_MAX], rest[PATH_MAX];
    snprintf(ds, sizeof ds, "%s/ds", argv[1]);
    snprintf(chain, sizeof chain, "%s/chain", argv[1]);
    snprintf(rest, sizeof rest, "%s/rest", argv[1]);
    metall_mpi_options opt = {.local = {.capacity = 1ull << 30}};
    metall_mpi *h = metall_mpi_create(ds, MPI_COMM_WORLD, &opt);
    int *v = h ? metall_named_malloc(metall_mpi_local(h), "v", 1 << 20) : NULL;
    if (!v) {
        fprintf(stderr, "rank %d: set-up failed: %s\n", g_rank, metall_errmsg());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    memset(v, 1, 1 << 20);
    metall_checkpoint_options co = {.keep = 2};

    begin("ckpt_first");
    end("ckpt_first", metall_mpi_checkpoint(h, chain, &co, NULL));
    v[g_rank] = 2;

    begin("ckpt");
    end("ckpt", metall_mpi_checkpoint(h, chain, &co, NULL));
    v[g_rank] = 3;

    co.async = true;
    metall_mpi_request *req = NULL;
    begin("ckpt_async");
    int ok = metall_mpi_checkpoint(h, chain, &co, &req);
    end("ckpt_async", ok && metall_mpi_checkpoint_wait(req));
    v[g_rank] = 4;

    req = NULL;
    ok = metall_mpi_checkpoint(h, chain, &co, &req);
    begin("close_pending");
    end("close_pending", ok && metall_mpi_close(h) && metall_mpi_checkpoint_wait(req));

    begin("restore");
    end("restore", metall_mpi_restore(chain, -1, rest, MPI_COMM_WORLD));

    metall_mpi_remove(rest, MPI_COMM_WORLD);
    metall_mpi_remove(ds, MPI_COMM_WORLD);
    MPI_Finalize();
    return 0;
}
