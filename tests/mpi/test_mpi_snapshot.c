/*
 * test_mpi_snapshot.c - collective snapshot and copy (restore), run under
 * mpiexec with 1, 2 and 4 ranks: to the same and to another file system
 * (a tmpfs mounted as root; skipped where mounting is not allowed), from
 * per-rank (node-local style) roots to a shared one and back, and the
 * all-or-nothing rule: a destination that fills up under one rank makes
 * every rank fail and leaves nothing behind, with the source untouched.
 */
#include "mpi_test_util.h"

#define N_VALUES 20000

static metall_mpi *create_with_values(const char *root, uint64_t seed)
{
    metall_mpi *h = metall_mpi_create(root, MPI_COMM_WORLD, NULL);
    CHECK_ALL(h != NULL);
    CHECK_ALL(write_values(metall_mpi_local(h), N_VALUES, seed));
    return h;
}

static void reopen_and_verify(const char *root, uint64_t seed)
{
    metall_mpi *h = metall_mpi_open_read_only(root, MPI_COMM_WORLD);
    CHECK_ALL(h != NULL);
    CHECK_ALL(values_ok(metall_mpi_local(h), N_VALUES, seed));
    CHECK_ALL(metall_mpi_close(h));
}

static int uuid_of(const char *root, char out[37])
{
    char sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/subdir-%d", root, g_rank);
    return metall_get_uuid(sub, out);
}

/* Snapshot while open, keep writing the source, restore the snapshot. */
static void test_snapshot_and_restore(void **state)
{
    (void)state;
    char root[PATH_MAX], snap[PATH_MAX], restored[PATH_MAX];
    path_of(root, "local/ds");
    path_of(snap, "pfs/snap");
    path_of(restored, "local/restored");
    metall_mpi *h = create_with_values(root, 11);
    CHECK_ALL(metall_mpi_snapshot(h, snap));
    /* the source goes on changing; the snapshot keeps the old state */
    metall_named_free(metall_mpi_local(h), "values");
    CHECK_ALL(write_values(metall_mpi_local(h), N_VALUES, 12));
    CHECK_ALL(metall_mpi_close(h));
    CHECK_ALL(metall_mpi_partitions(snap, MPI_COMM_WORLD) == g_size);
    CHECK_ALL(metall_mpi_consistent(snap, MPI_COMM_WORLD));
    char u_src[37], u_snap[37], u_rest[37];
    CHECK_ALL(uuid_of(root, u_src) && uuid_of(snap, u_snap));
    CHECK_ALL(strcmp(u_src, u_snap) != 0); /* a snapshot is a new datastore */

    CHECK_ALL(metall_mpi_copy(snap, restored, MPI_COMM_WORLD));
    CHECK_ALL(uuid_of(restored, u_rest) && strcmp(u_rest, u_snap) == 0);
    reopen_and_verify(restored, 11);
    reopen_and_verify(root, 12);
    reopen_and_verify(snap, 11);
    /* no temporary directory is left beside the destinations */
    char dir[PATH_MAX];
    path_of(dir, "pfs");
    CHECK_ALL(dir_entries(dir) == 1);
    path_of(dir, "local");
    CHECK_ALL(dir_entries(dir) == 2);
}

/* Node-local disk -> another file system (tmpfs) -> a fresh root. */
static void test_snapshot_other_fs(void **state)
{
    (void)state;
    char root[PATH_MAX], mnt[PATH_MAX], snap[PATH_MAX], fresh[PATH_MAX];
    path_of(root, "nvme/ds");
    path_of(mnt, "pfs");
    path_of(snap, "pfs/ckpt-1");
    path_of(fresh, "nvme/fresh");
    if (!mount_tmpfs(mnt, "256m"))
        env_skip();
    metall_mpi *h = create_with_values(root, 21);
    CHECK_ALL(metall_mpi_snapshot(h, snap));
    CHECK_ALL(metall_mpi_close(h));
    /* the node-local copy is lost */
    CHECK_ALL(metall_mpi_remove(root, MPI_COMM_WORLD));
    CHECK_ALL(metall_mpi_copy(snap, fresh, MPI_COMM_WORLD));
    h = metall_mpi_open(fresh, MPI_COMM_WORLD);
    CHECK_ALL(h != NULL);
    CHECK_ALL(values_ok(metall_mpi_local(h), N_VALUES, 21));
    CHECK_ALL(metall_mpi_close(h));
    unmount_tmpfs(mnt);
}

/* A destination too small for the last rank's data: every rank fails, the
 * destination holds nothing afterwards and the source is intact. */
