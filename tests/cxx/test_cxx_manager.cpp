/*
 * test_cxx_manager.cpp - the C++ layer (metall.hpp) in one process:
 * offset_ptr (encoding shared with metall_rptr, arithmetic, conversions),
 * compile-time checks that allocator/offset_ptr meet what allocator-aware
 * containers use, metallc::manager (named objects with Boost.Interprocess
 * semantics, errors as metallc::error with errno), and the allocator with
 * std::vector and Boost.Container containers.
 */
#include <metall/metall.hpp>

#include <boost/container/map.hpp>
#include <boost/container/scoped_allocator.hpp>
#include <boost/container/string.hpp>
#include <boost/container/vector.hpp>

#include <cerrno>
#include <cstring>
#include <atomic>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <iterator>
#include <memory>
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

namespace bc = boost::container;
using metallc::allocator;
using metallc::offset_ptr;

/* ---------------------------------------------------------------------- */
/* Compile-time checks: the allocator requirements over the types the
 * containers rebind to, and pointer_traits / iterator_traits of offset_ptr. */

template <class T>
constexpr bool check_allocator() {
    using A = allocator<T>;
    using AT = std::allocator_traits<A>;
    static_assert(std::is_same_v<typename AT::value_type, T>);
    static_assert(std::is_same_v<typename AT::pointer, offset_ptr<T>>);
    static_assert(std::is_same_v<typename AT::const_pointer, offset_ptr<const T>>);
    static_assert(std::is_same_v<typename AT::void_pointer, offset_ptr<void>>);
    static_assert(std::is_same_v<typename AT::const_void_pointer, offset_ptr<const void>>);
    static_assert(std::is_same_v<typename AT::size_type, std::size_t>);
    static_assert(std::is_same_v<typename AT::difference_type, std::ptrdiff_t>);
    static_assert(std::is_same_v<typename AT::template rebind_alloc<double>, allocator<double>>);
    static_assert(std::is_same_v<typename AT::template rebind_traits<char>::pointer, offset_ptr<char>>);
    static_assert(!AT::propagate_on_container_copy_assignment::value);
    static_assert(!AT::propagate_on_container_move_assignment::value);
    static_assert(!AT::propagate_on_container_swap::value);
    static_assert(!AT::is_always_equal::value);
    static_assert(std::is_nothrow_copy_constructible_v<A>);
    static_assert(std::is_nothrow_move_constructible_v<A>);
    static_assert(std::is_copy_assignable_v<A>);
    static_assert(std::is_constructible_v<A, const allocator<int> &>); /* from rebound */
    static_assert(std::is_same_v<decltype(std::declval<A &>().allocate(1)), offset_ptr<T>>);
    static_assert(std::is_same_v<decltype(std::declval<A &>() == std::declval<allocator<char> &>()), bool>);
    /* pointer conversions the requirements list */
    static_assert(std::is_convertible_v<offset_ptr<T>, offset_ptr<const T>>);
    static_assert(std::is_convertible_v<offset_ptr<T>, offset_ptr<void>>);
    static_assert(std::is_convertible_v<offset_ptr<const T>, offset_ptr<const void>>);
    static_assert(std::is_convertible_v<offset_ptr<void>, offset_ptr<const void>>);
    static_assert(!std::is_convertible_v<offset_ptr<void>, offset_ptr<T>>); /* explicit only */
    static_assert(std::is_constructible_v<offset_ptr<T>, offset_ptr<void>>);
    static_assert(!std::is_constructible_v<offset_ptr<T>, offset_ptr<const void>>); /* no const drop */
    static_assert(!std::is_convertible_v<offset_ptr<const T>, offset_ptr<T>>);
    static_assert(std::is_nothrow_default_constructible_v<offset_ptr<T>>);
    static_assert(std::is_constructible_v<offset_ptr<T>, std::nullptr_t>);
    static_assert(!std::is_convertible_v<offset_ptr<T>, bool>); /* explicit operator bool */
    static_assert(std::is_constructible_v<bool, offset_ptr<T>>);
    /* pointer_traits */
    using PT = std::pointer_traits<offset_ptr<T>>;
    static_assert(std::is_same_v<typename PT::element_type, T>);
    static_assert(std::is_same_v<typename PT::difference_type, std::ptrdiff_t>);
    static_assert(std::is_same_v<typename PT::template rebind<long>, offset_ptr<long>>);
    static_assert(std::is_same_v<decltype(PT::pointer_to(std::declval<T &>())), offset_ptr<T>>);
    /* a random access iterator */
    using IT = std::iterator_traits<offset_ptr<T>>;
    static_assert(std::is_same_v<typename IT::iterator_category, std::random_access_iterator_tag>);
    static_assert(std::is_same_v<typename IT::reference, T &>);
    static_assert(std::is_same_v<typename IT::value_type, std::remove_cv_t<T>>);
    return true;
}

