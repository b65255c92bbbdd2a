/*
 * test_ckpt_threads.c - asynchronous checkpoints while threads write and
 * allocate (also built for ThreadSanitizer, label tsan). Every checkpoint
 * taken meanwhile restores into a datastore that opens; once the threads
 * stop, a last checkpoint restores byte for byte (vs. a snapshot).
 *
 * Usage: ckpt_threads [ROUNDS]
 */
#include "ckpt_util.h"

#include <stdatomic.h>

#define NTHREADS 3

struct worker {
    metall_manager *m;
    unsigned char *obj;
    size_t size;
    uint64_t seed;
    atomic_bool *stop;
    pthread_t t;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    while (!atomic_load(w->stop)) {
        cu_scribble(w->obj, w->size, 64, &w->seed);
        void *p = metall_malloc(w->m, 1 + tu_rand(&w->seed) % 70000);
        if (p) {
            memset(p, 7, 16);
            metall_free(w->m, p);
        }
    }
    return NULL;
}

static int g_rounds = 6;

static void test_async_while_writing(void **state)
{
    const char *dir = *state;
    char chain[PATH_MAX];
    snprintf(chain, sizeof chain, "%s/chain", dir);
    metall_options o = {.capacity = (size_t)64 << 20};
    metall_manager *m = metall_create_ex(tu_path(dir, "ds"), &o);
    assert_non_null(m);
    atomic_bool stop = false;
    struct worker w[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (struct worker){m, NULL, 4 * MiB, (uint64_t)i + 1, &stop, 0};
        w[i].obj = metall_malloc(m, w[i].size);
        assert_non_null(w[i].obj);
        assert_int_equal(pthread_create(&w[i].t, NULL, work, &w[i]), 0);
    }
    metall_checkpoint_options co = {.keep = 100, .async = true};
    for (int r = 0; r < g_rounds; r++) {
        assert_true(metall_checkpoint(m, chain, &co));
        cu_check_method(m, r == 0);
    }
    assert_true(metall_checkpoint_wait(m));
    atomic_store(&stop, true);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(w[i].t, NULL);
    co.async = false;
    assert_true(metall_checkpoint(m, chain, &co));
    cu_check_method(m, false);
    assert_true(metall_snapshot(m, tu_path(dir, "snap")));
    assert_true(metall_close(m));
    int64_t last = metall_checkpoint_latest(chain);
    assert_int_equal(last, g_rounds + 1);
    for (int64_t id = 1; id <= last; id++) {
        char r[32];
        snprintf(r, sizeof r, "r%lld", (long long)id);
        assert_true(metall_restore(chain, id, tu_path(dir, r)));
        metall_manager *x = metall_open_read_only(tu_path(dir, r));
        assert_non_null(x);
        metall_close(x);
    }
    char r[32];
    snprintf(r, sizeof r, "r%lld", (long long)last);
    assert_true(cu_same(tu_path(dir, "snap"), tu_path(dir, r)));
}

int main(int argc, char **argv)
{
    if (argc > 1)
        g_rounds = atoi(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_async_while_writing, tu_setup, tu_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
