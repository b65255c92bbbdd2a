/*
 * test_cxx_utility.cpp - Metall's companion headers: the default logger
 * (levels, filter, stderr output), utility/ (mutex, random, hash,
 * container_of_containers_iterator_adaptor, filesystem, datastore_ls) and
 * container/ (every alias over Boost, concurrent_map, string_key_store)
 * built in a datastore and used again after a reopen.
 */
#include <metall/container/concurrent_map.hpp>
#include <metall/container/deque.hpp>
#include <metall/container/list.hpp>
#include <metall/container/map.hpp>
#include <metall/container/priority_queue.hpp>
#include <metall/container/queue.hpp>
#include <metall/container/set.hpp>
#include <metall/container/stack.hpp>
#include <metall/container/string.hpp>
#include <metall/container/string_key_store.hpp>
#include <metall/container/unordered_map.hpp>
#include <metall/container/unordered_set.hpp>
#include <metall/container/vector.hpp>
#if BOOST_VERSION >= 108100
#include <metall/container/unordered_flat_map.hpp>
#include <metall/container/unordered_flat_set.hpp>
#endif
#include <metall/metall.hpp>
#include <metall/utility/container_of_containers_iterator_adaptor.hpp>
#include <metall/utility/datastore_ls.hpp>
#include <metall/utility/filesystem.hpp>
#include <metall/utility/hash.hpp>
#include <metall/utility/mutex.hpp>
#include <metall/utility/random.hpp>

#include <cstdio>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <csetjmp>
#include <cstring>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

#include "cxx_test_util.hpp"

#ifdef METALLC_EXPECT_BOOST_VERSION /* built against another Boost: it is that one */
static_assert(BOOST_VERSION == METALLC_EXPECT_BOOST_VERSION, "not the Boost asked for");
#endif

using manager = metall::manager;
namespace mc = metall::container;
static const std::size_t kCap = (std::size_t)1 << 30;

