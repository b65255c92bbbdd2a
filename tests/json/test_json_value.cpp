/*
 * test_json_value.cpp - metall::json::value, array, object and
 * key_value_pair in memory: every kind, assignment and emplace, equality,
 * copy/move/swap with equal and unequal allocators, assignment from a part
 * of the value itself, and the array/object operations. A counting,
 * stateful allocator checks that everything a value holds is allocated
 * with its allocator and freed again.
 */
#include <metall/json/json.hpp>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
extern "C" {
#include <cmocka.h>
}

#include "json_test_util.hpp"

namespace mj = metall::json;
using cval = mj::value<counting_alloc<std::byte>>;
using sval = mj::value<>; /* std::allocator<std::byte> */

/* Which is_*() are true, as a string of 8 flags (null bool i64 u64 dbl str arr obj). */
template <typename V>
static std::string kinds(const V &v) {
    std::string s;
    for (bool b : {v.is_null(), v.is_bool(), v.is_int64(), v.is_uint64(), v.is_double(), v.is_string(),
                   v.is_array(), v.is_object()})
        s += b ? '1' : '0';
    return s;
}

template <typename F>
static bool throws_bad_variant(F f) {
    try {
        f();
    } catch (const std::bad_variant_access &) {
        return true;
    }
    return false;
}

static void test_every_kind(void **) {
    sval v;
    assert_string_equal(kinds(v).c_str(), "10000000");
    v = true;
    assert_string_equal(kinds(v).c_str(), "01000000");
    assert_true(v.as_bool());
    v = static_cast<signed char>(-3);
    assert_string_equal(kinds(v).c_str(), "00100000");
    assert_int_equal(v.as_int64(), -3);
    v = static_cast<short>(-300);
    assert_int_equal(v.as_int64(), -300);
    v = -70000;
    assert_int_equal(v.as_int64(), -70000);
    v = std::numeric_limits<long>::min();
    assert_true(v.as_int64() == std::numeric_limits<std::int64_t>::min());
    v = 5LL;
    assert_int_equal(v.as_int64(), 5);
    v = static_cast<unsigned char>(200);
    assert_string_equal(kinds(v).c_str(), "00010000");
    assert_int_equal(v.as_uint64(), 200);
    v = static_cast<unsigned short>(60000);
    assert_int_equal(v.as_uint64(), 60000);
    v = 7u;
    assert_int_equal(v.as_uint64(), 7);
    v = std::numeric_limits<unsigned long>::max();
    assert_true(v.as_uint64() == std::numeric_limits<std::uint64_t>::max());
    v = 9ULL;
    assert_int_equal(v.as_uint64(), 9);
    v = 2.5;
    assert_string_equal(kinds(v).c_str(), "00001000");
    assert_true(v.as_double() == 2.5);
    v = 1.5f; /* float -> double */
    assert_true(v.is_double() && v.as_double() == 1.5);
    v = "text";
    assert_string_equal(kinds(v).c_str(), "00000100");
    assert_string_equal(v.as_string().c_str(), "text");
    v = std::string_view("a\0b", 3); /* all of the view, NUL included */
    assert_int_equal(v.as_string().size(), 3);
    assert_int_equal(v.as_string()[2], 'b');
    v = nullptr;
    assert_true(v.is_null());
    v.emplace_array().push_back(sval(std::allocator<std::byte>()));
    assert_string_equal(kinds(v).c_str(), "00000010");
    assert_int_equal(v.as_array().size(), 1);
    v.emplace_object()["k"] = 1;
    assert_string_equal(kinds(v).c_str(), "00000001");
    assert_int_equal(v.as_object().size(), 1);

    /* emplace_*() reset to the kind's zero and return a usable reference */
    v.emplace_bool() = true;
    assert_true(v.as_bool());
    assert_false(v.emplace_bool());
    v.emplace_int64() = -1;
    assert_int_equal(v.as_int64(), -1);
    assert_int_equal(v.emplace_uint64(), 0);
    v.emplace_double() = 0.25;
    assert_true(v.as_double() == 0.25);
    v.emplace_string() = "s";
    assert_string_equal(v.as_string().c_str(), "s");
    assert_int_equal(v.emplace_string().size(), 0);
    v.emplace_null();
    assert_true(v.is_null());

    /* as_*() of another kind throws, const or not */
    v = 1;
    const sval &cv = v;
    assert_true(throws_bad_variant([&] { (void)v.as_bool(); }));
    assert_true(throws_bad_variant([&] { (void)cv.as_uint64(); }));
    assert_true(throws_bad_variant([&] { (void)cv.as_double(); }));
    assert_true(throws_bad_variant([&] { (void)v.as_string(); }));
    assert_true(throws_bad_variant([&] { (void)cv.as_array(); }));
    assert_true(throws_bad_variant([&] { (void)v.as_object(); }));
    assert_false(throws_bad_variant([&] { (void)cv.as_int64(); }));
}

