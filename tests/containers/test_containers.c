/*
 * test_containers.c - metall_array and metall_hashmap (include/metall/
 * array.h, hashmap.h): contents against a DRAM reference model, growth
 * cost (amortised O(1) copies), memory returned on destroy, persistence
 * across close/reopen at another address, errors.
 */
#include <metall/array.h>
#include <metall/hashmap.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

static char g_root[4096];
static int g_seq;

static void make_root(void)
{
    const char *t = getenv("METALLC_TEST_TMPDIR");
    snprintf(g_root, sizeof g_root, "%s/containers-XXXXXX", t && *t ? t : "/tmp");
    assert_non_null(mkdtemp(g_root));
}

/* A fresh datastore path under the test's temporary directory. */
static void ds_path(char *buf, size_t n)
{
    snprintf(buf, n, "%s/ds-%d", g_root, g_seq++);
}

static metall_manager *create_small(const char *path)
{
    metall_options o = {0};
    o.capacity = (size_t)256 << 20;
    metall_manager *m = metall_create_ex(path, &o);
    assert_non_null(m);
    return m;
}

static size_t allocated(metall_manager *m)
{
    metall_stats s;
    assert_true(metall_get_stats(m, &s));
    return s.allocated_bytes;
}

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* --- a counting DRAM allocator, to measure what the containers copy ----- */
struct counting {
    size_t live_objects, resizes, copied_bytes;
};

static void *count_resize(void *ctx, void *p, size_t old, size_t n)
{
    struct counting *c = ctx;
    c->resizes++;
    void *q = malloc(n);
    if (!q)
        return NULL;
    if (p) {
        memcpy(q, p, old < n ? old : n);
        c->copied_bytes += old < n ? old : n;
        free(p);
    } else {
        c->live_objects++;
    }
    return q;
}

static void count_release(void *ctx, void *p, size_t n)
{
    struct counting *c = ctx;
    if (p) {
        c->live_objects--;
        free(p);
    }
}

static metall_container_alloc counting_alloc(struct counting *c)
{
    metall_container_alloc al = {c, 0, count_resize, count_release, NULL};
    return al;
}

/* ------------------------------------------------------------------------ */
static void array_basic(void **state)
{
    char p[4200];
    ds_path(p, sizeof p);
    metall_manager *m = create_small(p);
    size_t before = allocated(m);
    metall_array *a = metall_named_malloc(m, "a", sizeof *a);
    assert_non_null(a);
    assert_true(metall_array_init(m, a, sizeof(uint64_t)));
    assert_int_equal(metall_array_size(a), 0);
    assert_null(metall_array_data(m, a));
    errno = 0;
    assert_null(metall_array_at(m, a, 0));
    assert_int_equal(errno, ERANGE);
    for (uint64_t i = 0; i < 100000; i++) {
        uint64_t *e = metall_array_push_back(m, a, &i);
        assert_non_null(e);
        assert_int_equal(*e, i);
    }
    assert_int_equal(metall_array_size(a), 100000);
    assert_true(metall_array_capacity(a) >= 100000);
    /* the capacity takes in the whole object (large ones are whole 2 MiB
     * chunks), never more */
    assert_true(metall_array_capacity(a) * 8 <= metall_usable_size(m, metall_array_data(m, a)));
    uint64_t *d = metall_array_data(m, a);
    for (uint64_t i = 0; i < 100000; i++)
        assert_int_equal(d[i], i);
    assert_int_equal(*(uint64_t *)metall_array_at(m, a, 99999), 99999);
    assert_null(metall_array_at(m, a, 100000));

    uint64_t last;
    assert_true(metall_array_pop_back(m, a, &last));
    assert_int_equal(last, 99999);
    assert_true(metall_array_resize(m, a, 200000)); /* new ones are zero */
    d = metall_array_data(m, a);
    assert_int_equal(d[99998], 99998);
    assert_int_equal(d[99999], 0);
    assert_int_equal(d[199999], 0);
    assert_true(metall_array_resize(m, a, 10));
    assert_true(metall_array_shrink_to_fit(m, a));
    /* 80 bytes is a size class: nothing to round */
    assert_int_equal(metall_array_capacity(a), 10);
    assert_int_equal(*(uint64_t *)metall_array_at(m, a, 9), 9);
    metall_array_clear(a);
    assert_int_equal(metall_array_size(a), 0);
    assert_false(metall_array_pop_back(m, a, NULL));
    assert_int_equal(errno, ERANGE);
    metall_array_destroy(m, a);
    assert_int_equal(metall_array_capacity(a), 0);
    assert_int_equal(a->data, 0);
    assert_true(metall_named_free(m, "a"));
    /* everything the array allocated was freed */
    assert_int_equal(allocated(m), before);
    assert_true(metall_close(m));
    assert_true(metall_remove(p));
}

