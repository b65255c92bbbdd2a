/*
 * datastore.h - internal helpers of datastore.c shared with stats/numa.
 */
#ifndef METALLC_DATASTORE_H
#define METALLC_DATASTORE_H

#include "types.h"

/* Environment overrides (METALLC_<NAME>), read once, all in one place. */
struct mc_options {
    bool populate;           /* METALLC_POPULATE=1: prefault chunks when backed */
    bool purge_sync;         /* METALLC_PURGE=sync: punch freed chunks in free() */
    bool prefault;           /* METALLC_PREFAULT (default on): background prefault */
    uint64_t purge_delay_ns; /* METALLC_PURGE_DELAY_MS (default 500) */
};
const struct mc_options *mc_options(void);

#endif
