/*
 * datastore.c - the life cycle of a datastore: create, open, flush, close,
 * snapshot, copy, remove, consistent, description, uuid.
 *
 * Crash rule: a writer removes PATH/closed when it opens and writes it back
 * only after the heap and the management files are durable (close). A
 * datastore without the mark is never opened (ENOTRECOVERABLE). Snapshots
 * and copies are built under a temporary name beside the destination and
 * renamed into place when complete, so they are all-or-nothing.
 *
 * Exclusion: PATH/lock is flock'ed LOCK_EX by a writer and LOCK_SH by
 * readers, never blocking (EBUSY). The kernel drops the lock when a process
 * dies, so a crash leaves no stale lock.
 */
#include "datastore.h"

#include "bin.h"
#include "checkpoint.h"
#include "chunk.h"
#include "error.h"
#include "fsutil.h"
#include "hook.h"
#include "layout.h"
#include "mgmt.h"
#include "named.h"
#include "numa.h"
#include "options.h"
#include "os.h"
#include "segment.h"
#include "spare.h"
#include "tcache.h"
#include "unmapper.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

static _Atomic uint64_t next_manager_id = 1;
/* ---- helpers ------------------------------------------------------------- */

/* A test hook point (hook.h): -1 with the injected errno, else 0. */
static int hook_step(const char *point, const char *path)
{
    int e = mc_hook(point, path);
    return e ? mc_fail(e, "%s: %s failed (injected by a test)", path, point) : 0;
}

static int check_path_arg(const char *path)
{
    if (!path || !*path)
        return mc_fail(EINVAL, "metall: NULL or empty path");
    if (strlen(path) > PATH_MAX - 64)
        return mc_fail(ENAMETOOLONG, "%.64s...: path too long", path);
    return 0;
}

/* strdup without trailing slashes ("/" stays "/"). */
static char *norm_path(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, path, n);
        s[n] = '\0';
    }
    return s;
}

static int join(char *out, size_t size, const char *dir, const char *name)
{
    return fs_join(out, size, dir, name) ? mc_fail(ENAMETOOLONG, "%s: path too long", dir) : 0;
}

/* Does path hold a datastore identity file (with our magic)? Used before
 * anything destructive, so a foreign directory is never touched. */
static bool has_datastore_magic(const char *path)
{
    char f[PATH_MAX];
    if (join(f, sizeof f, path, MC_FILE_DATASTORE_NAME))
        return false;
    int fd;
    if (os_open_regular(f, O_RDONLY, 0, &fd))
        return false;
    char magic[8];
    ssize_t r = read(fd, magic, sizeof magic);
    close(fd);
    return r == (ssize_t)sizeof magic && memcmp(magic, MC_MAGIC, sizeof magic) == 0;
}

/* ENOENT / ENOTDIR checks with messages. */
static int check_is_dir(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return mc_fail(ENOENT, "%s does not exist", path);
        return mc_fail_sys(errno, "cannot access %s", path);
    }
    if (!S_ISDIR(st.st_mode))
        return mc_fail(ENOTDIR, "%s is not a directory, so not a metall-c datastore", path);
    return 0;
}

/* Open PATH/lock (creating it: snapshots and copies of older versions have
 * none) and flock it, exclusive for writers and removal, shared for
 * readers. Returns the fd, -1 on failure, or -2 for a reader that can
 * neither open nor create the file (a read-only file system or directory:
 * there, no writer can open the datastore either). */
static int take_lock(const char *path, bool exclusive)
{
    char f[PATH_MAX];
    if (join(f, sizeof f, path, MC_FILE_LOCK_NAME))
        return -1;
    int fd, mode = exclusive ? O_RDWR : O_RDONLY;
    int rc = os_open_regular(f, mode, 0644, &fd);
    if (rc == ENOENT)
        rc = os_open_regular(f, mode | O_CREAT, 0644, &fd);
    if (rc && !exclusive && (rc == EROFS || rc == EACCES))
        return -2;
    if (rc == EINVAL || rc == ELOOP)
        return mc_fail(EBADMSG, "%s: the lock file %s is not a regular file", path, f);
    if (rc)
        return mc_fail_sys(rc, "%s: cannot open the lock file %s", path, f);
    rc = os_lock(fd, exclusive);
    if (rc) {
        close(fd);
        if (rc == EBUSY && exclusive)
            return mc_fail(EBUSY, "%s is open by another manager or process (for reading or "
                                  "writing)",
                           path);
        if (rc == EBUSY)
            return mc_fail(EBUSY, "%s is open for writing by another manager or process",
                           path);
        return mc_fail_sys(rc, "%s: cannot lock %s", path, f);
    }
    return fd;
}

