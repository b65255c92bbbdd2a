/*
 * test_api.c - every function of include/metall/metall.h in one process:
 * life cycle errors, allocation functions, named objects, descriptions,
 * uuid, stats, position-independent pointers, and the error rule (errno as
 * documented, a message naming the path, NULL arguments -> EINVAL).
 */
#include "test_util.h"

#include <ctype.h>

#define MiB ((size_t)1 << 20)

/* ---- life cycle ---------------------------------------------------------- */

static void test_create_exists(void **state)
{
    const char *dir = *state;
    const char *p = tu_path(dir, "ds");
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    assert_false(metall_is_read_only(m));
    assert_true(metall_close(m));
    assert_true(metall_consistent(p));

    TU_FAILS(metall_create(p) == NULL, EEXIST, p);
    /* a plain file or a foreign directory also exists */
    const char *f = tu_path(dir, "file");
    tu_write_file(f, "x");
    TU_FAILS(metall_create(f) == NULL, EEXIST, f);
    const char *d = tu_path(dir, "plain");
    assert_int_equal(mkdir(d, 0755), 0);
    TU_FAILS(metall_create(d) == NULL, EEXIST, d);
    /* create_ex with NULL options is metall_create; missing parents are made */
    const char *deep = tu_path(dir, "a/b/c/ds");
    m = metall_create_ex(deep, NULL);
    assert_non_null(m);
    assert_true(metall_close(m));
    assert_true(metall_consistent(deep));
}

static void test_create_ex_overwrite(void **state)
{
    const char *dir = *state;
    const char *p = tu_path(dir, "ds");
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    int *x = metall_named_malloc(m, "x", sizeof *x);
    assert_non_null(x);
    *x = 42;
    assert_true(metall_close(m));
    char u1[37], u2[37];
    assert_true(metall_get_uuid(p, u1));

    metall_options o = {0};
    o.overwrite = true;
    m = metall_create_ex(p, &o);
    assert_non_null(m);
    /* a new, empty datastore replaced the old one */
    assert_null(metall_find(m, "x"));
    assert_int_equal(metall_named_count(m), 0);
    /* overwrite of a datastore that is open: EBUSY, nothing touched */
    TU_FAILS(metall_create_ex(p, &o) == NULL, EBUSY, p);
    assert_true(metall_close(m));
    assert_true(metall_get_uuid(p, u2));
    assert_string_not_equal(u1, u2);

    /* a directory that is not a datastore is never replaced */
    const char *d = tu_path(dir, "precious");
    assert_int_equal(mkdir(d, 0755), 0);
    const char *keep = tu_path(d, "keep.txt");
    tu_write_file(keep, "data");
    TU_FAILS(metall_create_ex(d, &o) == NULL, EINVAL, d);
    assert_true(tu_exists(keep));
    /* nor a plain file */
    const char *f = tu_path(dir, "file");
    tu_write_file(f, "x");
    TU_FAILS(metall_create_ex(f, &o) == NULL, EINVAL, f);
    assert_true(tu_exists(f));
    /* without overwrite: EEXIST */
    o.overwrite = false;
    TU_FAILS(metall_create_ex(p, &o) == NULL, EEXIST, p);
}

static void test_capacity(void **state)
{
    const char *p = tu_path(*state, "ds");
    metall_options o = {0};
    o.capacity = 64 * MiB;
    metall_manager *m = metall_create_ex(p, &o);
    assert_non_null(m);
    void *a = metall_malloc(m, 16 * MiB);
    assert_non_null(a);
    memset(a, 1, 16 * MiB);
    /* more than the capacity: ENOMEM, not a crash */
    TU_FAILS(metall_malloc(m, 128 * MiB) == NULL, ENOMEM, p);
    metall_free(m, a);
    assert_true(metall_close(m));
    /* the geometry is persisted: still limited after reopen */
    m = metall_open(p);
    assert_non_null(m);
    TU_FAILS(metall_malloc(m, 128 * MiB) == NULL, ENOMEM, p);
    assert_true(metall_close(m));
}

