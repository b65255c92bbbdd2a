/*
 * test_json_text.cpp - JSON text: parse() (what each token becomes, the
 * errors and their messages, nesting limit, duplicate keys), serialize()
 * and operator<< (Boost.JSON's exact output form), parse/serialize round
 * trips of fixed and of seeded random documents, pretty_print()'s layout,
 * and value_from() between two allocator types.
 */
#include <metall/json/json.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>
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
using sval = mj::value<>;

/* parse() that must not complain */
static sval parse_ok(std::string_view text) {
    cerr_capture err;
    sval v = mj::parse(text);
    if (!err.text().empty()) {
        std::fprintf(stderr, "unexpected error for [%.*s]: %s", static_cast<int>(text.size()), text.data(),
                     err.text().c_str());
        fail();
    }
    return v;
}

static void test_parse_scalars(void **) {
    assert_true(parse_ok("null").is_null());
    assert_true(parse_ok(" \t\r\n true \n").as_bool());
    assert_false(parse_ok("false").as_bool());
    struct {
        const char *text;
        char kind; /* i: int64, u: uint64, d: double */
        const char *serialized;
    } nums[] = {
        {"0", 'i', "0"},
        {"-0", 'i', "0"}, /* as Boost.JSON: an integer zero */
        {"-0.0", 'd', "-0E0"},
        {"42", 'i', "42"},
        {"-42", 'i', "-42"},
        {"9223372036854775807", 'i', "9223372036854775807"},
        {"9223372036854775808", 'u', "9223372036854775808"},
        {"18446744073709551615", 'u', "18446744073709551615"},
        {"18446744073709551616", 'd', "1.8446744073709552E19"},
        {"-9223372036854775808", 'i', "-9223372036854775808"},
        {"-9223372036854775809", 'd', "-9.223372036854776E18"},
        {"1.5", 'd', "1.5E0"},
        {"1e5", 'd', "1E5"},
        {"1E+5", 'd', "1E5"},
        {"-2.5e-7", 'd', "-2.5E-7"},
        {"0.1", 'd', "1E-1"},
        {"123456.789", 'd', "1.23456789E5"},
        {"1e400", 'd', "Infinity"},
        {"-1e400", 'd', "-Infinity"},
        {"1e-400", 'd', "0E0"},
        {"-0.00000e999999999999", 'd', "-0E0"},
        {"2.4703282292062328e-324", 'd', "5E-324"}, /* rounds up to the smallest subnormal */
        {"1.7976931348623157e308", 'd', "1.7976931348623157E308"},
        {"100000000000000000000000000000000000000000e-30", 'd', "1E11"},
    };
    for (const auto &n : nums) {
        sval v = parse_ok(n.text);
        const bool kind_ok = (n.kind == 'i' && v.is_int64()) || (n.kind == 'u' && v.is_uint64()) ||
                             (n.kind == 'd' && v.is_double());
        if (!kind_ok || mj::serialize(v) != n.serialized) {
            std::fprintf(stderr, "%s -> %s\n", n.text, mj::serialize(v).c_str());
            fail();
        }
    }
    assert_true(std::signbit(parse_ok("-0.0").as_double()));
    assert_true(parse_ok("0.1").as_double() == 0.1); /* correctly rounded */
    assert_true(parse_ok("2.2250738585072011e-308").as_double() == 2.2250738585072011e-308);
    /* the input ends where the view ends, not at a NUL: the digits after
     * it are not part of the number */
    const char more[] = "12345";
    assert_int_equal(parse_ok(std::string_view(more, 2)).as_int64(), 12);
    assert_int_equal(parse_ok(std::string_view("-98765", 3)).as_int64(), -98);
    const std::string inner = "[7]8";
    assert_int_equal(parse_ok(std::string_view(inner.data() + 1, 1)).as_int64(), 7);
}