static void test_equality(void **) {
    sval a, b;
    assert_true(a == b); /* null == null */
    a = 5;
    b = 5u;
    assert_true(a == b && b == a); /* int64 5 == uint64 5 */
    a = -1;
    b = std::numeric_limits<std::uint64_t>::max();
    assert_true(a != b && b != a);
    a = 1;
    b = 1.0;
    assert_true(a != b); /* kinds differ */
    a = true;
    b = 1;
    assert_true(a != b);
    a = std::string_view("x\0y", 3);
    b = std::string_view("x\0z", 3);
    assert_true(a != b);
    b = std::string_view("x\0y", 3);
    assert_true(a == b);
    b = "x";
    assert_true(a != b);

    sval arr1 = mj::parse("[1, 2, [3]]"), arr2 = mj::parse("[1, 2, [3]]");
    assert_true(arr1 == arr2);
    arr2.as_array()[2].as_array()[0] = 4;
    assert_true(arr1 != arr2);
    assert_true(mj::parse("[1, 2]") != mj::parse("[2, 1]")); /* arrays: order counts */
    assert_true(mj::parse("[1]") != mj::parse("[1, 1]"));

    sval o1 = mj::parse(R"({"a": 1, "b": {"c": [true]}})");
    sval o2 = mj::parse(R"({"b": {"c": [true]}, "a": 1})");
    assert_true(o1 == o2); /* objects: order does not */
    assert_true(o1.as_object() == o2.as_object());
    o2.as_object()["b"].as_object()["c"].as_array()[0] = false;
    assert_true(o1 != o2);
    assert_true(mj::parse(R"({"a": 1})") != mj::parse(R"({"a": 1, "b": 2})"));
    assert_true(mj::parse(R"({"a": 1, "c": 2})") != mj::parse(R"({"a": 1, "b": 2})"));
    assert_true(o1 != arr1 && arr1 != o1);
}

static void test_copy_move_allocators(void **) {
    arena A, B;
    counting_alloc<std::byte> aa(&A), ab(&B);
    {
        cval v = mj::parse(R"({"key that is long enough": ["a string past the small buffer", 2, {"x": null}]})",
                           aa);
        const long blocks = A.live_blocks;
        assert_true(blocks > 0);
        assert_int_equal(B.live_blocks, 0);

        cval copy(v); /* same arena (select_on_container_copy_construction) */
        assert_true(copy == v);
        assert_true(copy.get_allocator() == aa);
        assert_int_equal(A.live_blocks, 2 * blocks);

        cval inb(v, ab); /* allocator-extended copy: everything in B */
        assert_true(inb == v);
        assert_int_equal(B.live_blocks, blocks);

        const long total = A.total_blocks;
        cval moved(std::move(copy)); /* steals: no allocation */
        assert_int_equal(A.total_blocks, total);
        assert_true(copy.is_null() && moved == v);

        cval same(std::move(moved), aa); /* equal allocators: steals */
        assert_int_equal(A.total_blocks, total);
        assert_true(moved.is_null() && same == v);

        cval other(std::move(same), ab); /* unequal: copied into B, source null */
        assert_true(same.is_null() && other == v);
        assert_int_equal(A.live_blocks, blocks);
        assert_int_equal(B.live_blocks, 2 * blocks);

        cval target(ab); /* assignments keep the target's allocator */
        target = v;
        assert_true(target == v && target.get_allocator() == ab);
        assert_int_equal(B.live_blocks, 3 * blocks);
        target = std::move(other); /* both in B: steals, the old contents freed */
        assert_int_equal(B.live_blocks, 2 * blocks);
        cval t2(ab);
        t2 = std::move(v); /* A -> B: copied; v null */
        assert_true(v.is_null() && t2 == target);
        assert_int_equal(A.live_blocks, 0);

        cval s1(ab), s2(ab);
        s1 = "one";
        s2 = mj::parse("[1]", ab);
        s1.swap(s2);
        assert_true(s1.is_array() && s2.is_string());
        swap(s1, s2);
        assert_true(s1.is_string() && s2.is_array());
        assert_true(s1.get_allocator() == ab);
    }
    assert_int_equal(A.live_blocks, 0);
    assert_int_equal(B.live_blocks, 0);
    assert_int_equal(A.live_bytes, 0);
    assert_int_equal(B.live_bytes, 0);
}

