/**
 * @file metall.h
 * @brief metall-c: a persistent memory allocator for C.
 *
 * A program allocates through a ::metall_manager as through malloc, but the
 * heap lives in a *datastore*: a directory of memory-mapped files. Closing
 * the manager persists the heap; opening it again in a later run reattaches
 * it (at a possibly different address) without reading the data.
 *
 * Error rule (for every function in this header):
 *  - functions returning a pointer return NULL on failure, functions
 *    returning bool return false, functions returning int return -1;
 *  - on failure `errno` is set and metall_errmsg() returns a human-readable,
 *    thread-local message naming the path and the cause;
 *  - no function prints on success, aborts or exits the process.
 *
 * errno values used throughout:
 *  - EINVAL: NULL or invalid argument; a directory that is not a datastore;
 *  - ENOENT: the path or the named object does not exist;
 *  - EEXIST: the path or the name already exists;
 *  - EBUSY: the datastore is open for writing by another manager (of any
 *    process), or is open at all when exclusive access is needed;
 *  - ENOTRECOVERABLE: the datastore was not closed properly (a crash while
 *    it was open); restore it from a snapshot;
 *  - EBADMSG: a management file is damaged (bad checksum, truncated, or
 *    inconsistent contents);
 *  - ENOTSUP: the datastore's format version is not supported, or a NUMA
 *    policy was requested without hwloc support;
 *  - EROFS: a modifying call on a manager opened read-only;
 *  - ENOMEM: the reserved address space (capacity) or process memory is
 *    exhausted;
 *  - ENOSPC: the file system is full;
 *  - EPERM: the manager was opened by another process: a child made by
 *    fork() must not use its parent's managers (see below);
 *  - any errno of the underlying system calls (EACCES, EIO, ...).
 *
 * Threads: every call is safe from many threads on one manager, except
 * that metall_close() must not race with other calls on the same manager.
 *
 * fork(): a manager belongs to the process that opened it. In a child,
 * every call on the parent's managers fails with EPERM (metall_free() is
 * ignored), and metall_close() releases only the child's copy of the
 * mapping and returns false with EPERM, leaving the datastore to the
 * parent; a child never keeps its parent's datastores locked. The child
 * may create and open datastores of its own (the library's locks are
 * held across fork(), so it never inherits one held), including its
 * parent's once the parent has closed it.
 *
 * Signals: no function of this library is async-signal-safe. They take
 * locks, allocate memory and make system calls that a signal may have
 * interrupted in the same thread: called from a signal handler, any of
 * them may deadlock or corrupt the heap or the datastore (metall_free()
 * and metall_malloc() included). A handler for SIGINT or SIGTERM must not
 * call metall_close(); let it set a flag (volatile sig_atomic_t) and close
 * from the program's own code. Storing into objects from a handler is
 * plain memory access and as safe as it is for any memory.
 */
#ifndef METALL_METALL_H
#define METALL_METALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Library major version (compile time). See also metall_version(). */
#define METALLC_VERSION_MAJOR 0
/** Library minor version (compile time). */
#define METALLC_VERSION_MINOR 1
/** Library patch version (compile time). */
#define METALLC_VERSION_PATCH 0

/** Longest name (in bytes, without the terminating NUL) of a named or
 *  unique object (C++ unique objects are named by their mangled type
 *  name, which can be long). */
#define METALL_NAME_MAX 4095

/** The size of a chunk, the unit in which the heap grows (2 MiB). */
#define METALLC_CHUNK_SIZE ((size_t)1 << 21)

/** Largest description (bytes) of a datastore or a named object. */
#define METALL_DESCRIPTION_MAX 65536

/** An open datastore. Opaque; obtained from metall_create() or metall_open(). */
typedef struct metall_manager metall_manager;

