/*
 * test_paths.c - names at the limits and symbolic links:
 *  - snapshot and copy to a destination whose last component is 232-255
 *    bytes long (a valid name: the temporary name must still fit);
 *  - metall_remove() on a symbolic link to a datastore does not "succeed"
 *    by deleting the link: it fails and leaves both the link and the
 *    datastore; opening through the link works;
 *  - a datastore opened by a relative path survives a chdir(): close
 *    writes its files where they are, and it opens again.
 */
#include "rel_common.h"

#include <limits.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static char g_root[4096];

static void path_in(char *out, size_t size, const char *name)
{
    rel_path(out, size, g_root, name);
}

/* A name of len bytes: a readable prefix, then 'x'. */
static void long_name(char *out, size_t len, char tag)
{
    memset(out, 'x', len);
    out[0] = tag;
    out[len] = '\0';
}

static void test_long_destination_names(void **state)
{
    (void)state;
    char ds[4200];
    path_in(ds, sizeof ds, "src");
    metall_manager *m = metall_create(ds);
    assert_non_null(m);
    int *x = metall_named_malloc(m, "x", sizeof *x);
    assert_non_null(x);
    *x = 7;
    const size_t lens[] = {232, 240, 250, NAME_MAX};
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
        char name[NAME_MAX + 1], dst[4400];
        long_name(name, lens[i], 's');
        rel_path(dst, sizeof dst, g_root, name);
        if (!metall_snapshot(m, dst))
            fail_msg("snapshot to a %zu-byte name: %s", lens[i], metall_errmsg());
        long_name(name, lens[i], 'c');
        char cdst[4400];
        rel_path(cdst, sizeof cdst, g_root, name);
        if (!metall_copy(dst, cdst))
            fail_msg("copy to a %zu-byte name: %s", lens[i], metall_errmsg());
        const char *both[] = {dst, cdst};
        for (int k = 0; k < 2; k++) {
            metall_manager *r = metall_open_read_only(both[k]);
            assert_non_null(r);
            int *y = metall_find(r, "x");
            assert_non_null(y);
            assert_int_equal(*y, 7);
            assert_true(metall_close(r));
            assert_true(metall_remove(both[k]));
        }
    }
    /* a name longer than NAME_MAX is refused, and nothing is left */
    char name[NAME_MAX + 2], dst[4400];
    long_name(name, NAME_MAX + 1, 's');
    rel_path(dst, sizeof dst, g_root, name);
    errno = 0;
    assert_false(metall_snapshot(m, dst));
    assert_int_equal(errno, ENAMETOOLONG);
    assert_true(metall_close(m));
    assert_int_equal(rel_count_entries(g_root, "metall-tmp"), 0);
    assert_true(metall_remove(ds));
}

static void test_remove_through_symlink(void **state)
{
    (void)state;
    char ds[4200], link[4200], slash[4300];
    path_in(ds, sizeof ds, "real");
    path_in(link, sizeof link, "link");
    metall_manager *m = metall_create(ds);
    assert_non_null(m);
    assert_non_null(metall_named_malloc(m, "x", 8));
    assert_true(metall_close(m));
    assert_int_equal(symlink(ds, link), 0);
    /* opening through the link is fine */
    m = metall_open(link);
    assert_non_null(m);
    assert_non_null(metall_find(m, "x"));
    assert_true(metall_close(m));
    /* removing through it is refused: neither the link nor the datastore
     * goes, with or without a trailing slash */
    snprintf(slash, sizeof slash, "%s/", link);
    const char *paths[] = {link, slash};
    for (int i = 0; i < 2; i++) {
        errno = 0;
        if (metall_remove(paths[i]))
            fail_msg("metall_remove(%s) succeeded on a symbolic link", paths[i]);
        assert_int_equal(errno, EINVAL);
        assert_non_null(strstr(metall_errmsg(), "symbolic link"));
        struct stat st;
        assert_int_equal(lstat(link, &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        assert_true(metall_consistent(ds));
    }
    /* nor does create with overwrite replace it through the link */
    metall_options o = {.overwrite = true};
    errno = 0;
    assert_null(metall_create_ex(link, &o));
    assert_true(metall_consistent(ds));
    assert_int_equal(unlink(link), 0);
    assert_true(metall_remove(ds));
}

static void test_relative_path_then_chdir(void **state)
{
    (void)state;
    char cwd[4096], away[4200];
    assert_non_null(getcwd(cwd, sizeof cwd));
    path_in(away, sizeof away, "away");
    assert_int_equal(mkdir(away, 0755), 0);
    assert_int_equal(chdir(g_root), 0);
    metall_manager *m = metall_create("rel-ds");
    assert_non_null(m);
    int *x = metall_named_malloc(m, "x", sizeof *x);
    assert_non_null(x);
    *x = 42;
    assert_int_equal(chdir(away), 0); /* "rel-ds" now names nothing */
    char *big = metall_malloc(m, 5 << 20); /* new chunks after the chdir */
    assert_non_null(big);
    memset(big, 0x5A, 5 << 20);
    assert_non_null(metall_named_malloc(m, "after", 8));
    if (!metall_close(m))
        fail_msg("close after chdir failed: %s", metall_errmsg());
    assert_int_equal(access("rel-ds", F_OK), -1); /* nothing written here */
    assert_int_equal(chdir(g_root), 0);
    assert_true(metall_consistent("rel-ds"));
    m = metall_open("rel-ds");
    assert_non_null(m);
    x = metall_find(m, "x");
    assert_non_null(x);
    assert_int_equal(*x, 42);
    assert_non_null(metall_find(m, "after"));
    assert_true(metall_close(m));
    assert_true(metall_remove("rel-ds"));
    assert_int_equal(chdir(cwd), 0);
}

static int setup(void **state)
{
    (void)state;
    return rel_mkdtemp(g_root, sizeof g_root, "paths");
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
        cmocka_unit_test(test_long_destination_names),
        cmocka_unit_test(test_remove_through_symlink),
        cmocka_unit_test(test_relative_path_then_chdir),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