static void test_parse_strings(void **) {
    struct {
        const char *text;
        std::string_view decoded;
    } strs[] = {
        {R"("")", ""},
        {R"("plain")", "plain"},
        {R"("\"\\\/\b\f\n\r\t")", "\"\\/\b\f\n\r\t"},
        {R"("\u0041\u00e9\u20ac")", "A\xc3\xa9\xe2\x82\xac"},
        {R"("\ud83d\ude00")", "\xf0\x9f\x98\x80"},
        {R"("\u0000x")", std::string_view("\0x", 2)},
        {"\"raw \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"", "raw \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"},
    };
    for (const auto &s : strs) {
        sval v = parse_ok(s.text);
        assert_true(v.is_string());
        assert_true(std::string_view(v.as_string().data(), v.as_string().size()) == s.decoded);
    }
    /* the input need not be NUL-terminated, and only the view is read */
    const char buf[] = {'[', '1', ']', ']', 'x'};
    assert_int_equal(parse_ok(std::string_view(buf, 3)).as_array().size(), 1);
}

static void test_parse_errors(void **) {
    struct {
        std::string text;
        const char *reason;
    } bad[] = {
        {"", "incomplete JSON"},
        {"   ", "incomplete JSON"},
        {"[", "incomplete JSON"},
        {"[1,", "incomplete JSON"},
        {"{\"a\":", "incomplete JSON"},
        {"{\"a\"", "incomplete JSON"},
        {"\"abc", "incomplete JSON"},
        {"tru", "incomplete JSON"},
        {"-", "incomplete JSON"},
        {"1e", "incomplete JSON"},
        {"\"\\u12", "incomplete JSON"},
        {"\"\\ud800", "incomplete JSON"},
        {"\"\xc3", "incomplete JSON"},
        {"[1,]", "syntax error"},
        {"{\"a\":1,}", "syntax error"},
        {"{\"a\" 1}", "syntax error"},
        {"{1:2}", "syntax error"},
        {"[1 2]", "syntax error"},
        {"trux", "syntax error"},
        {"nulL", "syntax error"},
        {"+1", "syntax error"},
        {".5", "syntax error"},
        {"1.", "syntax error"},
        {"1.e5", "syntax error"},
        {"1e+", "syntax error"},
        {"NaN", "syntax error"},
        {"Infinity", "syntax error"},
        {"// comment\n1", "syntax error"},
        {"'single'", "syntax error"},
        {"\"\\x\"", "syntax error"},
        {"\"tab\there\"", "syntax error"},
        {std::string("\"a\0b\"", 5), "syntax error"},
        {"\"\xff\"", "syntax error"},
        {"\"\xc0\xaf\"", "syntax error"},         /* overlong */
        {"\"\xed\xa0\x80\"", "syntax error"},     /* an encoded surrogate */
        {"\"\xf4\x90\x80\x80\"", "syntax error"}, /* beyond U+10FFFF */
        {"\"\\ud800\\u0041\"", "illegal trailing surrogate"},
        {"\"\\udc00\"", "illegal trailing surrogate"},
        {"\"\\ud800x\"", "syntax error"},
        {"\"\\u12g4\"", "expected hex digit"},
        {"[1] [2]", "extra data"},
        {"01", "extra data"},
        {"{} x", "extra data"},
    };
    for (const auto &b : bad) {
        cerr_capture err;
        sval v = mj::parse(b.text);
        const std::string expected = std::string("Failed to parse: ") + b.reason + "\n";
        if (!v.is_null() || err.text() != expected) {
            std::fprintf(stderr, "[%s]: got \"%s\", want \"%s\"\n", b.text.c_str(), err.text().c_str(),
                         expected.c_str());
            fail();
        }
    }
    /* 32 levels of nesting are fine, 33 are too deep (Boost.JSON's default) */
    std::string ok32 = std::string(31, '[') + "{\"k\":1}" + std::string(31, ']');
    assert_int_equal(parse_ok(ok32).as_array().size(), 1);
    cerr_capture err;
    std::string deep = std::string(32, '[') + "{\"k\":1}" + std::string(32, ']');
    assert_true(mj::parse(deep).is_null());
    assert_string_equal(err.text().c_str(), "Failed to parse: too deep\n");
}

/* The first member's position, the last member's value, with and without
 * the key index of larger objects. */
