/*
 * chain_io.h - writing a checkpoint's pieces (the sink), merging and
 * restoring (chain_io.c). See chain.h for the chain itself.
 */
#ifndef METALLC_CHAIN_IO_H
#define METALLC_CHAIN_IO_H

#include "chain.h"

/* Where a checkpoint's changed pieces go: staged in memory, written to the
 * delta's data file (or, for a full checkpoint, to their places in the base
 * image) whenever flush_at bytes are staged (SIZE_MAX: only at finish). */
struct mc_sink {
    struct mc_chain *c;
    int64_t id;
    bool full;
    size_t piece;
    size_t flush_at;
    int data_fd;
    int *img;                       /* full: base image fds, -1 = not open */
    unsigned nimg;
    size_t cap_img;
    char *buf;                      /* staged data pieces */
    size_t len, cap;
    struct mc_chain_index_entry *e; /* every changed piece, in piece order */
    uint64_t n;
    size_t cap_e;
    uint64_t flushed_e;             /* entries whose data is written */
    uint64_t written;               /* bytes of data written */
    uint64_t data_bytes;            /* bytes of data written or settled */
    uint64_t *table;                /* piece hashes of the previous checkpoint: updated */
};

/* table: the previous checkpoint's piece hashes, one per piece a sink_add
 * may name; the sink updates it as pieces settle (at each flush). */
int sink_open(struct mc_sink *s, struct mc_chain *c, int64_t id, bool full, size_t flush_at,
              uint64_t *table);
/* Room for entries more pieces, staged of them copied (no allocation in
 * the sink_add calls it covers). */
int sink_reserve(struct mc_sink *s, uint64_t entries, uint64_t staged);
/* A piece that may have changed (src NULL: it is zero now), copied as it
 * is now. Its hash is taken at the next flush, from the copy: then it is
 * dropped if it equals the table's, else recorded there. Pieces must come
 * in increasing order. */
int sink_add(struct mc_sink *s, uint64_t piece, const void *src);
/* Settle the pieces added since the last flush and write them. */
int sink_flush(struct mc_sink *s);
/* Write what is staged and sync it. */
int sink_finish(struct mc_sink *s);
void sink_close(struct mc_sink *s);

int chain_write_hashes(struct mc_chain *c, const uint64_t *t, uint64_t n);

#endif
