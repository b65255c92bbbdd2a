/*
 * test_snapshot.c - metall_snapshot() of an open datastore and
 * metall_copy() of a closed one: contents, uuids, all-or-nothing failures
 * (EEXIST leaves the destination untouched, EBUSY for an open source), and
 * on a loop-mounted XFS with reflink=1 (as root) that the snapshot shares
 * its blocks with the original instead of copying them.
 */
#include "test_util.h"

#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/statvfs.h>

#define MiB ((size_t)1 << 20)

static void fill_ds(metall_manager *m, uint64_t tag)
{
    for (int i = 0; i < 50; i++) {
        char name[16];
        snprintf(name, sizeof name, "o%d", i);
        size_t s = 1 + (size_t)i * 101;
        void *p = metall_named_malloc(m, name, s);
        assert_non_null(p);
        tu_fill(p, s, tag + (uint64_t)i);
    }
    void *big = metall_named_malloc(m, "big", 5 * MiB);
    assert_non_null(big);
    tu_fill(big, 5 * MiB, tag);
}

static void check_ds(metall_manager *m, uint64_t tag)
{
    assert_int_equal(metall_named_count(m), 51);
    for (int i = 0; i < 50; i++) {
        char name[16];
        snprintf(name, sizeof name, "o%d", i);
        size_t len = 0;
        void *p = metall_named_find(m, name, &len);
        assert_non_null(p);
        assert_int_equal(len, 1 + (size_t)i * 101);
        assert_true(tu_check(p, len, tag + (uint64_t)i));
    }
    size_t len = 0;
    void *big = metall_named_find(m, "big", &len);
    assert_non_null(big);
    assert_int_equal(len, 5 * MiB);
    assert_true(tu_check(big, len, tag));
}

static void test_snapshot_open(void **state)
{
    const char *dir = *state;
    const char *p = tu_path(dir, "ds"), *s = tu_path(dir, "snap");
    /* several managers of it are open at once: a modest capacity so that
     * sanitizer builds (smaller address space) can reserve them all */
    metall_options o = {0};
    o.capacity = (size_t)64 << 30;
    metall_manager *m = metall_create_ex(p, &o);
    assert_non_null(m);
    fill_ds(m, 1);
    assert_true(metall_set_description(m, "original"));
    assert_true(metall_snapshot(m, s));
    /* the original stays open and usable; later changes are not in the
     * snapshot */
    assert_true(metall_named_free(m, "o3"));
    tu_fill(metall_find(m, "big"), 5 * MiB, 99);
    assert_non_null(metall_named_malloc(m, "later", 10));
    assert_true(metall_consistent(s));
    char us[37], up[37], d[32];
    assert_true(metall_get_uuid(s, us));
    assert_true(metall_get_uuid(p, up));
    assert_string_not_equal(us, up);
    assert_true(metall_get_description(s, d, sizeof d));
    assert_string_equal(d, "original");

    /* the snapshot opens (while the original is open) with the data of
     * the moment it was taken */
    metall_manager *ms = metall_open(s);
    if (!ms)
        print_error("open %s: %s\n", s, metall_errmsg());
    assert_non_null(ms);
    check_ds(ms, 1);
    assert_null(metall_find(ms, "later"));
    /* and is independent: writes to it do not reach the original */
    tu_fill(metall_find(ms, "o4"), 1 + 4 * 101, 500);
    assert_true(metall_close(ms));
    assert_true(tu_check(metall_find(m, "o4"), 1 + 4 * 101, 1 + 4));
    assert_true(metall_close(m));

    /* a snapshot of the snapshot, then reopen the original */
    ms = metall_open(s);
    assert_non_null(ms);
    assert_true(metall_snapshot(ms, tu_path(dir, "snap2")));
    assert_true(metall_close(ms));
    ms = metall_open(tu_path(dir, "snap2"));
    assert_non_null(ms);
    assert_true(tu_check(metall_find(ms, "o4"), 1 + 4 * 101, 500));
    assert_true(metall_close(ms));
    m = metall_open(p);
    assert_non_null(m);
    assert_null(metall_find(m, "o3"));
    assert_true(tu_check(metall_find(m, "big"), 5 * MiB, 99));
    assert_true(metall_close(m));
}

