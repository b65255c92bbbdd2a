/*
 * test_readonly.c - metall_open_read_only(): the heap is mapped PROT_READ
 * (a store kills the process with SIGSEGV), every modifying call fails with
 * EROFS and changes nothing, several readers may be open at once, and a
 * writer is refused (EBUSY) while a reader is open, and vice versa.
 */
#include "test_util.h"

#define MiB ((size_t)1 << 20)

static void make_ds(const char *p)
{
    /* several managers of it are open at once: a modest capacity so that
     * sanitizer builds (smaller address space) can reserve them all */
    metall_options o = {0};
    o.capacity = (size_t)64 << 30;
    metall_manager *m = metall_create_ex(p, &o);
    assert_non_null(m);
    uint64_t *v = metall_named_malloc(m, "v", 1024 * sizeof *v);
    assert_non_null(v);
    for (int i = 0; i < 1024; i++)
        v[i] = (uint64_t)i * 3;
    unsigned char *big = metall_named_malloc(m, "big", 4 * MiB);
    assert_non_null(big);
    tu_fill(big, 4 * MiB, 5);
    assert_true(metall_named_set_description(m, "v", "vector"));
    assert_true(metall_set_description(m, "read-only test"));
    assert_true(metall_close(m));
}

static bool data_intact(metall_manager *m)
{
    size_t len = 0;
    uint64_t *v = metall_named_find(m, "v", &len);
    if (!v || len != 1024 * sizeof *v)
        return false;
    for (int i = 0; i < 1024; i++)
        if (v[i] != (uint64_t)i * 3)
            return false;
    unsigned char *big = metall_named_find(m, "big", &len);
    return big && len == 4 * MiB && tu_check(big, len, 5);
}

static void test_write_faults(void **state)
{
    const char *p = tu_path(*state, "ds");
    make_ds(p);
    const char *which[] = {"v", "big"};
    for (int k = 0; k < 2; k++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            /* a sanitizer's SEGV handler would turn the signal into exit(1) */
            signal(SIGSEGV, SIG_DFL);
            metall_manager *m = metall_open_read_only(p);
            CHILD_CHECK(m);
            volatile uint64_t *v = metall_find(m, which[k]);
            CHILD_CHECK(v);
            uint64_t x = v[1]; /* reading works */
            v[1] = x + 1;      /* must fault */
            _exit(0);
        }
        int st = tu_wait(pid);
        assert_true(WIFSIGNALED(st));
        assert_int_equal(WTERMSIG(st), SIGSEGV);
    }
    /* the reader died: nothing changed, still consistent */
    assert_true(metall_consistent(p));
    metall_manager *m = metall_open_read_only(p);
    assert_non_null(m);
    assert_true(data_intact(m));
    assert_true(metall_close(m));
}