static metall_manager *manager_new(const char *path, bool read_only)
{
    size_t sz = (sizeof(metall_manager) + 63) & ~(size_t)63;
    metall_manager *m = aligned_alloc(64, sz);
    if (!m) {
        mc_fail(ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    memset(m, 0, sz);
    /* absolute: the manager reaches its files long after this call, and a
     * chdir() in between must not send close to another directory */
    char abs[PATH_MAX];
    int rc = fs_absolute(abs, sizeof abs, path);
    if (rc) {
        free(m);
        mc_fail_sys(rc, "%s: cannot make the path absolute", path);
        return NULL;
    }
    m->path = norm_path(abs);
    if (!m->path || named_init(&m->named)) {
        free(m->path);
        free(m);
        mc_fail(ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    m->id = atomic_fetch_add(&next_manager_id, 1);
    m->read_only = read_only;
    m->lock_fd = -1;
    m->seg.path = m->path;
    m->seg.read_only = read_only;
    m->seg.populate = mc_options()->populate;
    bin_init(m);
    pthread_mutex_init(&m->tc_lock, NULL);
    pthread_mutex_init(&m->meta_lock, NULL);
    pthread_mutex_init(&m->seg.ra_lock, NULL);
    pthread_mutex_init(&m->spare_lock, NULL);
    return m;
}

/* defer: a close; the heap's unmapping may finish in the background
 * (unmapper.h) once everything durable is done. */
static void manager_free(metall_manager *m, bool defer)
{
    int saved = errno;
    size_t touched = __atomic_load_n(&m->heap_end, __ATOMIC_RELAXED);
    chunk_dir_destroy(m); /* stops the purger before the block files close */
    if (defer)
        segment_release_deferred(&m->seg, touched);
    else
        segment_release(&m->seg);
    mc_numa_release(m);
    named_destroy(&m->named);
    bin_destroy(m);
    pthread_mutex_destroy(&m->tc_lock);
    pthread_mutex_destroy(&m->meta_lock);
    pthread_mutex_destroy(&m->seg.ra_lock);
    pthread_mutex_destroy(&m->spare_lock);
    if (m->lock_fd >= 0) {
        /* unlock explicitly: a child forked meanwhile may still share the
         * open file (until its atfork handler closes it), and closing our
         * descriptor would then leave the datastore locked */
        (void)flock(m->lock_fd, LOCK_UN);
        close(m->lock_fd);
    }
    free(m->path);
    free(m);
    errno = saved;
}

/* Reserve the heap's address space; with the default capacity, settle for
 * less when the process cannot reserve that much (ulimit -v, many ranks). */
static int reserve(metall_manager *m, size_t min_bytes, bool flexible)
{
    for (;;) {
        if (segment_reserve(&m->seg) == 0) {
            m->head.base_ = m->seg.base;
            return 0;
        }
        if (!flexible || errno != ENOMEM || m->seg.capacity / 2 < min_bytes ||
            m->seg.capacity / 2 < m->seg.block_size ||
            m->seg.capacity / 2 < MC_MIN_CAPACITY)
            return -1;
        m->seg.capacity /= 2;
        m->seg.capacity -= m->seg.capacity % m->seg.block_size;
    }
}

/* A random (version 4) uuid. */
static int new_uuid(const char *path, uint8_t u[16])
{
    int rc = os_random(u, 16);
    if (rc)
        return mc_fail_sys(rc, "%s: cannot generate a uuid", path);
    u[6] = (uint8_t)((u[6] & 0x0F) | 0x40); /* version 4 */
    u[8] = (uint8_t)((u[8] & 0x3F) | 0x80); /* variant 1 */
    return 0;
}

/* ---- create / open -------------------------------------------------------- */

metall_manager *metall_create(const char *path)
{
    return metall_create_ex(path, NULL);
}

static int geometry(const metall_options *opt, size_t *capacity, size_t *block)
{
    size_t cap = opt && opt->capacity ? opt->capacity : MC_DEFAULT_CAPACITY;
    if (cap < MC_MIN_CAPACITY)
        cap = MC_MIN_CAPACITY;
    if (cap > ((size_t)1 << 52))
        return mc_fail(EINVAL, "metall: capacity %zu is too large", cap);
    cap = (cap + MC_CHUNK_MASK) & ~MC_CHUNK_MASK;
    size_t b = cap < MC_DEFAULT_BLOCK_SIZE ? cap : MC_DEFAULT_BLOCK_SIZE;
    cap = (cap + b - 1) / b * b;
    *capacity = cap;
    *block = b;
    return 0;
}

/* The deepest directory on the way to path that exists now ("." for a
 * relative path whose first component is new); malloc'd. */
static char *existing_ancestor(const char *path)
{
    char *a = norm_path(path);
    struct stat st;
    for (char *s; a && (s = strrchr(a, '/'));) {
        if (s == a) {
            a[1] = '\0';
            return a;
        }
        *s = '\0';
        if (stat(a, &st) == 0)
            return a;
    }
    if (a)
        strcpy(a, "."); /* fits: path is not empty */
    return a;
}

/* Create path (EEXIST if it exists) and the parents it lacks. */
static int make_dirs(const char *path)
{
    char *parent = norm_path(path);
    if (!parent)
        return mc_fail(ENOMEM, "%s: out of memory", path);
    char *slash = strrchr(parent, '/');
    int rc = 0;
    if (slash && slash != parent) {
        *slash = '\0';
        rc = os_mkdir_p(parent);
        if (rc)
            mc_fail_sys(rc, "%s: cannot create the parent directory %s", path, parent);
    }
    free(parent);
    if (rc)
        return -1;
    if (mkdir(path, 0755) == 0)
        return 0;
    if (errno == EEXIST)
        return mc_fail(EEXIST, "%s already exists", path);
    return mc_fail_sys(errno, "cannot create %s", path);
}

/* Make the directory entries of a new path durable, and those of the
 * parents created with it: fsync every directory from path's parent up
 * to top (which existed before). */
static int sync_entries(const char *path, const char *top)
{
    char *d = norm_path(path);
    int rc = d ? 0 : ENOMEM;
    for (char *s; !rc;) {
        s = strrchr(d, '/');
        if (!s)
            strcpy(d, ".");
        else if (s == d)
            s[1] = '\0';
        else
            *s = '\0';
        rc = os_fsync_dir(d);
        if (!s || s == d || strcmp(d, top) == 0)
            break;
    }
    free(d);
    return rc ? mc_fail_sys(rc, "%s: cannot sync the directory that holds it", path) : 0;
}

metall_manager *metall_create_ex(const char *path, const metall_options *opt)
{
    mc_error_clear();
    size_t cap = 0, bsz = 0;
    if (check_path_arg(path) || geometry(opt, &cap, &bsz))
        return NULL;
    if (mc_numa_validate(path, opt))
        return NULL;
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!opt || !opt->overwrite) {
            mc_fail(EEXIST, "%s already exists", path);
            return NULL;
        }
        if (!S_ISDIR(st.st_mode) || !has_datastore_magic(path)) {
            mc_fail(EINVAL, "%s exists and is not a metall-c datastore; not overwriting it",
                    path);
            return NULL;
        }
        if (!metall_remove(path))
            return NULL;
    }
    char *top = existing_ancestor(path);
    if (!top || make_dirs(path)) {
        if (!top)
            mc_fail(ENOMEM, "%s: out of memory", path);
        free(top);
        return NULL;
    }
    metall_manager *m = manager_new(path, false);
    if (!m)
        goto fail_rmdir;
    m->seg.capacity = cap;
    m->seg.block_size = bsz;
    m->numa = opt ? opt->numa : METALL_NUMA_NONE;
    m->numa_node = opt ? opt->numa_node : 0;
    if ((m->lock_fd = take_lock(m->path, true)) < 0)
        goto fail;
    if (reserve(m, 0, !(opt && opt->capacity)) || chunk_dir_init(m))
        goto fail;
    if (new_uuid(path, m->uuid))
        goto fail;
    /* the capacity asked for, also when this process could reserve less */
    m->capacity = cap;
    struct mc_datastore_info info = {m->capacity, m->seg.block_size, MC_CHUNK_SIZE,
                                     (uint64_t)time(NULL), {0}};
    snprintf(info.creator, sizeof info.creator, "%s", metall_version());
    if (mgmt_write_datastore(m->path, m->uuid, &info) || mc_spares_init(m))
        goto fail;
    if (mc_numa_apply(m) || sync_entries(path, top))
        goto fail;
    free(top);
    tcache_register(m);
    return m;
fail:
    if (m)
        manager_free(m, false);
fail_rmdir: {
    int saved = errno;
    os_remove_tree(path);
    free(top);
    errno = saved;
}
    return NULL;
}

static metall_manager *open_common(const char *path, bool read_only)
{
    mc_error_clear();
    if (check_path_arg(path) || check_is_dir(path))
        return NULL;
    uint8_t uuid[16];
    struct mc_datastore_info info;
    if (mgmt_read_datastore(path, uuid, &info))
        return NULL;
    (void)mc_hook("open:identity", path);
    metall_manager *m = manager_new(path, read_only);
    if (!m)
        return NULL;
    memcpy(m->uuid, uuid, 16);
    m->created_unix = info.created_unix;
    memcpy(m->creator, info.creator, sizeof m->creator);
    m->creator[sizeof m->creator - 1] = '\0';
    int fd = take_lock(m->path, !read_only);
    if (fd == -1)
        goto fail;
    m->lock_fd = fd;
    if (mgmt_check_closed(m->path, m->uuid))
        goto fail;
    m->seg.capacity = (size_t)info.capacity;
    m->capacity = info.capacity;
    m->seg.block_size = (size_t)info.block_size;
    void *cbuf;
    const char *cpay;
    size_t clen;
    uint64_t need;
    if (mgmt_read_chunks(m, &cbuf, &cpay, &clen, &need))
        goto fail;
    if (need > info.capacity >> MC_CHUNK_SHIFT) {
        free(cbuf);
        mc_fail(EBADMSG, "%s/%s: %llu chunks do not fit the capacity", m->path,
                MC_FILE_CHUNKS_NAME, (unsigned long long)need);
        goto fail;
    }
    /* Settle for less address space than the recorded capacity when the
     * process cannot reserve it all (ulimit -v, many managers, sanitizers):
     * the heap must fit, it just cannot grow as far this time. */
    int rc = reserve(m, (size_t)need << MC_CHUNK_SHIFT, true);
    if (!rc)
        rc = chunk_dir_init(m);
    if (!rc)
        rc = mgmt_load_chunks(m, cpay, clen);
    free(cbuf);
    if (rc)
        goto fail;
    /* chunk 0 alone (reserved, never allocated) does not make a block file:
     * a datastore closed before its first allocation has none */
    size_t used = m->chunks.nchunks > 1 ? (size_t)m->chunks.nchunks << MC_CHUNK_SHIFT : 0;
    unsigned nblocks = (unsigned)((used + m->seg.block_size - 1) / m->seg.block_size);
    if (nblocks > 0 && segment_map_existing(&m->seg, nblocks))
        goto fail;
    if (mgmt_load_names(m))
        goto fail;
    if (!read_only && mc_numa_from_env(&m->numa, &m->numa_node) && mc_numa_apply(m))
        goto fail;
    if (!read_only) {
        /* the space close will need, before the closed mark goes: on a
         * full disk, open fails and the datastore stays closed */
        if (mc_spares_init(m))
            goto fail;
        char f[PATH_MAX];
        join(f, sizeof f, m->path, MC_FILE_CLOSED_NAME);
        if (unlink(f) != 0) {
            mc_fail_sys(errno, "%s: cannot remove the closed mark %s", m->path, f);
            goto fail;
        }
        rc = os_fsync_dir(m->path);
        if (rc) {
            mc_fail_sys(rc, "%s: cannot sync the directory", m->path);
            goto fail;
        }
    }
    tcache_register(m);
    return m;
fail:
    manager_free(m, false);
    return NULL;
}

metall_manager *metall_open(const char *path)
{
    return open_common(path, false);
}

metall_manager *metall_open_read_only(const char *path)
{
    return open_common(path, true);
}

/* ---- persisting ----------------------------------------------------------- */

/* Build the management images under all allocator locks: a consistent cut
 * even while other threads allocate. */
static int build_images(metall_manager *m, const uint8_t uuid[16], void **chunks,
                        size_t *chunks_len, void **names, size_t *names_len, unsigned *nblocks,
                        uint8_t **free_chunks)
{
    pthread_rwlock_rdlock(&m->named.lock);
    bin_lock_all(m);
    pthread_mutex_lock(&m->chunks.lock);
    uint32_t copy_nchunks = 0;
    if (nblocks) { /* a snapshot: the blocks copied, and the free chunks in them */
        *nblocks = m->seg.nblocks;
        copy_nchunks = (uint32_t)(((size_t)*nblocks * m->seg.block_size) >> MC_CHUNK_SHIFT);
        *free_chunks = calloc(copy_nchunks ? copy_nchunks : 1, 1);
        for (uint32_t i = 0; *free_chunks && i < copy_nchunks; i++)
            (*free_chunks)[i] = i >= m->chunks.nchunks || m->chunks.info[i].kind == MC_CHUNK_FREE;
    }
    int rc = !nblocks || *free_chunks
                 ? mgmt_build_chunks(m, uuid, copy_nchunks, chunks, chunks_len)
                 : mc_fail(ENOMEM, "%s: out of memory", m->path);
    if (!rc && (rc = mgmt_build_names(m, uuid, names, names_len))) {
        free(*chunks);
        *chunks = NULL;
    }
    pthread_mutex_unlock(&m->chunks.lock);
    bin_unlock_all(m);
    pthread_rwlock_unlock(&m->named.lock);
    return rc;
}

static int write_file(const char *dir, const char *name, const void *buf, size_t len)
{
    char f[PATH_MAX];
    if (join(f, sizeof f, dir, name))
        return -1;
    int rc = os_write_file_atomic(f, buf, len);
    if (rc)
        return mc_fail_sys(rc, "%s: cannot write %s", dir, f);
    return 0;
}

/* Write the heap's dirty pages, then the management files: at close into
 * the space reserved for them (spare.h), at flush as new files. */
static int persist(metall_manager *m, bool closing)
{
    pthread_mutex_lock(&m->chunks.lock);
    unsigned nblocks = m->seg.nblocks;
    pthread_mutex_unlock(&m->chunks.lock);
    if (segment_sync(&m->seg, nblocks) || hook_step("persist:synced", m->path))
        return -1;
    void *c, *n;
    size_t cl, nl;
    if (build_images(m, m->uuid, &c, &cl, &n, &nl, NULL, NULL))
        return -1;
    int rc = closing ? mc_spare_write(m, MC_SPARE_CHUNKS, c, cl)
                     : write_file(m->path, MC_FILE_CHUNKS_NAME, c, cl);
    if (!rc)
        rc = hook_step("persist:chunks", m->path);
    if (!rc)
        rc = closing ? mc_spare_write(m, MC_SPARE_NAMES, n, nl)
                     : write_file(m->path, MC_FILE_NAMES_NAME, n, nl);
    free(c);
    free(n);
    return rc;
}

bool metall_flush(metall_manager *m)
{
    mc_error_clear();
    if (!m)
        return mc_fail(EINVAL, "metall: NULL manager"), false;
    if (mc_check_owner(m))
        return false;
    if (m->read_only)
        return mc_fail(EROFS, "%s: the datastore is open read-only", m->path), false;
    tcache_flush_mine(m);
    chunk_flush_purge(m); /* the files are as small as they get once flushed */
    pthread_mutex_lock(&m->meta_lock);
    int rc = persist(m, false);
    pthread_mutex_unlock(&m->meta_lock);
    return rc == 0;
}

/* Close in a process that did not open m (a forked child): its locks may
 * be held by threads that do not exist here and its purger thread is not
 * here, and the datastore is the parent's. Give back only what the child
 * owns (the mapping and the files' descriptors); the rest is the child's
 * copy of the parent's memory and goes with the process. */
static bool close_foreign(metall_manager *m)
{
    mc_check_owner(m); /* sets the message and EPERM */
    int saved = errno;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", metall_errmsg());
    tcache_forget(m);
    segment_release(&m->seg);
    if (m->lock_fd >= 0)
        close(m->lock_fd);
    m->lock_fd = -1;
    mc_fail(saved, "%s (released this process's mapping; the datastore is untouched)", msg);
    return false;
}

bool metall_close(metall_manager *m)
{
    mc_error_clear();
    if (!m)
        return mc_fail(EINVAL, "metall: NULL manager"), false;
    if (m->pid != mc_process_id())
        return close_foreign(m);
    mc_checkpoint_close(m); /* a pending checkpoint finishes first */
    if (m->read_only) {
        tcache_destroy_all(m);
        manager_free(m, true);
        return true;
    }
    chunk_close_begin(m);
    tcache_destroy_all(m);
    /* punches the pool and look-ahead chunks, and the free pages of the
     * SMALL chunks changed since the last flush (best effort: a failed
     * punch keeps the blocks) */
    int rc = chunk_pool_drain(m);
    if (rc == 0)
        rc = persist(m, true);
    if (rc == 0) {
        char img[MC_CLOSED_IMAGE_BYTES];
        mgmt_build_closed(m->uuid, img);
        rc = mc_spare_write(m, MC_SPARE_CLOSED, img, sizeof img);
    }
    manager_free(m, true);
    return rc == 0;
}

/* ---- snapshot / copy ------------------------------------------------------ */

/* DST.metall-tmp-PID-RANDOM, with DST's last component shortened so that
 * the name fits NAME_MAX whenever DST's does (the prefix stays readable). */
static int tmp_name(const char *dst, unsigned pid, uint32_t r, char *tmp, size_t size)
{
    char suffix[64];
    int sl = snprintf(suffix, sizeof suffix, MC_TMP_INFIX "%u-%08x", pid, r);
    char *nd = norm_path(dst);
    if (!nd)
        return mc_fail(ENOMEM, "out of memory");
    char *base = strrchr(nd, '/');
    base = base ? base + 1 : nd;
    size_t bl = strlen(base);
    if (bl > NAME_MAX) {
        free(nd);
        return mc_fail(ENAMETOOLONG, "%s: the last component is longer than %d bytes", dst,
                       NAME_MAX);
    }
    if (bl + (size_t)sl > NAME_MAX)
        base[NAME_MAX - sl] = '\0';
    int w = snprintf(tmp, size, "%s%s", nd, suffix);
    free(nd);
    if (w < 0 || (size_t)w >= size)
        return mc_fail(ENAMETOOLONG, "%s: path too long", dst);
    return 0;
}

/* A unique temporary directory beside dst; dst must not exist. */
static int make_tmp_dir(const char *dst, char *tmp, size_t size)
{
    struct stat st;
    if (stat(dst, &st) == 0)
        return mc_fail(EEXIST, "%s already exists", dst);
    char *parent = norm_path(dst);
    if (!parent)
        return mc_fail(ENOMEM, "out of memory");
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        int rc = os_mkdir_p(parent);
        if (rc) {
            mc_fail_sys(rc, "%s: cannot create the parent directory %s", dst, parent);
            free(parent);
            return -1;
        }
    }
    free(parent);
    static _Atomic uint32_t counter;
    uint32_t r;
    if (os_random(&r, sizeof r)) /* mkdir below still refuses a clash */
        r = (uint32_t)time(NULL) ^ atomic_fetch_add(&counter, 1);
    if (tmp_name(dst, (unsigned)getpid(), r, tmp, size))
        return -1;
    if (mkdir(tmp, 0755) != 0)
        return mc_fail_sys(errno, "cannot create %s", tmp);
    char seg[PATH_MAX], lock[PATH_MAX];
    if (join(seg, sizeof seg, tmp, MC_SEGMENT_DIR) || mkdir(seg, 0755) != 0) {
        int e = errno;
        os_remove_tree(tmp);
        return mc_fail_sys(e, "cannot create %s", seg);
    }
    /* the copy carries its lock file: a reader that may not create one
     * (a read-only directory) still excludes writers */
    int fd = -1;
    int rc = join(lock, sizeof lock, tmp, MC_FILE_LOCK_NAME) ? ENAMETOOLONG
             : os_open_regular(lock, O_RDWR | O_CREAT | O_EXCL, 0644, &fd);
    if (rc) {
        os_remove_tree(tmp);
        return mc_fail_sys(rc, "cannot create %s", lock);
    }
    close(fd);
    return 0;
}

/* Copy one file into dst_dir, the temporary of dst (which a message
 * names); *cloned tells whether it is a reflink clone, and *shared (if not
 * NULL) grows by the bytes it then shares with its source. */
static int copy_file_as(const char *src_dir, const char *dst_dir, const char *dst,
                        const char *name, bool optional, bool *cloned, uint64_t *shared)
{
    char s[PATH_MAX], d[PATH_MAX];
    if (join(s, sizeof s, src_dir, name) || join(d, sizeof d, dst_dir, name))
        return -1;
    *cloned = false;
    int rc = os_copy_file(s, d, cloned);
    if (rc == ENOENT && optional)
        return 0;
    if (rc)
        return mc_fail_sys(rc, "%s: cannot copy %s", dst, s);
    struct stat st;
    if (*cloned && shared && stat(d, &st) == 0)
        *shared += (uint64_t)st.st_blocks * 512u;
    return 0;
}

static int copy_one(const char *src_dir, const char *dst_dir, const char *dst, const char *name,
                    bool optional)
{
    bool cloned;
    return copy_file_as(src_dir, dst_dir, dst, name, optional, &cloned, NULL);
}

/* A reflink copy shares its disk blocks with the source. Rewriting them
 * later, in either, takes as much new space (copy on write), and a store
 * into a mapped page that finds none is a SIGBUS. So the file system must
 * have room for the shared bytes now, unless METALLC_SNAPSHOT_OVERCOMMIT
 * allows it (RELIABILITY.md: it cannot stay guaranteed afterwards). */
static int check_shared_room(const char *dir, const char *dst, uint64_t shared)
{
    struct statvfs sv;
    if (!shared || mc_options()->snapshot_overcommit || statvfs(dir, &sv) != 0)
        return 0;
    uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
    if (avail >= shared)
        return 0;
    return mc_fail(ENOSPC,
                   "%s: this reflink copy shares %llu bytes with its source; rewriting them "
                   "later needs that much free space (copy on write) and only %llu bytes are "
                   "free: free space, or set METALLC_SNAPSHOT_OVERCOMMIT=1 to allow it (a "
                   "write that then finds the disk full gets SIGBUS)",
                   dst, (unsigned long long)shared, (unsigned long long)avail);
}

/* Copy the block files into dst_dir (dst's temporary: messages name dst,
 * which the caller asked for, not a name gone once it fails); cloned[i]
 * tells which are reflink clones. */
static int copy_blocks(const char *src_dir, const char *dst_dir, const char *dst,
                       unsigned nblocks, bool *cloned)
{
    uint64_t shared = 0;
    for (unsigned i = 0; i < nblocks; i++) {
        char name[64];
        snprintf(name, sizeof name, MC_BLOCK_FMT, i);
        if (copy_file_as(src_dir, dst_dir, dst, name, false, &cloned[i], &shared))
            return -1;
    }
    return check_shared_room(dst_dir, dst, shared);
}

/* End a snapshot or copy: on failure remove the temporary directory
 * (keeping errno and the message). */
static bool finish_tmp(int rc, const char *tmp)
{
    if (rc) {
        int saved = errno;
        os_remove_tree(tmp);
        errno = saved;
    }
    return rc == 0;
}

/* What a copy's block files must look like, chunk by chunk, to match
 * the chunk directory that goes with them. */
enum { PLAN_LEAVE, PLAN_BACK, PLAN_PUNCH };

/* Apply plan[] (one per chunk of the copied blocks) to the block files in
 * dir: PLAN_BACK chunks get their disk blocks (a sparse copy turns pages
 * that were reserved but never written into holes, and the directory
 * promises they are backed: a write into one on a full disk would be a
 * SIGBUS; a reflink clone shares the source's blocks instead, see
 * check_shared_room()); PLAN_PUNCH chunks are free in the directory and may hold data
 * of objects freed or allocated after the cut (best effort: the
 * directory marks them neither backed nor zero). ENOSPC if backing fails. */
static int shape_copy(const char *dir, const char *dst, size_t block_size, unsigned nblocks,
                      const uint8_t *plan, const bool *cloned)
{
    uint32_t per_block = (uint32_t)(block_size >> MC_CHUNK_SHIFT);
    for (unsigned b = 0; b < nblocks; b++) {
        char f[PATH_MAX], name[64];
        snprintf(name, sizeof name, MC_BLOCK_FMT, b);
        if (join(f, sizeof f, dir, name))
            return -1;
        int fd, rc = os_open_regular(f, O_RDWR, 0, &fd);
        if (rc)
            return mc_fail_sys(rc, "cannot open %s", f);
        const uint8_t *pl = plan + (size_t)b * per_block;
        for (uint32_t k = 0; k < per_block && !rc;) {
            uint32_t e = k + 1;
            while (e < per_block && pl[e] == pl[k])
                e++;
            off_t off = (off_t)k << MC_CHUNK_SHIFT, len = (off_t)(e - k) << MC_CHUNK_SHIFT;
            if (pl[k] == PLAN_BACK && !cloned[b]) { /* a clone has the source's blocks */
                rc = os_fallocate(fd, off, len);
                if (rc == EOPNOTSUPP) /* a file system that cannot: stays sparse */
                    rc = 0;
            } else if (pl[k] == PLAN_PUNCH) {
                (void)os_punch_hole(fd, off, len);
            }
            k = e;
        }
        if (!rc)
            rc = os_fsync(fd);
        close(fd);
        if (rc)
            return mc_fail_sys(rc, "%s: cannot reserve disk blocks for the heap's chunks (%s)",
                               dst, name);
    }
    return 0;
}

/* Rename tmp to dst, never replacing what appeared at dst meanwhile (even
 * an empty directory). */
static int rename_noreplace(const char *tmp, const char *dst)
{
    int rc = fs_publish(tmp, dst, true);
    if (rc == EEXIST)
        return mc_fail(EEXIST, "%s already exists", dst);
    return rc ? mc_fail_sys(rc, "cannot rename %s to %s", tmp, dst) : 0;
}

/* Make tmp visible as dst: fsync its directories, rename, fsync the
 * parent. All or nothing: if the new name cannot be made durable, dst is
 * taken back (renamed to tmp again, for the caller to remove) and the call
 * fails. Meanwhile the copy's lock is held, so nobody opens dst before it
 * is settled. */
static int publish(const char *tmp, const char *dst)
{
    char seg[PATH_MAX];
    join(seg, sizeof seg, tmp, MC_SEGMENT_DIR);
    int rc = os_fsync_dir(seg);
    if (!rc)
        rc = os_fsync_dir(tmp);
    if (rc)
        return mc_fail_sys(rc, "cannot sync %s", tmp);
    int lock = take_lock(tmp, true);
    if (lock < 0)
        return -1;
    if (rename_noreplace(tmp, dst)) {
        close(lock);
        return -1;
    }
    rc = hook_step("publish:renamed", dst) ? errno : os_fsync_parent(dst);
    if (rc && rename(dst, tmp) == 0)
        mc_fail_sys(rc, "cannot sync the directory that holds %s, so the copy was withdrawn",
                    dst);
    else if (rc)
        mc_fail_sys(rc,
                    "cannot sync the directory that holds %s, nor withdraw it: it is complete, "
                    "but its name may not survive a crash",
                    dst);
    (void)flock(lock, LOCK_UN);
    close(lock);
    return rc ? -1 : 0;
}

bool metall_snapshot(metall_manager *m, const char *dst)
{
    mc_error_clear();
    if (!m)
        return mc_fail(EINVAL, "metall: NULL manager"), false;
    if (check_path_arg(dst) || mc_check_owner(m))
        return false;
    if (m->read_only)
        return mc_fail(EROFS, "%s: the datastore is open read-only; use metall_copy()",
                       m->path),
               false;
    char tmp[PATH_MAX];
    if (make_tmp_dir(dst, tmp, sizeof tmp))
        return false;
    tcache_flush_mine(m);
    chunk_purge_wait(m, false); /* freed chunks are not copied */
    pthread_mutex_lock(&m->meta_lock);
    uint8_t uuid[16];
    void *c = NULL, *n = NULL;
    size_t cl, nl;
    unsigned nblocks = 0;
    struct mc_datastore_info info = {m->capacity, m->seg.block_size, MC_CHUNK_SIZE,
                                     m->created_unix ? m->created_unix : (uint64_t)time(NULL),
                                     {0}};
    memcpy(info.creator, m->creator, sizeof info.creator);
    if (!info.creator[0])
        snprintf(info.creator, sizeof info.creator, "%s", metall_version());
    uint8_t *free_chunks = NULL;
    int rc = new_uuid(dst, uuid);
    if (!rc)
        rc = hook_step("snapshot:tmp", tmp);
    if (!rc)
        rc = build_images(m, uuid, &c, &cl, &n, &nl, &nblocks, &free_chunks);
    if (!rc)
        rc = hook_step("snapshot:cut", tmp);
    bool *cloned = NULL;
    if (!rc && !(cloned = calloc(nblocks ? nblocks : 1, sizeof *cloned)))
        rc = mc_fail(ENOMEM, "%s: out of memory", m->path);
    if (!rc)
        rc = copy_blocks(m->path, tmp, dst, nblocks, cloned);
    if (!rc) {
        /* free chunks punched, the others (but the reserved chunk 0) backed */
        for (size_t i = 0; i < ((size_t)nblocks * m->seg.block_size) >> MC_CHUNK_SHIFT; i++)
            free_chunks[i] = i == 0 ? PLAN_LEAVE : free_chunks[i] ? PLAN_PUNCH : PLAN_BACK;
        rc = shape_copy(tmp, dst, m->seg.block_size, nblocks, free_chunks, cloned);
    }
    free(cloned);
    if (!rc)
        rc = hook_step("snapshot:blocks", tmp);
    if (!rc)
        rc = mgmt_write_datastore(tmp, uuid, &info);
    if (!rc)
        rc = write_file(tmp, MC_FILE_CHUNKS_NAME, c, cl);
    if (!rc)
        rc = write_file(tmp, MC_FILE_NAMES_NAME, n, nl);
    if (!rc)
        rc = copy_one(m->path, tmp, dst, MC_FILE_DESCRIPTION_NAME, true);
    if (!rc)
        rc = hook_step("snapshot:mgmt", tmp);
    if (!rc)
        rc = mgmt_write_closed(tmp, uuid);
    if (!rc)
        rc = hook_step("snapshot:closed", tmp);
    if (!rc)
        rc = publish(tmp, dst);
    pthread_mutex_unlock(&m->meta_lock);
    free(c);
    free(n);
    free(free_chunks);
    return finish_tmp(rc, tmp);
}

/* A copy of src's blocks in tmp: back every chunk src's directory calls
 * backed (the rest stays as it was copied). */
static int back_copied(const char *src, const uint8_t uuid[16], const char *tmp,
                       const char *dst, size_t block_size, unsigned nblocks, const bool *cloned)
{
    uint8_t *backed;
    uint32_t n;
    if (mgmt_read_backed(src, uuid, &backed, &n))
        return -1;
    size_t total = ((size_t)nblocks * block_size) >> MC_CHUNK_SHIFT;
    uint8_t *plan = calloc(total ? total : 1, 1); /* PLAN_LEAVE */
    int rc = plan ? 0 : mc_fail(ENOMEM, "out of memory");
    for (size_t i = 0; plan && i < total && i < n; i++)
        plan[i] = backed[i] ? PLAN_BACK : PLAN_LEAVE;
    for (size_t i = total; !rc && i < n; i++)
        if (backed[i])
            rc = mc_fail(EBADMSG, "%s: chunk %zu is in use but no segment file holds it", src,
                         i);
    if (!rc)
        rc = shape_copy(tmp, dst, block_size, nblocks, plan, cloned);
    free(plan);
    free(backed);
    return rc;
}

bool metall_copy(const char *src, const char *dst)
{
    mc_error_clear();
    if (check_path_arg(src) || check_path_arg(dst) || check_is_dir(src))
        return false;
    uint8_t uuid[16];
    struct mc_datastore_info info;
    if (mgmt_read_datastore(src, uuid, &info))
        return false;
    int lock = take_lock(src, false);
    if (lock == -1)
        return false;
    char tmp[PATH_MAX];
    int rc = mgmt_check_closed(src, uuid);
    if (!rc)
        rc = make_tmp_dir(dst, tmp, sizeof tmp);
    if (rc) {
        if (lock >= 0)
            close(lock);
        return false;
    }
    /* every block file present (there may be more than the chunks use) */
    unsigned nblocks = 0;
    for (;;) {
        char f[PATH_MAX], name[64];
        snprintf(name, sizeof name, MC_BLOCK_FMT, nblocks);
        join(f, sizeof f, src, name);
        if (access(f, F_OK) != 0)
            break;
        nblocks++;
    }
    bool *cloned = calloc(nblocks ? nblocks : 1, sizeof *cloned);
    rc = cloned ? copy_blocks(src, tmp, dst, nblocks, cloned) : mc_fail(ENOMEM, "out of memory");
    if (!rc)
        rc = back_copied(src, uuid, tmp, dst, (size_t)info.block_size, nblocks, cloned);
    free(cloned);
    const char *files[] = {MC_FILE_DATASTORE_NAME, MC_FILE_CHUNKS_NAME, MC_FILE_NAMES_NAME,
                           MC_FILE_CLOSED_NAME};
    for (size_t i = 0; !rc && i < sizeof files / sizeof *files; i++)
        rc = copy_one(src, tmp, dst, files[i], false);
    if (!rc)
        rc = copy_one(src, tmp, dst, MC_FILE_DESCRIPTION_NAME, true);
    if (!rc)
        rc = publish(tmp, dst);
    if (lock >= 0)
        close(lock);
    return finish_tmp(rc, tmp);
}

/* ---- remove / consistent / properties ------------------------------------- */

/* EINVAL if path (trailing slashes ignored) is a symbolic link: removing
 * would delete the link and leave the datastore, or delete the datastore
 * behind a name the caller may not mean. */
static int check_not_symlink(const char *path)
{
    char *np = norm_path(path);
    if (!np)
        return mc_fail(ENOMEM, "out of memory");
    struct stat st;
    bool link = lstat(np, &st) == 0 && S_ISLNK(st.st_mode);
    free(np);
    if (link)
        return mc_fail(EINVAL,
                       "%s is a symbolic link; metall_remove() does not follow it: remove the "
                       "datastore by its real path (and the link with unlink())",
                       path);
    return 0;
}

/* Is the last component of path named like this library's temporaries? */
static bool is_tmp_name(const char *path)
{
    char *np = norm_path(path);
    if (!np)
        return false;
    const char *base = strrchr(np, '/');
    bool named = strstr(base ? base + 1 : np, MC_TMP_INFIX) != NULL;
    free(np);
    return named;
}

/* Mark path as being removed, durably, before anything is deleted:
 * `closed` renamed to `removing` (or that created empty: neither needs new
 * disk blocks, and on a full disk the removal goes on without the mark). */
static int mark_removing(const char *path)
{
    char c[PATH_MAX], r[PATH_MAX];
    if (join(c, sizeof c, path, MC_FILE_CLOSED_NAME) ||
        join(r, sizeof r, path, MC_FILE_REMOVING_NAME))
        return -1;
    int fd, rc = rename(c, r) == 0 ? 0 : errno;
    if (rc == ENOENT && !(rc = os_open_regular(r, O_WRONLY | O_CREAT, 0644, &fd)))
        close(fd);
    /* already there (also as something hostile), or no room for an inode */
    if (rc == EINVAL || rc == ELOOP || rc == EISDIR || rc == ENOTEMPTY || rc == ENOSPC ||
        rc == EDQUOT)
        rc = 0;
    if (!rc)
        rc = os_fsync_dir(path);
    return rc ? mc_fail_sys(rc, "%s: cannot mark it as being removed (%s)", path, r) : 0;
}

static bool kept(const char *name, const char *const *keep)
{
    for (; keep && *keep; keep++)
        if (strcmp(name, *keep) == 0)
            return true;
    return false;
}

/* Delete what the directory dfd holds but the names in keep[] (which may
 * be NULL), depth first, entry by entry (each one a test hook point).
 * Closes dfd. Entries that vanish meanwhile are not an error. */
static int remove_entries(int dfd, const char *ds, const char *const *keep, int depth)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        int e = errno;
        close(dfd);
        return e;
    }
    int rc = 0;
    struct dirent *de;
    while (!rc && (de = readdir(d))) {
        const char *n = de->d_name;
        struct stat st;
        if (!strcmp(n, ".") || !strcmp(n, "..") || kept(n, keep))
            continue;
        if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = errno == ENOENT ? 0 : errno;
            continue;
        }
        if (S_ISDIR(st.st_mode) && depth >= 32) {
            rc = ELOOP; /* not a tree this library made */
        } else if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd(d), n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            rc = sub < 0 ? errno : remove_entries(sub, ds, NULL, depth + 1);
            if (!rc && unlinkat(dirfd(d), n, AT_REMOVEDIR) != 0)
                rc = errno;
        } else if (unlinkat(dirfd(d), n, 0) != 0) {
            rc = errno;
        }
        if (rc == ENOENT)
            rc = 0;
        if (!rc)
            (void)mc_hook("remove:unlinked", ds);
    }
    closedir(d);
    return rc;
}

