/*
 * test_unmap.c - close leaves a large heap's unmapping to the background
 * unmapper (src/unmapper.c); nothing may notice but the clock.
 *
 * A test hook holds the unmapper before its first munmap ("unmap:slice")
 * until the test opens the gate, so every state is asserted, never raced:
 *  1. after close the heap's blocks are still mapped (the deferral), the
 *     rest of its reservation is not; a reopen meanwhile neither waits nor
 *     sees anything wrong; mc_unmap_drain() leaves nothing of either range;
 *  2. metall_remove() drains before deleting (on a private tmpfs: the free
 *     space is back to the pre-create value, and a new heap of the same size
 *     fits; skips when no tmpfs can be mounted);
 *  3. fork while the unmapper is at a step and more is queued: the child
 *     unmaps its inherited queue itself, nobody hangs;
 *  4. other threads allocate and fault in another heap meanwhile (run
 *     under ThreadSanitizer too: rel_unmap_tsan).
 * Heaps are over the unmapper's 64 MiB synchronous threshold (one 64 MiB
 * object); only a few of its pages are touched.
 */
#include "rel_common.h"

#include <stdbool.h>

#include "rel_child.h"

#include "hook.h"
#include "segment.h"
#include "types.h"
#include "unmapper.h"

#include <pthread.h>
#include <stdbool.h>
#include <sys/statvfs.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define BIG ((size_t)64 << 20)

static char g_root[4096], g_mnt[4200];
static pid_t g_parent;

/* ---- the gate -------------------------------------------------------------- */

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static bool g_closed;       /* the unmapper waits at "unmap:slice" */
static bool g_open_on_drain; /* "unmap:drain" opens the gate */
static bool g_open_on_fork;  /* fork()'s prepare opens it ("unmap:fork") */
static unsigned g_in_slice;  /* slices that reached the gate */
static unsigned g_drains;    /* drains that found something pending */

static void gate_set(bool closed, bool on_drain, bool on_fork)
{
    pthread_mutex_lock(&g_mu);
    g_closed = closed;
    g_open_on_drain = on_drain;
    g_open_on_fork = on_fork;
    g_in_slice = 0;
    g_drains = 0;
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
}

static int gate_hook(const char *point, const char *path)
{
    (void)path;
    pthread_mutex_lock(&g_mu);
    if (strcmp(point, "unmap:slice") == 0) {
        g_in_slice++;
        pthread_cond_broadcast(&g_cv);
        while (g_closed)
            pthread_cond_wait(&g_cv, &g_mu);
    } else if (strcmp(point, "unmap:drain") == 0) {
        g_drains++;
        if (g_open_on_drain) {
            g_closed = false;
            pthread_cond_broadcast(&g_cv);
        }
    } else if (
        strcmp(point, "unmap:fork") == 0 && g_open_on_fork) {
        g_closed = false;
        pthread_cond_broadcast(&g_cv);
    }
    pthread_mutex_unlock(&g_mu);
    return 0;
}

static void wait_in_slice(void)
{
    pthread_mutex_lock(&g_mu);
    while (g_in_slice == 0)
        pthread_cond_wait(&g_cv, &g_mu);
    pthread_mutex_unlock(&g_mu);
}

/* ---- helpers ----------------------------------------------------------------- */

/* Does any mapping of this process overlap [a, b)? */
static bool mapped_any(uintptr_t a, uintptr_t b)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return true;
    char line[4096];
    bool hit = false;
    while (!hit && fgets(line, sizeof line, f)) {
        unsigned long s, e;
        if (sscanf(line, "%lx-%lx", &s, &e) == 2)
            hit = s < b && a < e;
    }
    fclose(f);
    return hit;
}

/* [base, mapped) blocks, [mapped, end) reserved: close releases the latter
 * at once (a later reservation may take it), the former in the background */
struct heap {
    uintptr_t base, mapped, end;
};

static struct heap heap_of(metall_manager *m)
{
    struct heap h = {(uintptr_t)m->seg.base, 0, 0};
    h.mapped = h.base + segment_size(&m->seg);
    h.end = h.base + m->seg.capacity;
    return h;
}

/* A heap over the threshold: one BIG object (its first and last page
 * written), a named record of it. */
