/*
 * test_mpi_placement.c - the MPI layer's placement logic without MPI (label
 * core): the NUMA node that %n expands to, decided on synthetic and XML
 * topologies of several NUMA nodes (so it runs on a one-node machine), the
 * expansion of root templates, and the per-rank placement report file.
 * Compiles mpi/placement.c and mpi/rootfs.c in.
 */
#include "placement.h"
#include "rootfs.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[PATH_MAX];

static int setup(void **state)
{
    const char *base = getenv("METALLC_TEST_TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/mpi-placement-XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

#ifdef METALLC_HAVE_HWLOC

/* 2 packages x 2 NUMA nodes x 2 cores of 1 PU: PUs 0-1 node 0, 2-3 node 1,
 * 4-5 node 2, 6-7 node 3. */
#define TWO_SOCKETS "pack:2 numa:2 core:2 pu:1"

static hwloc_topology_t synthetic(const char *desc)
{
    hwloc_topology_t t;
    assert_int_equal(hwloc_topology_init(&t), 0);
    assert_int_equal(hwloc_topology_set_synthetic(t, desc), 0);
    assert_int_equal(hwloc_topology_load(t), 0);
    return t;
}

static void expect_node(hwloc_topology_t t, const char *cpus, int node, const char *nodes)
{
    hwloc_bitmap_t c = hwloc_bitmap_alloc();
    assert_non_null(c);
    assert_int_equal(hwloc_bitmap_list_sscanf(c, cpus), 0);
    int got = mm_numa_node_of_cpuset(t, c);
    if (got != node)
        fail_msg("cpuset %s: node %d, want %d", cpus, got, node);
    struct mm_where w;
    memset(&w, 0, sizeof w);
    mm_where_of(t, c, &w);
    assert_int_equal(w.node, node);
    if (strcmp(w.nodes, nodes) != 0)
        fail_msg("cpuset %s: nodes \"%s\", want \"%s\"", cpus, w.nodes, nodes);
    /* the cpuset as hwloc prints it */
    char *want = NULL;
    assert_true(hwloc_bitmap_list_asprintf(&want, c) >= 0);
    assert_string_equal(w.cpuset, want);
    free(want);
    hwloc_bitmap_free(c);
}

static void check_two_sockets(hwloc_topology_t t)
{
    assert_int_equal(hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE), 4);
    expect_node(t, "0", 0, "0");
    expect_node(t, "1", 0, "0");
    expect_node(t, "2", 1, "1");
    expect_node(t, "3", 1, "1");
    expect_node(t, "5", 2, "2");
    expect_node(t, "7", 3, "3");
    /* a rank bound to a socket (--bind-to socket) spans two nodes: the
     * lowest */
    expect_node(t, "4-7", 2, "2-3");
    expect_node(t, "0-3", 0, "0-1");
    /* bound across sockets, or not bound at all: the lowest */
    expect_node(t, "3-4", 1, "1-2");
    expect_node(t, "6,1", 0, "0,3");
    expect_node(t, "0-7", 0, "0-3");
    /* a cpuset outside the machine: node 0 (one valid node) */
    expect_node(t, "100", 0, "0");
}

static void test_node_synthetic(void **state)
{
    hwloc_topology_t t = synthetic(TWO_SOCKETS);
    check_two_sockets(t);
    hwloc_topology_destroy(t);
}

/* The same decisions on the topology exported to XML and read back (what
 * HWLOC_XMLFILE substitutes for a real machine's topology). */
static void test_node_xml(void **state)
{
    hwloc_topology_t t = synthetic(TWO_SOCKETS);
    char *xml = NULL;
    int len = 0;
    assert_int_equal(hwloc_topology_export_xmlbuffer(t, &xml, &len, 0), 0);
    assert_non_null(xml);
    hwloc_topology_t x;
    assert_int_equal(hwloc_topology_init(&x), 0);
    assert_int_equal(hwloc_topology_set_xmlbuffer(x, xml, len), 0);
    assert_int_equal(hwloc_topology_load(x), 0);
    hwloc_free_xmlbuffer(t, xml);
    hwloc_topology_destroy(t);
    check_two_sockets(x);
    hwloc_topology_destroy(x);
}

/* Nodes numbered out of order by the OS: %n is the logical index (the
 * same numbering as metall_options::numa_node). 4 nodes of 1 PU whose OS
 * indexes are reversed. */
static void test_node_logical(void **state)
{
    hwloc_topology_t t = synthetic("numa:4(indexes=3,2,1,0) pu:1");
    hwloc_obj_t n0 = hwloc_get_obj_by_type(t, HWLOC_OBJ_NUMANODE, 0);
    assert_non_null(n0);
    assert_int_equal(n0->os_index, 3);
    expect_node(t, "0", 0, "0");
    expect_node(t, "3", 3, "3");
    expect_node(t, "2-3", 2, "2-3");
    hwloc_topology_destroy(t);
}

/* A machine without NUMA information (no NUMA level in the description:
 * hwloc adds one node for the whole machine). */
static void test_node_single(void **state)
{
    hwloc_topology_t t = synthetic("pack:1 core:4 pu:1");
    expect_node(t, "2", 0, "0");
    expect_node(t, "0-3", 0, "0");
    hwloc_topology_destroy(t);
}

#endif /* METALLC_HAVE_HWLOC */

/* This process on the real machine: a valid node and a cpuset it can be
 * bound to. */
static void test_where_of_self(void **state)
{
    struct mm_where w;
    mm_where_of_self(&w);
    assert_true(w.node >= 0);
    assert_int_equal(mm_numa_node_of_self(), w.node);
    assert_true(strlen(w.cpuset) > 0);
    assert_string_not_equal(w.cpuset, "?");
    /* CPU 0 or the first CPU we may run on starts the list */
    assert_true(w.cpuset[0] >= '0' && w.cpuset[0] <= '9');
}

static void expect_expand(const char *tmpl, int rank, const char *host, int numa,
                          const char *want)
{
    char out[PATH_MAX];
    int rc = mm_expand(tmpl, rank, host, numa, out, sizeof out);
    if (rc != 0)
        fail_msg("%s: error %d", tmpl, rc);
    assert_string_equal(out, want);
}

static void test_expand(void **state)
{
    expect_expand("/mnt/pmem%n/ds", 5, "node7", 2, "/mnt/pmem2/ds");
    expect_expand("/local/%h/r%r/n%n", 12, "node7", 1, "/local/node7/r12/n1");
    expect_expand("/a/100%%/%r%%%n", 3, "h", 0, "/a/100%/3%0");
    expect_expand("/plain", 3, "h", 0, "/plain");
    expect_expand("%h%h", 0, "ab", 0, "abab");
    char out[16];
    assert_int_equal(mm_expand("/x/%q", 0, "h", 0, out, sizeof out), EINVAL);
    assert_int_equal(mm_expand("/x/%", 0, "h", 0, out, sizeof out), EINVAL);
    assert_int_equal(mm_expand("/a-long-root/%h", 0, "a-long-host-name", 0, out, sizeof out),
                     ENAMETOOLONG);
    /* exactly full: 15 characters and the NUL */
    assert_int_equal(mm_expand("/123456789/%r%r", 12, "h", 0, out, sizeof out), 0);
    assert_string_equal(out, "/123456789/1212");
    assert_int_equal(mm_expand("/123456789/%r%r", 123, "h", 0, out, sizeof out), ENAMETOOLONG);
}

static void test_report_roundtrip(void **state)
{
    struct mm_placement p, q;
    memset(&p, 0, sizeof p);
    p.rank = 3;
    snprintf(p.host, sizeof p.host, "node7");
    snprintf(p.cpuset, sizeof p.cpuset, "12-15,28");
    snprintf(p.nodes, sizeof p.nodes, "1-2");
    p.node = 1;
    snprintf(p.policy, sizeof p.policy, "node:1");
    snprintf(p.path, sizeof p.path, "/mnt/pmem 1/my ds/subdir-3");
    assert_int_equal(mm_write_placement(tmpdir, &p), 0);
    char why[MM_WHY_MAX], file[PATH_MAX];
    assert_int_equal(mm_read_placement(tmpdir, 3, &q, why, sizeof why), 0);
    assert_int_equal(q.rank, 3);
    assert_int_equal(q.node, 1);
    assert_string_equal(q.host, "node7");
    assert_string_equal(q.cpuset, "12-15,28");
    assert_string_equal(q.nodes, "1-2");
    assert_string_equal(q.policy, "node:1");
    assert_string_equal(q.path, "/mnt/pmem 1/my ds/subdir-3"); /* spaces kept */
    char line[8192];
    mm_placement_format(&q, line, sizeof line);
    assert_string_equal(line, "rank 3 on node7: cpuset 12-15,28, NUMA node(s) 1-2, policy "
                              "node:1, datastore /mnt/pmem 1/my ds/subdir-3");
    assert_int_equal(mm_placement_path(file, sizeof file, tmpdir, 3), 0);
    assert_int_equal(access(file, F_OK), 0);

    /* absent: ENOENT; another rank's file under this name, or not a report:
     * EBADMSG with the file named */
    assert_int_equal(mm_read_placement(tmpdir, 4, &q, why, sizeof why), ENOENT);
    char other[PATH_MAX];
    assert_int_equal(mm_placement_path(other, sizeof other, tmpdir, 5), 0);
    assert_int_equal(rename(file, other), 0);
    assert_int_equal(mm_read_placement(tmpdir, 5, &q, why, sizeof why), EBADMSG);
    assert_non_null(strstr(why, "placement-5"));
    FILE *f = fopen(other, "w");
    assert_non_null(f);
    fputs("garbage\n", f);
    fclose(f);
    assert_int_equal(mm_read_placement(tmpdir, 5, &q, why, sizeof why), EBADMSG);

    /* a later version's keys are ignored; missing keys read as "?" */
    f = fopen(other, "w");
    assert_non_null(f);
    fputs("metall-c-mpi-placement 1\nrank 5\nhost h\nfuture_key 42\n", f);
    fclose(f);
    assert_int_equal(mm_read_placement(tmpdir, 5, &q, why, sizeof why), 0);
    assert_string_equal(q.host, "h");
    assert_string_equal(q.cpuset, "?");
    assert_string_equal(q.path, "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#ifdef METALLC_HAVE_HWLOC
        cmocka_unit_test(test_node_synthetic),
        cmocka_unit_test(test_node_xml),
        cmocka_unit_test(test_node_logical),
        cmocka_unit_test(test_node_single),
#endif
        cmocka_unit_test(test_where_of_self),
        cmocka_unit_test(test_expand),
        cmocka_unit_test_setup_teardown(test_report_roundtrip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