struct node_like {
    offset_ptr<node_like> left, right;
    long key;
};
static_assert(check_allocator<int>());
static_assert(check_allocator<char>());
static_assert(check_allocator<node_like>());
static_assert(check_allocator<offset_ptr<int>>()); /* deque's map of blocks */
static_assert(check_allocator<bc::vector<int, allocator<int>>>());
static_assert(check_allocator<std::pair<const int, double>>());
static_assert(std::is_same_v<std::pointer_traits<offset_ptr<void>>::rebind<int>, offset_ptr<int>>);
static_assert(sizeof(offset_ptr<node_like>) == sizeof(metall_rptr));
static_assert(sizeof(allocator<int>) == sizeof(metall_rptr)); /* just the base offset */
static_assert(std::is_base_of_v<std::system_error, metallc::error>);
static_assert(!std::is_copy_constructible_v<metallc::manager>);
static_assert(std::is_nothrow_move_constructible_v<metallc::manager>);

/* ---------------------------------------------------------------------- */
/* offset_ptr */

/* The same bytes as metall_rptr: C code reads what C++ wrote and back. */
static void test_offset_ptr_encoding(void **state) {
    (void)state;
    struct pair_rec {
        int values[4];
        offset_ptr<int> p;  /* written by C++ */
        metall_rptr r;      /* written by C */
    };
    alignas(pair_rec) unsigned char buf[sizeof(pair_rec)];
    std::memset(buf, 0, sizeof buf);
    /* zero-initialised memory holds null pointers */
    auto *rec = reinterpret_cast<pair_rec *>(buf);
    assert_true(!rec->p);
    assert_true(rec->p == nullptr);
    assert_null(rec->p.get());

    rec->p = &rec->values[2];
    metall_rptr as_c;
    std::memcpy(&as_c, &rec->p, sizeof as_c);
    /* the raw bytes read through the C function point to the same int,
     * as long as they stay at the same address */
    assert_ptr_equal(metall_rptr_get(reinterpret_cast<const metall_rptr *>(&rec->p)),
                     &rec->values[2]);
    assert_int_equal(as_c.off, -(std::int64_t)(offsetof(pair_rec, p) - 2 * sizeof(int)));

    metall_rptr_set(&rec->r, &rec->values[1]);
    /* what C wrote reads as an offset_ptr in place */
    assert_ptr_equal(reinterpret_cast<offset_ptr<int> *>(&rec->r)->get(), &rec->values[1]);

    /* pointing at itself encodes as +1, never 0 */
    offset_ptr<void> self;
    self = static_cast<void *>(&self);
    assert_int_equal(self.offset(), 1);
    assert_ptr_equal(self.get(), &self);
}

