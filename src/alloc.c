/*
 * alloc.c - metall_malloc/free/calloc/realloc/aligned_alloc/usable_size.
 *
 * Fast path (small objects, the calling thread has a cache for m): one TLS
 * compare, a size-class computation and a pop from / push onto a per-class
 * stack; no lock, no atomic read-modify-write, no system call. Everything
 * else (refills, drains, large objects, read-only managers, errors) is in
 * out-of-line slow paths. free() ignores pointers past the heap's
 * high-water mark (heap_end) and into chunks without a size class; it does
 * not detect double frees or interior pointers of small objects on the fast
 * path (measured: 7-9 more instructions per free), only when the slots
 * reach the bins. Counts are stored with relaxed atomics only so
 * that stats may read them from another thread; on x86-64 and aarch64 they
 * compile to plain loads and stores.
 */
#include "bin.h"
#include "chunk.h"
#include "error.h"
#include "layout.h"
#include "sizeclass.h"
#include "tcache.h"

#include <stdlib.h>
#include <string.h>

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

static void *fail_ptr(int err, const char *fmt, const char *path)
{
    mc_fail(err, fmt, path);
    return NULL;
}

/* Check that m may allocate; sets the error. */
static bool writable(metall_manager *m)
{
    if (MC_UNLIKELY(!m)) {
        mc_fail(EINVAL, "metall: NULL manager");
        return false;
    }
    if (MC_UNLIKELY(m->read_only)) {
        mc_fail(EROFS, "%s: the datastore is open read-only", m->path);
        return false;
    }
    return mc_check_owner(m) == 0;
}

static void *large_alloc(metall_manager *m, size_t size, size_t align, bool *zeroed)
{
    size_t n = (size + MC_CHUNK_MASK) >> MC_CHUNK_SHIFT;
    if (size > m->seg.capacity || n == 0)
        return fail_ptr(ENOMEM, "%s: request larger than the heap capacity", m->path);
    size_t a = align > MC_CHUNK_SIZE ? align >> MC_CHUNK_SHIFT : 1;
    /* runs are aligned by chunk index: that aligns addresses only up to the
     * base's own alignment */
    uintptr_t base_align = (uintptr_t)m->head.base_ & -(uintptr_t)m->head.base_;
    if (a > m->chunks.max_chunks || (align > MC_CHUNK_SIZE && align > base_align))
        return fail_ptr(ENOMEM, "%s: alignment larger than the heap can provide", m->path);
    bool z;
    uint32_t idx = chunk_alloc(m, (uint32_t)n, (uint32_t)a, MC_CHUNK_LARGE, 0, &z);
    if (idx == MC_NONE)
        return NULL;
    if (zeroed)
        *zeroed = z;
    return m->head.base_ + ((size_t)idx << MC_CHUNK_SHIFT);
}

/* One slot of class c, bypassing (or refilling) the thread cache. */
static __attribute__((noinline)) void *small_refill(metall_manager *m, struct tcache *tc,
                                                    unsigned c)
{
    if (!tc) {
        void *p;
        return bin_alloc_batch(m, 0, c, &p, 1) ? p : NULL;
    }
    struct tbin *b = &tc->bins[c];
    unsigned got = bin_alloc_batch(m, tc->arena, c, b->slots, b->cap / 2);
    if (!got)
        return NULL;
    STORE(b->count, got - 1);
    return b->slots[got - 1];
}

static __attribute__((noinline)) void *malloc_slow(metall_manager *m, size_t size)
{
    if (!writable(m))
        return NULL;
    if (size > MC_SMALL_MAX)
        return large_alloc(m, size, 0, NULL);
    return small_refill(m, tcache_get(m), mc_size_class(size));
}

void *metall_malloc(metall_manager *m, size_t size)
{
    if (MC_LIKELY(m && size <= MC_SMALL_MAX)) {
        struct tcache *tc = tcache_get(m);
        if (MC_LIKELY(tc != NULL)) {
            unsigned c = mc_size_class(size);
            struct tbin *b = &tc->bins[c];
            uint32_t n = LOAD(b->count);
            if (MC_LIKELY(n != 0)) {
                STORE(b->count, n - 1);
                return b->slots[n - 1];
            }
            return small_refill(m, tc, c);
        }
    }
    return malloc_slow(m, size);
}

static __attribute__((noinline)) void free_drain(metall_manager *m, struct tbin *b, unsigned c,
                                                 void *p)
{
    uint32_t n = b->count, half = b->cap / 2;
    /* return the older half; keep the recently freed (cache-hot) slots */
    bin_free_batch(m, c, b->slots, half);
    memmove(b->slots, b->slots + half, (n - half) * sizeof(void *));
    b->slots[n - half] = p;
    STORE(b->count, n - half + 1);
}

static __attribute__((noinline)) void free_slow(metall_manager *m, void *p, size_t off,
                                                unsigned c)
{
    if (!m || m->read_only || off >= LOAD(m->heap_end) || m->pid != mc_process_id())
        return; /* not ours to free (or a forked child's): ignore, as documented */
    if (c < MC_NCLASSES) {
        bin_free_batch(m, c, &p, 1);
        return;
    }
    if (c == MC_CLS_LARGE && !(off & MC_CHUNK_MASK))
        chunk_free_large(m, (uint32_t)(off >> MC_CHUNK_SHIFT));
}