/** Where the pages of the heap are placed (needs hwloc, except NONE). */
typedef enum {
    METALL_NUMA_NONE,       /**< no placement: the kernel's default policy */
    METALL_NUMA_LOCAL,      /**< the NUMA node(s) of the calling thread's cpuset */
    METALL_NUMA_INTERLEAVE, /**< interleaved over the nodes of the cpuset's package */
    METALL_NUMA_NODE        /**< the node given in metall_options::numa_node */
} metall_numa_policy;

/** Options of metall_create_ex(). Zero-initialised means defaults; may grow. */
typedef struct metall_options {
    /** Bytes of address space to reserve for the heap; 0 = default (4 TiB,
     *  less when the process cannot reserve that much). The heap cannot grow
     *  beyond it: allocation then fails with ENOMEM. */
    size_t capacity;
    /** Replace an existing *datastore* at the path (never a directory that
     *  is not a datastore: that fails with EINVAL). */
    bool overwrite;
    /** Placement of the heap's pages. */
    metall_numa_policy numa;
    /** The node for METALL_NUMA_NODE (hwloc logical index of the NUMA node). */
    int numa_node;
} metall_options;

/** Statistics of an open datastore. May grow. */
typedef struct metall_stats {
    size_t allocated_bytes; /**< bytes in allocated objects (slot/run sizes) */
    size_t segment_bytes;   /**< bytes of the mapped segment (grown in blocks) */
    size_t file_bytes;      /**< bytes the datastore occupies on disk */
    size_t named_objects;   /**< number of named objects */
    size_t capacity;        /**< bytes of address space reserved for the heap */
} metall_stats;

/* ------------------------------------------------------------------------ */
/** @name Datastore life cycle */
/** @{ */

/**
 * Create a new datastore at @p path and open it for writing.
 * @return the manager, or NULL with errno: EEXIST (path exists), EINVAL,
 *         EACCES, ENOSPC, ENOMEM (address space).
 */
metall_manager *metall_create(const char *path);

/**
 * Create a datastore with options (capacity, overwrite, NUMA placement).
 * @param path the directory to create.
 * @param opt may be NULL (defaults).
 * @return the manager, or NULL with errno as metall_create(); with
 *         @c overwrite, EINVAL if @p path is not a datastore and EBUSY if it
 *         is open; ENOTSUP for a NUMA policy without hwloc.
 */
metall_manager *metall_create_ex(const char *path, const metall_options *opt);

/**
 * Open an existing datastore for reading and writing. The heap is mapped
 * at an address of the system's choice (it may differ from the last run).
 * While open, the datastore is marked as not closed properly.
 * @return the manager, or NULL with errno: ENOENT, EINVAL (not a datastore),
 *         ENOTRECOVERABLE (not closed properly), EBADMSG (damaged
 *         management file), ENOTSUP (format version), EBUSY (open
 *         elsewhere, for writing or reading), EACCES, ENOMEM.
 */
metall_manager *metall_open(const char *path);

/**
 * Open an existing datastore read-only. The heap is mapped PROT_READ: a
 * store into it faults (SIGSEGV). Allocation and named-object changes fail
 * with EROFS. Many read-only managers (of any processes) may be open at
 * once; while one is, opening for writing, create with overwrite and
 * metall_remove() fail with EBUSY, on every datastore (snapshots and
 * copies included), so what a reader has mapped never changes under it.
 * @return the manager, or NULL with errno as metall_open() (EBUSY: open
 *         for writing elsewhere).
 */
metall_manager *metall_open_read_only(const char *path);