static struct heap make_big(const char *ds)
{
    /* 1 GiB of address space, not 4 TiB: several fit under
     * ThreadSanitizer's smaller address space without a drain */
    metall_options o = {.capacity = (size_t)1 << 30};
    metall_manager *m = metall_create_ex(ds, &o);
    assert_non_null(m);
    char *p = metall_malloc(m, BIG);
    assert_non_null(p);
    p[0] = 'a';
    p[BIG - 1] = 'z';
    uint64_t *rec = metall_named_malloc(m, "rec", sizeof *rec);
    assert_non_null(rec);
    *rec = metall_offset_of(m, p);
    struct heap h = heap_of(m);
    assert_true(h.mapped - h.base >= BIG);
    assert_true(metall_close(m));
    return h;
}

static void check_big(metall_manager *m)
{
    uint64_t *rec = metall_find(m, "rec");
    assert_non_null(rec);
    char *p = metall_ptr_at(m, *rec);
    assert_int_equal(p[0], 'a');
    assert_int_equal(p[BIG - 1], 'z');
}

static void ds_path(char *out, size_t size, const char *dir, const char *name)
{
    rel_path(out, size, dir, name);
    rel_rm_tree(out);
}

/* ---- 1. the deferral ---------------------------------------------------------- */

static void test_close_defers_reopen_does_not_wait(void **state)
{
    (void)state;
    char ds[4300];
    ds_path(ds, sizeof ds, g_root, "defer");
    /* a reopen short of address space (ThreadSanitizer's, a low RLIMIT_AS)
     * drains before it retries: then the gate opens */
    gate_set(true, true, false);
    struct heap h1 = make_big(ds);
    /* the blocks wait for the unmapper; the rest of the reservation is gone */
    assert_true(mapped_any(h1.base, h1.mapped));
    assert_false(mapped_any(h1.mapped, h1.end));
    /* a reopen maps a new range and does not wait for the old one */
    metall_manager *m = metall_open(ds);
    assert_non_null(m);
    pthread_mutex_lock(&g_mu);
    bool drained = g_drains > 0;
    pthread_mutex_unlock(&g_mu);
    struct heap h2 = heap_of(m);
    if (!drained)
        assert_true(h2.end <= h1.base || h1.mapped <= h2.base);
    check_big(m);
    assert_true(metall_close(m));
    if (!drained)
        assert_true(mapped_any(h1.base, h1.mapped)); /* still held at the gate */
    gate_set(false, false, false);
    mc_unmap_drain();
    assert_false(mapped_any(h1.base, h1.mapped));
    assert_false(mapped_any(h2.base, h2.mapped));
    assert_false(mc_unmap_drain()); /* nothing left */
    m = metall_open(ds);
    assert_non_null(m);
    check_big(m);
    assert_true(metall_close(m));
    assert_true(metall_remove(ds));
}

/* ---- 2. remove frees the disk --------------------------------------------------- */

static uint64_t fs_free(const char *dir)
{
    struct statvfs v;
    assert_int_equal(statvfs(dir, &v), 0);
    return (uint64_t)v.f_bfree * v.f_frsize;
}

static void test_remove_frees_space(void **state)
{
    (void)state;
    int rc = rel_mount_tmpfs(g_mnt, 100, 0);
    if (rc) {
        fprintf(stderr, "cannot mount a tmpfs at %s (%s): skipped\n", g_mnt, strerror(rc));
        skip();
    }
    char ds[4300];
    ds_path(ds, sizeof ds, g_mnt, "ds");
    uint64_t before = fs_free(g_mnt);
    /* the unmapper holds the old heap until a drain (which remove must do) */
    gate_set(true, true, false);
    struct heap h = make_big(ds);
    assert_true(mapped_any(h.base, h.mapped));
    bool removed = metall_remove(ds);
    uint64_t after = fs_free(g_mnt);
    /* a new heap as large fits only once the old files' pages are freed */
    metall_manager *m = metall_create(ds);
    char *p = m ? metall_malloc(m, BIG) : NULL;
    if (p)
        memset(p, 1, BIG);
    bool closed = m && metall_close(m);
    gate_set(false, false, false);
    mc_unmap_drain();
    if (m)
        metall_remove(ds);
    rel_umount(g_mnt);
    assert_true(removed);
    assert_false(mapped_any(h.base, h.mapped));
    assert_int_equal(after, before);
    assert_non_null(p);
    assert_true(closed);
}

/* ---- 3. fork ---------------------------------------------------------------------- */

