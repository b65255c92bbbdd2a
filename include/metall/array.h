/**
 * @file array.h
 * @brief metall_array: a growable array of fixed-size elements that lives
 *        wholly inside a datastore.
 *
 * A ::metall_array is a 32-byte header (the element buffer's *offset*, the
 * size, the capacity and the element size) that the caller places in the
 * heap: as a named object (metall_named_malloc()), inside a struct of its
 * own, or as the value of a ::metall_hashmap. It holds no raw pointer, so
 * it can be reopened at another address and can be moved (copied byte for
 * byte) to another place, which is what a hash map does when it rehashes.
 *
 * @code
 *   metall_manager *m = metall_create("/tmp/ds");
 *   metall_array *a = metall_named_malloc(m, "numbers", sizeof *a);
 *   metall_array_init(m, a, sizeof(uint64_t));
 *   for (uint64_t i = 0; i < 1000; i++)
 *       metall_array_push_back(m, a, &i);
 *   metall_close(m);
 *   // later run:
 *   m = metall_open("/tmp/ds");
 *   a = metall_find(m, "numbers");
 *   uint64_t *v = metall_array_data(m, a);  // v[0..metall_array_size(a))
 * @endcode
 *
 * Growth: when full, the capacity grows by half (at least to 4 elements)
 * through the allocator's realloc, so push_back copies amortised O(1)
 * elements and the buffer wastes at most a third of its bytes; the
 * capacity then takes in the whole usable size of the object the allocator
 * returned (metall_usable_size()), so size-class rounding is not wasted. Shrinking
 * (metall_array_shrink_to_fit(), metall_array_destroy()) frees what is
 * dropped.
 *
 * Errors follow metall.h: functions returning a pointer return NULL, those
 * returning bool return false, with errno set: EINVAL (NULL argument, an
 * array that was never initialised), ENOMEM (capacity of the heap, or an
 * overflow of count * element size), ERANGE (index out of range), and the
 * allocator's errors (ENOSPC, EROFS for a read-only manager).
 *
 * Pointers returned by metall_array_at(), metall_array_data() and
 * metall_array_push_back() stay valid until the next call that changes the
 * capacity (push_back, reserve, resize, shrink_to_fit, destroy).
 *
 * Threads: an array is not synchronised; guard it yourself when several
 * threads modify it. Crash consistency: none beyond the datastore's own
 * (metall_flush()/metall_close() persist it; after a crash, restore the
 * datastore from a snapshot).
 *
 * Every function also exists with the suffix `_a`, taking a
 * ::metall_container_alloc instead of a manager, so the same container code
 * can run over another allocator (the graph benchmark's baselines do this).
 * All functions are `static inline`: the header needs no extra library.
 */
#ifndef METALL_ARRAY_H
#define METALL_ARRAY_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <metall/metall.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/** @name Allocators for containers */
/** @{ */

/**
 * Where a container's memory comes from. Containers store offsets from
 * @c base; for a metall_manager, @c base is the heap's base (see
 * metall_container_alloc_of()). For an allocator of ordinary memory @c base
 * is 0 and offsets are addresses.
 */
typedef struct metall_container_alloc {
    void *ctx;       /**< the allocator's handle, passed to the functions below */
    uintptr_t base;  /**< offsets are relative to this address */
    /** Like realloc(): @p ptr NULL allocates; returns NULL with errno on
     *  failure (the old object untouched). @p old_size is the size the
     *  container asked for last time (0 for a new object). */
    void *(*resize)(void *ctx, void *ptr, size_t old_size, size_t new_size);
    /** Free an object (NULL ignored); @p size is the size asked for. */
    void (*release)(void *ctx, void *ptr, size_t size);
    /** The usable size of an object (at least the size asked for), so that
     *  an array uses the whole size class it got; may be NULL. */
    size_t (*usable)(void *ctx, const void *ptr);
} metall_container_alloc;

