/*
 * chain_gen.h - finding a checkpoint's changed pieces on a reflink file
 * system (XFS, btrfs) without reading the heap.
 *
 * The generation: DATASTORE/.metall-ckpt/block-NNNNNN, one shadow file per
 * segment block, whose written blocks are shared (reflinked) with the
 * heap's as of the last cut. Writing a shared page makes the file system
 * copy it on write when the page is written back, so after a flush every
 * page changed since the last cut sits at a new physical address. The cut
 * flushes each block file, maps it (FIEMAP), and compares every page's
 * key (physical address; 0 for a hole or unwritten extent, which read as
 * zeros) with the key the shadow holds: the differing pages are the
 * changed ones (a superset: a rewrite with equal bytes counts). Those
 * ranges are then cloned into the shadow (FICLONERANGE), which freezes
 * them for the copy to the chain and shares them again for the next cut,
 * and their keys are read back from the shadow.
 *
 * Invariant (what makes a page found unchanged safe to skip): a page whose
 * key equals the shadow's holds the bytes the chain recorded for it, since
 * the block at that address is referenced by the shadow (so it cannot be
 * reused) and is shared with the heap file (so the heap's page was not
 * written back since), and the flush wrote back every page dirtied before
 * the cut. The chain takes the changed pages' bytes from the shadow, so
 * what it records and what the shadow holds are the same bytes whatever
 * other threads write meanwhile.
 *
 * Nothing here is trusted after a restart: the keys live in memory only,
 * and a manager rebuilds the generation (gen_reset + gen_track) at its
 * first checkpoint into a chain, hashing the heap once.
 */
#ifndef METALLC_CHAIN_GEN_H
#define METALLC_CHAIN_GEN_H

#include "types.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MC_GEN_PAGE 4096 /* key granularity */

struct mc_gen {
    char dir[PATH_MAX];     /* DATASTORE/.metall-ckpt */
    size_t block_size;
    size_t pages;           /* keys per block */
    unsigned n, cap;        /* tracked blocks [0, n) */
    int *fd;                /* shadow file of each block */
    uint64_t **key;         /* per block: the shadow's key of each page */
    uint64_t *cur;          /* scratch: one block's keys in the heap file */
    uint64_t extents;       /* extents mapped (counted up; the caller resets) */
    double flush_s;         /* time gen_diff spent writing back (likewise) */
};

/* A run of changed pages, in heap page numbers (MC_GEN_PAGE units). */
struct mc_gen_run {
    uint64_t first, n;
};

struct mc_gen_runs {
    struct mc_gen_run *v;
    size_t n, cap;
};

/* Whether the file system of the datastore at ds_path can hold a
 * generation: block size at most MC_GEN_PAGE. */
bool gen_possible(const char *ds_path);
/* Start over: remove the directory, make it anew, track no block. */
int gen_reset(struct mc_gen *g, const char *ds_path, size_t block_size);
/* Track block b (== g->n) from now on: clone its heap file whole into a
 * new shadow and read the shadow's keys. EOPNOTSUPP (with a message) when
 * the file system cannot clone. */
int gen_track(struct mc_gen *g, int heap_fd, unsigned b);
/* Track block b (== g->n), new since the last cut, as empty: every
 * written page of it will differ. */
int gen_track_empty(struct mc_gen *g, unsigned b);
/* The cut of tracked block b: flush its heap file, find the changed
 * pages, clone them into the shadow; their runs are appended to out. */
int gen_diff(struct mc_gen *g, int heap_fd, unsigned b, struct mc_gen_runs *out);
/* Read len bytes at heap offset off (inside one block) from the shadow. */
int gen_read(const struct mc_gen *g, uint64_t off, void *buf, size_t len);
/* Forget everything; remove the directory when remove. */
void gen_free(struct mc_gen *g, bool remove);

#endif