static void test_duplicate_keys(void **) {
    sval v = parse_ok(R"({"a": 1, "b": 2, "a": {"x": [3]}, "c": 4, "b": 5})");
    assert_string_equal(mj::serialize(v).c_str(), R"({"a":{"x":[3]},"b":5,"c":4})");
    std::string text = "{";
    for (int i = 0; i < 100; ++i)
        text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    text += "\"k7\":\"seven\",\"k99\":-1,\"k0\":null}";
    v = parse_ok(text);
    const auto &obj = v.as_object();
    assert_int_equal(obj.size(), 100);
    assert_string_equal(obj.at("k7").as_string().c_str(), "seven");
    assert_int_equal(obj.at("k99").as_int64(), -1);
    assert_true(obj.at("k0").is_null());
    assert_string_equal(obj.begin()->key_c_str(), "k0");
    assert_string_equal((obj.begin() + 7)->key_c_str(), "k7");
    assert_int_equal((obj.begin() + 50)->value().as_int64(), 50);
}

static void test_serialize_form(void **) {
    sval v;
    struct {
        double d;
        const char *text;
    } doubles[] = {
        {3.141, "3.141E0"}, {42.99, "4.299E1"}, {1.0, "1E0"}, {-1.0, "-1E0"}, {0.0, "0E0"}, {-0.0, "-0E0"},
        {1e21, "1E21"}, {1e-7, "1E-7"}, {123456789.0, "1.23456789E8"}, {0.30000000000000004, "3.0000000000000004E-1"},
        {5e-324, "5E-324"}, {std::numeric_limits<double>::max(), "1.7976931348623157E308"},
        {std::numeric_limits<double>::quiet_NaN(), "NaN"}, {std::numeric_limits<double>::infinity(), "Infinity"},
        {-std::numeric_limits<double>::infinity(), "-Infinity"},
    };
    for (const auto &d : doubles) {
        v = d.d;
        assert_string_equal(mj::serialize(v).c_str(), d.text);
    }
    v = std::string_view("q\" b\\ s/ \b\f\n\r\t \x01\x1f\x7f \0 \xc3\xa9", 23);
    assert_string_equal(mj::serialize(v).c_str(), "\"q\\\" b\\\\ s/ \\b\\f\\n\\r\\t \\u0001\\u001f\x7f \\u0000 \xc3\xa9\"");
    v = parse_ok(R"( { "a" : [ 1 , -2 , true , null , { } , [ ] , "s" ] , "b" : { "c" : 1.5 } } )");
    const char *compact = R"({"a":[1,-2,true,null,{},[],"s"],"b":{"c":1.5E0}})";
    assert_string_equal(mj::serialize(v).c_str(), compact);
    assert_string_equal(mj::serialize(v.as_object()).c_str(), compact);
    assert_string_equal(mj::serialize(v.as_object()["a"].as_array()).c_str(), R"([1,-2,true,null,{},[],"s"])");
    /* a string alone: its characters as they are (Metall) */
    assert_string_equal(mj::serialize(v.as_object()["a"].as_array()[6].as_string()).c_str(), "s");
    std::ostringstream os;
    os << v << '|' << v.as_object() << '|' << v.as_object()["a"].as_array();
    assert_string_equal(os.str().c_str(),
                        (std::string(compact) + "|" + compact + "|" + R"([1,-2,true,null,{},[],"s"])").c_str());
    v = std::numeric_limits<std::int64_t>::min();
    assert_string_equal(mj::serialize(v).c_str(), "-9223372036854775808");
}

/* A seeded random document: every kind, nested up to `depth` levels. */
static void random_value(std::mt19937_64 &rng, sval &out, int depth) {
    const int kind = static_cast<int>(rng() % (depth > 0 ? 8 : 6));
    switch (kind) {
    case 0: out.emplace_null(); break;
    case 1: out = (rng() & 1) != 0; break;
    case 2: out = static_cast<long long>(rng()); break;
    case 3: out = static_cast<unsigned long long>(rng() | (1ULL << 63)); break;
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
        const int n = static_cast<int>(rng() % 40);
        for (int i = 0; i < n; ++i) {
            const int c = static_cast<int>(rng() % 130);
            if (c < 128)
                s += static_cast<char>(c); /* controls, quotes, backslashes included */
            else
                s += c == 128 ? "\xc3\xa9" : "\xf0\x9f\x98\x80";
        }
        out = s;
        break;
    }
    case 6: {
        auto &arr = out.emplace_array();
        const int n = static_cast<int>(rng() % 6);
        for (int i = 0; i < n; ++i) {
            sval e;
            random_value(rng, e, depth - 1);
            arr.push_back(std::move(e));
        }
        break;
    }
    default: {
        auto &obj = out.emplace_object();
        const int n = static_cast<int>(rng() % 6);
        for (int i = 0; i < n; ++i)
            random_value(rng, obj["key" + std::to_string(rng() % 10) + std::string(i % 3 ? "\n" : "")], depth - 1);
    }
    }
}

