/*
 * scaling_ops.h - what the scaling programs (scaling.c, and
 * tests/checkpoint/ckpt_scaling.c) do around each operation: a barrier,
 * markers for the file-system trace (access("/metallc-scaling-mark/OP/
 * begin" and ".../end"), which run_scaling.py splits per operation, and
 * rank 0's line "mpi OP RANK CALLS BYTES FAILED" for every rank.
 */
#ifndef METALLC_SCALING_OPS_H
#define METALLC_SCALING_OPS_H

#include "mpicount.h"

#include <metall/metall_mpi.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int g_rank, g_size;
static struct mpicount g_c;

static void mark(const char *op, const char *when)
{
    char p[256];
    snprintf(p, sizeof p, "/metallc-scaling-mark/%s/%s", op, when);
    (void)access(p, F_OK);
}

static void begin(const char *op)
{
    MPI_Barrier(MPI_COMM_WORLD);
    mark(op, "begin");
    mpicount_reset();
}

/* Rank 0 prints "mpi OP RANK CALLS BYTES FAILED" for every rank; a failed
 * operation ends the program (exit 1). */
static void end(const char *op, int ok)
{
    mpicount_get(&g_c);
    mark(op, "end");
    if (!ok)
        fprintf(stderr, "rank %d: %s failed: %s\n", g_rank, op, metall_errmsg());
    unsigned long long mine[3] = {g_c.calls, g_c.bytes_in, (unsigned long long)!ok};
    unsigned long long *all = g_rank == 0 ? malloc(sizeof mine * (size_t)g_size) : NULL;
    MPI_Gather(mine, 3, MPI_UNSIGNED_LONG_LONG, all, 3, MPI_UNSIGNED_LONG_LONG, 0,
               MPI_COMM_WORLD);
    if (g_rank == 0) {
        for (int r = 0; r < g_size; r++)
            printf("mpi %s %d %llu %llu %llu\n", op, r, all[3 * r], all[3 * r + 1],
                   all[3 * r + 2]);
        fflush(stdout);
        free(all);
    }
    if (!ok) {
        MPI_Finalize();
        exit(1);
    }
}

/* MPI_Init, g_rank and g_size; exit 2 with a usage line unless the one
 * argument (the shared scratch directory) is given. */
static void scaling_init(int *argc, char ***argv, const char *prog)
{
    MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    if (*argc != 2) {
        if (g_rank == 0)
            fprintf(stderr, "usage: %s DIR\n", prog);
        MPI_Finalize();
        exit(2);
    }
}

#endif
