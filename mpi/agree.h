/*
 * agree.h - how the ranks of a collective call agree on its outcome.
 *
 * A call runs in steps. Within a step each rank works alone and records
 * its first failure (mc_ctx_fail); at the end of a step every rank calls
 * mc_ctx_agree(), one MPI_Allreduce(MIN) of the success flags. When any
 * rank failed, rank 0 gathers every rank's (errno, host, message), writes
 * one message naming the failing ranks, and broadcasts it, so that all
 * ranks return the same failure with the same text. Decisions after an
 * agreement depend only on agreed values, so all ranks always run the same
 * sequence of collectives: nothing waits forever, nothing aborts.
 *
 * The final message is kept in the context and set (metall_errmsg(),
 * errno) by mc_ctx_finish(), after any clean-up, whose core calls would
 * otherwise overwrite it.
 */
#ifndef METALLC_MPI_AGREE_H
#define METALLC_MPI_AGREE_H

#include "rootfs.h"

#include <mpi.h>
#include <stdbool.h>

#define MC_MSG_MAX 4096

/* metall-c core (src/error.c): set errno and metall_errmsg(). */
void metall_internal_set_error(int err, const char *msg);

struct mc_ctx {
    MPI_Comm comm; /* duplicate of the caller's communicator */
    MPI_Comm node; /* ranks of comm on this node, for mc_ctx_leader (or NULL) */
    bool own_comms;
    bool own_node; /* node was made by mc_ctx_leader: finish frees it */
    int rank, size;
    char host[MM_HOST_MAX];
    char what[MC_MSG_MAX / 4]; /* "metall_mpi_open /nvme/x", prefix of messages */
    /* this rank's first failure since the last agreement */
    int err;
    char msg[MM_WHY_MAX];
    /* the agreed failure (errno 0: none yet) */
    int final_err;
    char final_msg[MC_MSG_MAX];
};

/* Start a collective call on a duplicate of comm. Collective. A failure
 * (MPI not initialised, comm invalid) is recorded, not returned. */
void mc_ctx_init(struct mc_ctx *c, MPI_Comm comm, const char *op, const char *root);
/* Start a call on communicators owned by a handle (not freed by finish;
 * node may be MPI_COMM_NULL). */
void mc_ctx_init_with(struct mc_ctx *c, MPI_Comm comm, MPI_Comm node, const char *op,
                      const char *root);
/* Record this rank's failure (the first one of the step is kept). */
void mc_ctx_fail(struct mc_ctx *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Record a failure of a core call: errno and metall_errmsg(). */
void mc_ctx_fail_core(struct mc_ctx *c);
/* Whether this rank has recorded a failure in the current step. */
static inline bool mc_ctx_failed(const struct mc_ctx *c) { return c->err != 0; }
/* End a step: true on every rank when every rank succeeded in it and in
 * every step before (a failure stands: clean-up steps agree too, and
 * their own failures do not replace the first cause). Collective. */
bool mc_ctx_agree(struct mc_ctx *c);
/* Check that every rank passed the same string (e.g. the root template).
 * Collective. On a mismatch the odd ones out fail: the ranks that differ
 * from what more than half of them passed (from rank 0 without a
 * majority), each saying what it and the others passed. */
void mc_ctx_same(struct mc_ctx *c, const char *s, const char *what);
/* Whether this rank is the lowest rank of its node whose `key` is the
 * same (an Allgather within the node: O(ranks per node) bytes). Used by
 * checkpoint.c; the life-cycle calls use group.h instead. Collective. */
bool mc_ctx_leader(struct mc_ctx *c, const char *key);
/* Gather every rank's manifest entry to every rank (P entries: O(P) bytes
 * into every rank). Used by checkpoint.c's restore. Collective. */
void mc_ctx_allgather_entries(struct mc_ctx *c, const struct mm_entry *mine,
                              struct mm_entry *all);
/* A random tag chosen by rank 0, the same on every rank. Collective. */
void mc_ctx_tag(struct mc_ctx *c, char out[17]);
/* FNV-1a of a string (NULL as ""). */
uint64_t mc_hash(const char *s);
/* Rank numbers (ascending) as "0-10,12,14-20 step 2" into out. */
void mc_ranks_format(const int *ranks, int n, char *out, size_t size);
/* Free the communicator (when owned) and, if a failure was agreed, set
 * errno and metall_errmsg() to it. Returns whether the call succeeded. */
bool mc_ctx_finish(struct mc_ctx *c);

#endif
