/*
 * chunk.h - the chunk directory: which 2 MiB chunk of the heap holds what,
 * and the allocator of chunk runs.
 */
#ifndef METALLC_CHUNK_H
#define METALLC_CHUNK_H

#include "types.h"

/* Allocate the directory's arrays for seg->capacity. nchunks starts at 1
 * (chunk 0 reserved). */
int chunk_dir_init(metall_manager *m);
void chunk_dir_destroy(metall_manager *m);

/* Allocate a run of n chunks aligned to `align` chunks (a power of two),
 * backed on disk, and mark it as a SMALL chunk of class cls (n == 1) or a
 * LARGE object. *zeroed tells whether its memory is known to be zero.
 * Returns the first chunk index or MC_NONE with the error set. */
uint32_t chunk_alloc(metall_manager *m, uint32_t n, uint32_t align, int kind,
                     unsigned cls, bool *zeroed);

/* Free the run starting at idx (n chunks). Takes chunks.lock. */
void chunk_free(metall_manager *m, uint32_t idx, uint32_t n);

/* Grow the LARGE run at idx from n to n2 chunks in place if the chunks after
 * it are free. Returns 0, or -1 (nothing changed; error set only on I/O
 * failure, with errno). */
int chunk_grow_in_place(metall_manager *m, uint32_t idx, uint32_t n, uint32_t n2);

/* Close begins: what is freed from now on (the thread caches' slots) is
 * neither punched nor trimmed. Those slots were allocated, so their pages
 * and chunks are backed and mostly resident: punching them cost close
 * ~5-50 ms per chunk (synchronous discards), for disk space bounded by the
 * caches' size. The image marks a SMALL chunk with free slots as having
 * holes and a free chunk as backed or not, so the next run needs no more. */
void chunk_close_begin(metall_manager *m);

/* Flush: punch the backed free chunks beyond close's budget (1/8 of the
 * live bytes), so that a close right after it has none to punch, then as
 * chunk_purge_wait(m, true). Takes every arena lock, then chunks.lock. */
void chunk_flush_purge(metall_manager *m);

/* Close: stop prefaulting, punch the backed free chunks beyond the budget
 * (as chunk_flush_purge), every queued chunk and every dirty SMALL chunk's
 * free pages, and wait until done. Takes chunks.lock. */
int chunk_pool_drain(metall_manager *m);

/* Punch every queued chunk now, and if `trim`, every dirty SMALL chunk's
 * free pages too (flush, close; a snapshot skips them: the copy's free
 * chunks are punched, its free slots just copied): waits for the purger, or
 * does it here when there is none. The caller holds no allocator lock. */
void chunk_purge_wait(metall_manager *m, bool trim);

/* SMALL chunk ci has free pages that may hold disk blocks (a new chunk, a
 * hole re-backed), and if `freed`, a slot was just freed (trim its free
 * pages in the background after the purge delay). Caller holds ci's arena
 * lock; cheap to skip when info[ci].in_dirty (and in_tq) are already set. */
void chunk_trim_note(metall_manager *m, uint32_t ci, bool freed);

/* For the trimmer holding arena a's lock: is ci still a SMALL chunk of
 * arena a with the trim to do (full: in dirty_map, else in the queue)? If
 * so, clear that mark and return true. */
bool chunk_trim_take(metall_manager *m, uint32_t ci, unsigned a, bool full);

/* Rebuild free_map and cls[] from info[] (after loading the directory). */
void chunk_dir_rebuild(metall_manager *m);


/* Free the large object whose first chunk is idx. Returns its run length,
 * or 0 if idx is not the start of a large object (nothing done). */
uint32_t chunk_free_large(metall_manager *m, uint32_t idx);

/* Run length of the large object at idx, 0 if it is not one. */
uint32_t chunk_large_len(metall_manager *m, uint32_t idx);

/* Shrink the large object at idx to n2 chunks, freeing the tail. */
void chunk_shrink_large(metall_manager *m, uint32_t idx, uint32_t n2);

#endif
