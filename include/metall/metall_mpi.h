/**
 * @file metall_mpi.h
 * @brief metall-c MPI layer: one datastore per rank, collective life cycle.
 *
 * Every rank of a communicator keeps its part of the data in its own
 * datastore, `ROOT/subdir-RANK`, so that it can live on the node-local
 * device (NVMe, PMEM) of the rank. ROOT also holds a marker
 * (`metall_mpi`: magic, format version, partition count) and a manifest
 * (`metall_mpi_manifest`: partition count, per-rank uuid, bytes and host),
 * the manifest being written last: a ROOT without a valid manifest is not a
 * datastore (an interrupted create, snapshot or copy). At create, every
 * rank also records where it ran in `ROOT/placement-RANK` (host, cpuset,
 * NUMA nodes, NUMA policy, datastore path; see metall_mpi_placement()).
 *
 * ROOT may be on a shared file system or node-local: then each node's ROOT
 * holds the subdirectories of its own ranks and its own copy of the marker
 * and the manifest. ROOT may contain templates expanded per rank:
 *  - `%r` the rank in the communicator,
 *  - `%h` the host name,
 *  - `%n` the NUMA node the rank runs on: the hwloc logical index of the
 *    lowest NUMA node whose cpuset intersects the rank's CPU binding (a
 *    rank bound to one core or socket gets its node; an unbound rank or one
 *    bound across several nodes gets the lowest of them; 0 without hwloc),
 *  - `%%` a literal `%`.
 *
 * Error rule (for every function in this header): every function is
 * collective over its communicator (all ranks call it with the same
 * arguments, apart from templates) and returns the same result on every
 * rank. If any rank fails, all ranks get NULL / false / -1, `errno` is the
 * errno of the lowest failing rank on every rank, and metall_errmsg() names
 * the failing ranks, their hosts and causes, e.g.
 * "metall_mpi_open /nvme/graph: failed on 1 of 4 ranks: rank 2 (node7):
 * /nvme/graph/subdir-2 does not exist; expected the datastore of rank 2 of
 * 4 here". Ranks agree with MPI_Allreduce; nothing calls MPI_Abort or
 * exit, and no rank is left waiting for another.
 *
 * errno values (beyond those of metall.h): EINVAL (ROOT is not an MPI
 * datastore, a bad template, different arguments on different ranks),
 * EEXIST, ENOENT, EBADMSG (damaged marker or manifest), ENOTRECOVERABLE,
 * EPROTO (an MPI call failed), and ERANGE (opened with a communicator whose
 * size differs from the partition count).
 *
 * The communicator is duplicated internally: the library's messages never
 * mix with the application's.
 */
#ifndef METALL_METALL_MPI_H
#define METALL_METALL_MPI_H

#include <metall/metall.h>
#include <mpi.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Options of metall_mpi_create(). NULL or zero-initialised = defaults. */
typedef struct metall_mpi_options {
    /** Options of every rank's manager (capacity, numa, ...); its
     *  @c overwrite is ignored: use metall_mpi_options::overwrite. */
    metall_options local;
    /** Replace an existing MPI datastore of any rank count at ROOT (never a
     *  directory that is not one: that fails with EINVAL). */
    bool overwrite;
} metall_mpi_options;

/** An open MPI datastore (this rank's manager and the communicator). */
typedef struct metall_mpi metall_mpi;

/**
 * Create an MPI datastore at @p root with one partition per rank of
 * @p comm, and open it for writing. All-or-nothing: if any rank fails, the
 * ranks remove what they created. Every rank creates its datastore with
 * metall_create_ex() and `opt->local`, so a NUMA policy there applies to
 * each rank's heap, decided by that rank's own CPU binding (e.g.
 * METALL_NUMA_LOCAL under `mpirun --bind-to core`: each heap on the node
 * of its rank's core). Each rank records its placement report in
 * `ROOT/placement-RANK`.
 * @param root the root directory (templates `%r`, `%h`, `%n`, `%%`); its
 *        parent directories are created.
 * @param comm the communicator: one partition per rank.
 * @param opt may be NULL (defaults).
 * @return the handle on every rank, or NULL on every rank with errno:
 *         EEXIST (root holds an MPI datastore or a subdir-RANK already, and
 *         no overwrite), EINVAL (overwrite of something that is not an MPI
 *         datastore; bad template), EBUSY (overwrite of an open one), any
 *         errno of metall_create().
 */
metall_mpi *metall_mpi_create(const char *root, MPI_Comm comm, const metall_mpi_options *opt);

