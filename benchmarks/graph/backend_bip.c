/*
 * backend_bip.c - graph_bench's Boost.Interprocess baseline: one
 * managed_mapped_file per rank (DIR/bip/rank-R.bip), sparse, sized up front
 * (it cannot grow while mapped). Its allocator has no realloc, so growing
 * an array is allocate + copy + deallocate, as std::vector does in LLNL
 * Metall's own benchmark. Its usable size is segment_manager::size().
 */
#include "backend.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#ifdef GRAPH_HAVE_BIP
#include "bip_shim.h"

#define ROOT_NAME "graph"

struct graph_store {
    bip_file *f;
};

static struct graph_store the_store;

static bool rank_path(const char *dir, int rank, char *buf, size_t len)
{
    snprintf(buf, len, "%s/bip/rank-%d.bip", dir, rank);
    return true;
}

static struct graph_store *create(const char *dir, int rank, int nranks, size_t hint, char *err,
                                  size_t errlen)
{
    (void)nranks;
    char p[4096];
    snprintf(p, sizeof p, "%s/bip", dir);
    graph_mkdirs(p);
    rank_path(dir, rank, p, sizeof p);
    remove(p);
    /* sparse: only touched pages take disk space, so be generous */
    the_store.f = bip_create(p, 3 * hint + ((size_t)64 << 20), err, errlen);
    return the_store.f ? &the_store : NULL;
}

static struct graph_store *open_(const char *dir, int rank, int nranks, char *err, size_t errlen)
{
    (void)nranks;
    char p[4096];
    rank_path(dir, rank, p, sizeof p);
    the_store.f = bip_open(p, err, errlen);
    return the_store.f ? &the_store : NULL;
}

static bool close_(struct graph_store *s, char *err, size_t errlen)
{
    bool ok = bip_close(s->f) == 1;
    if (!ok)
        snprintf(err, errlen, "managed_mapped_file::flush failed");
    s->f = NULL;
    return ok;
}

static void *root_alloc(struct graph_store *s, size_t size)
{
    return bip_named_alloc(s->f, ROOT_NAME, size); /* zeroed */
}

static void *root_find(struct graph_store *s)
{
    return bip_named_find(s->f, ROOT_NAME);
}

static void *b_resize(void *ctx, void *ptr, size_t old, size_t n)
{
    struct graph_store *s = ctx;
    void *q = bip_alloc(s->f, n);
    if (!q) {
        errno = ENOMEM;
        return NULL;
    }
    if (ptr) {
        memcpy(q, ptr, old < n ? old : n);
        bip_free(s->f, ptr);
    }
    return q;
}

static void b_release(void *ctx, void *ptr, size_t n)
{
    (void)n;
    struct graph_store *s = ctx;
    bip_free(s->f, ptr);
}

static size_t b_usable(void *ctx, const void *ptr)
{
    return bip_usable(((struct graph_store *)ctx)->f, ptr);
}

static metall_container_alloc alloc_of(struct graph_store *s)
{
    metall_container_alloc al = {s, (uintptr_t)bip_base(s->f), b_resize, b_release, b_usable};
    return al;
}

static size_t heap_bytes(struct graph_store *s)
{
    return bip_used_bytes(s->f);
}

static void remove_(const char *dir, int rank, int nranks)
{
    (void)nranks;
    char p[4096];
    rank_path(dir, rank, p, sizeof p);
    remove(p);
}

const struct graph_backend graph_backend_bip = {
    .name = "bip",
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
const struct graph_backend graph_backend_bip = {
    .name = "bip",
    .absent = "Boost.Interprocess was not found at build time",
};
#endif
