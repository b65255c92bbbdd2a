/*
 * test_mpi_races.c - two jobs that target one path must not destroy each
 * other's result (issue 12, case 4). Every rank plays two one-rank jobs on
 * MPI_COMM_SELF in its own directory, so it runs at any rank count.
 *
 * The race is made deterministic: this program defines rename(),
 * renameat2(), link() and linkat(), which the library's calls bind to
 * before libc's. When the library is about to move something onto an armed
 * path, the wrapper first runs "the other job" to completion (a nested call
 * of the library on the same path), then lets the library's own call go
 * on. That is the worst interleaving: the other job finishes between this
 * job's checks and its publication.
 */
#include "mpi_test_util.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>

#define N_VALUES 5000

/* ---- the interposed calls -------------------------------------------------- */

static char g_arm[PATH_MAX];     /* a move onto this path fires g_other */
static void (*g_other)(void);
static int g_fired;

static void maybe_fire(const char *newpath)
{
    if (!g_arm[0] || strcmp(newpath, g_arm) != 0)
        return;
    g_arm[0] = '\0'; /* once, and not for the other job's own moves */
    g_fired++;
    g_other();
}

int rename(const char *oldpath, const char *newpath)
{
    static int (*real)(const char *, const char *);
    if (!real)
        real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    maybe_fire(newpath);
    return real(oldpath, newpath);
}

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
              unsigned int flags)
{
    static int (*real)(int, const char *, int, const char *, unsigned int);
    if (!real)
        real = (int (*)(int, const char *, int, const char *, unsigned int))dlsym(
            RTLD_NEXT, "renameat2");
    maybe_fire(newpath);
    return real(olddirfd, oldpath, newdirfd, newpath, flags);
}

int link(const char *oldpath, const char *newpath)
{
    static int (*real)(const char *, const char *);
    if (!real)
        real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "link");
    maybe_fire(newpath);
    return real(oldpath, newpath);
}

int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
    static int (*real)(int, const char *, int, const char *, int);
    if (!real)
        real = (int (*)(int, const char *, int, const char *, int))dlsym(RTLD_NEXT, "linkat");
    maybe_fire(newpath);
    return real(olddirfd, oldpath, newdirfd, newpath, flags);
}

/* ---- the jobs ------------------------------------------------------------ */

static char g_src[PATH_MAX], g_dst[PATH_MAX];
static char g_other_uuid[37];
static int g_other_ok;

static void make_source(const char *root, uint64_t seed)
{
    metall_mpi *h = metall_mpi_create(root, MPI_COMM_SELF, NULL);
    CHECK_ALL(h != NULL);
    CHECK_ALL(write_values(metall_mpi_local(h), N_VALUES, seed));
    CHECK_ALL(metall_mpi_close(h));
}

static void subdir_uuid(const char *root, char out[37])
{
    char sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/subdir-0", root);
    if (!metall_get_uuid(sub, out))
        out[0] = '\0';
}

/* The destination holds the other job's result, whole and unchanged. */
static void check_other_result(const char *root, uint64_t seed)
{
    char uuid[37];
    subdir_uuid(root, uuid);
    CHECK_ALL(g_other_ok);
    CHECK_ALL(strcmp(uuid, g_other_uuid) == 0);
    CHECK_ALL(metall_mpi_partitions(root, MPI_COMM_SELF) == 1);
    metall_mpi *h = metall_mpi_open_read_only(root, MPI_COMM_SELF);
    CHECK_ALL(h != NULL);
    CHECK_ALL(values_ok(metall_mpi_local(h), N_VALUES, seed));
    CHECK_ALL(metall_mpi_close(h));
}

static void other_copy(void)
{
    g_other_ok = metall_mpi_copy(g_src, g_dst, MPI_COMM_SELF);
    subdir_uuid(g_dst, g_other_uuid);
}

/* Two copies to one destination: the loser fails, the winner's result
 * stays whole. */
