/*
 * test_races.c - the library's lazily initialised globals are race-free
 * (built as rel_races, and as rel_races_tsan under ThreadSanitizer, where a
 * data race fails the test): threads released by one barrier make their
 * first call to each at the same time.
 *  - os_page_size(): its cached value was a plain static (the only report
 *    ThreadSanitizer made in the review).
 */
#include "rel_common.h"

#include "os.h"

#include <pthread.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define NTHREADS 4

static pthread_barrier_t g_bar;

static void *first_calls(void *arg)
{
    size_t *out = arg;
    pthread_barrier_wait(&g_bar);
    *out = os_page_size();
    return NULL;
}

static void test_page_size_first_calls(void **state)
{
    (void)state;
    pthread_t t[NTHREADS];
    size_t got[NTHREADS];
    assert_int_equal(pthread_barrier_init(&g_bar, NULL, NTHREADS), 0);
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, first_calls, &got[i]), 0);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&g_bar);
    for (int i = 0; i < NTHREADS; i++)
        assert_true(got[i] == (size_t)sysconf(_SC_PAGESIZE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_size_first_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