/**
 * Persist the heap and the management data, mark the datastore as closed
 * properly and release the manager. @p m is freed even when this fails.
 *
 * When close returns, the datastore is durable, closed and unlocked, but
 * the address range of a large heap (over 64 MiB used) is released
 * asynchronously: a background thread unmaps it, since tearing down the
 * page tables of a heap costs time in proportion to its resident memory.
 * Pointers into the heap are invalid after close, as always: a store
 * through one before the unmapping is done would land in the closed
 * datastore's page cache and possibly on disk, unnoticed (use after close
 * is undefined behaviour). metall_remove() waits for the unmapping (the
 * files' disk blocks are freed only with their last mapping), and so does
 * a heap reservation that fails for lack of address space before it
 * retries. METALLC_UNMAP_SYNC=1 makes close unmap before it returns.
 * @return true on success; false with errno (EIO, ENOSPC, ...): the
 *         datastore then stays marked as not closed properly.
 */
bool metall_close(metall_manager *m);

/**
 * Write the heap's dirty pages and the management data to disk, leaving
 * the manager open. The heap's block files are synced with fsync(2): they
 * are mapped MAP_SHARED, so their dirty pages are the files' own page
 * cache, and fsync writes them and the files' metadata (what msync(2)
 * with MS_SYNC would do for the mapped range, and more). Not a restore
 * point: a datastore that crashes after a flush still does not open
 * (RELIABILITY.md); take a snapshot for that.
 * @return true on success, false with errno (EROFS, EIO, ENOSPC).
 */
bool metall_flush(metall_manager *m);

/**
 * Take a snapshot of the open datastore into the new directory @p dst: a
 * consistent, closed datastore with a new uuid. Files are cloned (FICLONE
 * reflink) where the file system can, otherwise copied sparsely (holes
 * kept), and every chunk in use gets its disk blocks (no SIGBUS when the
 * snapshot is opened on a full disk). A reflink snapshot shares its blocks
 * with the datastore, and rewriting them later (in either) needs that much
 * free space: without it, the snapshot fails with ENOSPC, unless the
 * environment sets METALLC_SNAPSHOT_OVERCOMMIT=1 (see RELIABILITY.md).
 * The snapshot is written under a temporary name and renamed into
 * place when complete, so a failed snapshot leaves nothing at @p dst.
 * @return true on success, false with errno: EEXIST (dst exists), ENOSPC,
 *         EXDEV, EACCES, EROFS (read-only manager).
 */
bool metall_snapshot(metall_manager *m, const char *dst);

/**
 * Copy the closed datastore @p src to the new directory @p dst (same uuid).
 * Cloned where possible, else copied sparsely; all-or-nothing like
 * metall_snapshot().
 * @return true on success, false with errno: ENOENT, EINVAL (not a
 *         datastore), ENOTRECOVERABLE, EBUSY (open for writing), EEXIST.
 */
bool metall_copy(const char *src, const char *dst);

/**
 * Delete the datastore at @p path. Safe to interrupt: a removal that is
 * killed leaves either @p path, marked as partly removed (it never opens
 * again; metall_remove() and create with overwrite finish the removal),
 * or nothing at @p path and a temporary directory beside it
 * (PATH.metall-tmp-*, which metall_remove() deletes). Also deletes such a
 * temporary directory when it is empty.
 * @return true on success; false with errno: ENOENT, EINVAL (not a
 *         datastore: nothing is deleted), EBUSY (open, for reading or
 *         writing).
 */
bool metall_remove(const char *path);

/**
 * Tell whether the datastore at @p path was closed properly and is not
 * open for writing now (so metall_open() would not fail with
 * ENOTRECOVERABLE or EBUSY).
 * @return true if so; false otherwise (errno says why: ENOENT, EINVAL,
 *         ENOTRECOVERABLE, EBUSY, EBADMSG).
 */
bool metall_consistent(const char *path);

/** @} */
/* ------------------------------------------------------------------------ */
/** @name Checkpoint and restart */
/** @{ */

/** Options of metall_checkpoint(). NULL or zero-initialised = defaults. */
typedef struct metall_checkpoint_options {
    /** Complete checkpoints kept restorable in the chain; 0 = 2. Older
     *  deltas are merged into the chain's base in the background. */
    unsigned keep;
    /** Return once the consistent cut is taken (the changed pieces are
     *  staged in memory); write them to the chain in the background. The
     *  first checkpoint of a chain is always written before returning. */
    bool async;
} metall_checkpoint_options;

