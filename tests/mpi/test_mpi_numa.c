/*
 * test_mpi_numa.c - NUMA placement of every rank's heap, under mpiexec
 * (mpiexec binds each rank to a core by default at these rank counts):
 * metall_mpi_options.local reaches every rank's metall_create_ex (policy,
 * node, capacity), with METALL_NUMA_LOCAL every resident page of a rank's
 * 16 MiB lands on the NUMA node(s) of that rank's binding (checked with
 * metall_numa_pages, against nodes computed here from hwloc), and the
 * placement report (metall_mpi_placement, ROOT/metall_mpi_placement,
 * metall-mpi-ls) gives each rank's real cpuset and node.
 */
#include "mpi_test_util.h"

#include <hwloc.h>

#define MIB (1024u * 1024u)

/* This rank's binding as the library must see it: the thread's, else the
 * process's, else the machine; its NUMA nodes by OS index (what
 * metall_numa_pages counts by) and by logical index (what reports show). */
struct binding {
    char cpuset[1024];
    char nodes_logical[256];
    hwloc_nodeset_t nodes_os;
    int lowest;
};

static void get_binding(struct binding *b)
{
    hwloc_topology_t t;
    assert_int_equal(hwloc_topology_init(&t), 0);
    assert_int_equal(hwloc_topology_load(t), 0);
    hwloc_cpuset_t set = hwloc_bitmap_alloc();
    if (hwloc_get_cpubind(t, set, HWLOC_CPUBIND_THREAD) != 0 &&
        hwloc_get_cpubind(t, set, HWLOC_CPUBIND_PROCESS) != 0)
        hwloc_bitmap_copy(set, hwloc_topology_get_topology_cpuset(t));
    hwloc_bitmap_list_snprintf(b->cpuset, sizeof b->cpuset, set);
    b->nodes_os = hwloc_bitmap_alloc();
    hwloc_cpuset_to_nodeset(t, set, b->nodes_os);
    hwloc_bitmap_t logical = hwloc_bitmap_alloc();
    unsigned os;
    hwloc_bitmap_foreach_begin(os, b->nodes_os)
    {
        hwloc_obj_t n = hwloc_get_numanode_obj_by_os_index(t, os);
        assert_non_null(n);
        hwloc_bitmap_set(logical, n->logical_index);
    }
    hwloc_bitmap_foreach_end();
    b->lowest = hwloc_bitmap_first(logical);
    hwloc_bitmap_list_snprintf(b->nodes_logical, sizeof b->nodes_logical, logical);
    hwloc_bitmap_free(logical);
    hwloc_bitmap_free(set);
    hwloc_topology_destroy(t);
}

/* LOCAL: each rank writes 16 MiB; every resident page of its heap is on
 * its own node(s). */
static void test_local_pages(void **state)
{
    char root[PATH_MAX];
    path_of(root, "local");
    struct binding b;
    get_binding(&b);
    metall_mpi_options opt = {.local = {.numa = METALL_NUMA_LOCAL}};
    metall_mpi *h = metall_mpi_create(root, MPI_COMM_WORLD, &opt);
    CHECK_ALL(h != NULL);
    metall_manager *m = metall_mpi_local(h);
    unsigned char *p = metall_named_malloc(m, "big", 16 * MIB);
    CHECK_ALL(p != NULL);
    for (size_t i = 0; p && i < 16 * MIB; i += 4096)
        p[i] = (unsigned char)(i >> 12 | 1);
    size_t pages[64] = {0};
    int nodes = metall_numa_pages(m, pages, 64);
    CHECK_ALL(nodes >= 1 && nodes <= 64);
    size_t local = 0, other = 0;
    for (int n = 0; n < nodes && n < 64; n++) {
        if (hwloc_bitmap_isset(b.nodes_os, (unsigned)n))
            local += pages[n];
        else
            other += pages[n];
    }
    print_message("rank %d: cpuset %s, nodes %s: %zu pages local, %zu elsewhere (%d nodes)\n",
                  g_rank, b.cpuset, b.nodes_logical, local, other, nodes);
    CHECK_ALL(local >= 16 * MIB / 4096); /* the 16 MiB are resident ... */
    CHECK_ALL(other == 0);               /* ... and none of it elsewhere */
    const char *line = metall_mpi_placement(h);
    CHECK_ALL(line != NULL && strstr(line, "policy local") != NULL);
    char want[1200];
    snprintf(want, sizeof want, "rank %d on %s: cpuset %s, NUMA node(s) %s,", g_rank, g_host,
             b.cpuset, b.nodes_logical);
    CHECK_ALL(line != NULL && strncmp(line, want, strlen(want)) == 0);
    CHECK_ALL(metall_mpi_close(h));
    CHECK_ALL(metall_mpi_remove(root, MPI_COMM_WORLD));
    CHECK_ALL(access(root, F_OK) != 0); /* the reports went too */
    hwloc_bitmap_free(b.nodes_os);
}

