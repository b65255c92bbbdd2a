/*
 * chain.h - checkpoint chains on disk (format in layout.h): opening and
 * locking a chain, its manifests and indexes, the newest complete
 * checkpoint, merging old deltas into the base, restoring a checkpoint.
 *
 * Every function returns 0 or -1 with the error set (mc_fail), naming the
 * chain's files.
 */
#ifndef METALLC_CHAIN_H
#define METALLC_CHAIN_H

#include "layout.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MC_PIECE_DEFAULT 4096

/* An open chain (locked). */
struct mc_chain {
    char path[4096];
    int lock_fd;
    bool exclusive;
    uint8_t uuid[16];            /* the datastore's */
    struct mc_chain_info info;
    struct mc_chain_base base;
};

/* A checkpoint as the directory shows it (chain_list). */
struct mc_chain_entry {
    int64_t id;
    bool complete;               /* manifest valid */
    bool restorable;             /* complete and not merged away */
    struct mc_chain_manifest man;/* when complete */
    uint64_t disk_bytes;         /* of ckpt-N */
};

/* Open the chain at path and lock it (exclusive: LOCK_EX without waiting,
 * EBUSY if another writer holds it; else LOCK_SH, waiting for a writer).
 * create: make the directory and identity when there is none, for the
 * datastore uuid with `want` geometry (want->piece_size set). uuid NULL:
 * any datastore (readers). */
int chain_open(struct mc_chain *c, const char *path, bool exclusive, bool create,
               const uint8_t *uuid, const struct mc_chain_info *want);
void chain_close(struct mc_chain *c);

/* Every ckpt-N directory, sorted by id (malloc'd). */
int chain_list(struct mc_chain *c, struct mc_chain_entry **out, size_t *n);
/* The newest restorable checkpoint id, or -1 (no error) when none. */
int64_t chain_newest(struct mc_chain *c);
/* Read a complete checkpoint's manifest (ENOENT if absent / incomplete). */
int chain_read_manifest(struct mc_chain *c, int64_t id, struct mc_chain_manifest *man);
/* Read checkpoint id's index, checked against its manifest (malloc'd). */
int chain_read_index(struct mc_chain *c, int64_t id, const struct mc_chain_manifest *man,
                     struct mc_chain_index_entry **e, uint64_t *n);

/* The piece hashes of checkpoint id (restorable): base hashes, then the
 * deltas in order. *table is malloc'd, *npieces entries. */
int chain_load_table(struct mc_chain *c, int64_t id, uint64_t **table, uint64_t *npieces);

/* Paths inside the chain. */
int chain_ckpt_dir(const struct mc_chain *c, int64_t id, char *out, size_t size);
int chain_file(const struct mc_chain *c, const char *name, char *out, size_t size);

/* Write base/state atomically. */
int chain_write_base(struct mc_chain *c, const struct mc_chain_base *b);
/* Write a checkpoint's manifest (the commit point), atomically. */
int chain_write_manifest(struct mc_chain *c, const struct mc_chain_manifest *man);
/* Write a checkpoint's index atomically; *crc = its CRC-32C. */
int chain_write_index(struct mc_chain *c, int64_t id, const struct mc_chain_index_entry *e,
                      uint64_t n, uint32_t *crc);

/* Remove the directories of checkpoints that are not complete, those
 * below the base, and complete ones with id >= from (from < 0: none). */
int chain_prune(struct mc_chain *c, int64_t from);

/* Merge the deltas so that only the `keep` newest complete checkpoints
 * stay restorable (exclusive lock). */
int chain_merge(struct mc_chain *c, unsigned keep);

/* Restore checkpoint id (-1: newest) into the new datastore dst. */
int chain_restore(struct mc_chain *c, int64_t id, const char *dst);

/* The piece hash (layout.h); len a power of two, 4 KiB .. 2 MiB. */
uint64_t mc_piece_hash(const void *p, size_t len);
/* The same without SIMD (tests check that both agree). */
uint64_t mc_piece_hash_portable(const void *p, size_t len);

/* Copy a piece (len as for the hash) out of the heap: a vector loop, as
 * the memcpy of some C libraries (rep movsb) ran 3-4x slower from the
 * heap's file mappings on the AMD machine measured (docs/checkpoint.md). */
void mc_piece_copy(void *dst, const void *src, size_t len);

/* Write a whole file in place and fdatasync it (0 or an errno). */
int mc_write_file_synced(const char *path, const void *buf, size_t len);

/* Build hooks: crash tests stop a process at a named step (METALLC_CKPT_KILL
 * = "step:n" _exits at the n-th time the step is reached). */
void mc_ckpt_killpoint(const char *step);

#endif
