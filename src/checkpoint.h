/*
 * checkpoint.h - the manager's side of checkpoints (checkpoint.c): what
 * close and the MPI layer call.
 */
#ifndef METALLC_CHECKPOINT_H
#define METALLC_CHECKPOINT_H

#include "types.h"

/* Take checkpoint `id` (-1: the next one) of m into chain_dir. Complete
 * local checkpoints >= id are dropped first (the MPI layer redoes an id no
 * global manifest committed). defer_merge: leave retention to a later
 * mc_checkpoint_merge() (after the MPI commit). */
int mc_checkpoint(metall_manager *m, const char *chain_dir, const metall_checkpoint_options *opt,
                  int64_t id, bool defer_merge);
/* Start retention (keep newest) on the background thread. */
int mc_checkpoint_merge(metall_manager *m, const char *chain_dir, unsigned keep);
/* At close: wait for the pending job, free the state. */
void mc_checkpoint_close(metall_manager *m);



/* How the last checkpoint found its changes, and what each step took (for
 * tests and benchmarks/checkpoint). */
enum {
    MC_CKPT_HASH = 1,     /* hash scan of the whole heap, no tracking */
    MC_CKPT_HASH_GEN = 2, /* hash scan; reflink generation built for the next cut */
    MC_CKPT_REFLINK = 3,  /* reflink generation */
    MC_CKPT_HASH_WP = 4,  /* hash scan; write tracking armed for the next cut */
    MC_CKPT_WP = 5,       /* write tracking: only the written pages hashed */
};
struct mc_ckpt_stats {
    int method;          /* MC_CKPT_*: hash scan; hash scan + generation rebuilt; reflink */
    double blocked_s;    /* the call, start to return */
    double open_s;       /* of which opening the chain (lock, newest checkpoint) */
    double cut_s;        /* of which the cut (until the changes are found) */
    double images_s;     /* of cut_s: the management images (allocator locks) */
    double flush_s;      /* reflink: writing back the heap files */
    double map_s;        /* reflink: mapping, comparing, cloning into the generation;
                            write tracking: reading and re-arming it */
    double scan_s;       /* hashing (all pieces, or the tracked candidates) */
    double map_cpu_s, scan_cpu_s; /* write tracking: CPU time of the two */
    uint64_t minflt, majflt;      /* write tracking: page faults in the cut */
    double collect_s;    /* reflink: reading the changed pieces from the generation */
    double write_s;      /* writing to the chain (sink, index, files, manifest) */
    uint64_t extents;    /* reflink: extents mapped */
    uint64_t runs;       /* reflink, write tracking: changed ranges found */
    uint64_t read_pieces;/* pieces hashed (reflink: read from the generation) */
    uint64_t changed;    /* index entries written */
};
/* The last checkpoint's figures (joins a pending job first). Exported. */
bool metall_internal_checkpoint_stats(metall_manager *m, struct mc_ckpt_stats *out);

/* The same, exported for libmetallc_mpi (declared again in mpi/checkpoint.c). */
bool metall_internal_checkpoint(metall_manager *m, const char *chain_dir,
                                const metall_checkpoint_options *opt, int64_t id,
                                bool defer_merge);
bool metall_internal_checkpoint_merge(metall_manager *m, const char *chain_dir, unsigned keep);

#endif