/**
 * Open the MPI datastore at @p root for writing. The partition count must
 * equal the size of @p comm, and every rank must see its own subdirectory.
 * @param root the root directory (templates as at create).
 * @param comm the communicator, of as many ranks as partitions.
 * @return the handle, or NULL on every rank with errno: ENOENT (no root, or
 *         a rank's subdirectory is missing on its node), EINVAL (not an MPI
 *         datastore, or incomplete: no manifest), ERANGE (partition count
 *         differs from the communicator size), EBADMSG (damaged marker or
 *         manifest; a subdirectory whose uuid differs from the manifest),
 *         and the errno of metall_open() (ENOTRECOVERABLE, EBUSY, ...).
 */
metall_mpi *metall_mpi_open(const char *root, MPI_Comm comm);

/**
 * Open the MPI datastore at @p root read-only (every rank's heap is mapped
 * PROT_READ). Errors as metall_mpi_open().
 * @param root the root directory (templates as at create).
 * @param comm the communicator, of as many ranks as partitions.
 * @return the handle, or NULL on every rank (errno as metall_mpi_open()).
 */
metall_mpi *metall_mpi_open_read_only(const char *root, MPI_Comm comm);

/**
 * This rank's manager (use it with every function of metall.h except
 * metall_close()). Not collective.
 * @param h the handle.
 * @return the manager; NULL if @p h is NULL.
 */
metall_manager *metall_mpi_local(metall_mpi *h);

/**
 * The path of this rank's datastore (templates expanded). Not collective.
 * @param h the handle.
 * @return the path, valid until metall_mpi_close(); NULL if @p h is NULL.
 */
const char *metall_mpi_local_path(const metall_mpi *h);

/**
 * This rank's placement as recorded when the datastore was created, one
 * line for people, e.g. "rank 3 on node7: cpuset 12-15, NUMA node(s) 1,
 * policy local, datastore /mnt/pmem1/ds/subdir-3": the host, the rank's CPU
 * binding then (hwloc's list of PU numbers; the whole machine for an
 * unbound rank), the NUMA nodes near it (hwloc logical indexes; the lowest
 * is what `%n` expanded to), the NUMA policy of metall_mpi_options::local,
 * and the path of the rank's datastore. Not collective.
 * @param h the handle.
 * @return the line, valid until metall_mpi_close(); NULL if @p h is NULL or
 *         no placement is recorded (a snapshot or a copy, which record
 *         none, or a datastore created by an older version).
 */
const char *metall_mpi_placement(const metall_mpi *h);

/**
 * Close every rank's manager (see metall_close()) and refresh the manifest
 * (sizes). @p h is freed on every rank even on failure.
 * @param h the handle (collective over its communicator).
 * @return true on every rank, or false on every rank if any close failed.
 */
bool metall_mpi_close(metall_mpi *h);

/**
 * Take a collective snapshot of the open datastore into the new MPI
 * datastore @p dst_root (e.g. node-local -> parallel file system): every
 * rank snapshots its datastore (reflink where the file systems allow,
 * sparse copy otherwise) under a temporary name, which is renamed to
 * @p dst_root only after every rank succeeded, and the manifest is
 * written last. A failed or interrupted snapshot leaves nothing that opens
 * or lists as valid; the source is untouched.
 * @param h the open handle (collective over its communicator).
 * @param dst_root the new root (templates as at create); must not exist.
 * @return true on every rank, or false on every rank with errno: EEXIST
 *         (dst exists), ENOSPC, EROFS (read-only handle), EACCES, ...
 */
bool metall_mpi_snapshot(metall_mpi *h, const char *dst_root);

/**
 * Copy the closed MPI datastore @p src_root to the new @p dst_root (e.g.
 * restore a snapshot from the parallel file system to node-local storage),
 * all-or-nothing like metall_mpi_snapshot(); uuids are kept. The partition
 * count of @p src_root must equal the size of @p comm.
 * @param src_root the closed MPI datastore (templates as at create).
 * @param dst_root the new root (templates as at create); must not exist.
 * @param comm the communicator, of as many ranks as partitions.
 * @return true on every rank, or false on every rank with errno as
 *         metall_mpi_open() and metall_copy().
 */
bool metall_mpi_copy(const char *src_root, const char *dst_root, MPI_Comm comm);

