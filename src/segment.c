/*
 * segment.c - reserve the heap's address space once, map block files into it
 * as the heap grows, back and unback chunk ranges on disk.
 *
 * Invariant: blocks [0, nblocks) are mapped at base + i * block_size and
 * fds[i] is open on PATH/segment/block-i; the rest of the reservation is
 * PROT_NONE. Callers serialise segment_grow() (chunks.lock).
 */
#include "segment.h"

#include "error.h"
#include "layout.h"
#include "numa.h"
#include "os.h"
#include "unmapper.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEG_BASE_ALIGN_MAX ((size_t)1 << 30)

int segment_reserve(struct segment *seg)
{
    seg->max_blocks = (unsigned)(seg->capacity / seg->block_size);
    seg->fds = malloc(sizeof(int) * seg->max_blocks);
    if (!seg->fds)
        return mc_fail(ENOMEM, "%s: out of memory", seg->path);
    for (unsigned i = 0; i < seg->max_blocks; i++)
        seg->fds[i] = -1;
    void *p;
    /* aligned_alloc aligns runs by chunk index, so the base needs the
     * largest supported alignment itself (up to 1 GiB or the capacity) */
    size_t align = MC_CHUNK_SIZE;
    while (align < SEG_BASE_ALIGN_MAX && align * 2 <= seg->capacity)
        align *= 2;
    int rc = os_reserve(seg->capacity, align, &p);
    if (rc == ENOMEM && mc_unmap_drain()) /* a closed heap's range may be on its way out */
        rc = os_reserve(seg->capacity, align, &p);
    if (rc) {
        free(seg->fds);
        seg->fds = NULL;
        return mc_fail_sys(rc == EINVAL ? ENOMEM : rc,
                           "%s: cannot reserve %zu bytes of address space (capacity)",
                           seg->path, seg->capacity);
    }
    seg->base = p;
    return 0;
}

static int block_path(const struct segment *seg, unsigned i, char *buf, size_t n)
{
    int w = snprintf(buf, n, "%s/" MC_BLOCK_FMT, seg->path, i);
    return (w < 0 || (size_t)w >= n) ? ENAMETOOLONG : 0;
}

static int map_block(struct segment *seg, unsigned i, bool create)
{
    char path[PATH_MAX];
    if (block_path(seg, i, path, sizeof path))
        return mc_fail(ENAMETOOLONG, "%s: path too long", seg->path);
    int flags = seg->read_only ? O_RDONLY : O_RDWR;
    if (create)
        flags |= O_CREAT | O_EXCL;
    int fd;
    int e = os_open_regular(path, flags, 0644, &fd);
    if (e == EEXIST) /* left by an interrupted grow */
        e = os_open_regular(path, flags & ~(O_CREAT | O_EXCL), 0644, &fd);
    if (e) {
        if (!create && e == ENOENT)
            return mc_fail(EBADMSG, "%s: segment file %s is missing", seg->path, path);
        if (e == EINVAL || e == ELOOP)
            return mc_fail(EBADMSG, "%s: segment file %s is not a regular file", seg->path,
                           path);
        return mc_fail_sys(e, "%s: cannot open segment file %s", seg->path, path);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        e = errno;
        close(fd);
        return mc_fail_sys(e, "%s: cannot stat %s", seg->path, path);
    }
    if ((size_t)st.st_size != seg->block_size) {
        if (!create) {
            close(fd);
            return mc_fail(EBADMSG, "%s: segment file %s has %lld bytes, expected %zu",
                           seg->path, path, (long long)st.st_size, seg->block_size);
        }
        if (ftruncate(fd, (off_t)seg->block_size) != 0) {
            e = errno;
            close(fd);
            unlink(path);
            return mc_fail_sys(e, "%s: cannot size segment file %s", seg->path, path);
        }
    }
    int rc = os_map_file(seg->base + (size_t)i * seg->block_size, seg->block_size, fd, 0,
                         !seg->read_only);
    if (rc) {
        close(fd);
        return mc_fail_sys(rc, "%s: cannot map segment file %s", seg->path, path);
    }
    /* Blocks of an existing datastore keep read-ahead: a reopened heap is
     * read (until a punch, see ra_off). */
    pthread_mutex_lock(&seg->ra_lock);
    if (create && seg->ra != MC_RA_ON)
        (void)os_readahead(seg->base + (size_t)i * seg->block_size, seg->block_size, false);
    if (i + 1 > seg->ra_blocks)
        seg->ra_blocks = i + 1;
    pthread_mutex_unlock(&seg->ra_lock);
    seg->fds[i] = fd;
    return 0;
}