static void test_open_errors(void **state)
{
    const char *dir = *state;
    const char *missing = tu_path(dir, "missing");
    TU_FAILS(metall_open(missing) == NULL, ENOENT, missing);
    TU_FAILS(metall_open_read_only(missing) == NULL, ENOENT, missing);
    const char *f = tu_path(dir, "file");
    tu_write_file(f, "hello");
    TU_FAILS(metall_open(f) == NULL, ENOTDIR, f);
    TU_FAILS(metall_open_read_only(f) == NULL, ENOTDIR, f);
    const char *d = tu_path(dir, "plain");
    assert_int_equal(mkdir(d, 0755), 0);
    TU_FAILS(metall_open(d) == NULL, EINVAL, d);
    TU_FAILS(metall_open_read_only(d) == NULL, EINVAL, d);
    tu_write_file(tu_path(d, "datastore"), "not a datastore file at all, just text");
    TU_FAILS(metall_open(d) == NULL, EINVAL, d);
    /* longer than a file header: still foreign, not damaged */
    tu_write_file(tu_path(d, "datastore"),
                  "a text file that happens to be called datastore, and is long enough to "
                  "hold a whole metall-c file header and then some more bytes");
    TU_FAILS(metall_open(d) == NULL, EINVAL, d);
    TU_FAILS(metall_open_read_only(d) == NULL, EINVAL, d);
    TU_FAILS(metall_get_uuid(d, (char[37]){0}) == false, EINVAL, d);
    /* the failed opens created nothing */
    assert_false(tu_exists(missing));
    assert_false(tu_exists(tu_path(d, "closed")));
    TU_FAILS(metall_remove(d) == false, EINVAL, d);
    assert_true(tu_exists(tu_path(d, "datastore")));
    TU_FAILS(metall_remove(missing) == false, ENOENT, missing);
    TU_FAILS(metall_consistent(missing) == false, ENOENT, missing);
    TU_FAILS(metall_consistent(d) == false, EINVAL, d);
}

static void test_open_close_flush(void **state)
{
    const char *p = tu_path(*state, "ds");
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    /* open for writing: not consistent (EBUSY: open now) */
    TU_FAILS(metall_consistent(p) == false, EBUSY, p);
    uint64_t *v = metall_named_malloc(m, "v", 8 * sizeof *v);
    assert_non_null(v);
    for (int i = 0; i < 8; i++)
        v[i] = (uint64_t)i * 1000003u;
    assert_true(metall_flush(m));
    v[0] = 77;
    assert_true(metall_close(m));
    assert_true(metall_consistent(p));

    m = metall_open(p);
    assert_non_null(m);
    size_t len = 0;
    v = metall_named_find(m, "v", &len);
    assert_non_null(v);
    assert_int_equal(len, 8 * sizeof *v);
    assert_int_equal(v[0], 77);
    for (int i = 1; i < 8; i++)
        assert_int_equal(v[i], (uint64_t)i * 1000003u);
    assert_true(metall_close(m));

    m = metall_open_read_only(p);
    assert_non_null(m);
    assert_true(metall_is_read_only(m));
    v = metall_find(m, "v");
    assert_non_null(v);
    assert_int_equal(v[0], 77);
    TU_FAILS(metall_flush(m) == false, EROFS, p);
    assert_true(metall_close(m));
    assert_true(metall_consistent(p));
    assert_true(metall_remove(p));
    assert_false(tu_exists(p));

    /* trailing slashes name the same datastore */
    char slash[PATH_MAX];
    snprintf(slash, sizeof slash, "%s//", p);
    m = metall_create(slash);
    assert_non_null(m);
    assert_true(metall_close(m));
    m = metall_open(slash);
    assert_non_null(m);
    TU_FAILS(metall_open(p) == NULL, EBUSY, p);
    assert_true(metall_close(m));
    assert_true(metall_consistent(p));
    /* a snapshot into a directory that does not exist yet creates it */
    m = metall_open(p);
    assert_non_null(m);
    const char *deep = tu_path(*state, "x/y/snap");
    assert_true(metall_snapshot(m, deep));
    assert_true(metall_close(m));
    assert_true(metall_consistent(deep));
}

/* ---- NULL and invalid arguments ------------------------------------------- */

static int count_cb(const char *name, void *ptr, size_t length, void *ctx)
{
    (*(size_t *)ctx)++;
    return 0;
}

