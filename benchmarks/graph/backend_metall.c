/*
 * backend_metall.c - graph_bench's metall-c backend: one datastore per
 * rank. With the MPI layer (GRAPH_USE_METALL_MPI, set by CMake when the
 * metallc_mpi target exists) the datastores are created collectively with
 * metall_mpi_create(DIR/metall) (ROOT/subdir-RANK); without it each rank
 * creates DIR/metall/rank-R with metall_create(). Both sit behind
 * store_create()/store_open()/store_close() below.
 */
#include "backend.h"

#include <metall/metall.h>
#ifdef GRAPH_USE_METALL_MPI
#include <metall/metall_mpi.h>
#include <mpi.h>
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOT_NAME "graph"

struct graph_store {
    metall_manager *m;
    int rank;
#ifdef GRAPH_USE_METALL_MPI
    metall_mpi *mpi;
#endif
};

static void root_dir(const char *dir, char *buf, size_t len)
{
    snprintf(buf, len, "%s/metall", dir);
}

static bool rank_path(const char *dir, int rank, char *buf, size_t len)
{
#ifdef GRAPH_USE_METALL_MPI
    snprintf(buf, len, "%s/metall/subdir-%d", dir, rank);
#else
    snprintf(buf, len, "%s/metall/rank-%d", dir, rank);
#endif
    return true;
}

static void fail(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s: %s", what, metall_errmsg());
}

static struct graph_store *store_create(const char *dir, int rank, int nranks, size_t hint,
                                        char *err, size_t errlen)
{
    (void)hint;
    struct graph_store *s = calloc(1, sizeof *s);
    char p[4096];
    if (!s)
        return NULL;
    s->rank = rank;
    root_dir(dir, p, sizeof p);
#ifdef GRAPH_USE_METALL_MPI
    (void)nranks;
    metall_mpi_options o;
    memset(&o, 0, sizeof o);
    o.overwrite = true;
    s->mpi = metall_mpi_create(p, MPI_COMM_WORLD, &o);
    if (!s->mpi) {
        fail(err, errlen, "metall_mpi_create");
        free(s);
        return NULL;
    }
    s->m = metall_mpi_local(s->mpi);
#else
    (void)nranks;
    if (graph_mkdirs(p) != 0) {
        snprintf(err, errlen, "%s: %s", p, strerror(errno));
        free(s);
        return NULL;
    }
    rank_path(dir, rank, p, sizeof p);
    metall_options o;
    memset(&o, 0, sizeof o);
    o.overwrite = true;
    s->m = metall_create_ex(p, &o);
    if (!s->m) {
        fail(err, errlen, "metall_create");
        free(s);
        return NULL;
    }
#endif
    return s;
}

static struct graph_store *store_open(const char *dir, int rank, int nranks, char *err,
                                      size_t errlen)
{
    struct graph_store *s = calloc(1, sizeof *s);
    char p[4096];
    if (!s)
        return NULL;
    s->rank = rank;
    (void)nranks;
#ifdef GRAPH_USE_METALL_MPI
    root_dir(dir, p, sizeof p);
    s->mpi = metall_mpi_open(p, MPI_COMM_WORLD);
    if (!s->mpi) {
        fail(err, errlen, "metall_mpi_open");
        free(s);
        return NULL;
    }
    s->m = metall_mpi_local(s->mpi);
#else
    rank_path(dir, rank, p, sizeof p);
    s->m = metall_open(p);
    if (!s->m) {
        fail(err, errlen, "metall_open");
        free(s);
        return NULL;
    }
#endif
    return s;
}

static bool store_close(struct graph_store *s, char *err, size_t errlen)
{
#ifdef GRAPH_USE_METALL_MPI
    bool ok = metall_mpi_close(s->mpi);
#else
    bool ok = metall_close(s->m);
#endif
    if (!ok)
        fail(err, errlen, "metall_close");
    free(s);
    return ok;
}

static void *root_alloc(struct graph_store *s, size_t size)
{
    void *p = metall_named_malloc(s->m, ROOT_NAME, size);
    if (p)
        memset(p, 0, size);
    return p;
}

static void *root_find(struct graph_store *s)
{
    return metall_find(s->m, ROOT_NAME);
}

static metall_container_alloc alloc_of(struct graph_store *s)
{
    return metall_container_alloc_of(s->m);
}

static size_t heap_bytes(struct graph_store *s)
{
    metall_stats st;
    return metall_get_stats(s->m, &st) ? st.allocated_bytes : 0;
}

static bool snapshot(struct graph_store *s, const char *dst, char *err, size_t errlen)
{
#ifdef GRAPH_USE_METALL_MPI
    bool ok = metall_mpi_snapshot(s->mpi, dst);
#else
    char p[4096];
    bool ok = graph_mkdirs(dst) == 0;
    if (ok) {
        snprintf(p, sizeof p, "%s/rank-%d", dst, s->rank);
        ok = metall_snapshot(s->m, p);
    }
#endif
    if (!ok)
        fail(err, errlen, "metall snapshot");
    return ok;
}

static void store_remove(const char *dir, int rank, int nranks)
{
    char p[4096];
#ifdef GRAPH_USE_METALL_MPI
    (void)rank, (void)nranks;
    root_dir(dir, p, sizeof p);
    metall_mpi_remove(p, MPI_COMM_WORLD);
#else
    (void)nranks;
    rank_path(dir, rank, p, sizeof p);
    metall_remove(p);
#endif
}

const struct graph_backend graph_backend_metall = {
    .name = "metall",
    .persistent = true,
    .absent = NULL,
    .create = store_create,
    .open = store_open,
    .close = store_close,
    .root_alloc = root_alloc,
    .root_find = root_find,
    .alloc = alloc_of,
    .heap_bytes = heap_bytes,
    .snapshot = snapshot,
    .remove = store_remove,
    .path = rank_path,
};