struct rec {
    uint64_t id;
    char name[13];
};

static void array_wide_elements(void **state)
{
    char p[4200];
    ds_path(p, sizeof p);
    metall_manager *m = create_small(p);
    metall_array *a = metall_named_malloc(m, "recs", sizeof *a);
    assert_true(metall_array_init(m, a, sizeof(struct rec)));
    assert_true(metall_array_reserve(m, a, 1000));
    assert_true(metall_array_capacity(a) >= 1000);
    assert_true(metall_array_capacity(a) * sizeof(struct rec) <=
                metall_usable_size(m, metall_array_data(m, a)));
    uint64_t off = a->data;
    for (uint64_t i = 0; i < 1000; i++) {
        struct rec r = {i, {0}};
        snprintf(r.name, sizeof r.name, "r%llu", (unsigned long long)i);
        assert_non_null(metall_array_push_back(m, a, &r));
    }
    assert_int_equal(a->data, off); /* reserve made growth unnecessary */
    struct rec *z = metall_array_push_back(m, a, NULL);
    assert_non_null(z);
    assert_int_equal(z->id, 0);
    assert_string_equal(((struct rec *)metall_array_at(m, a, 777))->name, "r777");
    metall_array_destroy(m, a);
    assert_true(metall_close(m));
    assert_true(metall_remove(p));
}

static void array_errors(void **state)
{
    metall_array a;
    errno = 0;
    assert_false(metall_array_init(NULL, NULL, 8));
    assert_int_equal(errno, EINVAL);
    assert_false(metall_array_init(NULL, &a, 0));
    assert_int_equal(errno, EINVAL);
    struct counting c = {0};
    metall_container_alloc al = counting_alloc(&c);
    memset(&a, 0, sizeof a); /* never initialised: no element size */
    errno = 0;
    assert_null(metall_array_push_back_a(&al, &a, NULL));
    assert_int_equal(errno, EINVAL);
    assert_true(metall_array_init_a(&al, &a, 8));
    assert_false(metall_array_reserve_a(&al, &a, SIZE_MAX / 4));
    assert_int_equal(errno, ENOMEM);
    assert_int_equal(c.live_objects, 0);
}

/* growth copies amortised O(1) elements per push and frees what it drops */
static void array_growth_cost(void **state)
{
    struct counting c = {0};
    metall_container_alloc al = counting_alloc(&c);
    metall_array a;
    assert_true(metall_array_init_a(&al, &a, 8));
    const size_t n = 1000000;
    for (uint64_t i = 0; i < n; i++)
        assert_non_null(metall_array_push_back_a(&al, &a, &i));
    assert_int_equal(c.live_objects, 1);
    /* growth by 1.5: copies sum to < 3n elements, ~log1.5(n) reallocations */
    assert_true(c.copied_bytes < 3 * n * 8);
    assert_true(c.resizes < 40);
    metall_array_destroy_a(&al, &a);
    assert_int_equal(c.live_objects, 0);
}

