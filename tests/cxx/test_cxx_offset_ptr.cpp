/*
 * test_cxx_offset_ptr.cpp - metall::offset_ptr (encoding shared with
 * metall_rptr, arithmetic, conversions, to_raw_pointer) and compile-time
 * checks that the allocator and offset_ptr meet what allocator-aware
 * containers use.
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
template <class T>
using allocator = metall::manager::allocator_type<T>;
using metall::offset_ptr;

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
    static_assert(std::is_nothrow_constructible_v<A, std::nullptr_t>);
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
static_assert(!std::is_copy_constructible_v<metall::manager>);
static_assert(std::is_nothrow_move_constructible_v<metall::manager>);
static_assert(std::is_nothrow_move_assignable_v<metall::manager>);
static_assert(!std::is_default_constructible_v<allocator<int>>);
/* the constructors are noexcept (given a path: converting to one may throw) */
static_assert(noexcept(metall::manager(metall::open_only,
                                       std::declval<const metall::manager::path_type &>())));
static_assert(noexcept(metall::manager(metall::create_only,
                                       std::declval<const metall::manager::path_type &>(), 1)));
static_assert(std::is_same_v<metallc::manager, metall::manager>); /* the old name */
static_assert(metall::manager::chunk_size() == ((size_t)2 << 20));

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
    assert_true(metall::static_pointer_cast<int>(v) == p);
    assert_true(metall::const_pointer_cast<int>(c) == p);
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


/* to_raw_pointer takes raw and offset pointers alike. */
static void test_to_raw_pointer(void **state) {
    (void)state;
    long x[2] = {1, 2};
    offset_ptr<long> p(x + 1);
    assert_ptr_equal(metall::to_raw_pointer(p), x + 1);
    assert_ptr_equal(metall::to_raw_pointer(x), x);
    assert_ptr_equal(metall::to_raw_pointer(offset_ptr<long>()), nullptr);
    assert_int_equal(p.get_offset(), p.offset());
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offset_ptr_encoding),
        cmocka_unit_test(test_offset_ptr_ops),
        cmocka_unit_test(test_to_raw_pointer),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