static void test_null_args(void **state)
{
    const char *p = tu_path(*state, "ds");
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    char buf[64], uuid[37];
    metall_stats st;

    TU_FAILS(metall_create(NULL) == NULL, EINVAL, NULL);
    TU_FAILS(metall_create("") == NULL, EINVAL, NULL);
    TU_FAILS(metall_create_ex(NULL, NULL) == NULL, EINVAL, NULL);
    TU_FAILS(metall_open(NULL) == NULL, EINVAL, NULL);
    TU_FAILS(metall_open("") == NULL, EINVAL, NULL);
    TU_FAILS(metall_open_read_only(NULL) == NULL, EINVAL, NULL);
    TU_FAILS(metall_close(NULL) == false, EINVAL, NULL);
    TU_FAILS(metall_flush(NULL) == false, EINVAL, NULL);
    TU_FAILS(metall_snapshot(NULL, tu_path(*state, "s")) == false, EINVAL, NULL);
    TU_FAILS(metall_snapshot(m, NULL) == false, EINVAL, NULL);
    TU_FAILS(metall_copy(NULL, tu_path(*state, "c")) == false, EINVAL, NULL);
    TU_FAILS(metall_copy(p, NULL) == false, EINVAL, NULL);
    TU_FAILS(metall_remove(NULL) == false, EINVAL, NULL);
    TU_FAILS(metall_consistent(NULL) == false, EINVAL, NULL);

    TU_FAILS(metall_malloc(NULL, 8) == NULL, EINVAL, NULL);
    TU_FAILS(metall_malloc(NULL, 8 * MiB) == NULL, EINVAL, NULL);
    TU_FAILS(metall_calloc(NULL, 1, 8) == NULL, EINVAL, NULL);
    TU_FAILS(metall_calloc(NULL, 1, 8 * MiB) == NULL, EINVAL, NULL);
    TU_FAILS(metall_realloc(NULL, NULL, 8) == NULL, EINVAL, NULL);
    TU_FAILS(metall_aligned_alloc(NULL, 64, 8) == NULL, EINVAL, NULL);
    TU_FAILS(metall_aligned_alloc(NULL, 8, 8) == NULL, EINVAL, NULL);
    metall_free(NULL, NULL);
    metall_free(m, NULL);
    void *x = metall_malloc(m, 8);
    assert_non_null(x);
    metall_free(NULL, x); /* ignored, must not crash */
    assert_int_equal(metall_usable_size(NULL, x), 0);
    assert_int_equal(metall_usable_size(m, NULL), 0);
    metall_free(m, x);

    TU_FAILS(metall_named_malloc(NULL, "a", 8) == NULL, EINVAL, NULL);
    TU_FAILS(metall_named_malloc(m, NULL, 8) == NULL, EINVAL, p);
    TU_FAILS(metall_find(NULL, "a") == NULL, EINVAL, NULL);
    TU_FAILS(metall_find(m, NULL) == NULL, EINVAL, p);
    TU_FAILS(metall_named_find(NULL, "a", NULL) == NULL, EINVAL, NULL);
    TU_FAILS(metall_named_find(m, NULL, NULL) == NULL, EINVAL, p);
    TU_FAILS(metall_named_find_or_malloc(NULL, "a", 8, NULL) == NULL, EINVAL, NULL);
    TU_FAILS(metall_named_find_or_malloc(m, NULL, 8, NULL) == NULL, EINVAL, p);
    TU_FAILS(metall_named_free(NULL, "a") == false, EINVAL, NULL);
    TU_FAILS(metall_named_free(m, NULL) == false, EINVAL, p);
    errno = 0;
    assert_int_equal(metall_named_count(NULL), 0);
    assert_int_equal(errno, EINVAL);
    size_t n = 0;
    TU_FAILS(metall_named_foreach(NULL, count_cb, &n) == -1, EINVAL, NULL);
    TU_FAILS(metall_named_foreach(m, NULL, &n) == -1, EINVAL, NULL);
    assert_non_null(metall_named_malloc(m, "a", 8));
    TU_FAILS(metall_named_set_description(NULL, "a", "t") == false, EINVAL, NULL);
    TU_FAILS(metall_named_set_description(m, NULL, "t") == false, EINVAL, NULL);
    TU_FAILS(metall_named_set_description(m, "a", NULL) == false, EINVAL, NULL);
    TU_FAILS(metall_named_get_description(NULL, "a", buf, sizeof buf) == false, EINVAL, NULL);
    TU_FAILS(metall_named_get_description(m, NULL, buf, sizeof buf) == false, EINVAL, NULL);
    TU_FAILS(metall_named_get_description(m, "a", NULL, 10) == false, EINVAL, NULL);
    TU_FAILS(metall_named_get_description(m, "a", buf, 0) == false, EINVAL, NULL);

    TU_FAILS(metall_set_description(NULL, "t") == false, EINVAL, NULL);
    TU_FAILS(metall_set_description(m, NULL) == false, EINVAL, NULL);
    TU_FAILS(metall_get_description(NULL, buf, sizeof buf) == false, EINVAL, NULL);
    TU_FAILS(metall_get_description(p, NULL, 10) == false, EINVAL, p);
    TU_FAILS(metall_get_description(p, buf, 0) == false, EINVAL, p);
    TU_FAILS(metall_get_uuid(NULL, uuid) == false, EINVAL, NULL);
    TU_FAILS(metall_get_uuid(p, NULL) == false, EINVAL, p);
    assert_false(metall_is_read_only(NULL));
    TU_FAILS(metall_get_stats(NULL, &st) == false, EINVAL, NULL);
    TU_FAILS(metall_get_stats(m, NULL) == false, EINVAL, NULL);
    TU_FAILS(metall_numa_pages(NULL, NULL, 0) == -1, EINVAL, NULL);
    assert_true(metall_close(m));
}

