/*
 * test_reflink.c - reflink (FICLONE) snapshots and copies on a file system
 * that is nearly full (RELIABILITY.md, "Reflink snapshots"):
 *  - where the file system can rewrite the shared bytes later (copy on
 *    write), snapshot and copy succeed, and share their blocks;
 *  - where it cannot, they fail with ENOSPC and a message naming the
 *    destination (not its temporary), saying why and what allows them,
 *    leave nothing at the destination, and the source goes on;
 *  - with METALLC_SNAPSHOT_OVERCOMMIT=1 (argument "overcommit"), they
 *    succeed anyway.
 *
 * Needs root, mkfs.xfs and loop mounts (an XFS image with reflink=1);
 * skips with a message elsewhere.
 *
 * Usage: rel_reflink [overcommit]
 */
#include "rel_common.h"

#include <sys/statvfs.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define MiB ((size_t)1 << 20)

static char g_root[4096], g_img[4200], g_mnt[4200];
static bool g_mounted, g_overcommit;
static metall_manager *g_m; /* closed by teardown if a check failed */

static int run(const char *cmd)
{
    char full[9100];
    snprintf(full, sizeof full, "%s >/dev/null 2>&1", cmd);
    int st = system(full);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static uint64_t free_bytes(void)
{
    struct statvfs sv;
    return statvfs(g_mnt, &sv) == 0 ? (uint64_t)sv.f_bavail * sv.f_frsize : 0;
}

/* Fill the file system until about `leave` bytes are free. With
 * fallocate, not write: XFS reserves speculative preallocation for
 * written files and gives it back later (at close, or in the background),
 * so after writing, the free space grew again by a varying amount. */
static void fill_until(uint64_t leave)
{
    char f[4400];
    snprintf(f, sizeof f, "%s/filler", g_mnt);
    int fd = open(f, O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    off_t end = st.st_size;
    while (free_bytes() > leave + MiB && fallocate(fd, 0, end, (off_t)MiB) == 0)
        end += (off_t)MiB;
    fsync(fd);
    close(fd);
    uint64_t left = free_bytes();
    if (left > leave + 2 * MiB)
        fail_msg("could not fill %s: %llu bytes free, wanted %llu", g_mnt,
                 (unsigned long long)left, (unsigned long long)leave);
}

static void unfill(void)
{
    char f[4400];
    snprintf(f, sizeof f, "%s/filler", g_mnt);
    unlink(f);
    sync();
}

/* A datastore with 120 MiB of written objects. */
static metall_manager *make_source(const char *ds)
{
    metall_options o = {.capacity = (size_t)1 << 30};
    metall_manager *m = metall_create_ex(ds, &o);
    assert_non_null(m);
    for (int i = 0; i < 30; i++) {
        char name[32];
        snprintf(name, sizeof name, "o%d", i);
        char *p = metall_named_malloc(m, name, 4 * MiB);
        assert_non_null(p);
        memset(p, i + 1, 4 * MiB);
    }
    assert_true(metall_flush(m));
    return m;
}

static void test_reflink_needs_room(void **state)
{
    (void)state;
    if (!g_mounted)
        skip();
    char ds[4400], snap[4400], copy[4400], snap_ok[4400];
    snprintf(ds, sizeof ds, "%s/ds", g_mnt);
    snprintf(snap, sizeof snap, "%s/snap", g_mnt);
    snprintf(copy, sizeof copy, "%s/copy", g_mnt);
    snprintf(snap_ok, sizeof snap_ok, "%s/snap-ok", g_mnt);
    metall_manager *m = g_m = make_source(ds);

    /* room for the shared bytes: works, and shares (little new space) */
    uint64_t before = free_bytes();
    if (!metall_snapshot(m, snap_ok))
        fail_msg("snapshot with room: %s", metall_errmsg());
    uint64_t after = free_bytes();
    fprintf(stderr, "reflink snapshot of ~120 MiB took %llu KiB of space\n",
            (unsigned long long)(before > after ? before - after : 0) / 1024);
    assert_true(before - after < 60 * MiB); /* cloned, not copied */
    assert_true(metall_remove(snap_ok));

    /* 40 MiB free: not enough to rewrite 120 MiB of shared blocks */
    fill_until(40 * MiB);
    errno = 0;
    bool ok = metall_snapshot(m, snap);
    int e = errno;
    fprintf(stderr, "snapshot with %llu MiB free: %s\n",
            (unsigned long long)free_bytes() / MiB, ok ? "succeeded" : metall_errmsg());
    if (g_overcommit) {
        assert_true(ok);
        assert_true(metall_remove(snap));
    } else {
        assert_false(ok);
        assert_int_equal(e, ENOSPC);
        assert_non_null(strstr(metall_errmsg(), "METALLC_SNAPSHOT_OVERCOMMIT"));
        /* it names the destination asked for, not its temporary */
        assert_non_null(strstr(metall_errmsg(), snap));
        assert_null(strstr(metall_errmsg(), "metall-tmp"));
        assert_int_not_equal(access(snap, F_OK), 0);
        assert_int_equal(rel_count_entries(g_mnt, "metall-tmp"), 0);
    }
    /* the source goes on */
    void *p = metall_malloc(m, 1000);
    assert_non_null(p);
    metall_free(m, p);
    g_m = NULL;
    assert_true(metall_close(m));

    /* the same for a copy of the closed datastore */
    errno = 0;
    ok = metall_copy(ds, copy);
    e = errno;
    if (g_overcommit) {
        assert_true(ok);
        assert_true(metall_remove(copy));
    } else {
        assert_false(ok);
        assert_int_equal(e, ENOSPC);
        assert_non_null(strstr(metall_errmsg(), copy));
        assert_null(strstr(metall_errmsg(), "metall-tmp"));
        assert_int_not_equal(access(copy, F_OK), 0);
    }
    unfill();
    assert_true(metall_copy(ds, copy)); /* room again */
    assert_true(metall_remove(copy));
    assert_true(metall_remove(ds));
}

static int setup(void **state)
{
    (void)state;
    if (rel_mkdtemp(g_root, sizeof g_root, "reflink"))
        return -1;
    snprintf(g_img, sizeof g_img, "%s/xfs.img", g_root);
    snprintf(g_mnt, sizeof g_mnt, "%s/mnt", g_root);
    mkdir(g_mnt, 0755);
    char cmd[9000];
    int fd = open(g_img, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    bool made = fd >= 0 && ftruncate(fd, (off_t)640 * (off_t)MiB) == 0;
    if (fd >= 0)
        close(fd);
    snprintf(cmd, sizeof cmd, "mkfs.xfs -q -f -m reflink=1 '%s'", g_img);
    made = made && geteuid() == 0 && run(cmd) == 0;
    snprintf(cmd, sizeof cmd, "mount -o loop '%s' '%s'", g_img, g_mnt);
    g_mounted = made && run(cmd) == 0;
    if (!g_mounted)
        fprintf(stderr, "no XFS with reflink here (root, mkfs.xfs and loop mounts are "
                        "needed): skipping\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (g_m)
        metall_close(g_m);
    if (g_mounted) {
        char cmd[9000];
        snprintf(cmd, sizeof cmd, "umount '%s' || umount -l '%s'", g_mnt, g_mnt);
        run(cmd);
    }
    rel_rm_tree(g_root);
    return 0;
}

int main(int argc, char **argv)
{
    g_overcommit = argc > 1 && strcmp(argv[1], "overcommit") == 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reflink_needs_room),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