/** @cond INTERNAL */
static inline void *metall_container_resize_(void *ctx, void *ptr, size_t old_size,
                                             size_t new_size)
{
    (void)old_size;
    return metall_realloc((metall_manager *)ctx, ptr, new_size);
}

static inline void metall_container_release_(void *ctx, void *ptr, size_t size)
{
    (void)size;
    metall_free((metall_manager *)ctx, ptr);
}

static inline size_t metall_container_usable_(void *ctx, const void *ptr)
{
    return metall_usable_size((metall_manager *)ctx, ptr);
}

static inline void *metall_container_ptr_(const metall_container_alloc *al, uint64_t off)
{
    return off ? (void *)(al->base + (uintptr_t)off) : NULL;
}

static inline uint64_t metall_container_off_(const metall_container_alloc *al, const void *p)
{
    return p ? (uint64_t)((uintptr_t)p - al->base) : 0;
}
/** @endcond */

/**
 * The container allocator of manager @p m: metall_realloc()/metall_free(),
 * offsets from the heap's base (the same offsets as metall_offset_of()).
 */
static inline metall_container_alloc metall_container_alloc_of(metall_manager *m)
{
    metall_container_alloc al;
    al.ctx = m;
    /* offset 1 is never dereferenced: it only tells where the base is */
    al.base = m ? (uintptr_t)metall_ptr_at(m, 1) - 1 : 0;
    al.resize = metall_container_resize_;
    al.release = metall_container_release_;
    al.usable = metall_container_usable_;
    return al;
}

/** @} */

/* ------------------------------------------------------------------------ */
/** @name Array */
/** @{ */

/**
 * A growable array of fixed-size elements. Place it in the heap and
 * initialise it with metall_array_init(); all-zero bytes are *not* a valid
 * array (the element size is missing). Fields are read-only for users.
 */
typedef struct metall_array {
    uint64_t data;      /**< offset of the element buffer; 0 when there is none */
    uint64_t size;      /**< elements in use */
    uint64_t capacity;  /**< elements the buffer holds */
    uint32_t elem_size; /**< bytes per element (> 0 once initialised) */
    uint32_t reserved_; /**< 0; room for flags */
} metall_array;

/** @cond INTERNAL */
static inline bool metall_array_fail_(int err)
{
    errno = err;
    return false;
}

/* Set the capacity to exactly n (n >= size). */
static inline bool metall_array_realloc_(const metall_container_alloc *al, metall_array *a,
                                         uint64_t n)
{
    size_t bytes;
    if ((uint64_t)(size_t)n != n ||
        __builtin_mul_overflow((size_t)n, (size_t)a->elem_size, &bytes))
        return metall_array_fail_(ENOMEM);
    if (n == 0) {
        al->release(al->ctx, metall_container_ptr_(al, a->data),
                    (size_t)a->capacity * a->elem_size);
        a->data = 0;
        a->capacity = 0;
        return true;
    }
    void *p = al->resize(al->ctx, metall_container_ptr_(al, a->data),
                         (size_t)a->capacity * a->elem_size, bytes);
    if (!p)
        return false; /* errno set by the allocator */
    a->data = metall_container_off_(al, p);
    if (al->usable) { /* the slack of the allocator's size class is ours too */
        uint64_t u = al->usable(al->ctx, p) / a->elem_size;
        if (u > n)
            n = u;
    }
    a->capacity = n;
    return true;
}

/* Grow so that at least `need` elements fit: by half, at least 4. */
static __attribute__((noinline, unused)) bool
metall_array_grow_(const metall_container_alloc *al, metall_array *a, uint64_t need)
{
    if (!a->elem_size)
        return metall_array_fail_(EINVAL);
    uint64_t n = a->capacity + a->capacity / 2;
    if (n < 4)
        n = 4;
    if (n < need)
        n = need;
    return metall_array_realloc_(al, a, n);
}
/** @endcond */

