/*
 * os.h - the operating-system primitives metall-c uses, and nothing else
 * calls the kernel directly (except mmap'd memory access itself).
 *
 * Contract of every function here: returns 0 on success or a positive errno
 * value on failure; it never sets the thread's error message (callers do,
 * since only they know which datastore and file the failure concerns).
 * Addresses and lengths passed to mapping functions are page aligned.
 */
#ifndef METALLC_OS_H
#define METALLC_OS_H

#include "fsutil.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reserve len bytes of address space (PROT_NONE, MAP_NORESERVE), aligned to
 * align (a power of two >= page size). */
int os_reserve(size_t len, size_t align, void **out);
/* Give back a reservation or mapping. */
int os_release(void *addr, size_t len);
/* Map [off, off+len) of fd at addr (inside a reservation), MAP_SHARED|MAP_FIXED. */
int os_map_file(void *addr, size_t len, int fd, off_t off, bool writable);
/* Read-ahead on faults in [addr, addr+len) on (MADV_NORMAL) or off
 * (MADV_RANDOM: a first touch maps one page, not a large folio of the file
 * zeroed around it). */
int os_readahead(void *addr, size_t len, bool on);

/* Reserve disk blocks for [off, off+len) of fd (no size change).
 * EOPNOTSUPP when the file system cannot. */
int os_fallocate(int fd, off_t off, off_t len);
/* Return the blocks of [off, off+len) to the file system; mapped pages of
 * the range read as zero afterwards. */
int os_punch_hole(int fd, off_t off, off_t len);
/* Fault in [addr, addr+len) for writing (MADV_POPULATE_WRITE); EINVAL when
 * the kernel lacks it. */
int os_populate_write(void *addr, size_t len);

int os_fsync(int fd);
/* fsync a directory (fsutil.h: shared with the MPI layer and the tools). */
static inline int os_fsync_dir(const char *path) { return fs_fsync_dir(path); }
int os_fsync_parent(const char *path);

/* flock: LOCK_EX or LOCK_SH, never blocking; EBUSY when held elsewhere. */
int os_lock(int fd, bool exclusive);

/* Open a regular file inside a datastore without ever blocking or
 * following a last-component symlink: a FIFO, device, socket or directory
 * gives EINVAL (it is not opened at all unless it appears between the
 * check and the open), a symlink ELOOP. flags: O_RDONLY/O_RDWR/O_WRONLY
 * plus O_CREAT/O_EXCL/O_TRUNC; O_CLOEXEC is added. *fd on success. */
int os_open_regular(const char *path, int flags, int mode, int *fd);

/* Read a whole regular file (at most max bytes, else EFBIG) into a malloc'd
 * buffer. EINVAL for anything but a regular file (os_open_regular). */
int os_read_file(const char *path, size_t max, void **buf, size_t *len);
/* Write a file atomically: fsutil.h's fs_write_atomic() (a temporary name
 * unique to the writer, space reserved first, fsync, rename, fsync of the
 * directory), shared with the MPI layer. */
static inline int os_write_file_atomic(const char *path, const void *buf, size_t len)
{
    return fs_write_atomic(path, buf, len, 0);
}

/* Copy file src to new file dst (mode 0644): FICLONE reflink when possible,
 * else a sparse copy that keeps holes; fsyncs dst. *cloned tells which. */
int os_copy_file(const char *src, const char *dst, bool *cloned);

/* mkdir -p, rm -r, du: fsutil.h's, shared with the MPI layer and the
 * tools (one copy of each). */
static inline int os_mkdir_p(const char *path) { return fs_mkdir_p(path); }
static inline int os_remove_tree(const char *path) { return fs_remove_tree(path); }
static inline int os_disk_usage(const char *path, uint64_t *bytes)
{
    return fs_disk_usage(path, bytes);
}

/* Fill buf with random bytes (getrandom). */
int os_random(void *buf, size_t len);

/* The page size (cached). */
size_t os_page_size(void);

#endif
