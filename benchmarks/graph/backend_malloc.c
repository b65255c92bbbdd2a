/*
 * backend_malloc.c - the DRAM floor: glibc malloc/realloc/free, offsets are
 * addresses (base 0). Nothing is persisted: "close" keeps the structure and
 * "reopen" hands it back, so close_s and reopen_s are 0 by construction.
 */
#include "backend.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

struct graph_store {
    void *root;
};

/* kept across close/open: the graph of this process */
static void *kept_root;

static struct graph_store *create(const char *dir, int rank, int nranks, size_t hint, char *err,
                                  size_t errlen)
{
    (void)dir, (void)rank, (void)nranks, (void)hint, (void)err, (void)errlen;
    return calloc(1, sizeof(struct graph_store));
}

static struct graph_store *open_(const char *dir, int rank, int nranks, char *err, size_t errlen)
{
    (void)dir, (void)rank, (void)nranks, (void)err, (void)errlen;
    struct graph_store *s = calloc(1, sizeof *s);
    if (s)
        s->root = kept_root;
    return s;
}

static bool close_(struct graph_store *s, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    kept_root = s->root;
    free(s);
    return true;
}

static void *root_alloc(struct graph_store *s, size_t size)
{
    s->root = calloc(1, size);
    return s->root;
}

static void *root_find(struct graph_store *s)
{
    return s->root;
}

static void *m_resize(void *ctx, void *p, size_t old, size_t n)
{
    (void)ctx, (void)old;
    return realloc(p, n);
}

static void m_release(void *ctx, void *p, size_t n)
{
    (void)ctx, (void)n;
    free(p);
}

static size_t m_usable(void *ctx, const void *p)
{
    (void)ctx;
    return malloc_usable_size((void *)p);
}

static metall_container_alloc alloc_of(struct graph_store *s)
{
    metall_container_alloc al = {s, 0, m_resize, m_release, m_usable};
    return al;
}

static size_t heap_bytes(struct graph_store *s)
{
    (void)s;
    return 0;
}

static void remove_(const char *dir, int rank, int nranks)
{
    (void)dir, (void)rank, (void)nranks;
    free(kept_root); /* the containers were destroyed by the caller */
    kept_root = NULL;
}

static bool path(const char *dir, int rank, char *p, size_t len)
{
    (void)dir, (void)rank, (void)p, (void)len;
    return false;
}

const struct graph_backend graph_backend_malloc = {
    .name = "malloc",
    .persistent = false,
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
    .path = path,
};