/**
 * Append a checkpoint of the open datastore to the chain directory
 * @p chain_dir (created when absent; an existing one must be empty or a
 * chain of this datastore). The first checkpoint stores the whole heap;
 * each later one only the pieces (4 KiB) whose content differs from the
 * newest checkpoint in the chain, found by hashing the heap, plus the
 * management data. A checkpoint is complete only when its manifest, its
 * last file, is written: an interrupted or failed one is never taken for
 * complete, and never damages a complete one. Like metall_snapshot(), it
 * is a consistent cut of the allocator; objects other threads write during
 * the call may be caught half-updated. A pending asynchronous checkpoint
 * is waited for first.
 * @return true when the checkpoint is complete (or, with @c async, its cut
 *         is taken: see metall_checkpoint_wait()); false with errno:
 *         EINVAL (not a chain of this datastore), EBUSY (another manager
 *         or process is writing or merging the chain), ENOSPC, EIO, ENOMEM.
 */
bool metall_checkpoint(metall_manager *m, const char *chain_dir,
                       const metall_checkpoint_options *opt);

/**
 * Wait for @p m's background checkpoint work (an asynchronous checkpoint,
 * or the retention merge after any checkpoint) to end. metall_close() and
 * the next metall_checkpoint() wait for it too.
 * @return true if none is pending or it succeeded; false with the errno
 *         and message of its failure (reported once).
 */
bool metall_checkpoint_wait(metall_manager *m);

/**
 * The id of the newest complete, restorable checkpoint in @p chain_dir.
 * @return the id (>= 1), or -1 with errno: ENOENT (none), EINVAL (not a
 *         chain), EBADMSG (damaged).
 */
int64_t metall_checkpoint_latest(const char *chain_dir);

/**
 * Restore checkpoint @p id (-1: the newest) of the chain @p chain_dir as
 * the new datastore @p dst: exactly the heap and management data of that
 * checkpoint (the original datastore's uuid), closed and ready to open.
 * Each piece is written once (the newest version of it); every piece read
 * from a delta is checked against its hash. All-or-nothing: built under a
 * temporary name and renamed into place.
 * @return true on success; false with errno: ENOENT (no such complete
 *         checkpoint, or it was merged away), EEXIST (dst exists),
 *         EBADMSG (the chain is damaged), ENOSPC.
 */
bool metall_restore(const char *chain_dir, int64_t id, const char *dst);

/** @} */
/* ------------------------------------------------------------------------ */
/** @name Allocation */
/** @{ */

/**
 * Allocate @p size bytes in the datastore's heap, aligned to 16 bytes
 * (8 for sizes up to 8). metall_malloc(m, 0) returns a unique pointer.
 * @return the pointer, or NULL with errno: ENOMEM (capacity exhausted),
 *         ENOSPC (file system full), EROFS, EINVAL (m is NULL).
 */
void *metall_malloc(metall_manager *m, size_t size);

/**
 * Free an object allocated from @p m. NULL is ignored, and so is a pointer
 * outside the heap or into a part of the heap that holds no object (a
 * chunk never used or freed, the inside of a large object). Freeing an
 * object twice, or a pointer into the middle of a small object, is
 * undefined behaviour, as with free(): the per-thread cache takes such a
 * pointer without checking (a check would cost the fast path 7 to 9 of its
 * 45 instructions), and later allocations may then overlap.
 * Chunks that become empty are returned to the file system.
 */
void metall_free(metall_manager *m, void *ptr);

/**
 * Allocate zeroed memory for @p n objects of @p size bytes.
 * @return the pointer, or NULL with errno (ENOMEM also on overflow of n*size).
 */
void *metall_calloc(metall_manager *m, size_t n, size_t size);

