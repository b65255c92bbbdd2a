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
    info->arena = (uint8_t)a;
    list_push(m, &m->arenas[a].bins[c], ci);
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
        uint32_t ci = b->nonfull;
        if (ci == MC_NONE && (ci = new_chunk(m, a, c)) == MC_NONE)
            break;
        struct chunk_info *info = &m->chunks.info[ci];
        char *cbase = m->head.base_ + ((size_t)ci << MC_CHUNK_SHIFT);
        if (MC_UNLIKELY(info->holes)) {
            /* trimmed at the last close: give the free pages their disk
             * blocks back first, so a full disk is ENOSPC here, not SIGBUS */
            if (segment_back(&m->seg, (size_t)ci << MC_CHUNK_SHIFT, MC_CHUNK_SIZE))
                break;
            info->holes = 0;
        }
        uint64_t *bm = info->bitmap;
        uint32_t w = info->hint, nfree = info->val;
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
        if (info->val == k->nslots) {
            list_remove(m, b, ci);
            chunk_free(m, ci, 1);
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
        if (info[i].val)
            list_push(m, &m->arenas[info[i].arena].bins[info[i].cls], i);
    }
}

/* Punch [start, end) rounded inward to pages; returns 1 if anything was. */
static int punch_inward(metall_manager *m, size_t chunk_off, size_t start, size_t end)
{
    size_t ps = 4096;
    start = (start + ps - 1) & ~(ps - 1);
    end &= ~(ps - 1);
    if (end <= start)
        return 0;
    return segment_punch(&m->seg, chunk_off + start, end - start) == 0;
}

size_t bin_trim_all(metall_manager *m)
{
    size_t chunks = 0;
    struct chunk_info *info = m->chunks.info;
    for (uint32_t ci = 0; ci < m->chunks.nchunks; ci++) {
        if (info[ci].kind != MC_CHUNK_SMALL || info[ci].holes)
            continue;
        const struct class_info *k = &mc_classes[info[ci].cls];
        size_t off = (size_t)ci << MC_CHUNK_SHIFT;
        const uint64_t *bm = info[ci].bitmap;
        int punched = 0;
        /* fewer free bytes than a page cannot free one */
        uint32_t i = (size_t)info[ci].val * k->size < 4096 ? k->nslots : 0;
        while (i < k->nslots) {
            /* skip allocated slots a word at a time */
            if ((i & 63) == 0 && bm[i >> 6] == ~(uint64_t)0) {
                i += 64;
                continue;
            }
            if ((bm[i >> 6] >> (i & 63)) & 1) {
                i++;
                continue;
            }
            uint32_t j = i;
            while (j < k->nslots && !((bm[j >> 6] >> (j & 63)) & 1))
                j++;
            punched |= punch_inward(m, off, (size_t)i * k->size, (size_t)j * k->size);
            i = j;
        }
        /* the tail past the last slot is never used */
        punched |= punch_inward(m, off, (size_t)k->nslots * k->size, MC_CHUNK_SIZE);
        if (punched) {
            info[ci].holes = 1;
            chunks++;
        }
    }
    return chunks;
}