/* ---- allocation ----------------------------------------------------------- */

static void test_malloc_free(void **state)
{
    const char *p = tu_path(*state, "ds");
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    enum { N = 400 };
    static const size_t sizes[] = {1,    7,    8,     9,     16,     24,    100,    255,
                                   256,  1000, 4096,  5000,  65536,  100000, 1 << 20,
                                   (1 << 20) + 1, 3 << 20};
    void *ptrs[N];
    size_t szs[N];
    for (int i = 0; i < N; i++) {
        size_t s = sizes[i % (sizeof sizes / sizeof *sizes)];
        if (s > 100000 && i > 40)
            s = 1000 + (size_t)i; /* keep the large ones few */
        void *q = metall_malloc(m, s);
        assert_non_null(q);
        size_t align = s <= 8 ? 8 : 16;
        assert_int_equal((uintptr_t)q % align, 0);
        assert_true(metall_usable_size(m, q) >= s);
        assert_int_not_equal(metall_offset_of(m, q), 0);
        tu_fill(q, s, (uint64_t)i);
        ptrs[i] = q;
        szs[i] = s;
    }
    /* no two live objects overlap: every pattern is intact */
    for (int i = 0; i < N; i++)
        assert_true(tu_check(ptrs[i], szs[i], (uint64_t)i));
    for (int i = 0; i < N; i += 2)
        metall_free(m, ptrs[i]);
    for (int i = 1; i < N; i += 2)
        assert_true(tu_check(ptrs[i], szs[i], (uint64_t)i));
    for (int i = 1; i < N; i += 2)
        metall_free(m, ptrs[i]);

    /* malloc(0) returns unique pointers */
    void *z1 = metall_malloc(m, 0), *z2 = metall_malloc(m, 0);
    assert_non_null(z1);
    assert_non_null(z2);
    assert_ptr_not_equal(z1, z2);
    metall_free(m, z1);
    metall_free(m, z2);
    assert_true(metall_close(m));
}

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        if (c[i])
            return false;
    return true;
}

static void test_api_calloc(void **state)
{
    const char *p = tu_path(*state, "ds");
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    /* dirty memory first, free it, then calloc must hand out zeros even when
     * it reuses the same memory (small, tcache'd and large chunks) */
    static const size_t sizes[] = {24, 100, 4000, 70000, 1 << 20, (1 << 20) + 1, 3 << 20,
                                   8 << 20};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t s = sizes[k];
        for (int round = 0; round < 3; round++) {
            void *d = metall_malloc(m, s);
            assert_non_null(d);
            memset(d, 0xAB, metall_usable_size(m, d));
            metall_free(m, d);
            unsigned char *z = metall_calloc(m, 1, s);
            assert_non_null(z);
            assert_true(all_zero(z, s));
            memset(z, 0xCD, s);
            metall_free(m, z);
        }
        unsigned char *z = metall_calloc(m, s / 4 ? s / 4 : 1, 4);
        assert_non_null(z);
        assert_true(all_zero(z, s / 4 ? s / 4 * 4 : 4));
        metall_free(m, z);
    }
    TU_FAILS(metall_calloc(m, SIZE_MAX / 2, 4) == NULL, ENOMEM, NULL);
    void *z0 = metall_calloc(m, 0, 16);
    assert_non_null(z0);
    metall_free(m, z0);
    assert_true(metall_close(m));
}

static void test_api_realloc(void **state)
{
    const char *p = tu_path(*state, "ds");
    metall_manager *m = metall_create(p);
    assert_non_null(m);

    /* NULL: malloc */
    char *a = metall_realloc(m, NULL, 100);
    assert_non_null(a);
    tu_fill(a, 100, 1);
    /* small grow and shrink keep contents */
    a = metall_realloc(m, a, 5000);
    assert_non_null(a);
    assert_true(tu_check(a, 100, 1));
    tu_fill(a, 5000, 2);
    a = metall_realloc(m, a, 40);
    assert_non_null(a);
    assert_true(tu_check(a, 40, 2));
    /* small -> large -> small */
    tu_fill(a, 40, 3);
    a = metall_realloc(m, a, 3 * MiB);
    assert_non_null(a);
    assert_true(tu_check(a, 40, 3));
    tu_fill(a, 3 * MiB, 4);
    a = metall_realloc(m, a, 10 * MiB);
    assert_non_null(a);
    assert_true(tu_check(a, 3 * MiB, 4));
    tu_fill(a, 10 * MiB, 5);
    /* large shrink keeps the object in place */
    char *b = metall_realloc(m, a, 5 * MiB);
    assert_ptr_equal(a, b);
    assert_true(tu_check(b, 5 * MiB, 5));
    assert_true(metall_usable_size(m, b) >= 5 * MiB);
    assert_true(metall_usable_size(m, b) < 10 * MiB);
    b = metall_realloc(m, b, 1000);
    assert_non_null(b);
    assert_true(tu_check(b, 1000, 5));
    /* failure leaves the old object untouched */
    TU_FAILS(metall_realloc(m, b, (size_t)1 << 60) == NULL, ENOMEM, NULL);
    assert_true(tu_check(b, 1000, 5));
    /* size 0 frees */
    assert_null(metall_realloc(m, b, 0));
    assert_true(metall_close(m));
}

