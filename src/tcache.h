/*
 * tcache.h - per-thread caches of free slots (the allocation fast path).
 */
#ifndef METALLC_TCACHE_H
#define METALLC_TCACHE_H

#include "types.h"

#include <sys/types.h>

struct tbin {
    uint32_t count;
    uint32_t cap;
    void **slots;            /* stack: slots[0..count) */
};

struct tcache {
    struct tbin bins[MC_NCLASSES];
    metall_manager *m;
    struct tcache *next;     /* in m->tcaches */
    bool owned;              /* in use by a live thread */
    unsigned arena;          /* the arena this cache refills from */
    void *storage[];         /* the stacks */
};

struct tl_entry {
    uint64_t id;
    struct tcache *tc;
};

/* The thread's most recently used (manager id, tcache): the fast path's one
 * compare. initial-exec TLS: a plain %fs-relative load, no __tls_get_addr. */
extern __thread struct tl_entry mc_tl_last __attribute__((tls_model("initial-exec")));

/* The calling thread's cache for m, or NULL (read-only manager, or no
 * memory for one: callers then go to the bins directly). */
struct tcache *tcache_get_slow(metall_manager *m);

static inline struct tcache *tcache_get(metall_manager *m)
{
    if (MC_LIKELY(mc_tl_last.id == m->id))
        return mc_tl_last.tc;
    return tcache_get_slow(m);
}

/* Return every slot of tc to the bins. */
void tcache_flush(struct tcache *tc);

/* Flush the calling thread's cache of m (if any). */
void tcache_flush_mine(metall_manager *m);

/* Registry of open managers (for thread-exit flushing and fork); sets
 * m->pid to this process. */
void tcache_register(metall_manager *m);
/* Unregister m (close in a process that does not own it). */
void tcache_forget(metall_manager *m);

/* This process's id, kept current across fork() (getpid() without a
 * system call). */
pid_t mc_process_id(void);
/* 0 if m was opened by this process, else -1 with EPERM and a message:
 * every public call on a manager but the allocation fast paths (which a
 * fork makes fall through to slow paths) checks this. */
int mc_check_owner(const metall_manager *m);
/* Unregister m, then flush and free all its caches (close). */
void tcache_destroy_all(metall_manager *m);

/* Slots held by all caches of m, by class (racy read, for stats). */
void tcache_count(metall_manager *m, uint64_t counts[MC_NCLASSES]);

#endif