static void test_fork_during_unmap(void **state)
{
    (void)state;
    char a[4300], b[4300];
    ds_path(a, sizeof a, g_root, "fork-a");
    ds_path(b, sizeof b, g_root, "fork-b");
    gate_set(true, false, true);
    struct heap ha = make_big(a);
    assert_true(mapped_any(ha.base, ha.mapped)); /* deferred (else the wait never ends) */
    wait_in_slice(); /* the unmapper is inside a's first slice, before its munmap */
    struct heap hb = make_big(b); /* queued behind it */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        rel_child_init(g_parent);
        /* a (its first slice's pages dropped) and b are the child's to unmap */
        int code = !mapped_any(ha.base, ha.mapped)             ? 1
                   : !mapped_any(hb.base, hb.mapped)            ? 2
                   : !mc_unmap_drain()                          ? 3
                   : mapped_any(ha.base, ha.mapped)             ? 4
                   : mapped_any(hb.base, hb.mapped)             ? 5
                                                                : 0;
        metall_manager *m = code ? NULL : metall_open(b); /* the data is there */
        if (!code && !(m && metall_find(m, "rec") && metall_close(m)))
            code = 6;
        if (code)
            fprintf(stderr, "child: check %d failed (%s)\n", code, metall_errmsg());
        _exit(code);
    }
    mc_unmap_drain();
    assert_false(mapped_any(ha.base, ha.mapped));
    assert_false(mapped_any(hb.base, hb.mapped));
    int st = 0;
    if (rel_wait_child(pid, &st, "fork during unmap"))
        fail_msg("the child hung (every thread asleep for good; see above)");
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    gate_set(false, false, false);
    assert_true(metall_remove(a));
    assert_true(metall_remove(b));
}

/* ---- 4. other threads go on ----------------------------------------------------- */

struct churn {
    metall_manager *m;
    bool stop; /* atomic */
    unsigned long ok, failed;
};

static void *churn_main(void *arg)
{
    struct churn *c = arg;
    uint64_t s = 7;
    while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE) || c->ok < 1000) {
        size_t n = 64 + (size_t)(rel_splitmix(&s) % (256u << 10));
        char *p = metall_malloc(c->m, n);
        if (!p) {
            c->failed++;
            continue;
        }
        memset(p, 0x5a, n); /* faults on fresh pages */
        metall_free(c->m, p);
        c->ok++;
    }
    return NULL;
}

static void test_threads_during_unmap(void **state)
{
    (void)state;
    char small[4300], big[4300];
    ds_path(small, sizeof small, g_root, "churn");
    ds_path(big, sizeof big, g_root, "big");
    gate_set(false, false, false);
    struct churn c = {metall_create(small), false, 0, 0};
    assert_non_null(c.m);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, churn_main, &c), 0);
    struct heap h[3];
    for (int i = 0; i < 3; i++) { /* closes while the other heap is in use */
        h[i] = make_big(big);
        metall_manager *m = metall_open(big);
        assert_non_null(m);
        check_big(m);
        assert_true(metall_close(m));
        assert_true(metall_remove(big));
    }
    __atomic_store_n(&c.stop, true, __ATOMIC_RELEASE);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(c.failed, 0);
    assert_true(c.ok >= 1000);
    assert_true(metall_close(c.m));
    mc_unmap_drain();
    for (int i = 0; i < 3; i++)
        assert_false(mapped_any(h[i].base, h[i].mapped));
    assert_true(metall_remove(small));
}

static int setup(void **state)
{
    (void)state;
    g_parent = getpid();
    if (rel_mkdtemp(g_root, sizeof g_root, "unmap"))
        return -1;
    snprintf(g_mnt, sizeof g_mnt, "%s/mnt", g_root);
    mc_test_hook = gate_hook;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mc_test_hook = NULL;
    rel_umount(g_mnt); /* left mounted by a failed check of test 2 */
    rel_rm_tree(g_root);
    return 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest all[] = {
        cmocka_unit_test(test_close_defers_reopen_does_not_wait),
        cmocka_unit_test(test_remove_frees_space),
        cmocka_unit_test(test_fork_during_unmap),
        cmocka_unit_test(test_threads_during_unmap),
    };
    const struct CMUnitTest threads[] = {
        cmocka_unit_test(test_threads_during_unmap),
    };
    /* "threads": only the concurrency case (the ThreadSanitizer run) */
    if (argc > 1 && strcmp(argv[1], "threads") == 0)
        return cmocka_run_group_tests(threads, setup, teardown);
    return cmocka_run_group_tests(all, setup, teardown);
}