static void test_copy_race(void **state)
{
    (void)state;
    path_of(g_src, "r%d/src", g_rank);
    path_of(g_dst, "r%d/dst", g_rank);
    make_source(g_src, 1);
    snprintf(g_arm, sizeof g_arm, "%s", g_dst);
    g_other = other_copy;
    g_fired = 0;
    errno = 0;
    bool ok = metall_mpi_copy(g_src, g_dst, MPI_COMM_SELF);
    int err = errno;
    CHECK_ALL(g_fired == 1);
    CHECK_ALL(!ok);
    CHECK_ALL(err == EEXIST);
    CHECK_ALL(strstr(metall_errmsg(), g_dst) != NULL);
    check_other_result(g_dst, 1);
    /* nothing of the loser is left beside it */
    char dir[PATH_MAX];
    path_of(dir, "r%d", g_rank);
    CHECK_ALL(dir_entries(dir) == 2);
}

static metall_mpi *g_snap_src;

static void other_snapshot(void)
{
    /* the other job snapshots its own datastore to the same destination */
    g_other_ok = metall_mpi_copy(g_src, g_dst, MPI_COMM_SELF);
    subdir_uuid(g_dst, g_other_uuid);
}

/* Snapshot racing a copy onto one destination. */
static void test_snapshot_race(void **state)
{
    (void)state;
    char mine[PATH_MAX];
    path_of(g_src, "r%d/src", g_rank);
    path_of(mine, "r%d/mine", g_rank);
    path_of(g_dst, "r%d/dst", g_rank);
    make_source(g_src, 2);
    g_snap_src = metall_mpi_create(mine, MPI_COMM_SELF, NULL);
    CHECK_ALL(g_snap_src != NULL);
    CHECK_ALL(write_values(metall_mpi_local(g_snap_src), N_VALUES, 3));
    snprintf(g_arm, sizeof g_arm, "%s", g_dst);
    g_other = other_snapshot;
    g_fired = 0;
    errno = 0;
    bool ok = metall_mpi_snapshot(g_snap_src, g_dst);
    int err = errno;
    CHECK_ALL(metall_mpi_close(g_snap_src));
    CHECK_ALL(g_fired == 1);
    CHECK_ALL(!ok);
    CHECK_ALL(err == EEXIST);
    check_other_result(g_dst, 2);
    char dir[PATH_MAX];
    path_of(dir, "r%d", g_rank);
    CHECK_ALL(dir_entries(dir) == 3);
}

static void other_create(void)
{
    metall_mpi *h = metall_mpi_create(g_dst, MPI_COMM_SELF, NULL);
    g_other_ok = h != NULL && write_values(metall_mpi_local(h), N_VALUES, 4);
    if (h)
        g_other_ok &= metall_mpi_close(h);
    subdir_uuid(g_dst, g_other_uuid);
}

/* Two creates of one root: the loser fails and removes nothing of the
 * winner's (marker, manifest, subdirectory). */
static void test_create_race(void **state)
{
    (void)state;
    path_of(g_dst, "r%d/ds", g_rank);
    char marker[PATH_MAX];
    snprintf(marker, sizeof marker, "%s/metall_mpi", g_dst);
    snprintf(g_arm, sizeof g_arm, "%s", marker);
    g_other = other_create;
    g_fired = 0;
    errno = 0;
    metall_mpi *h = metall_mpi_create(g_dst, MPI_COMM_SELF, NULL);
    int err = errno;
    if (h)
        metall_mpi_close(h);
    CHECK_ALL(g_fired == 1);
    CHECK_ALL(h == NULL);
    CHECK_ALL(err == EEXIST);
    check_other_result(g_dst, 4);
}

int main(int argc, char **argv)
{
    mpi_test_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_copy_race, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_race, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_create_race, scratch_setup, scratch_teardown),
    };
    int failed = cmocka_run_group_tests_name("mpi_races", tests, NULL, NULL);
    return mpi_test_finish(failed);
}