/* Run fn with stderr going to a file; returns what it printed. */
template <class F>
static std::string capture_stderr(const tmp_dir &d, F fn) {
    const std::string f = d / "stderr.txt";
    std::fflush(stderr);
    int saved = dup(2);
    FILE *out = std::fopen(f.c_str(), "w");
    dup2(fileno(out), 2);
    fn();
    std::fflush(stderr);
    dup2(saved, 2);
    close(saved);
    std::fclose(out);
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

static void test_logger(void **state) {
    (void)state;
    using L = metall::logger;
    static_assert(static_cast<int>(L::level::critical) == metall_critical);
    static_assert(static_cast<int>(L::level::verbose) == metall_verbose);
    assert_true(L::log_level().should_log(L::level::error)); /* the default */
    assert_false(L::log_level().should_log(L::level::warning));
    assert_true(L::abort_on_critical_error());
    tmp_dir d;
    const std::string missing = d / "no-such-datastore";
    std::string out = capture_stderr(d, [&] { manager m(metall::open_only, missing); });
    assert_true(out.find("no-such-datastore") != std::string::npos);
    L::set_log_level(L::level_filter::silent);
    assert_false(L::log_level().should_log(L::level::critical));
    out = capture_stderr(d, [&] { manager m(metall::open_only, missing); });
    assert_true(out.empty());
    L::set_log_level(L::level_filter::verbose);
    assert_true(L::log_level().should_log(L::level::verbose));
    out = capture_stderr(d, [&] {
        L::out(L::level::info, "file.cpp", 7, "an info line");
        errno = ENOENT;
        L::perror(L::level::warning, "file.cpp", 8, "a warning");
    });
    assert_true(out.find("file.cpp at line 7 --- an info line") != std::string::npos);
    assert_true(out.find("a warning: No such file or directory") != std::string::npos);
    /* nothing is logged on success */
    out = capture_stderr(d, [&] {
        manager m(metall::create_only, d / "ok", kCap);
        m.construct<int>("x")(1);
        m.flush();
    });
    assert_true(out.empty());
    L::abort_on_critical_error(false);
    assert_false(L::abort_on_critical_error());
    L::abort_on_critical_error(true);
    L::set_log_level(L::level_filter::error);
}

static void test_mutex(void **state) {
    (void)state;
    auto held = metall::utility::mutex::mutex_lock<4>(1);
    assert_true(held.owns_lock());
    std::mutex *first = held.mutex();
    bool other_got_1 = true, other_got_2 = false;
    std::thread t([&] {
        other_got_1 = first->try_lock(); /* held by the main thread */
        auto l2 = metall::utility::mutex::mutex_lock<4>(2); /* another mutex */
        other_got_2 = l2.owns_lock() && l2.mutex() != first;
    });
    t.join();
    assert_false(other_got_1);
    assert_true(other_got_2);
    held.unlock();
    /* the same bank size and index is the same mutex, another size another bank */
    assert_ptr_equal(metall::utility::mutex::mutex_lock<4>(1).mutex(), first);
    assert_ptr_not_equal(metall::utility::mutex::mutex_lock<8>(1).mutex(), first);
}

static void test_random_hash(void **state) {
    (void)state;
    /* the values of the reference algorithms (and of Metall's headers) */
    metall::utility::rand_512 r(123);
    metall::utility::rand_1024 q(7);
    assert_true(r() == 0xb9df3fb1ed98edc6ULL && q() == 0xc1f2991e52e619e6ULL);
    assert_true(r() == 0x1cc77d31dfa0f2a0ULL && q() == 0x6c80543516d992b8ULL);
    metall::utility::rand_512 r2(123), r3(124);
    r2();
    assert_true(r2 != r);
    r2();
    assert_true(r2 == r);
    assert_true(r3 != r);
    static_assert(metall::utility::rand_512::min() == 0);
    std::uniform_int_distribution<int> dist(1, 6);
    int v = dist(r);
    assert_true(v >= 1 && v <= 6);
    assert_true(metall::detail::murmur_hash_64a("", 0, 123) == 0x711c83cd1ddbd8aeULL);
    assert_true(metall::detail::murmur_hash_64a("abcdefgh", 8, 123) == 0x581bd4d6a24f37e5ULL);
    assert_true(metall::detail::murmur_hash_64a("abcdefghijklmnopq", 17, 123) ==
                0x5855fe3f58dfe15fULL);
    assert_true(metall::utility::hash<>()(42L) == 0xc13de46e1b9e9576ULL);
    assert_true(metall::utility::str_hash<>()(std::string("key")) == 0xfd2e963f78e21de8ULL);
    assert_true(metall::utility::str_hash<>()("key") == 0xfd2e963f78e21de8ULL);
}

static void test_coc_iterator(void **state) {
    (void)state;
    std::vector<std::vector<int>> vv{{}, {1, 2}, {}, {}, {3}, {}};
    using it_t = metall::utility::container_of_containers_iterator_adaptor<
        std::vector<std::vector<int>>::iterator, std::vector<int>::iterator>;
    std::vector<int> got;
    for (it_t i(vv.begin(), vv.end()), e(vv.end(), vv.end()); i != e; i++)
        got.push_back(*i);
    assert_true(got == (std::vector<int>{1, 2, 3}));
    it_t at3(vv.begin() + 4, vv[4].begin(), vv.end());
    assert_int_equal(*at3, 3);
    std::vector<std::vector<int>> empty{{}, {}};
    assert_true(it_t(empty.begin(), empty.end()) == it_t(empty.end(), empty.end()));
}

/* Every container alias of metall/container, built, reopened, extended. */
static void test_container_aliases(void **state) {
    (void)state;
    tmp_dir d;
    const std::string p = d / "ds";
    using vec_of_sets = mc::vector<mc::set<int>, manager::scoped_allocator_type<mc::set<int>>>;
    using imap = mc::map<int, int>;
    using immap = mc::multimap<int, int>;
    using iumap = mc::unordered_map<int, int>;
    using iummap = mc::unordered_multimap<int, int>;
    {
        manager m(metall::create_only, p, kCap);
        auto a = m.get_allocator();
        m.construct<mc::deque<int>>("deque")(a)->push_back(1);
        m.construct<mc::list<int>>("list")(a)->push_back(2);
        m.construct<imap>("map")(a)->emplace(3, 30);
        m.construct<immap>("mmap")(a)->emplace(4, 40);
        m.construct<mc::set<int>>("set")(a)->insert(5);
        m.construct<mc::multiset<int>>("mset")(a)->insert(6);
        m.construct<iumap>("umap")(a)->emplace(7, 70);
        m.construct<iummap>("ummap")(a)->emplace(8, 80);
        m.construct<mc::unordered_set<int>>("uset")(a)->insert(9);
        m.construct<mc::unordered_multiset<int>>("umset")(a)->insert(10);
        m.construct<mc::vector<int>>("vector")(a)->push_back(11);
        m.construct<mc::stack<int>>("stack")(a)->push(12);
        m.construct<mc::queue<int>>("queue")(a)->push(13);
        auto *pq = m.construct<mc::priority_queue<int>>("pq")(a);
        pq->push(1);
        pq->push(14);
        m.construct<mc::string>("string")("fifteen, longer than the short buffer", a);
        m.construct<mc::wstring>("wstring")(L"sixteen", a);
        auto *vs = m.construct<vec_of_sets>("vec-sets")(a);
        vs->resize(2);
        (*vs)[1].insert(17);
#if BOOST_VERSION >= 108100
        using ufmap = mc::unordered_flat_map<int, int>;
        m.construct<ufmap>("ufmap")(a)->emplace(18, 180);
        m.construct<mc::unordered_flat_set<int>>("ufset")(a)->insert(19);
#endif
    }
    manager m(metall::open_only, p);
    assert_int_equal(m.find<mc::deque<int>>("deque").first->front(), 1);
    assert_int_equal(m.find<mc::list<int>>("list").first->back(), 2);
    assert_int_equal(m.find<imap>("map").first->at(3), 30);
    assert_int_equal(m.find<immap>("mmap").first->count(4), 1);
    assert_int_equal(m.find<mc::set<int>>("set").first->count(5), 1);
    assert_int_equal(m.find<mc::multiset<int>>("mset").first->count(6), 1);
    assert_int_equal(m.find<iumap>("umap").first->at(7), 70);
    assert_int_equal(m.find<iummap>("ummap").first->count(8), 1);
    assert_int_equal(m.find<mc::unordered_set<int>>("uset").first->count(9), 1);
    assert_int_equal(m.find<mc::unordered_multiset<int>>("umset").first->count(10), 1);
    assert_int_equal(m.find<mc::vector<int>>("vector").first->at(0), 11);
    assert_int_equal(m.find<mc::stack<int>>("stack").first->top(), 12);
    assert_int_equal(m.find<mc::queue<int>>("queue").first->front(), 13);
    assert_int_equal(m.find<mc::priority_queue<int>>("pq").first->top(), 14);
    assert_string_equal(m.find<mc::string>("string").first->c_str(),
                        "fifteen, longer than the short buffer");
    assert_true(*m.find<mc::wstring>("wstring").first == L"sixteen");
    auto *vs = m.find<vec_of_sets>("vec-sets").first;
    assert_int_equal((*vs)[1].count(17), 1);
    vs->emplace_back();
    vs->back().insert(170);
#if BOOST_VERSION >= 108100
    using ufmap = mc::unordered_flat_map<int, int>;
    assert_int_equal(m.find<ufmap>("ufmap").first->at(18), 180);
    assert_int_equal(m.find<mc::unordered_flat_set<int>>("ufset").first->count(19), 1);
#endif
    for (int i = 0; i < 1000; ++i) /* grow through the stored allocators */
        m.find<iumap>("umap").first->emplace(100 + i, i);
    assert_int_equal(m.find<iumap>("umap").first->size(), 1001);
}

using cmap = mc::concurrent_map<std::string, int>;

static void test_concurrent_map_api(void **state) {
    (void)state;
    cmap cm; /* std::allocator: it works outside a datastore too */
    assert_true(cm.insert({"b", 2}));
    assert_false(cm.insert({"b", 3}));
    assert_int_equal(cm.count("b"), 1);
    cm.edit("a", [](int &v) { v = 1; });
    {
        auto e = cm.scoped_edit("c");
        e.first = 3;
        assert_true(e.second.owns_lock());
    }
    assert_int_equal(cm.size(), 3);
    assert_int_equal(cm.find("c")->second, 3);
    assert_true(cm.find("zz") == cm.cend());
    std::set<std::string> keys;
    for (auto it = cm.cbegin(); it != cm.cend(); ++it)
        keys.insert(it->first);
    assert_true(keys == (std::set<std::string>{"a", "b", "c"}));
    (void)cm.get_allocator();
}

/* An allocator-aware value without a default constructor (like a JSON
 * value over a datastore's allocator). */
struct needs_alloc {
    using allocator_type = manager::allocator_type<char>;
    mc::string text;
    explicit needs_alloc(const allocator_type &a) : text("made with the allocator", a) {}
    needs_alloc(const needs_alloc &o, const allocator_type &a) : text(o.text, a) {}
    needs_alloc(needs_alloc &&o, const allocator_type &a) : text(std::move(o.text), a) {}
};
using int_store = mc::string_key_store<int>;
using str_store = mc::string_key_store<mc::string>;

static void test_string_key_store(void **state) {
    (void)state;
    tmp_dir d;
    const std::string p = d / "ds";
    {
        manager m(metall::create_only, p, kCap);
        auto *dup = m.construct<int_store>("dup")(m.get_allocator());
        assert_false(dup->unique());
        assert_int_equal(dup->hash_seed(), 123);
        assert_true(dup->insert("a"));
        assert_true(dup->insert("b", 0));
        assert_true(dup->insert("b", 1));
        assert_int_equal(dup->size(), 3);
        assert_int_equal(dup->count("b"), 2);
        auto r = dup->equal_range("b");
        int sum = 0, n = 0;
        for (auto l = r.first; l != r.second; ++l, ++n)
            sum += dup->value(l);
        assert_true(n == 2 && sum == 1);
        assert_int_equal(dup->value(dup->find("a")), 0);
        assert_true(dup->key(dup->find("a")) == "a");
        assert_true(dup->find("zz") == dup->end());

        auto *uni = m.construct<str_store>("uni")(true, 99, m.get_allocator());
        assert_true(uni->unique());
        assert_true(uni->insert("k", mc::string("v1", m.get_allocator())));
        assert_true(uni->insert("k", mc::string("v2, longer than the short buffer",
                                                m.get_allocator())));
        assert_false(uni->insert("k"));
        assert_int_equal(uni->size(), 1);
        for (int i = 0; i < 300; ++i)
            uni->insert("key" + std::to_string(i), mc::string("x", m.get_allocator()));
        assert_int_equal(uni->erase("key7"), 1);
        assert_int_equal(uni->count("key7"), 0);
        auto next = uni->erase(uni->find("key8"));
        (void)next;
        assert_int_equal(uni->size(), 299);
        uni->rehash();
        assert_int_equal(uni->size(), 299);
        assert_int_equal(uni->count("key9"), 1);
        assert_true(uni->max_id_probe_distance() == 0);
        auto *na = m.construct<mc::string_key_store<needs_alloc>>("na")(m.get_allocator());
        assert_true(na->insert("x"));
        assert_string_equal(na->value(na->find("x")).text.c_str(), "made with the allocator");
    }
    manager m(metall::open_read_only, p);
    auto *uni = m.find<str_store>("uni").first;
    assert_string_equal(uni->value(uni->find("k")).c_str(), "v2, longer than the short buffer");
    auto *dup = m.find<int_store>("dup").first;
    /* iteration: the order Metall's string_key_store gives these keys */
    std::vector<std::string> order;
    for (auto l = dup->begin(); l != dup->end(); ++l)
        order.push_back(std::string(dup->key(l)) + "=" + std::to_string(dup->value(l)));
    assert_true(order == (std::vector<std::string>{"b=0", "b=1", "a=0"}));
}

/* MurmurHash64A's block mixing k -> ((k*m) ^ (k*m)>>47) * m, and its inverse:
 * with them, 16-byte keys that hash alike under any seed are built, so that
 * a collision chain exists without hoping for one among 2^64 values. */
static const std::uint64_t kMurmurMul = 0xc6a4a7935bd1e995ULL;
static std::uint64_t murmur_mix(std::uint64_t k) {
    k *= kMurmurMul;
    k ^= k >> 47;
    return k * kMurmurMul;
}
static std::uint64_t murmur_unmix(std::uint64_t k) {
    std::uint64_t inv = kMurmurMul; /* Newton: inv = mul^-1 mod 2^64 */
    for (int i = 0; i < 6; ++i)
        inv *= 2 - kMurmurMul * inv;
    k *= inv;
    k ^= k >> 47; /* x ^ x>>47 undoes itself (47 > 32) */
    return k * inv;
}
/* A 16-byte key that starts with first8 and hashes (seed) like target. */
static std::string colliding_key(const std::string &target, const char *first8,
                                 std::uint64_t seed) {
    std::uint64_t t1, t2, x1, h0 = seed ^ (16 * kMurmurMul);
    std::memcpy(&t1, target.data(), 8);
    std::memcpy(&t2, target.data() + 8, 8);
    std::memcpy(&x1, first8, 8);
    const std::uint64_t s_t = (h0 ^ murmur_mix(t1)) * kMurmurMul;
    const std::uint64_t s_x = (h0 ^ murmur_mix(x1)) * kMurmurMul;
    const std::uint64_t x2 = murmur_unmix(s_t ^ murmur_mix(t2) ^ s_x);
    std::string k(first8, 8);
    k.append(reinterpret_cast<const char *>(&x2), 8);
    return k;
}

/* Keys that collide probe to the next free id; erasing one in the middle
 * of such a run left a hole, and a lookup stopped there: the keys after it
 * were no longer found (count 0, find end(), erase 0, a duplicate insert). */
static void test_string_key_store_collisions(void **state) {
    (void)state;
    tmp_dir d;
    const std::string p = d / "ds";
    const std::uint64_t seed = 123;
    const std::string a = "collision-key-A!";
    std::vector<std::string> keys = {a};
    for (const char *f : {"second-B", "third--C", "fourth-D", "absent-E"})
        keys.push_back(colliding_key(a, f, seed));
    for (const auto &k : keys) {
        assert_int_equal(k.size(), 16);
        assert_true(metall::detail::murmur_hash_64a(k.data(), k.size(), seed) ==
                    metall::detail::murmur_hash_64a(a.data(), a.size(), seed));
    }
    {
        manager m(metall::create_only, p, kCap);
        auto *s = m.construct<int_store>("s")(true, seed, m.get_allocator());
        for (int i = 0; i < 4; ++i)
            assert_true(s->insert(keys[i], i));
        assert_int_equal(s->max_id_probe_distance(), 3); /* the chain exists */
        assert_int_equal(s->erase(keys[0]), 1);           /* the head */
        assert_int_equal(s->count(keys[1]), 1);
        assert_int_equal(s->value(s->find(keys[2])), 2);
        s->erase(s->find(keys[2]));                       /* the middle */
        assert_int_equal(s->value(s->find(keys[3])), 3);
        assert_true(s->find(keys[4]) == s->end());
        assert_int_equal(s->erase(keys[4]), 0);
        /* a unique store replaces, not duplicates, a key after the hole */
        assert_true(s->insert(keys[3], 30));
        assert_int_equal(s->size(), 2);
        assert_int_equal(s->count(keys[3]), 1);
        /* a new key reuses a hole; every key stays reachable */
        assert_true(s->insert(keys[4], 4));
        assert_true(s->insert(keys[0], 0));
        for (int i : {0, 1, 3, 4})
            assert_int_equal(s->count(keys[i]), 1);
        assert_true(s->find(keys[2]) == s->end());
        assert_int_equal(s->size(), 4);

        auto *dup = m.construct<int_store>("dup")(false, seed, m.get_allocator());
        for (int i = 0; i < 3; ++i) {
            assert_true(dup->insert(keys[i], i));
            assert_true(dup->insert(keys[i], 10 + i));
        }
        assert_int_equal(dup->erase(keys[0]), 2);
        assert_int_equal(dup->count(keys[2]), 2);
        assert_int_equal(dup->erase(keys[1]), 2);
        auto r = dup->equal_range(keys[2]);
        int sum = 0;
        for (auto l = r.first; l != r.second; ++l)
            sum += dup->value(l);
        assert_int_equal(sum, 2 + 12);
    }
    manager m(metall::open_read_only, p); /* the probe bound persists */
    auto *s = m.find<int_store>("s").first;
    assert_int_equal(s->value(s->find(keys[3])), 30);
    assert_int_equal(s->value(s->find(keys[1])), 1);
}

static void test_ls_and_remove(void **state) {
    (void)state;
    tmp_dir d;
    const std::string p = d / "ds";
    {
        manager m(metall::create_only, p, kCap);
        int *x = m.construct<int>("answer")(42);
        m.set_instance_description(x, "the answer");
        m.construct<double>(metall::unique_instance)(1.0);
        m.construct<char>(metall::anonymous_instance)[3]('a');
    }
    std::string out;
    {
        std::stringstream ss;
        auto *old = std::cout.rdbuf(ss.rdbuf());
        assert_true(metall::utility::ls_named_object(p));
        assert_true(metall::utility::ls_unique_object(p));
        assert_true(metall::utility::ls_anonymous_object(p));
        std::cout.rdbuf(old);
        out = ss.str();
    }
    assert_true(out.find("answer") != std::string::npos);
    assert_true(out.find("the answer") != std::string::npos);
    assert_true(out.find(typeid(double).name()) != std::string::npos);
    assert_true(out.find("[Anonymous Object]") != std::string::npos);
    metall::logger::set_log_level(metall::logger::level_filter::silent);
    assert_false(metall::utility::ls_named_object(d / "none"));
    metall::logger::set_log_level(metall::logger::level_filter::error);
    assert_true(metall::utility::filesystem::remove(p));
    assert_false(manager::consistent(p));
    assert_true(metall::utility::filesystem::remove(p)); /* nothing there */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logger),
        cmocka_unit_test(test_mutex),
        cmocka_unit_test(test_random_hash),
        cmocka_unit_test(test_coc_iterator),
        cmocka_unit_test(test_container_aliases),
        cmocka_unit_test(test_concurrent_map_api),
        cmocka_unit_test(test_string_key_store),
        cmocka_unit_test(test_string_key_store_collisions),
        cmocka_unit_test(test_ls_and_remove),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
