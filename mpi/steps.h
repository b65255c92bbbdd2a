/*
 * steps.h - the steps the collective calls of the MPI layer are made of
 * (metall_mpi.c, publish.c). Each step records a failure in the context
 * (agree.h) and does nothing once one is recorded; callers agree at the
 * end of a step. File-system work on a root's shared files (marker,
 * manifest, placement file, the directory listing) is done by one rank per
 * directory, the writer of its group (group.h); every other rank touches
 * only its own ROOT/subdir-RANK.
 */
#ifndef METALLC_MPI_STEPS_H
#define METALLC_MPI_STEPS_H

#include "group.h"
#include "placement.h"

#include <limits.h>

#define MC_PLACEMENT_MAX (MM_CPUSET_MAX + 2 * PATH_MAX)

/* The root template expanded for this rank into root and root/subdir-RANK;
 * %n is `numa`, or this rank's node when numa < 0. */
void mc_resolve(struct mc_ctx *c, const char *tmpl, int numa, char *root, char *path);
/* The start of every call on an existing root: a context, the same root
 * template on every rank, and this rank's root and subdirectory. */
void mc_begin(struct mc_ctx *c, MPI_Comm comm, const char *what, const char *tmpl,
              char *root, char *path);
/* out = dir/name; ENAMETOOLONG. */
int mc_join(char *out, const char *dir, const char *name);

/* Which directory this rank's root is: node leaders read the marker (its
 * partition count and identity, see mm_marker_identity) and tell their
 * node; a node whose identity is that of same's rank 0 shares its
 * directory. Forms g's inst. A node without a marker (or root) has a
 * directory of its own; with need_marker that is a failure, named by its
 * leader. Not agreed: the caller agrees next. */
void mc_root_identity(struct mc_ctx *c, struct mc_group *g, const char *root,
                      bool need_marker, int *parts, bool *marked);

/* The tag a node leader other than same's rank 0 writes into the marker
 * of a directory of its own (node-local), derived from the call's tag: so
 * every directory's marker tells it apart from the others'. */
void mc_own_tag(const char *tag, int rank, char out[17]);

/* What a rank learns of an existing root. */
struct mc_view {
    int parts;         /* the marker's partition count (-1: unknown) */
    struct mm_entry e; /* this rank's manifest entry */
    int status;        /* 0, MC_REC_ABSENT, MC_REC_FAILED */
    char placement[MC_PLACEMENT_MAX]; /* with want_placement: this rank's line */
};

/* Read an existing root: node leaders read the marker, the writer of each
 * directory the manifest (and with want_placement the placement reports),
 * and every rank receives its part. Forms g (free with mc_group_free).
 * Ends agreed; returns whether every rank succeeded. */
bool mc_read_root(struct mc_ctx *c, struct mc_group *g, const char *root, bool want_placement,
                  struct mc_view *v);
/* This rank's part of an existing root is valid: the partition count is
 * `expect` (unless < 0), the manifest lists this rank, and path is a
 * datastore with the listed uuid. */
void mc_check_view(struct mc_ctx *c, const char *root, const char *path, int expect,
                   const struct mc_view *v);

/* This rank's manifest line for the datastore at path. */
void mc_make_entry(struct mc_ctx *c, const char *path, struct mm_entry *e);
/* Gather the entries to the writer of g, which writes root's manifest. */
void mc_write_manifest(struct mc_ctx *c, struct mc_group *g, const char *root,
                       const char *path);

/* The datastore at path is open for writing by someone (remove would fail
 * half-way): checked before anything is removed. */
void mc_check_not_busy(struct mc_ctx *c, const char *path);
/* Remove the MPI datastore at root: manifest first (writer), then every
 * rank's datastore, then what is left (writer; the root itself when
 * rmdir_root and empty). Collective; ends agreed. */
bool mc_remove_layout(struct mc_ctx *c, struct mc_group *g, const char *root,
                      const char *path, bool rmdir_root);

/* Writes this rank's datastore to tpath (a new directory); 0 or -1 with
 * errno and metall_errmsg() set by the core. */
typedef int (*mc_produce_fn)(const void *arg, const char *tpath);
/* Build a new MPI datastore at dst_tmpl from what produce writes on every
 * rank, all-or-nothing (publish.c). Collective; call after an agreed
 * step; ends agreed. */
bool mc_publish(struct mc_ctx *c, const char *dst_tmpl, mc_produce_fn produce, const void *arg);

#endif