static void test_snapshot_existing(void **state)
{
    const char *dir = *state;
    const char *p = tu_path(dir, "ds"), *other = tu_path(dir, "other");
    const char *plain = tu_path(dir, "plain");
    metall_manager *o = metall_create(other);
    assert_non_null(o);
    assert_non_null(metall_named_malloc(o, "mine", 8));
    assert_true(metall_close(o));
    char uo[37], uo2[37];
    assert_true(metall_get_uuid(other, uo));
    assert_int_equal(mkdir(plain, 0755), 0);
    tu_write_file(tu_path(plain, "keep.txt"), "keep me");
    const char *file = tu_path(dir, "file");
    tu_write_file(file, "keep me too");

    metall_manager *m = metall_create(p);
    assert_non_null(m);
    fill_ds(m, 2);
    TU_FAILS(metall_snapshot(m, other) == false, EEXIST, other);
    TU_FAILS(metall_snapshot(m, plain) == false, EEXIST, plain);
    TU_FAILS(metall_snapshot(m, file) == false, EEXIST, file);
    TU_FAILS(metall_snapshot(m, p) == false, EEXIST, p);
    assert_true(metall_close(m));
    /* untouched */
    assert_true(metall_get_uuid(other, uo2));
    assert_string_equal(uo, uo2);
    o = metall_open(other);
    assert_non_null(o);
    assert_int_equal(metall_named_count(o), 1);
    assert_true(metall_close(o));
    assert_true(tu_exists(tu_path(plain, "keep.txt")));
    assert_true(tu_exists(file));
    m = metall_open(p);
    assert_non_null(m);
    check_ds(m, 2);
    assert_true(metall_close(m));
    /* no temporary directories left behind */
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -c metall-tmp", dir);
    FILE *f = popen(cmd, "r");
    int n = -1;
    assert_int_equal(fscanf(f, "%d", &n), 1);
    pclose(f);
    assert_int_equal(n, 0);
}

static void test_copy(void **state)
{
    const char *dir = *state;
    const char *p = tu_path(dir, "ds"), *c = tu_path(dir, "copy");
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    fill_ds(m, 3);
    /* open for writing: EBUSY, nothing created */
    TU_FAILS(metall_copy(p, c) == false, EBUSY, p);
    assert_false(tu_exists(c));
    assert_true(metall_close(m));
    assert_true(metall_copy(p, c));
    char u1[37], u2[37];
    assert_true(metall_get_uuid(p, u1));
    assert_true(metall_get_uuid(c, u2));
    assert_string_equal(u1, u2);
    assert_true(metall_consistent(c));
    m = metall_open(c);
    assert_non_null(m);
    check_ds(m, 3);
    assert_true(metall_close(m));
    /* copying while a reader has it open is fine */
    metall_manager *r = metall_open_read_only(p);
    assert_non_null(r);
    assert_true(metall_copy(p, tu_path(dir, "copy2")));
    assert_true(metall_close(r));
    /* errors */
    TU_FAILS(metall_copy(p, c) == false, EEXIST, c);
    const char *missing = tu_path(dir, "missing");
    TU_FAILS(metall_copy(missing, tu_path(dir, "x")) == false, ENOENT, missing);
    const char *plain = tu_path(dir, "plain");
    assert_int_equal(mkdir(plain, 0755), 0);
    TU_FAILS(metall_copy(plain, tu_path(dir, "y")) == false, EINVAL, plain);
    assert_false(tu_exists(tu_path(dir, "x")));
    assert_false(tu_exists(tu_path(dir, "y")));
}

/* ---- reflink on a loop-mounted XFS ------------------------------------------ */