/* Arithmetic, comparisons, conversions; a copy recomputes its offset. */
static void test_offset_ptr_ops(void **state) {
    (void)state;
    int a[10];
    for (int i = 0; i < 10; ++i)
        a[i] = i * i;
    offset_ptr<int> p(a);
    offset_ptr<int> q = p + 3;
    assert_int_equal(*q, 9);
    assert_int_equal(q[2], 25);
    assert_int_equal(q - p, 3);
    assert_true(p < q && q > p && p <= p && q >= p && p != q);
    ++q;
    assert_int_equal(*q, 16);
    q--;
    assert_int_equal(*q, 9);
    q += 5;
    assert_int_equal(*q, 64);
    q -= 8;
    assert_true(q == p);
    assert_true(q == a && a == q && q != a + 1);
    assert_int_equal(*(2 + p), 4);
    assert_int_equal(*((p + 4) - 1), 9);

    /* copies at other addresses point at the same target */
    auto heap_copy = std::make_unique<offset_ptr<int>>(p + 7);
    offset_ptr<int> back(*heap_copy);
    assert_ptr_equal(back.get(), &a[7]);
    assert_true(heap_copy->offset() != back.offset());

    /* conversions */
    offset_ptr<const int> c = p;
    offset_ptr<void> v = p;
    offset_ptr<const void> cv = c;
    assert_ptr_equal(cv.get(), a);
    auto back_int = static_cast<offset_ptr<int>>(v);
    assert_true(back_int == p);
    assert_true(metallc::static_pointer_cast<int>(v) == p);
    assert_true(metallc::const_pointer_cast<int>(c) == p);
    assert_true(offset_ptr<int>::pointer_to(a[5]) == a + 5);
    assert_true(std::pointer_traits<offset_ptr<int>>::pointer_to(a[6]) == a + 6);
    assert_true(v == p); /* mixed-type comparison */

    /* null */
    offset_ptr<int> n = nullptr;
    assert_false(static_cast<bool>(n));
    assert_true(nullptr == n && n != p && p != nullptr);
    n = p;
    n = 0; /* Boost.Container writes this */
    assert_true(n == nullptr);

    /* an iterator for std algorithms */
    int sum = 0;
    for (offset_ptr<int> it = p; it != p + 10; ++it)
        sum += *it;
    assert_int_equal(sum, 285);
    assert_int_equal(std::distance(p, p + 10), 10);

    /* stepping across the pointer's own address (the encoding changes
     * sign there, and the target == itself encodes as +1) */
    struct walk {
        char before[16];
        offset_ptr<char> p;
        char after[16];
    } w;
    char *wb = reinterpret_cast<char *>(&w);
    w.p = wb;
    for (std::size_t k = 0; k < sizeof w; ++k, ++w.p)
        assert_ptr_equal(w.p.get(), wb + k);
    for (std::size_t k = sizeof w; k > 0; --k) {
        --w.p;
        assert_ptr_equal(w.p.get(), wb + k - 1);
    }
    for (std::ptrdiff_t k = 0; k < (std::ptrdiff_t)sizeof w; ++k) {
        w.p = wb + 3;
        w.p += k - 3;
        assert_ptr_equal(w.p.get(), wb + k);
        offset_ptr<char> far(wb + sizeof w - 1);
        far -= (std::ptrdiff_t)sizeof w - 1 - k;
        assert_ptr_equal(far.get(), wb + k);
    }

    /* swap and hash */
    offset_ptr<int> x(a), y(a + 1);
    swap(x, y);
    assert_ptr_equal(x.get(), a + 1);
    assert_ptr_equal(y.get(), a);
    assert_true(std::hash<offset_ptr<int>>()(x) == std::hash<int *>()(a + 1));
}

/* ---------------------------------------------------------------------- */
/* manager */

/* Several managers are open at once: reserve modest address space each
 * (sanitizer builds have less of it). */
static const metall_options small = [] {
    metall_options o{};
    o.capacity = (size_t)1 << 30;
    return o;
}();

static int live_objects;
struct counted {
    int value;
    explicit counted(int v) : value(v) { ++live_objects; }
    counted(int v, int w) : value(v + w) { ++live_objects; }
    ~counted() { --live_objects; }
};
struct throws_on_third {
    static inline int made = 0;
    throws_on_third() {
        if (++made == 3)
            throw std::runtime_error("third");
        ++live_objects;
    }
    ~throws_on_third() { --live_objects; }
};

static int errno_of(const std::function<void()> &fn) {
    try {
        fn();
    } catch (const metallc::error &e) {
        assert_true(std::strlen(e.what()) > 0);
        return e.code().value();
    }
    return 0;
}

