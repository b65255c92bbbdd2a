/*
 * sys_metall.c - metall-c under alloc_bench: a fresh datastore per
 * measurement in --dir, linked statically (metallc_internal) so that
 * metall_malloc/metall_free are direct calls, not PLT calls.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <metall/metall.h>
#include <stdio.h>
#include <unistd.h>

#define SYS_NAME "metall"
#define SYS_VAR bench_sys_metall

typedef struct {
    metall_manager *m;
    char path[4096];
} sys_ctx;
typedef void *sys_handle;

static int sys_open(sys_ctx *c, const bench_params *p)
{
    snprintf(c->path, sizeof c->path, "%s/metall-%ld", p->dir, (long)getpid());
    bench_remove_tree(c->path);
    c->m = metall_create(c->path);
    if (!c->m) {
        fprintf(stderr, "metall: %s\n", metall_errmsg());
        return -1;
    }
    return 0;
}

static void sys_close(sys_ctx *c)
{
    if (!metall_close(c->m))
        fprintf(stderr, "metall: close: %s\n", metall_errmsg());
    if (!metall_remove(c->path))
        bench_remove_tree(c->path);
}

/* Freed chunks are returned to the file system by a background thread
 * (hole punching is slow on ext4 with -o discard); metall_flush() waits for
 * it, so "disk after free" is measured after a flush. */
#define SYS_SETTLE(c) (void)metall_flush((c)->m)

static int64_t sys_disk(sys_ctx *c)
{
    return bench_disk_usage(c->path);
}

static inline bool sys_alloc(sys_ctx *c, size_t size, sys_handle *h)
{
    return (*h = metall_malloc(c->m, size)) != NULL;
}

static inline void sys_free(sys_ctx *c, sys_handle h)
{
    metall_free(c->m, h);
}

static inline void *sys_ptr(sys_ctx *c, sys_handle h)
{
    (void)c;
    return h;
}

static inline bool sys_realloc(sys_ctx *c, sys_handle *h, size_t oldsz, size_t newsz)
{
    (void)oldsz;
    void *q = metall_realloc(c->m, *h, newsz);
    if (!q)
        return false;
    *h = q;
    return true;
}

#include "workloads.inc"
