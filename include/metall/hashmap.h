/**
 * @file hashmap.h
 * @brief metall_hashmap: an open-addressing hash map with u64 keys and
 *        fixed-size values that lives wholly inside a datastore.
 *
 * A ::metall_hashmap is a 40-byte header (the slot table's *offset*, its
 * capacity, the entry count, the value size) that the caller places in the
 * heap, e.g. with metall_named_malloc(), and finds again by name after
 * reopening at another address. Slots are `key, value` pairs in one table
 * (linear probing, at most 3/4 full, doubled when full: amortised O(1)
 * moves per insert); erase shifts the following entries back, so there are
 * no tombstones and a map that shrinks keeps short probe sequences. Every
 * u64 is a valid key: UINT64_MAX, which marks empty slots, is kept apart.
 *
 * @code
 *   metall_hashmap *deg = metall_named_malloc(m, "degree", sizeof *deg);
 *   metall_hashmap_init(m, deg, sizeof(uint64_t));
 *   uint64_t *d = metall_hashmap_insert(m, deg, vertex, NULL); // 0 if new
 *   ++*d;
 * @endcode
 *
 * Values are moved byte for byte when the table grows or an entry is
 * erased, so a value must not hold a pointer to itself or a ::metall_rptr;
 * offsets (metall_offset_of()) and ::metall_array headers are fine: the
 * adjacency list of the graph benchmark is a metall_hashmap from vertex to
 * metall_array.
 *
 * Pointers to values returned by find/insert stay valid until the next
 * insert that adds a key, erase, reserve, clear or destroy.
 *
 * Errors follow metall.h (NULL/false + errno): EINVAL (NULL argument, map
 * never initialised), ENOENT (key absent, for erase), ENOMEM, ENOSPC,
 * EROFS from the allocator. metall_hashmap_find() returns NULL without
 * touching errno when the key is absent (a normal outcome, and the hot
 * path). Threads and crash consistency: as for ::metall_array.
 *
 * As in array.h, every function has an `_a` twin taking a
 * ::metall_container_alloc.
 */
#ifndef METALL_HASHMAP_H
#define METALL_HASHMAP_H

#include <metall/array.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @name Hash map */
/** @{ */

/**
 * An open-addressing hash map from u64 keys to values of a fixed size.
 * Place it in the heap and initialise it with metall_hashmap_init().
 * Fields are read-only for users.
 */
typedef struct metall_hashmap {
    uint64_t table;      /**< offset of the slot table; 0 when there is none */
    uint64_t capacity;   /**< slots in the table: 0 or a power of two */
    uint64_t size;       /**< entries, including the key UINT64_MAX */
    uint64_t special;    /**< offset of the value of key UINT64_MAX; 0 if absent */
    uint32_t value_size; /**< bytes per value (may be 0: a set) */
    uint32_t slot_size;  /**< 8 + value_size rounded up to 8; 0 = not initialised */
} metall_hashmap;

/** @cond INTERNAL */
#define METALL_HASHMAP_EMPTY_ UINT64_MAX