/* The local options are really passed through: a node that does not
 * exist fails on every rank with the core's EINVAL, a small capacity
 * refuses a big allocation, and the policy is what the report records. */
static void test_options_pass_through(void **state)
{
    char root[PATH_MAX];
    path_of(root, "opts");
    metall_mpi_options opt = {.local = {.numa = METALL_NUMA_NODE, .numa_node = 999}};
    errno = 0;
    CHECK_ALL(metall_mpi_create(root, MPI_COMM_WORLD, &opt) == NULL);
    CHECK_ALL(errno == EINVAL);
    CHECK_ALL(strstr(metall_errmsg(), "NUMA node 999") != NULL);
    CHECK_ALL(access(root, F_OK) != 0); /* nothing left behind */

    opt.local.numa_node = 0;
    opt.local.capacity = 64 * MIB;
    metall_mpi *h = metall_mpi_create(root, MPI_COMM_WORLD, &opt);
    CHECK_ALL(h != NULL);
    CHECK_ALL(strstr(metall_mpi_placement(h), "policy node:0") != NULL);
    CHECK_ALL(metall_malloc(metall_mpi_local(h), 256 * MIB) == NULL);
    CHECK_ALL(metall_malloc(metall_mpi_local(h), 1 * MIB) != NULL);
    CHECK_ALL(metall_mpi_close(h));
    /* reopened: the recorded placement comes back */
    h = metall_mpi_open_read_only(root, MPI_COMM_WORLD);
    CHECK_ALL(h != NULL && metall_mpi_placement(h) != NULL &&
              strstr(metall_mpi_placement(h), "policy node:0") != NULL);
    CHECK_ALL(metall_mpi_close(h));
    CHECK_ALL(metall_mpi_remove(root, MPI_COMM_WORLD));
}

/* %n expands to the rank's node; metall-mpi-ls lists every rank's cpuset
 * and node(s) as hwloc gives them here. */
