/*
 * test_json_boost.cpp - metall::json against Boost.JSON (Boost >= 1.75):
 * value_from() of Boost.JSON values and of what boost::json::value_from
 * converts, value_to<T>(), the == / != operators with Boost.JSON's value,
 * array, object, key_value_pair and string, and a cross-check that
 * serialize() writes what boost::json::serialize writes and parse() reads
 * what boost::json::parse reads. Without Boost.JSON (Debian's Boost 1.74)
 * the program reports a skip (exit 77) and says why; the CI leg
 * `scripts/test.sh boost181` builds it against Boost 1.81, where it runs
 * (and a build that asked for Boost >= 1.75 but found no Boost.JSON fails).
 */
#include <metall/json/json.hpp>

#include <cstdio>

#if METALLC_JSON_HAS_BOOST_JSON

#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
extern "C" {
#include <cmocka.h>
}

#include "json_test_util.hpp"

namespace mj = metall::json;
namespace bj = boost::json;
using sval = mj::value<>;
using cval = mj::value<counting_alloc<std::byte>>;

static const char *kDoc = R"({"name":"Alice","age":30,"big":18446744073709551615,"neg":-7,"pi":3.141,
    "ok":true,"nothing":null,"tags":["x","y",{"z":[1,2.5,"\u00e9"]}],"empty":{},"list":[]})";

static void test_value_from_boost(void **) {
    arena A;
    {
        bj::value b = bj::parse(kDoc);
        cval v = mj::value_from(b, counting_alloc<std::byte>(&A));
        assert_true(A.live_blocks > 0);
        assert_true(v == b && b == v);
        assert_true(v.as_object()["big"].is_uint64());
        assert_true(v.as_object()["neg"].is_int64());
        assert_true(v.as_object()["pi"].is_double());
        /* member order is Boost.JSON's (insertion order) */
        assert_string_equal(v.as_object().begin()->key_c_str(), "name");
        cval moved = mj::value_from(std::move(b), counting_alloc<std::byte>(&A));
        assert_true(moved == v);
        /* anything boost::json::value_from accepts */
        sval from_obj = mj::value_from(bj::object{{"k", 1}});
        assert_true(from_obj.as_object()["k"].as_int64() == 1);
        sval from_vec = mj::value_from(std::vector<int>{3, 4});
        assert_int_equal(from_vec.as_array().size(), 2);
        assert_int_equal(from_vec.as_array()[1].as_int64(), 4);
        std::map<std::string, double> m{{"a", 0.5}};
        assert_true(mj::value_from(m).as_object()["a"].as_double() == 0.5);
        assert_string_equal(mj::value_from(std::string("s")).as_string().c_str(), "s");
    }
    assert_int_equal(A.live_blocks, 0);
}

static void test_value_to(void **) {
    sval v = mj::parse(kDoc);
    bj::value b = mj::value_to<bj::value>(v);
    assert_true(b == bj::parse(kDoc));
    assert_true(b.as_object().at("big").is_uint64());
    assert_string_equal(bj::serialize(b).c_str(), mj::serialize(v).c_str());
    auto vec = mj::value_to<std::vector<double>>(mj::parse("[1.5, 2.5]"));
    assert_int_equal(vec.size(), 2);
    assert_true(vec[1] == 2.5);
    assert_true(mj::value_to<std::string>(mj::parse("\"str\"")) == "str");
    assert_true(mj::value_to<bj::value>(sval()).is_null());
}

