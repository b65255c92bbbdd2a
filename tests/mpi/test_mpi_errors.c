/*
 * test_mpi_errors.c - what metall_errmsg() says after a collective failure
 * (issue 12, case 13): every failing rank is named, in compressed lists
 * ("ranks 0-10"); when one rank passes a different path, only that rank
 * fails and the message shows it and its path; the rarest cause first.
 * Run with 2, 4 and 12 ranks (12: the case of the issue).
 */
#include "mpi_test_util.h"

static int contains(const char *needle)
{
    return strstr(metall_errmsg(), needle) != NULL;
}

/* The last rank passes another root: it alone fails, named with its path,
 * and the message says what the others passed. */
static void test_odd_root_out(void **state)
{
    (void)state;
    if (g_size < 2)
        skip();
    char root[PATH_MAX], odd[PATH_MAX], want[PATH_MAX + 64];
    path_of(root, "ds");
    path_of(odd, "ds-odd-one");
    int culprit = g_size - 1;
    errno = 0;
    metall_mpi *h = metall_mpi_create(g_rank == culprit ? odd : root, MPI_COMM_WORLD, NULL);
    CHECK_ALL(h == NULL);
    CHECK_ALL(errno == EINVAL);
    snprintf(want, sizeof want, "failed on 1 of %d ranks (rank %d)", g_size, culprit);
    CHECK_ALL(contains(want));
    snprintf(want, sizeof want, "rank %d (%s)", culprit, g_host);
    CHECK_ALL(contains(want));
    CHECK_ALL(contains(odd));
    if (g_size > 2)
        CHECK_ALL(contains(root));
    /* the same text on every rank */
    unsigned long long hsh = 1469598103934665603ull, mx = 0, mn = 0;
    for (const char *p = metall_errmsg(); *p; p++)
        hsh = (hsh ^ (unsigned char)*p) * 1099511628211ull;
    MPI_Allreduce(&hsh, &mx, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
    MPI_Allreduce(&hsh, &mn, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, MPI_COMM_WORLD);
    CHECK_ALL(mx == mn);
}

/* Rank 0 is the odd one out (a majority exists from 3 ranks on). */
static void test_odd_rank0(void **state)
{
    (void)state;
    if (g_size < 3)
        skip();
    char root[PATH_MAX], odd[PATH_MAX], want[128];
    path_of(root, "ds");
    path_of(odd, "elsewhere");
    CHECK_ALL(metall_mpi_create(g_rank == 0 ? odd : root, MPI_COMM_WORLD, NULL) == NULL);
    snprintf(want, sizeof want, "failed on 1 of %d ranks (rank 0)", g_size);
    CHECK_ALL(contains(want));
    CHECK_ALL(contains(odd));
}

/* The same cause on every rank: one compressed list, the cause once. A
 * datastore of one partition opened by all ranks: each finds the count
 * wrong. */
static void test_same_cause_compressed(void **state)
{
    (void)state;
    if (g_size < 2)
        skip();
    char root[PATH_MAX], want[128];
    path_of(root, "one");
    int ok = 1;
    if (g_rank == 0) {
        metall_mpi *h = metall_mpi_create(root, MPI_COMM_SELF, NULL);
        ok = h && metall_mpi_close(h);
    }
    CHECK_ALL(all_ranks(ok));
    errno = 0;
    CHECK_ALL(metall_mpi_open(root, MPI_COMM_WORLD) == NULL);
    CHECK_ALL(errno == ERANGE);
    snprintf(want, sizeof want, "failed on %d of %d ranks (ranks 0-%d): ranks 0-%d (%s): ",
             g_size, g_size, g_size - 1, g_size - 1, g_host);
    CHECK_ALL(contains(want));
    const char *first = strstr(metall_errmsg(), "holds 1 partitions");
    CHECK_ALL(first && !strstr(first + 1, "holds 1 partitions"));
}

/* Every odd rank lacks its subdirectory: all of them named, each cause
 * (its own path) shown. */
static void test_every_failing_rank_named(void **state)
{
    (void)state;
    if (g_size < 2)
        skip();
    char root[PATH_MAX], sub[PATH_MAX], want[128];
    path_of(root, "ds");
    metall_mpi *h = metall_mpi_create(root, MPI_COMM_WORLD, NULL);
    CHECK_ALL(h != NULL);
    CHECK_ALL(metall_mpi_close(h));
    path_of(sub, "ds/subdir-%d", g_rank);
    if (g_rank % 2)
        CHECK_ALL(metall_remove(sub));
    else
        CHECK_ALL(1);
    CHECK_ALL(metall_mpi_open(root, MPI_COMM_WORLD) == NULL);
    int odd = g_size / 2, last = g_size % 2 ? g_size - 2 : g_size - 1;
    if (odd == 1)
        snprintf(want, sizeof want, "(rank 1)");
    else if (odd == 2)
        snprintf(want, sizeof want, "(ranks 1,3)");
    else
        snprintf(want, sizeof want, "(ranks 1-%d step 2)", last);
    CHECK_ALL(contains(want));
    for (int r = 1; r < g_size; r += 2) {
        path_of(sub, "ds/subdir-%d ", r);
        CHECK_ALL(contains(sub));
    }
}

int main(int argc, char **argv)
{
    mpi_test_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_odd_root_out, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_odd_rank0, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_same_cause_compressed, scratch_setup,
                                        scratch_teardown),
        cmocka_unit_test_setup_teardown(test_every_failing_rank_named, scratch_setup,
                                        scratch_teardown),
    };
    int failed = cmocka_run_group_tests_name("mpi_errors", tests, NULL, NULL);
    return mpi_test_finish(failed);
}