/* murmur3's 64-bit finaliser: every key bit reaches the low (index) bits */
static inline uint64_t metall_hashmap_hash_(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

static inline uint64_t *metall_hashmap_slot_(char *table, const metall_hashmap *h, uint64_t i)
{
    return (uint64_t *)(void *)(table + (size_t)i * h->slot_size);
}

static inline bool metall_hashmap_fail_(int err)
{
    errno = err;
    return false;
}

/* Table entries (all keys but UINT64_MAX). */
static inline uint64_t metall_hashmap_in_table_(const metall_hashmap *h)
{
    return h->size - (h->special != 0);
}

/* Move every entry into a new table of `cap` slots (a power of two that
 * holds them under the load limit), then free the old one. */
static __attribute__((noinline, unused)) bool
metall_hashmap_rehash_(const metall_container_alloc *al, metall_hashmap *h, uint64_t cap)
{
    size_t bytes;
    if (__builtin_mul_overflow((size_t)cap, (size_t)h->slot_size, &bytes))
        return metall_hashmap_fail_(ENOMEM);
    char *nt = (char *)al->resize(al->ctx, NULL, 0, bytes);
    if (!nt)
        return false;
    memset(nt, 0xff, bytes); /* every key EMPTY */
    char *ot = (char *)metall_container_ptr_(al, h->table);
    uint64_t ocap = h->capacity, mask = cap - 1;
    for (uint64_t i = 0; i < ocap; i++) {
        uint64_t *s = metall_hashmap_slot_(ot, h, i);
        if (*s == METALL_HASHMAP_EMPTY_)
            continue;
        uint64_t j = metall_hashmap_hash_(*s) & mask;
        for (;;) {
            uint64_t *d = (uint64_t *)(void *)(nt + (size_t)j * h->slot_size);
            if (*d == METALL_HASHMAP_EMPTY_) {
                memcpy(d, s, h->slot_size);
                break;
            }
            j = (j + 1) & mask;
        }
    }
    al->release(al->ctx, ot, (size_t)ocap * h->slot_size);
    h->table = metall_container_off_(al, nt);
    h->capacity = cap;
    return true;
}

/* The smallest table (>= 16 slots) holding n entries at most 3/4 full. */
static inline uint64_t metall_hashmap_cap_for_(uint64_t n)
{
    uint64_t cap = 16;
    while (cap - cap / 4 < n) {
        if (cap > UINT64_MAX / 2)
            return 0;
        cap *= 2;
    }
    return cap;
}
/** @endcond */

/**
 * Initialise @p h as an empty map of @p value_size-byte values (0 makes a
 * set). Allocates nothing. Do not init a map that holds a table: it leaks.
 * @return true; false with EINVAL (NULL, or @p value_size above 2^31).
 */
static inline bool metall_hashmap_init_a(const metall_container_alloc *al, metall_hashmap *h,
                                         size_t value_size)
{
    (void)al;
    if (!h || value_size > ((size_t)1 << 31))
        return metall_hashmap_fail_(EINVAL);
    h->table = 0;
    h->capacity = 0;
    h->size = 0;
    h->special = 0;
    h->value_size = (uint32_t)value_size;
    h->slot_size = (uint32_t)(8 + ((value_size + 7) & ~(size_t)7));
    return true;
}

/** The number of entries. */
static inline size_t metall_hashmap_size(const metall_hashmap *h)
{
    return (size_t)h->size;
}

/**
 * The value of @p key, or NULL if the key is absent (errno untouched).
 */
static inline void *metall_hashmap_find_a(const metall_container_alloc *al,
                                          const metall_hashmap *h, uint64_t key)
{
    if (__builtin_expect(key == METALL_HASHMAP_EMPTY_, 0))
        return metall_container_ptr_(al, h->special);
    if (!h->capacity)
        return NULL;
    char *t = (char *)metall_container_ptr_(al, h->table);
    uint64_t mask = h->capacity - 1, i = metall_hashmap_hash_(key) & mask;
    for (;;) {
        uint64_t *s = metall_hashmap_slot_(t, h, i);
        if (*s == key)
            return s + 1;
        if (*s == METALL_HASHMAP_EMPTY_)
            return NULL;
        i = (i + 1) & mask;
    }
}

/**
 * Make room for @p n entries without further rehashing.
 * @return true; false with errno (ENOMEM, ENOSPC, EROFS, EINVAL).
 */
static inline bool metall_hashmap_reserve_a(const metall_container_alloc *al, metall_hashmap *h,
                                            size_t n)
{
    if (!h || !h->slot_size)
        return metall_hashmap_fail_(EINVAL);
    uint64_t cap = metall_hashmap_cap_for_(n);
    if (!cap)
        return metall_hashmap_fail_(ENOMEM);
    return cap <= h->capacity || metall_hashmap_rehash_(al, h, cap);
}

/**
 * Find @p key, adding it with a zeroed value if it is absent (find or
 * insert; write through the returned pointer to upsert).
 * @param al the allocator (metall_container_alloc_of() for a manager).
 * @param h the map.
 * @param key any u64.
 * @param inserted may be NULL; set to whether the key was added.
 * @return the value; NULL with errno (ENOMEM, ENOSPC, EROFS, EINVAL) and
 *         the map unchanged.
 */
static inline void *metall_hashmap_insert_a(const metall_container_alloc *al, metall_hashmap *h,
                                            uint64_t key, bool *inserted)
{
    if (inserted)
        *inserted = false;
    if (__builtin_expect(key == METALL_HASHMAP_EMPTY_, 0)) {
        if (!h->slot_size)
            return (void)metall_hashmap_fail_(EINVAL), (void *)NULL;
        if (!h->special) {
            void *v = al->resize(al->ctx, NULL, 0, h->value_size ? h->value_size : 1);
            if (!v)
                return NULL;
            memset(v, 0, h->value_size);
            h->special = metall_container_off_(al, v);
            h->size++;
            if (inserted)
                *inserted = true;
        }
        return metall_container_ptr_(al, h->special);
    }
    if (h->capacity) {
        char *t = (char *)metall_container_ptr_(al, h->table);
        uint64_t mask = h->capacity - 1, i = metall_hashmap_hash_(key) & mask;
        for (;;) {
            uint64_t *s = metall_hashmap_slot_(t, h, i);
            if (*s == key)
                return s + 1;
            if (*s == METALL_HASHMAP_EMPTY_)
                break;
            i = (i + 1) & mask;
        }
        /* absent: the empty slot found is where it goes, unless we grow */
        if (metall_hashmap_in_table_(h) + 1 <= h->capacity - h->capacity / 4) {
            uint64_t *s = metall_hashmap_slot_(t, h, i);
            *s = key;
            memset(s + 1, 0, h->slot_size - 8);
            h->size++;
            if (inserted)
                *inserted = true;
            return s + 1;
        }
    }
    if (!h->slot_size)
        return (void)metall_hashmap_fail_(EINVAL), (void *)NULL;
    if (!metall_hashmap_rehash_(al, h, h->capacity ? h->capacity * 2 : 16))
        return NULL;
    char *t = (char *)metall_container_ptr_(al, h->table);
    uint64_t mask = h->capacity - 1, i = metall_hashmap_hash_(key) & mask;
    uint64_t *s = metall_hashmap_slot_(t, h, i);
    while (*s != METALL_HASHMAP_EMPTY_) {
        i = (i + 1) & mask;
        s = metall_hashmap_slot_(t, h, i);
    }
    *s = key;
    memset(s + 1, 0, h->slot_size - 8);
    h->size++;
    if (inserted)
        *inserted = true;
    return s + 1;
}

/**
 * Set the value of @p key to a copy of @p value (insert or overwrite).
 * @return true; false with errno and the map unchanged.
 */
static inline bool metall_hashmap_put_a(const metall_container_alloc *al, metall_hashmap *h,
                                        uint64_t key, const void *value)
{
    void *v = metall_hashmap_insert_a(al, h, key, NULL);
    if (!v)
        return false;
    if (h->value_size)
        memcpy(v, value, h->value_size);
    return true;
}

/**
 * Remove @p key, copying its value to @p out unless @p out is NULL. The
 * entries after it in its probe run are shifted back (no tombstones).
 * The table is not shrunk (metall_hashmap_destroy() frees it).
 * @return true; false with ENOENT if the key is absent (EINVAL if NULL).
 */
static inline bool metall_hashmap_erase_a(const metall_container_alloc *al, metall_hashmap *h,
                                          uint64_t key, void *out)
{
    if (!h)
        return metall_hashmap_fail_(EINVAL);
    if (key == METALL_HASHMAP_EMPTY_) {
        if (!h->special)
            return metall_hashmap_fail_(ENOENT);
        void *v = metall_container_ptr_(al, h->special);
        if (out && h->value_size)
            memcpy(out, v, h->value_size);
        al->release(al->ctx, v, h->value_size ? h->value_size : 1);
        h->special = 0;
        h->size--;
        return true;
    }
    uint64_t *v = (uint64_t *)metall_hashmap_find_a(al, h, key);
    if (!v)
        return metall_hashmap_fail_(ENOENT);
    if (out && h->value_size)
        memcpy(out, v, h->value_size);
    char *t = (char *)metall_container_ptr_(al, h->table);
    uint64_t mask = h->capacity - 1;
    uint64_t i = (uint64_t)(((char *)(v - 1) - t) / h->slot_size), j = i;
    for (;;) {
        j = (j + 1) & mask;
        uint64_t *sj = metall_hashmap_slot_(t, h, j);
        if (*sj == METALL_HASHMAP_EMPTY_)
            break;
        uint64_t k = metall_hashmap_hash_(*sj) & mask; /* j's home slot */
        /* j may move back to the hole i unless its home lies cyclically
         * in (i, j]: then it would no longer be found from its home */
        bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            memcpy(metall_hashmap_slot_(t, h, i), sj, h->slot_size);
            i = j;
        }
    }
    *metall_hashmap_slot_(t, h, i) = METALL_HASHMAP_EMPTY_;
    h->size--;
    return true;
}

