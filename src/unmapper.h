/*
 * unmapper.h - release a closed heap's address range in the background.
 *
 * Unmapping a heap's file mappings costs time in proportion to its
 * resident pages (about 60 ms per GiB of 4 KiB pages), not to what a close
 * changed: a close would be O(heap). The data and management files are
 * durable before the unmap, so only the page-table teardown is deferred to
 * one process-wide thread, started when first needed.
 */
#ifndef METALLC_UNMAPPER_H
#define METALLC_UNMAPPER_H

#include <stdbool.h>
#include <stddef.h>

/* Below this many touched bytes a synchronous munmap takes a few ms at
 * most: not worth a thread, and the address space is free at once. */
#define MC_UNMAP_SYNC_BELOW ((size_t)64 << 20)
/* Pages dropped per step (MADV_DONTNEED, under the mmap lock held for
 * reading: another thread's mmap, e.g. a reopen's, waits for one step;
 * munmap slices took it for writing and made a reopen right after close
 * at scale 21 of the adjlist port 1-50 ms slower). */
#define MC_UNMAP_SLICE ((size_t)32 << 20)

/* Release [addr, addr+len), a reservation whose first `mapped` bytes hold
 * file mappings of which at most `touched` bytes were ever accessed (an
 * upper bound on the resident pages). The never-mapped tail goes at once;
 * the mapped prefix is queued for the background thread unless touched is
 * small (MC_UNMAP_SYNC_BELOW), METALLC_UNMAP_SYNC=1 is set, or the thread
 * or the queue cannot be had: then it goes at once too. Page aligned. */
void mc_unmap_deferred(void *addr, size_t len, size_t mapped, size_t touched);

/* Wait until every region queued by this process is unmapped (in a forked
 * child, unmap the inherited queue here). Returns whether anything was
 * pending: callers that retry after a failure can tell if it may help. */
bool mc_unmap_drain(void);

/* fork: hold the queue across fork() with no slice being unmapped (so the
 * child's queue is exactly what is still mapped in it); the child has no
 * thread. Called from the library's atfork handlers (tcache.c). */
void mc_unmap_fork_prepare(void);
void mc_unmap_fork_parent(void);
void mc_unmap_fork_child(void);

#endif