/**
 * Resize an object, keeping its contents up to the smaller size. Grows
 * large objects in place when the following chunks are free.
 * @p ptr NULL acts as metall_malloc(); @p size 0 frees and returns NULL.
 * @return the new pointer, or NULL with errno (the old object is then
 *         untouched).
 */
void *metall_realloc(metall_manager *m, void *ptr, size_t size);

/**
 * Allocate @p size bytes aligned to @p alignment (a power of two).
 * @return the pointer, or NULL with errno: EINVAL (alignment not a power of
 *         two), ENOMEM, ENOSPC, EROFS.
 */
void *metall_aligned_alloc(metall_manager *m, size_t alignment, size_t size);

/**
 * The usable size of an allocated object (at least the requested size).
 * @return the size; 0 for NULL and for a pointer that is not the start of
 *         an object's slot or run (outside the heap, into an unused chunk,
 *         into the middle of an object).
 */
size_t metall_usable_size(metall_manager *m, const void *ptr);

/** @} */
/* ------------------------------------------------------------------------ */
/** @name Named objects */
/** @{ */

/**
 * Allocate @p size bytes and register them under @p name, so that a later
 * run finds them with metall_find().
 * @return the pointer, or NULL with errno: EEXIST (name taken), EINVAL
 *         (name NULL, empty or longer than METALL_NAME_MAX), ENOMEM,
 *         ENOSPC, EROFS.
 */
void *metall_named_malloc(metall_manager *m, const char *name, size_t size);

/**
 * Find the object registered under @p name.
 * @return the pointer, or NULL with errno ENOENT (or EINVAL).
 */
void *metall_find(metall_manager *m, const char *name);

/**
 * Find the object registered under @p name and its length (the size given
 * to metall_named_malloc()).
 * @param m the manager.
 * @param name the object's name.
 * @param length may be NULL.
 * @return the pointer, or NULL with errno ENOENT (or EINVAL).
 */
void *metall_named_find(metall_manager *m, const char *name, size_t *length);

/**
 * Find the object registered under @p name, or allocate and register it.
 * Atomic across threads: exactly one caller creates it. On a read-only
 * manager it only finds (EROFS if the name does not exist).
 * @param m the manager.
 * @param name the object's name.
 * @param size bytes to allocate when the object does not exist.
 * @param created may be NULL; set to whether this call created the object.
 * @return the pointer, or NULL with errno as metall_named_malloc().
 */
void *metall_named_find_or_malloc(metall_manager *m, const char *name,
                                  size_t size, bool *created);

/**
 * Unregister @p name and free its object.
 * @return true on success; false with errno ENOENT, EINVAL, EROFS.
 */
bool metall_named_free(metall_manager *m, const char *name);

/** The number of named objects; 0 (with errno EINVAL) if @p m is NULL. */
size_t metall_named_count(metall_manager *m);

/**
 * Call @p fn for every named object (in no particular order) until it
 * returns non-zero. @p fn must not create or free named objects of @p m.
 * @return the first non-zero value returned by @p fn, 0 after visiting all,
 *         or -1 with errno EINVAL.
 */
int metall_named_foreach(metall_manager *m,
                         int (*fn)(const char *name, void *ptr, size_t length,
                                   void *ctx),
                         void *ctx);

/**
 * Attach a description (text up to METALL_DESCRIPTION_MAX bytes) to a named
 * object; persisted with the datastore.
 * @return true on success; false with errno ENOENT, EINVAL, EROFS.
 */
bool metall_named_set_description(metall_manager *m, const char *name,
                                  const char *text);

/**
 * Copy the description of a named object into @p buf (NUL-terminated,
 * truncated to @p bufsize - 1 bytes). An object without one gives "".
 * @return true on success; false with errno ENOENT, EINVAL.
 */
bool metall_named_get_description(metall_manager *m, const char *name,
                                  char *buf, size_t bufsize);

