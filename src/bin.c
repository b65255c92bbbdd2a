/*
 * bin.c - small objects: per size class, a lock and a doubly-linked list of
 * SMALL chunks that have free slots. Slots are found by scanning the chunk's
 * bitmap from a hint word; thread caches take and return slots in batches,
 * so a bin lock is taken once per ~32 allocations or frees.
 *
 * Invariants (under its arena's lock): a SMALL chunk of class c is on the list
 * iff info.val (its free slot count) > 0; bitmap padding bits past nslots
 * are set, so they are never handed out; hint <= first word with a zero.
 */
#include "bin.h"

#include "chunk.h"
#include "error.h"
#include "layout.h"
#include "segment.h"
#include "sizeclass.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void bin_init(metall_manager *m)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    m->narenas = cpus < 1 ? 1 : (unsigned)(2 * cpus);
    if (m->narenas > MC_MAX_ARENAS)
        m->narenas = MC_MAX_ARENAS;
    for (unsigned a = 0; a < MC_MAX_ARENAS; a++) {
        pthread_mutex_init(&m->arenas[a].lock, NULL);
        for (unsigned c = 0; c < MC_NCLASSES; c++)
            m->arenas[a].bins[c].nonfull = MC_NONE;
    }
}

void bin_destroy(metall_manager *m)
{
    for (unsigned a = 0; a < MC_MAX_ARENAS; a++)
        pthread_mutex_destroy(&m->arenas[a].lock);
}

void bin_lock_all(metall_manager *m)
{
    for (unsigned a = 0; a < m->narenas; a++)
        pthread_mutex_lock(&m->arenas[a].lock);
}

void bin_unlock_all(metall_manager *m)
{
    for (unsigned a = m->narenas; a-- > 0;)
        pthread_mutex_unlock(&m->arenas[a].lock);
}

static void list_push(metall_manager *m, struct bin *b, uint32_t ci)
{
    struct chunk_info *info = m->chunks.info;
    info[ci].prev = MC_NONE;
    info[ci].next = b->nonfull;
    if (b->nonfull != MC_NONE)
        info[b->nonfull].prev = ci;
    b->nonfull = ci;
}

static void list_remove(metall_manager *m, struct bin *b, uint32_t ci)
{
    struct chunk_info *info = m->chunks.info;
    uint32_t p = info[ci].prev, n = info[ci].next;
    if (p != MC_NONE)
        info[p].next = n;
    else
        b->nonfull = n;
    if (n != MC_NONE)
        info[n].prev = p;
    info[ci].next = info[ci].prev = MC_NONE;
}

/* Set the padding bits of the last bitmap word. */
static void set_padding(uint64_t *bm, const struct class_info *k)
{
    uint32_t rem = k->nslots & 63;
    if (rem)
        bm[k->words - 1] |= ~(uint64_t)0 << rem;
}

static uint32_t new_chunk(metall_manager *m, unsigned a, unsigned c)
{
    const struct class_info *k = &mc_classes[c];
    /* cache-line aligned and padded: bitmaps of other arenas' chunks are
     * written by other threads */
    size_t bytes = ((size_t)k->words * sizeof(uint64_t) + 63) & ~(size_t)63;
    uint64_t *bm = aligned_alloc(64, bytes);
    if (bm)
        memset(bm, 0, bytes);
    if (!bm) {
        mc_fail(ENOMEM, "%s: out of memory for a slot bitmap", m->path);
        return MC_NONE;
    }
    set_padding(bm, k);
    bool zeroed;
    uint32_t ci = chunk_alloc(m, 1, 1, MC_CHUNK_SMALL, c, &zeroed);
    if (ci == MC_NONE) {
        free(bm);
        return MC_NONE;
    }
    struct chunk_info *info = &m->chunks.info[ci];
    info->bitmap = bm;
    info->val = k->nslots;
    info->hint = 0;
    info->hwm = 0;
    /* atomic: the purger reads it without this arena's lock */
    __atomic_store_n(&info->arena, (uint8_t)a, __ATOMIC_RELAXED);
    list_push(m, &m->arenas[a].bins[c], ci);
    chunk_trim_note(m, ci, false); /* its free end is backed */
    return ci;
}

