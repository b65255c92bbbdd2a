/*
 * test_threads.c - deterministic multi-threaded stress (fixed seeds):
 *  1. NTHREADS threads race metall_named_find_or_malloc() on the same
 *     names: exactly one creator per name, everyone gets the same pointer;
 *  2. random malloc/free of 1 B .. 64 KiB objects, each filled with a
 *     pattern that is checked before it is freed; some objects go through a
 *     shared mailbox and are freed by another thread (cross-thread frees);
 *  3. each thread keeps a few objects, registered by name; the datastore is
 *     closed, reopened and everything is verified, and the allocated bytes
 *     equal exactly what is still live (no leak, no double count);
 *  4. meanwhile another thread flushes, reads stats and takes a snapshot,
 *     which must open as a valid datastore.
 * Also registered with label tsan, for the ThreadSanitizer build.
 */
#include "test_util.h"

#include <stdatomic.h>

#define NTHREADS 4
#define NSLOTS 256
#define NNAMES 64
#define MAILBOX 64
#define KEEP 16
#define MAXSIZE (64 << 10)

static unsigned char pattern[MAXSIZE + 256];

/* ThreadSanitizer's deadlock detector tracks at most 64 mutexes held at
 * once, and metall_get_stats()/flush/close hold every bin lock (more than
 * 64) for a consistent cut; its CHECK would abort the run. Data-race
 * detection stays on. (TSAN_OPTIONS from the environment still applies.) */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
    return "detect_deadlocks=0";
}

struct live {
    unsigned char *p;
    size_t size;
    uint64_t tag;
};

struct kept_rec {
    uint64_t off, size, tag;
};

static struct {
    pthread_mutex_t lock;
    struct live box[MAILBOX];
    int n;
    uint64_t crossed; /* objects freed by a thread other than their allocator */
} mail = {PTHREAD_MUTEX_INITIALIZER, {{0}}, 0, 0};

static metall_manager *g_m;
static pthread_barrier_t g_barrier;
static _Atomic int g_creators[NNAMES];
static void *g_named_ptr[NTHREADS][NNAMES];
static long g_ops = 20000;
static _Atomic int g_failures;
static _Atomic int g_flushes; /* rounds of the flusher thread */