/**
 * Step through the entries: start with `*cursor = 0`; each call stores the
 * next entry's key and value and returns true, until it returns false
 * after the last. The map must not gain or lose keys meanwhile (values may
 * be written). Order is unspecified.
 */
static inline bool metall_hashmap_next_a(const metall_container_alloc *al,
                                         const metall_hashmap *h, uint64_t *cursor,
                                         uint64_t *key, void **value)
{
    char *t = (char *)metall_container_ptr_(al, h->table);
    for (uint64_t i = *cursor; i < h->capacity; i++) {
        uint64_t *s = metall_hashmap_slot_(t, h, i);
        if (*s != METALL_HASHMAP_EMPTY_) {
            *cursor = i + 1;
            *key = *s;
            *value = s + 1;
            return true;
        }
    }
    if (*cursor <= h->capacity && h->special) {
        *cursor = h->capacity + 1;
        *key = METALL_HASHMAP_EMPTY_;
        *value = metall_container_ptr_(al, h->special);
        return true;
    }
    *cursor = h->capacity + 1;
    return false;
}

/**
 * Call @p fn for every entry until it returns non-zero. @p fn may write the
 * value but must not insert or erase keys.
 * @return the first non-zero value of @p fn, or 0 after visiting all.
 */
static inline int metall_hashmap_foreach_a(const metall_container_alloc *al,
                                           const metall_hashmap *h,
                                           int (*fn)(uint64_t key, void *value, void *ctx),
                                           void *ctx)
{
    uint64_t cur = 0, key;
    void *v;
    while (metall_hashmap_next_a(al, h, &cur, &key, &v)) {
        int r = fn(key, v, ctx);
        if (r)
            return r;
    }
    return 0;
}

