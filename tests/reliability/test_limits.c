/*
 * test_limits.c - limits and hostile environments give clear errors:
 * capacity exhaustion (ENOMEM, the datastore still closes and reopens),
 * an address-space limit (open and create settle for less address space,
 * and never record less: snapshots keep the datastore's capacity),
 * bad names and NULL arguments (EINVAL), a path that is a regular file,
 * an unreadable directory (as another uid), and a read-only file system
 * (create EROFS, open for writing fails, open read-only works).
 */
#include "rel_common.h"

#include "mgmt.h"
#include "types.h"

#include <sys/resource.h>
#include <sys/wait.h>

/* Sanitizers reserve terabytes of shadow memory: no address-space limit. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define REL_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define REL_SANITIZED 1
#endif
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static char g_root[4096];

static int setup(void **state)
{
    (void)state;
    if (rel_mkdtemp(g_root, sizeof g_root, "limits"))
        return -1;
    /* reachable by the unprivileged uid of the permission test */
    chmod(g_root, 0755);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rel_rm_tree(g_root);
    return 0;
}

static void path_in(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", g_root, name);
}

struct obj {
    uint64_t off, size, sum;
};

static void test_capacity_exhaustion(void **state)
{
    (void)state;
    char ds[4200];
    path_in(ds, sizeof ds, "cap");
    metall_options o = {.capacity = (size_t)32 << 20};
    metall_manager *m = metall_create_ex(ds, &o);
    assert_non_null(m);
    enum { MAXO = 4096 };
    struct obj *t = metall_named_malloc(m, "objs", sizeof(struct obj) * MAXO);
    assert_non_null(t);
    memset(t, 0, sizeof(struct obj) * MAXO);
    int n = 0, e = 0;
    /* large objects first, then small ones fill what is left */
    for (int phase = 0; phase < 2 && n < MAXO; phase++) {
        for (; n < MAXO; n++) {
            size_t size = phase == 0 ? ((size_t)3 << 20) : 30000;
            errno = 0;
            void *p = metall_malloc(m, size);
            if (!p) {
                e = errno;
                break;
            }
            rel_fill(p, size, (uint64_t)n);
            t[n] = (struct obj){metall_offset_of(m, p), size, rel_sum(p, size)};
        }
        assert_int_equal(e, ENOMEM);
        assert_non_null(strstr(metall_errmsg(), ds));
    }
    assert_true(n > 5);
    /* even a tiny object may not fit now; whatever happens, it is clean */
    errno = 0;
    void *tiny = metall_malloc(m, 8);
    if (!tiny)
        assert_int_equal(errno, ENOMEM);
    else
        metall_free(m, tiny);
    assert_true(metall_flush(m));
    assert_true(metall_close(m));
    /* reopens; everything intact; freeing makes room again */
    m = metall_open(ds);
    assert_non_null(m);
    t = metall_find(m, "objs");
    assert_non_null(t);
    for (int i = 0; i < n; i++)
        assert_true(rel_sum(metall_ptr_at(m, t[i].off), t[i].size) == t[i].sum);
    metall_free(m, metall_ptr_at(m, t[0].off));
    t[0].off = 0;
    void *p = metall_malloc(m, (size_t)2 << 20);
    assert_non_null(p);
    assert_true(metall_close(m));
    assert_true(metall_remove(ds));
}

static uint64_t recorded_capacity(const char *path)
{
    uint8_t uuid[16];
    struct mc_datastore_info info;
    if (mgmt_read_datastore(path, uuid, &info))
        fail_msg("%s: %s", path, metall_errmsg());
    return info.capacity;
}

/* In a child under an address-space limit: open ds (less address space
 * than its capacity), snapshot it to snap, create made; exit 0 if all
 * worked and both managers really had less address space. */
static void limited_child(const char *ds, const char *snap, const char *made, size_t cap)
{
    long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld", &pages) != 1)
        _exit(2);
    fclose(f);
    rlim_t lim = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)64 << 30);
    struct rlimit rl = {lim, lim};
    if (setrlimit(RLIMIT_AS, &rl) != 0)
        _exit(3);
    metall_manager *m = metall_open(ds);
    if (!m || m->seg.capacity >= cap)
        _exit(4);
    if (!metall_snapshot(m, snap) || !metall_close(m))
        _exit(5);
    m = metall_create(made);
    if (!m || m->seg.capacity >= cap)
        _exit(6);
    _exit(metall_close(m) ? 0 : 7);
}

