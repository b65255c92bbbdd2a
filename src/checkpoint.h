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



/* The same, exported for libmetallc_mpi (declared again in mpi/checkpoint.c). */
bool metall_internal_checkpoint(metall_manager *m, const char *chain_dir,
                                const metall_checkpoint_options *opt, int64_t id,
                                bool defer_merge);
bool metall_internal_checkpoint_merge(metall_manager *m, const char *chain_dir, unsigned keep);

#endif