/* Pages past a chunk's high-water mark that stay backed (never trimmed,
 * and backed again in steps of this size): the next allocations land there,
 * so a flush in the middle of filling a chunk neither punches its end nor
 * makes the next allocations back it page by page. At most this much disk
 * per partly filled chunk. */
#define RUNWAY_PAGES 64u

/* The background trimmer punches runs of at least this many free pages.
 * Each punch holds the block file's locks (page faults on the file wait)
 * and, on a file system mounted with `discard`, waits for the device; at
 * scale 18 of adjlist_bench, runs shorter than 8 pages were ~80% of its
 * punches for ~15% of the pages it freed, and skipping them left the peak
 * resident memory unchanged (169 vs 165-179 MiB) with 1/5 of the punches. */
#define TRIM_MIN_PAGES 8u

/* First page at or after the high-water mark of a chunk. */
static uint32_t hwm_page(const struct chunk_info *info, const struct class_info *k)
{
    size_t end = (size_t)info->hwm * 64 * k->size;
    return end >= MC_CHUNK_SIZE ? MC_CHUNK_PAGES
                                : (uint32_t)((end + (1u << MC_PAGE_SHIFT) - 1) >> MC_PAGE_SHIFT);
}

/* Page-map helpers (MC_CHUNK_PAGES bits). */
static inline bool pbit(const uint64_t *pm, uint32_t p) { return (pm[p >> 6] >> (p & 63)) & 1; }
static inline void pbit_set(uint64_t *pm, uint32_t p) { pm[p >> 6] |= (uint64_t)1 << (p & 63); }
static inline void pbit_clear(uint64_t *pm, uint32_t p) { pm[p >> 6] &= ~((uint64_t)1 << (p & 63)); }

static bool pmap_any(const uint64_t *pm)
{
    for (unsigned w = 0; w < MC_CHUNK_PAGES / 64; w++)
        if (pm[w])
            return true;
    return false;
}

/* Give disk blocks back to the punched pages among [p0, p1] of chunk ci,
 * and to those of the runway after p1 (one fallocate per run of holes).
 * Arena lock held. */
static int reback_pages(metall_manager *m, struct chunk_info *info, uint32_t ci, uint32_t p0,
                        uint32_t p1)
{
    uint64_t *pm = info->pmap;
    size_t off = (size_t)ci << MC_CHUNK_SHIFT;
    uint32_t lim = p1 + RUNWAY_PAGES < MC_CHUNK_PAGES ? p1 + RUNWAY_PAGES : MC_CHUNK_PAGES - 1;
    for (uint32_t p = p0; p <= p1; p++) {
        if (!pbit(pm, p))
            continue;
        uint32_t s = p, e = p;
        while (e + 1 <= lim && pbit(pm, e + 1))
            e++;
        if (segment_back(&m->seg, off + ((size_t)s << MC_PAGE_SHIFT),
                         (size_t)(e - s + 1) << MC_PAGE_SHIFT))
            return -1;
        for (uint32_t q = s; q <= e; q++)
            pbit_clear(pm, q);
        p = e;
    }
    if (!pmap_any(pm))
        info->holes = 0;
    if (!info->in_dirty)
        chunk_trim_note(m, ci, false); /* backed free pages again */
    return 0;
}

/* Back what the slots out[0..n) of chunk ci need (it has holes). On
 * failure the slots are put back and -1 returned. Arena lock held. */
