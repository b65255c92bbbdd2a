/*
 * test_alloc.c - the allocator never hands out memory it must not:
 *  - calloc returns zeros on every path that may trust a chunk's "known
 *    zero" mark (in-place growth and shrinking of large objects, the pool
 *    of backed free chunks, punched chunks, reopen, snapshots);
 *  - pointers into chunks that were never used (or outside the heap) are
 *    ignored by metall_free() and metall_usable_size(), so they can never
 *    make two objects overlap.
 */
#include "rel_common.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define MiB ((size_t)1 << 20)

static char g_root[4096];

static void path_in(char *out, size_t size, const char *name)
{
    rel_path(out, size, g_root, name);
}

static bool all_zero(const unsigned char *p, size_t n, size_t *first_bad)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) {
            *first_bad = i;
            return false;
        }
    return true;
}

/* The case of the review: malloc 3 MiB, grow in place to 5 MiB, write it,
 * shrink to 3 MiB, calloc 2 MiB: the freed tail chunk held 0xAB. */
static void test_calloc_after_grow_and_shrink(void **state)
{
    (void)state;
    char ds[4200];
    path_in(ds, sizeof ds, "grow-shrink");
    metall_manager *m = metall_create(ds);
    assert_non_null(m);
    unsigned char *p = metall_malloc(m, 3 * MiB);
    assert_non_null(p);
    unsigned char *q = metall_realloc(m, p, 5 * MiB);
    assert_ptr_equal(q, p); /* grown in place */
    memset(q, 0xAB, 5 * MiB);
    assert_ptr_equal(metall_realloc(m, q, 3 * MiB), p);
    unsigned char *z = metall_calloc(m, 1, 2 * MiB);
    assert_non_null(z);
    size_t bad = 0;
    if (!all_zero(z, 2 * MiB, &bad))
        fail_msg("calloc(2 MiB) returned 0x%02x at byte %zu", z[bad], bad);
    metall_free(m, z);
    metall_free(m, p);
    assert_true(metall_close(m));
    assert_true(metall_remove(ds));
}

/* Every path at once: a random mix of large mallocs, in-place growth,
 * shrinking and frees of written memory, interleaved with callocs that
 * must come back zero, over a close/reopen and in a snapshot. */
static int calloc_round(metall_manager *m, uint64_t seed, int steps)
{
    enum { N = 4 };
    unsigned char *obj[N] = {0};
    uint64_t s = seed;
    int bad = 0;
    for (int i = 0; i < steps; i++) {
        uint64_t r = rel_splitmix(&s);
        int k = (int)(r % N);
        size_t want = ((size_t)1 + (r >> 8) % 6) * MiB - (r >> 16) % MiB;
        switch ((r >> 32) % 4) {
        case 0: /* calloc: zeros */
            if (!obj[k]) {
                obj[k] = metall_calloc(m, 1, want);
                if (!obj[k])
                    return -1;
                size_t at;
                if (!all_zero(obj[k], want, &at)) {
                    fprintf(stderr, "step %d: calloc(%zu) byte %zu is 0x%02x\n", i, want, at,
                            obj[k][at]);
                    bad++;
                }
                memset(obj[k], 0xCD, want);
            }
            break;
        case 1: /* malloc and write */
            if (!obj[k]) {
                obj[k] = metall_malloc(m, want);
                if (!obj[k])
                    return -1;
                memset(obj[k], 0xAB, want);
            }
            break;
        case 2: /* realloc (grow in place or move, or shrink) and write */
            if (obj[k]) {
                unsigned char *q = metall_realloc(m, obj[k], want);
                if (!q)
                    return -1;
                obj[k] = q;
                memset(q, 0xEF, want);
            }
            break;
        default:
            metall_free(m, obj[k]);
            obj[k] = NULL;
            break;
        }
    }
    for (int k = 0; k < N; k++)
        metall_free(m, obj[k]);
    return bad;
}