void metall_free(metall_manager *m, void *ptr)
{
    if (MC_UNLIKELY(!ptr || !m))
        return;
    size_t off = (size_t)((char *)ptr - m->head.base_);
    if (MC_UNLIKELY(off >= LOAD(m->heap_end)))
        return; /* outside the heap, or in a chunk never used */
    unsigned c = atomic_load_explicit(&m->chunk_cls[off >> MC_CHUNK_SHIFT], memory_order_relaxed);
    if (MC_LIKELY(c < MC_NCLASSES)) {
        struct tcache *tc = tcache_get(m);
        if (MC_LIKELY(tc != NULL)) {
            struct tbin *b = &tc->bins[c];
            uint32_t n = LOAD(b->count);
            if (MC_LIKELY(n < b->cap)) {
                b->slots[n] = ptr;
                STORE(b->count, n + 1);
                return;
            }
            free_drain(m, b, c, ptr);
            return;
        }
    }
    free_slow(m, ptr, off, c);
}

void *metall_calloc(metall_manager *m, size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        mc_fail(ENOMEM, "%s: calloc size overflows", m ? m->path : "metall");
        return NULL;
    }
    if (total > MC_SMALL_MAX) {
        if (!writable(m))
            return NULL;
        bool zeroed = false;
        void *p = large_alloc(m, total, 0, &zeroed);
        if (p && !zeroed)
            memset(p, 0, total);
        return p;
    }
    void *p = metall_malloc(m, total);
    if (p)
        memset(p, 0, total);
    return p;
}

size_t metall_usable_size(metall_manager *m, const void *ptr)
{
    if (!m || !ptr)
        return 0;
    size_t off = (size_t)((const char *)ptr - m->head.base_);
    if (off >= LOAD(m->heap_end))
        return 0;
    unsigned c = atomic_load_explicit(&m->chunk_cls[off >> MC_CHUNK_SHIFT], memory_order_relaxed);
    if (c < MC_NCLASSES) /* a slot's start, not a pointer into one */
        return (off & MC_CHUNK_MASK) % mc_classes[c].size ? 0 : mc_classes[c].size;
    if (c == MC_CLS_LARGE && !(off & MC_CHUNK_MASK))
        return (size_t)chunk_large_len(m, (uint32_t)(off >> MC_CHUNK_SHIFT)) << MC_CHUNK_SHIFT;
    return 0;
}

void *metall_realloc(metall_manager *m, void *ptr, size_t size)
{
    if (!ptr)
        return metall_malloc(m, size);
    if (!writable(m))
        return NULL;
    if (size == 0) {
        metall_free(m, ptr);
        return NULL;
    }
    size_t off = (size_t)((char *)ptr - m->head.base_);
    if (off >= LOAD(m->heap_end)) {
        mc_fail(EINVAL, "%s: realloc of a pointer outside the heap", m->path);
        return NULL;
    }
    unsigned c = atomic_load_explicit(&m->chunk_cls[off >> MC_CHUNK_SHIFT], memory_order_relaxed);
    size_t old;
    if (c < MC_NCLASSES) {
        old = mc_classes[c].size;
        if (size <= MC_SMALL_MAX && mc_size_class(size) == c)
            return ptr;
    } else {
        uint32_t idx = (uint32_t)(off >> MC_CHUNK_SHIFT);
        uint32_t n = chunk_large_len(m, idx);
        if (!n || (off & MC_CHUNK_MASK)) {
            mc_fail(EINVAL, "%s: realloc of a pointer that is not an allocated object", m->path);
            return NULL;
        }
        old = (size_t)n << MC_CHUNK_SHIFT;
        if (size > m->seg.capacity) {
            mc_fail(ENOMEM, "%s: request larger than the heap capacity", m->path);
            return NULL;
        }
        if (size > MC_SMALL_MAX) {
            size_t n2 = (size + MC_CHUNK_MASK) >> MC_CHUNK_SHIFT;
            if (n2 > m->chunks.max_chunks) {
                mc_fail(ENOMEM, "%s: request larger than the heap capacity", m->path);
                return NULL;
            }
            if (n2 <= n) {
                chunk_shrink_large(m, idx, (uint32_t)n2);
                return ptr;
            }
            if (chunk_grow_in_place(m, idx, n, (uint32_t)n2) == 0)
                return ptr;
        }
    }
    void *q = metall_malloc(m, size);
    if (!q)
        return NULL;
    memcpy(q, ptr, old < size ? old : size);
    metall_free(m, ptr);
    return q;
}

void *metall_aligned_alloc(metall_manager *m, size_t alignment, size_t size)
{
    if (alignment == 0 || (alignment & (alignment - 1))) {
        mc_fail(EINVAL, "%s: alignment %zu is not a power of two", m ? m->path : "metall",
                alignment);
        return NULL;
    }
    if (alignment <= 16)
        return metall_malloc(m, size < alignment ? alignment : size);
    if (!writable(m))
        return NULL;
    if (size < alignment)
        size = alignment;
    if (size <= MC_SMALL_MAX) {
        for (unsigned c = mc_size_class(size); c < MC_NCLASSES; c++)
            if (mc_classes[c].size % alignment == 0)
                return metall_malloc(m, mc_classes[c].size);
    }
    return large_alloc(m, size, alignment, NULL);
}
