/*
 * chain_wp.c - write tracking of the heap for checkpoints (chain_wp.h):
 * asynchronous userfaultfd write protection, read and re-armed with
 * PAGEMAP_SCAN.
 */
#include "chain_wp.h"

#include "error.h"
#include "segment.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/userfaultfd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Linux 6.7 ABI, missing from older headers (the values are fixed) */
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif
#ifndef PAGEMAP_SCAN
struct page_region {
    __u64 start, end, categories;
};
struct pm_scan_arg {
    __u64 size, flags, start, end, walk_end, vec, vec_len, max_pages;
    __u64 category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#define PM_SCAN_WP_MATCHING (1 << 0)
#define PM_SCAN_CHECK_WPASYNC (1 << 1)
#define PAGE_IS_WRITTEN (1 << 1)
#endif

#define VEC_LEN 4096 /* written ranges per PAGEMAP_SCAN call */

int wp_open(struct mc_wp *w, const char *what)
{
    memset(w, 0, sizeof *w);
    w->uffd = w->pagemap = -1;
    /* user-mode-only faults need no privilege; the asynchronous mode never
     * hands a fault to user space, so stores by the kernel work too */
    int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
    if (fd < 0)
        return mc_fail(EOPNOTSUPP, "%s: no userfaultfd for write tracking (%s)", what,
                       strerror(errno));
    struct uffdio_api api = {.api = UFFD_API,
                             .features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED};
    if (ioctl(fd, UFFDIO_API, &api) != 0) {
        int e = errno;
        close(fd);
        return mc_fail(EOPNOTSUPP, "%s: the kernel has no asynchronous write protection "
                                   "(Linux 6.7 or later): %s", what, strerror(e));
    }
    w->uffd = fd;
    w->pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    w->vec_len = VEC_LEN;
    w->vec = malloc(VEC_LEN * sizeof(struct page_region));
    if (w->pagemap < 0 || !w->vec) {
        int e = w->vec ? errno : ENOMEM;
        wp_close(w);
        return mc_fail(e == ENOENT ? EOPNOTSUPP : e, "%s: cannot open /proc/self/pagemap for "
                                                     "write tracking: %s", what, strerror(e));
    }
    return 0;
}

void wp_close(struct mc_wp *w)
{
    if (w->uffd >= 0)
        close(w->uffd); /* unregisters: the protections go with it */
    if (w->pagemap >= 0)
        close(w->pagemap);
    free(w->vec);
    memset(w, 0, sizeof *w);
    w->uffd = w->pagemap = -1;
}

/* Register blocks [w->n, nblocks) (mapped since the last call). */
static int add_blocks(struct mc_wp *w, struct segment *seg, unsigned nblocks)
{
    if (nblocks <= w->n)
        return 0;
    struct uffdio_register r = {
        .range = {(uint64_t)(uintptr_t)(seg->base + (size_t)w->n * seg->block_size),
                  (uint64_t)(nblocks - w->n) * seg->block_size},
        .mode = UFFDIO_REGISTER_MODE_WP};
    if (ioctl(w->uffd, UFFDIO_REGISTER, &r) != 0)
        return mc_fail(errno == EINVAL ? EOPNOTSUPP : errno,
                       "%s: cannot track writes to the heap's file mappings: %s", seg->path,
                       strerror(errno));
    return 0;
}

/* Protect [a, a+len): its next store faults (and is seen). */
static int protect(struct mc_wp *w, const struct segment *seg, char *a, size_t len)
{
    struct uffdio_writeprotect p = {.range = {(uint64_t)(uintptr_t)a, len},
                                    .mode = UFFDIO_WRITEPROTECT_MODE_WP};
    while (ioctl(w->uffd, UFFDIO_WRITEPROTECT, &p) != 0) {
        if (errno != EAGAIN && errno != EINTR)
            return mc_fail_sys(errno, "%s: cannot write-protect the heap", seg->path);
    }
    return 0;
}

static void drop_punches(struct segment *seg)
{
    uint64_t *b;
    size_t n;
    bool all;
    segment_punch_log_take(seg, &b, &n, &all);
    free(b);
}

int wp_arm(struct mc_wp *w, struct segment *seg, unsigned nblocks)
{
    if (add_blocks(w, seg, nblocks))
        return -1;
    w->n = nblocks;
    if (nblocks && protect(w, seg, seg->base, (size_t)nblocks * seg->block_size))
        return -1;
    if (segment_punch_log_start(seg))
        return -1;
    drop_punches(seg); /* the hash scan after this reads what they did */
    return 0;
}

static void set_range(struct mc_wp_pages *c, uint64_t a, uint64_t z)
{
    for (uint64_t p = a; p < z && p < c->npages; p++)
        c->bits[p / 64] |= (uint64_t)1 << (p % 64);
}

/* The written pages of [base, base+len) into c; they are protected again. */
static int take_written(struct mc_wp *w, const struct segment *seg, size_t len,
                        struct mc_wp_pages *c)
{
    uint64_t base = (uint64_t)(uintptr_t)seg->base, at = base, end = base + len;
    struct page_region *v = w->vec;
    while (at < end) {
        struct pm_scan_arg a = {.size = sizeof a,
                                .flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
                                .start = at,
                                .end = end,
                                .vec = (uint64_t)(uintptr_t)v,
                                .vec_len = w->vec_len,
                                .category_mask = PAGE_IS_WRITTEN,
                                .return_mask = PAGE_IS_WRITTEN};
        long r = ioctl(w->pagemap, PAGEMAP_SCAN, &a);
        if (r < 0) /* what it protected before failing is lost: re-arm */
            return mc_fail_sys(errno, "%s: cannot read the heap's written pages "
                                      "(PAGEMAP_SCAN)", seg->path);
        for (long i = 0; i < r; i++)
            set_range(c, (v[i].start - base) / MC_WP_PAGE,
                      (v[i].end - base + MC_WP_PAGE - 1) / MC_WP_PAGE);
        w->regions += (uint64_t)r;
        w->scans++;
        if (a.walk_end <= at || a.walk_end > end)
            return mc_fail(EIO, "%s: PAGEMAP_SCAN made no progress", seg->path);
        at = a.walk_end;
    }
    return 0;
}

int wp_cut(struct mc_wp *w, struct segment *seg, unsigned nblocks, struct mc_wp_pages *out)
{
    uint64_t ppb = seg->block_size / MC_WP_PAGE;
    out->npages = (uint64_t)nblocks * ppb;
    out->bits = calloc(out->npages / 64 + 1, 8);
    if (!out->bits)
        return mc_fail(ENOMEM, "%s: out of memory", seg->path);
    /* punches first: one recorded after this is the next cut's */
    uint64_t *pb;
    size_t pw;
    bool all;
    segment_punch_log_take(seg, &pb, &pw, &all);
    if (all)
        set_range(out, 0, out->npages);
    for (size_t i = 0; !all && i < pw && i <= out->npages / 64; i++)
        out->bits[i] |= pb[i];
    free(pb);
    unsigned old = w->n < nblocks ? w->n : nblocks;
    if (old && take_written(w, seg, (size_t)old * seg->block_size, out))
        return -1;
    if (nblocks > w->n) { /* new blocks: tracked from here on, read whole now */
        if (add_blocks(w, seg, nblocks))
            return -1;
        unsigned first = w->n;
        w->n = nblocks;
        if (protect(w, seg, seg->base + (size_t)first * seg->block_size,
                    (size_t)(nblocks - first) * seg->block_size))
            return -1;
        set_range(out, (uint64_t)first * ppb, out->npages);
    }
    return 0;
}