static void test_manager_named(void **state) {
    (void)state;
    tmp_dir dir;
    const std::string path = dir / "ds";
    live_objects = 0;
    {
        metallc::manager m(metallc::create_only, path, &small);
        assert_non_null(m.get());
        assert_false(m.read_only());

        counted *c = m.construct<counted>("c")(41);
        assert_non_null(c);
        assert_int_equal(c->value, 41);
        /* construct on an existing name: EEXIST (Boost.Interprocess throws) */
        assert_int_equal(errno_of([&] { m.construct<counted>("c")(1); }), EEXIST);
        assert_null(m.construct<counted>("c", std::nothrow)(1));
        /* find_or_construct finds the existing object, does not construct */
        assert_ptr_equal(m.find_or_construct<counted>("c")(7), c);
        assert_int_equal(live_objects, 1);
        counted *d = m.find_or_construct<counted>(std::string("d"))(3, 4);
        assert_int_equal(d->value, 7);

        auto f = m.find<counted>("c");
        assert_ptr_equal(f.first, c);
        assert_int_equal(f.second, 1);
        auto none = m.find<counted>("nope");
        assert_null(none.first);
        assert_int_equal(none.second, 0);

        /* arrays: n objects with the same arguments */
        counted *arr = m.construct<counted>("arr")[5](9);
        assert_int_equal(live_objects, 7);
        auto fa = m.find<counted>("arr");
        assert_ptr_equal(fa.first, arr);
        assert_int_equal(fa.second, 5);
        for (int i = 0; i < 5; ++i)
            assert_int_equal(arr[i].value, 9);

        /* a throwing constructor: the built ones are destroyed, the name freed */
        throws_on_third::made = 0;
        bool threw = false;
        try {
            m.construct<throws_on_third>("t")[4]();
        } catch (const std::runtime_error &) {
            threw = true;
        }
        assert_true(threw);
        assert_int_equal(live_objects, 7);
        assert_null(m.find<throws_on_third>("t").first);

        /* raw allocation, C interop: a named object the C API made */
        void *raw = m.allocate(100);
        assert_int_equal(reinterpret_cast<std::uintptr_t>(raw) % 16, 0);
        m.deallocate(raw);
        double *cd = static_cast<double *>(metall_named_malloc(m.get(), "from_c", 3 * sizeof(double)));
        assert_non_null(cd);
        assert_int_equal(m.find<double>("from_c").second, 3);
        assert_int_equal(errno_of([&] { m.find<counted[8]>("from_c"); }), EINVAL);

        /* destroy runs the destructors */
        assert_true(m.destroy<counted>("arr"));
        assert_int_equal(live_objects, 2);
        assert_false(m.destroy<counted>("arr"));
        assert_null(m.find<counted>("arr").first);

        m.flush();
        m.snapshot(dir / "snap");
        assert_int_equal(errno_of([&] { m.snapshot(dir / "snap"); }), EEXIST);
        /* open elsewhere while this one writes: EBUSY */
        assert_false(metallc::manager::consistent(path));
        assert_int_equal(errno_of([&] { metallc::manager other(metallc::open_only, path); }), EBUSY);

        /* move: the moved-to manager owns the datastore */
        metallc::manager moved(std::move(m));
        assert_false(m.is_open());
        assert_null(m.get());
        assert_int_equal(errno_of([&] { m.find<int>("c"); }), EINVAL);
        assert_int_equal(moved.find<counted>("c").first->value, 41);
        moved.close();
        assert_false(moved.is_open());
        moved.close(); /* closing twice does nothing */
    }
    assert_int_equal(live_objects, 2); /* closing destroys nothing */
    assert_true(metallc::manager::consistent(path));
    assert_true(metallc::manager::consistent(dir / "snap"));

    metallc::manager::copy(path, dir / "copy");
    assert_int_equal(errno_of([&] { metallc::manager::copy(path, dir / "copy"); }), EEXIST);
    {
        metallc::manager r(metallc::open_read_only, dir / "copy");
        assert_true(r.read_only());
        assert_int_equal(r.find<counted>("c").first->value, 41);
        assert_int_equal(r.find<counted>("d").first->value, 7);
        assert_int_equal(errno_of([&] { r.construct<counted>("e")(1); }), EROFS);
        assert_int_equal(errno_of([&] { r.destroy<counted>("c"); }), EROFS);
        assert_int_equal(errno_of([&] { r.allocate(8); }), EROFS);
        auto ra = r.get_allocator<int>();
        assert_int_equal(errno_of([&] { ra.allocate(1); }), EROFS);
    }
    {
        metallc::manager s(metallc::open_only, dir / "snap");
        assert_int_equal(s.find<counted>("c").first->value, 41);
        assert_true(s.destroy<counted>("c"));
        assert_int_equal(live_objects, 1);
    }
    assert_true(metallc::manager::remove(dir / "snap"));
    assert_false(metallc::manager::remove(dir / "snap")); /* nothing there */
    assert_int_equal(errno_of([&] { metallc::manager::remove(dir.path()); }), EINVAL);
    assert_int_equal(errno_of([&] { metallc::manager m(metallc::open_only, dir / "missing"); }), ENOENT);
    assert_int_equal(errno_of([&] { metallc::manager m(metallc::create_only, path); }), EEXIST);
    assert_int_equal(errno_of([] { metallc::manager m(static_cast<metall_manager *>(nullptr)); }), EINVAL);

    /* the message names the path */
    try {
        metallc::manager m(metallc::open_only, dir / "missing");
        fail();
    } catch (const metallc::error &e) {
        assert_non_null(std::strstr(e.what(), "missing"));
    }

    /* adopt a C handle; a manager assigned over closes the old datastore */
    metallc::manager a(metall_open(path.c_str()));
    assert_non_null(a.find<counted>("c").first);
    a = metallc::manager(metallc::create_only, dir / "other", &small);
    assert_true(metallc::manager::consistent(path));
}

