/*
 * test_remove.c - removing a datastore is safe to interrupt and to race:
 *  - SIGKILL at every step of metall_remove() and of a create with
 *    overwrite (the library's test hook points "remove:*": the mark, each
 *    file and directory deleted, the rename) leaves either the datastore
 *    path, which then refuses to open ("partly removed") and which
 *    metall_remove(), a create with overwrite and metall-check --remove
 *    all finish, or no path and one temporary directory beside it, which
 *    the same calls delete. Nothing else is ever left behind.
 *  - metall_remove() racing metall_open(), metall_open_read_only() and
 *    metall_consistent() on the same path (called at every step of the
 *    removal, from the hook; and an open that read the identity file
 *    before the removal began and takes the lock once the lock file is gone
 *    from the path): none of them gets in, and the removal completes.
 *
 * Usage: rel_remove [METALL_CHECK]  (the tool, if built)
 */
#include "rel_common.h"
#include "rel_child.h"

#include "hook.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static char g_root[4096];
static const char *g_check;
static pid_t g_parent;

/* A closed datastore at path with some data in a few block files. */
static void make_datastore(const char *path)
{
    metall_options o = {.capacity = (size_t)2 << 30};
    metall_manager *m = metall_create_ex(path, &o);
    assert_non_null(m);
    for (int i = 0; i < 4; i++) {
        void *p = metall_malloc(m, (size_t)3 << 20);
        assert_non_null(p);
        memset(p, i + 1, 4096);
    }
    assert_non_null(metall_named_malloc(m, "n", 64));
    assert_true(metall_set_description(m, "to be removed"));
    assert_true(metall_close(m));
}

/* ---- SIGKILL at every step ------------------------------------------------ */

static int g_kill_at, g_seen;

static int kill_hook(const char *point, const char *path)
{
    (void)path;
    if (strncmp(point, "remove:", 7) == 0 && ++g_seen == g_kill_at)
        raise(SIGKILL);
    return 0;
}

/* In a child: remove dir/ds (op 0) or create it with overwrite (op 1),
 * killed at the kill_at-th step. Exit 0 if it ran to the end. */
static void child_op(const char *ds, int op, int kill_at)
{
    rel_child_init(g_parent);
    g_kill_at = kill_at;
    g_seen = 0;
    mc_test_hook = kill_hook;
    bool ok;
    if (op == 0) {
        ok = metall_remove(ds);
    } else {
        metall_options o = {.overwrite = true};
        metall_manager *m = metall_create_ex(ds, &o);
        ok = m && metall_close(m);
    }
    _exit(ok ? 0 : 1);
}

/* The temporaries beside ds (ds.metall-tmp-*): how many, and the last. */
static int leftovers(const char *dir, char *one, size_t size)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strstr(de->d_name, ".metall-tmp-")) {
            snprintf(one, size, "%s/%s", dir, de->d_name);
            n++;
        }
    closedir(d);
    return n;
}

/* metall-check --remove PATH; true if it exited 0. */
static bool check_remove(const char *path)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        execl(g_check, g_check, "--remove", path, (char *)NULL);
        _exit(3);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Finish what a killed removal left at path, in way `how`. */
static void finish(const char *path, int how, bool is_ds)
{
    if (how == 2 && g_check) {
        assert_true(check_remove(path));
    } else if (how == 1 && is_ds) {
        metall_options o = {.overwrite = true};
        metall_manager *m = metall_create_ex(path, &o);
        if (!m)
            fail_msg("create with overwrite of %s: %s", path, metall_errmsg());
        assert_true(metall_close(m));
        assert_true(metall_remove(path));
    } else if (!metall_remove(path)) {
        fail_msg("metall_remove(%s): %s", path, metall_errmsg());
    }
}

/* What a removal killed at a step left in dir: recognised and finished. */
static void check_leftover(const char *dir, const char *ds, int op, int step)
{
    char tmp[4400];
    int ntmp = leftovers(dir, tmp, sizeof tmp);
    struct stat st;
    bool at_path = lstat(ds, &st) == 0;
    assert_true(ntmp + at_path == 1); /* one thing left, never two */
    if (at_path) {
        errno = 0;
        assert_null(metall_open(ds));
        assert_int_equal(errno, ENOTRECOVERABLE);
        if (!strstr(metall_errmsg(), "partly removed"))
            fail_msg("step %d: open says: %s", step, metall_errmsg());
        assert_false(metall_consistent(ds));
        finish(ds, step % 3, true);
    } else {
        assert_null(metall_open(tmp)); /* a temporary is never opened */
        finish(tmp, step % 3, false);
        if (op == 1) { /* the path is free again */
            metall_manager *m = metall_create(ds);
            assert_non_null(m);
            assert_true(metall_close(m));
            assert_true(metall_remove(ds));
        }
    }
    assert_int_equal(leftovers(dir, tmp, sizeof tmp), 0);
    assert_false(lstat(ds, &st) == 0);
}

