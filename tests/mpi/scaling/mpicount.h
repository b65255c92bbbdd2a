/* mpicount.h - counters of the PMPI interposer (mpicount.c). */
#ifndef METALLC_MPICOUNT_H
#define METALLC_MPICOUNT_H

#include <stdint.h>

struct mpicount {
    uint64_t calls;    /* collective and point-to-point calls, comm creations */
    uint64_t bytes_in; /* bytes delivered to this rank by them */
};

void mpicount_reset(void);
void mpicount_get(struct mpicount *out);

#endif