/* The source of an assignment may live inside the target. */
static void test_assign_from_inside(void **) {
    arena A;
    counting_alloc<std::byte> aa(&A);
    {
        cval v = mj::parse(R"([{"k": ["deep", "a string past the small buffer"]}, "second string long enough!!", 3])", aa);
        v = v.as_array()[0]; /* copy of a child */
        assert_true(v == mj::parse(R"({"k": ["deep", "a string past the small buffer"]})", aa));
        v = std::move(v.as_object()["k"]); /* move of a child */
        assert_true(v == mj::parse(R"(["deep", "a string past the small buffer"])", aa));
        v = v.as_array()[1].as_string(); /* a string inside */
        assert_string_equal(v.as_string().c_str(), "a string past the small buffer");
        v = v.as_string(); /* itself */
        assert_string_equal(v.as_string().c_str(), "a string past the small buffer");
        v = std::string_view(v.as_string()).substr(2, 6);
        assert_string_equal(v.as_string().c_str(), "string");
        cval w = mj::parse(R"({"a": {"b": 1}})", aa);
        w = w.as_object()["a"].as_object(); /* an object inside */
        assert_true(w == mj::parse(R"({"b": 1})", aa));
        w = v;
        w = w; /* self */
        assert_true(w == v);
        cval &ref = w;
        w = std::move(ref); /* self-move keeps the contents */
        assert_true(w == v);
    }
    assert_int_equal(A.live_blocks, 0);
}

static void test_array_ops(void **) {
    arena A, B;
    counting_alloc<std::byte> aa(&A), ab(&B);
    {
        mj::array<counting_alloc<std::byte>> arr(aa);
        assert_int_equal(arr.size(), 0);
        assert_true(arr.begin() == arr.end());
        cval elem(ab);
        elem = "an element allocated in arena B, long";
        arr.push_back(elem); /* copied into A */
        arr.push_back(std::move(elem)); /* unequal allocators: copied into A too */
        assert_int_equal(arr.size(), 2);
        assert_true(arr.capacity() >= 2);
        assert_true(arr[0] == arr[1]);
        assert_true(arr[0].get_allocator() == aa);
        assert_int_equal(B.live_blocks, 0);
        arr.resize(5);
        assert_int_equal(arr.size(), 5);
        assert_true(arr[4].is_null() && arr[4].get_allocator() == aa);
        arr[2] = 2;
        arr[3] = 3;
        arr[4] = 4;
        auto it = arr.erase(arr.begin() + 1); /* returns the next element */
        assert_int_equal(arr.size(), 4);
        assert_int_equal(it->as_int64(), 2);
        const auto &carr = arr;
        it = arr.erase(carr.begin() + 3);
        assert_true(it == arr.end());
        long sum = 0;
        for (const auto &e : carr)
            sum += e.is_int64() ? e.as_int64() : 100;
        assert_int_equal(sum, 105); /* string, 2, 3 */
        arr.resize(1);
        assert_int_equal(arr.size(), 1);
        assert_true(arr[0].is_string());

        mj::array<counting_alloc<std::byte>> copy(arr, ab);
        assert_true(copy == arr && !(copy != arr));
        assert_true(copy.get_allocator() == ab);
        copy.push_back(cval(ab));
        assert_true(copy != arr);
        mj::array<counting_alloc<std::byte>> moved(std::move(copy));
        assert_int_equal(moved.size(), 2);
        mj::array<counting_alloc<std::byte>> other(ab);
        other.swap(moved);
        assert_int_equal(other.size(), 2);
        assert_int_equal(moved.size(), 0);
        other.clear();
        assert_int_equal(other.size(), 0);
    }
    assert_int_equal(A.live_blocks, 0);
    assert_int_equal(B.live_blocks, 0);
}

