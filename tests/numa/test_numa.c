/*
 * test_numa.c - NUMA placement: the decisions on synthetic multi-socket
 * topologies (so they run on a one-node machine), where pages really land
 * on this machine (metall_numa_pages), and ENOTSUP without hwloc.
 */
#include <metall/metall.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "numa.h"

static char tmpdir[4096];

static int setup(void **state)
{
    const char *base = getenv("METALLC_TEST_TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/numa-XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

#ifdef METALLC_HAVE_HWLOC

/* 2 packages x 2 NUMA nodes x 2 cores: PUs 0-3 in package 0 (nodes 0,1),
 * PUs 4-7 in package 1 (nodes 2,3). */
static hwloc_topology_t synthetic(const char *desc)
{
    hwloc_topology_t t;
    assert_int_equal(hwloc_topology_init(&t), 0);
    assert_int_equal(hwloc_topology_set_synthetic(t, desc), 0);
    assert_int_equal(hwloc_topology_load(t), 0);
    return t;
}

static void expect_nodes(hwloc_topology_t t, const char *cpus, metall_numa_policy pol, int node,
                         const char *want)
{
    hwloc_bitmap_t c = hwloc_bitmap_alloc(), out = hwloc_bitmap_alloc(),
                   w = hwloc_bitmap_alloc();
    assert_int_equal(hwloc_bitmap_list_sscanf(c, cpus), 0);
    assert_int_equal(hwloc_bitmap_list_sscanf(w, want), 0);
    assert_int_equal(mc_numa_choose(t, c, pol, node, out), 0);
    char got[64];
    hwloc_bitmap_list_snprintf(got, sizeof got, out);
    if (!hwloc_bitmap_isequal(out, w))
        fail_msg("cpus %s policy %d node %d: got nodes %s, want %s", cpus, (int)pol, node, got,
                 want);
    hwloc_bitmap_free(c);
    hwloc_bitmap_free(out);
    hwloc_bitmap_free(w);
}

static void check_two_sockets(hwloc_topology_t t)
{
    assert_int_equal(hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE), 4);
    expect_nodes(t, "0", METALL_NUMA_LOCAL, 0, "0");
    expect_nodes(t, "3", METALL_NUMA_LOCAL, 0, "1");
    expect_nodes(t, "5", METALL_NUMA_LOCAL, 0, "2");
    expect_nodes(t, "0,7", METALL_NUMA_LOCAL, 0, "0,3");
    expect_nodes(t, "1", METALL_NUMA_INTERLEAVE, 0, "0-1");
    expect_nodes(t, "6", METALL_NUMA_INTERLEAVE, 0, "2-3");
    expect_nodes(t, "2,4", METALL_NUMA_INTERLEAVE, 0, "0-3");
    expect_nodes(t, "0", METALL_NUMA_NODE, 3, "3");
    expect_nodes(t, "0-7", METALL_NUMA_NONE, 0, "0-3");
    hwloc_bitmap_t c = hwloc_bitmap_alloc(), out = hwloc_bitmap_alloc();
    hwloc_bitmap_only(c, 0);
    errno = 0;
    assert_int_equal(mc_numa_choose(t, c, METALL_NUMA_NODE, 4, out), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(mc_numa_choose(t, c, METALL_NUMA_NODE, -1, out), -1);
    hwloc_bitmap_free(c);
    hwloc_bitmap_free(out);
}

static void test_choose_synthetic(void **state)
{
    hwloc_topology_t t = synthetic("pack:2 numa:2 core:2 pu:1");
    check_two_sockets(t);
    hwloc_topology_destroy(t);
}

/* The same machine through hwloc's XML path (as HWLOC_XMLFILE would). */
static void test_choose_xml(void **state)
{
    hwloc_topology_t t = synthetic("pack:2 numa:2 core:2 pu:1");
    char *xml;
    int len;
    assert_int_equal(hwloc_topology_export_xmlbuffer(t, &xml, &len, 0), 0);
    hwloc_topology_t x;
    assert_int_equal(hwloc_topology_init(&x), 0);
    assert_int_equal(hwloc_topology_set_xmlbuffer(x, xml, len), 0);
    assert_int_equal(hwloc_topology_load(x), 0);
    check_two_sockets(x);
    hwloc_free_xmlbuffer(t, xml);
    hwloc_topology_destroy(x);
    hwloc_topology_destroy(t);
}

/* A 3-node single-package machine: interleave spans the package. */
static void test_choose_single_package(void **state)
{
    hwloc_topology_t t = synthetic("pack:1 numa:3 core:2 pu:1");
    expect_nodes(t, "0", METALL_NUMA_LOCAL, 0, "0");
    expect_nodes(t, "5", METALL_NUMA_LOCAL, 0, "2");
    expect_nodes(t, "0", METALL_NUMA_INTERLEAVE, 0, "0-2");
    hwloc_topology_destroy(t);
}

/* On this machine: a LOCAL heap's pages are all on the local node(s). */
static void test_local_pages_land_local(void **state)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/local", tmpdir);
    metall_options o = {0};
    o.numa = METALL_NUMA_LOCAL;
    metall_manager *m = metall_create_ex(path, &o);
    assert_non_null(m);
    size_t bytes = 32u << 20;
    char *p = metall_malloc(m, bytes);
    assert_non_null(p);
    memset(p, 1, bytes);
    size_t pages[64];
    int nodes = metall_numa_pages(m, pages, 64);
    assert_true(nodes >= 1);
    /* which nodes are local to this thread */
    hwloc_topology_t t;
    hwloc_topology_init(&t);
    hwloc_topology_load(t);
    hwloc_cpuset_t c = hwloc_bitmap_alloc();
    hwloc_nodeset_t local = hwloc_bitmap_alloc();
    hwloc_get_cpubind(t, c, HWLOC_CPUBIND_THREAD);
    hwloc_cpuset_to_nodeset(t, c, local);
    size_t total = 0, on_local = 0;
    for (int i = 0; i < nodes && i < 64; i++) {
        total += pages[i];
        if (hwloc_bitmap_isset(local, (unsigned)i))
            on_local += pages[i];
    }
    print_message("resident heap pages: %zu, on local nodes: %zu (of %d nodes)\n", total,
                  on_local, nodes);
    assert_true(total >= bytes / 4096);
    assert_int_equal(on_local, total);
    hwloc_bitmap_free(c);
    hwloc_bitmap_free(local);
    hwloc_topology_destroy(t);
    assert_true(metall_close(m));
}

static void test_bad_node(void **state)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/badnode", tmpdir);
    metall_options o = {0};
    o.numa = METALL_NUMA_NODE;
    o.numa_node = 4096;
    errno = 0;
    assert_null(metall_create_ex(path, &o));
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(metall_errmsg(), "NUMA node"));
    assert_int_equal(access(path, F_OK), -1); /* nothing created */
}