static void test_realloc_in_place(void **state)
{
    const char *p = tu_path(*state, "ds");
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    /* a large object with free chunks after it grows in place */
    char *a = metall_malloc(m, 4 * MiB);
    assert_non_null(a);
    char *guard = metall_malloc(m, 4 * MiB); /* likely right after a */
    assert_non_null(guard);
    tu_fill(a, 4 * MiB, 9);
    bool adjacent = guard == a + 4 * MiB;
    metall_free(m, guard);
    char *b = metall_realloc(m, a, 8 * MiB);
    assert_non_null(b);
    if (adjacent)
        assert_ptr_equal(a, b);
    assert_true(tu_check(b, 4 * MiB, 9));
    /* the last object of the heap: the chunks after it are free */
    char *c = metall_malloc(m, 2 * MiB + 1);
    assert_non_null(c);
    tu_fill(c, 2 * MiB + 1, 10);
    char *d = metall_realloc(m, c, 30 * MiB);
    assert_ptr_equal(c, d);
    assert_true(tu_check(d, 2 * MiB + 1, 10));
    assert_true(metall_usable_size(m, d) >= 30 * MiB);
    memset(d, 1, 30 * MiB);
    metall_free(m, b);
    metall_free(m, d);
    assert_true(metall_close(m));
}

static void test_aligned_alloc(void **state)
{
    const char *p = tu_path(*state, "ds");
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    void *keep[64];
    int nk = 0;
    for (size_t al = 1; al <= 4 * MiB; al <<= 1) {
        static const size_t mult[] = {0, 1, 3};
        for (int k = 0; k < 3; k++) {
            size_t s = mult[k] ? al * mult[k] : 1;
            void *q = metall_aligned_alloc(m, al, s);
            assert_non_null(q);
            if ((uintptr_t)q % al) {
                print_error("alignment %zu size %zu: %p\n", al, s, q);
                fail();
            }
            assert_true(metall_usable_size(m, q) >= s);
            memset(q, 0x5A, s);
            if (nk < 64)
                keep[nk++] = q;
            else
                metall_free(m, q);
        }
    }
    for (int i = 0; i < nk; i++)
        metall_free(m, keep[i]);
    TU_FAILS(metall_aligned_alloc(m, 3, 16) == NULL, EINVAL, p);
    TU_FAILS(metall_aligned_alloc(m, 0, 16) == NULL, EINVAL, p);
    TU_FAILS(metall_aligned_alloc(m, 48, 16) == NULL, EINVAL, p);
    assert_true(metall_close(m));
}

/* ---- named objects -------------------------------------------------------- */

struct visit {
    int seen;
    int stop_after;
    size_t total_len;
};

static int visit_cb(const char *name, void *ptr, size_t length, void *ctx)
{
    struct visit *v = ctx;
    v->seen++;
    v->total_len += length;
    if (strncmp(name, "obj", 3) == 0)
        assert_int_equal(*(int *)ptr, atoi(name + 3));
    return v->stop_after && v->seen == v->stop_after ? 42 : 0;
}

