/*
 * test_util.h - helpers shared by the core tests: a fresh temporary
 * directory per test, recursive removal, disk usage, child processes and
 * failure checks (errno + metall_errmsg()).
 *
 * Include after <cmocka.h>'s prerequisites; every helper is static so each
 * test program stays one translation unit.
 */
#ifndef METALLC_TEST_UTIL_H
#define METALLC_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <metall/metall.h>

/* A fresh directory under $METALLC_TEST_TMPDIR (ctest sets it) or /tmp;
 * malloc'ed, remove with tu_rmtree() + free(). */
static inline char *tu_tmpdir(void)
{
    const char *base = getenv("METALLC_TEST_TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s/coretest-XXXXXX", base);
    if (!mkdtemp(buf)) {
        /* the ctest directory may be missing when run by hand */
        snprintf(buf, sizeof buf, "/tmp/coretest-XXXXXX");
        if (!mkdtemp(buf)) {
            print_error("mkdtemp failed: %s\n", strerror(errno));
            fail();
        }
    }
    return strdup(buf);
}

static inline int tu_rm_cb_(const char *p, const struct stat *st, int type, struct FTW *f)
{
    (void)st;
    (void)f;
    return (type == FTW_DP ? rmdir(p) : unlink(p)) == 0 ? 0 : 0;
}

/* rm -rf: best effort (tests clean up after themselves). */
static inline void tu_rmtree(const char *path)
{
    nftw(path, tu_rm_cb_, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT); /* never into a mount */
}

/* dir/name in a thread-local ring of 16 buffers: valid for the next 15
 * calls, enough for one test's paths. */
static inline const char *tu_path(const char *dir, const char *name)
{
    static __thread char ring[16][PATH_MAX];
    static __thread unsigned next;
    char tmp[PATH_MAX]; /* dir may itself be an older ring entry */
    snprintf(tmp, sizeof tmp, "%s/%s", dir, name);
    char *b = ring[next++ % 16];
    memcpy(b, tmp, sizeof tmp);
    return b;
}

static uint64_t tu_du_total_;
static inline int tu_du_cb_(const char *p, const struct stat *st, int type, struct FTW *f)
{
    (void)p;
    (void)f;
    if (type == FTW_F)
        tu_du_total_ += (uint64_t)st->st_blocks * 512;
    return 0;
}

/* Bytes a tree occupies on disk (sum of st_blocks, like du). */
static inline uint64_t tu_du(const char *path)
{
    tu_du_total_ = 0;
    nftw(path, tu_du_cb_, 16, FTW_PHYS);
    return tu_du_total_;
}

static inline bool tu_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static inline void tu_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Wait for pid; returns its wait status. */
static inline int tu_wait(pid_t pid)
{
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return st;
}

/* Assert that a child exited with status 0. */
#define tu_assert_child_ok(st)                                                          \
    do {                                                                                \
        int st_ = (st);                                                                 \
        if (!WIFEXITED(st_) || WEXITSTATUS(st_) != 0) {                                 \
            print_error("child failed: %s %d\n", WIFEXITED(st_) ? "exit" : "signal",    \
                        WIFEXITED(st_) ? WEXITSTATUS(st_) : WTERMSIG(st_));             \
            fail();                                                                     \
        }                                                                               \
    } while (0)

/* In a child process: no cmocka (it would longjmp into the parent's
 * state); report the line and exit non-zero. */
#define CHILD_CHECK(cond)                                                               \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "child check failed at %s:%d: %s (errno %d, %s)\n",         \
                    __FILE__, __LINE__, #cond, errno, metall_errmsg());                 \
            _exit(100);                                                                 \
        }                                                                               \
    } while (0)

static inline void tu_check_fail_(bool failed, int got, int want, const char *needle,
                                  const char *expr, const char *file, int line)
{
    const char *msg = metall_errmsg();
    if (!failed) {
        print_error("%s:%d: %s: expected a failure with errno %d (%s)\n", file, line, expr, want,
                    strerror(want));
        _fail(file, line);
    }
    if (got != want) {
        print_error("%s:%d: %s: errno %d (%s), expected %d (%s); message: %s\n", file, line,
                    expr, got, strerror(got), want, strerror(want), msg);
        _fail(file, line);
    }
    if (!msg || !*msg) {
        print_error("%s:%d: %s: empty metall_errmsg()\n", file, line, expr);
        _fail(file, line);
    }
    if (needle && !strstr(msg, needle)) {
        print_error("%s:%d: %s: message \"%s\" does not mention \"%s\"\n", file, line, expr, msg,
                    needle);
        _fail(file, line);
    }
}

/* Assert that `failed_expr` is true (the call failed), errno == err, and the
 * message is non-empty and contains `needle` (e.g. the path; NULL: any). */
#define TU_FAILS(failed_expr, err, needle)                                              \
    do {                                                                                \
        errno = 0;                                                                      \
        bool f_ = (failed_expr);                                                        \
        int e_ = errno;                                                                 \
        tu_check_fail_(f_, e_, (err), (needle), #failed_expr, __FILE__, __LINE__);      \
    } while (0)

/* A deterministic fill pattern and its check (seeded by `tag`). */
static inline void tu_fill(void *p, size_t n, uint64_t tag)
{
    unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        c[i] = (unsigned char)((tag * 131 + i * 7 + (i >> 8)) & 0xFF);
}

static inline bool tu_check(const void *p, size_t n, uint64_t tag)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        if (c[i] != (unsigned char)((tag * 131 + i * 7 + (i >> 8)) & 0xFF))
            return false;
    return true;
}

static inline uint64_t tu_rand(uint64_t *s) /* xorshift64*: fixed seeds, no libc state */
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Per-test fixture: a fresh temp dir in *state. */
static inline int tu_setup(void **state)
{
    *state = tu_tmpdir();
    return *state ? 0 : -1;
}

static inline int tu_teardown(void **state)
{
    tu_rmtree(*state);
    free(*state);
    return 0;
}

#endif
