/*
 * test_diskusage.c - freed memory goes back to the file system: allocate
 * 200 MiB in large objects and in small objects, check that
 * metall_get_stats().file_bytes and the segment files' st_blocks (du) rise,
 * free everything and check both fall to a small fraction; after close the
 * datastore's disk usage is small. Prints the numbers.
 */
#include "test_util.h"

#define MiB ((size_t)1 << 20)
#define TOTAL (200 * MiB)

static void report(const char *what, metall_manager *m, const char *p)
{
    metall_stats st;
    assert_true(metall_get_stats(m, &st));
    print_message("  %-28s allocated %7.1f MiB  file_bytes %7.1f MiB  du %7.1f MiB\n", what,
                  st.allocated_bytes / (double)MiB, st.file_bytes / (double)MiB,
                  tu_du(p) / (double)MiB);
}

static void run(const char *p, size_t objsize)
{
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    print_message("objects of %zu bytes:\n", objsize);
    report("empty", m, p);
    size_t n = TOTAL / objsize;
    void **v = malloc(n * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) {
        v[i] = metall_malloc(m, objsize);
        assert_non_null(v[i]);
        memset(v[i], (int)(i & 0xFF) | 1, objsize); /* touch every page */
    }
    metall_stats full;
    assert_true(metall_get_stats(m, &full));
    uint64_t du_full = tu_du(p);
    report("after 200 MiB allocated", m, p);
    assert_true(full.allocated_bytes >= TOTAL);
    assert_true(full.file_bytes >= TOTAL);
    assert_true(du_full >= TOTAL);
    /* flush writes the pages: still all on disk */
    assert_true(metall_flush(m));
    assert_true(tu_du(p) >= TOTAL);

    for (size_t i = 0; i < n; i++)
        metall_free(m, v[i]);
    free(v);
    report("after free", m, p);
    metall_stats freed;
    assert_true(metall_flush(m)); /* returns this thread's cached slots */
    assert_true(metall_get_stats(m, &freed));
    uint64_t du_freed = tu_du(p);
    report("after free + flush", m, p);
    assert_true(freed.allocated_bytes < MiB);
    /* a small fraction: at most a few reusable chunks stay backed */
    assert_true(freed.file_bytes < full.file_bytes / 8);
    assert_true(du_freed < du_full / 8);
    assert_true(metall_close(m));
    uint64_t du_closed = tu_du(p);
    print_message("  %-28s du %7.1f MiB\n", "after close", du_closed / (double)MiB);
    assert_true(du_closed < 4 * MiB);

    /* reopened, the space is reusable: allocate again, no growth beyond */
    m = metall_open(p);
    assert_non_null(m);
    void *big = metall_malloc(m, 100 * MiB);
    assert_non_null(big);
    memset(big, 3, 100 * MiB);
    metall_stats again;
    assert_true(metall_get_stats(m, &again));
    assert_true(again.segment_bytes <= full.segment_bytes);
    metall_free(m, big);
    assert_true(metall_close(m));
    assert_true(tu_du(p) < 4 * MiB);
    assert_true(metall_remove(p));
}

static void test_large_objects(void **state)
{
    run(tu_path(*state, "large"), 4 * MiB);
}

static void test_medium_objects(void **state)
{
    run(tu_path(*state, "medium"), 64 << 10);
}

static void test_small_objects(void **state)
{
    run(tu_path(*state, "small"), 512);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_large_objects, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_medium_objects, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_small_objects, tu_setup, tu_teardown),
    };
    return cmocka_run_group_tests_name("core_diskusage", tests, NULL, NULL);
}