static void test_object_ops(void **) {
    arena A;
    counting_alloc<std::byte> aa(&A);
    {
        mj::object<counting_alloc<std::byte>> obj(aa);
        assert_int_equal(obj.size(), 0);
        assert_true(obj.find("x") == obj.end());
        assert_true(obj["b"].is_null()); /* operator[] appends a null member */
        obj["b"] = 2;
        obj["a"] = 1;
        obj["a key longer than any small-string buffer"] = "v";
        obj["c"] = mj::parse("[1]", aa);
        obj[std::string_view("n\0l", 3)] = 9; /* a key with a NUL */
        assert_int_equal(obj.size(), 5);
        const char *order[] = {"b", "a", "a key longer than any small-string buffer", "c", "n"};
        int i = 0;
        for (auto &m : obj) /* insertion order */
            assert_string_equal(m.key_c_str(), order[i++]);
        assert_int_equal((obj.begin() + 4)->key().size(), 3);
        assert_true(obj.contains("a") && !obj.contains("z"));
        assert_int_equal(obj.count("a"), 1);
        assert_int_equal(obj.count("n"), 0); /* "n" is not "n\0l" */
        assert_int_equal(obj.count(std::string_view("n\0l", 3)), 1);
        assert_int_equal(obj.at("a").as_int64(), 1);
        assert_int_equal(obj.find("b")->value().as_int64(), 2);
        const auto &cobj = obj;
        assert_int_equal(cobj["b"].as_int64(), 2);
        assert_true(cobj.find("c")->value().is_array());
        bool threw = false;
        try {
            (void)cobj.at("missing");
        } catch (const std::out_of_range &) {
            threw = true;
        }
        assert_true(threw);
        threw = false;
        try {
            (void)cobj["missing"];
        } catch (const std::out_of_range &) {
            threw = true;
        }
        assert_true(threw);
        assert_int_equal(obj.size(), 5); /* const lookups never insert */

        auto it = obj.erase("a"); /* returns the member after it */
        assert_string_equal(it->key_c_str(), "a key longer than any small-string buffer");
        assert_true(obj.erase("not there") == obj.end());
        it = obj.erase(obj.find("c"));
        assert_int_equal(it->value().as_int64(), 9);
        it = obj.erase(cobj.begin());
        assert_string_equal(it->key_c_str(), "a key longer than any small-string buffer");
        assert_int_equal(obj.size(), 2);

        mj::object<counting_alloc<std::byte>> other(aa);
        other[std::string_view("n\0l", 3)] = 9u; /* uint64 9 == int64 9 */
        other["a key longer than any small-string buffer"] = "v";
        assert_true(obj == other); /* another order */
        other["a key longer than any small-string buffer"] = "w";
        assert_true(obj != other);
        obj.swap(other);
        assert_string_equal(obj["a key longer than any small-string buffer"].as_string().c_str(), "w");
        assert_true(obj.get_allocator() == aa);
    }
    assert_int_equal(A.live_blocks, 0);
}

static void test_key_value_pair(void **) {
    arena A, B;
    counting_alloc<std::byte> aa(&A), ab(&B);
    using kvp = mj::key_value_pair<char, std::char_traits<char>, counting_alloc<std::byte>>;
    {
        cval v(aa);
        v = "a value long enough to need its own block";
        kvp p("a key long enough to need its own block", v, aa);
        assert_true(p.key() == "a key long enough to need its own block");
        assert_string_equal(p.key_c_str(), "a key long enough to need its own block");
        assert_true(p.value() == v);
        kvp q(p, ab); /* into B */
        assert_true(q == p && q.get_allocator() == ab);
        assert_int_equal(B.live_blocks, 2);
        kvp r(std::move(q), aa); /* unequal: copied into A */
        assert_true(r == p);
        kvp s(std::move(r)); /* steals */
        assert_true(s == p && r.key().empty() && r.value().is_null());
        kvp t("k", std::move(v), aa);
        assert_true(v.is_null() && t != p);
        t = p;
        assert_true(t == p);
        kvp u("u", cval(aa), aa);
        u.swap(t);
        assert_true(u == p && t.key() == "u");
        s.value() = 1;
        assert_true(s != p);
    }
    assert_int_equal(A.live_blocks, 0);
    assert_int_equal(B.live_blocks, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind),
        cmocka_unit_test(test_equality),
        cmocka_unit_test(test_copy_move_allocators),
        cmocka_unit_test(test_assign_from_inside),
        cmocka_unit_test(test_array_ops),
        cmocka_unit_test(test_object_ops),
        cmocka_unit_test(test_key_value_pair),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
