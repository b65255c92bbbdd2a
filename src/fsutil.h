/*
 * fsutil.h - file-system helpers shared by the core, the MPI layer and the
 * tools: one copy of each, in a private object library (metallc_fsutil)
 * that each shared library links in and its version script keeps hidden
 * (src/metallc.map, mpi/metallc_mpi.map). No state, no locks, no
 * metall_errmsg(): every function returns 0 or a positive errno value.
 */
#ifndef METALLC_FSUTIL_H
#define METALLC_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* out = dir/name; ENAMETOOLONG when it does not fit in size. */
int fs_join(char *out, size_t size, const char *dir, const char *name);
/* out = path made absolute (the working directory joined in front of a
 * relative one; nothing resolved): what a manager or handle keeps, so that
 * a later chdir() does not move its files. ENAMETOOLONG, or getcwd's errno. */
int fs_absolute(char *out, size_t size, const char *path);
/* mkdir -p (mode 0755); a component that exists is not an error. */
int fs_mkdir_p(const char *path);
/* rm -r without following symbolic links; ENOENT when path is absent,
 * entries that vanish meanwhile (a concurrent removal) are not an error. */
int fs_remove_tree(const char *path);
/* Bytes of disk used by a tree (st_blocks * 512), symlinks not followed. */
int fs_disk_usage(const char *path, uint64_t *bytes);
/* fsync a directory (its entries); file systems that cannot (EINVAL) pass. */
int fs_fsync_dir(const char *path);
/* Rename from to to, never replacing: EEXIST when `to` exists (a file or
 * a directory, empty or not). RENAME_NOREPLACE, else a claim of the name
 * by mkdir (is_dir) or link first. */
int fs_publish(const char *from, const char *to, bool is_dir);

#define FS_NOREPLACE 1 /* fs_write_atomic: EEXIST, nothing written, if path exists */
/* Write path atomically: through a temporary name unique to this writer
 * (.NAME.tmp-PID-RANDOM beside it: concurrent writers never share one),
 * fsync'ed, renamed over path (or published with FS_NOREPLACE), then the
 * directory fsync'ed. A reader sees the old contents or the new, whole. */
int fs_write_atomic(const char *path, const void *buf, size_t len, int flags);

/* FNV-1a, 64 bits: of n bytes, and of a string (NULL as ""). */
uint64_t fs_fnv1a(const void *p, size_t n);
uint64_t fs_fnv1a_str(const char *s);

#endif
