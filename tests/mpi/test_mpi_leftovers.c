/*
 * test_mpi_leftovers.c - metall_mpi_remove removes what interrupted
 * operations of the library left (issue 12, case 12): the temporary root of
 * a snapshot during which a rank was killed (marker, finished and partial
 * subdirectories), and a root whose marker an interrupted remove deleted.
 * Run under mpiexec with 1, 2 and 4 ranks.
 */
#include "mpi_test_util.h"

#include <fcntl.h>

#define N_VALUES 5000

static void write_file(const char *path, const char *text, size_t bytes)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return;
    if (text && write(fd, text, strlen(text)) < 0)
        bytes = 0;
    if (bytes)
        (void)!ftruncate(fd, (off_t)bytes);
    close(fd);
}

/* The state a snapshot leaves when its last rank is killed while copying:
 * the temporary root with its marker, the finished subdirectories of the
 * other ranks, and the last rank's partial core temporary. */
static void make_interrupted_snapshot(const char *src, const char *troot)
{
    metall_mpi *h = metall_mpi_create(src, MPI_COMM_WORLD, NULL);
    CHECK_ALL(h != NULL);
    CHECK_ALL(write_values(metall_mpi_local(h), N_VALUES, 5));
    if (g_rank == 0) {
        char marker[PATH_MAX], text[64];
        mkdir(troot, 0755);
        snprintf(marker, sizeof marker, "%s/metall_mpi", troot);
        snprintf(text, sizeof text, "metall-c-mpi 1\npartitions %d\n", g_size);
        write_file(marker, text, 0);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    char sub[PATH_MAX];
    if (g_rank == g_size - 1) {
        char f[PATH_MAX];
        snprintf(sub, sizeof sub, "%s/subdir-%d.metall-tmp-4242-0badcafe", troot, g_rank);
        mkdir(sub, 0755);
        snprintf(f, sizeof f, "%s/segment", sub);
        mkdir(f, 0755);
        snprintf(f, sizeof f, "%s/segment/block-000000", sub);
        write_file(f, NULL, 1 << 20);
        CHECK_ALL(1);
    } else {
        snprintf(sub, sizeof sub, "%s/subdir-%d", troot, g_rank);
        CHECK_ALL(metall_snapshot(metall_mpi_local(h), sub));
    }
    CHECK_ALL(metall_mpi_close(h));
}

static void test_remove_interrupted_snapshot(void **state)
{
    (void)state;
    char src[PATH_MAX], troot[PATH_MAX];
    path_of(src, "src");
    path_of(troot, "snap.metall-mpi-tmp-00112233aabbccdd");
    make_interrupted_snapshot(src, troot);
    CHECK_ALL(metall_mpi_remove(troot, MPI_COMM_WORLD));
    CHECK_ALL(access(troot, F_OK) != 0 && errno == ENOENT);
    /* again: nothing there any more, said as such (not "not a datastore") */
    errno = 0;
    CHECK_ALL(!metall_mpi_remove(troot, MPI_COMM_WORLD));
    CHECK_ALL(errno == ENOENT);
    /* the source is untouched */
    CHECK_ALL(metall_mpi_consistent(src, MPI_COMM_WORLD));
}

/* A remove killed after it deleted manifest and marker: the next remove
 * finishes it, and leaves the user's own file. */
static void test_finish_interrupted_remove(void **state)
{
    (void)state;
    char root[PATH_MAX], p[PATH_MAX];
    path_of(root, "ds");
    metall_mpi *h = metall_mpi_create(root, MPI_COMM_WORLD, NULL);
    CHECK_ALL(h != NULL);
    CHECK_ALL(metall_mpi_close(h));
    if (g_rank == 0) {
        path_of(p, "ds/metall_mpi_manifest");
        unlink(p);
        path_of(p, "ds/metall_mpi");
        unlink(p);
        path_of(p, "ds/.metall_mpi.tmp-77-0123abcd");
        write_file(p, "metall-c-mpi 1\n", 0);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK_ALL(metall_mpi_remove(root, MPI_COMM_WORLD));
    CHECK_ALL(access(root, F_OK) != 0);

    /* with a file of the user's: removed but for that file */
    h = metall_mpi_create(root, MPI_COMM_WORLD, NULL);
    CHECK_ALL(h != NULL);
    CHECK_ALL(metall_mpi_close(h));
    path_of(p, "ds/notes.txt");
    if (g_rank == 0)
        write_file(p, "mine\n", 0);
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK_ALL(metall_mpi_remove(root, MPI_COMM_WORLD));
    CHECK_ALL(access(p, F_OK) == 0 && dir_entries(root) == 1);
    /* a directory without a marker holding the user's files: refused */
    errno = 0;
    CHECK_ALL(!metall_mpi_remove(root, MPI_COMM_WORLD));
    CHECK_ALL(errno == EINVAL && access(p, F_OK) == 0);
}

int main(int argc, char **argv)
{
    mpi_test_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_remove_interrupted_snapshot, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test_setup_teardown(test_finish_interrupted_remove, scratch_setup,
                                        scratch_teardown),
    };
    int failed = cmocka_run_group_tests_name("mpi_leftovers", tests, NULL, NULL);
    return mpi_test_finish(failed);
}
