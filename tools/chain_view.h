/*
 * chain_view.h - what the tools show of checkpoint chains (metall-ls,
 * metall-mpi-ls, metall-checkpoint ls): every checkpoint's id, state
 * (complete, merged into the base, incomplete), kind, changed pieces and
 * bytes; for an MPI chain root, the global manifest and each rank's chain,
 * with the ids the manifest lists (the complete ones) marked.
 *
 * Nothing is modified; a chain being merged is waited for (shared lock).
 */
#ifndef METALLC_CHAIN_VIEW_H
#define METALLC_CHAIN_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CV_MAX_IDS 64

/* Is path a checkpoint chain (path/chain) / an MPI chain root
 * (path/metall_mpi_chain)? */
bool cv_is_chain(const char *path);
bool cv_is_mpi_chain_root(const char *path);

/* The global manifest of an MPI chain root: 0, or an errno with why set
 * (ENOENT absent, EBADMSG damaged). */
struct cv_global {
    int ranks;
    int n;
    int64_t ids[CV_MAX_IDS];
};
int cv_read_global(const char *root, struct cv_global *g, char *why, size_t whysize);

/* Print a chain (text, each line after indent; or one JSON object).
 * listed: ids to mark as listed by a global manifest (NULL: none). Returns
 * 0, or 1 with a message on stderr naming prog. */
int cv_print_chain(const char *prog, const char *path, const char *indent, bool json,
                   const struct cv_global *listed);
/* Print an MPI chain root: the global manifest, then every rank's chain
 * present here; the ranks whose subdir-RANK is absent are listed as
 * missing (on stdout, and on stderr naming prog). Returns 1 if a present
 * chain cannot be read, if no rank's chain is here, or, with all_ranks
 * (a shared root), if any rank's is missing; else 0. Without all_ranks a
 * node-local root, which holds only its node's ranks, lists as fine. */
int cv_print_mpi_root(const char *prog, const char *root, bool json, bool all_ranks);

#endif
