/*
 * group.h - which ranks share a root, and who reads and writes its files.
 *
 * Ranks with the same expanded root string form `same` (in rank order);
 * those of them on one node form `node`. A root string may name one
 * directory seen by all (a parallel file system) or one directory per node
 * (node-local devices); which of the two it is, is found on disk (the
 * marker's tag, see metall_mpi.c) and given here as a per-node flag:
 * whether this node's directory is the one of `same`'s rank 0. The ranks
 * that see one directory form `inst`, and its rank 0 is the single reader
 * and writer of that directory's marker, manifest and placement file: the
 * others send it what it needs (gather) and receive what they need
 * (scatter), so that no rank but the writer handles O(P) bytes and no
 * shared file is opened by more than one rank per directory.
 *
 * Every function here is collective over the communicators it names and
 * records a failure in the context rather than returning it.
 */
#ifndef METALLC_MPI_GROUP_H
#define METALLC_MPI_GROUP_H

#include "agree.h"

/* One rank's record as the writer gathers or scatters it. */
struct mc_rec {
    int32_t rank;   /* in c->comm */
    int32_t status; /* scatter: 0 ok, MC_REC_* */
    struct mm_entry e;
};
#define MC_REC_ABSENT 1 /* the manifest does not list this rank */
#define MC_REC_FAILED 2 /* the writer failed (its message says why) */

struct mc_group {
    MPI_Comm same; /* ranks of c->comm with the same expanded root */
    MPI_Comm node; /* of them, those on this node */
    MPI_Comm inst; /* of them, those that see one directory: same, node or own */
    bool inst_owned; /* inst is its own communicator (else same or node) */
    bool node_lead; /* rank 0 of node */
    bool root_lead; /* rank 0 of same */
    bool writer;    /* rank 0 of inst */
    int inst_size;
    /* writer only: the ranks (in c->comm) of inst's members, in inst order,
     * and room for one record of each (allocated with inst, so that a
     * failure to allocate is agreed before any gather) */
    int *ranks;
    struct mc_rec *recs;
};

/* Form same and node for root. Collective over c->comm. */
void mc_group_split(struct mc_ctx *c, const char *root, struct mc_group *g);
/* Form inst from each node's flag (set by its leader, broadcast here):
 * whether this node's directory is the one of same's rank 0. */
void mc_group_instance(struct mc_ctx *c, struct mc_group *g, bool shared);
/* Forget inst (to form it again for another directory). */
void mc_group_reset_instance(struct mc_group *g);
void mc_group_free(struct mc_group *g);

/* Gather every inst member's entry to the writer: all[r] is global rank
 * r's (P entries, allocated by the writer; NULL elsewhere); an absent
 * rank's entry has an empty uuid. */
void mc_gather_entries(struct mc_ctx *c, struct mc_group *g, const struct mm_entry *mine,
                       struct mm_entry **all);
/* The writer sends each inst member its entry of all (nall entries
 * indexed by global rank; NULL: the writer failed); every member receives
 * its own in mine, with a status (0, MC_REC_ABSENT, MC_REC_FAILED). */
void mc_scatter_entries(struct mc_ctx *c, struct mc_group *g, const struct mm_entry *all,
                        int nall, struct mm_entry *mine, int *status);
/* Lines longer than this are cut (placement reports: informational). */
#define MC_LINE_MAX 2048
/* Gather every member's text line to the writer, into lines[r] (strdup'ed,
 * P pointers, NULL where none; allocated by the writer). */
void mc_gather_lines(struct mc_ctx *c, struct mc_group *g, const char *mine, char ***lines);
/* The writer sends each member its line of lines (nlines, indexed by
 * global rank; NULL: ""); every member receives it into out (size >=
 * MC_LINE_MAX). */
void mc_scatter_lines(struct mc_ctx *c, struct mc_group *g, char *const *lines, int nlines,
                      char *out, size_t size);
void mc_free_lines(char **lines, int n);

#endif
