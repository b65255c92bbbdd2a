/*
 * test_cxx_objects.cpp - the object directory seen from C++: the named /
 * unique / anonymous iterators of an open manager, and the attribute
 * accessors of a closed datastore (read without opening it; descriptions
 * written back), including their failure paths.
 */
#include <metall/metall.hpp>

#include <map>
#include <set>
#include <string>
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

struct point {
    double x, y;
};

/* name -> (length, type id, description) of what an iteration visits */
using seen_t = std::map<std::string, std::tuple<std::size_t, std::size_t, std::string>>;

template <class It>
static seen_t collect(It b, It e) {
    seen_t s;
    for (It i = b; i != e; ++i)
        s[i->name() + "@" + std::to_string(i->offset())] =
            std::make_tuple(i->length(), i->type_id(), i->description());
    return s;
}

/* Build: 3 named, 2 unique, 2 anonymous objects with some descriptions. */
static void build(manager &m) {
    m.construct<int>("one")(1);
    point *p = m.construct<point>("points")[5](point{1, 2});
    m.set_instance_description(p, "five points");
    m.construct<char>("text")[12]('t');
    m.construct<point>(metall::unique_instance)(point{3, 4});
    long *l = m.construct<long>(metall::unique_instance)[2](8);
    m.set_instance_description(l, "two longs");
    m.construct<double>(metall::anonymous_instance)[3](0.25);
    int *a = m.construct<int>(metall::anonymous_instance)(-1);
    m.set_instance_description(a, "anon int");
}

static void test_manager_iterators(void **state) {
    (void)state;
    tmp_dir d;
    manager m(metall::create_only, d / "ds", kCap);
    assert_true(m.named_begin() == m.named_end());
    build(m);
    std::set<std::string> names;
    std::size_t n = 0;
    for (auto it = m.named_begin(); it != m.named_end(); ++it, ++n) {
        names.insert(it->name());
        if (it->name() == "points") {
            assert_int_equal(it->length(), 5);
            assert_true(it->is_type<point>());
            assert_false(it->is_type<int>());
            assert_string_equal(it->description().c_str(), "five points");
            /* offsets are from the heap base */
            auto *at = reinterpret_cast<const point *>(static_cast<const char *>(m.get_address()) +
                                                       it->offset());
            assert_ptr_equal(at, m.find<point>("points").first);
        }
        if (it->name() == "text")
            assert_int_equal(it->length(), 12);
    }
    assert_int_equal(n, 3);
    assert_int_equal(m.get_num_named_objects(), 3);
    assert_true(names == (std::set<std::string>{"one", "points", "text"}));

    n = 0;
    for (auto it = m.unique_begin(); it != m.unique_end(); ++it, ++n) {
        if (it->name() == typeid(long).name()) {
            assert_int_equal(it->length(), 2);
            assert_true(it->is_type<long>());
            assert_string_equal(it->description().c_str(), "two longs");
        } else {
            assert_string_equal(it->name().c_str(), typeid(point).name());
        }
    }
    assert_int_equal(n, 2);
    std::size_t lengths = 0;
    n = 0;
    for (auto it = m.anonymous_begin(); it != m.anonymous_end(); it++, ++n) {
        assert_true(it->name().empty());
        lengths += it->length();
        if (it->is_type<int>())
            assert_string_equal((*it).description().c_str(), "anon int");
    }
    assert_int_equal(n, 2);
    assert_int_equal(lengths, 4);
    /* all three iterator types are one type, as in Metall */
    metall::manager::const_named_iterator it = m.unique_begin();
    it = m.anonymous_end();
    assert_true(it == m.named_end());
    /* an iteration sees the objects as they were when it began */
    auto b = m.named_begin();
    m.construct<int>("later")(0);
    std::size_t k = 0;
    for (auto i = b; i != m.named_end(); ++i)
        ++k;
    assert_int_equal(k, 3);
    /* an end iterator dereferences to an empty entry, not a crash */
    assert_true(m.named_end()->name().empty());
    assert_int_equal(metall::manager::const_named_iterator()->length(), 0);
}