static void kill_every_step(int op)
{
    char dir[4200], ds[4300];
    snprintf(dir, sizeof dir, "%s/kill-%d", g_root, op);
    snprintf(ds, sizeof ds, "%s/ds", dir);
    int steps = 0;
    for (int k = 1; k < 1000; k++) {
        rel_rm_tree(dir);
        assert_int_equal(mkdir(dir, 0755), 0);
        make_datastore(ds);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            child_op(ds, op, k);
        int st;
        if (rel_wait_child(pid, &st, op ? "create with overwrite" : "remove"))
            fail_msg("step %d: the child hung", k);
        if (WIFEXITED(st)) { /* ran to the end: k is past the last step */
            assert_int_equal(WEXITSTATUS(st), 0);
            steps = k - 1;
            break;
        }
        assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        check_leftover(dir, ds, op, k);
    }
    print_message("%s: killed at each of %d steps, every leftover finished\n",
                  op ? "create with overwrite" : "metall_remove", steps);
    assert_true(steps >= 8); /* the mark, files, blocks, rename, identity */
    rel_rm_tree(dir);
}

static void test_kill_remove(void **state)
{
    (void)state;
    kill_every_step(0);
}

static void test_kill_create_overwrite(void **state)
{
    (void)state;
    kill_every_step(1);
}

/* ---- racing opens ---------------------------------------------------------- */

static const char *g_race_ds;
static int g_race_steps, g_race_in;
static __thread bool t_nested;

/* At every step of the removal: try to get in. */
static int race_hook(const char *point, const char *path)
{
    (void)path;
    if (strncmp(point, "remove:", 7) != 0 || t_nested)
        return 0;
    t_nested = true;
    g_race_steps++;
    metall_manager *m = metall_open(g_race_ds);
    if (m) {
        g_race_in++;
        metall_close(m);
    }
    m = metall_open_read_only(g_race_ds);
    if (m) {
        g_race_in++;
        metall_close(m);
    }
    if (metall_consistent(g_race_ds))
        g_race_in++;
    t_nested = false;
    return 0;
}

static void test_remove_races_open(void **state)
{
    (void)state;
    char ds[4300], tmp[4400];
    snprintf(ds, sizeof ds, "%s/race", g_root);
    make_datastore(ds);
    g_race_ds = ds;
    g_race_steps = g_race_in = 0;
    __atomic_store_n(&mc_test_hook, race_hook, __ATOMIC_RELEASE);
    bool ok = metall_remove(ds);
    __atomic_store_n(&mc_test_hook, NULL, __ATOMIC_RELEASE);
    if (!ok)
        fail_msg("remove with opens at each step: %s", metall_errmsg());
    assert_true(g_race_steps >= 8);
    assert_int_equal(g_race_in, 0);
    struct stat st;
    assert_false(lstat(ds, &st) == 0);
    assert_int_equal(leftovers(g_root, tmp, sizeof tmp), 0);
}

/* An open that has read the identity file when the removal starts, and
 * goes on (to the lock) once the lock file is no longer at the path: the
 * interleaving in which an open used to create a new lock file inside the
 * half-removed directory, get in, and make the removal fail. */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static int g_phase; /* 1 the opener has read the identity, 2 go on, 3 it returned */
static __thread bool t_opener;

static void phase_set(int p)
{
    pthread_mutex_lock(&g_mu);
    g_phase = p;
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
}

static void phase_wait(int p)
{
    pthread_mutex_lock(&g_mu);
    while (g_phase < p)
        pthread_cond_wait(&g_cv, &g_mu);
    pthread_mutex_unlock(&g_mu);
}

static int interleave_hook(const char *point, const char *path)
{
    (void)path;
    char lock[4400];
    struct stat st;
    snprintf(lock, sizeof lock, "%s/lock", g_race_ds);
    if (t_opener && strcmp(point, "open:identity") == 0) {
        phase_set(1);
        phase_wait(2);
    } else if (!t_opener && strncmp(point, "remove:", 7) == 0 && g_phase == 1 &&
               lstat(lock, &st) != 0) {
        phase_set(2);
        phase_wait(3);
    }
    return 0;
}

static void *opener(void *arg)
{
    t_opener = true;
    metall_manager *m = metall_open(g_race_ds);
    *(bool *)arg = m != NULL;
    phase_set(3);
    if (m)
        metall_close(m);
    return NULL;
}

static void test_remove_races_opener_at_lock(void **state)
{
    (void)state;
    char ds[4300], tmp[4400];
    snprintf(ds, sizeof ds, "%s/race2", g_root);
    make_datastore(ds);
    g_race_ds = ds;
    g_phase = 0;
    bool opened = false;
    __atomic_store_n(&mc_test_hook, interleave_hook, __ATOMIC_RELEASE);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, opener, &opened), 0);
    phase_wait(1);
    bool ok = metall_remove(ds);
    const char *msg = ok ? "" : strdup(metall_errmsg());
    if (g_phase < 2) /* the lock file stayed to the end */
        phase_set(2);
    pthread_join(t, NULL);
    __atomic_store_n(&mc_test_hook, NULL, __ATOMIC_RELEASE);
    if (!ok)
        fail_msg("remove racing an open: %s", msg);
    assert_false(opened);
    struct stat st;
    assert_false(lstat(ds, &st) == 0);
    assert_int_equal(leftovers(g_root, tmp, sizeof tmp), 0);
}

static int setup(void **state)
{
    (void)state;
    g_parent = getpid();
    return rel_mkdtemp(g_root, sizeof g_root, "remove");
}

static int teardown(void **state)
{
    (void)state;
    rel_rm_tree(g_root);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        g_check = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_remove),
        cmocka_unit_test(test_kill_create_overwrite),
        cmocka_unit_test(test_remove_races_open),
        cmocka_unit_test(test_remove_races_opener_at_lock),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
