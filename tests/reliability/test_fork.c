/*
 * test_fork.c - fork() and managers:
 *  - a child forked while another thread of the parent holds the library's
 *    registry lock (inside open/create/close) creates, uses and closes a
 *    datastore of its own without deadlocking; the same under a stress of
 *    threads opening and closing while the parent forks;
 *  - a child that uses its parent's manager gets EPERM with a message from
 *    every call (allocation, named objects, flush, snapshot, stats), never
 *    one of the parent's slots; its free() is ignored; its close returns
 *    (false, EPERM) without hanging and without touching the datastore;
 *  - a long-lived child does not keep its parent's datastore locked: the
 *    parent closes, and the datastore opens again while the child lives.
 * A hang is told from slowness by the state of the child's threads, never
 * by a clock (rel_child.h): a child whose threads all sleep in untimed
 * waits without waking up is stuck; a slow one is waited for.
 */
#include "rel_common.h"
#include "rel_child.h"

#include "hook.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static char g_root[4096];

static void path_in(char *out, size_t size, const char *name)
{
    rel_path(out, size, g_root, name);
}

#define CHILD_CHECK(cond)                                                                   \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "child check failed at line %d: %s (errno %d, %s)\n", __LINE__, \
                    #cond, errno, metall_errmsg());                                         \
            _exit(100);                                                                     \
        }                                                                                   \
    } while (0)

static pid_t g_parent;

/* Wait for a child: fail if it got stuck (where it waits is printed) or
 * if it failed. */
static void wait_child(pid_t pid, const char *what)
{
    int st = 0;
    if (rel_wait_child(pid, &st, what))
        fail_msg("%s: the child hung (every thread asleep for good; see above)", what);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("%s: the child failed (%s %d)", what, WIFEXITED(st) ? "exit" : "signal",
                 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/* fork() whose child dies with the test */
static pid_t fork_child(void)
{
    pid_t pid = fork();
    if (pid == 0)
        rel_child_init(g_parent);
    return pid;
}

/* In a child: a datastore of its own works. */
static void child_own_datastore(const char *ds)
{
    mc_test_hook = NULL; /* the parent's test hook is not for the child */
    metall_manager *c = metall_create(ds);
    CHILD_CHECK(c != NULL);
    int *x = metall_named_malloc(c, "x", sizeof *x);
    CHILD_CHECK(x != NULL);
    *x = 5;
    CHILD_CHECK(metall_close(c));
    CHILD_CHECK(metall_remove(ds));
    _exit(0);
}

/* ---- forked while another thread holds the registry lock ---------------- */

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static int g_phase; /* 1: the other thread holds the registry lock; 2: fork begun */
static bool g_hold;

/* The other thread, inside the registry lock, waits until the parent has
 * begun to fork, and then a little longer, so that a fork that does not
 * wait for the lock (the bug) happens while it is held. */
static int hold_hook(const char *point, const char *path)
{
    (void)path;
    if (strcmp(point, "registry:locked") != 0 || !g_hold)
        return 0;
    pthread_mutex_lock(&g_mu);
    g_phase = 1;
    pthread_cond_broadcast(&g_cv);
    while (g_phase < 2)
        pthread_cond_wait(&g_cv, &g_mu);
    pthread_mutex_unlock(&g_mu);
    struct timespec ts = {0, 100 * 1000000L};
    nanosleep(&ts, NULL);
    return 0;
}

/* Runs before the library's prepare handler (registered later): tells the
 * holding thread that fork() has begun. */
static void test_prepare(void)
{
    pthread_mutex_lock(&g_mu);
    if (g_phase == 1) {
        g_phase = 2;
        pthread_cond_broadcast(&g_cv);
    }
    pthread_mutex_unlock(&g_mu);
}

static void *open_in_thread(void *arg)
{
    metall_manager *m = metall_open(arg);
    if (m)
        metall_close(m);
    return m ? arg : NULL;
}

static void test_fork_while_registry_locked(void **state)
{
    (void)state;
    char ds[4200], own[4200];
    path_in(ds, sizeof ds, "held");
    path_in(own, sizeof own, "own");
    metall_manager *m = metall_create(ds); /* the library installs its handlers */
    assert_non_null(m);
    assert_true(metall_close(m));
    assert_int_equal(pthread_atfork(test_prepare, NULL, NULL), 0);
    __atomic_store_n(&mc_test_hook, hold_hook, __ATOMIC_RELEASE);
    for (int round = 0; round < 3; round++) {
        g_phase = 0;
        g_hold = true;
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, open_in_thread, ds), 0);
        pthread_mutex_lock(&g_mu);
        while (g_phase < 1)
            pthread_cond_wait(&g_cv, &g_mu);
        pthread_mutex_unlock(&g_mu);
        pid_t pid = fork_child();
        assert_true(pid >= 0);
        if (pid == 0)
            child_own_datastore(own);
        g_hold = false;
        wait_child(pid, "fork while another thread opens a datastore");
        void *ok;
        pthread_join(t, &ok);
        assert_non_null(ok);
    }
    __atomic_store_n(&mc_test_hook, NULL, __ATOMIC_RELEASE);
    assert_true(metall_remove(ds));
}

/* The same without the hook: threads open and close datastores and exit
 * while the parent forks; every child works. */
static _Atomic bool g_stop;

static void *churn(void *arg)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/churn-%lu", g_root, (unsigned long)(uintptr_t)arg);
    while (!g_stop) {
        metall_manager *m = metall_create(p);
        if (m) {
            metall_free(m, metall_malloc(m, 100));
            metall_close(m);
        }
        metall_remove(p);
    }
    return NULL;
}