static int back_taken(metall_manager *m, struct chunk_info *info, uint32_t ci,
                      const struct class_info *k, void **out, unsigned n)
{
    char *cbase = m->head.base_ + ((size_t)ci << MC_CHUNK_SHIFT);
    int rc;
    if (!info->pmap) { /* trimmed at a past close: pages unknown, back it all */
        rc = segment_back(&m->seg, (size_t)ci << MC_CHUNK_SHIFT, MC_CHUNK_SIZE);
        if (rc == 0) {
            info->holes = 0;
            chunk_trim_note(m, ci, false);
        }
    } else {
        size_t lo = (size_t)((char *)out[0] - cbase), hi = (size_t)((char *)out[n - 1] - cbase);
        rc = reback_pages(m, info, ci, (uint32_t)(lo >> MC_PAGE_SHIFT),
                          (uint32_t)((hi + k->size - 1) >> MC_PAGE_SHIFT));
    }
    if (rc == 0)
        return 0;
    for (unsigned q = 0; q < n; q++) { /* disk full: give the slots back */
        uint32_t idx = (uint32_t)((((size_t)((char *)out[q] - cbase)) * k->div_magic) >> 32);
        info->bitmap[idx >> 6] &= ~((uint64_t)1 << (idx & 63));
        if ((idx >> 6) < info->hint)
            info->hint = idx >> 6;
    }
    info->val += n;
    return -1;
}

/* The first chunk of the bin's list that is not being trimmed. */
static uint32_t usable_chunk(metall_manager *m, struct bin *b)
{
    uint32_t ci = b->nonfull;
    while (ci != MC_NONE && m->chunks.info[ci].trimming)
        ci = m->chunks.info[ci].next;
    return ci;
}

unsigned bin_alloc_batch(metall_manager *m, unsigned a, unsigned c, void **out, unsigned want)
{
    const struct class_info *k = &mc_classes[c];
    struct arena *ar = &m->arenas[a];
    struct bin *b = &ar->bins[c];
    unsigned got = 0;
    pthread_mutex_lock(&ar->lock);
    while (got < want) {
        uint32_t ci = usable_chunk(m, b);
        if (ci == MC_NONE && (ci = new_chunk(m, a, c)) == MC_NONE)
            break;
        struct chunk_info *info = &m->chunks.info[ci];
        char *cbase = m->head.base_ + ((size_t)ci << MC_CHUNK_SHIFT);
        uint64_t *bm = info->bitmap;
        uint32_t w = info->hint, nfree = info->val;
        unsigned first = got;
        while (got < want && nfree) {
            uint64_t fb = ~bm[w];
            if (!fb) {
                w++;
                continue;
            }
            uint64_t taken = 0;
            do {
                unsigned bit = (unsigned)__builtin_ctzll(fb);
                fb &= fb - 1;
                taken |= (uint64_t)1 << bit;
                out[got++] = cbase + (size_t)((w << 6) + bit) * k->size;
                nfree--;
            } while (fb && got < want);
            bm[w] |= taken;
        }
        info->hint = w;
        info->val = nfree;
        if (w + 1 > info->hwm)
            info->hwm = w + 1;
        if (MC_UNLIKELY(info->holes) && got > first &&
            back_taken(m, info, ci, k, out + first, got - first)) {
            /* a full disk is ENOSPC here, not SIGBUS at the first store */
            got = first;
            break;
        }
        if (info->val == 0)
            list_remove(m, b, ci);
    }
    pthread_mutex_unlock(&ar->lock);
    return got;
}