/* ------------------------------------------------------------------------ */
static void hashmap_model(void **state)
{
    /* random inserts and erases over a small key universe (so that probe
     * runs wrap and backward shifts happen), checked against a bitmap */
    struct counting c = {0};
    metall_container_alloc al = counting_alloc(&c);
    metall_hashmap h;
    assert_true(metall_hashmap_init_a(&al, &h, 8));
    enum { U = 3000 };
    static uint64_t keys[U];
    static bool present[U];
    uint64_t s = 42;
    for (int i = 0; i < U; i++)
        keys[i] = i < 2 ? (i == 0 ? 0 : UINT64_MAX) : rnd(&s);
    size_t count = 0;
    for (int step = 0; step < 200000; step++) {
        int i = (int)(rnd(&s) % U);
        if (rnd(&s) % 3) {
            bool ins;
            uint64_t *v = metall_hashmap_insert_a(&al, &h, keys[i], &ins);
            assert_non_null(v);
            assert_int_equal(ins, !present[i]);
            if (ins) {
                assert_int_equal(*v, 0);
                count++;
            } else {
                assert_int_equal(*v, keys[i] ^ 7);
            }
            *v = keys[i] ^ 7;
            present[i] = true;
        } else {
            uint64_t out = 0;
            bool ok = metall_hashmap_erase_a(&al, &h, keys[i], &out);
            assert_int_equal(ok, present[i]);
            if (ok) {
                assert_int_equal(out, keys[i] ^ 7);
                count--;
            } else {
                assert_int_equal(errno, ENOENT);
            }
            present[i] = false;
        }
        if (step % 5000 == 0) {
            for (int k = 0; k < U; k++) {
                uint64_t *v = metall_hashmap_find_a(&al, &h, keys[k]);
                assert_int_equal(v != NULL, present[k]);
                if (v)
                    assert_int_equal(*v, keys[k] ^ 7);
            }
        }
        assert_int_equal(metall_hashmap_size(&h), count);
    }
    /* iteration visits each entry once */
    uint64_t cur = 0, key, n = 0, xs = 0, ref = 0;
    void *v;
    while (metall_hashmap_next_a(&al, &h, &cur, &key, &v)) {
        n++;
        xs ^= key * 31 + *(uint64_t *)v;
    }
    for (int k = 0; k < U; k++)
        if (present[k])
            ref ^= keys[k] * 31 + (keys[k] ^ 7);
    assert_int_equal(n, count);
    assert_int_equal(xs, ref);
    assert_true(h.capacity <= 4 * 2048); /* never grew past what U keys need */
    metall_hashmap_destroy_a(&al, &h);
    assert_int_equal(c.live_objects, 0);
    assert_int_equal(metall_hashmap_size(&h), 0);
}

static int sum_fn(uint64_t key, void *value, void *ctx)
{
    uint64_t *acc = ctx;
    acc[0] += key;
    acc[1] += *(uint64_t *)value;
    acc[2]++;
    return 0;
}

static int stop_fn(uint64_t key, void *value, void *ctx)
{
    return ++*(int *)ctx == 3 ? 99 : 0;
}

/* A map of arrays (the benchmark's adjacency list) survives close and a
 * reopen at another address; destroying it returns all its memory. */