/** Remove every entry, keeping the table for reuse. */
static inline void metall_hashmap_clear_a(const metall_container_alloc *al, metall_hashmap *h)
{
    if (h->special) {
        al->release(al->ctx, metall_container_ptr_(al, h->special),
                    h->value_size ? h->value_size : 1);
        h->special = 0;
    }
    if (h->capacity)
        memset(metall_container_ptr_(al, h->table), 0xff, (size_t)h->capacity * h->slot_size);
    h->size = 0;
}

/**
 * Free the table and leave an empty map of the same value size. Values
 * that own memory (e.g. arrays) must be destroyed first, with foreach.
 */
static inline void metall_hashmap_destroy_a(const metall_container_alloc *al, metall_hashmap *h)
{
    if (!h)
        return;
    metall_hashmap_clear_a(al, h);
    al->release(al->ctx, metall_container_ptr_(al, h->table), (size_t)h->capacity * h->slot_size);
    h->table = 0;
    h->capacity = 0;
}

/* --- the same, on a metall_manager --------------------------------------- */

/** metall_hashmap_init_a() in @p m's heap. */
static inline bool metall_hashmap_init(metall_manager *m, metall_hashmap *h, size_t value_size)
{
    metall_container_alloc al = metall_container_alloc_of(m);
    return metall_hashmap_init_a(&al, h, value_size);
}

/** metall_hashmap_find_a() in @p m's heap. */
static inline void *metall_hashmap_find(metall_manager *m, const metall_hashmap *h, uint64_t key)
{
    metall_container_alloc al = metall_container_alloc_of(m);
    return metall_hashmap_find_a(&al, h, key);
}

/** metall_hashmap_reserve_a() in @p m's heap. */
static inline bool metall_hashmap_reserve(metall_manager *m, metall_hashmap *h, size_t n)
{
    metall_container_alloc al = metall_container_alloc_of(m);
    return metall_hashmap_reserve_a(&al, h, n);
}

/** metall_hashmap_insert_a() in @p m's heap. */
static inline void *metall_hashmap_insert(metall_manager *m, metall_hashmap *h, uint64_t key,
                                          bool *inserted)
{
    metall_container_alloc al = metall_container_alloc_of(m);
    return metall_hashmap_insert_a(&al, h, key, inserted);
}

/** metall_hashmap_put_a() in @p m's heap. */
static inline bool metall_hashmap_put(metall_manager *m, metall_hashmap *h, uint64_t key,
                                      const void *value)
{
    metall_container_alloc al = metall_container_alloc_of(m);
    return metall_hashmap_put_a(&al, h, key, value);
}

/** metall_hashmap_erase_a() in @p m's heap. */
static inline bool metall_hashmap_erase(metall_manager *m, metall_hashmap *h, uint64_t key,
                                        void *out)
{
    metall_container_alloc al = metall_container_alloc_of(m);
    return metall_hashmap_erase_a(&al, h, key, out);
}

/** metall_hashmap_next_a() in @p m's heap. */
static inline bool metall_hashmap_next(metall_manager *m, const metall_hashmap *h,
                                       uint64_t *cursor, uint64_t *key, void **value)
{
    metall_container_alloc al = metall_container_alloc_of(m);
    return metall_hashmap_next_a(&al, h, cursor, key, value);
}

/** metall_hashmap_foreach_a() in @p m's heap. */
static inline int metall_hashmap_foreach(metall_manager *m, const metall_hashmap *h,
                                         int (*fn)(uint64_t key, void *value, void *ctx),
                                         void *ctx)
{
    metall_container_alloc al = metall_container_alloc_of(m);
    return metall_hashmap_foreach_a(&al, h, fn, ctx);
}

/** metall_hashmap_clear_a() in @p m's heap. */
static inline void metall_hashmap_clear(metall_manager *m, metall_hashmap *h)
{
    metall_container_alloc al = metall_container_alloc_of(m);
    metall_hashmap_clear_a(&al, h);
}

/** metall_hashmap_destroy_a() in @p m's heap. */
static inline void metall_hashmap_destroy(metall_manager *m, metall_hashmap *h)
{
    metall_container_alloc al = metall_container_alloc_of(m);
    metall_hashmap_destroy_a(&al, h);
}

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* METALL_HASHMAP_H */