/**
 * Initialise @p a (which must be in @p al's heap, or anywhere for an
 * ordinary allocator) as an empty array of @p elem_size-byte elements.
 * Allocates nothing. Do not init an array that holds a buffer: it leaks.
 * @return true; false with EINVAL if @p a is NULL or @p elem_size is 0 or
 *         above 2^32-1.
 */
static inline bool metall_array_init_a(const metall_container_alloc *al, metall_array *a,
                                       size_t elem_size)
{
    (void)al;
    if (!a || elem_size == 0 || elem_size > UINT32_MAX)
        return metall_array_fail_(EINVAL);
    a->data = 0;
    a->size = 0;
    a->capacity = 0;
    a->elem_size = (uint32_t)elem_size;
    a->reserved_ = 0;
    return true;
}

/** The number of elements. */
static inline size_t metall_array_size(const metall_array *a)
{
    return (size_t)a->size;
}

/** The number of elements that fit without reallocating. */
static inline size_t metall_array_capacity(const metall_array *a)
{
    return (size_t)a->capacity;
}

/** The first element (NULL when the array holds no buffer). */
static inline void *metall_array_data_a(const metall_container_alloc *al, const metall_array *a)
{
    return metall_container_ptr_(al, a->data);
}

/** Element @p i, or NULL with ERANGE if @p i >= size. */
static inline void *metall_array_at_a(const metall_container_alloc *al, const metall_array *a,
                                      size_t i)
{
    if (i >= a->size) {
        errno = ERANGE;
        return NULL;
    }
    return (char *)metall_container_ptr_(al, a->data) + i * a->elem_size;
}

/**
 * Make room for at least @p n elements (never shrinks).
 * @return true; false with errno (ENOMEM, ENOSPC, EROFS, EINVAL).
 */
static inline bool metall_array_reserve_a(const metall_container_alloc *al, metall_array *a,
                                          size_t n)
{
    if (!a || !a->elem_size)
        return metall_array_fail_(EINVAL);
    return n <= a->capacity || metall_array_realloc_(al, a, n);
}

/**
 * Append one element, copied from @p elem (zeroed if @p elem is NULL).
 * @return the stored element; NULL with errno (ENOMEM, ENOSPC, EROFS,
 *         EINVAL) and the array unchanged.
 */
static inline void *metall_array_push_back_a(const metall_container_alloc *al, metall_array *a,
                                             const void *elem)
{
    if (__builtin_expect(a->size == a->capacity, 0) && !metall_array_grow_(al, a, a->size + 1))
        return NULL;
    size_t es = a->elem_size;
    char *p = (char *)metall_container_ptr_(al, a->data) + (size_t)a->size * es;
    if (es == 8 && elem) /* the common u64 case without a variable-size memcpy */
        memcpy(p, elem, 8);
    else if (elem)
        memcpy(p, elem, es);
    else
        memset(p, 0, es);
    a->size++;
    return p;
}

/**
 * Remove the last element, copying it to @p out unless @p out is NULL.
 * The capacity is kept.
 * @return true; false with ERANGE if the array is empty.
 */
static inline bool metall_array_pop_back_a(const metall_container_alloc *al, metall_array *a,
                                           void *out)
{
    if (a->size == 0)
        return metall_array_fail_(ERANGE);
    a->size--;
    if (out)
        memcpy(out, (char *)metall_container_ptr_(al, a->data) + (size_t)a->size * a->elem_size,
               a->elem_size);
    return true;
}

/**
 * Set the size to @p n: new elements are zeroed, dropped ones are
 * forgotten (the capacity is kept; see metall_array_shrink_to_fit()).
 * @return true; false with errno and the array unchanged.
 */