/*
 * Read-ahead on fresh blocks. With it, a first store into a fresh page of
 * the shared file mapping faults in a large folio around the page (zeroed:
 * the extents are unwritten): a heap that fills what it allocates costs
 * about a third per page (alloc_bench W2, one 8-byte store per object:
 * 50 against 150-300 ns per object) and its pages are far cheaper to unmap.
 * Without it, a first touch maps one page. Read-ahead is paid in resident
 * memory: up to read_ahead_kb (8 MiB on this project's test VM) around
 * every first touch, and a page punched by the trimming comes back with
 * its neighbours when touched again, undoing the trim. Hence:
 *  - MC_RA_SMALL: none while the heap's high-water mark is below
 *    MC_RA_MIN_BYTES (a short run's resident memory stays its live bytes);
 *  - MC_RA_ON: read-ahead once the heap grew past that with nothing punched
 *    (it only grows: it fills sequentially what it allocates);
 *  - MC_RA_OFF: none from the first punch on, for every block (the heap
 *    recycles memory now and the trimming must stick).
 */
#define MC_RA_MIN_BYTES ((size_t)128 << 20)

/* Advise blocks [0, ra_blocks) (ra_lock held). */
static void ra_apply(struct segment *seg, bool on)
{
    if (seg->ra_blocks)
        (void)os_readahead(seg->base, (size_t)seg->ra_blocks * seg->block_size, on);
}

void segment_heap_used(struct segment *seg, size_t bytes)
{
    if (bytes < MC_RA_MIN_BYTES || __atomic_load_n(&seg->ra, __ATOMIC_RELAXED) != MC_RA_SMALL)
        return;
    pthread_mutex_lock(&seg->ra_lock);
    if (seg->ra == MC_RA_SMALL) {
        __atomic_store_n(&seg->ra, MC_RA_ON, __ATOMIC_RELAXED);
        ra_apply(seg, true);
    }
    pthread_mutex_unlock(&seg->ra_lock);
}

/* The first punch turns read-ahead off for good (see above). */
static void ra_off(struct segment *seg)
{
    if (__atomic_load_n(&seg->ra, __ATOMIC_RELAXED) == MC_RA_OFF)
        return;
    pthread_mutex_lock(&seg->ra_lock);
    if (seg->ra != MC_RA_OFF) {
        __atomic_store_n(&seg->ra, MC_RA_OFF, __ATOMIC_RELAXED);
        ra_apply(seg, false);
    }
    pthread_mutex_unlock(&seg->ra_lock);
}

int segment_map_existing(struct segment *seg, unsigned n)
{
    if (n > seg->max_blocks)
        return mc_fail(EBADMSG, "%s: %u segment blocks do not fit the capacity", seg->path,
                       n);
    for (unsigned i = 0; i < n; i++) {
        if (map_block(seg, i, false))
            return -1;
        seg->nblocks = i + 1;
    }
    return 0;
}

int segment_grow(struct segment *seg, size_t bytes)
{
    if (bytes > seg->capacity)
        return mc_fail(ENOMEM, "%s: heap capacity of %zu bytes exhausted", seg->path,
                       seg->capacity);
    if (bytes > segment_size(seg) && seg->nblocks == 0) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s/" MC_SEGMENT_DIR, seg->path);
        int rc = os_mkdir_p(dir);
        if (rc)
            return mc_fail_sys(rc, "%s: cannot create %s", seg->path, dir);
    }
    while (bytes > segment_size(seg)) {
        if (map_block(seg, seg->nblocks, true))
            return -1;
        seg->nblocks++;
    }
    return 0;
}

/* Call fn on each piece of [off, off+len) that lies in one block file. */
typedef int (*block_fn)(struct segment *seg, unsigned block, size_t block_off, size_t heap_off,
                        size_t n);

static int for_each_block(struct segment *seg, size_t off, size_t len, block_fn fn)
{
    size_t end = off + len;
    while (off < end) {
        unsigned b = (unsigned)(off / seg->block_size);
        size_t boff = off % seg->block_size;
        size_t n = seg->block_size - boff;
        if (n > end - off)
            n = end - off;
        if (fn(seg, b, boff, off, n))
            return -1;
        off += n;
    }
    return 0;
}

static int back_piece(struct segment *seg, unsigned b, size_t boff, size_t off, size_t n)
{
    if (!__atomic_load_n(&seg->no_fallocate, __ATOMIC_RELAXED)) {
        int rc = os_fallocate(seg->fds[b], (off_t)boff, (off_t)n);
        if (rc == EOPNOTSUPP) /* e.g. some network file systems: stay sparse */
            __atomic_store_n(&seg->no_fallocate, true, __ATOMIC_RELAXED);
        else if (rc)
            return mc_fail_sys(rc, "%s: cannot reserve %zu bytes of disk for the heap",
                               seg->path, n);
    }
    if (seg->numa)
        (void)mc_numa_populate(seg->numa, seg->base + off, n); /* placement is best effort */
    else if (seg->populate)
        (void)os_populate_write(seg->base + off, n); /* a hint: failure is harmless */
    return 0;
}

