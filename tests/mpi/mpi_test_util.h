/*
 * mpi_test_util.h - helpers of the MPI tests: a scratch directory shared
 * by all ranks, collective assertions (every rank fails the same check, so
 * no rank runs ahead into a collective the others never reach), and a
 * tmpfs mounted by rank 0 for the cross-file-system and full-disk cases.
 */
#ifndef METALLC_MPI_TEST_UTIL_H
#define METALLC_MPI_TEST_UTIL_H

#include <metall/metall_mpi.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static int g_rank, g_size;
/* a test skipped because this machine cannot set up its case (mounts):
 * the program then exits 77 (ctest: Skipped), not 0 (Passed) */
static int g_env_skipped;
#define env_skip()              \
    do {                        \
        g_env_skipped = 1;      \
        skip();                 \
    } while (0)
static char g_host[256];
static char g_dir[PATH_MAX]; /* scratch directory of the test, same on all ranks */

/* Whether v holds on every rank (collective). */
static inline int all_ranks(int v)
{
    int r = 0;
    MPI_Allreduce(&v, &r, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return r;
}

/* A check that every rank evaluates and every rank fails together. */
#define CHECK_ALL(expr)                                                            \
    do {                                                                           \
        int v_ = !!(expr);                                                         \
        if (!v_)                                                                   \
            print_error("rank %d: check failed: %s (errno %d, errmsg \"%s\")\n",   \
                        g_rank, #expr, errno, metall_errmsg());                    \
        assert_true(all_ranks(v_));                                                \
    } while (0)

static int rm_entry_(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static inline void rm_tree(const char *p)
{
    nftw(p, rm_entry_, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void path_of(char *out, const char *fmt, ...)
{
    char rel[PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    snprintf(out, PATH_MAX, "%s/%s", g_dir, rel);
}

/* Fresh scratch directory per test (rank 0 makes it, all ranks learn it). */
static inline int scratch_setup(void **state)
{
    (void)state;
    if (g_rank == 0) {
        const char *base = getenv("METALLC_TEST_TMPDIR");
        if (!base || !*base)
            base = "/tmp";
        mkdir(base, 0755);
        snprintf(g_dir, sizeof g_dir, "%s/mpi-XXXXXX", base);
        char made[PATH_MAX];
        snprintf(made, sizeof made, "%s", g_dir);
        /* canonical (METALLC_TEST_TMPDIR holds a ".."): the teardown finds
         * the tmpfs mounts under it by prefix in /proc/self/mounts */
        if (!mkdtemp(made) || !realpath(made, g_dir))
            g_dir[0] = '\0';
    }
    MPI_Bcast(g_dir, sizeof g_dir, MPI_CHAR, 0, MPI_COMM_WORLD);
    return g_dir[0] ? 0 : -1;
}

static inline int scratch_teardown(void **state)
{
    (void)state;
    MPI_Barrier(MPI_COMM_WORLD);
    if (g_rank == 0) {
        /* a failed check may have skipped an unmount: undo every mount
         * under the scratch directory before removing it */
        FILE *f = fopen("/proc/self/mounts", "r");
        char dev[256], mnt[PATH_MAX];
        size_t n = strlen(g_dir);
        while (f && fscanf(f, "%255s %4095s %*[^\n]", dev, mnt) == 2)
            if (strncmp(mnt, g_dir, n) == 0 && mnt[n] == '/')
                umount2(mnt, MNT_DETACH);
        if (f)
            fclose(f);
        rm_tree(g_dir);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    return 0;
}

/* Rank 0 mounts a tmpfs of `size` at dir; whether it worked, on all ranks. */
static inline int mount_tmpfs(const char *dir, const char *size)
{
    int ok = 1;
    if (g_rank == 0) {
        char opt[64];
        snprintf(opt, sizeof opt, "size=%s", size);
        ok = mkdir(dir, 0755) == 0 && mount("tmpfs", dir, "tmpfs", 0, opt) == 0;
        if (!ok)
            fprintf(stderr, "cannot mount a tmpfs at %s (%s): skipping\n", dir, strerror(errno));
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return ok;
}

/* Like mount_tmpfs() on an existing directory. */
static inline int mount_tmpfs_at(const char *dir, const char *size)
{
    int ok = 1;
    if (g_rank == 0) {
        char opt[64];
        snprintf(opt, sizeof opt, "size=%s", size);
        ok = mount("tmpfs", dir, "tmpfs", 0, opt) == 0;
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return ok;
}

static inline void unmount_tmpfs(const char *dir)
{
    MPI_Barrier(MPI_COMM_WORLD);
    if (g_rank == 0)
        umount2(dir, MNT_DETACH);
    MPI_Barrier(MPI_COMM_WORLD);
}

/* Entries in a directory other than . and .. (-1 if it cannot be read). */
static inline int dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* This rank's test data: n words, a function of rank and seed. */
static inline uint64_t value_at(int rank, uint64_t seed, size_t i)
{
    return ((uint64_t)rank << 40) ^ (seed * 0x9e3779b97f4a7c15ull) ^ (i * 2654435761u);
}

static inline int write_values(metall_manager *m, size_t n, uint64_t seed)
{
    uint64_t *a = metall_named_malloc(m, "values", n * sizeof *a);
    if (!a)
        return 0;
    for (size_t i = 0; i < n; i++)
        a[i] = value_at(g_rank, seed, i);
    return 1;
}

static inline int values_ok(metall_manager *m, size_t n, uint64_t seed)
{
    size_t len = 0;
    uint64_t *a = metall_named_find(m, "values", &len);
    if (!a || len != n * sizeof *a)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] != value_at(g_rank, seed, i))
            return 0;
    return 1;
}

static inline void mpi_test_init(int *argc, char ***argv)
{
    MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    gethostname(g_host, sizeof g_host);
}

/* All ranks exit with the same status: failed on any rank = failed. */
static inline int mpi_test_finish(int failed)
{
    int mine[2] = {failed != 0, g_env_skipped}, any[2] = {0, 0};
    MPI_Allreduce(mine, any, 2, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    return any[0] ? 1 : any[1] ? 77 : 0;
}

#endif
