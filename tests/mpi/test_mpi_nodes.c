/*
 * test_mpi_nodes.c - one root name, several nodes: node-local roots (each
 * node its own directory under the same path) and a shared root seen from
 * every node, on one machine. Run with METALLC_MPI_TEST_NODES=2, which
 * makes the library take ranks of even and odd world rank for two nodes;
 * every process enters its own mount namespace before MPI_Init, and binds
 * its node's directory DIR/node-K onto DIR/local, so that DIR/local/ds is
 * node-local while DIR/pfs is shared. Checks that each directory gets one
 * marker, manifest and placement file listing exactly its own ranks, that
 * open, snapshot to the shared directory, copy back and remove work, and
 * that nothing of another node's ranks appears. Skips where mount
 * namespaces are not allowed.
 */
#include "mpi_test_util.h"

#include <sched.h>

#define N_VALUES 3000
#define NODES 2

static int g_ns_ok;

static int node_of(int rank)
{
    return rank % NODES;
}

/* Bind DIR/node-K onto DIR/local in this process's namespace. */
static int bind_local(void)
{
    char src[PATH_MAX], dst[PATH_MAX];
    path_of(src, "node-%d", node_of(g_rank));
    path_of(dst, "local");
    if (g_rank < NODES) {
        mkdir(src, 0755);
    }
    if (g_rank == 0)
        mkdir(dst, 0755);
    MPI_Barrier(MPI_COMM_WORLD);
    int ok = g_ns_ok && mount(src, dst, NULL, MS_BIND, NULL) == 0;
    if (!ok)
        fprintf(stderr, "rank %d: cannot bind %s on %s (%s): skipping\n", g_rank, src, dst,
                strerror(errno));
    return all_ranks(ok);
}

static void unbind_local(void)
{
    char dst[PATH_MAX];
    path_of(dst, "local");
    MPI_Barrier(MPI_COMM_WORLD);
    umount2(dst, MNT_DETACH);
    MPI_Barrier(MPI_COMM_WORLD);
}

/* Lines of a file that start with prefix (-1: no file). */
static int count_lines(const char *path, const char *prefix)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[8192];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += strncmp(line, prefix, strlen(prefix)) == 0;
    fclose(f);
    return n;
}

static int ranks_on_node(int node)
{
    int n = 0;
    for (int r = 0; r < g_size; r++)
        n += node_of(r) == node;
    return n;
}

static void test_node_local_same_name(void **state)
{
    (void)state;
    if (g_size < 2)
        skip();
    if (!bind_local())
        env_skip();
    char root[PATH_MAX], snap[PATH_MAX], back[PATH_MAX], p[PATH_MAX + 64];
    path_of(root, "local/ds");
    path_of(snap, "pfs/snap");
    path_of(back, "local/back");
    metall_mpi *h = metall_mpi_create(root, MPI_COMM_WORLD, NULL);
    CHECK_ALL(h != NULL);
    CHECK_ALL(write_values(metall_mpi_local(h), N_VALUES, 3));
    CHECK_ALL(metall_mpi_close(h));
    /* this node's directory lists this node's ranks only */
    int mine = ranks_on_node(node_of(g_rank));
    snprintf(p, sizeof p, "%s/metall_mpi_manifest", root);
    CHECK_ALL(count_lines(p, "rank ") == mine);
    snprintf(p, sizeof p, "%s/metall_mpi_placement", root);
    CHECK_ALL(count_lines(p, "") == mine + 1);
    CHECK_ALL(dir_entries(root) == mine + 3);
    CHECK_ALL(metall_mpi_partitions(root, MPI_COMM_WORLD) == g_size);
    CHECK_ALL(metall_mpi_consistent(root, MPI_COMM_WORLD));

    h = metall_mpi_open(root, MPI_COMM_WORLD);
    CHECK_ALL(h && values_ok(metall_mpi_local(h), N_VALUES, 3));
    CHECK_ALL(metall_mpi_placement(h) != NULL);
    /* node-local -> shared: one directory with every rank */
    CHECK_ALL(metall_mpi_snapshot(h, snap));
    CHECK_ALL(metall_mpi_close(h));
    snprintf(p, sizeof p, "%s/metall_mpi_manifest", snap);
    CHECK_ALL(count_lines(p, "rank ") == g_size);
    CHECK_ALL(dir_entries(snap) == g_size + 2);
    /* shared -> node-local again */
    CHECK_ALL(metall_mpi_copy(snap, back, MPI_COMM_WORLD));
    CHECK_ALL(dir_entries(back) == mine + 2);
    h = metall_mpi_open_read_only(back, MPI_COMM_WORLD);
    CHECK_ALL(h && values_ok(metall_mpi_local(h), N_VALUES, 3));
    CHECK_ALL(metall_mpi_close(h));

    CHECK_ALL(metall_mpi_remove(back, MPI_COMM_WORLD));
    CHECK_ALL(metall_mpi_remove(root, MPI_COMM_WORLD));
    CHECK_ALL(metall_mpi_remove(snap, MPI_COMM_WORLD));
    CHECK_ALL(access(root, F_OK) != 0 && access(snap, F_OK) != 0);
    unbind_local();
}

/* A shared root seen from two nodes: one writer, a complete manifest. */
static void test_shared_from_two_nodes(void **state)
{
    (void)state;
    char root[PATH_MAX], p[PATH_MAX + 64];
    path_of(root, "pfs/ds");
    metall_mpi *h = metall_mpi_create(root, MPI_COMM_WORLD, NULL);
    CHECK_ALL(h != NULL);
    CHECK_ALL(metall_mpi_close(h));
    snprintf(p, sizeof p, "%s/metall_mpi_manifest", root);
    CHECK_ALL(count_lines(p, "metall-c-mpi-manifest 1") == 1); /* complete: format 1 */
    CHECK_ALL(count_lines(p, "rank ") == g_size);
    h = metall_mpi_open(root, MPI_COMM_WORLD);
    CHECK_ALL(h != NULL);
    CHECK_ALL(metall_mpi_close(h));
    CHECK_ALL(metall_mpi_remove(root, MPI_COMM_WORLD));
    CHECK_ALL(access(root, F_OK) != 0);
}

int main(int argc, char **argv)
{
    /* before MPI starts its threads: a mount namespace of our own, whose
     * mounts do not propagate back */
    g_ns_ok = unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
    mpi_test_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_node_local_same_name, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test_setup_teardown(test_shared_from_two_nodes, scratch_setup,
                                        scratch_teardown),
    };
    int failed = cmocka_run_group_tests_name("mpi_nodes", tests, NULL, NULL);
    return mpi_test_finish(failed);
}
