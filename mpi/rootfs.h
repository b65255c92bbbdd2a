/*
 * rootfs.h - the on-disk layout of an MPI datastore root, without MPI (so
 * that metall-mpi-ls, which is not an MPI program, shares it).
 *
 *   ROOT/metall_mpi            marker: magic, format version, partitions
 *   ROOT/metall_mpi_manifest   partitions, per rank: uuid, bytes, host;
 *                              checksummed; written LAST (the commit point);
 *                              lists the ranks whose subdirectories this
 *                              directory holds (all, on a shared root)
 *   ROOT/subdir-RANK           one core datastore per rank
 *   ROOT/metall_mpi_placement  where each rank ran when it created its
 *                              datastore (host, cpuset, NUMA nodes, policy,
 *                              path), one line per rank; informational,
 *                              written by create only (a snapshot or copy
 *                              has none), never needed to open. Roots of
 *                              format 1 have ROOT/placement-RANK instead.
 *
 * Marker, manifest and placement file have one writer per directory (see
 * group.h), so nothing here is written by many ranks at once.
 *
 * Invariant: a ROOT is a valid MPI datastore only when marker and manifest
 * are both present, parse, and agree on the partition count. Creates,
 * snapshots and copies write the manifest after everything else, and
 * removal deletes it first, so a partial state never looks valid.
 *
 * Every function returns 0 or a positive errno value and never touches
 * metall_errmsg(); readers explain a failure in `why` (the caller names
 * the rank and host).
 */
#ifndef METALLC_MPI_ROOTFS_H
#define METALLC_MPI_ROOTFS_H

#include "fsutil.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MM_MARKER_NAME "metall_mpi"
#define MM_MANIFEST_NAME "metall_mpi_manifest"
#define MM_MARKER_MAGIC "metall-c-mpi"
#define MM_MANIFEST_MAGIC "metall-c-mpi-manifest"
#define MM_FORMAT_VERSION 1
/* A manifest listing only some ranks (those whose subdirectories are in
 * this directory: node-local roots) has format 2; a complete one keeps
 * format 1. Readers take both. */
#define MM_MANIFEST_PARTIAL 2
/* One file with every rank's placement report (format 2); format 1 had
 * one file per rank, ROOT/placement-RANK, still read. */
#define MM_PLACEMENTS_NAME "metall_mpi_placement"
/* Infix of the temporary root a snapshot or copy is built under. */
#define MM_TMP_INFIX ".metall-mpi-tmp-"
#define MM_PLACEMENT_PREFIX "placement-"
#define MM_PLACEMENT_MAGIC "metall-c-mpi-placement"
#define MM_HOST_MAX 64
#define MM_WHY_MAX 384
#define MM_CPUSET_MAX 1024
#define MM_NODES_MAX 256
#define MM_POLICY_MAX 32

/* One rank's line of the manifest. */
struct mm_entry {
    char uuid[37];
    uint64_t bytes;           /* disk usage of ROOT/subdir-RANK */
    char host[MM_HOST_MAX];   /* where the rank ran when it was written */
};

struct mm_manifest {
    int partitions;
    struct mm_entry *entries; /* partitions entries, malloc'd; a rank the
                                 manifest does not list has an empty uuid */
};

/* One rank's placement report (ROOT/placement-RANK), a text file of
 * "key value" lines after a "metall-c-mpi-placement 1" line:
 *   rank 0 / host node7 / cpuset 0-3 / numa_nodes 0 / numa_node 0 /
 *   policy local / path /mnt/pmem0/ds/subdir-0
 * Readers ignore keys they do not know (the format may grow) and report
 * "?" for missing ones. */
struct mm_placement {
    int rank;
    char host[MM_HOST_MAX];
    char cpuset[MM_CPUSET_MAX]; /* PU os indexes the rank was bound to */
    char nodes[MM_NODES_MAX];   /* NUMA nodes (logical) near that cpuset */
    int node;                   /* the %n value: the lowest of them */
    char policy[MM_POLICY_MAX]; /* none, local, interleave, node:N */
    char path[4096];            /* the rank's datastore */
};

/* out = ROOT/placement-RANK. */
int mm_placement_path(char *out, size_t size, const char *root, int rank);
int mm_write_placement(const char *root, const struct mm_placement *p);
/* ENOENT when absent; EBADMSG (why says what) when it is not a placement
 * report. */
int mm_read_placement(const char *root, int rank, struct mm_placement *p, char *why,
                      size_t whysize);
/* One line for people: "rank 0 on node7: cpuset 0-3, NUMA node(s) 0,
 * policy local, datastore /mnt/pmem0/ds/subdir-0". */