static void test_accessors(void **state) {
    (void)state;
    tmp_dir d;
    const std::string p = d / "ds";
    seen_t named_open, unique_open, anon_open;
    {
        manager m(metall::create_only, p, kCap);
        build(m);
        named_open = collect(m.named_begin(), m.named_end());
        unique_open = collect(m.unique_begin(), m.unique_end());
        anon_open = collect(m.anonymous_begin(), m.anonymous_end());
    }
    /* the accessors see what the open manager saw */
    auto an = manager::access_named_object_attribute(p);
    assert_true(an.good());
    assert_int_equal(an.num_objects(), 3);
    assert_true(collect(an.begin(), an.end()) == named_open);
    assert_int_equal(an.count("points"), 1);
    assert_int_equal(an.count("nope"), 0);
    assert_true(an.find("nope") == an.end());
    auto pit = an.find("points");
    assert_int_equal(pit->length(), 5);
    assert_true(pit->is_type<point>());
    assert_string_equal(pit->description().c_str(), "five points");

    auto au = manager::access_unique_object_attribute(p);
    assert_true(au.good());
    assert_true(collect(au.begin(), au.end()) == unique_open);
    assert_int_equal(au.count<long>(metall::unique_instance), 1);
    assert_int_equal(au.count<short>(metall::unique_instance), 0);
    assert_int_equal(au.count(typeid(point).name()), 1);
    assert_int_equal(au.find<long>(metall::unique_instance)->length(), 2);

    auto aa = manager::access_anonymous_object_attribute(p);
    assert_true(aa.good());
    assert_int_equal(aa.num_objects(), 2);
    assert_true(collect(aa.begin(), aa.end()) == anon_open);

    /* descriptions written through the accessors, seen after opening */
    assert_true(an.set_description(pit, "changed"));
    assert_string_equal(pit->description().c_str(), "changed");
    assert_true(an.set_description("one", "the one"));
    assert_false(an.set_description("nope", "x"));
    assert_false(an.set_description(an.end(), "x"));
    assert_true(au.set_description<point>(metall::unique_instance, "a point"));
    assert_true(au.set_description(typeid(long).name(), "longs"));
    assert_false(au.set_description<short>(metall::unique_instance, "x"));
    auto ait = aa.begin();
    if (!ait->is_type<int>())
        ++ait;
    assert_true(ait->is_type<int>());
    assert_true(aa.set_description(ait, "anon, changed"));
    assert_false(aa.set_description(an.begin(), "an iterator of another accessor"));
    {
        /* a fresh accessor reads the new descriptions from disk */
        auto an2 = manager::access_named_object_attribute(p);
        assert_string_equal(an2.find("one")->description().c_str(), "the one");
        manager m(metall::open_only, p);
        std::string s;
        m.get_instance_description(m.find<point>("points").first, &s);
        assert_string_equal(s.c_str(), "changed");
        m.get_instance_description(m.find<point>(metall::unique_instance).first, &s);
        assert_string_equal(s.c_str(), "a point");
        m.get_instance_description(m.find<long>(metall::unique_instance).first, &s);
        assert_string_equal(s.c_str(), "longs");
        bool found = false;
        for (auto i = m.anonymous_begin(); i != m.anonymous_end(); ++i)
            found = found || i->description() == "anon, changed";
        assert_true(found);
        /* while it is open for writing, accessors read but do not write */
        auto an3 = manager::access_named_object_attribute(p);
        assert_true(an3.good());
        assert_false(an3.set_description("one", "while open"));
    }
    /* copies share what they read */
    auto copy = an;
    assert_int_equal(copy.num_objects(), 3);
}

static void test_accessor_failures(void **state) {
    (void)state;
    tmp_dir d;
    for (const std::string &p : {d / "missing", d.path()}) {
        auto an = manager::access_named_object_attribute(p);
        assert_false(an.good());
        assert_int_equal(an.num_objects(), 0);
        assert_true(an.begin() == an.end());
        assert_true(an.find("x") == an.end());
        assert_int_equal(an.count("x"), 0);
        assert_false(an.set_description("x", "y"));
        auto au = manager::access_unique_object_attribute(p);
        assert_false(au.good());
        assert_true(au.find<int>(metall::unique_instance) == au.end());
        auto aa = manager::access_anonymous_object_attribute(p);
        assert_false(aa.good());
        assert_false(aa.set_description(aa.begin(), "y"));
    }
    metall::named_object_attr_accessor none;
    assert_false(none.good());
}

int main(void) {
    metall::logger::set_log_level(metall::logger::level_filter::silent);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manager_iterators),
        cmocka_unit_test(test_accessors),
        cmocka_unit_test(test_accessor_failures),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