static void test_operators(void **) {
    sval v = mj::parse(kDoc);
    bj::value b = bj::parse(kDoc);
    assert_true(v == b && b == v && !(v != b) && !(b != v));
    const auto &arr = v.as_object()["tags"].as_array();
    const auto &barr = b.as_object()["tags"].as_array();
    assert_true(arr == barr && barr == arr && !(arr != barr));
    const auto &obj = v.as_object();
    const auto &bobj = b.as_object();
    assert_true(obj == bobj && bobj == obj);
    assert_true(*obj.begin() == *bobj.begin() && *bobj.begin() == *obj.begin());
    assert_true(*obj.begin() != *(bobj.begin() + 1));
    /* the string type is boost::container's, so (as with Metall) these
     * operators are found through metall::json, not by ADL */
    using mj::operator==;
    using mj::operator!=;
    const auto &str = v.as_object()["name"].as_string();
    const auto &bstr = b.as_object()["name"].as_string();
    assert_true(str == bstr && bstr == str);
    assert_true(str != bj::string("Bob") && bj::string("Bob") != str);

    /* objects: any order; integers: by value across int64/uint64 */
    bj::value reordered = bj::parse(R"({"b":1,"a":[2]})");
    assert_true(mj::parse(R"({"a":[2],"b":1})") == reordered);
    assert_true(mj::parse("5") == bj::value(std::uint64_t(5)));
    assert_true(mj::parse("-1") != bj::value(std::uint64_t(UINT64_MAX)));
    assert_true(mj::parse("1") != bj::value(1.0));
    b.as_object()["tags"].as_array()[2].as_object()["z"].as_array()[0] = 9;
    assert_true(v != b && b != v);
    assert_true(obj != b.as_object());
}

/* random documents through both libraries */
static void random_bj(std::mt19937_64 &rng, bj::value &out, int depth) {
    switch (rng() % (depth > 0 ? 8 : 6)) {
    case 0: out = nullptr; break;
    case 1: out = (rng() & 1) != 0; break;
    case 2: out = static_cast<std::int64_t>(rng()); break;
    case 3: out = rng() | (1ULL << 63); break;
    case 4: {
        double d;
        do {
            std::uint64_t bits = rng();
            std::memcpy(&d, &bits, sizeof d);
        } while (!std::isfinite(d));
        out = d;
        break;
    }
    case 5: {
        std::string s;
        for (int i = static_cast<int>(rng() % 30); i > 0; --i)
            s += static_cast<char>(rng() % 128);
        out = s;
        break;
    }
    case 6: {
        auto &arr = out.emplace_array();
        for (int i = static_cast<int>(rng() % 5); i > 0; --i)
            random_bj(rng, arr.emplace_back(nullptr), depth - 1);
        break;
    }
    default: {
        auto &obj = out.emplace_object();
        for (int i = static_cast<int>(rng() % 5); i > 0; --i)
            random_bj(rng, obj["k" + std::to_string(rng() % 8)], depth - 1);
    }
    }
}

static void test_same_text_as_boost(void **) {
    std::mt19937_64 rng(77);
    for (int i = 0; i < 500; ++i) {
        bj::value b;
        random_bj(rng, b, 5);
        sval v = mj::value_from(b);
        const std::string text = bj::serialize(b);
        if (mj::serialize(v) != text) {
            std::fprintf(stderr, "serialize differs:\n%s\n%s\n", mj::serialize(v).c_str(), text.c_str());
            fail();
        }
        sval parsed = mj::parse(text);
        assert_true(parsed == b);
    }
    /* every double Boost.JSON writes, we write alike (a million bit patterns) */
    sval v;
    for (int i = 0; i < 1000000; ++i) {
        std::uint64_t bits = rng();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        v = d;
        if (mj::serialize(v) != bj::serialize(bj::value(d))) {
            std::fprintf(stderr, "%s vs %s\n", mj::serialize(v).c_str(), bj::serialize(bj::value(d)).c_str());
            fail();
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_from_boost),
        cmocka_unit_test(test_value_to),
        cmocka_unit_test(test_operators),
        cmocka_unit_test(test_same_text_as_boost),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}

#else

#if defined(METALLC_EXPECT_BOOST_VERSION) && METALLC_EXPECT_BOOST_VERSION >= 107500
#error "Boost >= 1.75 was requested but Boost.JSON was not found"
#endif

#include <boost/version.hpp>

int main(void) {
    /* Boost.JSON first shipped with Boost 1.75; Debian 12's default Boost is
     * 1.74. `scripts/test.sh boost181` runs this test against Boost 1.81. */
    std::printf("skipped: Boost %d.%d has no Boost.JSON (it needs Boost >= 1.75; "
                "scripts/test.sh boost181 runs this test with Boost 1.81): "
                "value_from/value_to/== with Boost.JSON types untested in this build\n",
                BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000);
    return 77;
}

#endif