static void test_round_trips(void **) {
    const char *docs[] = {
        "null",
        "[]",
        "{}",
        R"({"pi":3.141,"happy":true,"name":"Ni\u00e9ls","nothing":null,"answer":{"everything":42},"list":[1,0,2]})",
        R"([[[[[[[[[[]]]]]]]]]])",
        R"({"":"","\u0000":[{"":{}}]})",
        R"([18446744073709551615,-9223372036854775808,1e300,-1e-300,0.5])",
    };
    for (const char *d : docs) {
        sval v = parse_ok(d);
        const std::string text = mj::serialize(v);
        sval w = parse_ok(text);
        assert_true(v == w);
        assert_string_equal(mj::serialize(w).c_str(), text.c_str()); /* stable */
    }
    std::mt19937_64 rng(20240611);
    for (int i = 0; i < 300; ++i) {
        sval v;
        random_value(rng, v, 5);
        const std::string text = mj::serialize(v);
        sval w = parse_ok(text);
        if (!(v == w) || mj::serialize(w) != text) {
            std::fprintf(stderr, "round trip %d failed: %s\n", i, text.c_str());
            fail();
        }
    }
}

static void test_pretty_print(void **) {
    sval v = parse_ok(R"({"id": "v1", "ok": true, "n": -3, "u": 18446744073709551615, "x": 0.5,
                          "none": null, "tags": ["a", "b c"], "empty": [], "obj": {}, "deep": {"k": [1, {"z": false}]}})");
    std::ostringstream os;
    mj::pretty_print(os, v);
    const char *expected = "{\n"
                           "  id : v1,\n"
                           "  ok : true,\n"
                           "  n : -3,\n"
                           "  u : 18446744073709551615,\n"
                           "  x : 0.5,\n"
                           "  none : null,\n"
                           "  tags : [\n"
                           "    a,\n"
                           "    b c\n"
                           "  ],\n"
                           "  empty : [\n"
                           "\n"
                           "  ],\n"
                           "  obj : {\n"
                           "\n"
                           "  },\n"
                           "  deep : {\n"
                           "    k : [\n"
                           "      1,\n"
                           "      {\n"
                           "        z : false\n"
                           "      }\n"
                           "    ]\n"
                           "  }\n"
                           "}\n";
    assert_string_equal(os.str().c_str(), expected);
    os << true; /* a printed bool leaves the stream in boolalpha */
    assert_string_equal(os.str().c_str() + std::strlen(expected), "true");

    std::ostringstream os4;
    mj::pretty_print<std::allocator<std::byte>, 4>(os4, parse_ok("[1, [2]]"));
    assert_string_equal(os4.str().c_str(), "[\n    1,\n    [\n        2\n    ]\n]\n");
    std::ostringstream scalar;
    mj::pretty_print(scalar, parse_ok("1.25"));
    assert_string_equal(scalar.str().c_str(), "1.25\n");
}

static void test_value_from_other_allocator(void **) {
    arena A;
    {
        sval src = parse_ok(R"({"a": [1, 2, "x"], "b": {"c": null}, "d": 18446744073709551615})");
        auto v = mj::value_from(src, counting_alloc<std::byte>(&A));
        assert_true(A.live_blocks > 0);
        assert_string_equal(mj::serialize(v).c_str(), mj::serialize(src).c_str());
        auto back = mj::value_from(v, std::allocator<std::byte>());
        assert_true(back == src);
        auto moved = mj::value_from(std::move(back));
        assert_true(moved == src);
    }
    assert_int_equal(A.live_blocks, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_scalars),
        cmocka_unit_test(test_parse_strings),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_serialize_form),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_pretty_print),
        cmocka_unit_test(test_value_from_other_allocator),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