static void test_named(void **state)
{
    const char *p = tu_path(*state, "ds");
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    assert_int_equal(metall_named_count(m), 0);
    size_t total = 0;
    for (int i = 0; i < 100; i++) {
        char name[32];
        snprintf(name, sizeof name, "obj%d", i);
        size_t len = sizeof(int) + (size_t)i * 3;
        int *o = metall_named_malloc(m, name, len);
        assert_non_null(o);
        *o = i;
        total += len;
    }
    assert_int_equal(metall_named_count(m), 100);
    TU_FAILS(metall_named_malloc(m, "obj5", 8) == NULL, EEXIST, "obj5");
    size_t len = 0;
    int *o = metall_named_find(m, "obj7", &len);
    assert_non_null(o);
    assert_int_equal(*o, 7);
    assert_int_equal(len, sizeof(int) + 21);
    assert_ptr_equal(metall_find(m, "obj7"), o);
    assert_ptr_equal(metall_named_find(m, "obj7", NULL), o);
    TU_FAILS(metall_find(m, "nope") == NULL, ENOENT, "nope");
    TU_FAILS(metall_named_find(m, "nope", &len) == NULL, ENOENT, p);

    bool created = false;
    int *f = metall_named_find_or_malloc(m, "fom", 64, &created);
    assert_non_null(f);
    assert_true(created);
    *f = 99;
    created = true;
    int *g = metall_named_find_or_malloc(m, "fom", 64, &created);
    assert_ptr_equal(f, g);
    assert_false(created);
    assert_non_null(metall_named_find_or_malloc(m, "fom", 64, NULL));
    assert_int_equal(metall_named_count(m), 101);

    struct visit v = {0};
    assert_int_equal(metall_named_foreach(m, visit_cb, &v), 0);
    assert_int_equal(v.seen, 101);
    assert_int_equal(v.total_len, total + 64);
    struct visit early = {0, 10, 0};
    assert_int_equal(metall_named_foreach(m, visit_cb, &early), 42);
    assert_int_equal(early.seen, 10);

    /* names: METALL_NAME_MAX bytes is fine, one more or empty is EINVAL */
    char longname[METALL_NAME_MAX + 2];
    memset(longname, 'n', METALL_NAME_MAX);
    longname[METALL_NAME_MAX] = '\0';
    assert_non_null(metall_named_malloc(m, longname, 8));
    assert_non_null(metall_find(m, longname));
    longname[METALL_NAME_MAX] = 'n';
    longname[METALL_NAME_MAX + 1] = '\0';
    TU_FAILS(metall_named_malloc(m, longname, 8) == NULL, EINVAL, p);
    TU_FAILS(metall_find(m, longname) == NULL, EINVAL, p);
    TU_FAILS(metall_named_find_or_malloc(m, longname, 8, NULL) == NULL, EINVAL, p);
    TU_FAILS(metall_named_malloc(m, "", 8) == NULL, EINVAL, p);
    TU_FAILS(metall_find(m, "") == NULL, EINVAL, p);
    TU_FAILS(metall_named_free(m, "") == false, EINVAL, p);

    /* descriptions of named objects */
    char buf[128];
    assert_true(metall_named_get_description(m, "obj3", buf, sizeof buf));
    assert_string_equal(buf, "");
    assert_true(metall_named_set_description(m, "obj3", "the third object"));
    assert_true(metall_named_get_description(m, "obj3", buf, sizeof buf));
    assert_string_equal(buf, "the third object");
    assert_true(metall_named_get_description(m, "obj3", buf, 8));
    assert_string_equal(buf, "the thi");
    TU_FAILS(metall_named_set_description(m, "nope", "x") == false, ENOENT, "nope");
    TU_FAILS(metall_named_get_description(m, "nope", buf, sizeof buf) == false, ENOENT, "nope");

    char *bigdesc = malloc(METALL_DESCRIPTION_MAX + 2);
    assert_non_null(bigdesc);
    memset(bigdesc, 'q', METALL_DESCRIPTION_MAX + 1);
    bigdesc[METALL_DESCRIPTION_MAX + 1] = '\0';
    TU_FAILS(metall_named_set_description(m, "obj3", bigdesc) == false, EINVAL, NULL);
    free(bigdesc);
    assert_true(metall_named_get_description(m, "obj3", buf, sizeof buf));
    assert_string_equal(buf, "the third object");

    /* a zero-length named object is a real, distinct object */
    void *z1 = metall_named_malloc(m, "zero1", 0), *z2 = metall_named_malloc(m, "zero2", 0);
    assert_non_null(z1);
    assert_non_null(z2);
    assert_ptr_not_equal(z1, z2);
    assert_ptr_equal(metall_named_find(m, "zero1", &len), z1);
    assert_int_equal(len, 0);
    assert_true(metall_named_free(m, "zero1"));
    assert_true(metall_named_free(m, "zero2"));

    /* named_free */
    assert_true(metall_named_free(m, "obj5"));
    TU_FAILS(metall_find(m, "obj5") == NULL, ENOENT, "obj5");
    TU_FAILS(metall_named_free(m, "obj5") == false, ENOENT, "obj5");
    assert_int_equal(metall_named_count(m), 101);
    /* the name can be reused */
    int *r = metall_named_malloc(m, "obj5", sizeof(int));
    assert_non_null(r);
    *r = 5;
    assert_true(metall_close(m));

    /* all of it persists */
    m = metall_open(p);
    assert_non_null(m);
    assert_int_equal(metall_named_count(m), 102);
    for (int i = 0; i < 100; i++) {
        char name[32];
        snprintf(name, sizeof name, "obj%d", i);
        o = metall_named_find(m, name, &len);
        assert_non_null(o);
        assert_int_equal(*o, i);
        assert_int_equal(len, i == 5 ? sizeof(int) : sizeof(int) + (size_t)i * 3);
    }
    assert_int_equal(*(int *)metall_find(m, "fom"), 99);
    longname[METALL_NAME_MAX] = '\0';
    assert_non_null(metall_find(m, longname));
    assert_true(metall_named_get_description(m, "obj3", buf, sizeof buf));
    assert_string_equal(buf, "the third object");
    assert_true(metall_named_free(m, "fom"));
    assert_int_equal(metall_named_count(m), 101);
    assert_true(metall_close(m));
}

