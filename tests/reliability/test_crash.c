/*
 * test_crash.c - SIGKILL a working process at many points; nothing that was
 * promised may be lost.
 *
 * A child allocates, frees, rewrites, flushes and snapshots in a loop (fixed
 * seeds) and reports each snapshot it starts and completes (number and
 * content checksum) through a pipe. Rounds alternate between two kinds of
 * kill, and no verdict depends on how fast the machine is:
 *  - at a step: the child kills itself at the N-th passage of a named step
 *    of snapshot or flush (the library's test hook, hook.h), so every step
 *    is hit and the state it must leave is known exactly (a temporary
 *    directory, or a complete snapshot not yet reported);
 *  - at a random time: the parent waits for the child's first completed
 *    snapshot, then kills it after a pseudo-random delay (fixed seeds), so
 *    the kill may land anywhere, in the middle of a copy too.
 * Then the parent checks:
 *  - the datastore is not consistent and refuses to open (ENOTRECOVERABLE),
 *    for writing and read-only;
 *  - the last completed snapshot opens and verifies exactly: the checksum
 *    the child recorded at snapshot time, and every object's bytes;
 *  - every other directory at a snapshot's final name verifies too (a
 *    rename is the last step, so a visible snapshot is a complete one);
 *  - an interrupted snapshot's temporary directory (*.metall-tmp-*), if
 *    one was left, never opens;
 *  - nothing stale blocks the next remove/copy/create/open/snapshot.
 *
 * Usage: rel_crash [KILLS [MAX_DELAY_MS]]  (default 20 kills, 400 ms)
 */
#include "rel_common.h"

#include "hook.h"
#include "layout.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define MAXOBJ 1024
#define LIVE_MAX ((size_t)40 << 20) /* bytes the child keeps live at most */

struct entry {
    uint64_t off;  /* 0: unused slot */
    uint64_t size;
    uint64_t seed; /* contents are rel_fill(seed) */
};

struct table {
    uint64_t nsnap; /* snapshots completed before this state */
    struct entry e[MAXOBJ];
};

/* What the child tells the parent. */
enum { REP_CREATED = 1, REP_SNAP_DONE, REP_FAILED, REP_KILLING, REP_SNAP_START };
struct report {
    uint32_t type; /* REP_* */
    uint32_t snap; /* snapshot number (REP_KILLING: the step's index) */
    uint64_t sum;  /* content checksum of the snapshot */
    uint64_t nobj;
};

/* The steps a round may kill at (library test hook points). */
static const char *const kill_steps[] = {
    "snapshot:tmp", "snapshot:cut",    "snapshot:blocks", "snapshot:mgmt",
    "snapshot:closed", "publish:renamed", "persist:synced", "persist:chunks",
};
enum { NSTEPS = sizeof kill_steps / sizeof kill_steps[0] };

static int g_kills = 20;
static int g_max_delay_ms = 400;
static char g_root[4096];

/* The child's kill step: index into kill_steps, or -1; and at which
 * passage of it. */
static int g_kill_step = -1;
static unsigned g_kill_nth, g_kill_seen;
static int g_report_fd = -1;

/* Checksum of the whole state as the table describes it. */
static uint64_t state_sum(metall_manager *m, const struct table *t, uint64_t *nobj)
{
    uint64_t h = 0x1234567;
    uint64_t n = 0;
    for (int i = 0; i < MAXOBJ; i++) {
        const struct entry *e = &t->e[i];
        if (!e->off)
            continue;
        n++;
        uint64_t s = rel_sum(metall_ptr_at(m, e->off), e->size);
        h = (h ^ s ^ ((uint64_t)i << 40) ^ e->size) * 0x100000001b3ull;
    }
    *nobj = n;
    return h;
}

static void child_report(int fd, uint32_t type, uint32_t snap, uint64_t sum, uint64_t nobj)
{
    struct report r = {type, snap, sum, nobj};
    /* one write of less than PIPE_BUF bytes: atomic */
    if (write(fd, &r, sizeof r) != (ssize_t)sizeof r)
        _exit(3);
}