#else

static void test_enotsup_without_hwloc(void **state)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/nohwloc", tmpdir);
    metall_options o = {0};
    o.numa = METALL_NUMA_LOCAL;
    errno = 0;
    assert_null(metall_create_ex(path, &o));
    assert_int_equal(errno, ENOTSUP);
    assert_non_null(strstr(metall_errmsg(), "hwloc"));
    o.numa = METALL_NUMA_NONE;
    metall_manager *m = metall_create_ex(path, &o);
    assert_non_null(m);
    assert_true(metall_close(m));
}

#endif

static void test_numa_pages_args(void **state)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/args", tmpdir);
    metall_manager *m = metall_create(path);
    assert_non_null(m);
    int n = metall_numa_pages(m, NULL, 0);
    assert_true(n >= 1);
    errno = 0;
    assert_int_equal(metall_numa_pages(NULL, NULL, 0), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(metall_numa_pages(m, NULL, 4), -1);
    assert_true(metall_close(m));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#ifdef METALLC_HAVE_HWLOC
        cmocka_unit_test(test_choose_synthetic),
        cmocka_unit_test(test_choose_xml),
        cmocka_unit_test(test_choose_single_package),
        cmocka_unit_test(test_local_pages_land_local),
        cmocka_unit_test(test_bad_node),
#else
        cmocka_unit_test(test_enotsup_without_hwloc),
#endif
        cmocka_unit_test(test_numa_pages_args),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
