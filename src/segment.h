/*
 * segment.h - the heap's address range and its block files.
 */
#ifndef METALLC_SEGMENT_H
#define METALLC_SEGMENT_H

#include "types.h"

/* Reserve the address range (seg->capacity, seg->block_size set by the
 * caller) and allocate the fd table. */
int segment_reserve(struct segment *seg);
/* Map blocks [0, n) from existing files (open). */
int segment_map_existing(struct segment *seg, unsigned n);
/* Make sure the first `bytes` of the heap are mapped, creating block files
 * as needed. ENOMEM beyond capacity. */
int segment_grow(struct segment *seg, size_t bytes);
/* Give [off, off+len) disk blocks (and prefault when seg->populate). */
int segment_back(struct segment *seg, size_t off, size_t len);
/* The heap's high-water mark reached `bytes`: read-ahead on fresh blocks
 * may start (segment.c, "Read-ahead on fresh blocks"). */
void segment_heap_used(struct segment *seg, size_t bytes);
/* Return the disk blocks of [off, off+len) to the file system (and turn
 * read-ahead off). */
int segment_punch(struct segment *seg, size_t off, size_t len);
/* Record the 4 KiB pages segment_punch() releases from now on: the heap
 * changes there without a store through the mapping (checkpoint write
 * tracking must see it). Idempotent; 0 or -1 (ENOMEM). */
int segment_punch_log_start(struct segment *seg);
/* Hand over the pages punched since the last call: *bits (malloc'd,
 * *nwords words of 64 pages each; NULL when none) or *all (a punch could not
 * be recorded: count every page). A punch is recorded after it is done, so
 * one that ends after this call is in the next one. */
void segment_punch_log_take(struct segment *seg, uint64_t **bits, size_t *nwords, bool *all);
/* Write dirty heap pages of blocks [0, nblocks) to their files (fsync
 * each), then the segment directory. nblocks is read by the caller under
 * chunks.lock (the segment may be growing). */
int segment_sync(struct segment *seg, unsigned nblocks);
/* Unmap, close files, release the reservation. Safe on a partial segment. */
void segment_release(struct segment *seg);
/* The same, but the mapped blocks' page-table teardown may go to the
 * background unmapper (unmapper.h): touched bounds the bytes ever accessed. */
void segment_release_deferred(struct segment *seg, size_t touched);
/* Number of mapped bytes. */
static inline size_t segment_size(const struct segment *seg)
{
    return (size_t)seg->nblocks * seg->block_size;
}

#endif
