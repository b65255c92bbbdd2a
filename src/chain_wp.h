/*
 * chain_wp.h - finding a checkpoint's changed pages by write tracking,
 * without reading the heap.
 *
 * The heap's block mappings are registered with a userfaultfd in
 * write-protect mode, asynchronous (UFFD_FEATURE_WP_ASYNC, Linux 6.7+,
 * which also covers regular-file mappings): after a page is protected, its
 * first store faults once, and the kernel itself lifts the protection and
 * lets the store through (no handler thread, no signal; system calls that
 * write into the heap work as before). At the cut, the PAGEMAP_SCAN ioctl
 * of /proc/self/pagemap lists the pages written since the last cut and
 * protects them again in the same walk, atomically per page table.
 *
 * What the candidates of a cut are: the pages written (stores through the
 * mapping, by any thread or by the kernel on its behalf), the pages
 * segment_punch() released (they turn to zeros without a store), and every
 * page of a block mapped since the last cut. A page outside them holds the
 * bytes it held at the last cut. Not seen: stores by another process or a
 * forked child through its own mapping of the block files (the datastore
 * belongs to the process that opened it; the hash scan sees those).
 *
 * Nothing here survives the manager: the first checkpoint of a manager
 * into a chain arms the tracking (wp_arm) and then hashes the whole heap.
 */
#ifndef METALLC_CHAIN_WP_H
#define METALLC_CHAIN_WP_H

#include "types.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MC_WP_PAGE 4096

struct mc_wp {
    int uffd;         /* -1: not open */
    int pagemap;      /* /proc/self/pagemap */
    unsigned n;       /* blocks registered: [0, n) */
    void *vec;        /* PAGEMAP_SCAN output */
    size_t vec_len;
    uint64_t regions; /* written ranges reported (counted up; the caller resets) */
    uint64_t scans;   /* PAGEMAP_SCAN calls (likewise) */
};

/* A bitmap of heap pages (MC_WP_PAGE each). */
struct mc_wp_pages {
    uint64_t *bits;
    uint64_t npages;
};

/* Open the tracking (nothing registered yet). EOPNOTSUPP, with a message,
 * when the kernel cannot track writes to file mappings. */
int wp_open(struct mc_wp *w, const char *what);
/* Start over: register blocks [n, nblocks) of seg, protect every page of
 * [0, nblocks), start the punch log and forget what it held. Pages
 * written from now on are the next cut's candidates. */
int wp_arm(struct mc_wp *w, struct segment *seg, unsigned nblocks);
/* The cut: the candidates (above) of blocks [0, nblocks) into out
 * (malloc'd), every page protected again, new blocks registered. On
 * failure the tracking is lost (wp_arm again). */
int wp_cut(struct mc_wp *w, struct segment *seg, unsigned nblocks, struct mc_wp_pages *out);
/* Stop tracking: unregister (the protections go) and close. */
void wp_close(struct mc_wp *w);

#endif
