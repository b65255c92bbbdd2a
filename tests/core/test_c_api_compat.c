/*
 * test_c_api_compat.c - a program written against LLNL Metall's C API
 * (<metall/c_api/metall.h>: metall_create/open/malloc/named_malloc/find/
 * named_free/flush/snapshot/close/remove, results of flush and close
 * ignored as Metall's void functions are) compiles with -Werror and runs
 * unchanged. Only the compatibility header is included.
 */
#include <metall/c_api/metall.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

static char dir[256];

static const char *at(const char *name)
{
    static char buf[4][512];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, 512, "%s/%s", dir, name);
    return b;
}

static void test_metall_c_api_program(void **state)
{
    (void)state;
    /* basic allocation */
    metall_manager *manager = metall_create(at("m1"));
    assert_non_null(manager);
    uint64_t *x = metall_malloc(manager, sizeof(uint64_t));
    assert_non_null(x);
    x[0] = 1;
    metall_free(manager, x);
    metall_close(manager);
    assert_true(metall_remove(at("m1")));

    /* a named object, flushed, then snapshotted */
    manager = metall_create(at("m2"));
    assert_non_null(manager);
    uint64_t *array = metall_named_malloc(manager, "array", sizeof(uint64_t) * 10);
    assert_non_null(array);
    array[0] = 0;
    metall_flush(manager);
    array[1] = 1;
    assert_true(metall_snapshot(manager, at("m2-snap")));
    metall_close(manager);

    /* retrieve it from the datastore and from the snapshot */
    const char *paths[] = {at("m2"), at("m2-snap")};
    for (int i = 0; i < 2; i++) {
        manager = metall_open(paths[i]);
        assert_non_null(manager);
        array = metall_find(manager, "array");
        assert_non_null(array);
        assert_int_equal(array[0], 0);
        assert_int_equal(array[1], 1);
        assert_true(metall_named_free(manager, "array"));
        assert_null(metall_find(manager, "array"));
        metall_close(manager);
        assert_true(metall_remove(paths[i]));
    }
}

int main(void)
{
    const char *base = getenv("METALLC_TEST_TMPDIR");
    snprintf(dir, sizeof dir, "%s/capi-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir))
        return 1;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_metall_c_api_program)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return rc;
}