int segment_back(struct segment *seg, size_t off, size_t len)
{
    return for_each_block(seg, off, len, back_piece);
}

static int punch_piece(struct segment *seg, unsigned b, size_t boff, size_t off, size_t n)
{
    (void)off;
    /* EOPNOTSUPP is a failure too: the blocks and their data stay */
    int rc = os_punch_hole(seg->fds[b], (off_t)boff, (off_t)n);
    if (rc)
        return mc_fail_sys(rc, "%s: cannot release disk blocks", seg->path);
    return 0;
}

struct mc_punch_log {
    pthread_mutex_t mu;
    uint64_t *bits; /* a bit per 4 KiB page of the heap */
    size_t nwords;
    bool lost;      /* out of memory once: every page counts */
};

int segment_punch_log_start(struct segment *seg)
{
    if (__atomic_load_n(&seg->punch_log, __ATOMIC_ACQUIRE))
        return 0;
    struct mc_punch_log *l = calloc(1, sizeof *l);
    if (!l)
        return mc_fail(ENOMEM, "%s: out of memory", seg->path);
    pthread_mutex_init(&l->mu, NULL);
    struct mc_punch_log *none = NULL;
    if (!__atomic_compare_exchange_n(&seg->punch_log, &none, l, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        pthread_mutex_destroy(&l->mu);
        free(l);
    }
    return 0;
}

static void punch_note(struct mc_punch_log *l, size_t off, size_t len)
{
    size_t first = off >> 12, end = (off + len + 4095) >> 12, need = (end + 63) / 64;
    pthread_mutex_lock(&l->mu);
    if (need > l->nwords && !l->lost) {
        size_t nw = l->nwords ? l->nwords : 64;
        while (nw < need)
            nw *= 2;
        uint64_t *nb = realloc(l->bits, nw * 8);
        if (nb) {
            memset(nb + l->nwords, 0, (nw - l->nwords) * 8);
            l->bits = nb;
            l->nwords = nw;
        } else {
            l->lost = true;
        }
    }
    for (size_t p = first; !l->lost && p < end; p++)
        l->bits[p / 64] |= (uint64_t)1 << (p % 64);
    pthread_mutex_unlock(&l->mu);
}

void segment_punch_log_take(struct segment *seg, uint64_t **bits, size_t *nwords, bool *all)
{
    struct mc_punch_log *l = __atomic_load_n(&seg->punch_log, __ATOMIC_ACQUIRE);
    *bits = NULL;
    *nwords = 0;
    *all = false;
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    *bits = l->bits;
    *nwords = l->nwords;
    *all = l->lost;
    l->bits = NULL;
    l->nwords = 0;
    l->lost = false;
    pthread_mutex_unlock(&l->mu);
}

int segment_punch(struct segment *seg, size_t off, size_t len)
{
    if (!seg->read_only)
        ra_off(seg);
    int rc = for_each_block(seg, off, len, punch_piece);
    /* after the punch (even a failed one may have released some pages) */
    struct mc_punch_log *l = __atomic_load_n(&seg->punch_log, __ATOMIC_ACQUIRE);
    if (l)
        punch_note(l, off, len);
    return rc;
}

int segment_sync(struct segment *seg, unsigned nblocks)
{
    for (unsigned i = 0; i < nblocks; i++) {
        int rc = os_fsync(seg->fds[i]);
        if (rc)
            return mc_fail_sys(rc, "%s: cannot write back segment block %u", seg->path, i);
    }
    if (nblocks) { /* the block files' names must be durable too */
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s/" MC_SEGMENT_DIR, seg->path);
        int rc = os_fsync_dir(dir);
        if (rc)
            return mc_fail_sys(rc, "%s: cannot sync %s", seg->path, dir);
    }
    return 0;
}

static void release(struct segment *seg, bool defer, size_t touched)
{
    if (seg->base && defer)
        mc_unmap_deferred(seg->base, seg->capacity, segment_size(seg), touched);
    else if (seg->base)
        os_release(seg->base, seg->capacity);
    if (seg->fds) {
        for (unsigned i = 0; i < seg->max_blocks; i++)
            if (seg->fds[i] >= 0)
                close(seg->fds[i]);
        free(seg->fds);
    }
    struct mc_punch_log *l = seg->punch_log;
    if (l) {
        pthread_mutex_destroy(&l->mu);
        free(l->bits);
        free(l);
    }
    seg->punch_log = NULL;
    seg->base = NULL;
    seg->fds = NULL;
    seg->nblocks = 0;
}

void segment_release(struct segment *seg)
{
    release(seg, false, 0);
}

void segment_release_deferred(struct segment *seg, size_t touched)
{
    release(seg, true, touched);
}