/* ---------------------------------------------------------------------- */
/* allocator */

static void test_allocator_basics(void **state) {
    (void)state;
    tmp_dir dir;
    metallc::manager m(metallc::create_only, dir / "ds", &small);
    metallc::manager m2(metallc::create_only, dir / "ds2", &small);
    auto a = m.get_allocator<int>();
    auto b = m.get_allocator<double>();
    auto other = m2.get_allocator<int>();
    assert_true(a == b);
    assert_true(a != other);
    assert_ptr_equal(a.get_manager(), m.get());
    assert_ptr_equal(other.get_manager(), m2.get());

    /* through allocator_traits, as containers do */
    using AT = std::allocator_traits<allocator<std::string>>;
    allocator<std::string> sa(a);
    auto p = AT::allocate(sa, 3);
    assert_int_equal(metall_offset_of(m.get(), p.get()) != 0, 1);
    assert_true(metall_usable_size(m.get(), p.get()) >= 3 * sizeof(std::string));
    AT::construct(sa, p.get() + 1, "hello");
    assert_string_equal(p[1].c_str(), "hello");
    AT::destroy(sa, p.get() + 1);
    AT::deallocate(sa, p, 3);

    /* over-aligned types go through metall_aligned_alloc */
    struct alignas(64) wide {
        char c[64];
    };
    allocator<wide> wa(a);
    auto w = wa.allocate(2);
    assert_int_equal(reinterpret_cast<std::uintptr_t>(w.get()) % 64, 0);
    wa.deallocate(w, 2);

    assert_int_equal(errno_of([&] { a.allocate(a.max_size() + 1); }), ENOMEM);

    /* std::vector accepts fancy pointers (libstdc++ stores `pointer`) */
    using svec = std::vector<int, allocator<int>>;
    svec *v = m.construct<svec>("svec")(a);
    for (int i = 0; i < 10000; ++i)
        v->push_back(i);
    assert_int_equal(metall_offset_of(m.get(), v->data()) != 0, 1);
    long sum = 0;
    for (int x : *v)
        sum += x;
    assert_int_equal(sum, 49995000L);

    /* assignment from a container of another datastore copies the elements:
     * the target keeps its own allocator (propagate_* are false) */
    svec elsewhere(other);
    elsewhere.assign(5, 7);
    *v = elsewhere;
    assert_true(v->get_allocator() == a);
    assert_int_equal(metall_offset_of(m.get(), v->data()) != 0, 1);
    *v = std::move(elsewhere);
    assert_true(v->get_allocator() == a);
    assert_int_equal(v->size(), 5);
    assert_true(m.destroy<svec>("svec"));

    /* an allocator whose datastore is closed: ENXIO, not a crash */
    m2.close();
    assert_ptr_equal(other.get_manager(), nullptr);
    assert_int_equal(errno_of([&] { other.allocate(1); }), ENXIO);
}

