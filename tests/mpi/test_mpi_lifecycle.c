/*
 * test_mpi_lifecycle.c - create/open/close/remove of an MPI datastore, run
 * under mpiexec with 1, 2 and 4 ranks: data survives per rank, every call
 * gives the same answer on every rank, and the failures that must fail
 * everywhere do (wrong rank count, a missing subdirectory, incomplete or
 * foreign roots), quickly and with the failing rank named.
 */
#include "mpi_test_util.h"

#include <time.h>

#define N_VALUES 10000

static void create_with_values(const char *root, uint64_t seed)
{
    metall_mpi *h = metall_mpi_create(root, MPI_COMM_WORLD, NULL);
    CHECK_ALL(h != NULL);
    CHECK_ALL(write_values(metall_mpi_local(h), N_VALUES, seed));
    CHECK_ALL(metall_mpi_close(h));
}

static void test_create_write_reopen(void **state)
{
    (void)state;
    char root[PATH_MAX], sub[PATH_MAX], marker[PATH_MAX];
    path_of(root, "ds");
    path_of(sub, "ds/subdir-%d", g_rank);
    path_of(marker, "ds/metall_mpi");
    create_with_values(root, 1);
    CHECK_ALL(access(marker, F_OK) == 0);
    CHECK_ALL(metall_consistent(sub));
    CHECK_ALL(metall_mpi_partitions(root, MPI_COMM_WORLD) == g_size);
    CHECK_ALL(metall_mpi_consistent(root, MPI_COMM_WORLD));

    metall_mpi *h = metall_mpi_open(root, MPI_COMM_WORLD);
    CHECK_ALL(h != NULL);
    CHECK_ALL(strcmp(metall_mpi_local_path(h), sub) == 0);
    CHECK_ALL(values_ok(metall_mpi_local(h), N_VALUES, 1));
    /* open for writing: not consistent now, on every rank */
    CHECK_ALL(!metall_mpi_consistent(root, MPI_COMM_WORLD));
    /* change the data and check that the change persists */
    metall_named_free(metall_mpi_local(h), "values");
    CHECK_ALL(write_values(metall_mpi_local(h), N_VALUES, 2));
    CHECK_ALL(metall_mpi_close(h));

    h = metall_mpi_open_read_only(root, MPI_COMM_WORLD);
    CHECK_ALL(h != NULL);
    CHECK_ALL(metall_is_read_only(metall_mpi_local(h)));
    CHECK_ALL(values_ok(metall_mpi_local(h), N_VALUES, 2));
    CHECK_ALL(metall_mpi_close(h));

    CHECK_ALL(metall_mpi_remove(root, MPI_COMM_WORLD));
    CHECK_ALL(access(root, F_OK) != 0);
    CHECK_ALL(metall_mpi_partitions(root, MPI_COMM_WORLD) == -1);
}

static void test_create_existing(void **state)
{
    (void)state;
    char root[PATH_MAX];
    path_of(root, "ds");
    create_with_values(root, 3);
    /* without overwrite: EEXIST everywhere, data untouched */
    errno = 0;
    CHECK_ALL(metall_mpi_create(root, MPI_COMM_WORLD, NULL) == NULL);
    CHECK_ALL(errno == EEXIST);
    CHECK_ALL(strstr(metall_errmsg(), "already holds") != NULL);
    metall_mpi *h = metall_mpi_open_read_only(root, MPI_COMM_WORLD);
    CHECK_ALL(h && values_ok(metall_mpi_local(h), N_VALUES, 3));
    CHECK_ALL(metall_mpi_close(h));
    /* with overwrite: a fresh, empty datastore */
    metall_mpi_options opt = {.overwrite = true};
    h = metall_mpi_create(root, MPI_COMM_WORLD, &opt);
    CHECK_ALL(h != NULL);
    CHECK_ALL(metall_find(metall_mpi_local(h), "values") == NULL);
    CHECK_ALL(metall_mpi_close(h));
    CHECK_ALL(metall_mpi_remove(root, MPI_COMM_WORLD));
}