/** @} */
/* ------------------------------------------------------------------------ */
/** @name Objects of every kind (named, unique, anonymous)
 *
 * The object directory behind the named-object functions above also holds
 * the other kinds of LLNL Metall's C++ API: *unique* objects (one per C++
 * type, named by the type's name) and *anonymous* objects (no name, found
 * by their address). Every entry records its length in bytes, its number
 * of elements (an array's length) and a type identity (0 = untyped), and
 * may carry a description. The named-object functions above see named
 * objects only; the C++ layer (metall.hpp) is built on the functions
 * below. Names are 1..METALL_NAME_MAX bytes; named and unique objects have
 * separate name spaces.
 */
/** @{ */

/** The kind of a registered object (the values of Metall's instance_kind). */
typedef enum metall_object_kind {
    METALL_OBJECT_ANONYMOUS = 0, /**< no name; found by its address */
    METALL_OBJECT_NAMED = 1,     /**< found by its name */
    METALL_OBJECT_UNIQUE = 2     /**< one per type, named by its type name */
} metall_object_kind;

/** What the directory knows about one object. */
typedef struct metall_object_info {
    metall_object_kind kind;   /**< its kind */
    /** Its name ("" for anonymous objects). Points into the directory: valid
     *  until the object is unregistered or freed or the manager closed
     *  (in a callback: during the call); NULL after an unregister. */
    const char *name;
    void *ptr;                 /**< its address (NULL when read from a closed datastore) */
    uint64_t offset;           /**< its offset from the heap base */
    size_t length;             /**< bytes */
    size_t count;              /**< elements (objects made by metall_named_malloc(): = length) */
    uint64_t type_id;          /**< the creator's type identity; 0 = untyped */
    size_t description_length; /**< bytes of its description (0: none) */
    /** Its description ("" if none); valid as @c name, and until the
     *  description is changed. */
    const char *description;
} metall_object_info;

/**
 * Allocate @p size bytes aligned to @p align and register them as an object
 * of @p kind.
 * @param m the manager.
 * @param kind the object's kind.
 * @param name its name (named, unique); must be NULL for anonymous objects.
 * @param size bytes to allocate.
 * @param align alignment, a power of two; 0 means the default (16).
 * @param count the number of elements, recorded for the C++ layer.
 * @param type_id a type identity (C++: typeid(T).hash_code()); 0 = untyped.
 * @return the object, or NULL with errno: EEXIST (the name is taken),
 *         EINVAL (bad name or alignment), ENOMEM, ENOSPC, EROFS.
 */
void *metall_object_alloc(metall_manager *m, metall_object_kind kind, const char *name,
                          size_t size, size_t align, size_t count, uint64_t type_id);

/**
 * Find a named or unique object.
 * @param m the manager.
 * @param kind METALL_OBJECT_NAMED or METALL_OBJECT_UNIQUE.
 * @param name its name.
 * @param info filled when found; may be NULL.
 * @return the object, or NULL with errno ENOENT (or EINVAL).
 */
void *metall_object_find(metall_manager *m, metall_object_kind kind, const char *name,
                         metall_object_info *info);

/**
 * Describe the object that starts at @p ptr.
 * @param m the manager.
 * @param ptr the object's address.
 * @param info filled on success.
 * @return true; false with errno ENOENT if @p ptr is not a registered
 *         object (or EINVAL).
 */
bool metall_object_info_of(metall_manager *m, const void *ptr, metall_object_info *info);

/**
 * Remove a named or unique object from the directory without freeing its
 * memory (the C++ layer runs the destructors, then metall_free()s it).
 * @param m the manager.
 * @param kind METALL_OBJECT_NAMED or METALL_OBJECT_UNIQUE.
 * @param name its name.
 * @param info filled on success (its name NULL); may be NULL.
 * @return the object's address, or NULL with errno ENOENT, EINVAL, EROFS.
 */