static void test_ls_placement(void **state)
{
    struct binding b;
    get_binding(&b);
    char tmpl[PATH_MAX], root[PATH_MAX];
    path_of(tmpl, "pmem%%n/ds");
    metall_mpi *h = metall_mpi_create(tmpl, MPI_COMM_WORLD, NULL);
    CHECK_ALL(h != NULL);
    path_of(root, "pmem%d/ds", b.lowest);
    char sub[PATH_MAX + 16];
    snprintf(sub, sizeof sub, "%s/subdir-%d", root, g_rank);
    CHECK_ALL(strcmp(metall_mpi_local_path(h), sub) == 0);
    CHECK_ALL(metall_mpi_close(h));

    /* rank 0 checks every rank's line, all on this one host and root */
    char mine[2048], *all = g_rank == 0 ? malloc((size_t)g_size * sizeof mine) : NULL;
    snprintf(mine, sizeof mine, "%d %s %s %s none %s", g_rank, g_host, b.cpuset,
             b.nodes_logical, sub);
    MPI_Gather(mine, sizeof mine, MPI_CHAR, all, sizeof mine, MPI_CHAR, 0, MPI_COMM_WORLD);
    int ok = 1;
    if (g_rank == 0) {
        char cmd[PATH_MAX + 64], line[8192];
        snprintf(cmd, sizeof cmd, "'%s' '%s'", METALL_MPI_LS, root);
        FILE *f = popen(cmd, "r");
        ok = f != NULL;
        int in_section = 0, found = 0;
        while (f && fgets(line, sizeof line, f)) {
            fputs(line, stdout);
            if (strncmp(line, "placement (recorded at create)", 30) == 0) {
                in_section = 1;
                continue;
            }
            int r;
            char host[256], cpus[1024], nodes[256], pol[64], path[PATH_MAX];
            if (!in_section ||
                sscanf(line, "%d %255s %1023s %255s %63s %4095s", &r, host, cpus, nodes, pol,
                       path) != 6 ||
                r < 0 || r >= g_size)
                continue;
            char got[2048];
            snprintf(got, sizeof got, "%d %s %s %s %s %s", r, host, cpus, nodes, pol, path);
            const char *want = all + (size_t)r * sizeof mine;
            if (strcmp(got, want) != 0) {
                print_error("rank %d: metall-mpi-ls says \"%s\", want \"%s\"\n", r, got, want);
                ok = 0;
            }
            found++;
        }
        ok &= f && pclose(f) == 0 && found == g_size;
        if (found != g_size)
            print_error("metall-mpi-ls listed %d placements, want %d\n", found, g_size);
    }
    free(all);
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    CHECK_ALL(ok);
    CHECK_ALL(metall_mpi_remove(tmpl, MPI_COMM_WORLD));
}

/* Whether ROOT/metall_mpi_placement has a line for rank r. */
static int has_report(const char *root, int r)
{
    char p[PATH_MAX + 32], line[8192], want[32];
    snprintf(p, sizeof p, "%s/metall_mpi_placement", root);
    snprintf(want, sizeof want, "%d\t", r);
    FILE *f = fopen(p, "r");
    int found = 0;
    while (f && fgets(line, sizeof line, f))
        found |= strncmp(line, want, strlen(want)) == 0;
    if (f)
        fclose(f);
    return found;
}

/* Replacing a datastore of more ranks by one of fewer: the leftover
 * ranks' reports go with their subdirectories. */
static void test_overwrite_fewer_ranks(void **state)
{
    if (g_size < 2) {
        print_message("needs 2 ranks: skipped\n");
        return;
    }
    char root[PATH_MAX];
    path_of(root, "shrink");
    metall_mpi *h = metall_mpi_create(root, MPI_COMM_WORLD, NULL);
    CHECK_ALL(h != NULL);
    CHECK_ALL(metall_mpi_close(h));
    CHECK_ALL(has_report(root, g_size - 1));
    MPI_Barrier(MPI_COMM_WORLD);
    int ok = 1;
    if (g_rank == 0) {
        metall_mpi_options opt = {.overwrite = true};
        h = metall_mpi_create(root, MPI_COMM_SELF, &opt);
        ok = h != NULL && metall_mpi_close(h) && !has_report(root, g_size - 1);
        ok = ok && has_report(root, 0);
        ok = ok && metall_mpi_remove(root, MPI_COMM_SELF) && access(root, F_OK) != 0;
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    CHECK_ALL(ok);
}

int main(int argc, char **argv)
{
    mpi_test_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_local_pages, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_options_pass_through, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test_setup_teardown(test_ls_placement, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_overwrite_fewer_ranks, scratch_setup,
                                        scratch_teardown),
    };
    int failed = cmocka_run_group_tests_name("mpi_numa", tests, NULL, NULL);
    return mpi_test_finish(failed);
}
