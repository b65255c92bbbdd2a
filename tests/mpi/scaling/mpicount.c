/*
 * mpicount.c - a PMPI interposer for the scaling test: counts, per
 * process, the MPI calls the program (and libmetallc_mpi) makes and the
 * bytes each call delivers to this rank (a root's own contribution not
 * counted). What an MPI library does inside a call (e.g. the exchange
 * inside MPI_Comm_split) is not visible here: communicator creations are
 * counted as calls, with 0 bytes.
 */
#include "mpicount.h"

#include <mpi.h>
#include <string.h>

static struct mpicount g;

void mpicount_reset(void)
{
    memset(&g, 0, sizeof g);
}

void mpicount_get(struct mpicount *out)
{
    *out = g;
}

static uint64_t tsize(MPI_Datatype t)
{
    int s = 0;
    PMPI_Type_size(t, &s);
    return (uint64_t)s;
}

static int me(MPI_Comm c)
{
    int r = 0;
    PMPI_Comm_rank(c, &r);
    return r;
}

static int np(MPI_Comm c)
{
    int n = 1;
    PMPI_Comm_size(c, &n);
    return n;
}

static void add(uint64_t in)
{
    g.calls++;
    g.bytes_in += in;
}

int MPI_Allreduce(const void *s, void *r, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c)
{
    add((uint64_t)n * tsize(t));
    return PMPI_Allreduce(s, r, n, t, op, c);
}

int MPI_Reduce(const void *s, void *r, int n, MPI_Datatype t, MPI_Op op, int root, MPI_Comm c)
{
    add(me(c) == root ? (uint64_t)n * tsize(t) : 0);
    return PMPI_Reduce(s, r, n, t, op, root, c);
}

int MPI_Bcast(void *b, int n, MPI_Datatype t, int root, MPI_Comm c)
{
    add(me(c) == root ? 0 : (uint64_t)n * tsize(t));
    return PMPI_Bcast(b, n, t, root, c);
}

int MPI_Gather(const void *s, int sn, MPI_Datatype st, void *r, int rn, MPI_Datatype rt,
               int root, MPI_Comm c)
{
    add(me(c) == root ? (uint64_t)rn * tsize(rt) * (uint64_t)(np(c) - 1) : 0);
    return PMPI_Gather(s, sn, st, r, rn, rt, root, c);
}

int MPI_Gatherv(const void *s, int sn, MPI_Datatype st, void *r, const int rn[],
                const int displs[], MPI_Datatype rt, int root, MPI_Comm c)
{
    uint64_t in = 0;
    if (me(c) == root)
        for (int i = 0; i < np(c); i++)
            in += i == root ? 0 : (uint64_t)rn[i] * tsize(rt);
    add(in);
    return PMPI_Gatherv(s, sn, st, r, rn, displs, rt, root, c);
}

int MPI_Allgather(const void *s, int sn, MPI_Datatype st, void *r, int rn, MPI_Datatype rt,
                  MPI_Comm c)
{
    add((uint64_t)rn * tsize(rt) * (uint64_t)(np(c) - 1));
    return PMPI_Allgather(s, sn, st, r, rn, rt, c);
}

int MPI_Allgatherv(const void *s, int sn, MPI_Datatype st, void *r, const int rn[],
                   const int displs[], MPI_Datatype rt, MPI_Comm c)
{
    uint64_t in = 0;
    for (int i = 0; i < np(c); i++)
        in += i == me(c) ? 0 : (uint64_t)rn[i] * tsize(rt);
    add(in);
    return PMPI_Allgatherv(s, sn, st, r, rn, displs, rt, c);
}

int MPI_Scatter(const void *s, int sn, MPI_Datatype st, void *r, int rn, MPI_Datatype rt,
                int root, MPI_Comm c)
{
    add(me(c) == root ? 0 : (uint64_t)rn * tsize(rt));
    return PMPI_Scatter(s, sn, st, r, rn, rt, root, c);
}

int MPI_Scatterv(const void *s, const int sn[], const int displs[], MPI_Datatype st, void *r,
                 int rn, MPI_Datatype rt, int root, MPI_Comm c)
{
    add(me(c) == root ? 0 : (uint64_t)rn * tsize(rt));
    return PMPI_Scatterv(s, sn, displs, st, r, rn, rt, root, c);
}

int MPI_Alltoall(const void *s, int sn, MPI_Datatype st, void *r, int rn, MPI_Datatype rt,
                 MPI_Comm c)
{
    add((uint64_t)rn * tsize(rt) * (uint64_t)(np(c) - 1));
    return PMPI_Alltoall(s, sn, st, r, rn, rt, c);
}

int MPI_Exscan(const void *s, void *r, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c)
{
    add((uint64_t)n * tsize(t));
    return PMPI_Exscan(s, r, n, t, op, c);
}

int MPI_Scan(const void *s, void *r, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c)
{
    add((uint64_t)n * tsize(t));
    return PMPI_Scan(s, r, n, t, op, c);
}

int MPI_Barrier(MPI_Comm c)
{
    add(0);
    return PMPI_Barrier(c);
}

int MPI_Send(const void *b, int n, MPI_Datatype t, int dst, int tag, MPI_Comm c)
{
    add(0);
    return PMPI_Send(b, n, t, dst, tag, c);
}

int MPI_Recv(void *b, int n, MPI_Datatype t, int src, int tag, MPI_Comm c, MPI_Status *st)
{
    add((uint64_t)n * tsize(t));
    return PMPI_Recv(b, n, t, src, tag, c, st);
}

int MPI_Comm_dup(MPI_Comm c, MPI_Comm *out)
{
    add(0);
    return PMPI_Comm_dup(c, out);
}

int MPI_Comm_split(MPI_Comm c, int color, int key, MPI_Comm *out)
{
    add(0);
    return PMPI_Comm_split(c, color, key, out);
}

int MPI_Comm_split_type(MPI_Comm c, int type, int key, MPI_Info info, MPI_Comm *out)
{
    add(0);
    return PMPI_Comm_split_type(c, type, key, info, out);
}
