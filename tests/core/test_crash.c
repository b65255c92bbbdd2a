/*
 * test_crash.c - kill -9 while a datastore is open. A child creates or
 * opens a datastore, writes, flushes or not, optionally takes a snapshot,
 * then SIGKILLs itself. The parent must see: metall_consistent() false,
 * metall_open() failing with ENOTRECOVERABLE and a message naming the path,
 * the snapshot opening with exactly the data of the moment it was taken,
 * metall_remove() of the crashed datastore working, and a new datastore
 * created at the same path.
 */
#include "test_util.h"

#define MiB ((size_t)1 << 20)

enum { NOBJ = 200 };

/* What the child writes before the snapshot: NOBJ named objects
 * "o<i>" of varying sizes with pattern i, plus a large one. */
static void write_phase1(metall_manager *m)
{
    for (int i = 0; i < NOBJ; i++) {
        char name[16];
        snprintf(name, sizeof name, "o%d", i);
        size_t s = 8 + (size_t)i * 37;
        void *p = metall_named_malloc(m, name, s);
        CHILD_CHECK(p);
        tu_fill(p, s, (uint64_t)i);
    }
    void *big = metall_named_malloc(m, "big", 6 * MiB);
    CHILD_CHECK(big);
    tu_fill(big, 6 * MiB, 1000);
    CHILD_CHECK(metall_set_description(m, "before the crash"));
}

/* After the snapshot: change things the snapshot must not see. */
static void write_phase2(metall_manager *m)
{
    for (int i = 0; i < NOBJ; i += 2) {
        char name[16];
        snprintf(name, sizeof name, "o%d", i);
        CHILD_CHECK(metall_named_free(m, name));
    }
    unsigned char *big = metall_find(m, "big");
    CHILD_CHECK(big);
    memset(big, 0xFF, 6 * MiB);
    CHILD_CHECK(metall_named_malloc(m, "after", 100));
}

static void verify_phase1(const char *path)
{
    metall_manager *m = metall_open(path);
    if (!m)
        print_error("open %s: %s\n", path, metall_errmsg());
    assert_non_null(m);
    assert_int_equal(metall_named_count(m), NOBJ + 1);
    for (int i = 0; i < NOBJ; i++) {
        char name[16];
        snprintf(name, sizeof name, "o%d", i);
        size_t len = 0;
        void *p = metall_named_find(m, name, &len);
        assert_non_null(p);
        assert_int_equal(len, 8 + (size_t)i * 37);
        assert_true(tu_check(p, len, (uint64_t)i));
    }
    size_t len = 0;
    void *big = metall_named_find(m, "big", &len);
    assert_non_null(big);
    assert_int_equal(len, 6 * MiB);
    assert_true(tu_check(big, len, 1000));
    assert_null(metall_find(m, "after"));
    char d[64];
    assert_true(metall_get_description(path, d, sizeof d));
    assert_string_equal(d, "before the crash");
    /* the snapshot is a working datastore: allocate and free in it */
    void *q = metall_malloc(m, 3 * MiB);
    assert_non_null(q);
    memset(q, 1, 3 * MiB);
    metall_free(m, q);
    assert_true(metall_named_free(m, "o1"));
    assert_true(metall_close(m));
    assert_true(metall_consistent(path));
}

enum crash_mode { CRASH_NO_FLUSH, CRASH_FLUSHED, CRASH_AFTER_REOPEN };

static void crash_child(const char *p, const char *snap, enum crash_mode mode)
{
    metall_manager *m;
    if (mode == CRASH_AFTER_REOPEN) {
        m = metall_open(p);
    } else {
        m = metall_create(p);
    }
    CHILD_CHECK(m);
    if (mode != CRASH_AFTER_REOPEN)
        write_phase1(m);
    if (snap)
        CHILD_CHECK(metall_snapshot(m, snap));
    write_phase2(m);
    if (mode == CRASH_FLUSHED)
        CHILD_CHECK(metall_flush(m));
    raise(SIGKILL);
    _exit(99); /* not reached */
}

static void check_crashed(const char *p)
{
    TU_FAILS(metall_consistent(p) == false, ENOTRECOVERABLE, p);
    TU_FAILS(metall_open(p) == NULL, ENOTRECOVERABLE, p);
    /* the message tells what happened and what to do */
    assert_non_null(strstr(metall_errmsg(), "closed properly"));
    TU_FAILS(metall_open_read_only(p) == NULL, ENOTRECOVERABLE, p);
    TU_FAILS(metall_copy(p, tu_path(p, "../copy-of-crashed")) == false, ENOTRECOVERABLE, p);
    assert_false(tu_exists(tu_path(p, "../copy-of-crashed")));
    /* the failed opens left it as it was */
    TU_FAILS(metall_open(p) == NULL, ENOTRECOVERABLE, p);
    /* remove and re-create */
    assert_true(metall_remove(p));
    assert_false(tu_exists(p));
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    assert_int_equal(metall_named_count(m), 0);
    assert_non_null(metall_named_malloc(m, "fresh", 8));
    assert_true(metall_close(m));
    assert_true(metall_consistent(p));
    m = metall_open(p);
    assert_non_null(m);
    assert_non_null(metall_find(m, "fresh"));
    assert_true(metall_close(m));
}

static void run_crash(const char *dir, enum crash_mode mode, bool with_snapshot)
{
    char p[PATH_MAX], snap[PATH_MAX];
    snprintf(p, sizeof p, "%s/ds", dir);
    snprintf(snap, sizeof snap, "%s/snap", dir);
    if (mode == CRASH_AFTER_REOPEN) {
        /* a consistent datastore with phase-1 data, opened and killed */
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            metall_manager *m = metall_create(p);
            CHILD_CHECK(m);
            write_phase1(m);
            CHILD_CHECK(metall_close(m));
            _exit(0);
        }
        tu_assert_child_ok(tu_wait(pid));
        assert_true(metall_consistent(p));
    }
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        crash_child(p, with_snapshot ? snap : NULL, mode);
    int st = tu_wait(pid);
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) {
        print_error("child did not die by SIGKILL (status %#x)\n", st);
        fail();
    }
    if (with_snapshot) {
        assert_true(metall_consistent(snap));
        verify_phase1(snap);
    }
    check_crashed(p);
}

static void test_crash_no_flush(void **state)
{
    run_crash(*state, CRASH_NO_FLUSH, true);
}

static void test_crash_flushed(void **state)
{
    run_crash(*state, CRASH_FLUSHED, true);
}

static void test_crash_after_reopen(void **state)
{
    run_crash(*state, CRASH_AFTER_REOPEN, true);
}

static void test_crash_without_snapshot(void **state)
{
    run_crash(*state, CRASH_NO_FLUSH, false);
}

/* A crash right after create, before any allocation. */
static void test_crash_empty(void **state)
{
    const char *p = tu_path(*state, "ds");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        metall_manager *m = metall_create(p);
        CHILD_CHECK(m);
        raise(SIGKILL);
        _exit(99);
    }
    int st = tu_wait(pid);
    assert_true(WIFSIGNALED(st));
    check_crashed(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_crash_no_flush, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_crash_flushed, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_crash_after_reopen, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_crash_without_snapshot, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_crash_empty, tu_setup, tu_teardown),
    };
    return cmocka_run_group_tests_name("core_crash", tests, NULL, NULL);
}