void bin_free_batch(metall_manager *m, unsigned c, void *const *slots, unsigned n)
{
    const struct class_info *k = &mc_classes[c];
    char *base = m->head.base_;
    struct arena *ar = NULL;
    for (unsigned i = 0; i < n; i++) {
        size_t off = (size_t)((char *)slots[i] - base);
        uint32_t ci = (uint32_t)(off >> MC_CHUNK_SHIFT);
        struct chunk_info *info = &m->chunks.info[ci];
        /* slots freed by one thread may come from several arenas: hold the
         * lock of the current slot's arena (usually one for the batch). A
         * chunk's arena is stable while one of its slots is allocated. */
        struct arena *want = &m->arenas[info->arena];
        if (want != ar) {
            if (ar)
                pthread_mutex_unlock(&ar->lock);
            ar = want;
            pthread_mutex_lock(&ar->lock);
        }
        struct bin *b = &ar->bins[c];
        uint32_t idx = (uint32_t)(((off & MC_CHUNK_MASK) * k->div_magic) >> 32);
        uint32_t w = idx >> 6;
        uint64_t bit = (uint64_t)1 << (idx & 63);
        if (MC_UNLIKELY(info->kind != MC_CHUNK_SMALL || info->cls != c ||
                        (size_t)idx * k->size != (off & MC_CHUNK_MASK) ||
                        !(info->bitmap[w] & bit)))
            continue; /* double free or foreign pointer: ignore, never corrupt */
        info->bitmap[w] &= ~bit;
        if (w < info->hint)
            info->hint = w;
        if (info->val++ == 0)
            list_push(m, b, ci);
        if (info->val == k->nslots && !info->trimming) {
            list_remove(m, b, ci);
            chunk_free(m, ci, 1);
        } else if (MC_UNLIKELY(!info->in_tq || !info->in_dirty)) {
            chunk_trim_note(m, ci, true);
        }
    }
    if (ar)
        pthread_mutex_unlock(&ar->lock);
}

bool bin_slot_allocated(metall_manager *m, uint32_t ci, size_t off_in_chunk)
{
    struct chunk_info *info = &m->chunks.info[ci];
    const struct class_info *k = &mc_classes[info->cls];
    if (off_in_chunk % k->size)
        return false;
    size_t idx = off_in_chunk / k->size;
    if (idx >= k->nslots)
        return false;
    return (info->bitmap[idx >> 6] >> (idx & 63)) & 1;
}

void bin_rebuild(metall_manager *m)
{
    struct chunk_info *info = m->chunks.info;
    for (unsigned a = 0; a < MC_MAX_ARENAS; a++)
        for (unsigned c = 0; c < MC_NCLASSES; c++)
            m->arenas[a].bins[c].nonfull = MC_NONE;
    /* push in reverse so the lowest chunks are used first */
    for (uint32_t i = m->chunks.nchunks; i-- > 0;) {
        if (info[i].kind != MC_CHUNK_SMALL)
            continue;
        const struct class_info *k = &mc_classes[info[i].cls];
        uint32_t w = 0;
        while (w < k->words && info[i].bitmap[w] == ~(uint64_t)0)
            w++;
        info[i].hint = w < k->words ? w : k->words - 1;
        info[i].next = info[i].prev = MC_NONE;
        info[i].arena = (uint8_t)(i % m->narenas);
        info[i].hwm = k->words; /* not known: all of it may have been used */
        if (info[i].val)
            list_push(m, &m->arenas[info[i].arena].bins[info[i].cls], i);
    }
}

/* Are slots [s0, s1) all free? */
static bool slots_free(const uint64_t *bm, uint32_t s0, uint32_t s1)
{
    while (s0 < s1) {
        uint32_t w = s0 >> 6, b = s0 & 63;
        uint32_t n = 64 - b < s1 - s0 ? 64 - b : s1 - s0;
        uint64_t mask = (n == 64 ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1)) << b;
        if (bm[w] & mask)
            return false;
        s0 += n;
    }
    return true;
}

/* Runs of at least `min` fully free, still backed pages of a SMALL chunk,
 * up to page `lim`: run r is [st[r], en[r]). Arena lock held. Returns the
 * run count. */
