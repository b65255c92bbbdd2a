/*
 * test_ckpt_crash.c - SIGKILL in the middle of checkpoints, merges and
 * restores, at every named step (METALLC_CKPT_KILL=step:n, a test hook of
 * the library that raises SIGKILL the n-th time the step is reached).
 *
 * The child changes its heap, takes a snapshot of the state it is about
 * to checkpoint (and tells the parent), checkpoints with keep=2 (merges
 * run after every checkpoint), and restores the newest into a scratch
 * directory, in a loop. After the kill the parent checks that:
 *  - the newest complete checkpoint is the last one started or the one
 *    before it, and restores byte for byte (vs. its snapshot);
 *  - every checkpoint the chain calls restorable restores byte for byte;
 *  - a restore that was killed left no datastore at its destination;
 *  - the chain takes the next checkpoint (the dead writer's lock is gone).
 *
 * With METALLC_CKPT_DETECT=reflink (run on a loop-mounted XFS) the steps
 * of the reflink generation are killed too: its reset and first clone
 * (reached once per manager), the flush and the clone of the changed
 * ranges of every later checkpoint. Then also: the generation left in the
 * dead datastore is no datastore, and removing the datastore removes it.
 *
 * Usage: ckpt_crash [MAX_N]   each step killed at its 1st..MAX_N-th time
 */
#include "ckpt_util.h"

#include <signal.h>

static const struct {
    const char *name;
    int max_n;      /* times the child reaches it at least (0: MAX_N) */
    bool reflink;   /* a step of the reflink generation */
} steps[] = {
    {"ckpt-data", 0, false},     {"ckpt-manifest", 0, false}, {"ckpt-done", 0, false},
    {"merge-started", 0, false}, {"merge-applied", 0, false}, {"merge-done", 0, false},
    {"restore-base", 0, false},  {"restore-written", 0, false},
    {"gen-reset", 1, true},      {"gen-tracked", 1, true},    {"gen-flushed", 0, true},
    {"gen-reshared", 0, true},
};

static void child(const char *dir, const char *kill, int fd)
{
    setenv("METALLC_CKPT_KILL", kill, 1);
    metall_options o = {.capacity = (size_t)64 << 20};
    metall_manager *m = metall_create_ex(tu_path(dir, "ds"), &o);
    CHILD_CHECK(m);
    size_t size = 6 * MiB;
    unsigned char *d = metall_named_malloc(m, "data", size);
    CHILD_CHECK(d);
    tu_fill(d, size, 5);
    uint64_t seed = 99;
    metall_checkpoint_options co = {.keep = 2, .async = false};
    char chain[PATH_MAX], sn[PATH_MAX], rs[PATH_MAX];
    snprintf(chain, sizeof chain, "%s/chain", dir);
    for (int32_t id = 1; id <= 8; id++) {
        cu_scribble(d, size, 40, &seed);
        if (id % 3 == 0) { /* a chunk freed between checkpoints */
            void *p = metall_malloc(m, 3 * MiB);
            CHILD_CHECK(p);
            memset(p, id, 3 * MiB);
            if (id % 2)
                metall_free(m, p);
        }
        snprintf(sn, sizeof sn, "%s/snap-%d", dir, id);
        CHILD_CHECK(metall_snapshot(m, sn));
        CHILD_CHECK(write(fd, &id, sizeof id) == sizeof id);
        co.async = id % 2 == 0;
        CHILD_CHECK(metall_checkpoint(m, chain, &co));
        CHILD_CHECK(metall_checkpoint_wait(m));
        snprintf(rs, sizeof rs, "%s/restore-%d", dir, id);
        CHILD_CHECK(metall_restore(chain, -1, rs));
    }
    CHILD_CHECK(metall_close(m));
    _exit(0);
}

static void check_after(const char *dir, int32_t started)
{
    char chain[PATH_MAX];
    snprintf(chain, sizeof chain, "%s/chain", dir);
    int64_t latest = metall_checkpoint_latest(chain);
    if (started <= 1 && latest < 0)
        return; /* killed in the first checkpoint: nothing was promised */
    if (latest != started && latest != started - 1)
        fail_msg("latest %lld after starting %d: %s", (long long)latest, started, metall_errmsg());
    if (latest < 1)
        return;
    for (int64_t id = latest; id >= 1; id--) {
        char r[64], s[64];
        snprintf(r, sizeof r, "check-%lld", (long long)id);
        snprintf(s, sizeof s, "snap-%lld", (long long)id);
        if (!metall_restore(chain, id, tu_path(dir, r))) {
            if (id < latest && errno == ENOENT)
                break; /* merged away: only older ones are */
            fail_msg("restore %lld of %lld: %s", (long long)id, (long long)latest, metall_errmsg());
        }
        assert_true(cu_same(tu_path(dir, s), tu_path(dir, r)));
    }
    /* a killed restore leaves nothing that looks like a datastore */
    for (int32_t id = 1; id <= started; id++) {
        char r[64];
        snprintf(r, sizeof r, "restore-%d", id);
        if (tu_exists(tu_path(dir, r)))
            assert_true(metall_consistent(tu_path(dir, r)));
    }
    /* a generation left in the dead datastore is no datastore, and goes
     * with it */
    if (tu_exists(tu_path(dir, "ds/" MC_GEN_DIR))) {
        assert_null(metall_open(tu_path(dir, "ds/" MC_GEN_DIR)));
        assert_true(metall_remove(tu_path(dir, "ds")));
        assert_false(tu_exists(tu_path(dir, "ds")));
    }
    /* the chain goes on: the dead writer's lock is gone */
    assert_true(metall_restore(chain, latest, tu_path(dir, "again")));
    metall_manager *m = metall_open(tu_path(dir, "again"));
    assert_non_null(m);
    assert_true(metall_checkpoint(m, chain, NULL));
    assert_int_equal(metall_checkpoint_latest(chain), latest + 1);
    assert_true(metall_close(m));
}

static int g_max_n = 2;

static void test_kill_points(void **state)
{
    const char *top = *state;
    int kills = 0;
    for (size_t s = 0; s < sizeof steps / sizeof *steps; s++) {
        if (steps[s].reflink && !cu_reflink())
            continue;
        int max_n = steps[s].max_n && steps[s].max_n < g_max_n ? steps[s].max_n : g_max_n;
        for (int n = 1; n <= max_n; n++) {
            char dir[PATH_MAX], kill[64];
            snprintf(dir, sizeof dir, "%s/%s-%d", top, steps[s].name, n);
            assert_int_equal(mkdir(dir, 0755), 0);
            snprintf(kill, sizeof kill, "%s:%d", steps[s].name, n);
            int p[2];
            assert_int_equal(pipe(p), 0);
            pid_t pid = fork();
            assert_true(pid >= 0);
            if (pid == 0) {
                close(p[0]);
                child(dir, kill, p[1]);
            }
            close(p[1]);
            int32_t started = 0, v;
            while (read(p[0], &v, sizeof v) == sizeof v)
                started = v;
            close(p[0]);
            int st = tu_wait(pid);
            if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
                fail_msg("%s: the child was not killed (status %d)", kill, st);
            check_after(dir, started);
            kills++;
            tu_rmtree(dir);
        }
    }
    print_message("%d kills, each newest checkpoint restored byte for byte\n", kills);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        g_max_n = atoi(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kill_points, tu_setup, tu_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