static void hashmap_of_arrays_reopen(void **state)
{
    char p[4200];
    ds_path(p, sizeof p);
    metall_manager *m = create_small(p);
    size_t before = allocated(m);
    metall_hashmap *h = metall_named_malloc(m, "adj", sizeof *h);
    assert_non_null(h);
    assert_true(metall_hashmap_init(m, h, sizeof(metall_array)));
    uint64_t s = 7, edges = 0, check = 0;
    for (int i = 0; i < 200000; i++) {
        uint64_t u = rnd(&s) % 5000, w = rnd(&s);
        bool ins;
        metall_array *a = metall_hashmap_insert(m, h, u, &ins);
        assert_non_null(a);
        if (ins)
            assert_true(metall_array_init(m, a, 8));
        assert_non_null(metall_array_push_back(m, a, &w));
        edges++;
        check += u * 3 + w;
    }
    char *old_base = (char *)metall_ptr_at(m, 1) - 1;
    assert_true(metall_close(m));

    /* occupy the old address range so the heap must map elsewhere */
    void *block = mmap(old_base, (size_t)256 << 20, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    m = metall_open(p);
    assert_non_null(m);
    if (block != MAP_FAILED)
        assert_ptr_not_equal((char *)metall_ptr_at(m, 1) - 1, old_base);
    h = metall_find(m, "adj");
    assert_non_null(h);
    uint64_t cur = 0, key, e2 = 0, c2 = 0;
    void *v;
    while (metall_hashmap_next(m, h, &cur, &key, &v)) {
        metall_array *a = v;
        uint64_t *d = metall_array_data(m, a);
        for (size_t i = 0; i < metall_array_size(a); i++)
            c2 += key * 3 + d[i];
        e2 += metall_array_size(a);
    }
    assert_int_equal(e2, edges);
    assert_int_equal(c2, check);
    assert_int_equal(metall_hashmap_size(h), 5000);
    assert_non_null(metall_hashmap_find(m, h, 4999));
    assert_null(metall_hashmap_find(m, h, 5000));

    uint64_t acc[3] = {0};
    assert_int_equal(metall_hashmap_foreach(m, h, sum_fn, acc), 0);
    assert_int_equal(acc[0], 4999ULL * 5000 / 2);
    assert_int_equal(acc[2], 5000);
    int calls = 0;
    assert_int_equal(metall_hashmap_foreach(m, h, stop_fn, &calls), 99);
    assert_int_equal(calls, 3);

    /* free the arrays, then the map: the heap is back where it started */
    cur = 0;
    while (metall_hashmap_next(m, h, &cur, &key, &v))
        metall_array_destroy(m, v);
    metall_hashmap_destroy(m, h);
    assert_true(metall_named_free(m, "adj"));
    assert_int_equal(allocated(m), before);
    assert_true(metall_close(m));
    if (block != MAP_FAILED)
        munmap(block, (size_t)256 << 20);

    assert_true(metall_remove(p));
}

static void hashmap_read_only(void **state)
{
    char p[4200];
    ds_path(p, sizeof p);
    metall_manager *m = create_small(p);
    metall_hashmap *h = metall_named_malloc(m, "h", sizeof *h);
    assert_true(metall_hashmap_init(m, h, 8));
    uint64_t val = 5;
    assert_true(metall_hashmap_put(m, h, 1, &val));
    assert_true(metall_close(m));
    m = metall_open_read_only(p);
    assert_non_null(m);
    h = metall_find(m, "h");
    assert_int_equal(*(uint64_t *)metall_hashmap_find(m, h, 1), 5);
    /* key 1 exists: no allocation needed, found */
    assert_non_null(metall_hashmap_insert(m, h, 1, NULL));
    /* a new key needs a table: the allocator refuses */
    metall_hashmap fresh;
    assert_true(metall_hashmap_init(m, &fresh, 8));
    assert_null(metall_hashmap_insert(m, &fresh, 3, NULL));
    assert_int_equal(errno, EROFS);
    assert_true(metall_close(m));
    assert_true(metall_remove(p));
}

static void hashmap_errors(void **state)
{
    metall_hashmap h;
    assert_false(metall_hashmap_init(NULL, NULL, 8));
    assert_int_equal(errno, EINVAL);
    struct counting c = {0};
    metall_container_alloc al = counting_alloc(&c);
    memset(&h, 0, sizeof h); /* never initialised */
    errno = 0;
    assert_null(metall_hashmap_insert_a(&al, &h, 1, NULL));
    assert_int_equal(errno, EINVAL);
    assert_null(metall_hashmap_find_a(&al, &h, 1));
    assert_false(metall_hashmap_erase_a(&al, &h, 1, NULL));
    assert_int_equal(errno, ENOENT);
    /* a set (value size 0) */
    assert_true(metall_hashmap_init_a(&al, &h, 0));
    assert_true(metall_hashmap_reserve_a(&al, &h, 1000));
    uint64_t cap = h.capacity;
    assert_true(cap >= 1334);
    for (uint64_t k = 0; k < 1000; k++)
        assert_non_null(metall_hashmap_insert_a(&al, &h, k * 1024, NULL));
    assert_int_equal(h.capacity, cap); /* reserve was enough */
    assert_non_null(metall_hashmap_insert_a(&al, &h, UINT64_MAX, NULL));
    assert_int_equal(metall_hashmap_size(&h), 1001);
    metall_hashmap_clear_a(&al, &h);
    assert_int_equal(metall_hashmap_size(&h), 0);
    assert_null(metall_hashmap_find_a(&al, &h, 1024));
    assert_null(metall_hashmap_find_a(&al, &h, UINT64_MAX));
    metall_hashmap_destroy_a(&al, &h);
    assert_int_equal(c.live_objects, 0);
}

int main(void)
{
    make_root();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(array_basic),        cmocka_unit_test(array_wide_elements),
        cmocka_unit_test(array_errors),       cmocka_unit_test(array_growth_cost),
        cmocka_unit_test(hashmap_model),      cmocka_unit_test(hashmap_of_arrays_reopen),
        cmocka_unit_test(hashmap_read_only),  cmocka_unit_test(hashmap_errors),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_root);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
