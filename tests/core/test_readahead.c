/*
 * test_readahead.c - read-ahead on the heap's fresh blocks (segment.c):
 * off while the heap is small, on once it grew past 128 MiB with nothing
 * punched, off for every block from the first punch on; blocks of a
 * reopened datastore keep it. Read from the kernel's own account of the
 * mapping (the "rr" flag, MADV_RANDOM, in /proc/self/smaps).
 */
#include "test_util.h"

#include <stdint.h>

/* Does the mapping holding p carry VmFlags flag? -1 when p is not mapped. */
static int vma_has_flag(const void *p, const char *flag)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    assert_non_null(f);
    char line[512];
    int in = 0, found = -1;
    uintptr_t a = (uintptr_t)p;
    while (found < 0 && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) { /* a mapping's first line */
            in = a >= lo && a < hi;
            continue;
        }
        if (in && strncmp(line, "VmFlags:", 8) == 0) {
            char want[8];
            snprintf(want, sizeof want, " %s", flag);
            char *s = line + 7;
            found = 0;
            for (char *q = strstr(s, want); q; q = strstr(q + 1, want))
                if (q[strlen(want)] == ' ' || q[strlen(want)] == '\n')
                    found = 1;
        }
    }
    fclose(f);
    return found;
}

static void test_small_grown_punched(void **state)
{
    const char *p = tu_path(*state, "ds");
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    char *small = metall_malloc(m, 64);
    assert_non_null(small);
    small[0] = 1;
    /* a small heap: a first touch maps one page */
    assert_int_equal(vma_has_flag(small, "rr"), 1);

    /* past 128 MiB with nothing punched: read-ahead on, for block 0 too */
    size_t big_len = (size_t)160 << 20;
    char *big = metall_malloc(m, big_len);
    assert_non_null(big);
    assert_int_equal(vma_has_flag(small, "rr"), 0);
    assert_int_equal(vma_has_flag(big + big_len - 1, "rr"), 0);
    big[0] = big[big_len - 1] = 2;

    /* the first punch turns it off for every block, for good */
    metall_free(m, big);
    assert_true(metall_flush(m));
    assert_int_equal(vma_has_flag(small, "rr"), 1);
    char *again = metall_malloc(m, big_len);
    assert_non_null(again);
    assert_int_equal(vma_has_flag(again + big_len - 1, "rr"), 1);
    char *more = metall_malloc(m, big_len); /* grows into a new block */
    assert_non_null(more);
    assert_int_equal(vma_has_flag(more + big_len - 1, "rr"), 1);
    metall_free(m, again);
    metall_free(m, more);
    assert_true(metall_close(m));

    /* a reopened heap is read: its blocks keep read-ahead */
    m = metall_open(p);
    assert_non_null(m);
    char *x = metall_malloc(m, 64);
    assert_non_null(x);
    assert_int_equal(vma_has_flag(x, "rr"), 0);
    assert_true(metall_close(m));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_small_grown_punched, tu_setup, tu_teardown),
    };
    return cmocka_run_group_tests_name("core_readahead", tests, NULL, NULL);
}