static void child_fail(int fd, const char *what)
{
    fprintf(stderr, "crash child: %s failed: %s (errno %d)\n", what, metall_errmsg(), errno);
    child_report(fd, REP_FAILED, 0, 0, 0);
    _exit(2);
}

/* The hook in the child: die at the chosen passage of the chosen step. */
static int kill_hook(const char *point, const char *path)
{
    (void)path;
    if (g_kill_step >= 0 && strcmp(point, kill_steps[g_kill_step]) == 0 &&
        ++g_kill_seen == g_kill_nth) {
        child_report(g_report_fd, REP_KILLING, (uint32_t)g_kill_step, 0, 0);
        raise(SIGKILL);
    }
    return 0;
}

/* The workload; runs until killed. */
static void child_main(const char *ds, const char *snaps, uint64_t seed, int fd)
{
    metall_options o = {.capacity = (size_t)256 << 20};
    metall_manager *m = metall_create_ex(ds, &o);
    if (!m)
        child_fail(fd, "create");
    struct table *t = metall_named_malloc(m, "table", sizeof *t);
    if (!t)
        child_fail(fd, "named_malloc");
    memset(t, 0, sizeof *t);
    child_report(fd, REP_CREATED, 0, 0, 0);
    g_report_fd = fd;
    mc_test_hook = kill_hook;
    uint64_t s = seed;
    size_t live = 0;
    uint32_t nsnap = 0;
    for (uint64_t op = 1;; op++) {
        if (g_kill_step >= 0 && op > 200000)
            child_fail(fd, "reaching the kill step");
        uint64_t r = rel_splitmix(&s);
        int slot = (int)((r >> 8) % MAXOBJ);
        struct entry *e = &t->e[slot];
        unsigned what = (unsigned)(r % 100);
        if (op % 150 == 0 || what < 2) {
            char dst[4400];
            snprintf(dst, sizeof dst, "%s/s%04u", snaps, nsnap + 1);
            t->nsnap = nsnap + 1; /* the state the snapshot will hold */
            uint64_t nobj, sum = state_sum(m, t, &nobj);
            child_report(fd, REP_SNAP_START, nsnap + 1, sum, nobj);
            if (!metall_snapshot(m, dst))
                child_fail(fd, "snapshot");
            nsnap++;
            child_report(fd, REP_SNAP_DONE, nsnap, sum, nobj);
        } else if (what < 6) {
            if (!metall_flush(m))
                child_fail(fd, "flush");
        } else if (what < 40 && e->off) {
            live -= e->size;
            metall_free(m, metall_ptr_at(m, e->off));
            e->off = 0;
        } else if (what < 50 && e->off) {
            e->seed = rel_splitmix(&s);
            rel_fill(metall_ptr_at(m, e->off), e->size, e->seed);
        } else if (!e->off) {
            uint64_t k = rel_splitmix(&s);
            size_t size = k % 100 < 75   ? 1 + (size_t)(k >> 20) % 4096
                          : k % 100 < 97 ? 4096 + (size_t)(k >> 20) % (256 << 10)
                                         : ((size_t)2 << 20) + (size_t)(k >> 20) % (4 << 20);
            if (live + size > LIVE_MAX)
                continue;
            void *p = metall_malloc(m, size);
            if (!p)
                child_fail(fd, "malloc");
            e->seed = rel_splitmix(&s);
            rel_fill(p, size, e->seed);
            e->size = size;
            e->off = metall_offset_of(m, p); /* last: the entry is valid only now */
            live += size;
        }
    }
}

/* Open path read-only and check every object against its seed; if want_sum,
 * also the checksum the child recorded. Returns the number of problems. */
