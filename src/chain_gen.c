/*
 * chain_gen.c - the reflink generation of a datastore (chain_gen.h): shadow
 * files sharing the heap's blocks, and the map of the pages that changed
 * since the last cut.
 */
#include "chain_gen.h"

#include "chain.h"
#include "error.h"
#include "layout.h"
#include "os.h"

#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#define FIEMAP_BATCH 512
/* A page with data the file system has not placed yet (delayed
 * allocation): never equal to a real address, which is page aligned. */
#define KEY_DELALLOC 1

bool gen_possible(const char *ds_path)
{
    struct statfs s;
    return statfs(ds_path, &s) == 0 && s.f_bsize > 0 && s.f_bsize <= MC_GEN_PAGE &&
           MC_GEN_PAGE % s.f_bsize == 0;
}

static bool no_clone(int e)
{
    return e == EOPNOTSUPP || e == ENOTTY || e == EXDEV || e == EINVAL || e == ENOSYS;
}

static int shadow_path(const struct mc_gen *g, unsigned b, char *out, size_t size)
{
    int w = snprintf(out, size, "%s/" MC_GEN_BLOCK_FMT, g->dir, b);
    if (w < 0 || (size_t)w >= size)
        return mc_fail(ENAMETOOLONG, "%s: path too long", g->dir);
    return 0;
}

/* Keys of pages [0, g->pages) of fd into key (page p of the file at
 * key[p]); counts the extents. */
static int map_keys(struct mc_gen *g, int fd, uint64_t first, uint64_t n, uint64_t *key,
                    const char *what)
{
    memset(key + first, 0, n * sizeof *key);
    struct fiemap *fm = malloc(sizeof *fm + FIEMAP_BATCH * sizeof(struct fiemap_extent));
    if (!fm)
        return mc_fail(ENOMEM, "%s: out of memory", what);
    uint64_t start = first * MC_GEN_PAGE, end = (first + n) * MC_GEN_PAGE;
    int rc = 0;
    while (!rc && start < end) {
        memset(fm, 0, sizeof *fm);
        fm->fm_start = start;
        fm->fm_length = end - start;
        fm->fm_extent_count = FIEMAP_BATCH;
        if (ioctl(fd, FS_IOC_FIEMAP, fm) != 0) {
            rc = mc_fail_sys(errno, "%s: cannot map its extents (FIEMAP)", what);
            break;
        }
        if (!fm->fm_mapped_extents)
            break;
        bool last = false;
        for (unsigned i = 0; i < fm->fm_mapped_extents; i++) {
            const struct fiemap_extent *e = &fm->fm_extents[i];
            uint64_t a = e->fe_logical < start ? start : e->fe_logical;
            uint64_t z = e->fe_logical + e->fe_length;
            if (z > end)
                z = end;
            bool zero = e->fe_flags & FIEMAP_EXTENT_UNWRITTEN;
            bool unplaced = e->fe_flags & (FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_UNKNOWN);
            for (uint64_t o = a & ~(uint64_t)(MC_GEN_PAGE - 1); !zero && o < z; o += MC_GEN_PAGE)
                key[o / MC_GEN_PAGE] =
                    unplaced ? KEY_DELALLOC : (e->fe_physical + (o - e->fe_logical)) | 2;
            g->extents++;
            start = e->fe_logical + e->fe_length;
            last |= (e->fe_flags & FIEMAP_EXTENT_LAST) != 0;
        }
        if (last)
            break;
    }
    free(fm);
    return rc;
}

/* ---- set-up ----------------------------------------------------------------- */

void gen_free(struct mc_gen *g, bool remove)
{
    for (unsigned b = 0; b < g->n; b++) {
        if (g->fd[b] >= 0)
            close(g->fd[b]);
        free(g->key[b]);
    }
    free(g->fd);
    free(g->key);
    free(g->cur);
    g->fd = NULL;
    g->key = NULL;
    g->cur = NULL;
    g->n = g->cap = 0;
    if (remove && g->dir[0])
        (void)os_remove_tree(g->dir);
}

int gen_reset(struct mc_gen *g, const char *ds_path, size_t block_size)
{
    gen_free(g, false);
    int w = snprintf(g->dir, sizeof g->dir, "%s/%s", ds_path, MC_GEN_DIR);
    if (w < 0 || (size_t)w >= sizeof g->dir)
        return mc_fail(ENAMETOOLONG, "%s: path too long", ds_path);
    g->block_size = block_size;
    g->pages = block_size / MC_GEN_PAGE;
    g->cur = malloc(g->pages * sizeof *g->cur);
    if (!g->cur)
        return mc_fail(ENOMEM, "%s: out of memory", g->dir);
    int rc = os_remove_tree(g->dir);
    if (rc && rc != ENOENT)
        return mc_fail_sys(rc, "cannot remove %s", g->dir);
    if (mkdir(g->dir, 0755) != 0)
        return mc_fail_sys(errno, "cannot create %s", g->dir);
    mc_ckpt_killpoint("gen-reset");
    return 0;
}