/**
 * Delete the MPI datastore at @p root: the manifest first (so a partial
 * removal never looks valid), then every rank's datastore, then the marker
 * and the directory (when empty). Also removes what an interrupted
 * operation of this library left there: the temporary root of an
 * interrupted snapshot or copy (`DST.metall-mpi-tmp-*`, passed as @p root)
 * with its partial subdirectories, and a root whose marker an interrupted
 * remove already deleted (so calling it again finishes the job). Files of
 * the user in @p root stay. `metall-leftovers DIR` finds such leftovers.
 * @param root the root directory (templates as at create).
 * @param comm the communicator.
 * @return true on every rank, or false on every rank with errno: ENOENT,
 *         EINVAL (not an MPI datastore: nothing is deleted), EBUSY (open).
 */
bool metall_mpi_remove(const char *root, MPI_Comm comm);

/**
 * Tell whether the MPI datastore at @p root would open with @p comm: valid
 * marker and manifest, partition count equal to the communicator size, and
 * every rank's datastore closed properly and not open.
 * @param root the root directory (templates as at create).
 * @param comm the communicator.
 * @return true on every rank, or false on every rank (errno and
 *         metall_errmsg() say which rank and why).
 */
bool metall_mpi_consistent(const char *root, MPI_Comm comm);

/**
 * The partition count of the MPI datastore at @p root (which may differ
 * from the size of @p comm).
 * @param root the root directory (templates as at create).
 * @param comm the communicator.
 * @return the count on every rank, or -1 on every rank if any rank does not
 *         see a valid MPI datastore at its (expanded) root.
 */
int metall_mpi_partitions(const char *root, MPI_Comm comm);

/**
 * A pending collective checkpoint (metall_mpi_checkpoint() with
 * `opt->async`), ended by metall_mpi_checkpoint_wait().
 */
typedef struct metall_mpi_request metall_mpi_request;

/**
 * Checkpoint every rank's datastore into the chain root @p chain_root
 * (templates as for roots; typically one directory on the parallel file
 * system): each rank appends to its own chain `CHAIN_ROOT/subdir-RANK` the
 * pieces of its heap that changed since the previous checkpoint (see
 * metall_checkpoint()); then one writer per chain root writes the global
 * manifest `CHAIN_ROOT/metall_mpi_chain` (rank count and the restorable
 * ids; its size does not grow with the rank count). A checkpoint is
 * complete only when that manifest lists it: a rank that fails or dies
 * mid-checkpoint leaves the previous one the newest. Retention
 * (`opt->keep`) runs on every rank after the manifest is written.
 * Collective.
 * @param h the open MPI datastore.
 * @param chain_root the chain root (templates `%r`, `%h`, `%n`, `%%`).
 * @param opt `keep` and `async` (see metall_checkpoint_options); NULL:
 *        defaults.
 * @param req NULL: return when the checkpoint is complete. Otherwise, with
 *        `opt->async` (on every rank), return after every rank's cut, with
 *        *req to pass to metall_mpi_checkpoint_wait(). A later
 *        metall_mpi_checkpoint() or metall_mpi_close() on @p h completes a
 *        pending one first (waits for every rank's part, then commits it);
 *        metall_mpi_checkpoint_wait() then reports how it went and frees
 *        *req (close returns false if it failed, after closing).
 * @return true on every rank, or false on every rank (errmsg names the
 *         failing ranks).
 */
bool metall_mpi_checkpoint(metall_mpi *h, const char *chain_root,
                           const metall_checkpoint_options *opt, metall_mpi_request **req);

/**
 * Wait for the asynchronous checkpoint @p req (from
 * metall_mpi_checkpoint()) on every rank, then commit it
 * (global manifest) and start retention; frees @p req. Collective. If a
 * later metall_mpi_checkpoint() or metall_mpi_close() completed it
 * already, only its outcome is returned (no communication; the handle may
 * be closed).
 * @return true if the checkpoint is complete on every rank.
 */
bool metall_mpi_checkpoint_wait(metall_mpi_request *req);

/**
 * Restore checkpoint @p id (-1: the newest complete one) of the chain root
 * @p chain_root as the new MPI datastore @p dst_root (e.g. node-local), one
 * rank's datastore per rank: each rank restores its own chain (see
 * metall_restore()); the marker and manifest of @p dst_root are written
 * last. The rank count must be the chain's. Collective; all-or-nothing.
 * @param chain_root the chain root, as given to metall_mpi_checkpoint().
 * @param id the checkpoint; -1: the newest complete one.
 * @param dst_root the new MPI datastore (templates as for roots).
 * @param comm the communicator: one rank per partition of the chain.
 * @return true on every rank, or false on every rank.
 */
bool metall_mpi_restore(const char *chain_root, int64_t id, const char *dst_root,
                        MPI_Comm comm);

#ifdef __cplusplus
}
#endif

#endif /* METALL_METALL_MPI_H */