static void test_calloc_random_paths(void **state)
{
    (void)state;
    char ds[4200], snap[4200];
    path_in(ds, sizeof ds, "calloc-random");
    path_in(snap, sizeof snap, "calloc-random-snap");
    metall_options o = {.capacity = (size_t)1 << 30};
    metall_manager *m = metall_create_ex(ds, &o);
    assert_non_null(m);
    assert_int_equal(calloc_round(m, 1, 3000), 0);
    assert_true(metall_flush(m));
    assert_int_equal(calloc_round(m, 2, 3000), 0);
    assert_true(metall_snapshot(m, snap));
    assert_true(metall_close(m));
    const char *paths[] = {ds, snap};
    for (int i = 0; i < 2; i++) {
        m = metall_open(paths[i]);
        assert_non_null(m);
        assert_int_equal(calloc_round(m, 3 + (uint64_t)i, 3000), 0);
        assert_true(metall_close(m));
        assert_true(metall_remove(paths[i]));
    }
}

/* ---- stray pointers ------------------------------------------------------ */

/* Free p (a pointer the heap never handed out) and check it is ignored:
 * usable_size 0, and no later allocation returns it or overlaps it. */
static void check_stray_ignored(metall_manager *m, char *stray, const char *what)
{
    metall_free(m, stray);
    metall_free(m, stray + 8);
    enum { N = 2000 };
    static char *got[N];
    for (int i = 0; i < N; i++) {
        got[i] = metall_malloc(m, 8);
        assert_non_null(got[i]);
        if (got[i] == stray || got[i] == stray + 8)
            fail_msg("%s: malloc(8) returned the stray pointer after freeing it", what);
    }
    for (int i = 0; i < N; i++)
        metall_free(m, got[i]);
    if (metall_usable_size(m, stray) != 0)
        fail_msg("%s: usable_size %zu, expected 0", what, metall_usable_size(m, stray));
}

static void test_stray_pointers_ignored(void **state)
{
    (void)state;
    char ds[4200];
    path_in(ds, sizeof ds, "stray");
    metall_options o = {.capacity = (size_t)1 << 30};
    metall_manager *m = metall_create_ex(ds, &o);
    assert_non_null(m);
    char *small = metall_malloc(m, 64);
    char *large = metall_malloc(m, 5 * MiB);
    assert_non_null(small);
    assert_non_null(large);
    uint64_t lo = metall_offset_of(m, large);
    char *base = metall_ptr_at(m, 1) - 1;
    /* a chunk inside the mapped block that was never used, one past the
     * mapped block, the last chunk of the capacity, chunk 0 (reserved),
     * the body of a large object, a chunk used and freed since */
    char *never = base + ((size_t)100 << 21) + 4096;
    check_stray_ignored(m, never, "never-used chunk in the mapped block");
    check_stray_ignored(m, base + ((size_t)300 << 21), "chunk past the mapped block");
    check_stray_ignored(m, base + o.capacity - ((size_t)1 << 21), "last chunk of the capacity");
    check_stray_ignored(m, base + 64, "chunk 0");
    check_stray_ignored(m, large + ((size_t)2 << 21), "body of a large object");
    char *freed = metall_malloc(m, 3 * MiB);
    assert_non_null(freed);
    metall_free(m, freed);
    check_stray_ignored(m, freed, "freed large object");
    /* the objects themselves are untouched and still free normally */
    assert_int_equal(metall_usable_size(m, small), 64);
    assert_int_equal(metall_usable_size(m, large), 6 * MiB);
    assert_int_equal(metall_offset_of(m, large), lo);
    /* a large object allocated now over the never-used chunk must not
     * overlap anything handed out above */
    char *big = metall_malloc(m, 300 * MiB);
    assert_non_null(big);
    metall_free(m, big);
    metall_free(m, small);
    metall_free(m, large);
    assert_true(metall_close(m));
    /* and after reopening (the class table is rebuilt from the file) */
    m = metall_open(ds);
    assert_non_null(m);
    base = metall_ptr_at(m, 1) - 1;
    check_stray_ignored(m, base + ((size_t)100 << 21), "never-used chunk after reopen");
    assert_true(metall_close(m));
    assert_true(metall_remove(ds));
}

static int setup(void **state)
{
    (void)state;
    return rel_mkdtemp(g_root, sizeof g_root, "alloc");
}

static int teardown(void **state)
{
    (void)state;
    rel_rm_tree(g_root);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calloc_after_grow_and_shrink),
        cmocka_unit_test(test_calloc_random_paths),
        cmocka_unit_test(test_stray_pointers_ignored),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