#define T_CHECK(c)                                                                      \
    do {                                                                                \
        if (!(c)) {                                                                     \
            fprintf(stderr, "thread check failed %s:%d: %s (%s)\n", __FILE__, __LINE__,  \
                    #c, metall_errmsg());                                               \
            atomic_fetch_add(&g_failures, 1);                                           \
            return NULL;                                                                \
        }                                                                               \
    } while (0)

static size_t rand_size(uint64_t *s)
{
    /* log-uniform over 1 B .. 64 KiB: every size class gets traffic */
    unsigned k = (unsigned)(tu_rand(s) % 17);
    size_t s1 = 1 + (size_t)(tu_rand(s) % ((size_t)1 << k));
    return s1 > MAXSIZE ? MAXSIZE : s1;
}

static void fill(struct live *l)
{
    memcpy(l->p, pattern + (l->tag & 255), l->size);
}

static bool intact(const struct live *l)
{
    return memcmp(l->p, pattern + (l->tag & 255), l->size) == 0;
}

static void name_of(char *buf, size_t n, int k)
{
    snprintf(buf, n, "shared-%d", k);
}

static void *worker(void *arg)
{
    int tid = (int)(intptr_t)arg;
    uint64_t seed = 0x9E3779B97F4A7C15ULL * (uint64_t)(tid + 1);

    /* 1. race on the same names, each thread in its own order */
    pthread_barrier_wait(&g_barrier);
    for (int j = 0; j < NNAMES; j++) {
        int k = (j * 5 + tid * 17) % NNAMES;
        char name[32];
        name_of(name, sizeof name, k);
        bool created = false;
        void *p = metall_named_find_or_malloc(g_m, name, 64 + (size_t)k, &created);
        T_CHECK(p);
        if (created)
            atomic_fetch_add(&g_creators[k], 1);
        g_named_ptr[tid][k] = p;
    }

    /* 2. random malloc/free with pattern checks and cross-thread frees */
    struct live slot[NSLOTS];
    memset(slot, 0, sizeof slot);
    uint64_t tag = (uint64_t)tid << 32;
    for (long op = 0; op < g_ops; op++) {
        struct live *l = &slot[tu_rand(&seed) % NSLOTS];
        unsigned r = (unsigned)(tu_rand(&seed) % 16);
        if (l->p) {
            T_CHECK(intact(l));
            if (r == 0) { /* hand it to another thread */
                pthread_mutex_lock(&mail.lock);
                bool posted = mail.n < MAILBOX;
                if (posted)
                    mail.box[mail.n++] = *l;
                pthread_mutex_unlock(&mail.lock);
                if (!posted)
                    metall_free(g_m, l->p);
            } else {
                metall_free(g_m, l->p);
            }
            l->p = NULL;
        } else {
            l->size = rand_size(&seed);
            l->tag = ++tag;
            l->p = metall_malloc(g_m, l->size);
            T_CHECK(l->p);
            T_CHECK(metall_usable_size(g_m, l->p) >= l->size);
            fill(l);
        }
        if (r == 1) { /* free one that (most likely) another thread made */
            struct live got = {0};
            pthread_mutex_lock(&mail.lock);
            if (mail.n > 0) {
                got = mail.box[--mail.n];
                if ((int)(got.tag >> 32) != tid)
                    mail.crossed++;
            }
            pthread_mutex_unlock(&mail.lock);
            if (got.p) {
                T_CHECK(intact(&got));
                metall_free(g_m, got.p);
            }
        }
    }

    /* the flusher's stats/flush/snapshot must overlap the stress, however
     * slowly a loaded machine runs it: wait for its third round */
    while (atomic_load(&g_flushes) < 3 && !atomic_load(&g_failures))
        usleep(1000);

    /* 3. keep KEEP objects, registered under a per-thread name */
    char name[32];
    snprintf(name, sizeof name, "kept-%d", tid);
    struct kept_rec *rec = metall_named_malloc(g_m, name, KEEP * sizeof *rec);
    T_CHECK(rec);
    int nk = 0;
    for (int i = 0; i < NSLOTS; i++) {
        struct live *l = &slot[i];
        if (!l->p)
            continue;
        T_CHECK(intact(l));
        if (nk < KEEP) {
            rec[nk].off = metall_offset_of(g_m, l->p);
            rec[nk].size = l->size;
            rec[nk].tag = l->tag;
            nk++;
        } else {
            metall_free(g_m, l->p);
        }
    }
    T_CHECK(nk == KEEP);
    return NULL;
}

/* Meanwhile: flush, stats and one snapshot, all taking consistent cuts
 * while the workers allocate and free. */
static _Atomic bool g_done;
static char g_snap[PATH_MAX];

static void *flusher(void *arg)
{
    int n = 0;
    while (!atomic_load(&g_done)) {
        metall_stats st;
        T_CHECK(metall_get_stats(g_m, &st));
        T_CHECK(metall_flush(g_m));
        if (++n == 3)
            T_CHECK(metall_snapshot(g_m, g_snap));
        atomic_store(&g_flushes, n);
        usleep(2000);
    }
    T_CHECK(n >= 3);
    return NULL;
}

static int check_named(const char *name, void *ptr, size_t length, void *ctx)
{
    metall_manager *m = ctx;
    return ptr && metall_usable_size(m, ptr) >= length ? 0 : 1;
}

static int sum_named(const char *name, void *ptr, size_t length, void *ctx)
{
    struct {
        metall_manager *m;
        size_t bytes;
    } *c = ctx;
    c->bytes += metall_usable_size(c->m, ptr);
    return 0;
}

static void verify_all(metall_manager *m, size_t *live_bytes)
{
    assert_int_equal(metall_named_count(m), NNAMES + NTHREADS);
    for (int k = 0; k < NNAMES; k++) {
        char name[32];
        name_of(name, sizeof name, k);
        size_t len = 0;
        void *p = metall_named_find(m, name, &len);
        assert_non_null(p);
        assert_int_equal(len, 64 + (size_t)k);
        assert_true(tu_check(p, len, (uint64_t)k));
    }
    struct {
        metall_manager *m;
        size_t bytes;
    } c = {m, 0};
    assert_int_equal(metall_named_foreach(m, sum_named, &c), 0);
    for (int t = 0; t < NTHREADS; t++) {
        char name[32];
        snprintf(name, sizeof name, "kept-%d", t);
        struct kept_rec *rec = metall_find(m, name);
        assert_non_null(rec);
        for (int i = 0; i < KEEP; i++) {
            struct live l = {metall_ptr_at(m, rec[i].off), rec[i].size, rec[i].tag};
            assert_non_null(l.p);
            assert_true(intact(&l));
            c.bytes += metall_usable_size(m, l.p);
        }
    }
    *live_bytes = c.bytes;
}

static void test_stress(void **state)
{
    const char *p = tu_path(*state, "ds");
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (unsigned char)(i * 131 + (i >> 8) + 1);
    const char *e = getenv("METALLC_STRESS_OPS");
    if (e && atol(e) > 0)
        g_ops = atol(e);
    g_m = metall_create(p);
    assert_non_null(g_m);
    pthread_barrier_init(&g_barrier, NULL, NTHREADS);
    pthread_t th[NTHREADS], fl;
    snprintf(g_snap, sizeof g_snap, "%s", tu_path(*state, "snap"));
    atomic_store(&g_done, false);
    assert_int_equal(pthread_create(&fl, NULL, flusher, NULL), 0);
    for (int t = 0; t < NTHREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t), 0);
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(th[t], NULL);
    atomic_store(&g_done, true);
    pthread_join(fl, NULL);
    pthread_barrier_destroy(&g_barrier);
    assert_int_equal(atomic_load(&g_failures), 0);

    /* exactly one creator per name, one pointer per name */
    for (int k = 0; k < NNAMES; k++) {
        assert_int_equal(atomic_load(&g_creators[k]), 1);
        for (int t = 1; t < NTHREADS; t++)
            assert_ptr_equal(g_named_ptr[t][k], g_named_ptr[0][k]);
        tu_fill(g_named_ptr[0][k], 64 + (size_t)k, (uint64_t)k);
    }
    /* the mailbox leftovers: freed here, by yet another thread */
    for (int i = 0; i < mail.n; i++) {
        assert_true(intact(&mail.box[i]));
        metall_free(g_m, mail.box[i].p);
    }
    print_message("cross-thread frees: %llu (+%d by the main thread)\n",
                  (unsigned long long)mail.crossed, mail.n);
    assert_true(mail.crossed > 0);
    mail.n = 0;

    size_t live = 0;
    verify_all(g_m, &live);
    metall_stats st;
    assert_true(metall_get_stats(g_m, &st));
    print_message("live %zu bytes, allocated_bytes %zu\n", live, st.allocated_bytes);
    assert_int_equal(st.allocated_bytes, live);
    assert_true(metall_close(g_m));

    metall_manager *m = metall_open(p);
    assert_non_null(m);
    size_t live2 = 0;
    verify_all(m, &live2);
    assert_int_equal(live2, live);
    assert_true(metall_get_stats(m, &st));
    assert_int_equal(st.allocated_bytes, live);
    assert_true(metall_close(m));

    /* the snapshot taken mid-run is a valid datastore */
    m = metall_open(g_snap);
    if (!m)
        print_error("open %s: %s\n", g_snap, metall_errmsg());
    assert_non_null(m);
    assert_int_equal(metall_named_foreach(m, check_named, m), 0);
    void *q = metall_malloc(m, 100000);
    assert_non_null(q);
    metall_free(m, q);
    assert_true(metall_close(m));
}

int main(int argc, char **argv)
{
    if (argc > 1 && atol(argv[1]) > 0)
        g_ops = atol(argv[1]); /* operations per thread */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stress, tu_setup, tu_teardown),
    };
    return cmocka_run_group_tests_name("core_threads", tests, NULL, NULL);
}