void *metall_object_unregister(metall_manager *m, metall_object_kind kind, const char *name,
                               metall_object_info *info);

/**
 * Remove the object at @p ptr (of any kind) from the directory without
 * freeing its memory.
 * @param m the manager.
 * @param ptr the object's address.
 * @param info filled on success (its name NULL); may be NULL.
 * @return true; false with errno ENOENT (not an object), EINVAL, EROFS.
 */
bool metall_object_unregister_ptr(metall_manager *m, const void *ptr, metall_object_info *info);

/** The number of objects of @p kind; 0 (errno EINVAL) if @p m is NULL. */
size_t metall_object_count(metall_manager *m, metall_object_kind kind);

/**
 * Call @p fn for every object of @p kind (in no particular order) until it
 * returns non-zero. @p fn must not create or unregister objects of @p m.
 * @param m the manager.
 * @param kind the kind to visit.
 * @param fn called with the object's description and @p ctx.
 * @param ctx passed to @p fn.
 * @return the first non-zero value of @p fn, 0 after visiting all, or -1
 *         with errno EINVAL.
 */
int metall_object_foreach(metall_manager *m, metall_object_kind kind,
                          int (*fn)(const metall_object_info *info, void *ctx), void *ctx);

/**
 * Attach a description (up to METALL_DESCRIPTION_MAX bytes) to the object
 * at @p ptr; persisted with the datastore.
 * @return true; false with errno ENOENT, EINVAL, EROFS.
 */
bool metall_object_set_description(metall_manager *m, const void *ptr, const char *text);

/**
 * Copy the description of the object at @p ptr into @p buf (NUL-terminated,
 * truncated to @p bufsize - 1 bytes; "" if it has none).
 * @return true; false with errno ENOENT, EINVAL.
 */
bool metall_object_get_description(metall_manager *m, const void *ptr, char *buf,
                                   size_t bufsize);

/**
 * Visit the objects of @p kind of the datastore at @p path without opening
 * it (its object directory as of its last flush or close; info->ptr is
 * NULL, info->offset valid).
 * @param path the datastore.
 * @param kind the kind to visit.
 * @param fn called for each object, with @p ctx.
 * @param ctx passed to @p fn.
 * @return as metall_object_foreach(); -1 with errno ENOENT, EINVAL (not a
 *         datastore), EBADMSG, ENOTSUP.
 */
int metall_object_foreach_at(const char *path, metall_object_kind kind,
                             int (*fn)(const metall_object_info *info, void *ctx), void *ctx);

/**
 * Set the description of one object of the closed datastore at @p path
 * (rewrites its object directory file).
 * @param path the datastore; it must not be open for writing.
 * @param kind the object's kind.
 * @param name its name (named, unique objects); ignored for anonymous ones.
 * @param offset its offset (anonymous objects); ignored otherwise.
 * @param text the description.
 * @return true; false with errno ENOENT (no such object or datastore),
 *         EBUSY (open for writing), ENOTRECOVERABLE (not closed
 *         properly), EINVAL, EBADMSG, EACCES.
 */
bool metall_object_set_description_at(const char *path, metall_object_kind kind,
                                      const char *name, uint64_t offset, const char *text);

/** @} */
/* ------------------------------------------------------------------------ */
/** @name Datastore properties */
/** @{ */

/**
 * Set the datastore's description (text up to METALL_DESCRIPTION_MAX bytes);
 * written to disk at once.
 * @return true on success; false with errno EINVAL, EROFS, EIO, ENOSPC.
 */
bool metall_set_description(metall_manager *m, const char *text);

/**
 * Read the description of the datastore at @p path without opening it
 * (NUL-terminated, truncated to @p bufsize - 1 bytes; "" if none was set).
 * @return true on success; false with errno ENOENT, EINVAL.
 */
bool metall_get_description(const char *path, char *buf, size_t bufsize);