/* ---- datastore properties --------------------------------------------------- */

static void test_description(void **state)
{
    const char *dir = *state;
    const char *p = tu_path(dir, "ds");
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    char buf[256];
    assert_true(metall_get_description(p, buf, sizeof buf));
    assert_string_equal(buf, "");
    assert_true(metall_set_description(m, "graph of scale 20"));
    /* readable without opening, even while open for writing */
    assert_true(metall_get_description(p, buf, sizeof buf));
    assert_string_equal(buf, "graph of scale 20");
    assert_true(metall_set_description(m, "graph of scale 22"));
    assert_true(metall_close(m));
    assert_true(metall_get_description(p, buf, sizeof buf));
    assert_string_equal(buf, "graph of scale 22");
    assert_true(metall_get_description(p, buf, 6));
    assert_string_equal(buf, "graph");

    char *big = malloc(METALL_DESCRIPTION_MAX + 2);
    assert_non_null(big);
    memset(big, 'd', METALL_DESCRIPTION_MAX + 1);
    big[METALL_DESCRIPTION_MAX + 1] = '\0';
    m = metall_open(p);
    if (!m)
        print_error("open %s: %s\n", p, metall_errmsg());
    assert_non_null(m);
    TU_FAILS(metall_set_description(m, big) == false, EINVAL, p);
    big[METALL_DESCRIPTION_MAX] = '\0';
    assert_true(metall_set_description(m, big));
    assert_true(metall_close(m));
    char *rb = malloc(METALL_DESCRIPTION_MAX + 1);
    assert_true(metall_get_description(p, rb, METALL_DESCRIPTION_MAX + 1));
    assert_int_equal(strlen(rb), METALL_DESCRIPTION_MAX);
    free(rb);
    free(big);

    const char *missing = tu_path(dir, "missing");
    TU_FAILS(metall_get_description(missing, buf, sizeof buf) == false, ENOENT, missing);
    const char *plain = tu_path(dir, "plain");
    assert_int_equal(mkdir(plain, 0755), 0);
    TU_FAILS(metall_get_description(plain, buf, sizeof buf) == false, EINVAL, plain);
}

static bool uuid_well_formed(const char *u)
{
    if (strlen(u) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (u[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)u[i])) {
            return false;
        }
    }
    return true;
}

static void test_uuid(void **state)
{
    const char *dir = *state;
    const char *p1 = tu_path(dir, "ds1"), *p2 = tu_path(dir, "ds2"), *s = tu_path(dir, "snap");
    const char *c = tu_path(dir, "copy");
    metall_manager *m1 = metall_create(p1);
    metall_manager *m2 = metall_create(p2);
    assert_non_null(m1);
    assert_non_null(m2);
    char u1[37], u2[37], u1b[37], us[37], uc[37];
    memset(u1, 'Z', sizeof u1);
    assert_true(metall_get_uuid(p1, u1));
    assert_true(uuid_well_formed(u1));
    assert_true(metall_get_uuid(p2, u2));
    assert_true(uuid_well_formed(u2));
    assert_string_not_equal(u1, u2);
    assert_true(metall_snapshot(m1, s));
    assert_true(metall_get_uuid(s, us));
    assert_true(uuid_well_formed(us));
    assert_string_not_equal(u1, us);
    assert_true(metall_close(m1));
    assert_true(metall_close(m2));
    assert_true(metall_get_uuid(p1, u1b));
    assert_string_equal(u1, u1b); /* stable across close */
    assert_true(metall_copy(p1, c));
    assert_true(metall_get_uuid(c, uc));
    assert_string_equal(u1, uc); /* a copy keeps it */
    const char *missing = tu_path(dir, "missing");
    TU_FAILS(metall_get_uuid(missing, u1) == false, ENOENT, missing);
    const char *plain = tu_path(dir, "plain");
    assert_int_equal(mkdir(plain, 0755), 0);
    TU_FAILS(metall_get_uuid(plain, u1) == false, EINVAL, plain);
}

static void test_version(void **state)
{
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", METALLC_VERSION_MAJOR, METALLC_VERSION_MINOR,
             METALLC_VERSION_PATCH);
    assert_non_null(metall_version());
    assert_string_equal(metall_version(), want);
}