static int verify_snapshot(const char *path, uint32_t snap, bool check_sum, uint64_t want_sum,
                           uint64_t want_nobj)
{
    metall_manager *m = metall_open_read_only(path);
    if (!m) {
        fprintf(stderr, "snapshot %s does not open: %s\n", path, metall_errmsg());
        return 1;
    }
    int bad = 0;
    size_t len = 0;
    struct table *t = metall_named_find(m, "table", &len);
    if (!t || len != sizeof *t) {
        metall_close(m);
        fprintf(stderr, "snapshot %s: no table\n", path);
        return 1;
    }
    if (snap && t->nsnap != snap) {
        fprintf(stderr, "snapshot %s holds state %llu, expected %u\n", path,
                (unsigned long long)t->nsnap, snap);
        bad++;
    }
    for (int i = 0; i < MAXOBJ; i++) {
        const struct entry *e = &t->e[i];
        if (!e->off)
            continue;
        if (metall_usable_size(m, metall_ptr_at(m, e->off)) < e->size) {
            bad++;
            continue;
        }
        unsigned char *want = malloc(e->size);
        rel_fill(want, e->size, e->seed);
        if (memcmp(want, metall_ptr_at(m, e->off), e->size) != 0) {
            fprintf(stderr, "snapshot %s: object %d (%llu bytes) differs\n", path, i,
                    (unsigned long long)e->size);
            bad++;
        }
        free(want);
    }
    uint64_t nobj, sum = state_sum(m, t, &nobj);
    if (check_sum && (sum != want_sum || nobj != want_nobj)) {
        fprintf(stderr, "snapshot %s: checksum/count differ from those at snapshot time\n",
                path);
        bad++;
    }
    metall_close(m);
    return bad;
}

static long g_tmp_left, g_snaps_checked, g_step_kills[NSTEPS], g_random_kills;

/* Run the child until it dies: by its own hand at kill step `step` (its
 * nth passage), or (step < 0) by ours after its first snapshot and a
 * delay. Returns the last completed and the last started snapshot, and
 * the step it died at (-1: killed by the parent). */
static void run_child(const char *ds, const char *snaps, uint64_t seed, int step, unsigned nth,
                      long delay_ms, struct report *last, struct report *started, int *died_at)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        g_kill_step = step;
        g_kill_nth = nth;
        child_main(ds, snaps, seed, p[1]);
        _exit(0);
    }
    close(p[1]);
    *last = *started = (struct report){0, 0, 0, 0};
    *died_at = -1;
    struct report r;
    bool killed = false;
    /* reports until the child dies (EOF); the parent kills it only in a
     * random round, after the first completed snapshot and the delay */
    while (read(p[0], &r, sizeof r) == (ssize_t)sizeof r) {
        assert_int_not_equal(r.type, REP_FAILED);
        if (r.type == REP_SNAP_START)
            *started = r;
        if (r.type == REP_SNAP_DONE)
            *last = r;
        if (r.type == REP_KILLING)
            *died_at = (int)r.snap;
        if (step < 0 && !killed && r.type == REP_SNAP_DONE) {
            struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
            kill(pid, SIGKILL);
            killed = true;
        }
    }
    close(p[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    /* the child died by a kill, not by a failure of its own */
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    if (step >= 0)
        assert_int_equal(*died_at, step);
}

/* Check the visible snapshots and temporary directories; returns how many
 * temporary directories there were. */
static int check_snapshots(const char *snaps, const struct report *last,
                           const struct report *started)
{
    DIR *d = opendir(snaps);
    assert_non_null(d);
    struct dirent *de;
    int tmp_here = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char sp[4600];
        snprintf(sp, sizeof sp, "%s/%.255s", snaps, de->d_name);
        if (strstr(de->d_name, MC_TMP_INFIX)) {
            /* an interrupted snapshot: must never pass for a datastore */
            tmp_here++;
            errno = 0;
            assert_null(metall_open(sp));
            assert_null(metall_open_read_only(sp));
            continue;
        }
        unsigned num = 0;
        assert_int_equal(sscanf(de->d_name, "s%u", &num), 1);
        assert_true(num >= 1);
        /* a snapshot published after the last report (killed between the
         * rename and the report) is legal: at most one, the one started */
        assert_true(num <= last->snap + 1);
        const struct report *want = num == last->snap ? last : num == started->snap ? started : NULL;
        assert_int_equal(verify_snapshot(sp, num, want != NULL, want ? want->sum : 0,
                                         want ? want->nobj : 0),
                         0);
        assert_true(metall_consistent(sp));
        g_snaps_checked++;
    }
    closedir(d);
    return tmp_here;
}

