/*
 * backend_pmemobj.c - PMDK libpmemobj baseline: one pool file per rank
 * (DIR/pmemobj/rank-R.pool), objects through the atomic API
 * (pmemobj_alloc/realloc/free), offsets relative to the pool (= PMEMoid.off),
 * the graph's root as the pool's root object. PMEM_IS_PMEM_FORCE=1 is set by
 * graph_bench before the first pool call: on a disk file each flush would
 * otherwise be an msync (MEASURED.md: ~177 us per allocation).
 * A pool cannot grow, so create() sizes it from the expected live bytes.
 */
#include "backend.h"

#include <stdio.h>
#include <string.h>

#ifdef GRAPH_HAVE_PMEMOBJ
#include <libpmemobj.h>

#define LAYOUT "graph_bench"

struct graph_store {
    PMEMobjpool *pop;
    uint64_t uuid_lo;
    size_t root_size;
};

static struct graph_store the_store; /* one pool per rank at a time */

static bool rank_path(const char *dir, int rank, char *buf, size_t len)
{
    snprintf(buf, len, "%s/pmemobj/rank-%d.pool", dir, rank);
    return true;
}

static struct graph_store *create(const char *dir, int rank, int nranks, size_t hint, char *err,
                                  size_t errlen)
{
    (void)nranks;
    char p[4096];
    snprintf(p, sizeof p, "%s/pmemobj", dir);
    graph_mkdirs(p);
    rank_path(dir, rank, p, sizeof p);
    remove(p);
    size_t size = hint + hint / 2 + ((size_t)64 << 20);
    if (size < PMEMOBJ_MIN_POOL)
        size = PMEMOBJ_MIN_POOL;
    the_store.pop = pmemobj_create(p, LAYOUT, size, 0644);
    if (!the_store.pop) {
        snprintf(err, errlen, "pmemobj_create %s: %s", p, pmemobj_errormsg());
        return NULL;
    }
    return &the_store;
}

static struct graph_store *open_(const char *dir, int rank, int nranks, char *err, size_t errlen)
{
    (void)nranks;
    char p[4096];
    rank_path(dir, rank, p, sizeof p);
    the_store.pop = pmemobj_open(p, LAYOUT);
    if (!the_store.pop) {
        snprintf(err, errlen, "pmemobj_open %s: %s", p, pmemobj_errormsg());
        return NULL;
    }
    return &the_store;
}

static bool close_(struct graph_store *s, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    pmemobj_close(s->pop);
    s->pop = NULL;
    return true;
}

static void *root_alloc(struct graph_store *s, size_t size)
{
    PMEMoid r = pmemobj_root(s->pop, size); /* zeroed */
    if (OID_IS_NULL(r))
        return NULL;
    s->uuid_lo = r.pool_uuid_lo;
    s->root_size = size;
    return pmemobj_direct(r);
}

static void *root_find(struct graph_store *s)
{
    size_t size = pmemobj_root_size(s->pop);
    if (!size)
        return NULL;
    PMEMoid r = pmemobj_root(s->pop, size);
    s->uuid_lo = r.pool_uuid_lo;
    return pmemobj_direct(r);
}

static void *p_resize(void *ctx, void *ptr, size_t old, size_t n)
{
    (void)old;
    struct graph_store *s = ctx;
    PMEMoid oid = OID_NULL;
    if (ptr) {
        oid.pool_uuid_lo = s->uuid_lo;
        oid.off = (uint64_t)((char *)ptr - (char *)s->pop);
        if (pmemobj_realloc(s->pop, &oid, n, 1) != 0)
            return NULL;
    } else if (pmemobj_alloc(s->pop, &oid, n, 1, NULL, NULL) != 0) {
        return NULL;
    }
    return pmemobj_direct(oid);
}

static void p_release(void *ctx, void *ptr, size_t n)
{
    (void)n;
    struct graph_store *s = ctx;
    if (!ptr)
        return;
    PMEMoid oid = {s->uuid_lo, (uint64_t)((char *)ptr - (char *)s->pop)};
    pmemobj_free(&oid);
}

static size_t p_usable(void *ctx, const void *ptr)
{
    struct graph_store *s = ctx;
    PMEMoid oid = {s->uuid_lo, (uint64_t)((const char *)ptr - (const char *)s->pop)};
    return pmemobj_alloc_usable_size(oid);
}

static metall_container_alloc alloc_of(struct graph_store *s)
{
    metall_container_alloc al = {s, (uintptr_t)s->pop, p_resize, p_release, p_usable};
    return al;
}

static size_t heap_bytes(struct graph_store *s)
{
    (void)s;
    return 0;
}

static void remove_(const char *dir, int rank, int nranks)
{
    (void)nranks;
    char p[4096];
    rank_path(dir, rank, p, sizeof p);
    remove(p);
}

const struct graph_backend graph_backend_pmemobj = {
    .name = "pmemobj",
    .persistent = true,
    .absent = NULL,
    .create = create,
    .open = open_,
    .close = close_,
    .root_alloc = root_alloc,
    .root_find = root_find,
    .alloc = alloc_of,
    .heap_bytes = heap_bytes,
    .snapshot = NULL,
    .remove = remove_,
    .path = rank_path,
};
#else
const struct graph_backend graph_backend_pmemobj = {
    .name = "pmemobj",
    .absent = "PMDK libpmemobj was not found at build time",
};
#endif
