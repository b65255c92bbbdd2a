/*
 * test_close_cost.c - close right after a flush costs what changed since the
 * flush, not what the heap holds.
 *
 * Counted, not timed: this program interposes fallocate() and fsync() (the
 * library's calls resolve to the definitions below, which count and then
 * call the C library's), so the verdict does not depend on the machine's
 * speed or load. Two heaps, one 12x the other, are built the same way:
 * 64-byte objects, with one page's worth of slots freed in every chunk (so
 * every chunk has a free page to trim), then flushed; then the same change
 * (one more page of slots freed in the first chunk, a few new objects);
 * then closed. The hole punches, disk reservations and fsyncs that close
 * issues must be the same for both heaps, and few. Before incremental
 * trimming, close punched the free pages of every chunk again: a count
 * growing with the heap.
 *
 * The background trimming is held off (METALLC_PURGE_DELAY_MS: one hour),
 * so nothing is trimmed between the flush and close but by them.
 */
#include "test_util.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <linux/falloc.h>

static bool g_counting;
static long g_punches, g_backs, g_fsyncs;

int fallocate(int fd, int mode, off_t off, off_t len)
{
    static int (*real)(int, int, off_t, off_t);
    if (!real)
        real = (int (*)(int, int, off_t, off_t))dlsym(RTLD_NEXT, "fallocate");
    if (__atomic_load_n(&g_counting, __ATOMIC_RELAXED)) {
        if (mode & FALLOC_FL_PUNCH_HOLE)
            __atomic_fetch_add(&g_punches, 1, __ATOMIC_RELAXED);
        else
            __atomic_fetch_add(&g_backs, 1, __ATOMIC_RELAXED);
    }
    return real(fd, mode, off, len);
}

int fsync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    if (__atomic_load_n(&g_counting, __ATOMIC_RELAXED))
        __atomic_fetch_add(&g_fsyncs, 1, __ATOMIC_RELAXED);
    return real(fd);
}

#define OBJ 64
#define PER_CHUNK ((size_t)(2u << 20) / OBJ) /* slots of a 2 MiB chunk */
#define PER_PAGE (4096 / OBJ)

struct cost {
    long punches, backs, fsyncs;
};

#define BIG_OBJ 1024 /* the thread cache holds 64 of them: 16 pages */
#define NBIG 64

/* Build a heap of `chunks` chunks of 64-byte objects (and NBIG of BIG_OBJ
 * bytes), flush, change it a little, close: what did close issue? With
 * cache_only, the change is only BIG_OBJ objects freed into the thread's
 * cache, whole pages of them. */
static struct cost close_cost(const char *dir, const char *name, size_t chunks,
                              bool cache_only)
{
    const char *path = tu_path(dir, name);
    metall_manager *m = metall_create(path);
    assert_non_null(m);
    size_t n = chunks * PER_CHUNK - PER_CHUNK / 2; /* the last chunk half full */
    void **objs = malloc(n * sizeof *objs);
    assert_non_null(objs);
    for (size_t i = 0; i < n; i++) {
        objs[i] = metall_malloc(m, OBJ);
        assert_non_null(objs[i]);
        memset(objs[i], (int)(i & 0xff) | 1, OBJ);
    }
    void *big[NBIG];
    for (int i = 0; i < NBIG; i++) {
        big[i] = metall_malloc(m, BIG_OBJ);
        assert_non_null(big[i]);
        memset(big[i], 0x5a, BIG_OBJ);
    }
    /* a free page in every chunk: page 8 of each */
    for (size_t i = 0; i < n; i++)
        if (i % PER_CHUNK >= 8 * PER_PAGE && i % PER_CHUNK < 9 * PER_PAGE) {
            metall_free(m, objs[i]);
            objs[i] = NULL;
        }
    assert_true(metall_flush(m));
    if (cache_only) {
        /* pages 0-14 of the BIG_OBJ chunk become free, held by the cache */
        for (int i = 0; i < NBIG - 4; i++)
            metall_free(m, big[i]);
    } else {
        /* the change: 100 new objects (of the same size: they fit in
         * the heap; a new chunk would bring look-ahead chunks, which close
         * keeps backed only up to 1/8 of the live bytes, so a small heap
         * would punch them and a big one not), then pages 20-23 of the
         * first chunk freed (more than the thread cache holds: what the
         * bins got must be trimmed) */
        for (int i = 0; i < 100; i++)
            assert_non_null(metall_malloc(m, OBJ));
        for (size_t i = 20 * PER_PAGE; i < 24 * PER_PAGE; i++) {
            metall_free(m, objs[i]);
            objs[i] = NULL;
        }
    }
    __atomic_store_n(&g_counting, true, __ATOMIC_RELAXED);
    g_punches = g_backs = g_fsyncs = 0;
    assert_true(metall_close(m));
    __atomic_store_n(&g_counting, false, __ATOMIC_RELAXED);
    struct cost c = {g_punches, g_backs, g_fsyncs};
    print_message("%zu chunks (%zu MiB)%s: close issued %ld punches, %ld reservations, "
                  "%ld fsyncs\n", chunks, chunks * 2, cache_only ? ", change in the cache" : "",
                  c.punches, c.backs, c.fsyncs);
    /* the data survived */
    m = metall_open(path);
    assert_non_null(m);
    metall_close(m);
    free(objs);
    return c;
}

static void test_close_after_flush_is_o_change(void **state)
{
    const char *dir = *state;
    struct cost small = close_cost(dir, "small", 8, false);
    struct cost big = close_cost(dir, "big", 96, false);
    assert_int_equal(small.punches, big.punches);
    assert_int_equal(small.backs, big.backs);
    assert_int_equal(small.fsyncs, big.fsyncs);
    /* the change was trimmed (its page), and that is about all: not one
     * punch per chunk of the heap */
    assert_true(big.punches >= 1);
    assert_true(big.punches < 96 / 2);
}

/* Slots a thread cache gives back at close were allocated: their pages are
 * backed and resident, and punching them (synchronous discards) was most of
 * the time of a close after a flush. Close leaves them backed: the image
 * says their chunk may have holes, so the next run backs it before use. */
static void test_close_keeps_what_the_caches_return(void **state)
{
    struct cost c = close_cost(*state, "cached", 8, true);
    assert_int_equal(c.punches, 0);
    assert_int_equal(c.backs, 0);
}

int main(void)
{
    setenv("METALLC_PURGE_DELAY_MS", "3600000", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_close_after_flush_is_o_change, tu_setup,
                                        tu_teardown),
        cmocka_unit_test_setup_teardown(test_close_keeps_what_the_caches_return, tu_setup,
                                        tu_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
