/*
 * rel_child.h - wait for a child process and tell a hang from slowness
 * without a clock: the verdict never depends on the machine's speed.
 *
 * A child is *stuck* when every one of its threads sleeps interruptibly
 * (state S, so not in disk I/O, not runnable), none in a wait with a
 * timeout, and no thread has woken up (its context-switch counts are
 * unchanged) across REL_STUCK_SAMPLES consecutive samples. Nothing inside
 * the process can then ever wake it: a lock it waits for is held by a
 * thread that does not exist (a fork) or that waits itself (a deadlock),
 * or it waits for a file such as a FIFO that nobody will open. A slow
 * machine shows threads that are runnable, in uninterruptible I/O (D), or
 * waking, and the wait just goes on (a real livelock is left to ctest's
 * TIMEOUT). Children run with PR_SET_PDEATHSIG so that none outlives a
 * test that ctest killed.
 *
 * Every REL_REPORT_SAMPLES samples of a child that has not finished, the
 * state of its threads is printed (where it waits), so a slow run leaves
 * a trace in the log without failing.
 */
#ifndef METALLC_REL_CHILD_H
#define METALLC_REL_CHILD_H

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REL_MAX_THREADS 64
#define REL_STUCK_SAMPLES 4    /* samples without a wake-up: stuck */
#define REL_REPORT_SAMPLES 30  /* print where a long-running child waits */

struct rel_thread {
    long tid;
    char state;                  /* R, S, D, ... */
    unsigned long long switches; /* voluntary + involuntary context switches */
    bool timed;                  /* in a wait that ends by itself */
    char syscall[128];           /* /proc/.../syscall, or "" */
};

/* In a child right after fork(): die with the parent. */
static inline void rel_child_init(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) /* the parent died before the prctl */
        _exit(99);
}

static inline bool rel_read_line(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool ok = fgets(buf, (int)size, f) != NULL;
    fclose(f);
    if (ok)
        buf[strcspn(buf, "\n")] = '\0';
    return ok;
}

/* Does /proc/.../syscall show a wait with a timeout (a sleep, or a futex
 * wait with a timeout argument)? */
static inline bool rel_timed_wait(const char *sc)
{
    long nr;
    unsigned long long a[6] = {0};
    if (sscanf(sc, "%ld %llx %llx %llx %llx", &nr, &a[0], &a[1], &a[2], &a[3]) < 1)
        return false;
    if (nr == SYS_nanosleep || nr == SYS_clock_nanosleep)
        return true;
    if (nr == SYS_futex) {
        int op = (int)(a[1] & 127);
        return (op == 0 /* FUTEX_WAIT */ || op == 9 /* FUTEX_WAIT_BITSET */) && a[3] != 0;
    }
    return false;
}

/* The threads of pid; returns their number, or -1 if it has none left. */
static inline int rel_threads(pid_t pid, struct rel_thread *t, int max)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while (n < max && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        struct rel_thread *x = &t[n];
        memset(x, 0, sizeof *x);
        x->tid = atol(de->d_name);
        char p[384], line[512];
        snprintf(p, sizeof p, "%s/%s/stat", dir, de->d_name);
        if (!rel_read_line(p, line, sizeof line))
            continue;
        char *rp = strrchr(line, ')');
        x->state = rp && rp[1] ? rp[2] : '?';
        snprintf(p, sizeof p, "%s/%s/status", dir, de->d_name);
        FILE *f = fopen(p, "r");
        while (f && fgets(line, sizeof line, f)) {
            unsigned long long v;
            if (sscanf(line, "voluntary_ctxt_switches: %llu", &v) == 1 ||
                sscanf(line, "nonvoluntary_ctxt_switches: %llu", &v) == 1)
                x->switches += v;
        }
        if (f)
            fclose(f);
        snprintf(p, sizeof p, "%s/%s/syscall", dir, de->d_name);
        if (rel_read_line(p, x->syscall, sizeof x->syscall))
            x->timed = rel_timed_wait(x->syscall);
        n++;
    }
    closedir(d);
    return n;
}

/* Print where each thread of pid waits (its kernel stack, if readable). */
static inline void rel_print_threads(pid_t pid, const struct rel_thread *t, int n,
                                     const char *what)
{
    fprintf(stderr, "%s: child %d, %d thread(s):\n", what, (int)pid, n);
    for (int i = 0; i < n; i++) {
        fprintf(stderr, "  thread %ld state %c switches %llu syscall [%s]\n", t[i].tid,
                t[i].state, t[i].switches, t[i].syscall);
        char p[384], line[256];
        snprintf(p, sizeof p, "/proc/%d/task/%ld/stack", (int)pid, t[i].tid);
        FILE *f = fopen(p, "r");
        for (int k = 0; f && k < 12 && fgets(line, sizeof line, f); k++)
            fprintf(stderr, "    %s", line);
        if (f)
            fclose(f);
    }
}

/* Wait for pid. Returns 0 when it ended (*status set), 1 when it was stuck
 * (then it has been killed and reaped, and where it waited printed). */
static inline int rel_wait_child(pid_t pid, int *status, const char *what)
{
    struct rel_thread prev[REL_MAX_THREADS], cur[REL_MAX_THREADS];
    int nprev = 0, stuck = 0;
    long step_ms = 1, slept_ms = 0;
    for (unsigned long sample = 1;; sample++) {
        /* look at the child often at first (most end at once), then every
         * 100 ms; sample its threads about once a second */
        while (slept_ms < (long)sample * 1000) {
            pid_t r = waitpid(pid, status, WNOHANG);
            if (r == pid)
                return 0;
            if (r < 0) { /* not our child any more: report a failure */
                *status = 127 << 8;
                return 0;
            }
            struct timespec ts = {0, step_ms * 1000000L};
            nanosleep(&ts, NULL);
            slept_ms += step_ms;
            step_ms = step_ms < 50 ? step_ms * 2 : 100;
        }
        int n = rel_threads(pid, cur, REL_MAX_THREADS);
        bool asleep = n > 0;
        for (int i = 0; i < n && asleep; i++)
            asleep = cur[i].state == 'S' && !cur[i].timed;
        bool same = asleep && n == nprev;
        for (int i = 0; i < n && same; i++)
            same = cur[i].tid == prev[i].tid && cur[i].switches == prev[i].switches;
        stuck = same ? stuck + 1 : 0;
        if (stuck >= REL_STUCK_SAMPLES) {
            rel_print_threads(pid, cur, n, what);
            kill(pid, SIGKILL);
            waitpid(pid, status, 0);
            return 1;
        }
        if (sample % REL_REPORT_SAMPLES == 0 && n > 0)
            rel_print_threads(pid, cur, n, "still running (not a failure)");
        memcpy(prev, cur, sizeof cur[0] * (size_t)(n > 0 ? n : 0));
        nprev = n;
    }
}

#endif
