/*
 * test_fulldisk.c - a full file system: ENOSPC, never SIGBUS, nothing lost.
 *
 * As root, a 64 MiB tmpfs holds a datastore of 1 GiB capacity. A child
 * fills it (small and large objects, every byte written) until allocation
 * fails; that must be ENOSPC and the child must exit normally (a SIGBUS on
 * first touch of an unbacked page would kill it). Flush may fail, but
 * cleanly; after freeing some objects close succeeds, and every object
 * written before is intact after reopening. A snapshot into a full second
 * tmpfs fails with ENOSPC, leaves nothing at the destination (no temporary
 * directory either), and the source is untouched.
 *
 * Skips (with a message) when not root or when mounting is not allowed.
 */
#include "rel_common.h"

#include "hook.h"

#include <signal.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define MAXOBJ 8192

struct entry {
    uint64_t off; /* 0: none or freed */
    uint64_t size;
    uint64_t sum;
};

struct table {
    uint64_t n;
    struct entry e[MAXOBJ];
};

static char g_root[4096], g_mnt[4200], g_mnt2[4200], g_ds[4300];
static bool g_mounted, g_mounted2;

static int setup(void **state)
{
    (void)state;
    if (rel_mkdtemp(g_root, sizeof g_root, "fulldisk"))
        return -1;
    snprintf(g_mnt, sizeof g_mnt, "%s/mnt", g_root);
    snprintf(g_mnt2, sizeof g_mnt2, "%s/mnt2", g_root);
    snprintf(g_ds, sizeof g_ds, "%s/ds", g_mnt);
    int rc = rel_mount_tmpfs(g_mnt, 64, 0);
    g_mounted = rc == 0;
    if (!g_mounted)
        fprintf(stderr, "cannot mount a tmpfs at %s (%s): full-disk tests skip\n", g_mnt,
                strerror(rc));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (g_mounted2)
        rel_umount(g_mnt2);
    if (g_mounted)
        rel_umount(g_mnt);
    rel_rm_tree(g_root);
    return 0;
}

/* Exit codes of the filling child. */
enum { CHILD_OK = 0, CHILD_CREATE = 10, CHILD_ERRNO, CHILD_FEW, CHILD_CLOSE, CHILD_TABLE };

static int fill_child(void)
{
    metall_options o = {.capacity = (size_t)1 << 30};
    metall_manager *m = metall_create_ex(g_ds, &o);
    if (!m)
        return CHILD_CREATE;
    struct table *t = metall_named_malloc(m, "table", sizeof *t);
    if (!t)
        return CHILD_TABLE;
    memset(t, 0, sizeof *t);
    uint64_t s = 42;
    size_t bytes = 0;
    int e = 0;
    for (uint64_t i = 0; i < MAXOBJ; i++) {
        uint64_t r = rel_splitmix(&s);
        size_t size = i % 4 == 3 ? ((size_t)1 << 20) + (size_t)(r % (3u << 20)) /* large */
                                 : 1 + (size_t)(r % 3000);                        /* small */
        void *p = metall_malloc(m, size);
        if (!p) {
            e = errno;
            break;
        }
        rel_fill(p, size, i); /* every byte: a SIGBUS would show here */
        t->e[i].size = size;
        t->e[i].sum = rel_sum(p, size);
        t->e[i].off = metall_offset_of(m, p);
        t->n = i + 1;
        bytes += size;
    }
    fprintf(stderr, "filled %llu objects, %zu bytes, until errno %d (%s): %s\n",
            (unsigned long long)t->n, bytes, e, strerror(e), metall_errmsg());
    if (e != ENOSPC)
        return CHILD_ERRNO;
    /* the file system must really be full (a large object needs at most
     * a few chunks), not some other limit hit */
    struct statvfs sv;
    if (statvfs(g_mnt, &sv) != 0 || (uint64_t)sv.f_bavail * sv.f_frsize > ((uint64_t)8 << 20))
        return CHILD_FEW;
    fprintf(stderr, "file system free after filling: %llu KiB\n",
            (unsigned long long)sv.f_bavail * sv.f_frsize / 1024);
    /* flush on a full disk: success or a clean failure */
    errno = 0;
    bool fl = metall_flush(m);
    fprintf(stderr, "flush on the full disk: %s (errno %d %s)\n", fl ? "ok" : "failed",
            fl ? 0 : errno, fl ? "" : metall_errmsg());
    if (!fl && errno != ENOSPC)
        return CHILD_ERRNO;
    /* free every other large object: close needs a little room */
    for (uint64_t i = 3; i < t->n; i += 8) {
        metall_free(m, metall_ptr_at(m, t->e[i].off));
        t->e[i].off = 0;
    }
    if (!metall_close(m)) {
        fprintf(stderr, "close after freeing failed: %s\n", metall_errmsg());
        return CHILD_CLOSE;
    }
    return CHILD_OK;
}