/* Make room for block b's shadow and open it (created empty). */
static int add_block(struct mc_gen *g, unsigned b, int *fd)
{
    if (b != g->n)
        return mc_fail(EINVAL, "%s: block %u tracked out of order", g->dir, b);
    if (g->n == g->cap) {
        unsigned nc = g->cap ? g->cap * 2 : 16;
        int *nf = realloc(g->fd, nc * sizeof *nf);
        if (nf)
            g->fd = nf;
        uint64_t **nk = nf ? realloc(g->key, nc * sizeof *nk) : NULL;
        if (!nk)
            return mc_fail(ENOMEM, "%s: out of memory", g->dir);
        g->key = nk;
        g->cap = nc;
    }
    char f[PATH_MAX + 32];
    if (shadow_path(g, b, f, sizeof f))
        return -1;
    uint64_t *k = calloc(g->pages, sizeof *k);
    *fd = k ? open(f, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
    if (*fd < 0) {
        int e = k ? errno : ENOMEM;
        free(k);
        return mc_fail_sys(e, "cannot create %s", f);
    }
    g->fd[b] = *fd;
    g->key[b] = k;
    g->n++;
    return 0;
}

int gen_track(struct mc_gen *g, int heap_fd, unsigned b)
{
    int fd;
    if (add_block(g, b, &fd))
        return -1;
    char f[PATH_MAX + 32];
    shadow_path(g, b, f, sizeof f);
    if (ioctl(fd, FICLONE, heap_fd) != 0) {
        int e = errno;
        if (no_clone(e))
            return mc_fail(EOPNOTSUPP, "%s: the file system cannot clone the heap's files "
                                       "(reflink): %s", g->dir, strerror(e));
        return mc_fail_sys(e, "cannot clone segment block %u into %s", b, f);
    }
    mc_ckpt_killpoint("gen-tracked");
    return map_keys(g, fd, 0, g->pages, g->key[b], f);
}

int gen_track_empty(struct mc_gen *g, unsigned b)
{
    int fd;
    if (add_block(g, b, &fd))
        return -1;
    if (ftruncate(fd, (off_t)g->block_size) != 0)
        return mc_fail_sys(errno, "cannot size %s/" MC_GEN_BLOCK_FMT, g->dir, b);
    return 0;
}

/* ---- the cut ----------------------------------------------------------------- */

static int push_run(struct mc_gen_runs *out, uint64_t first, uint64_t n)
{
    if (out->n == out->cap) {
        size_t nc = out->cap ? out->cap * 2 : 256;
        struct mc_gen_run *nv = realloc(out->v, nc * sizeof *nv);
        if (!nv)
            return mc_fail(ENOMEM, "out of memory for the changed ranges");
        out->v = nv;
        out->cap = nc;
    }
    out->v[out->n++] = (struct mc_gen_run){first, n};
    return 0;
}

/* Clone pages [p, q) of block b into the shadow; its keys from there. */
static int reshare(struct mc_gen *g, int heap_fd, unsigned b, uint64_t p, uint64_t q)
{
    struct file_clone_range r = {heap_fd, p * MC_GEN_PAGE, (q - p) * MC_GEN_PAGE,
                                 p * MC_GEN_PAGE};
    if (ioctl(g->fd[b], FICLONERANGE, &r) != 0)
        return mc_fail_sys(errno, "%s: cannot clone pages %llu..%llu of segment block %u",
                           g->dir, (unsigned long long)p, (unsigned long long)q, b);
    return map_keys(g, g->fd[b], p, q - p, g->key[b], g->dir);
}

int gen_diff(struct mc_gen *g, int heap_fd, unsigned b, struct mc_gen_runs *out)
{
    if (b >= g->n)
        return mc_fail(EINVAL, "%s: block %u is not tracked", g->dir, b);
    /* every page dirtied before the cut: written back, so copied on write */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = os_fsync(heap_fd);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    g->flush_s += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    if (rc)
        return mc_fail_sys(rc, "%s: cannot write back segment block %u", g->dir, b);
    mc_ckpt_killpoint("gen-flushed");
    if (map_keys(g, heap_fd, 0, g->pages, g->cur, g->dir))
        return -1;
    const uint64_t *k = g->key[b], *c = g->cur;
    for (uint64_t p = 0; p < g->pages;) {
        if (k[p] == c[p]) {
            p++;
            continue;
        }
        uint64_t q = p + 1;
        while (q < g->pages && k[q] != c[q])
            q++;
        if (reshare(g, heap_fd, b, p, q) ||
            push_run(out, (uint64_t)b * g->pages + p, q - p))
            return -1;
        p = q;
    }
    mc_ckpt_killpoint("gen-reshared");
    return 0;
}

int gen_read(const struct mc_gen *g, uint64_t off, void *buf, size_t len)
{
    unsigned b = (unsigned)(off / g->block_size);
    if (b >= g->n)
        return mc_fail(EINVAL, "%s: offset %llu is not tracked", g->dir,
                       (unsigned long long)off);
    char *p = buf;
    off_t at = (off_t)(off % g->block_size);
    while (len) {
        ssize_t r = pread(g->fd[b], p, len, at);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return mc_fail_sys(r < 0 ? errno : EIO, "%s: cannot read segment block %u's shadow",
                               g->dir, b);
        p += r;
        len -= (size_t)r;
        at += r;
    }
    return 0;
}