static inline bool metall_array_resize_a(const metall_container_alloc *al, metall_array *a,
                                         size_t n)
{
    if (!a || !a->elem_size)
        return metall_array_fail_(EINVAL);
    if (n > a->capacity) {
        uint64_t g = a->capacity + a->capacity / 2;
        if (!metall_array_realloc_(al, a, n > g ? n : g))
            return false;
    }
    if (n > a->size)
        memset((char *)metall_container_ptr_(al, a->data) + (size_t)a->size * a->elem_size, 0,
               (size_t)(n - a->size) * a->elem_size);
    a->size = n;
    return true;
}

/** Remove all elements; the buffer is kept for reuse. */
static inline void metall_array_clear(metall_array *a)
{
    a->size = 0;
}

/**
 * Reduce the capacity to the size, freeing the buffer of an empty array.
 * @return true; false with errno (the array is then unchanged).
 */
static inline bool metall_array_shrink_to_fit_a(const metall_container_alloc *al,
                                                metall_array *a)
{
    if (!a || !a->elem_size)
        return metall_array_fail_(EINVAL);
    return a->size == a->capacity || metall_array_realloc_(al, a, a->size);
}

/**
 * Free the buffer and leave an empty array of the same element size (the
 * header itself belongs to the caller). NULL is ignored.
 */
static inline void metall_array_destroy_a(const metall_container_alloc *al, metall_array *a)
{
    if (!a)
        return;
    al->release(al->ctx, metall_container_ptr_(al, a->data), (size_t)a->capacity * a->elem_size);
    a->data = 0;
    a->size = 0;
    a->capacity = 0;
}

/* --- the same, on a metall_manager --------------------------------------- */

/** metall_array_init_a() in @p m's heap. */
static inline bool metall_array_init(metall_manager *m, metall_array *a, size_t elem_size)
{
    metall_container_alloc al = metall_container_alloc_of(m);
    return metall_array_init_a(&al, a, elem_size);
}

/** metall_array_data_a() in @p m's heap. */
static inline void *metall_array_data(metall_manager *m, const metall_array *a)
{
    metall_container_alloc al = metall_container_alloc_of(m);
    return metall_array_data_a(&al, a);
}

/** metall_array_at_a() in @p m's heap. */
static inline void *metall_array_at(metall_manager *m, const metall_array *a, size_t i)
{
    metall_container_alloc al = metall_container_alloc_of(m);
    return metall_array_at_a(&al, a, i);
}

/** metall_array_reserve_a() in @p m's heap. */
static inline bool metall_array_reserve(metall_manager *m, metall_array *a, size_t n)
{
    metall_container_alloc al = metall_container_alloc_of(m);
    return metall_array_reserve_a(&al, a, n);
}

/** metall_array_push_back_a() in @p m's heap. */
static inline void *metall_array_push_back(metall_manager *m, metall_array *a, const void *elem)
{
    metall_container_alloc al = metall_container_alloc_of(m);
    return metall_array_push_back_a(&al, a, elem);
}

/** metall_array_pop_back_a() in @p m's heap. */
static inline bool metall_array_pop_back(metall_manager *m, metall_array *a, void *out)
{
    metall_container_alloc al = metall_container_alloc_of(m);
    return metall_array_pop_back_a(&al, a, out);
}

/** metall_array_resize_a() in @p m's heap. */
static inline bool metall_array_resize(metall_manager *m, metall_array *a, size_t n)
{
    metall_container_alloc al = metall_container_alloc_of(m);
    return metall_array_resize_a(&al, a, n);
}

/** metall_array_shrink_to_fit_a() in @p m's heap. */
static inline bool metall_array_shrink_to_fit(metall_manager *m, metall_array *a)
{
    metall_container_alloc al = metall_container_alloc_of(m);
    return metall_array_shrink_to_fit_a(&al, a);
}

/** metall_array_destroy_a() in @p m's heap. */
static inline void metall_array_destroy(metall_manager *m, metall_array *a)
{
    metall_container_alloc al = metall_container_alloc_of(m);
    metall_array_destroy_a(&al, a);
}

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* METALL_ARRAY_H */