static int remove_entries_at(const char *dir, const char *const *keep)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    return dfd < 0 ? errno : remove_entries(dfd, dir, keep, 0);
}

/* The last steps of a removal, in tmp (path's temporary name, or path
 * itself when it is one): everything but the identity file, then that,
 * then the directory. */
static int remove_tmp(const char *path, const char *tmp)
{
    static const char *const identity[] = {MC_FILE_DATASTORE_NAME, NULL};
    char f[PATH_MAX];
    if (join(f, sizeof f, tmp, MC_FILE_DATASTORE_NAME))
        return -1;
    int rc = remove_entries_at(tmp, identity);
    if (!rc && unlink(f) != 0 && errno != ENOENT)
        rc = errno;
    if (!rc) {
        (void)mc_hook("remove:unlinked", tmp);
        if (rmdir(tmp) != 0)
            rc = errno;
    }
    if (rc)
        return mc_fail_sys(rc, "%s is removed, but what is left of it, %s, could not be "
                               "deleted; delete it with metall_remove() or metall-leftovers",
                           path, tmp);
    (void)os_fsync_parent(tmp);
    return 0;
}

/* Remove a locked datastore so that SIGKILL at any point leaves either
 * path, marked as being removed and still holding its identity file (so
 * metall_remove() and create with overwrite finish the job), or nothing at
 * path and a temporary directory beside it (DST.metall-tmp-PID-RANDOM, as
 * an interrupted snapshot leaves, removable the same way). The lock file
 * stays until path is gone: a concurrent open cannot create a new one and
 * get in (then it finds no closed mark, or no path). */