static bool visible(const char *snaps, uint32_t num)
{
    char sp[4400];
    snprintf(sp, sizeof sp, "%s/s%04u", snaps, num);
    return num && access(sp, F_OK) == 0;
}

static void one_round(int round)
{
    char dir[4200], ds[4300], snaps[4300];
    snprintf(dir, sizeof dir, "%s/r%03d", g_root, round);
    snprintf(ds, sizeof ds, "%s/ds", dir);
    snprintf(snaps, sizeof snaps, "%s/snaps", dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(mkdir(snaps, 0755), 0);
    uint64_t seed = 0xC0FFEE + (uint64_t)round * 7919;
    /* even rounds kill at a step (cycling through all of them, at the
     * 1st, 2nd or 3rd passage), odd rounds at a random time */
    int step = round % 2 == 0 ? (round / 2) % NSTEPS : -1;
    unsigned nth = 1 + (unsigned)(round / (2 * NSTEPS)) % 3;
    uint64_t ds_seed = 0xDEAD + (uint64_t)round;
    long delay_ms = (long)(rel_splitmix(&ds_seed) % (uint64_t)g_max_delay_ms);
    struct report last, started;
    int died_at;
    run_child(ds, snaps, seed, step, nth, delay_ms, &last, &started, &died_at);

    /* the crashed datastore refuses to open */
    assert_false(metall_consistent(ds));
    errno = 0;
    assert_null(metall_open(ds));
    assert_int_equal(errno, ENOTRECOVERABLE);
    assert_non_null(strstr(metall_errmsg(), "not closed properly"));
    errno = 0;
    assert_null(metall_open_read_only(ds));
    assert_int_equal(errno, ENOTRECOVERABLE);

    /* every visible snapshot verifies; the last reported one exactly */
    int tmp_here = check_snapshots(snaps, &last, &started);
    assert_true(tmp_here <= 1);
    g_tmp_left += tmp_here;
    if (step < 0) {
        g_random_kills++;
        assert_true(last.snap >= 1); /* the parent waited for one */
    } else {
        g_step_kills[step]++;
        const char *name = kill_steps[step];
        bool in_snapshot = strncmp(name, "snapshot:", 9) == 0;
        /* the exact state each step leaves: inside a snapshot, its
         * temporary directory and no snapshot; after the rename, the
         * complete snapshot; in a flush, neither */
        assert_int_equal(tmp_here, in_snapshot ? 1 : 0);
        if (in_snapshot || strcmp(name, "publish:renamed") == 0)
            assert_int_equal(started.snap, last.snap + 1);
        assert_int_equal(visible(snaps, last.snap + 1), strcmp(name, "publish:renamed") == 0);
        if (last.snap)
            assert_true(visible(snaps, last.snap));
    }

    /* nothing stale blocks the next steps: restore the last snapshot over
     * the crashed datastore, open it for writing, snapshot again, close */
    assert_true(metall_remove(ds));
    if (last.snap) {
        char sp[4400], again[4400];
        snprintf(sp, sizeof sp, "%s/s%04u", snaps, last.snap);
        assert_true(metall_copy(sp, ds));
        metall_manager *m = metall_open(ds);
        assert_non_null(m);
        void *q = metall_malloc(m, 1000);
        assert_non_null(q);
        snprintf(again, sizeof again, "%s/s%04u", snaps, last.snap + 100);
        assert_true(metall_snapshot(m, again));
        metall_free(m, q);
        assert_true(metall_close(m));
        assert_int_equal(verify_snapshot(ds, last.snap, true, last.sum, last.nobj), 0);
        assert_true(metall_remove(ds));
    }
    metall_manager *m = metall_create(ds);
    assert_non_null(m);
    assert_true(metall_close(m));
    if (step >= 0)
        fprintf(stderr, "round %3d: killed at %s (passage %u), last snapshot %u, tmp dirs %d\n",
                round, kill_steps[step], nth, last.snap, tmp_here);
    else
        fprintf(stderr, "round %3d: killed %4ld ms after snapshot 1, last snapshot %u, tmp dirs %d\n",
                round, delay_ms, last.snap, tmp_here);
    assert_int_equal(rel_rm_tree(dir), 0);
}

static void test_kill_at_random_points(void **state)
{
    (void)state;
    assert_int_equal(rel_mkdtemp(g_root, sizeof g_root, "crash"), 0);
    for (int i = 0; i < g_kills; i++)
        one_round(i);
    fprintf(stderr,
            "%d kills (%ld at random times): %ld snapshots verified, %ld interrupted-snapshot "
            "temp dirs found (none opened)\n",
            g_kills, g_random_kills, g_snaps_checked, g_tmp_left);
    /* every step was killed at, once there were enough rounds for it */
    for (int k = 0; k < NSTEPS && g_kills >= 2 * NSTEPS; k++)
        if (!g_step_kills[k])
            fail_msg("no round killed at %s", kill_steps[k]);
    rel_rm_tree(g_root);
}

/* The state an interrupted snapshot can leave: a temporary directory that
 * is complete but for the final rename (killed between writing the closed
 * mark and the rename). It must not pass for a datastore. */
static void test_complete_tmp_dir_never_opens(void **state)
{
    (void)state;
    char root[4096], ds[4200], snap[4200], tmp[4200], tmp2[4300];
    assert_int_equal(rel_mkdtemp(root, sizeof root, "crash-tmp"), 0);
    snprintf(ds, sizeof ds, "%s/ds", root);
    snprintf(snap, sizeof snap, "%s/snap", root);
    snprintf(tmp, sizeof tmp, "%s/snap" MC_TMP_INFIX "123-deadbeef", root);
    metall_manager *m = metall_create(ds);
    assert_non_null(m);
    assert_non_null(metall_named_malloc(m, "x", 100));
    assert_true(metall_snapshot(m, snap));
    assert_true(metall_close(m));
    assert_int_equal(rename(snap, tmp), 0);
    errno = 0;
    assert_null(metall_open(tmp));
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(metall_errmsg(), "interrupted snapshot"));
    assert_null(metall_open_read_only(tmp));
    assert_int_equal(errno, EINVAL);
    snprintf(tmp2, sizeof tmp2, "%s/", tmp); /* a trailing slash changes nothing */
    assert_null(metall_open_read_only(tmp2));
    assert_false(metall_consistent(tmp));
    assert_false(metall_copy(tmp, snap));
    /* but it can be cleaned up, and the name it was meant for is free */
    assert_true(metall_remove(tmp));
    m = metall_open(ds);
    assert_non_null(m);
    assert_true(metall_snapshot(m, snap));
    assert_true(metall_close(m));
    m = metall_open(snap);
    assert_non_null(m);
    assert_non_null(metall_find(m, "x"));
    assert_true(metall_close(m));
    rel_rm_tree(root);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        g_kills = atoi(argv[1]);
    if (argc > 2)
        g_max_delay_ms = atoi(argv[2]);
    if (g_kills < 1 || g_max_delay_ms < 1)
        return 2;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete_tmp_dir_never_opens),
        cmocka_unit_test(test_kill_at_random_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
