/*
 * test_durable.c - what the library makes visible is durable, or it fails
 * and leaves nothing:
 *  - metall_create() fsyncs the directory that holds the new datastore,
 *    and those of the parents it created, before it returns (a crash
 *    right after cannot lose the datastore's name);
 *  - when the parent directory of a snapshot or copy cannot be synced
 *    after the rename (EIO injected at the test hook "publish:renamed"),
 *    the call fails with that error and nothing is left at the
 *    destination, nor a temporary beside it; the source is untouched.
 *
 * Counted, not timed: fsync() is interposed (the library's calls resolve to
 * the definition below) and records which directories were synced.
 */
#include "rel_common.h"

#include "hook.h"

#include <dirent.h>
#include <dlfcn.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static char g_root[4096];

/* ---- which directories were fsync'ed -------------------------------------- */

#define MAX_SYNCED 4096
static dev_t g_dev[MAX_SYNCED];
static ino_t g_ino[MAX_SYNCED];
static int g_nsynced;
static bool g_recording;

int fsync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    struct stat st;
    if (__atomic_load_n(&g_recording, __ATOMIC_ACQUIRE) && fstat(fd, &st) == 0 &&
        S_ISDIR(st.st_mode)) {
        int i = __atomic_fetch_add(&g_nsynced, 1, __ATOMIC_RELAXED);
        if (i < MAX_SYNCED) {
            g_dev[i] = st.st_dev;
            g_ino[i] = st.st_ino;
        }
    }
    return real(fd);
}

static bool was_synced(const char *dir)
{
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    for (int i = 0; i < g_nsynced && i < MAX_SYNCED; i++)
        if (g_dev[i] == st.st_dev && g_ino[i] == st.st_ino)
            return true;
    return false;
}

static void record(bool on)
{
    if (on)
        g_nsynced = 0;
    __atomic_store_n(&g_recording, on, __ATOMIC_RELEASE);
}

static void test_create_syncs_its_entry(void **state)
{
    (void)state;
    char ds[4200], deep[4300], a[4300], b[4300];
    snprintf(ds, sizeof ds, "%s/ds", g_root);
    snprintf(a, sizeof a, "%s/a", g_root);
    snprintf(b, sizeof b, "%s/a/b", g_root);
    snprintf(deep, sizeof deep, "%s/a/b/ds", g_root);
    record(true);
    metall_manager *m = metall_create(ds);
    record(false);
    assert_non_null(m);
    assert_true(metall_close(m));
    if (!was_synced(g_root))
        fail_msg("create did not sync %s, which holds the new datastore", g_root);
    /* new parents: each entry made on the way is synced */
    record(true);
    m = metall_create(deep);
    record(false);
    assert_non_null(m);
    assert_true(metall_close(m));
    assert_true(was_synced(g_root)); /* holds a */
    assert_true(was_synced(a));      /* holds b */
    assert_true(was_synced(b));      /* holds ds */
    assert_true(metall_remove(ds));
    assert_true(metall_remove(deep));
    rel_rm_tree(a);
}

/* ---- the parent cannot be synced after the rename -------------------------- */

static int eio_hook(const char *point, const char *path)
{
    (void)path;
    return strcmp(point, "publish:renamed") == 0 ? EIO : 0;
}

static int count_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += strstr(de->d_name, ".metall-tmp-") != NULL;
    closedir(d);
    return n;
}

static void test_publish_sync_failure_leaves_nothing(void **state)
{
    (void)state;
    char src[4200], snap[4200], copy[4200];
    snprintf(src, sizeof src, "%s/src", g_root);
    snprintf(snap, sizeof snap, "%s/snap", g_root);
    snprintf(copy, sizeof copy, "%s/copy", g_root);
    metall_manager *m = metall_create(src);
    assert_non_null(m);
    int *x = metall_named_malloc(m, "x", sizeof *x);
    assert_non_null(x);
    *x = 42;
    __atomic_store_n(&mc_test_hook, eio_hook, __ATOMIC_RELEASE);
    errno = 0;
    bool ok = metall_snapshot(m, snap);
    int e = errno;
    __atomic_store_n(&mc_test_hook, NULL, __ATOMIC_RELEASE);
    assert_false(ok);
    assert_int_equal(e, EIO);
    assert_non_null(strstr(metall_errmsg(), snap));
    struct stat st;
    assert_false(lstat(snap, &st) == 0); /* all or nothing */
    assert_int_equal(count_tmp(g_root), 0);
    assert_true(metall_snapshot(m, snap)); /* and it works once syncs do */
    assert_true(metall_close(m));
    __atomic_store_n(&mc_test_hook, eio_hook, __ATOMIC_RELEASE);
    errno = 0;
    ok = metall_copy(src, copy);
    e = errno;
    __atomic_store_n(&mc_test_hook, NULL, __ATOMIC_RELEASE);
    assert_false(ok);
    assert_int_equal(e, EIO);
    assert_false(lstat(copy, &st) == 0);
    assert_int_equal(count_tmp(g_root), 0);
    /* the source and the good snapshot are intact */
    const char *paths[] = {src, snap};
    for (int i = 0; i < 2; i++) {
        m = metall_open(paths[i]);
        assert_non_null(m);
        x = metall_find(m, "x");
        assert_non_null(x);
        assert_int_equal(*x, 42);
        assert_true(metall_close(m));
        assert_true(metall_remove(paths[i]));
    }
}

static int setup(void **state)
{
    (void)state;
    return rel_mkdtemp(g_root, sizeof g_root, "durable");
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
        cmocka_unit_test(test_create_syncs_its_entry),
        cmocka_unit_test(test_publish_sync_failure_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