static void test_capacity_under_address_limit(void **state)
{
    (void)state;
#ifdef REL_SANITIZED
    skip();
#endif
    char ds[4200], snap[4200], made[4200];
    path_in(ds, sizeof ds, "aslimit");
    path_in(snap, sizeof snap, "aslimit-snap");
    path_in(made, sizeof made, "aslimit-made");
    metall_manager *m = metall_create(ds);
    assert_non_null(m);
    void *p = metall_named_malloc(m, "o", 1 << 20);
    assert_non_null(p);
    rel_fill(p, 1 << 20, 7);
    uint64_t sum = rel_sum(p, 1 << 20);
    assert_true(metall_close(m));
    uint64_t cap = recorded_capacity(ds);
    assert_true(cap == MC_DEFAULT_CAPACITY);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        limited_child(ds, snap, made, (size_t)cap);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    /* what the limited process wrote records the full capacity */
    assert_true(recorded_capacity(ds) == cap);
    assert_true(recorded_capacity(snap) == cap);
    assert_true(recorded_capacity(made) == cap);
    m = metall_open(snap);
    assert_non_null(m);
    assert_true(m->seg.capacity == cap); /* here, no limit: all of it */
    p = metall_find(m, "o");
    assert_non_null(p);
    assert_true(rel_sum(p, 1 << 20) == sum);
    assert_true(metall_close(m));
    assert_true(metall_remove(ds));
    assert_true(metall_remove(snap));
    assert_true(metall_remove(made));
}

static void test_bad_arguments(void **state)
{
    (void)state;
    char ds[4200];
    path_in(ds, sizeof ds, "args");
    metall_manager *m = metall_create(ds);
    assert_non_null(m);
    char name[METALL_NAME_MAX + 2];
    memset(name, 'n', sizeof name);
    name[METALL_NAME_MAX + 1] = '\0'; /* one too long */
    errno = 0;
    assert_null(metall_named_malloc(m, name, 8));
    assert_int_equal(errno, EINVAL);
    name[METALL_NAME_MAX] = '\0'; /* exactly the longest allowed */
    assert_non_null(metall_named_malloc(m, name, 8));
    assert_non_null(metall_find(m, name));
    errno = 0;
    assert_null(metall_named_malloc(m, "", 8));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(metall_named_malloc(m, NULL, 8));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(metall_find(m, NULL));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(metall_find(m, ""));
    assert_true(errno == EINVAL || errno == ENOENT);
    errno = 0;
    assert_false(metall_named_free(m, NULL));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(metall_named_find_or_malloc(m, "", 8, NULL));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(metall_malloc(NULL, 8));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(metall_aligned_alloc(m, 3, 8));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(metall_calloc(m, SIZE_MAX / 2, 4));
    assert_int_equal(errno, ENOMEM);
    char *big = malloc(METALL_DESCRIPTION_MAX + 2);
    memset(big, 'd', METALL_DESCRIPTION_MAX + 1);
    big[METALL_DESCRIPTION_MAX + 1] = '\0';
    errno = 0;
    assert_false(metall_set_description(m, big));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_false(metall_named_set_description(m, name, big));
    assert_int_equal(errno, EINVAL);
    free(big);
    errno = 0;
    assert_false(metall_set_description(m, NULL));
    assert_int_equal(errno, EINVAL);
    assert_true(metall_close(m));
    errno = 0;
    assert_false(metall_close(NULL));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_false(metall_flush(NULL));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(metall_create(NULL));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(metall_create(""));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(metall_open(NULL));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(metall_open_read_only(""));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_false(metall_remove(NULL));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_false(metall_copy(ds, NULL));
    assert_int_equal(errno, EINVAL);
    /* the datastore is unharmed by all of it */
    m = metall_open(ds);
    assert_non_null(m);
    assert_int_equal(metall_named_count(m), 1);
    assert_true(metall_close(m));
    assert_true(metall_remove(ds));
}

static void test_path_is_a_file_or_foreign(void **state)
{
    (void)state;
    char f[4200], d[4200];
    path_in(f, sizeof f, "plain-file");
    path_in(d, sizeof d, "plain-dir");
    assert_int_equal(rel_write_all(f, "hello", 5), 0);
    assert_int_equal(mkdir(d, 0755), 0);
    errno = 0;
    assert_null(metall_create(f));
    assert_int_equal(errno, EEXIST);
    metall_options o = {.overwrite = true};
    errno = 0;
    assert_null(metall_create_ex(f, &o)); /* never replaces a non-datastore */
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(metall_open(f));
    assert_true(errno == ENOTDIR || errno == EINVAL);
    assert_non_null(strstr(metall_errmsg(), f));
    errno = 0;
    assert_null(metall_open_read_only(f));
    assert_true(errno == ENOTDIR || errno == EINVAL);
    errno = 0;
    assert_false(metall_remove(f));
    assert_int_equal(access(f, F_OK), 0); /* not deleted */
    errno = 0;
    assert_null(metall_open(d));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_false(metall_remove(d));
    assert_int_equal(errno, EINVAL);
    assert_int_equal(access(d, F_OK), 0);
    /* a datastore path below a regular file */
    char below[4300];
    snprintf(below, sizeof below, "%s/ds", f);
    errno = 0;
    assert_null(metall_create(below));
    assert_int_not_equal(errno, 0);
    unlink(f);
    rmdir(d);
}

