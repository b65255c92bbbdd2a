/*
 * os.c - system-call layer (see os.h for the contract).
 *
 * Everything here is a thin wrapper: retry on EINTR, turn -1/errno into an
 * errno return. Copying keeps holes (SEEK_DATA/SEEK_HOLE) because segment
 * files are sparse and may be far larger than their data.
 */
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

size_t os_page_size(void)
{
    /* first calls may race: each stores the same value, atomically */
    static _Atomic size_t ps;
    size_t v = atomic_load_explicit(&ps, memory_order_relaxed);
    if (!v) {
        v = (size_t)sysconf(_SC_PAGESIZE);
        atomic_store_explicit(&ps, v, memory_order_relaxed);
    }
    return v;
}

int os_reserve(size_t len, size_t align, void **out)
{
    size_t total = len + align;
    if (total < len)
        return ENOMEM;
    char *p = mmap(NULL, total, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return errno;
    uintptr_t a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
    size_t head = a - (uintptr_t)p, tail = total - head - len;
    if (head)
        munmap(p, head);
    if (tail)
        munmap((char *)a + len, tail);
    *out = (void *)a;
    return 0;
}

int os_release(void *addr, size_t len)
{
    return munmap(addr, len) ? errno : 0;
}

int os_map_file(void *addr, size_t len, int fd, off_t off, bool writable)
{
    int prot = PROT_READ | (writable ? PROT_WRITE : 0);
    void *p = mmap(addr, len, prot, MAP_SHARED | MAP_FIXED, fd, off);
    return p == MAP_FAILED ? errno : 0;
}

int os_readahead(void *addr, size_t len, bool on)
{
    return madvise(addr, len, on ? MADV_NORMAL : MADV_RANDOM) ? errno : 0;
}

int os_fallocate(int fd, off_t off, off_t len)
{
    while (fallocate(fd, 0, off, len) != 0) {
        if (errno != EINTR)
            return errno == ENOSYS ? EOPNOTSUPP : errno;
    }
    return 0;
}

int os_punch_hole(int fd, off_t off, off_t len)
{
    while (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) != 0) {
        if (errno != EINTR)
            return errno == ENOSYS ? EOPNOTSUPP : errno;
    }
    return 0;
}

int os_populate_write(void *addr, size_t len)
{
    while (madvise(addr, len, MADV_POPULATE_WRITE) != 0) {
        if (errno != EINTR && errno != EAGAIN)
            return errno;
    }
    return 0;
}

int os_fsync(int fd)
{
    while (fsync(fd) != 0) {
        if (errno != EINTR)
            return errno;
    }
    return 0;
}

int os_fsync_parent(const char *path)
{
    char buf[PATH_MAX];
    if (strlen(path) >= sizeof buf)
        return ENAMETOOLONG;
    strcpy(buf, path);
    char *slash = strrchr(buf, '/');
    if (!slash)
        return os_fsync_dir(".");
    if (slash == buf)
        slash[1] = '\0';
    else
        *slash = '\0';
    return os_fsync_dir(buf);
}

int os_lock(int fd, bool exclusive)
{
    while (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return EBUSY;
        if (errno != EINTR)
            return errno;
    }
    return 0;
}

int os_open_regular(const char *path, int flags, int mode, int *fd)
{
    struct stat st;
    /* never open what is not a regular file: opening a FIFO blocks until
     * a writer comes, and opening a device may do anything */
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return S_ISLNK(st.st_mode) ? ELOOP : EINVAL;
    int f = open(path, flags | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, mode);
    if (f < 0)
        return errno == ENXIO ? EINVAL : errno; /* ENXIO: a FIFO with no reader */
    int e = fstat(f, &st) != 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL : 0;
    if (e) { /* it changed between the check and the open */
        close(f);
        return e;
    }
    int fl = fcntl(f, F_GETFL);
    if (fl != -1)
        (void)fcntl(f, F_SETFL, fl & ~O_NONBLOCK);
    *fd = f;
    return 0;
}

int os_read_file(const char *path, size_t max, void **buf, size_t *len)
{
    int fd;
    int rc = os_open_regular(path, O_RDONLY, 0, &fd);
    if (rc)
        return rc;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return e;
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return EFBIG;
    }
    size_t n = (size_t)st.st_size;
    char *b = malloc(n ? n : 1);
    if (!b) {
        close(fd);
        return ENOMEM;
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, b + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(b);
            close(fd);
            return e;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    *buf = b;
    *len = got;
    return 0;
}

/* Copy [off, off+len) from in to out at the same offset. */
static int copy_range(int in, int out, off_t off, off_t len)
{
    bool use_cfr = true;
    char *buf = NULL;
    int rc = 0;
    while (len > 0) {
        if (use_cfr) {
            loff_t ioff = off, ooff = off;
            ssize_t n = copy_file_range(in, &ioff, out, &ooff, (size_t)len, 0);
            if (n > 0) {
                off += n;
                len -= n;
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP &&
                errno != EINVAL) {
                rc = errno;
                break;
            }
            use_cfr = false; /* fall back to read/write */
        }
        if (!buf && !(buf = malloc(1 << 20))) {
            rc = ENOMEM;
            break;
        }
        size_t want = len > (1 << 20) ? (1 << 20) : (size_t)len;
        ssize_t r = pread(in, buf, want, off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rc = r < 0 ? errno : EIO;
            break;
        }
        size_t done = 0;
        while (done < (size_t)r) {
            ssize_t w = pwrite(out, buf + done, (size_t)r - done, off + (off_t)done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = errno;
                break;
            }
            done += (size_t)w;
        }
        if (rc)
            break;
        off += r;
        len -= r;
    }
    free(buf);
    return rc;
}

static int sparse_copy(int in, int out, off_t size)
{
    if (ftruncate(out, size) != 0)
        return errno;
    off_t pos = 0;
    while (pos < size) {
        off_t data = lseek(in, pos, SEEK_DATA);
        if (data < 0) {
            if (errno == ENXIO)
                break; /* only a hole remains */
            if (errno == EINVAL) { /* no SEEK_DATA: copy everything */
                return copy_range(in, out, pos, size - pos);
            }
            return errno;
        }
        off_t hole = lseek(in, data, SEEK_HOLE);
        if (hole < 0)
            hole = size;
        int rc = copy_range(in, out, data, hole - data);
        if (rc)
            return rc;
        pos = hole;
    }
    return 0;
}

int os_copy_file(const char *src, const char *dst, bool *cloned)
{
    int in;
    int rc = os_open_regular(src, O_RDONLY, 0, &in);
    if (rc)
        return rc;
    struct stat st;
    if (fstat(in, &st) != 0) {
        int e = errno;
        close(in);
        return e;
    }
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        int e = errno;
        close(in);
        return e;
    }
    bool clone = ioctl(out, FICLONE, in) == 0;
    if (clone)
        rc = 0;
    else
        rc = sparse_copy(in, out, st.st_size);
    if (!rc)
        rc = os_fsync(out);
    if (close(out) != 0 && !rc)
        rc = errno;
    close(in);
    if (rc)
        unlink(dst);
    else if (cloned)
        *cloned = clone;
    return rc;
}

int os_random(void *buf, size_t len)
{
    char *p = buf;
    while (len) {
        ssize_t r = getrandom(p, len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return errno;
        p += r;
        len -= (size_t)r;
    }
    return 0;
}