static void test_stats(void **state)
{
    const char *p = tu_path(*state, "ds");
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    metall_stats s0, s1, s2;
    assert_true(metall_get_stats(m, &s0));
    assert_int_equal(s0.named_objects, 0);

    void *big = metall_malloc(m, 10 * MiB);
    assert_non_null(big);
    enum { NS = 1000 };
    void *small[NS];
    for (int i = 0; i < NS; i++) {
        small[i] = metall_malloc(m, 1000);
        assert_non_null(small[i]);
    }
    assert_non_null(metall_named_malloc(m, "n1", 100));
    assert_non_null(metall_named_malloc(m, "n2", 100));
    assert_true(metall_get_stats(m, &s1));
    assert_true(s1.allocated_bytes >= s0.allocated_bytes + 10 * MiB + NS * 1000);
    assert_true(s1.allocated_bytes <= s0.allocated_bytes + 10 * MiB + NS * 1024 + 4 * 4096);
    assert_true(s1.segment_bytes >= 10 * MiB);
    assert_true(s1.file_bytes >= 10 * MiB); /* backed chunks occupy disk */
    assert_int_equal(s1.named_objects, 2);

    metall_free(m, big);
    for (int i = 0; i < NS; i++)
        metall_free(m, small[i]);
    assert_true(metall_named_free(m, "n1"));
    assert_true(metall_get_stats(m, &s2));
    assert_true(s2.allocated_bytes < s1.allocated_bytes - 10 * MiB - NS * 900);
    assert_true(s2.allocated_bytes <= s0.allocated_bytes + 256);
    assert_int_equal(s2.named_objects, 1);
    assert_true(metall_close(m));
}

/* ---- offsets and self-relative pointers ------------------------------------ */

struct node {
    metall_rptr next;
    metall_rptr self;
    uint64_t val;
};

static void test_offsets_rptr(void **state)
{
    const char *p = tu_path(*state, "ds");
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    assert_int_equal(metall_offset_of(m, NULL), 0);
    assert_null(metall_ptr_at(m, 0));
    for (size_t s = 8; s <= 8 * MiB; s *= 4) {
        void *q = metall_malloc(m, s);
        assert_non_null(q);
        uint64_t off = metall_offset_of(m, q);
        assert_int_not_equal(off, 0);
        assert_ptr_equal(metall_ptr_at(m, off), q);
        metall_free(m, q);
    }

    struct node *a = metall_malloc(m, 16 * sizeof *a);
    assert_non_null(a);
    memset(a, 0, 16 * sizeof *a);
    for (int i = 0; i < 16; i++)
        assert_null(metall_rptr_get(&a[i].next)); /* zeroed = NULL */
    /* self-pointing */
    metall_rptr_set(&a[0].self, &a[0].self);
    assert_ptr_equal(metall_rptr_get(&a[0].self), &a[0].self);
    assert_int_not_equal(a[0].self.off, 0);
    /* forwards (positive) and backwards (negative) */
    metall_rptr_set(&a[1].next, &a[9]);
    assert_true(a[1].next.off > 0);
    assert_ptr_equal(metall_rptr_get(&a[1].next), &a[9]);
    metall_rptr_set(&a[9].next, &a[1]);
    assert_true(a[9].next.off < 0);
    assert_ptr_equal(metall_rptr_get(&a[9].next), &a[1]);
    /* one byte before / after */
    metall_rptr_set(&a[3].next, (char *)&a[3].next - 1);
    assert_ptr_equal(metall_rptr_get(&a[3].next), (char *)&a[3].next - 1);
    metall_rptr_set(&a[3].next, (char *)&a[3].next + 1);
    assert_ptr_equal(metall_rptr_get(&a[3].next), (char *)&a[3].next + 1);
    metall_rptr_set(&a[1].next, NULL);
    assert_null(metall_rptr_get(&a[1].next));
    assert_int_equal(a[1].next.off, 0);
    /* far apart: between two large objects */
    struct node *far = metall_malloc(m, 64 * MiB);
    assert_non_null(far);
    metall_rptr_set(&far->next, a);
    assert_ptr_equal(metall_rptr_get(&far->next), a);
    metall_rptr_set(&a[2].next, far);
    assert_ptr_equal(metall_rptr_get(&a[2].next), far);
    /* a copy of an rptr (memcpy elsewhere) points elsewhere: by design */
    metall_free(m, far);
    metall_free(m, a);
    assert_true(metall_close(m));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_exists, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_create_ex_overwrite, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_capacity, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_open_close_flush, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_null_args, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_malloc_free, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_api_calloc, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_api_realloc, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_realloc_in_place, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_aligned_alloc, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_named, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_description, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_uuid, tu_setup, tu_teardown),
        cmocka_unit_test(test_version),
        cmocka_unit_test_setup_teardown(test_stats, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_offsets_rptr, tu_setup, tu_teardown),
    };
    return cmocka_run_group_tests_name("core_api", tests, NULL, NULL);
}