/* Nested Boost containers in one process, with reopen at (maybe) the same
 * address; test_cxx_reopen checks another process at another address. */
static void test_boost_nested(void **state) {
    (void)state;
    using str = bc::basic_string<char, std::char_traits<char>, allocator<char>>;
    using strvec = bc::vector<str, bc::scoped_allocator_adaptor<allocator<str>>>;
    using idx = bc::map<str, strvec, std::less<>,
                        bc::scoped_allocator_adaptor<allocator<std::pair<const str, strvec>>>>;
    tmp_dir dir;
    {
        metallc::manager m(metallc::create_only, dir / "ds", &small);
        idx *x = m.construct<idx>("idx")(m.get_allocator<char>());
        for (int i = 0; i < 50; ++i) {
            std::string k = "key-" + std::to_string(i) + "-long-enough-to-leave-sso";
            auto &vec = (*x)[str(k.c_str(), m.get_allocator<char>())];
            for (int j = 0; j < i; ++j)
                vec.emplace_back(std::to_string(j).c_str()); /* scoped: gets the allocator */
        }
        /* the inner elements were given the datastore's allocator */
        assert_true(x->begin()->second.get_allocator() == m.get_allocator<int>());
    }
    metallc::manager m(metallc::open_only, dir / "ds");
    idx *x = m.find<idx>("idx").first;
    assert_non_null(x);
    assert_int_equal(x->size(), 50);
    auto it = x->find("key-17-long-enough-to-leave-sso");
    assert_true(it != x->end());
    assert_int_equal(it->second.size(), 17);
    assert_string_equal(it->second[16].c_str(), "16");
    assert_true(m.destroy<idx>("idx"));
    assert_int_equal(m.stats().named_objects, 0);
}

/* Many threads: allocators look their manager up concurrently (and while
 * another manager opens and closes), find_or_construct constructs once. */
static std::atomic<int> constructions{0};
struct once_t {
    long v;
    once_t() : v(1234) {
        ++constructions;
        std::this_thread::sleep_for(std::chrono::milliseconds(20)); /* widen the race */
    }
};
static void test_threads(void **state) {
    (void)state;
    tmp_dir dir;
    metallc::manager m(metallc::create_only, dir / "ds", &small);
    constexpr int kThreads = 4;
    std::vector<once_t *> got(kThreads);
    std::vector<long> sums(kThreads);
    std::atomic<bool> stop{false};
    std::thread churn([&] { /* registry entries come and go meanwhile */
        int i = 0;
        while (!stop.load()) {
            metallc::manager t(metallc::create_only, dir / ("t" + std::to_string(i++)).c_str(), &small);
        }
    });
    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; ++t)
        ts.emplace_back([&, t] {
            got[t] = m.find_or_construct<once_t>("once")();
            bc::vector<long, allocator<long>> v(m.get_allocator<long>());
            for (long i = 0; i < 20000; ++i)
                v.push_back(i + t);
            for (long x : v)
                sums[t] += x;
        });
    for (auto &th : ts)
        th.join();
    stop = true;
    churn.join();
    assert_int_equal(constructions.load(), 1);
    for (int t = 0; t < kThreads; ++t) {
        assert_ptr_equal(got[t], got[0]);
        assert_int_equal(sums[t], 199990000L + 20000L * t);
    }
    assert_int_equal(got[0]->v, 1234);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offset_ptr_encoding),
        cmocka_unit_test(test_offset_ptr_ops),
        cmocka_unit_test(test_manager_named),
        cmocka_unit_test(test_allocator_basics),
        cmocka_unit_test(test_boost_nested),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