/**
 * Set the description of the datastore at @p path without opening it.
 * @return true on success; false with errno ENOENT, EINVAL (not a
 *         datastore), EBUSY (open for writing), EIO, ENOSPC.
 */
bool metall_set_description_at(const char *path, const char *text);

/**
 * The version ("MAJOR.MINOR.PATCH") of the library that created the
 * datastore at @p path, NUL-terminated into @p buf (truncated to
 * @p bufsize - 1 bytes).
 * @return true on success; false with errno ENOENT, EINVAL, EBADMSG.
 */
bool metall_get_creator_version(const char *path, char *buf, size_t bufsize);

/**
 * Read the uuid of the datastore at @p path (36 characters + NUL).
 * @return true on success; false with errno ENOENT, EINVAL, EBADMSG.
 */
bool metall_get_uuid(const char *path, char out[37]);

/** Whether @p m was opened with metall_open_read_only(). */
bool metall_is_read_only(const metall_manager *m);

/** The library version, "MAJOR.MINOR.PATCH". */
const char *metall_version(void);

/**
 * The message for the last failure of a metall function in this thread
 * (naming the path and the cause); "" if there was none.
 */
const char *metall_errmsg(void);

/**
 * Fill @p out with statistics of @p m.
 * @return true on success; false with errno EINVAL.
 */
bool metall_get_stats(metall_manager *m, metall_stats *out);

/**
 * Count the resident heap pages on each NUMA node.
 * @param m the manager.
 * @param pages_per_node array of @p max_nodes counters (filled; may be NULL
 *        when @p max_nodes is 0 to ask for the node count).
 * @param max_nodes the length of @p pages_per_node.
 * @return the number of NUMA nodes of the machine, or -1 with errno.
 */
int metall_numa_pages(metall_manager *m, size_t *pages_per_node, int max_nodes);

/** @} */
/* ------------------------------------------------------------------------ */
/** @name Position-independent pointers
 *
 * The heap may be mapped at another address in the next run, so pointers
 * stored inside it must be offsets (from the heap's base) or self-relative
 * (metall_rptr). Offset 0 is never a valid object, so it stands for NULL.
 */
/** @{ */

/** @cond INTERNAL */
/* The first member of every metall_manager; not part of the API. */
struct metall_manager_head_ {
    char *base_;
};
/** @endcond */

/**
 * The offset of @p ptr (which must point into @p m's heap) from the heap's
 * base; 0 for NULL.
 */
static inline uint64_t metall_offset_of(const metall_manager *m, const void *ptr)
{
    return ptr ? (uint64_t)((const char *)ptr -
                            ((const struct metall_manager_head_ *)(const void *)m)->base_)
               : 0;
}

/** The pointer at @p offset in @p m's heap; NULL for offset 0. */
static inline void *metall_ptr_at(const metall_manager *m, uint64_t offset)
{
    return offset ? ((const struct metall_manager_head_ *)(const void *)m)->base_ + offset
                  : NULL;
}

/**
 * A self-relative pointer, stored inside the heap (like Boost's offset_ptr).
 * Zero-initialised it is NULL. It can point anywhere, itself included.
 */
typedef struct metall_rptr {
    int64_t off; /**< 0: NULL; >0: target is off-1 bytes after this rptr; <0: off bytes before */
} metall_rptr;

/** The target of @p p (NULL if it is NULL). */
static inline void *metall_rptr_get(const metall_rptr *p)
{
    int64_t o = p->off;
    return o == 0 ? NULL : (void *)((char *)(uintptr_t)p + o - (o > 0));
}

/** Make @p p point to @p target (NULL allowed). */
static inline void metall_rptr_set(metall_rptr *p, const void *target)
{
    if (!target) {
        p->off = 0;
    } else {
        int64_t d = (int64_t)((const char *)target - (const char *)p);
        p->off = d >= 0 ? d + 1 : d;
    }
}

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* METALL_METALL_H */
