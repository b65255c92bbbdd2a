/*
 * rel_common.h - helpers shared by the reliability tests: scratch
 * directories, deterministic contents and checksums, file damage, mounts.
 *
 * Everything is static so that each test program is one translation unit
 * plus this header.
 */
#ifndef METALLC_REL_COMMON_H
#define METALLC_REL_COMMON_H

#include <metall/metall.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- scratch directories ------------------------------------------------ */

static inline int rel_rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p) != 0 && errno != ENOENT ? -1 : 0;
}

/* rm -rf (no error if absent). Returns 0 on success. */
static inline int rel_rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    /* a chmod 000 directory cannot be walked: give it the bits back first */
    if (S_ISDIR(st.st_mode))
        chmod(path, 0755);
    return nftw(path, rel_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory under $METALLC_TEST_TMPDIR (or /tmp); out gets its path. */
static inline int rel_mkdtemp(char *out, size_t size, const char *tag)
{
    const char *base = getenv("METALLC_TEST_TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    mkdir(base, 0755);
    int w = snprintf(out, size, "%s/%s-XXXXXX", base, tag);
    if (w < 0 || (size_t)w >= size)
        return -1;
    return mkdtemp(out) ? 0 : -1;
}

static inline void rel_path(char *out, size_t size, const char *dir, const char *name)
{
    int w = snprintf(out, size, "%s/%s", dir, name);
    if (w < 0 || (size_t)w >= size)
        out[0] = '\0'; /* too long: an empty path fails loudly later */
}

/* ---- deterministic contents --------------------------------------------- */

static inline uint64_t rel_splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Fill every byte of p from seed. */
static inline void rel_fill(void *p, size_t n, uint64_t seed)
{
    unsigned char *c = p;
    uint64_t s = seed * 0x2545F4914F6CDD1Dull + 1;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v = rel_splitmix(&s);
        memcpy(c + i, &v, 8);
    }
    if (i < n) {
        uint64_t v = rel_splitmix(&s);
        memcpy(c + i, &v, n - i);
    }
}

/* FNV-1a 64 of n bytes: the content checksum of an object. */
static inline uint64_t rel_sum(const void *p, size_t n)
{
    const unsigned char *c = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 0x100000001b3ull;
    return h;
}

/* ---- files ----------------------------------------------------------------- */

static inline long rel_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static inline int rel_read_all(const char *path, unsigned char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *buf = malloc(n > 0 ? (size_t)n : 1);
    *len = n > 0 && fread(*buf, 1, (size_t)n, f) == (size_t)n ? (size_t)n : 0;
    fclose(f);
    return n >= 0 && *len == (size_t)n ? 0 : -1;
}

static inline int rel_write_all(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = len ? fwrite(buf, 1, len, f) : 0;
    return fclose(f) == 0 && w == len ? 0 : -1;
}

static inline int rel_flip_bit(const char *path, long pos, int bit)
{
    int fd = open(path, O_RDWR);
    if (fd < 0)
        return -1;
    unsigned char c;
    int rc = -1;
    if (pread(fd, &c, 1, pos) == 1) {
        c ^= (unsigned char)(1u << bit);
        rc = pwrite(fd, &c, 1, pos) == 1 ? 0 : -1;
    }
    close(fd);
    return rc;
}

static inline int rel_append(const char *path, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    if (fd < 0)
        return -1;
    int rc = write(fd, buf, len) == (ssize_t)len ? 0 : -1;
    close(fd);
    return rc;
}

/* Count entries of dir whose name contains needle. */
static inline int rel_count_entries(const char *dir, const char *needle)
{
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "ls -a '%s' 2>/dev/null | grep -c -- '%s'", dir, needle);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    int n = -1;
    if (fscanf(p, "%d", &n) != 1)
        n = -1;
    pclose(p);
    return n;
}

/* ---- mounts ----------------------------------------------------------------- */

/* Mount a tmpfs of size_mb at dir (created). 0 on success, else errno. */
static inline int rel_mount_tmpfs(const char *dir, unsigned size_mb, unsigned long flags)
{
    mkdir(dir, 0755);
    char opt[64];
    snprintf(opt, sizeof opt, "size=%um,mode=0755", size_mb);
    if (geteuid() != 0)
        return EPERM;
    return mount("tmpfs", dir, "tmpfs", flags, opt) == 0 ? 0 : errno;
}

static inline void rel_umount(const char *dir)
{
    if (umount2(dir, 0) != 0)
        umount2(dir, MNT_DETACH);
    rmdir(dir);
}

#endif
