/*
 * datastore.h - internal helpers of datastore.c shared with stats/numa.
 */
#ifndef METALLC_DATASTORE_H
#define METALLC_DATASTORE_H

#include "types.h"

/* For checkpoints: the management images of a consistent cut (as a
 * snapshot takes it, same uuid), the blocks it covers and which of their
 * chunks are free; a temporary directory beside dst (with segment/); and
 * publishing it as dst (rc == 0) or removing it. */
int mc_ds_cut(metall_manager *m, void **chunks, size_t *chunks_len, void **names,
              size_t *names_len, unsigned *nblocks, uint8_t **free_chunks);
int mc_ds_make_tmp(const char *dst, char *tmp, size_t size);
bool mc_ds_finish_tmp(int rc, const char *tmp, const char *dst);

#endif
