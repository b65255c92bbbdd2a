/*
 * test_trim.c - close returns the pages of free slots to the file system:
 * after most small objects are freed, the closed datastore holds about the
 * live data; the survivors are intact after reopen, and chunks trimmed at
 * close are backed again before they are reused (allocations into them
 * succeed and keep their contents across another close/reopen).
 */
#include "test_util.h"

#define OBJ 64
#define COUNT (1u << 20) /* 64 MiB of 64-byte objects */
#define KEEP 1000        /* keep every KEEP-th object */

static uint64_t *index_of(metall_manager *m)
{
    return metall_find(m, "index");
}

static void test_trim_after_frees(void **state)
{
    const char *dir = *state;
    const char *path = tu_path(dir, "ds");
    metall_manager *m = metall_create(path);
    assert_non_null(m);
    uint64_t *idx = metall_named_malloc(m, "index", (COUNT / KEEP + 1) * sizeof(uint64_t));
    assert_non_null(idx);
    void **objs = malloc(COUNT * sizeof *objs);
    assert_non_null(objs);
    for (unsigned i = 0; i < COUNT; i++) {
        objs[i] = metall_malloc(m, OBJ);
        assert_non_null(objs[i]);
        tu_fill(objs[i], OBJ, i);
    }
    unsigned kept = 0;
    for (unsigned i = 0; i < COUNT; i++) {
        if (i % KEEP == 0)
            idx[kept++] = metall_offset_of(m, objs[i]);
        else
            metall_free(m, objs[i]);
    }
    uint64_t open_du = tu_du(path);
    assert_true(metall_close(m));
    uint64_t closed_du = tu_du(path);
    print_message("disk: %.1f MiB while open after the frees, %.1f MiB after close "
                  "(%u live objects of %d bytes)\n",
                  open_du / 1048576.0, closed_du / 1048576.0, kept, OBJ);
    /* 64 MiB were written; ~1/1000 of the slots live, one page each at most:
     * the closed files must be far below the open footprint */
    assert_true(open_du >= 32u << 20);
    assert_true(closed_du < open_du / 4);
    assert_true(closed_du < (8u << 20));

    /* survivors intact after reopen */
    m = metall_open(path);
    assert_non_null(m);
    idx = index_of(m);
    assert_non_null(idx);
    for (unsigned k = 0; k < kept; k++)
        assert_true(tu_check(metall_ptr_at(m, idx[k]), OBJ, (uint64_t)k * KEEP));

    /* reuse the trimmed chunks: they are backed again (file grows) and
     * what is written there survives */
    for (unsigned i = 0; i < COUNT / 2; i++) {
        objs[i] = metall_malloc(m, OBJ);
        assert_non_null(objs[i]);
        tu_fill(objs[i], OBJ, 7 * i + 3);
    }
    metall_stats st;
    assert_true(metall_get_stats(m, &st));
    assert_true(st.file_bytes > closed_du + (16u << 20));
    uint64_t *again = metall_named_malloc(m, "again", (COUNT / 2) * sizeof(uint64_t));
    assert_non_null(again);
    for (unsigned i = 0; i < COUNT / 2; i++)
        again[i] = metall_offset_of(m, objs[i]);
    assert_true(metall_close(m));

    m = metall_open_read_only(path);
    assert_non_null(m);
    idx = index_of(m);
    again = metall_find(m, "again");
    assert_non_null(again);
    for (unsigned k = 0; k < kept; k++)
        assert_true(tu_check(metall_ptr_at(m, idx[k]), OBJ, (uint64_t)k * KEEP));
    for (unsigned i = 0; i < COUNT / 2; i++)
        assert_true(tu_check(metall_ptr_at(m, again[i]), OBJ, 7 * (uint64_t)i + 3));
    assert_true(metall_close(m));
    free(objs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_trim_after_frees, tu_setup, tu_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