static int remove_locked(const char *path)
{
    static const char *const keep[] = {MC_FILE_DATASTORE_NAME, MC_FILE_LOCK_NAME,
                                       MC_FILE_REMOVING_NAME, NULL};
    if (mark_removing(path))
        return -1;
    (void)mc_hook("remove:marked", path);
    int rc = remove_entries_at(path, keep);
    if (rc)
        return mc_fail_sys(rc, "cannot remove %s", path);
    char tmp[PATH_MAX];
    uint32_t r;
    if (os_random(&r, sizeof r))
        r = (uint32_t)time(NULL);
    if (is_tmp_name(path)) { /* a leftover already: never opened, no need to move it */
        snprintf(tmp, sizeof tmp, "%s", path); /* fits: check_path_arg() */
    } else {
        if (tmp_name(path, (unsigned)getpid(), r, tmp, sizeof tmp))
            return -1;
        if (rename(path, tmp) != 0)
            return mc_fail_sys(errno, "cannot rename %s to %s", path, tmp);
        (void)os_fsync_parent(tmp); /* best effort: path is gone either way */
        (void)mc_hook("remove:renamed", tmp);
    }
    return remove_tmp(path, tmp);
}

/* An empty directory named like this library's temporaries: what a
 * removal leaves when it is killed between its last two steps. */