void mm_placement_format(const struct mm_placement *p, char *out, size_t size);

/* A report as one line of ROOT/metall_mpi_placement: the fields in the
 * order of struct mm_placement, tab-separated (tabs and newlines in them
 * become spaces). */
void mm_placement_serialize(const struct mm_placement *p, char *out, size_t size);
/* EBADMSG when the line is not one. */
int mm_placement_parse(const char *line, struct mm_placement *p);
/* Write ROOT/metall_mpi_placement from lines[0..partitions) (serialized
 * reports; NULL: none for that rank). */
int mm_write_placements(const char *root, char *const *lines, int partitions);
/* Read it: *lines gets partitions pointers (NULL where none), free with
 * mm_free_placements(). ENOENT when absent. */
int mm_read_placements(const char *root, int partitions, char ***lines);
void mm_free_placements(char **lines, int partitions);

/* out = ROOT/subdir-RANK. */
int mm_subdir(char *out, size_t size, const char *root, int rank);

/* Expand %r, %h, %n and %% in tmpl; EINVAL for another %-sequence,
 * ENAMETOOLONG when out is too small. */
int mm_expand(const char *tmpl, int rank, const char *host, int numa, char *out,
              size_t size);

/* Rename from to to, never replacing (fs_publish()). */
#define mm_publish fs_publish

/* Write ROOT's marker, with the tag of the call that writes it (NULL:
 * none). With claim, EEXIST (nothing written) when one exists: the marker
 * is the claim of a root by one job; otherwise it is replaced. */
int mm_write_marker(const char *root, int partitions, const char *tag, bool claim);
/* The tag in ROOT's marker; ENOENT when the marker or its tag is absent. */
int mm_read_marker_tag(const char *root, char tag[17]);
/* What tells one root directory from another of the same name on another
 * node: the marker's tag, or for a marker without one (format 1 of older
 * versions) its inode number and mtime. ENOENT without a marker. */
#define MM_IDENTITY_MAX 64
int mm_marker_identity(const char *root, char out[MM_IDENTITY_MAX]);
/* ENOENT when absent; EBADMSG (why says what) when damaged. */
int mm_read_marker(const char *root, int *partitions, char *why, size_t whysize);

int mm_write_manifest(const char *root, const struct mm_manifest *m);
/* ENOENT when absent; EBADMSG (why says what) when damaged. m->entries is
 * malloc'd on success: free with mm_manifest_free(). */
int mm_read_manifest(const char *root, struct mm_manifest *m, char *why, size_t whysize);
void mm_manifest_free(struct mm_manifest *m);

/* What an interrupted operation of this library leaves, by name:
 * DST.metall-mpi-tmp-HEX16 (an MPI snapshot or copy), DST.metall-tmp-PID-HEX8
 * (a core snapshot or copy, e.g. ROOT/subdir-3.metall-tmp-...), and
 * .NAME.tmp-PID-HEX8 (a marker, manifest or placement file, or a checkpoint
 * chain root's global manifest, being written; also the chain manifest's
 * older fixed temporary metall_mpi_chain.tmp). */
enum mm_leftover {
    MM_LEFTOVER_NONE,
    MM_LEFTOVER_MPI_TMP,
    MM_LEFTOVER_CORE_TMP,
    MM_LEFTOVER_FILE_TMP,
};
enum mm_leftover mm_leftover_kind(const char *name);

/* What an entry of an MPI root is: what remove deletes, and what it
 * leaves (OTHER: the user's). */
enum mm_root_entry {
    MM_ENTRY_OTHER,
    MM_ENTRY_ROOT_FILE, /* marker, manifest */
    MM_ENTRY_SUBDIR,    /* subdir-N */
    MM_ENTRY_PLACEMENT, /* placement-N */
    MM_ENTRY_LEFTOVER,  /* subdir-N.metall-tmp-..., .NAME.tmp-... */
};
enum mm_root_entry mm_root_entry_kind(const char *name);
/* Whether root is non-empty and holds only entries of an MPI root (a root
 * whose marker an interrupted remove already deleted). */
int mm_root_is_ours(const char *root, bool *ours);

/* mkdir -p; EEXIST is not an error. */
int mm_mkdir_p(const char *path);
/* rm -r without following symlinks; ENOENT when absent. */
int mm_remove_tree(const char *path);
/* Bytes of disk used by a tree (st_blocks * 512). */
int mm_disk_usage(const char *path, uint64_t *bytes);
/* Remove a file; ENOENT is not an error. */
int mm_unlink(const char *path);
/* Whether path is a directory (errno value otherwise: ENOENT, ENOTDIR). */
int mm_is_dir(const char *path);

#endif