/* As uid 65534: an unreadable datastore and an unwritable parent give
 * EACCES. Exit code: 0 ok, else the number of the failed check. */
static int unprivileged_child(const char *ds, const char *parent)
{
    if (setgid(65534) != 0 || setuid(65534) != 0)
        return 100;
    if (geteuid() == 0)
        return 101;
    errno = 0;
    if (metall_open(ds) || errno != EACCES)
        return 1;
    if (!strstr(metall_errmsg(), ds))
        return 2;
    errno = 0;
    if (metall_open_read_only(ds) || errno != EACCES)
        return 3;
    char created[4400];
    snprintf(created, sizeof created, "%s/new", parent);
    errno = 0;
    if (metall_create(created) || errno != EACCES)
        return 4;
    if (access(created, F_OK) == 0)
        return 5;
    return 0;
}

static void test_permissions(void **state)
{
    (void)state;
    char ds[4200], parent[4200];
    path_in(ds, sizeof ds, "noperm");
    path_in(parent, sizeof parent, "ro-parent");
    metall_manager *m = metall_create(ds);
    assert_non_null(m);
    assert_true(metall_close(m));
    assert_int_equal(chmod(ds, 0), 0);
    assert_int_equal(mkdir(parent, 0555), 0);
    if (geteuid() != 0) {
        /* not root: test as ourselves */
        int rc = unprivileged_child(ds, parent);
        chmod(ds, 0755);
        if (rc >= 100)
            skip();
        assert_int_equal(rc, 0);
    } else {
        /* root bypasses permission bits: drop to nobody in a child */
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            _exit(unprivileged_child(ds, parent));
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        chmod(ds, 0755);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) >= 100) {
            fprintf(stderr, "cannot drop to uid 65534: skipping\n");
            skip();
        }
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    /* the datastore is fine once readable again */
    m = metall_open(ds);
    assert_non_null(m);
    assert_true(metall_close(m));
    assert_true(metall_remove(ds));
    rmdir(parent);
}

static void test_read_only_file_system(void **state)
{
    (void)state;
    char mnt[4200], ds[4300], other[4300];
    path_in(mnt, sizeof mnt, "romnt");
    int rc = rel_mount_tmpfs(mnt, 64, 0);
    if (rc) {
        fprintf(stderr, "cannot mount a tmpfs (%s): skipping\n", strerror(rc));
        skip();
    }
    snprintf(ds, sizeof ds, "%s/ds", mnt);
    snprintf(other, sizeof other, "%s/other", mnt);
    metall_manager *m = metall_create(ds);
    assert_non_null(m);
    char *p = metall_named_malloc(m, "data", 100000);
    assert_non_null(p);
    rel_fill(p, 100000, 5);
    uint64_t sum = rel_sum(p, 100000);
    assert_true(metall_set_description(m, "on a soon read-only file system"));
    assert_true(metall_close(m));
    if (mount(NULL, mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL) != 0) {
        fprintf(stderr, "cannot remount read-only (%s): skipping\n", strerror(errno));
        rel_umount(mnt);
        skip();
    }
    errno = 0;
    assert_null(metall_create(other));
    assert_int_equal(errno, EROFS);
    assert_non_null(strstr(metall_errmsg(), other));
    errno = 0;
    assert_null(metall_open(ds));
    assert_int_equal(errno, EROFS);
    assert_non_null(strstr(metall_errmsg(), ds));
    assert_true(metall_consistent(ds));
    m = metall_open_read_only(ds);
    assert_non_null(m);
    size_t len = 0;
    p = metall_named_find(m, "data", &len);
    assert_non_null(p);
    assert_int_equal(len, 100000);
    assert_true(rel_sum(p, len) == sum);
    char desc[64];
    assert_true(metall_get_description(ds, desc, sizeof desc));
    assert_string_equal(desc, "on a soon read-only file system");
    errno = 0;
    assert_null(metall_malloc(m, 10));
    assert_int_equal(errno, EROFS);
    assert_true(metall_close(m));
    errno = 0;
    assert_false(metall_remove(ds));
    assert_int_not_equal(errno, 0);
    rel_umount(mnt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacity_exhaustion),
        cmocka_unit_test(test_capacity_under_address_limit),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_path_is_a_file_or_foreign),
        cmocka_unit_test(test_permissions),
        cmocka_unit_test(test_read_only_file_system),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