static bool empty_tmp_leftover(const char *path)
{
    return is_tmp_name(path) && rmdir(path) == 0;
}

bool metall_remove(const char *path)
{
    mc_error_clear();
    if (check_path_arg(path) || check_not_symlink(path) || check_is_dir(path))
        return false;
    if (!has_datastore_magic(path)) {
        if (empty_tmp_leftover(path))
            return true;
        return mc_fail(EINVAL, "%s is not a metall-c datastore; not removing it", path), false;
    }
    /* an unlinked file's disk blocks are freed with its last mapping: a
     * closed heap's must be gone before the files are */
    mc_unmap_drain();
    int fd = take_lock(path, true);
    if (fd < 0)
        return false;
    int rc = remove_locked(path);
    (void)flock(fd, LOCK_UN); /* a child forked meanwhile may share the file */
    close(fd);
    return rc == 0;
}

bool metall_consistent(const char *path)
{
    mc_error_clear();
    if (check_path_arg(path) || check_is_dir(path))
        return false;
    uint8_t uuid[16];
    struct mc_datastore_info info;
    if (mgmt_read_datastore(path, uuid, &info))
        return false;
    int fd = take_lock(path, false);
    if (fd == -1)
        return false;
    int rc = mgmt_check_closed(path, uuid);
    if (fd >= 0)
        close(fd);
    return rc == 0;
}