static unsigned free_runs(const struct chunk_info *info, const struct class_info *k,
                          uint32_t lim, uint32_t min, uint16_t *st, uint16_t *en)
{
    unsigned nr = 0;
    uint32_t rw = hwm_page(info, k); /* the runway: [rw, rw + RUNWAY_PAGES) */
    for (uint32_t p = 0; p < lim; p++) {
        if ((info->pmap && pbit(info->pmap, p)) || (p >= rw && p < rw + RUNWAY_PAGES))
            continue;
        uint32_t s0 = (uint32_t)(((size_t)p << MC_PAGE_SHIFT) / k->size);
        uint32_t s1 = (uint32_t)((((size_t)(p + 1) << MC_PAGE_SHIFT) + k->size - 1) / k->size);
        if (s0 > k->nslots)
            s0 = k->nslots;
        if (s1 > k->nslots)
            s1 = k->nslots;
        if (!slots_free(info->bitmap, s0, s1))
            continue;
        if (nr && en[nr - 1] == p)
            en[nr - 1] = (uint16_t)(p + 1);
        else {
            st[nr] = (uint16_t)p;
            en[nr++] = (uint16_t)(p + 1);
        }
    }
    unsigned kept = 0;
    for (unsigned r = 0; r < nr; r++)
        if ((uint32_t)(en[r] - st[r]) >= min) {
            st[kept] = st[r];
            en[kept++] = en[r];
        }
    return kept;
}

int bin_trim_chunk(metall_manager *m, uint32_t ci, bool full, bool wait)
{
    struct chunk_info *info = &m->chunks.info[ci];
    unsigned a = __atomic_load_n(&info->arena, __ATOMIC_RELAXED);
    struct arena *ar = &m->arenas[a < MC_MAX_ARENAS ? a : 0];
    if (wait)
        pthread_mutex_lock(&ar->lock);
    else if (pthread_mutex_trylock(&ar->lock) != 0)
        return -1;
    if (info->trimming || !chunk_trim_take(m, ci, a, full)) {
        pthread_mutex_unlock(&ar->lock);
        return 0;
    }
    const struct class_info *k = &mc_classes[info->cls];
    /* background: only pages below the high-water mark (they were used,
     * so they may be resident); the rest of a chunk being filled is next */
    uint32_t lim = full ? MC_CHUNK_PAGES : hwm_page(info, k);
    uint16_t st[MC_CHUNK_PAGES / 2 + 1], en[MC_CHUNK_PAGES / 2 + 1];
    uint32_t min = full ? 1 : TRIM_MIN_PAGES;
    unsigned nr = (full || (size_t)info->val * k->size >= ((size_t)min << MC_PAGE_SHIFT))
                      ? free_runs(info, k, lim, min, st, en) : 0;
    if (nr && !info->pmap && !(info->pmap = calloc(MC_CHUNK_PAGES / 64, sizeof(uint64_t))))
        nr = 0; /* no memory to remember holes: leave the chunk backed */
    if (!nr) {
        pthread_mutex_unlock(&ar->lock);
        return 0;
    }
    if (info->holes && !pmap_any(info->pmap)) /* holes of a past close: unknown */
        memset(info->pmap, 0xff, MC_CHUNK_PAGES / 8); /* back all before use */
    info->trimming = 1; /* allocation skips it; frees do not release it */
    pthread_mutex_unlock(&ar->lock);
    /* punch without the lock: the pages' slots are free and stay free */
    size_t off = (size_t)ci << MC_CHUNK_SHIFT;
    bool ok[MC_CHUNK_PAGES / 2 + 1];
    int pages = 0;
    for (unsigned r = 0; r < nr; r++) {
        ok[r] = segment_punch(&m->seg, off + ((size_t)st[r] << MC_PAGE_SHIFT),
                              (size_t)(en[r] - st[r]) << MC_PAGE_SHIFT) == 0;
        pages += ok[r] ? en[r] - st[r] : 0;
    }
    pthread_mutex_lock(&ar->lock);
    info->trimming = 0;
    for (unsigned r = 0; r < nr; r++)
        for (uint32_t p = st[r]; ok[r] && p < en[r]; p++)
            pbit_set(info->pmap, p);
    if (pages)
        info->holes = 1;
    if (info->val == k->nslots) { /* emptied meanwhile: release it now */
        list_remove(m, &ar->bins[info->cls], ci);
        chunk_free(m, ci, 1);
    }
    pthread_mutex_unlock(&ar->lock);
    return pages;
}
