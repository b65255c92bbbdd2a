/*
 * test_exclusive.c - one writer at a time: a second metall_open() of the
 * same datastore, from this process or another, fails with EBUSY and
 * changes nothing; after the writer closes, it opens. Readers exclude
 * writers and removal on every datastore, whatever made it (create,
 * snapshot, copy): a reader's mapping is never changed under it.
 */
#include "test_util.h"

static void test_second_writer_same_process(void **state)
{
    const char *p = tu_path(*state, "ds");
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    int *x = metall_named_malloc(m, "x", sizeof *x);
    assert_non_null(x);
    *x = 1;
    TU_FAILS(metall_open(p) == NULL, EBUSY, p);
    TU_FAILS(metall_open_read_only(p) == NULL, EBUSY, p);
    TU_FAILS(metall_consistent(p) == false, EBUSY, p);
    TU_FAILS(metall_remove(p) == false, EBUSY, p);
    TU_FAILS(metall_copy(p, tu_path(*state, "copy")) == false, EBUSY, p);
    assert_false(tu_exists(tu_path(*state, "copy")));
    /* a path spelled differently is the same datastore */
    char alt[PATH_MAX];
    snprintf(alt, sizeof alt, "%s/./ds/", (const char *)*state);
    TU_FAILS(metall_open(alt) == NULL, EBUSY, NULL);
    /* the refused opens did not disturb the writer */
    *x = 2;
    assert_ptr_equal(metall_find(m, "x"), x);
    assert_true(metall_close(m));
    m = metall_open(p);
    assert_non_null(m);
    assert_int_equal(*(int *)metall_find(m, "x"), 2);
    assert_true(metall_close(m));
    assert_true(metall_consistent(p));
}

static void test_second_writer_other_process(void **state)
{
    const char *p = tu_path(*state, "ds");
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    int *x = metall_named_malloc(m, "x", sizeof *x);
    assert_non_null(x);
    *x = 7;
    assert_true(metall_flush(m));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* the child must not touch the parent's manager: only try to open */
        errno = 0;
        metall_manager *c = metall_open(p);
        CHILD_CHECK(c == NULL && errno == EBUSY);
        CHILD_CHECK(strstr(metall_errmsg(), p) != NULL);
        CHILD_CHECK(metall_open_read_only(p) == NULL && errno == EBUSY);
        CHILD_CHECK(metall_remove(p) == false && errno == EBUSY);
        _exit(0);
    }
    tu_assert_child_ok(tu_wait(pid));
    assert_int_equal(*x, 7);
    *x = 8;
    assert_true(metall_close(m));

    /* closed: another process opens it and sees the data */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        metall_manager *c = metall_open(p);
        CHILD_CHECK(c);
        int *y = metall_find(c, "x");
        CHILD_CHECK(y && *y == 8);
        *y = 9;
        CHILD_CHECK(metall_close(c));
        _exit(0);
    }
    tu_assert_child_ok(tu_wait(pid));
    m = metall_open(p);
    assert_non_null(m);
    assert_int_equal(*(int *)metall_find(m, "x"), 9);
    assert_true(metall_close(m));
}

/* Many threads race to open the same datastore: exactly one wins. */
struct race {
    const char *path;
    metall_manager *got;
    int err;
};

static void *race_open(void *arg)
{
    struct race *r = arg;
    errno = 0;
    r->got = metall_open(r->path);
    r->err = errno;
    return NULL;
}

static void test_open_race(void **state)
{
    const char *p = tu_path(*state, "ds");
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    assert_true(metall_close(m));
    enum { T = 4 };
    pthread_t th[T];
    struct race r[T];
    for (int i = 0; i < T; i++) {
        r[i].path = p;
        assert_int_equal(pthread_create(&th[i], NULL, race_open, &r[i]), 0);
    }
    int winners = 0;
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        if (r[i].got)
            winners++;
        else
            assert_int_equal(r[i].err, EBUSY);
    }
    assert_int_equal(winners, 1);
    for (int i = 0; i < T; i++)
        if (r[i].got)
            assert_true(metall_close(r[i].got));
    assert_true(metall_consistent(p));
}

/* Readers lock every datastore, however it was made (a snapshot or copy
 * has no lock file until someone opens it). While a reader has it mapped,
 * a writer, create with overwrite and remove fail with EBUSY, from this
 * process and from another, and the reader's values stay as they were. */
static void check_reader_excludes(const char *p, const char *tmp)
{
    enum { N = 1 << 16 };
    metall_manager *r = metall_open_read_only(p);
    assert_non_null(r);
    const uint64_t *v = metall_find(r, "values");
    assert_non_null(v);
    TU_FAILS(metall_open(p) == NULL, EBUSY, p);
    TU_FAILS(metall_remove(p) == false, EBUSY, p);
    metall_options o = {.overwrite = true};
    TU_FAILS(metall_create_ex(p, &o) == NULL, EBUSY, p);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        metall_manager *w = metall_open(p);
        if (w) { /* what the review saw: the writer changes the reader's data */
            uint64_t *x = metall_find(w, "values");
            for (int i = 0; x && i < N; i++)
                x[i] = ~(uint64_t)0;
            metall_close(w);
        }
        CHILD_CHECK(w == NULL && errno == EBUSY);
        CHILD_CHECK(metall_remove(p) == false && errno == EBUSY);
        /* other readers are welcome */
        metall_manager *r2 = metall_open_read_only(p);
        CHILD_CHECK(r2 != NULL);
        CHILD_CHECK(metall_close(r2));
        CHILD_CHECK(metall_copy(p, tmp));
        _exit(0);
    }
    tu_assert_child_ok(tu_wait(pid));
    int changed = 0;
    for (int i = 0; i < N; i++)
        changed += v[i] != (uint64_t)i * 3;
    assert_int_equal(changed, 0);
    assert_true(metall_close(r));
    /* the reader gone, a writer opens it */
    metall_manager *w = metall_open(p);
    assert_non_null(w);
    assert_true(metall_close(w));
}

static void test_readers_lock_snapshots_and_copies(void **state)
{
    const char *p = tu_path(*state, "ds");
    const char *snap = tu_path(*state, "snap");
    const char *copy = tu_path(*state, "copy");
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    uint64_t *v = metall_named_malloc(m, "values", (1 << 16) * sizeof *v);
    assert_non_null(v);
    for (int i = 0; i < 1 << 16; i++)
        v[i] = (uint64_t)i * 3;
    assert_true(metall_snapshot(m, snap));
    assert_true(metall_close(m));
    assert_true(metall_copy(snap, copy));
    check_reader_excludes(p, tu_path(*state, "c1"));
    check_reader_excludes(snap, tu_path(*state, "c2"));
    check_reader_excludes(copy, tu_path(*state, "c3"));
    /* a snapshot or copy made by an older version has no lock file */
    assert_int_equal(unlink(tu_path(copy, "lock")), 0);
    check_reader_excludes(copy, tu_path(*state, "c4"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_second_writer_same_process, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_second_writer_other_process, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_open_race, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_readers_lock_snapshots_and_copies, tu_setup,
                                        tu_teardown),
    };
    return cmocka_run_group_tests_name("core_exclusive", tests, NULL, NULL);
}