static int verify(const char *path, uint64_t *nobj)
{
    metall_manager *m = metall_open_read_only(path);
    if (!m) {
        fprintf(stderr, "%s does not open: %s\n", path, metall_errmsg());
        return -1;
    }
    size_t len;
    struct table *t = metall_named_find(m, "table", &len);
    int bad = !t || len != sizeof *t;
    *nobj = 0;
    for (uint64_t i = 0; !bad && i < t->n; i++) {
        if (!t->e[i].off)
            continue;
        ++*nobj;
        if (rel_sum(metall_ptr_at(m, t->e[i].off), t->e[i].size) != t->e[i].sum)
            bad++;
    }
    metall_close(m);
    return bad ? -1 : 0;
}

static void test_fill_until_enospc(void **state)
{
    (void)state;
    if (!g_mounted)
        skip();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(fill_child());
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("the filling child died by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), CHILD_OK);
    /* reopen for writing and reading: everything written is there */
    assert_true(metall_consistent(g_ds));
    metall_manager *m = metall_open(g_ds);
    assert_non_null(m);
    /* room was made: allocation works again */
    void *p = metall_malloc(m, 1000);
    assert_non_null(p);
    metall_free(m, p);
    assert_true(metall_close(m));
    uint64_t n = 0;
    assert_int_equal(verify(g_ds, &n), 0);
    fprintf(stderr, "reopened: %llu objects verified\n", (unsigned long long)n);
    assert_true(n > 20);
}

static char g_filler[4500];

/* Another writer fills the file system to the last byte. */
static void fill_the_disk(void)
{
    int fd = open(g_filler, O_WRONLY | O_CREAT | O_APPEND, 0644);
    static char page[4096];
    while (fd >= 0 && write(fd, page, sizeof page) == (ssize_t)sizeof page)
        ;
    while (fd >= 0 && write(fd, page, 1) == 1)
        ;
    if (fd >= 0)
        close(fd);
}

static int fill_at_persist(const char *point, const char *path)
{
    (void)path;
    if (strcmp(point, "persist:synced") == 0)
        fill_the_disk();
    return 0;
}

/* The review's case: the heap fills the disk, and close must still write
 * the management files and the closed mark (the space for them is
 * reserved while the datastore is open), with nothing freed first. Named
 * objects and descriptions added on the full disk either fit or fail
 * with ENOSPC; close succeeds either way and everything reopens intact. */
static int fill_and_close_child(const char *ds)
{
    metall_options o = {.capacity = (size_t)1 << 30};
    metall_manager *m = metall_create_ex(ds, &o);
    if (!m)
        return CHILD_CREATE;
    struct table *t = metall_named_malloc(m, "table", sizeof *t);
    if (!t)
        return CHILD_TABLE;
    memset(t, 0, sizeof *t);
    /* free 8-byte slots for named objects once the disk is full */
    enum { NAMES = 2000 };
    static void *spare_slots[NAMES];
    void *keep = metall_malloc(m, 8);
    for (int i = 0; i < NAMES; i++)
        spare_slots[i] = metall_malloc(m, 8);
    for (int i = 0; i < NAMES; i++)
        metall_free(m, spare_slots[i]);
    if (!keep)
        return CHILD_TABLE;
    uint64_t s = 7;
    int e = 0;
    for (uint64_t i = 0; i < MAXOBJ; i++) {
        uint64_t r = rel_splitmix(&s);
        size_t size = i % 5 == 4 ? ((size_t)1 << 20) + (size_t)(r % (2u << 20))
                                 : 1 + (size_t)(r % 5000);
        void *p = metall_malloc(m, size);
        if (!p) {
            e = errno;
            break;
        }
        rel_fill(p, size, i);
        t->e[i].size = size;
        t->e[i].sum = rel_sum(p, size);
        t->e[i].off = metall_offset_of(m, p);
        t->n = i + 1;
    }
    if (e != ENOSPC) {
        fprintf(stderr, "filling ended with errno %d: %s\n", e, metall_errmsg());
        return CHILD_ERRNO;
    }
    /* small objects into the last free slots, then another writer takes
     * every byte the heap left (less than a chunk) */
    for (int i = 0; i < 100000 && metall_malloc(m, 64); i++)
        ;
    snprintf(g_filler, sizeof g_filler, "%s.filler", ds);
    fill_the_disk();
    /* names and descriptions on the full disk: each fits or is ENOSPC */
    int named = 0, described = 0;
    for (int i = 0; i < NAMES; i++) {
        char name[64], desc[600];
        snprintf(name, sizeof name, "name-%d", i);
        memset(desc, 'd', sizeof desc - 1);
        desc[sizeof desc - 1] = '\0';
        errno = 0;
        void *p = metall_named_malloc(m, name, 8);
        if (!p && errno != ENOSPC) {
            fprintf(stderr, "named_malloc on a full disk: %s\n", metall_errmsg());
            return CHILD_ERRNO;
        }
        if (!p)
            break;
        named++;
        if (metall_named_set_description(m, name, desc))
            described++;
        else if (errno != ENOSPC) {
            fprintf(stderr, "set_description on a full disk: %s\n", metall_errmsg());
            return CHILD_ERRNO;
        }
    }
    fprintf(stderr, "full: %llu objects, %d more named objects, %d described: %s\n",
            (unsigned long long)t->n, named, described, metall_errmsg());

    /* and once close has given back the free chunks and pages, the other
     * writer takes that space too, before the management files are
     * written (the test hook at the step between) */
    mc_test_hook = fill_at_persist;
    if (!metall_close(m)) {
        fprintf(stderr, "close on the full disk failed: %s\n", metall_errmsg());
        return CHILD_CLOSE;
    }
    /* the names must have run into the full disk, or this tested nothing */
    return named == NAMES && described == NAMES ? CHILD_FEW : CHILD_OK;
}

static void test_close_on_full_disk(void **state)
{
    (void)state;
    if (!g_mounted)
        skip();
    char mnt[4300], ds[4400];
    snprintf(mnt, sizeof mnt, "%s/mnt3", g_root);
    snprintf(ds, sizeof ds, "%s/ds", mnt);
    int rc = rel_mount_tmpfs(mnt, 64, 0);
    if (rc) {
        fprintf(stderr, "cannot mount a third tmpfs (%s): skipping\n", strerror(rc));
        skip();
    }
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGBUS, SIG_DFL); /* die by it, not by cmocka's handler */
        _exit(fill_and_close_child(ds));
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == CHILD_OK;
    bool consistent = metall_consistent(ds);
    uint64_t n = 0;
    int v = consistent ? verify(ds, &n) : -1;
    /* for writing, it opens only where close could write: on the full
     * disk it is refused and stays closed; once space is back it opens */
    errno = 0;
    metall_manager *m = metall_open(ds);
    int open_errno = errno;
    if (m)
        metall_close(m);
    bool still = metall_consistent(ds);
    snprintf(g_filler, sizeof g_filler, "%s.filler", ds);
    unlink(g_filler);
    m = metall_open(ds);
    bool reclosed = m && metall_close(m);
    rel_umount(mnt);
    if (!ok)
        fail_msg("the child failed: %s %d", WIFEXITED(status) ? "exit" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    assert_true(consistent);
    assert_int_equal(v, 0);
    assert_true(n > 20);
    assert_int_equal(open_errno, ENOSPC);
    assert_true(still);
    assert_true(reclosed);
}

static void test_snapshot_into_full_destination(void **state)
{
    (void)state;
    if (!g_mounted)
        skip();
    int rc = rel_mount_tmpfs(g_mnt2, 4, 0);
    if (rc) {
        fprintf(stderr, "cannot mount a second tmpfs (%s): skipping\n", strerror(rc));
        skip();
    }
    g_mounted2 = true;
    uint64_t before = 0, after = 0;
    assert_int_equal(verify(g_ds, &before), 0);
    char dst[4400];
    snprintf(dst, sizeof dst, "%s/snap", g_mnt2);
    metall_manager *m = metall_open(g_ds);
    assert_non_null(m);
    errno = 0;
    assert_false(metall_snapshot(m, dst));
    assert_int_equal(errno, ENOSPC);
    fprintf(stderr, "snapshot into a full file system: %s\n", metall_errmsg());
    /* the message names the destination asked for, not its temporary */
    assert_non_null(strstr(metall_errmsg(), dst));
    assert_null(strstr(metall_errmsg(), "metall-tmp"));
    /* nothing at the destination, no temporary directory left */
    assert_int_not_equal(access(dst, F_OK), 0);
    assert_null(metall_open_read_only(dst));
    assert_int_equal(rel_count_entries(g_mnt2, "metall-tmp"), 0);
    assert_int_equal(rel_count_entries(g_mnt2, "snap"), 0);
    /* the source goes on: still usable, closes, reopens, verifies */
    void *p = metall_malloc(m, 100);
    assert_non_null(p);
    metall_free(m, p);
    assert_true(metall_close(m));
    assert_true(metall_consistent(g_ds));
    assert_int_equal(verify(g_ds, &after), 0);
    assert_int_equal(before, after);
    /* a copy into the full destination fails the same way */
    errno = 0;
    assert_false(metall_copy(g_ds, dst));
    assert_int_equal(errno, ENOSPC);
    assert_non_null(strstr(metall_errmsg(), dst));
    assert_null(strstr(metall_errmsg(), "metall-tmp"));
    assert_int_equal(rel_count_entries(g_mnt2, "metall-tmp"), 0);
    assert_int_not_equal(access(dst, F_OK), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill_until_enospc),
        cmocka_unit_test(test_snapshot_into_full_destination),
        cmocka_unit_test(test_close_on_full_disk),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