static void test_erofs(void **state)
{
    const char *p = tu_path(*state, "ds");
    make_ds(p);
    metall_manager *m = metall_open_read_only(p);
    assert_non_null(m);
    assert_true(metall_is_read_only(m));
    void *v = metall_find(m, "v");
    assert_non_null(v);

    TU_FAILS(metall_malloc(m, 16) == NULL, EROFS, p);
    TU_FAILS(metall_malloc(m, 8 * MiB) == NULL, EROFS, p);
    TU_FAILS(metall_calloc(m, 4, 4) == NULL, EROFS, p);
    TU_FAILS(metall_calloc(m, 4, 4 * MiB) == NULL, EROFS, p);
    TU_FAILS(metall_aligned_alloc(m, 64, 64) == NULL, EROFS, p);
    TU_FAILS(metall_aligned_alloc(m, 4 * MiB, 64) == NULL, EROFS, p);
    TU_FAILS(metall_realloc(m, v, 64) == NULL, EROFS, p);
    TU_FAILS(metall_realloc(m, NULL, 64) == NULL, EROFS, p);
    TU_FAILS(metall_named_malloc(m, "new", 16) == NULL, EROFS, p);
    TU_FAILS(metall_named_find_or_malloc(m, "new", 16, NULL) == NULL, EROFS, p);
    TU_FAILS(metall_named_free(m, "v") == false, EROFS, p);
    TU_FAILS(metall_named_set_description(m, "v", "x") == false, EROFS, p);
    TU_FAILS(metall_set_description(m, "x") == false, EROFS, p);
    TU_FAILS(metall_flush(m) == false, EROFS, p);
    TU_FAILS(metall_snapshot(m, tu_path(*state, "snap")) == false, EROFS, p);
    assert_false(tu_exists(tu_path(*state, "snap")));
    /* on a reader, find_or_malloc is a lookup: it finds an existing name */
    bool created = true;
    assert_ptr_equal(metall_named_find_or_malloc(m, "v", 16, &created), v);
    assert_false(created);
    /* free on a read-only manager is ignored (it returns nothing) */
    metall_free(m, v);
    metall_free(m, metall_find(m, "big"));
    /* reading works: lookups, descriptions, stats, foreach */
    assert_true(data_intact(m));
    char buf[32];
    assert_true(metall_named_get_description(m, "v", buf, sizeof buf));
    assert_string_equal(buf, "vector");
    assert_int_equal(metall_named_count(m), 2);
    metall_stats st;
    assert_true(metall_get_stats(m, &st));
    assert_int_equal(st.named_objects, 2);
    assert_true(st.allocated_bytes >= 4 * MiB + 8192);
    assert_true(metall_usable_size(m, v) >= 8192);
    assert_true(metall_close(m));

    /* nothing was modified on disk */
    assert_true(metall_consistent(p));
    assert_true(metall_get_description(p, buf, sizeof buf));
    assert_string_equal(buf, "read-only test");
    m = metall_open(p);
    assert_non_null(m);
    assert_true(data_intact(m));
    assert_int_equal(metall_named_count(m), 2);
    TU_FAILS(metall_find(m, "new") == NULL, ENOENT, "new");
    /* the objects "freed" read-only are still allocated: a new object does
     * not land on them */
    uint64_t *n = metall_malloc(m, 1024 * sizeof *n);
    assert_non_null(n);
    memset(n, 0xEE, 1024 * sizeof *n);
    void *nb = metall_malloc(m, 4 * MiB);
    assert_non_null(nb);
    memset(nb, 0xEE, 4 * MiB);
    assert_true(data_intact(m));
    assert_true(metall_close(m));
}

static void test_many_readers(void **state)
{
    const char *p = tu_path(*state, "ds");
    make_ds(p);
    metall_manager *r1 = metall_open_read_only(p);
    metall_manager *r2 = metall_open_read_only(p);
    assert_non_null(r1);
    assert_non_null(r2);
    assert_ptr_not_equal(metall_find(r1, "v"), metall_find(r2, "v"));
    assert_true(data_intact(r1));
    assert_true(data_intact(r2));
    /* a reader in another process at the same time */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        metall_manager *r3 = metall_open_read_only(p);
        CHILD_CHECK(r3);
        CHILD_CHECK(data_intact(r3));
        CHILD_CHECK(metall_close(r3));
        _exit(0);
    }
    tu_assert_child_ok(tu_wait(pid));
    /* readers do not make it inconsistent */
    assert_true(metall_consistent(p));
    /* a writer is refused while readers are open */
    TU_FAILS(metall_open(p) == NULL, EBUSY, p);
    TU_FAILS(metall_remove(p) == false, EBUSY, p);
    metall_options o = {0};
    o.overwrite = true;
    TU_FAILS(metall_create_ex(p, &o) == NULL, EBUSY, p);
    assert_true(metall_close(r1));
    TU_FAILS(metall_open(p) == NULL, EBUSY, p);
    assert_true(metall_close(r2));
    /* all readers gone: a writer opens; now a reader is refused */
    metall_manager *w = metall_open(p);
    assert_non_null(w);
    TU_FAILS(metall_open_read_only(p) == NULL, EBUSY, p);
    assert_true(metall_close(w));
    assert_true(data_intact(r1 = metall_open_read_only(p)));
    assert_true(metall_close(r1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_faults, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_erofs, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_many_readers, tu_setup, tu_teardown),
    };
    return cmocka_run_group_tests_name("core_readonly", tests, NULL, NULL);
}