static void test_snapshot_enospc(void **state)
{
    (void)state;
    char root[PATH_MAX], mnt[PATH_MAX], snap[PATH_MAX], copy[PATH_MAX];
    path_of(root, "ds");
    path_of(mnt, "small");
    path_of(snap, "small/snap");
    path_of(copy, "small/copy");
    if (!mount_tmpfs(mnt, "4m"))
        env_skip();
    metall_mpi *h = create_with_values(root, 31);
    /* only the last rank has more than the file system holds */
    size_t big = g_rank == g_size - 1 ? (size_t)8 << 20 : (size_t)64 << 10;
    char *blob = metall_named_malloc(metall_mpi_local(h), "blob", big);
    CHECK_ALL(blob != NULL);
    memset(blob, 0x5a, big);

    errno = 0;
    CHECK_ALL(!metall_mpi_snapshot(h, snap));
    CHECK_ALL(errno == ENOSPC);
    char who[128];
    snprintf(who, sizeof who, "rank %d (%s)", g_size - 1, g_host);
    CHECK_ALL(strstr(metall_errmsg(), who) != NULL);
    CHECK_ALL(dir_entries(mnt) == 0);
    CHECK_ALL(metall_mpi_partitions(snap, MPI_COMM_WORLD) == -1);

    /* per-rank destinations where only the last rank's is full: the other
     * ranks succeed locally and must roll back */
    char per_rank[PATH_MAX], last[PATH_MAX], mine[PATH_MAX];
    path_of(per_rank, "d%%r/snap");
    path_of(last, "d%d", g_size - 1);
    path_of(mine, "d%d", g_rank);
    if (g_rank == 0)
        mkdir(last, 0755);
    CHECK_ALL(mount_tmpfs_at(last, "4m"));
    errno = 0;
    CHECK_ALL(!metall_mpi_snapshot(h, per_rank));
    CHECK_ALL(errno == ENOSPC);
    CHECK_ALL(strstr(metall_errmsg(), "failed on 1 of") != NULL);
    CHECK_ALL(strstr(metall_errmsg(), who) != NULL);
    CHECK_ALL(dir_entries(mine) == 0); /* no snapshot, no temporary left */
    unmount_tmpfs(last);

    /* the source goes on working and persists */
    CHECK_ALL(metall_named_malloc(metall_mpi_local(h), "after", 64) != NULL);
    CHECK_ALL(metall_mpi_close(h));
    CHECK_ALL(metall_mpi_consistent(root, MPI_COMM_WORLD));
    reopen_and_verify(root, 31);

    /* a copy of the closed datastore fails the same way */
    errno = 0;
    CHECK_ALL(!metall_mpi_copy(root, copy, MPI_COMM_WORLD));
    CHECK_ALL(errno == ENOSPC);
    CHECK_ALL(dir_entries(mnt) == 0);
    unmount_tmpfs(mnt);
}

static void test_snapshot_errors(void **state)
{
    (void)state;
    char root[PATH_MAX], taken[PATH_MAX], keep[PATH_MAX], snap[PATH_MAX];
    path_of(root, "ds");
    path_of(taken, "taken");
    path_of(keep, "taken/keep");
    path_of(snap, "snap");
    if (g_rank == 0) {
        mkdir(taken, 0755);
        FILE *f = fopen(keep, "w");
        if (f)
            fclose(f);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    metall_mpi *h = create_with_values(root, 41);
    errno = 0;
    CHECK_ALL(!metall_mpi_snapshot(h, taken));
    CHECK_ALL(errno == EEXIST);
    CHECK_ALL(access(keep, F_OK) == 0 && dir_entries(taken) == 1);
    CHECK_ALL(metall_mpi_close(h));
    errno = 0;
    CHECK_ALL(!metall_mpi_copy(root, taken, MPI_COMM_WORLD));
    CHECK_ALL(errno == EEXIST);
    /* a read-only handle cannot take a snapshot (metall_mpi_copy can) */
    h = metall_mpi_open_read_only(root, MPI_COMM_WORLD);
    CHECK_ALL(h != NULL);
    errno = 0;
    CHECK_ALL(!metall_mpi_snapshot(h, snap));
    CHECK_ALL(errno == EROFS);
    CHECK_ALL(metall_mpi_close(h));
    CHECK_ALL(access(snap, F_OK) != 0);
    /* copy needs a communicator of the datastore's size */
    if (g_size > 1) {
        CHECK_ALL(!metall_mpi_copy(root, snap, MPI_COMM_SELF));
        CHECK_ALL(errno == ERANGE);
        CHECK_ALL(access(snap, F_OK) != 0);
    }
}

/* Per-rank roots (each rank's "node-local device"), snapshot to one shared
 * root, restore to per-rank roots again. */
static void test_node_local_roots(void **state)
{
    (void)state;
    char local[PATH_MAX], shared[PATH_MAX], back[PATH_MAX], mine[PATH_MAX], sub[PATH_MAX];
    path_of(local, "node%%r/ds");
    path_of(shared, "pfs/snap");
    path_of(back, "node%%r/restored");
    metall_mpi *h = create_with_values(local, 51);
    CHECK_ALL(metall_mpi_snapshot(h, shared));
    CHECK_ALL(metall_mpi_close(h));
    CHECK_ALL(dir_entries(shared) == g_size + 2); /* subdirs, marker, manifest */
    CHECK_ALL(metall_mpi_remove(local, MPI_COMM_WORLD));
    CHECK_ALL(metall_mpi_copy(shared, back, MPI_COMM_WORLD));
    path_of(mine, "node%d/restored", g_rank);
    path_of(sub, "node%d/restored/subdir-%d", g_rank, g_rank);
    CHECK_ALL(dir_entries(mine) == 3 && access(sub, F_OK) == 0);
    reopen_and_verify(back, 51);
    /* a snapshot to per-rank destinations works as well */
    char nl_snap[PATH_MAX];
    path_of(nl_snap, "node%%r/snap");
    h = metall_mpi_open(back, MPI_COMM_WORLD);
    CHECK_ALL(h != NULL);
    CHECK_ALL(metall_mpi_snapshot(h, nl_snap));
    CHECK_ALL(metall_mpi_close(h));
    reopen_and_verify(nl_snap, 51);
}

int main(int argc, char **argv)
{
    mpi_test_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_snapshot_and_restore, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_other_fs, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_enospc, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_errors, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_node_local_roots, scratch_setup, scratch_teardown),
    };
    int failed = cmocka_run_group_tests_name("mpi_snapshot", tests, NULL, NULL);
    return mpi_test_finish(failed);
}
