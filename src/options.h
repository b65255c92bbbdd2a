/*
 * options.h - the library's options from the environment (METALLC_<NAME>),
 * read once, all in one place. A ground-floor unit: it includes nothing of
 * the library, so that any layer (chunk.c, datastore.c) may ask.
 */
#ifndef METALLC_OPTIONS_H
#define METALLC_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

struct mc_options {
    bool populate;           /* METALLC_POPULATE=1: prefault chunks when backed */
    bool purge_sync;         /* METALLC_PURGE=sync: punch freed chunks in free() */
    bool prefault;           /* METALLC_PREFAULT (default on): background prefault */
    uint64_t purge_delay_ns; /* METALLC_PURGE_DELAY_MS (default 500) */
    bool snapshot_overcommit; /* METALLC_SNAPSHOT_OVERCOMMIT=1: allow a reflink snapshot or
                                 copy whose shared bytes the file system has no room to
                                 rewrite (datastore.c) */
    bool unmap_sync;         /* METALLC_UNMAP_SYNC=1: close unmaps the heap itself, not in
                                the background (unmapper.c) */
};
/* The options, read from the environment at the first call (thread-safe). */
const struct mc_options *mc_options(void);

#endif
