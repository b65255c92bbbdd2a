/*
 * bin.h - small-object bins: slots of one size class in SMALL chunks.
 */
#ifndef METALLC_BIN_H
#define METALLC_BIN_H

#include "types.h"

void bin_init(metall_manager *m);
void bin_destroy(metall_manager *m);

/* Take up to `want` free slots of class c from arena a (allocating chunks as
 * needed) into out[]. Returns how many (> 0), or 0 with the error set
 * (ENOMEM, ENOSPC). */
unsigned bin_alloc_batch(metall_manager *m, unsigned a, unsigned c, void **out, unsigned want);

/* Give n slots of class c back; empty chunks go back to the chunk
 * directory. */
void bin_free_batch(metall_manager *m, unsigned c, void *const *slots, unsigned n);

/* Whether ptr is an allocated slot start (for validation of named offsets;
 * caller holds the locks or the manager is private). */
bool bin_slot_allocated(metall_manager *m, uint32_t chunk, size_t off_in_chunk);

/* After loading the chunk directory: build the non-full lists and hints. */
void bin_rebuild(metall_manager *m);

/* Punch the fully free pages of SMALL chunk ci that still hold disk blocks:
 * all of them (full: flush/close), or only those below the chunk's
 * high-water mark (background: resident memory; the never used end of a
 * chunk being filled stays backed). Takes ci's arena lock (wait: blocking,
 * else trylock), punches without it while allocation skips the chunk.
 * Returns the pages punched, or -1 if the arena was busy (nothing done). */
int bin_trim_chunk(metall_manager *m, uint32_t ci, bool full, bool wait);

/* Lock / unlock all arenas in index order (flush, snapshot, stats). */
void bin_lock_all(metall_manager *m);
void bin_unlock_all(metall_manager *m);

#endif