/* AddressSanitizer's runtime (GCC 12's libasan) does not hold its own
 * allocator's locks across fork(): a child forked while another thread is
 * inside malloc() can block forever in its first malloc (seen here: on
 * SizeClassAllocator64's region mutex). That is the runtime's, not the
 * library's; the normal and ThreadSanitizer builds run this test. */
#if defined(__SANITIZE_ADDRESS__)
#define REL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REL_ASAN 1
#endif
#endif

static void test_fork_under_churn(void **state)
{
    (void)state;
#ifdef REL_ASAN
    print_message("skipped under AddressSanitizer: its allocator is not fork-safe\n");
    skip();
#endif
    g_stop = false;
    pthread_t t[2];
    for (uintptr_t i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, churn, (void *)i), 0);
    pid_t pids[40];
    for (int i = 0; i < 40; i++) {
        char own[4200];
        snprintf(own, sizeof own, "%s/own-%d", g_root, i);
        pids[i] = fork_child();
        if (pids[i] == 0)
            child_own_datastore(own);
    }
    g_stop = true; /* stop the threads before any verdict can return */
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 40; i++) {
        assert_true(pids[i] > 0);
        wait_child(pids[i], "fork under churn");
    }
}

/* ---- the parent's manager in the child ---------------------------------- */

static void test_child_uses_parent_manager(void **state)
{
    (void)state;
    char ds[4200], snap[4200];
    path_in(ds, sizeof ds, "parent");
    path_in(snap, sizeof snap, "parent-snap");
    metall_manager *m = metall_create(ds);
    assert_non_null(m);
    enum { N = 64 };
    uint64_t *obj[N];
    for (int i = 0; i < N; i++) {
        obj[i] = metall_malloc(m, 64);
        assert_non_null(obj[i]);
        memset(obj[i], 0x11, 64);
    }
    for (int i = 0; i < N / 2; i++) /* some free slots in this thread's cache */
        metall_free(m, obj[i]);
    char *big = metall_malloc(m, 3 << 20);
    assert_non_null(big);
    memset(big, 0x22, 3 << 20);
    pid_t pid = fork_child();
    assert_true(pid >= 0);
    if (pid == 0) {
        errno = 0;
        void *p = metall_malloc(m, 64);
        if (p) /* what the review saw: one of the parent's slots */
            memset(p, 0xEE, 64);
        CHILD_CHECK(p == NULL && errno == EPERM);
        CHILD_CHECK(strstr(metall_errmsg(), "forked child") != NULL);
        CHILD_CHECK(strstr(metall_errmsg(), ds) != NULL);
        CHILD_CHECK(metall_malloc(m, 5 << 20) == NULL && errno == EPERM);
        CHILD_CHECK(metall_calloc(m, 1, 64) == NULL && errno == EPERM);
        CHILD_CHECK(metall_realloc(m, obj[N - 1], 128) == NULL && errno == EPERM);
        CHILD_CHECK(metall_named_malloc(m, "n", 8) == NULL && errno == EPERM);
        CHILD_CHECK(metall_find(m, "n") == NULL && errno == EPERM);
        CHILD_CHECK(!metall_flush(m) && errno == EPERM);
        CHILD_CHECK(!metall_snapshot(m, snap) && errno == EPERM);
        metall_stats st;
        CHILD_CHECK(!metall_get_stats(m, &st) && errno == EPERM);
        metall_free(m, obj[N - 1]); /* ignored */
        metall_free(m, big);        /* ignored */
        errno = 0;
        CHILD_CHECK(!metall_close(m) && errno == EPERM);
        _exit(0);
    }
    wait_child(pid, "a child using its parent's manager");
    /* nothing of the parent's changed, and it goes on */
    for (int i = N / 2; i < N; i++)
        for (int k = 0; k < 8; k++)
            assert_true(obj[i][k] == 0x1111111111111111ull);
    for (size_t k = 0; k < (3u << 20); k += 4096)
        assert_int_equal((unsigned char)big[k], 0x22);
    assert_false(metall_consistent(ds)); /* still open here: no closed mark */
    uint64_t *again[N];
    for (int i = 0; i < N; i++) { /* the slots the child did not take */
        again[i] = metall_malloc(m, 64);
        assert_non_null(again[i]);
        for (int k = N / 2; k < N; k++)
            assert_ptr_not_equal(again[i], obj[k]);
    }
    assert_true(metall_close(m));
    assert_true(metall_consistent(ds));
    assert_false(access(snap, F_OK) == 0);
    assert_true(metall_remove(ds));
}

/* A child that lives on does not hold the parent's lock. */
static void test_long_lived_child_keeps_no_lock(void **state)
{
    (void)state;
    char ds[4200];
    path_in(ds, sizeof ds, "lock");
    metall_manager *m = metall_create(ds);
    assert_non_null(m);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork_child();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[1]);
        char c;
        CHILD_CHECK(read(p[0], &c, 1) == 0); /* until the parent is done */
        _exit(0);
    }
    close(p[0]);
    assert_true(metall_close(m));
    /* the child is alive: the datastore opens for writing, and is removable */
    m = metall_open(ds);
    if (!m)
        fail_msg("reopen while a forked child lives: %s", metall_errmsg());
    assert_true(metall_close(m));
    assert_true(metall_remove(ds));
    close(p[1]);
    wait_child(pid, "a long-lived child");
}

static int setup(void **state)
{
    (void)state;
    g_parent = getpid();
    return rel_mkdtemp(g_root, sizeof g_root, "fork");
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
        cmocka_unit_test(test_child_uses_parent_manager),
        cmocka_unit_test(test_long_lived_child_keeps_no_lock),
        cmocka_unit_test(test_fork_under_churn),
        cmocka_unit_test(test_fork_while_registry_locked),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