static int sh(const char *fmt, ...)
{
    char cmd[3 * PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static uint64_t fs_used(const char *mnt)
{
    struct statvfs v;
    assert_int_equal(statvfs(mnt, &v), 0);
    return (uint64_t)(v.f_blocks - v.f_bfree) * v.f_frsize;
}

/* Bytes of fd's extents flagged FIEMAP_EXTENT_SHARED, and all mapped bytes. */
static void shared_extents(const char *path, uint64_t *shared, uint64_t *mapped)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    enum { N = 256 };
    struct fiemap *fm = calloc(1, sizeof *fm + N * sizeof(struct fiemap_extent));
    assert_non_null(fm);
    *shared = *mapped = 0;
    uint64_t start = 0;
    for (;;) {
        memset(fm, 0, sizeof *fm);
        fm->fm_start = start;
        fm->fm_length = FIEMAP_MAX_OFFSET - start;
        fm->fm_flags = FIEMAP_FLAG_SYNC;
        fm->fm_extent_count = N;
        assert_int_equal(ioctl(fd, FS_IOC_FIEMAP, fm), 0);
        if (fm->fm_mapped_extents == 0)
            break;
        bool last = false;
        for (unsigned i = 0; i < fm->fm_mapped_extents; i++) {
            struct fiemap_extent *e = &fm->fm_extents[i];
            *mapped += e->fe_length;
            if (e->fe_flags & FIEMAP_EXTENT_SHARED)
                *shared += e->fe_length;
            start = e->fe_logical + e->fe_length;
            last |= (e->fe_flags & FIEMAP_EXTENT_LAST) != 0;
        }
        if (last)
            break;
    }
    free(fm);
    close(fd);
}

static void test_reflink_xfs(void **state)
{
    const char *dir = *state;
    if (geteuid() != 0) {
        print_message("skipped: the reflink test needs root to loop-mount XFS\n");
        skip();
    }
    const char *img = tu_path(dir, "xfs.img"), *mnt = tu_path(dir, "mnt");
    char imgb[PATH_MAX], mntb[PATH_MAX];
    snprintf(imgb, sizeof imgb, "%s", img);
    snprintf(mntb, sizeof mntb, "%s", mnt);
    assert_int_equal(mkdir(mntb, 0755), 0);
    if (sh("truncate -s 512M '%s' && mkfs.xfs -q -m reflink=1 '%s' >/dev/null 2>&1", imgb,
           imgb) != 0 ||
        sh("mount -o loop '%s' '%s' 2>/dev/null", imgb, mntb) != 0) {
        unlink(imgb);
        print_message("skipped: cannot make or loop-mount an XFS image (reflink=1)\n");
        skip();
    }
    /* from here on, always unmount (assertions longjmp: run the body in a
     * child so the parent can clean up whatever happens) */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char p[PATH_MAX + 8], s[PATH_MAX + 8];
        snprintf(p, sizeof p, "%s/ds", mntb);
        snprintf(s, sizeof s, "%s/snap", mntb);
        metall_manager *m = metall_create(p);
        CHILD_CHECK(m);
        unsigned char *d = metall_named_malloc(m, "data", 100 * MiB);
        CHILD_CHECK(d);
        tu_fill(d, 100 * MiB, 7);
        CHILD_CHECK(metall_flush(m));
        sync();
        uint64_t before = fs_used(mntb);
        CHILD_CHECK(metall_snapshot(m, s));
        sync();
        uint64_t after = fs_used(mntb);
        uint64_t sh_bytes, mapped;
        char blk[PATH_MAX + 32];
        snprintf(blk, sizeof blk, "%s/segment/block-000000", s);
        shared_extents(blk, &sh_bytes, &mapped);
        printf("reflink snapshot of 100 MiB: file system used +%.1f MiB; snapshot block "
               "file: %.1f MiB mapped, %.1f MiB shared\n",
               (double)(after - before) / MiB, (double)mapped / MiB,
               (double)sh_bytes / MiB);
        fflush(stdout);
        CHILD_CHECK(after - before < 10 * MiB);
        CHILD_CHECK(sh_bytes >= 100 * MiB);
        /* the clone is a separate copy: writing the original after the
         * snapshot does not change it */
        memset(d, 0, MiB);
        CHILD_CHECK(metall_close(m));
        metall_manager *ms = metall_open(s);
        CHILD_CHECK(ms);
        size_t len = 0;
        unsigned char *sd = metall_named_find(ms, "data", &len);
        CHILD_CHECK(sd && len == 100 * MiB && tu_check(sd, len, 7));
        CHILD_CHECK(metall_close(ms));
        _exit(0);
    }
    int st = tu_wait(pid);
    int um = sh("umount '%s' 2>/dev/null || umount -l '%s'", mntb, mntb);
    unlink(imgb);
    assert_int_equal(um, 0);
    tu_assert_child_ok(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_snapshot_open, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_existing, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_copy, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_reflink_xfs, tu_setup, tu_teardown),
    };
    return cmocka_run_group_tests_name("core_snapshot", tests, NULL, NULL);
}
