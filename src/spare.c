/*
 * spare.c - disk space reserved for what close writes (see spare.h).
 */
#include "spare.h"

#include "error.h"
#include "layout.h"
#include "mgmt.h"
#include "os.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SPARE_STEP ((uint64_t)64 << 10) /* spares grow by 1/4 and to multiples of this */

static const char *const spare_of[MC_NSPARES] = {MC_FILE_CHUNKS_NAME, MC_FILE_NAMES_NAME,
                                                 MC_FILE_CLOSED_NAME};

uint64_t mc_chunks_image_bytes(uint64_t nchunks, uint64_t words)
{
    return sizeof(struct mc_file_header) + sizeof(struct mc_chunks_header) +
           nchunks * sizeof(struct mc_chunk_entry) + words * 8;
}

uint64_t mc_names_image_bytes(uint64_t record_bytes)
{
    return sizeof(struct mc_file_header) + 8 + record_bytes;
}

static int spare_path(const metall_manager *m, enum mc_spare which, char *out, size_t size)
{
    int w = snprintf(out, size, "%s/%s" MC_SPARE_SUFFIX, m->path, spare_of[which]);
    return w < 0 || (size_t)w >= size ? mc_fail(ENAMETOOLONG, "%s: path too long", m->path) : 0;
}

/* Allocate [0, size) of fd: fallocate, or zeros where it is not supported. */
static int allocate(int fd, uint64_t size)
{
    int rc = os_fallocate(fd, 0, (off_t)size);
    if (rc != EOPNOTSUPP)
        return rc;
    struct stat st;
    if (fstat(fd, &st) != 0)
        return errno;
    static const char zeros[4096];
    for (uint64_t off = (uint64_t)st.st_size; off < size;) {
        size_t n = size - off < sizeof zeros ? (size_t)(size - off) : sizeof zeros;
        ssize_t w = pwrite(fd, zeros, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : EIO;
        off += (uint64_t)w;
    }
    return 0;
}

int mc_spare_reserve(metall_manager *m, enum mc_spare which, uint64_t need)
{
    if (need <= __atomic_load_n(&m->spare[which], __ATOMIC_RELAXED))
        return 0;
    pthread_mutex_lock(&m->spare_lock);
    int rc = 0;
    if (need > m->spare[which]) {
        uint64_t size = (need + need / 4 + SPARE_STEP - 1) / SPARE_STEP * SPARE_STEP;
        if (which == MC_SPARE_CLOSED)
            size = need; /* fixed size */
        char f[PATH_MAX];
        int fd = -1;
        rc = spare_path(m, which, f, sizeof f) ? errno
                                               : os_open_regular(f, O_RDWR | O_CREAT, 0644, &fd);
        if (!rc) {
            rc = allocate(fd, size);
            close(fd);
        }
        if (!rc)
            __atomic_store_n(&m->spare[which], size, __ATOMIC_RELAXED);
        else
            mc_fail_sys(rc,
                        "%s: cannot reserve %llu bytes of disk for the %s file that close "
                        "writes",
                        m->path, (unsigned long long)size, spare_of[which]);
    }
    pthread_mutex_unlock(&m->spare_lock);
    return rc ? -1 : 0;
}

int mc_spares_init(metall_manager *m)
{
    pthread_mutex_lock(&m->chunks.lock);
    uint64_t c = mc_chunks_image_bytes(m->chunks.nchunks, m->chunks.small_words);
    pthread_mutex_unlock(&m->chunks.lock);
    pthread_rwlock_rdlock(&m->named.lock);
    uint64_t n = mc_names_image_bytes(m->named.record_bytes);
    pthread_rwlock_unlock(&m->named.lock);
    if (mc_spare_reserve(m, MC_SPARE_CHUNKS, c) || mc_spare_reserve(m, MC_SPARE_NAMES, n) ||
        mc_spare_reserve(m, MC_SPARE_CLOSED, MC_CLOSED_IMAGE_BYTES))
        return -1;
    return 0;
}

static int write_at(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    for (size_t done = 0; done < len;) {
        ssize_t w = pwrite(fd, p + done, len - done, (off_t)done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : EIO;
        done += (size_t)w;
    }
    return 0;
}

int mc_spare_write(metall_manager *m, enum mc_spare which, const void *img, size_t len)
{
    char f[PATH_MAX], dst[PATH_MAX];
    if (spare_path(m, which, f, sizeof f))
        return -1;
    snprintf(dst, sizeof dst, "%s/%s", m->path, spare_of[which]);
    int fd;
    int rc = os_open_regular(f, O_WRONLY, 0, &fd);
    if (rc == ENOENT) { /* no spare (a reservation failed at open?): the usual way */
        rc = os_write_file_atomic(dst, img, len);
        return rc ? mc_fail_sys(rc, "%s: cannot write %s", m->path, dst) : 0;
    }
    if (!rc) {
        /* over blocks allocated ahead: no new space needed; then drop the
         * rest (shrinking never needs space) */
        rc = write_at(fd, img, len);
        if (!rc && ftruncate(fd, (off_t)len) != 0)
            rc = errno;
        if (!rc)
            rc = os_fsync(fd);
        if (close(fd) != 0 && !rc)
            rc = errno;
    }
    if (!rc && rename(f, dst) != 0)
        rc = errno;
    if (!rc)
        rc = os_fsync_dir(m->path);
    if (rc)
        return mc_fail_sys(rc, "%s: cannot write %s", m->path, dst);
    __atomic_store_n(&m->spare[which], 0, __ATOMIC_RELAXED);
    return 0;
}
