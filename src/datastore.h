/*
 * datastore.h - internal helpers of datastore.c shared with stats/numa.
 */
#ifndef METALLC_DATASTORE_H
#define METALLC_DATASTORE_H

#include "types.h"

/* Environment overrides (METALLC_<NAME>), read once. */
struct mc_options {
    bool populate;        /* METALLC_POPULATE=1: prefault chunks when backed */
};
const struct mc_options *mc_options(void);

#endif
