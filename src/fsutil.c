/*
 * fsutil.c - file-system helpers shared by the core, the MPI layer and the
 * tools (fsutil.h). Small and stateless on purpose: policy (which errors
 * matter, what to tell the user) stays with the callers.
 */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_join(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    return (n < 0 || (size_t)n >= size) ? ENAMETOOLONG : 0;
}

int fs_absolute(char *out, size_t size, const char *path)
{
    if (path[0] == '/') {
        int n = snprintf(out, size, "%s", path);
        return (n < 0 || (size_t)n >= size) ? ENAMETOOLONG : 0;
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return errno == ERANGE ? ENAMETOOLONG : errno;
    return fs_join(out, size, strcmp(cwd, "/") == 0 ? "" : cwd, path);
}

int fs_mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0)
        return ENOENT;
    if (n >= sizeof buf)
        return ENAMETOOLONG;
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return errno;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return errno;
    return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    int r = (flag == FTW_DP) ? rmdir(path) : unlink(path);
    return (r && errno != ENOENT) ? errno : 0;
}

int fs_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno;
    if (!S_ISDIR(st.st_mode))
        return unlink(path) ? errno : 0;
    int rc = nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc < 0 ? errno : rc;
}

static _Thread_local uint64_t du_total;

static int du_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)path;
    (void)flag;
    (void)ftw;
    du_total += (uint64_t)sb->st_blocks * 512u;
    return 0;
}

int fs_disk_usage(const char *path, uint64_t *bytes)
{
    du_total = 0;
    if (nftw(path, du_entry, 16, FTW_PHYS) != 0)
        return errno ? errno : EIO;
    *bytes = du_total;
    return 0;
}

int fs_fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errno;
    int rc = 0;
    while (fsync(fd) != 0) {
        if (errno != EINTR) {
            rc = errno;
            break;
        }
    }
    close(fd);
    return rc == EINVAL ? 0 : rc; /* some file systems cannot fsync dirs */
}

int fs_publish(const char *from, const char *to, bool is_dir)
{
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
        return errno == ENOTEMPTY ? EEXIST : errno;
    /* no RENAME_NOREPLACE here: claim the name first (mkdir and link both
     * fail with EEXIST when it is taken), then move into it */
    if (!is_dir)
        return link(from, to) ? errno : (unlink(from), 0);
    if (mkdir(to, 0755) != 0)
        return errno;
    if (rename(from, to) != 0) {
        int e = errno;
        rmdir(to);
        return e;
    }
    return 0;
}

/* The directory part of path ("." when it has none). */
static int dir_of(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return snprintf(out, size, ".") < 0 ? EINVAL : 0;
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= size)
        return ENAMETOOLONG;
    memcpy(out, path, n);
    out[n] = '\0';
    return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return errno;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int fs_write_atomic(const char *path, const void *buf, size_t len, int flags)
{
    char dir[PATH_MAX], tmp[PATH_MAX];
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        r = (uint32_t)rand();
    int rc = dir_of(path, dir, sizeof dir);
    if (rc)
        return rc;
    int n = snprintf(tmp, sizeof tmp, "%s/.%s.tmp-%d-%08x", dir, base, (int)getpid(), r);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno;
    /* reserve the space first: a full disk fails here, before anything is
     * half written, and the old file stays intact */
    if (len && (rc = posix_fallocate(fd, 0, (off_t)len)) == EOPNOTSUPP)
        rc = 0;
    if (!rc)
        rc = write_all(fd, buf, len);
    while (!rc && fsync(fd) != 0)
        rc = errno == EINTR ? 0 : errno;
    if (close(fd) && !rc)
        rc = errno;
    if (!rc && (flags & FS_NOREPLACE))
        rc = fs_publish(tmp, path, false);
    else if (!rc && rename(tmp, path))
        rc = errno;
    if (rc) {
        unlink(tmp);
        return rc;
    }
    return fs_fsync_dir(dir);
}

uint64_t fs_fnv1a(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

uint64_t fs_fnv1a_str(const char *s)
{
    return s ? fs_fnv1a(s, strlen(s)) : fs_fnv1a("", 0);
}