bool metall_set_description(metall_manager *m, const char *text)
{
    mc_error_clear();
    if (!m || !text)
        return mc_fail(EINVAL, "metall: NULL manager or text"), false;
    if (mc_check_owner(m))
        return false;
    if (m->read_only)
        return mc_fail(EROFS, "%s: the datastore is open read-only", m->path), false;
    size_t n = strnlen(text, METALL_DESCRIPTION_MAX + 1);
    if (n > METALL_DESCRIPTION_MAX)
        return mc_fail(EINVAL, "%s: description longer than %d bytes", m->path,
                       METALL_DESCRIPTION_MAX),
               false;
    pthread_mutex_lock(&m->meta_lock);
    int rc = write_file(m->path, MC_FILE_DESCRIPTION_NAME, text, n);
    pthread_mutex_unlock(&m->meta_lock);
    return rc == 0;
}

bool metall_get_description(const char *path, char *buf, size_t bufsize)
{
    mc_error_clear();
    if (check_path_arg(path))
        return false;
    if (!buf || !bufsize)
        return mc_fail(EINVAL, "%s: NULL or empty buffer", path), false;
    if (check_is_dir(path))
        return false;
    if (!has_datastore_magic(path))
        return mc_fail(EINVAL, "%s is not a metall-c datastore", path), false;
    char f[PATH_MAX];
    if (join(f, sizeof f, path, MC_FILE_DESCRIPTION_NAME))
        return false;
    void *b;
    size_t len;
    int rc = os_read_file(f, METALL_DESCRIPTION_MAX, &b, &len);
    if (rc == ENOENT) {
        buf[0] = '\0';
        return true;
    }
    if (rc)
        return mc_fail_sys(rc, "cannot read %s", f), false;
    size_t k = strnlen(b, len);
    if (k >= bufsize)
        k = bufsize - 1;
    memcpy(buf, b, k);
    buf[k] = '\0';
    free(b);
    return true;
}

