/*
 * test_backing.c - copies and snapshots keep the backing promise: every
 * chunk their chunk directory calls backed has its disk blocks, so that
 * writing into an object already allocated never raises SIGBUS, however
 * full the disk is.
 *
 * A source datastore (on the test directory's file system) holds objects
 * that were allocated but mostly never written: their pages are reserved
 * (fallocate) but hold no data, which a sparse copy turns into holes. The
 * copy, the snapshot, and a snapshot during which another object is freed
 * (and, with METALLC_PURGE=sync, punched at once) go to a small tmpfs; a
 * child opens the copy, another writer fills the tmpfs to the last byte,
 * and the child writes every byte of every object: it must not die.
 *
 * As root only (mounts); skips with a message elsewhere.
 */
#include "rel_common.h"

#include "hook.h"

#include <signal.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define MiB ((size_t)1 << 20)

enum { NOBJ = 12 };
struct table {
    uint64_t off[NOBJ];
    uint64_t size[NOBJ];
};

static char g_root[4096], g_src[4200], g_mnt[4200];
static bool g_mounted;

/* Objects of 8 B .. 6 MiB, each written only in its first 64 bytes. */
static int make_source(void)
{
    metall_options o = {.capacity = (size_t)1 << 30};
    metall_manager *m = metall_create_ex(g_src, &o);
    if (!m)
        return -1;
    struct table *t = metall_named_malloc(m, "table", sizeof *t);
    if (!t)
        return -1;
    static const size_t sizes[NOBJ] = {8,       200,     4096,    60000,   300000,  1 * MiB,
                                       2 * MiB, 3 * MiB, 4 * MiB, 5 * MiB, 6 * MiB, 2 * MiB};
    for (int i = 0; i < NOBJ; i++) {
        char *p = metall_malloc(m, sizes[i]);
        if (!p)
            return -1;
        memset(p, 0x5A, sizes[i] < 64 ? sizes[i] : 64);
        t->off[i] = metall_offset_of(m, p);
        t->size[i] = sizes[i];
    }
    return metall_close(m) ? 0 : -1;
}

static void fill_disk(const char *dir)
{
    char f[4400];
    snprintf(f, sizeof f, "%s/filler", dir);
    int fd = open(f, O_WRONLY | O_CREAT | O_APPEND, 0644);
    static char page[4096];
    while (fd >= 0 && write(fd, page, sizeof page) == (ssize_t)sizeof page)
        ;
    while (fd >= 0 && write(fd, page, 1) == 1)
        ;
    if (fd >= 0)
        close(fd);
}

/* In a child: open ds, fill its file system, write every byte of every
 * object in the table (and of `extra`, an object freed during the
 * snapshot, if its chunk is still allocated in the copy). */
static int write_all_child(const char *ds)
{
    metall_manager *m = metall_open(ds);
    if (!m) {
        fprintf(stderr, "open %s: %s\n", ds, metall_errmsg());
        return 10;
    }
    struct table *t = metall_find(m, "table");
    if (!t)
        return 11;
    fill_disk(g_mnt);
    for (int i = 0; i < NOBJ; i++) {
        char *p = metall_ptr_at(m, t->off[i]);
        memset(p, 0xA5, t->size[i]); /* SIGBUS here if a page has no block */
    }
    void *x = metall_find(m, "freed-during-snapshot");
    if (x)
        memset(x, 0xA5, metall_usable_size(m, x));
    return metall_close(m) ? 0 : 12;
}

static void check_writable_when_full(const char *ds, const char *what)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGBUS, SIG_DFL); /* die by it, not by cmocka's handler */
        _exit(write_all_child(ds));
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    char f[4400];
    snprintf(f, sizeof f, "%s/filler", g_mnt);
    unlink(f);
    if (WIFSIGNALED(st))
        fail_msg("%s: writing into allocated objects on a full disk killed the child with "
                 "signal %d (%s)",
                 what, WTERMSIG(st), strsignal(WTERMSIG(st)));
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_true(metall_remove(ds));
}

static void test_copy_keeps_backing(void **state)
{
    (void)state;
    if (!g_mounted)
        skip();
    char dst[4400];
    snprintf(dst, sizeof dst, "%s/copy", g_mnt);
    assert_true(metall_copy(g_src, dst));
    check_writable_when_full(dst, "metall_copy");
}

static void test_snapshot_keeps_backing(void **state)
{
    (void)state;
    if (!g_mounted)
        skip();
    char dst[4400];
    snprintf(dst, sizeof dst, "%s/snap", g_mnt);
    metall_manager *m = metall_open(g_src);
    assert_non_null(m);
    assert_true(metall_snapshot(m, dst));
    assert_true(metall_close(m));
    check_writable_when_full(dst, "metall_snapshot");
}

/* An object freed after the snapshot's cut, while its blocks are being
 * copied: the snapshot's directory still has it (allocated, so backed),
 * but the source's chunk is punched (METALLC_PURGE=sync) before the copy
 * reads it. */
static metall_manager *g_hook_m;
static void *g_victim;

static int free_after_cut(const char *point, const char *path)
{
    (void)path;
    if (strcmp(point, "snapshot:cut") == 0 && g_victim) {
        metall_free(g_hook_m, g_victim);
        g_victim = NULL;
    }
    return 0;
}

static void test_snapshot_with_free_after_cut(void **state)
{
    (void)state;
    if (!g_mounted)
        skip();
    char dst[4400];
    snprintf(dst, sizeof dst, "%s/snap2", g_mnt);
    metall_manager *m = metall_open(g_src);
    assert_non_null(m);
    g_victim = metall_named_malloc(m, "freed-during-snapshot", 4 * MiB);
    assert_non_null(g_victim);
    memset(g_victim, 0x77, 4 * MiB);
    g_hook_m = m;
    mc_test_hook = free_after_cut;
    bool ok = metall_snapshot(m, dst);
    mc_test_hook = NULL;
    assert_true(ok);
    assert_true(metall_close(m));
    check_writable_when_full(dst, "a snapshot during which an object was freed");
    m = metall_open(g_src); /* take the name back out of the source */
    assert_non_null(m);
    metall_named_free(m, "freed-during-snapshot");
    assert_true(metall_close(m));
}

static int setup(void **state)
{
    (void)state;
    if (rel_mkdtemp(g_root, sizeof g_root, "backing"))
        return -1;
    snprintf(g_src, sizeof g_src, "%s/src", g_root);
    snprintf(g_mnt, sizeof g_mnt, "%s/mnt", g_root);
    if (make_source())
        return -1;
    int rc = rel_mount_tmpfs(g_mnt, 64, 0);
    g_mounted = rc == 0;
    if (!g_mounted)
        fprintf(stderr, "cannot mount a tmpfs at %s (%s): backing tests skip\n", g_mnt,
                strerror(rc));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (g_mounted)
        rel_umount(g_mnt);
    rel_rm_tree(g_root);
    return 0;
}

int main(void)
{
    /* freed chunks are punched inside free(): the race of the review made
     * deterministic (the variable is read once, at the first datastore) */
    setenv("METALLC_PURGE", "sync", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_keeps_backing),
        cmocka_unit_test(test_snapshot_keeps_backing),
        cmocka_unit_test(test_snapshot_with_free_after_cut),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
