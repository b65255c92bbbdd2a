/*
 * test_cxx_threads.cpp - metall::manager from many threads (labels core,
 * tsan): anonymous construct/destroy_ptr and allocate/deallocate mixed,
 * find_or_construct of one name racing (exactly one constructor runs, no
 * thread sees an object before it is constructed), unique objects per
 * type, containers allocating through stored allocators, concurrent_map.
 * Asserts counts and states only, never timing.
 */
#include <metall/container/concurrent_map.hpp>
#include <metall/container/vector.hpp>
#include <metall/metall.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

#include "cxx_test_util.hpp"

using manager = metall::manager;
static const std::size_t kCap = (std::size_t)1 << 30;
static const int kThreads = 4;

template <class F>
static void run_threads(F f) {
    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; ++t)
        ts.emplace_back(f, t);
    for (auto &t : ts)
        t.join();
}

static void test_mixed_alloc(void **state) {
    (void)state;
    tmp_dir d;
    manager m(metall::create_only, d / "ds", kCap);
    std::atomic<int> bad{0};
    run_threads([&](int tid) {
        for (int i = 0; i < 2000; ++i) {
            if ((tid + i) % 2) {
                void *p = m.allocate(16 + (std::size_t)(i % 200));
                bad += !p;
                m.deallocate(p);
            } else {
                int *p = m.construct<int>(metall::anonymous_instance)[1 + i % 3](tid);
                bad += !p || *p != tid;
                bad += !m.destroy_ptr(p);
            }
        }
    });
    assert_int_equal(bad.load(), 0);
    assert_int_equal(m.get_num_anonymous_objects(), 0);
    assert_true(m.all_memory_deallocated());
}

struct slow_ctor {
    static inline std::atomic<int> made{0};
    std::atomic<int> ready;
    long payload[64];
    slow_ctor() : ready(0), payload{} {
        made.fetch_add(1);
        for (int i = 0; i < 64; ++i)
            payload[i] = i;
        ready.store(1);
    }
};

static void test_find_or_construct_race(void **state) {
    (void)state;
    tmp_dir d;
    manager m(metall::create_only, d / "ds", kCap);
    for (int round = 0; round < 20; ++round) {
        const std::string name = "obj" + std::to_string(round);
        slow_ctor::made = 0;
        std::atomic<slow_ctor *> seen[kThreads];
        std::atomic<int> unready{0};
        run_threads([&](int tid) {
            slow_ctor *p = m.find_or_construct<slow_ctor>(name.c_str())();
            unready += !p || p->ready.load() != 1 || p->payload[63] != 63;
            auto f = m.find<slow_ctor>(name.c_str()).first;
            unready += f != p;
            seen[tid] = p;
        });
        assert_int_equal(slow_ctor::made.load(), 1);
        assert_int_equal(unready.load(), 0);
        for (int t = 1; t < kThreads; ++t)
            assert_ptr_equal(seen[t].load(), seen[0].load());
    }
    /* construct races: one winner, the others get nullptr */
    std::atomic<int> winners{0};
    run_threads([&](int) { winners += m.construct<long>("contended")(1L) != nullptr; });
    assert_int_equal(winners.load(), 1);
    winners = 0;
    run_threads([&](int) { winners += m.construct<short>(metall::unique_instance)(1) != nullptr; });
    assert_int_equal(winners.load(), 1);
    winners = 0;
    run_threads([&](int) { winners += m.destroy<short>(metall::unique_instance); });
    assert_int_equal(winners.load(), 1);
}

using ivec = metall::container::vector<int>;

static void test_containers_per_thread(void **state) {
    (void)state;
    tmp_dir d;
    manager m(metall::create_only, d / "ds", kCap);
    std::atomic<int> bad{0};
    run_threads([&](int tid) {
        auto *v = m.construct<ivec>(("v" + std::to_string(tid)).c_str())(m.get_allocator());
        for (int i = 0; i < 20000; ++i)
            v->push_back(i ^ tid);
        for (int i = 0; i < 20000; ++i)
            bad += (*v)[(std::size_t)i] != (i ^ tid);
        v->clear();
        v->shrink_to_fit();
        bad += !m.destroy<ivec>(("v" + std::to_string(tid)).c_str());
    });
    assert_int_equal(bad.load(), 0);
    assert_true(m.all_memory_deallocated());
}

using cmap = metall::container::concurrent_map<int, long, std::less<int>, std::hash<int>,
                                               manager::allocator_type<std::pair<const int, long>>,
                                               8>;

static void test_concurrent_map(void **state) {
    (void)state;
    tmp_dir d;
    manager m(metall::create_only, d / "ds", kCap);
    auto *cm = m.construct<cmap>("cm")(m.get_allocator());
    std::atomic<int> inserted{0};
    run_threads([&](int tid) {
        for (int k = 0; k < 500; ++k) { /* every thread tries every key */
            inserted += cm->insert({k, 0L});
            cm->edit(k, [&](long &v) { v += 1; });
            auto e = cm->scoped_edit(k + 1000);
            e.first += tid + 1;
        }
    });
    assert_int_equal(inserted.load(), 500);
    assert_int_equal(cm->size(), 1000);
    for (int k = 0; k < 500; ++k) {
        assert_int_equal(cm->find(k)->second, kThreads);
        assert_int_equal(cm->find(k + 1000)->second, kThreads * (kThreads + 1) / 2);
    }
    std::size_t n = 0;
    for (auto it = cm->cbegin(); it != cm->cend(); ++it)
        ++n;
    assert_int_equal(n, 1000);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixed_alloc),
        cmocka_unit_test(test_find_or_construct_race),
        cmocka_unit_test(test_containers_per_thread),
        cmocka_unit_test(test_concurrent_map),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