/* Take the writer's lock of the datastore at path (so no manager has it
 * open for writing while it is changed without being opened); with
 * closed, also require the properly-closed mark. Returns the lock fd or -1. */
static int lock_offline(const char *path, uint8_t uuid[16], bool closed)
{
    struct mc_datastore_info info;
    if (check_path_arg(path) || check_is_dir(path) || mgmt_read_datastore(path, uuid, &info))
        return -1;
    int fd = take_lock(path, true);
    if (fd < 0)
        return -1;
    if (closed && mgmt_check_closed(path, uuid)) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

bool metall_set_description_at(const char *path, const char *text)
{
    mc_error_clear();
    size_t n;
    uint8_t uuid[16];
    if (named_check_text(path ? path : "metall", text, &n))
        return false;
    int fd = lock_offline(path, uuid, false);
    if (fd < 0)
        return false;
    int rc = write_file(path, MC_FILE_DESCRIPTION_NAME, text, n);
    close(fd);
    return rc == 0;
}

bool metall_get_creator_version(const char *path, char *buf, size_t bufsize)
{
    mc_error_clear();
    if (check_path_arg(path) || check_is_dir(path))
        return false;
    if (!buf || !bufsize)
        return mc_fail(EINVAL, "%s: NULL or empty buffer", path), false;
    uint8_t uuid[16];
    struct mc_datastore_info info;
    if (mgmt_read_datastore(path, uuid, &info))
        return false;
    size_t k = strnlen(info.creator, sizeof info.creator);
    if (k >= bufsize)
        k = bufsize - 1;
    memcpy(buf, info.creator, k);
    buf[k] = '\0';
    return true;
}

struct offline_visit {
    int (*fn)(const metall_object_info *, void *);
    void *ctx;
};

static int offline_visit_one(struct named_entry *e, void *c)
{
    struct offline_visit *v = c;
    metall_object_info info;
    named_fill_info(e, NULL, &info);
    return v->fn(&info, v->ctx);
}

int metall_object_foreach_at(const char *path, metall_object_kind kind,
                             int (*fn)(const metall_object_info *, void *), void *ctx)
{
    mc_error_clear();
    if (check_path_arg(path) || check_is_dir(path))
        return -1;
    if (!fn || (unsigned)kind > METALL_OBJECT_UNIQUE)
        return mc_fail(EINVAL, "%s: NULL callback or invalid kind", path);
    struct named_dir d;
    uint8_t uuid[16];
    if (named_init(&d))
        return mc_fail(ENOMEM, "%s: out of memory", path);
    int rc = mgmt_read_names_at(path, &d, uuid);
    if (rc == 0) {
        struct offline_visit v = {fn, ctx};
        rc = named_visit(&d, kind, offline_visit_one, &v);
    }
    named_destroy(&d);
    return rc;
}

/* Find the object of kind by name, or an anonymous one by offset. */
static struct named_entry *offline_find(struct named_dir *d, metall_object_kind kind,
                                        const char *name, uint64_t offset)
{
    if (kind == METALL_OBJECT_ANONYMOUS) {
        struct named_entry *e = named_find_off(d, offset);
        return e && e->kind == METALL_OBJECT_ANONYMOUS ? e : NULL;
    }
    return name ? named_find(d, kind, name) : NULL;
}

bool metall_object_set_description_at(const char *path, metall_object_kind kind,
                                      const char *name, uint64_t offset, const char *text)
{
    mc_error_clear();
    size_t tl;
    if (named_check_text(path ? path : "metall", text, &tl))
        return false;
    if ((unsigned)kind > METALL_OBJECT_UNIQUE)
        return mc_fail(EINVAL, "%s: invalid object kind", path), false;
    uint8_t uuid[16];
    int fd = lock_offline(path, uuid, true);
    if (fd < 0)
        return false;
    struct named_dir d;
    int rc = named_init(&d) ? mc_fail(ENOMEM, "%s: out of memory", path) : 0;
    if (rc == 0 && (rc = mgmt_read_names_at(path, &d, uuid)) == 0) {
        struct named_entry *e = offline_find(&d, kind, name, offset);
        if (!e)
            rc = mc_fail(ENOENT, "%s: no such object", path);
        else if (named_set_desc(&d, e, text, tl))
            rc = mc_fail(ENOMEM, "%s: out of memory", path);
        else
            rc = mgmt_write_names_at(path, uuid, &d);
    }
    named_destroy(&d);
    close(fd);
    return rc == 0;
}

bool metall_get_uuid(const char *path, char out[37])
{
    mc_error_clear();
    if (check_path_arg(path) || check_is_dir(path))
        return false;
    if (!out)
        return mc_fail(EINVAL, "%s: NULL output buffer", path), false;
    uint8_t uuid[16];
    struct mc_datastore_info info;
    if (mgmt_read_datastore(path, uuid, &info))
        return false;
    mgmt_uuid_string(uuid, out);
    return true;
}

bool metall_is_read_only(const metall_manager *m)
{
    return m && m->read_only;
}

const char *metall_version(void)
{
#define MC_STR2(x) #x
#define MC_STR(x) MC_STR2(x)
    return MC_STR(METALLC_VERSION_MAJOR) "." MC_STR(METALLC_VERSION_MINOR) "." MC_STR(
        METALLC_VERSION_PATCH);
}

/* ---- for checkpoints (checkpoint.c, chain_io.c) ---------------------------- */

int mc_ds_cut(metall_manager *m, void **chunks, size_t *chunks_len, void **names,
              size_t *names_len, unsigned *nblocks, uint8_t **free_chunks)
{
    return build_images(m, m->uuid, chunks, chunks_len, names, names_len, nblocks, free_chunks);
}

int mc_ds_make_tmp(const char *dst, char *tmp, size_t size)
{
    return make_tmp_dir(dst, tmp, size);
}

bool mc_ds_finish_tmp(int rc, const char *tmp, const char *dst)
{
    if (!rc)
        rc = publish(tmp, dst);
    return finish_tmp(rc, tmp);
}