static void test_not_mpi_datastore(void **state)
{
    (void)state;
    char dir[PATH_MAX], file[PATH_MAX];
    path_of(dir, "plain");
    path_of(file, "plain/keep");
    if (g_rank == 0) {
        mkdir(dir, 0755);
        FILE *f = fopen(file, "w");
        if (f)
            fclose(f);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    errno = 0;
    CHECK_ALL(!metall_mpi_remove(dir, MPI_COMM_WORLD));
    CHECK_ALL(errno == EINVAL);
    CHECK_ALL(access(file, F_OK) == 0);
    CHECK_ALL(metall_mpi_open(dir, MPI_COMM_WORLD) == NULL);
    CHECK_ALL(errno == EINVAL);
    CHECK_ALL(metall_mpi_partitions(dir, MPI_COMM_WORLD) == -1);
    char missing[PATH_MAX];
    path_of(missing, "nothing-here");
    CHECK_ALL(metall_mpi_open(missing, MPI_COMM_WORLD) == NULL);
    CHECK_ALL(errno == ENOENT);
    /* a bad template fails on every rank */
    char bad[PATH_MAX];
    path_of(bad, "bad-%%q");
    CHECK_ALL(metall_mpi_create(bad, MPI_COMM_WORLD, NULL) == NULL);
    CHECK_ALL(errno == EINVAL);
}

/* A root without its manifest (an interrupted create/snapshot) never opens. */
static void test_incomplete_root(void **state)
{
    (void)state;
    char root[PATH_MAX], manifest[PATH_MAX];
    path_of(root, "ds");
    path_of(manifest, "ds/metall_mpi_manifest");
    create_with_values(root, 4);
    MPI_Barrier(MPI_COMM_WORLD);
    if (g_rank == 0)
        unlink(manifest);
    MPI_Barrier(MPI_COMM_WORLD);
    errno = 0;
    CHECK_ALL(metall_mpi_open(root, MPI_COMM_WORLD) == NULL);
    CHECK_ALL(errno == EINVAL);
    CHECK_ALL(strstr(metall_errmsg(), "incomplete") != NULL);
    CHECK_ALL(metall_mpi_partitions(root, MPI_COMM_WORLD) == -1);
    CHECK_ALL(!metall_mpi_consistent(root, MPI_COMM_WORLD));
    /* it can still be removed (the marker says what it is) */
    CHECK_ALL(metall_mpi_remove(root, MPI_COMM_WORLD));
    CHECK_ALL(access(root, F_OK) != 0);
}

/* Created by half the ranks, opened by all: fails on every rank (a hang
 * would be the test's timeout, not a wall-clock assertion). */
static void test_wrong_rank_count(void **state)
{
    (void)state;
    if (g_size < 2)
        skip();
    char root[PATH_MAX];
    path_of(root, "ds");
    int half = g_size / 2;
    MPI_Comm sub;
    MPI_Comm_split(MPI_COMM_WORLD, g_rank < half ? 0 : MPI_UNDEFINED, g_rank, &sub);
    int ok = 1;
    if (sub != MPI_COMM_NULL) {
        metall_mpi *h = metall_mpi_create(root, sub, NULL);
        ok = h && write_values(metall_mpi_local(h), 100, 5) && metall_mpi_close(h);
        MPI_Comm_free(&sub);
    }
    CHECK_ALL(ok);
    errno = 0;
    metall_mpi *h = metall_mpi_open(root, MPI_COMM_WORLD);
    CHECK_ALL(h == NULL);
    CHECK_ALL(errno == ERANGE);
    char expect[128];
    snprintf(expect, sizeof expect, "holds %d partitions but the communicator has %d ranks",
             half, g_size);
    CHECK_ALL(strstr(metall_errmsg(), expect) != NULL);
    CHECK_ALL(!metall_mpi_consistent(root, MPI_COMM_WORLD));
    CHECK_ALL(metall_mpi_partitions(root, MPI_COMM_WORLD) == half);
    /* every rank alone (size 1) is wrong too (with 1 partition, all ranks
     * would open subdir-0 at once) */
    if (half != 1) {
        CHECK_ALL(metall_mpi_open(root, MPI_COMM_SELF) == NULL);
        CHECK_ALL(errno == ERANGE);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    /* the datastore itself is intact: the creators still open it */
    MPI_Comm_split(MPI_COMM_WORLD, g_rank < half ? 0 : MPI_UNDEFINED, g_rank, &sub);
    ok = 1;
    if (sub != MPI_COMM_NULL) {
        h = metall_mpi_open(root, sub);
        ok = h && values_ok(metall_mpi_local(h), 100, 5) && metall_mpi_close(h);
        MPI_Comm_free(&sub);
    }
    CHECK_ALL(ok);
}

/* The last rank's subdirectory is gone: every rank fails, naming it. */
static void test_missing_subdir(void **state)
{
    (void)state;
    char root[PATH_MAX], sub[PATH_MAX], moved[PATH_MAX];
    path_of(root, "ds");
    path_of(sub, "ds/subdir-%d", g_size - 1);
    path_of(moved, "moved-away");
    create_with_values(root, 6);
    MPI_Barrier(MPI_COMM_WORLD);
    if (g_rank == 0)
        rename(sub, moved);
    MPI_Barrier(MPI_COMM_WORLD);
    errno = 0;
    metall_mpi *h = metall_mpi_open(root, MPI_COMM_WORLD);
    CHECK_ALL(h == NULL);
    CHECK_ALL(errno == ENOENT);
    char who[512];
    snprintf(who, sizeof who, "rank %d (%s): %s does not exist", g_size - 1, g_host, sub);
    CHECK_ALL(strstr(metall_errmsg(), who) != NULL);
    CHECK_ALL(strstr(metall_errmsg(), "failed on 1 of") != NULL);
    CHECK_ALL(!metall_mpi_consistent(root, MPI_COMM_WORLD));
    /* back in place, it opens again with the data intact */
    MPI_Barrier(MPI_COMM_WORLD);
    if (g_rank == 0)
        rename(moved, sub);
    MPI_Barrier(MPI_COMM_WORLD);
    h = metall_mpi_open(root, MPI_COMM_WORLD);
    CHECK_ALL(h != NULL);
    CHECK_ALL(values_ok(metall_mpi_local(h), N_VALUES, 6));
    CHECK_ALL(metall_mpi_close(h));
}

/* Per-rank roots (%r), as a node-local device would give, and %h/%n. */
static void test_templates(void **state)
{
    (void)state;
    char tmpl[PATH_MAX], mine[PATH_MAX], marker[PATH_MAX], other[PATH_MAX];
    path_of(tmpl, "node-%%r-%%h-%%n/ds");
    path_of(mine, "node-%d-%s-", g_rank, g_host);
    metall_mpi *h = metall_mpi_create(tmpl, MPI_COMM_WORLD, NULL);
    CHECK_ALL(h != NULL);
    const char *p = metall_mpi_local_path(h);
    CHECK_ALL(strncmp(p, mine, strlen(mine)) == 0);
    char expect_tail[64];
    snprintf(expect_tail, sizeof expect_tail, "/ds/subdir-%d", g_rank);
    CHECK_ALL(strlen(p) > strlen(expect_tail) &&
              strcmp(p + strlen(p) - strlen(expect_tail), expect_tail) == 0);
    CHECK_ALL(write_values(metall_mpi_local(h), N_VALUES, 7));
    /* each rank's root holds the marker and only its own subdirectory */
    char root_of_mine[PATH_MAX];
    snprintf(root_of_mine, sizeof root_of_mine, "%s", p);
    *strrchr(root_of_mine, '/') = '\0';
    snprintf(marker, sizeof marker, "%s/metall_mpi", root_of_mine);
    snprintf(other, sizeof other, "%s/subdir-%d", root_of_mine, (g_rank + 1) % g_size);
    CHECK_ALL(access(marker, F_OK) == 0);
    CHECK_ALL(g_size == 1 || access(other, F_OK) != 0);
    CHECK_ALL(metall_mpi_close(h));
    CHECK_ALL(metall_mpi_partitions(tmpl, MPI_COMM_WORLD) == g_size);
    h = metall_mpi_open(tmpl, MPI_COMM_WORLD);
    CHECK_ALL(h && values_ok(metall_mpi_local(h), N_VALUES, 7));
    CHECK_ALL(metall_mpi_close(h));
    CHECK_ALL(metall_mpi_remove(tmpl, MPI_COMM_WORLD));
    CHECK_ALL(access(root_of_mine, F_OK) != 0);
}

/* A root as the format-1 library wrote it (marker without a tag, one
 * placement-RANK file per rank) opens, closes and is removed. */
static void test_format1_root(void **state)
{
    (void)state;
    char root[PATH_MAX], p[PATH_MAX + 64];
    path_of(root, "old");
    create_with_values(root, 9);
    if (g_rank == 0) {
        snprintf(p, sizeof p, "%s/metall_mpi", root);
        FILE *f = fopen(p, "w");
        if (f) {
            fprintf(f, "metall-c-mpi 1\npartitions %d\n", g_size);
            fclose(f);
        }
        snprintf(p, sizeof p, "%s/metall_mpi_placement", root);
        unlink(p);
    }
    snprintf(p, sizeof p, "%s/placement-%d", root, g_rank);
    FILE *f = fopen(p, "w");
    if (f) {
        fprintf(f, "metall-c-mpi-placement 1\nrank %d\nhost %s\ncpuset 0\nnuma_nodes 0\n"
                   "numa_node 0\npolicy old-policy\npath %s/subdir-%d\n",
                g_rank, g_host, root, g_rank);
        fclose(f);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK_ALL(metall_mpi_partitions(root, MPI_COMM_WORLD) == g_size);
    metall_mpi *h = metall_mpi_open(root, MPI_COMM_WORLD);
    CHECK_ALL(h != NULL);
    CHECK_ALL(values_ok(metall_mpi_local(h), N_VALUES, 9));
    const char *line = metall_mpi_placement(h);
    CHECK_ALL(line && strstr(line, "policy old-policy"));
    CHECK_ALL(metall_mpi_close(h));
    CHECK_ALL(metall_mpi_consistent(root, MPI_COMM_WORLD));
    CHECK_ALL(metall_mpi_remove(root, MPI_COMM_WORLD));
    CHECK_ALL(access(root, F_OK) != 0);
}

/* Ranks that pass different roots fail together instead of hanging. */
static void test_different_roots(void **state)
{
    (void)state;
    if (g_size < 2)
        skip();
    char root[PATH_MAX];
    path_of(root, "ds-%d", g_rank == 0 ? 0 : 1);
    errno = 0;
    CHECK_ALL(metall_mpi_create(root, MPI_COMM_WORLD, NULL) == NULL);
    CHECK_ALL(errno == EINVAL);
    CHECK_ALL(strstr(metall_errmsg(), "different roots") != NULL);
}

int main(int argc, char **argv)
{
    mpi_test_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_write_reopen, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_create_existing, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_not_mpi_datastore, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_incomplete_root, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_wrong_rank_count, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_missing_subdir, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_templates, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_different_roots, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_format1_root, scratch_setup, scratch_teardown),
    };
    int failed = cmocka_run_group_tests_name("mpi_lifecycle", tests, NULL, NULL);
    return mpi_test_finish(failed);
}
