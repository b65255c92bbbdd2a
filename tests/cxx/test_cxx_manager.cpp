/*
 * test_cxx_manager.cpp - metall::manager, member by member, in one
 * process: the constructors (and their noexcept failure paths, with the
 * reason logged through the METALL_LOGGER_EXTERN_C hook, which this test
 * provides), named / unique / anonymous objects, raw allocation,
 * persistence (flush, snapshot, copy, remove, consistent and their async
 * forms), identity and descriptions, the allocators (containers of
 * containers through scoped_allocator_type, fallback_allocator), every
 * construct proxy with named / unique / anonymous names, move, profile.
 * Iterators and attribute accessors: test_cxx_objects.cpp.
 */
#define METALL_LOGGER_EXTERN_C 1
#include <metall/metall.hpp>

#include <boost/container/map.hpp>
#include <boost/container/string.hpp>
#include <boost/container/vector.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

#include "cxx_test_util.hpp"

/* ---- the log hook: every message the C++ layer logs lands here -------- */
static std::vector<std::pair<metall_log_level, std::string>> g_log;

extern "C" void metall_log(metall_log_level lvl, const char *file, size_t line, const char *msg) {
    (void)file;
    (void)line;
    g_log.emplace_back(lvl, msg);
}

/* Whether an error mentioning every one of @p words was logged since the
 * last clear. */
static bool logged(std::initializer_list<const char *> words) {
    for (const auto &e : g_log) {
        if (e.first != metall_error)
            continue;
        bool all = true;
        for (const char *w : words)
            all = all && e.second.find(w) != std::string::npos;
        if (all)
            return true;
    }
    return false;
}

static const std::size_t kCap = (std::size_t)1 << 30;

static int live;
struct counted {
    int v;
    explicit counted(int x) : v(x) { ++live; }
    counted(int x, int y) : v(x + y) { ++live; }
    ~counted() { --live; }
};
struct throws_on_third {
    static inline int made = 0;
    throws_on_third() {
        if (++made == 3)
            throw std::runtime_error("third");
        ++live;
    }
    ~throws_on_third() { --live; }
};

using manager = metall::manager;

/* ---- constructors ------------------------------------------------------ */

static void test_create_open(void **state) {
    (void)state;
    tmp_dir d;
    const std::string p = d / "ds";
    {
        manager m(metall::create_only, p, kCap);
        assert_true(m.check_sanity());
        assert_false(m.read_only());
        assert_non_null(m.get_address());
        assert_true(m.get_size() >= kCap && m.get_size() < 2 * kCap);
        assert_false(manager::consistent(p)); /* open for writing */
        assert_non_null(m.construct<int>("a")(1));
    }
    assert_true(manager::consistent(p));
    {
        manager m(metall::open_only, p.c_str());
        assert_true(m.check_sanity());
        assert_int_equal(*m.find<int>("a").first, 1);
        *m.find<int>("a").first = 2;
    }
    {
        manager m(metall::open_read_only, std::string(p));
        assert_true(m.check_sanity());
        assert_true(m.read_only());
        assert_int_equal(*m.find<int>("a").first, 2);
        assert_true(manager::consistent(p)); /* readers leave it consistent */
        manager m2(metall::open_read_only, p); /* many readers at once */
        assert_true(m2.check_sanity());
    }
    {
        /* create_only replaces an existing datastore (Metall's semantics) */
        manager m(metall::create_only, p);
        assert_true(m.check_sanity());
        assert_null(m.find<int>("a").first);
        assert_int_equal(m.get_num_named_objects(), 0);
    }
    /* and creates over an empty directory */
    const std::string e = d / "empty";
    assert_int_equal(mkdir(e.c_str(), 0755), 0);
    manager m(metall::create_only, e, kCap);
    assert_true(m.check_sanity());
}

/* A manager without a datastore answers every call with a failure value. */
static void check_insane(manager &m) {
    assert_false(m.check_sanity());
    assert_null(m.construct<int>("x")(1));
    assert_null(m.find_or_construct<int>("x")(1));
    assert_null(m.construct<int>(metall::unique_instance)(1));
    assert_null(m.construct<int>(metall::anonymous_instance)(1));
    assert_null(m.find<int>("x").first);
    assert_int_equal(m.find<int>("x").second, 0);
    assert_false(m.destroy<int>("x"));
    assert_false(m.destroy<int>(metall::unique_instance));
    int local = 0;
    assert_false(m.destroy_ptr(&local));
    assert_null(m.get_instance_name(&local));
    assert_int_equal(m.get_instance_length(&local), 0);
    assert_false(m.is_instance_type<int>(&local));
    std::string s = "unchanged";
    assert_false(m.get_instance_description(&local, &s));
    assert_false(m.set_instance_description(&local, "x"));
    assert_int_equal(m.get_num_named_objects() + m.get_num_unique_objects() +
                         m.get_num_anonymous_objects(),
                     0);
    assert_true(m.named_begin() == m.named_end());
    assert_null(m.allocate(8));
    assert_null(m.allocate_aligned(64, 64));
    m.deallocate(nullptr);
    assert_false(m.all_memory_deallocated());
    assert_false(m.flush());
    assert_false(m.snapshot("/nonexistent/snap"));
    assert_true(m.get_uuid().empty());
    assert_int_equal(m.get_version(), 0);
    assert_false(m.set_description("x"));
    assert_false(m.get_description(&s));
    assert_string_equal(s.c_str(), "unchanged");
    assert_null(m.get_address());
    assert_int_equal(m.get_size(), 0);
    assert_true(m.read_only());
    assert_null(m.get_c_manager());
    std::ostringstream os;
    m.profile(&os);
    assert_true(os.str().empty());
    bool threw = false;
    try {
        m.get_allocator<int>().allocate(1);
    } catch (const std::bad_alloc &) {
        threw = true;
    }
    assert_true(threw);
}

/* The constructors never throw; a failure leaves check_sanity() false and
 * logs why, naming the path. */
static void test_constructor_failures(void **state) {
    (void)state;
    tmp_dir d;
    const std::string missing = d / "missing";
    g_log.clear();
    {
        manager m(metall::open_only, missing);
        check_insane(m);
        assert_true(logged({"missing", "does not exist"}));
    }
    g_log.clear();
    {
        manager m(metall::open_read_only, missing);
        assert_false(m.check_sanity());
        assert_true(logged({"missing"}));
    }
    /* create over something that is not a datastore: refused, kept */
    const std::string foreign = d / "foreign";
    assert_int_equal(mkdir(foreign.c_str(), 0755), 0);
    std::ofstream(foreign + "/precious") << "data";
    g_log.clear();
    {
        manager m(metall::create_only, foreign);
        check_insane(m);
        assert_true(logged({"foreign", "not a metall-c datastore"}));
    }
    assert_true(std::ifstream(foreign + "/precious").good());
    const std::string file = d / "file";
    std::ofstream(file) << "x";
    {
        manager m(metall::create_only, file, kCap);
        assert_false(m.check_sanity());
    }
    /* a second writer of an open datastore */
    const std::string p = d / "ds";
    manager w(metall::create_only, p, kCap);
    assert_true(w.check_sanity());
    g_log.clear();
    {
        manager m2(metall::open_only, p);
        check_insane(m2);
        assert_true(logged({"ds", "is open by another"}));
        manager m3(metall::create_only, p);
        assert_false(m3.check_sanity());
    }
    assert_true(w.check_sanity()); /* the first one is untouched */
    /* a datastore that was not closed properly */
    const std::string crashed = d / "crashed";
    {
        manager c(metall::create_only, crashed, kCap);
    }
    assert_int_equal(unlink((crashed + "/closed").c_str()), 0);
    g_log.clear();
    {
        manager m(metall::open_only, crashed);
        assert_false(m.check_sanity());
        assert_true(logged({"crashed", "not closed properly"}));
        assert_false(manager::consistent(crashed));
    }
    /* a moved-from manager has no datastore */
    manager moved(std::move(w));
    assert_true(moved.check_sanity());
    check_insane(w);
}

/* ---- named objects ------------------------------------------------------ */

static void test_named(void **state) {
    (void)state;
    tmp_dir d;
    manager m(metall::create_only, d / "ds", kCap);
    live = 0;
    counted *a = m.construct<counted>("a")(5);
    assert_non_null(a);
    assert_int_equal(a->v, 5);
    assert_int_equal(live, 1);
    /* a taken name: nullptr, nothing constructed */
    assert_null(m.construct<counted>("a")(6));
    assert_int_equal(live, 1);
    /* find_or_construct finds without constructing */
    assert_ptr_equal(m.find_or_construct<counted>("a")(7), a);
    assert_int_equal(a->v, 5);
    counted *b = m.find_or_construct<counted>("b")(2, 3);
    assert_int_equal(b->v, 5);
    auto f = m.find<counted>("a");
    assert_ptr_equal(f.first, a);
    assert_int_equal(f.second, 1);
    assert_null(m.find<counted>("nope").first);
    assert_int_equal(m.find<counted>("nope").second, 0);

    /* arrays: every element from the same arguments */
    counted *arr = m.construct<counted>("arr")[4](9);
    assert_int_equal(live, 6);
    for (int i = 0; i < 4; ++i)
        assert_int_equal(arr[i].v, 9);
    assert_int_equal(m.find<counted>("arr").second, 4);
    assert_int_equal(m.get_instance_length(arr), 4);
    assert_ptr_equal(m.find_or_construct<counted>("arr")[4](1), arr);

    /* construct_it: element i from (*it1++, *it2++) */
    std::vector<int> xs{1, 2, 3}, ys{10, 20, 30};
    counted *it = m.construct_it<counted>("it")[3](xs.begin(), ys.begin());
    assert_int_equal(it[0].v, 11);
    assert_int_equal(it[2].v, 33);
    assert_null(m.construct_it<counted>("it")[3](xs.begin(), ys.begin()));
    assert_ptr_equal(m.find_or_construct_it<counted>("it")[3](xs.begin(), ys.begin()), it);
    int *plain = m.find_or_construct_it<int>("plain")[3](xs.begin());
    assert_int_equal(plain[1], 2);

    /* a throwing constructor: the exception propagates, the elements
     * already made are destroyed, the memory and the name are free */
    int before = live;
    throws_on_third::made = 0;
    bool threw = false;
    try {
        m.construct<throws_on_third>("t")[5]();
    } catch (const std::runtime_error &) {
        threw = true;
    }
    assert_true(threw);
    assert_int_equal(live, before);
    assert_null(m.find<throws_on_third>("t").first);
    throws_on_third::made = 10;
    assert_non_null(m.construct<throws_on_third>("t")[2]());

    /* destroy runs every destructor once */
    assert_true(m.destroy<counted>("arr"));
    assert_int_equal(live, before - 4 + 2);
    assert_false(m.destroy<counted>("arr"));
    assert_true(m.destroy<counted>(std::string("a").c_str()));
    assert_true(m.destroy<counted>("b"));
    assert_true(m.destroy<counted>("it"));
    assert_true(m.destroy<throws_on_third>("t"));
    assert_true(m.destroy<int>("plain"));
    assert_int_equal(live, 0);
    assert_int_equal(m.get_num_named_objects(), 0);
    assert_true(m.all_memory_deallocated());

    /* over-aligned types */
    struct alignas(64) wide {
        char c[64];
    };
    wide *w = m.construct<wide>("wide")[3]();
    assert_int_equal(reinterpret_cast<std::uintptr_t>(w) % 64, 0);
    /* names longer than 255 bytes (unique objects are named by type) */
    std::string longname(3000, 'n');
    assert_non_null(m.construct<int>(longname.c_str())(1));
    assert_non_null(m.find<int>(longname.c_str()).first);
}

/* Objects made by the C API are found by C++ (their length in T units). */
static void test_c_objects(void **state) {
    (void)state;
    tmp_dir d;
    manager m(metall::create_only, d / "ds", kCap);
    long *c = static_cast<long *>(metall_named_malloc(m.get_c_manager(), "from_c", 5 * sizeof(long)));
    c[4] = 44;
    auto f = m.find<long>("from_c");
    assert_ptr_equal(f.first, c);
    assert_int_equal(f.second, 5);
    assert_int_equal(m.get_instance_length(c), 5);
    assert_false(m.is_instance_type<long>(c)); /* untyped */
    assert_true(m.destroy<long>("from_c"));
    /* and C sees named C++ objects, not unique or anonymous ones */
    m.construct<double>("cxx")[2](1.5);
    m.construct<double>(metall::unique_instance)(2.5);
    m.construct<double>(metall::anonymous_instance)(3.5);
    size_t len = 0;
    assert_non_null(metall_named_find(m.get_c_manager(), "cxx", &len));
    assert_int_equal(len, 2 * sizeof(double));
    assert_int_equal(metall_named_count(m.get_c_manager()), 1);
    assert_null(metall_named_find(m.get_c_manager(), typeid(double).name(), nullptr));
}

/* ---- unique and anonymous objects -------------------------------------- */

static void test_unique_anonymous(void **state) {
    (void)state;
    tmp_dir d;
    manager m(metall::create_only, d / "ds", kCap);
    live = 0;
    counted *u = m.construct<counted>(metall::unique_instance)(3);
    assert_non_null(u);
    assert_null(m.construct<counted>(metall::unique_instance)(4)); /* one per type */
    assert_ptr_equal(m.find_or_construct<counted>(metall::unique_instance)(5), u);
    assert_ptr_equal(m.find<counted>(metall::unique_instance).first, u);
    assert_string_equal(m.get_instance_name(u), typeid(counted).name());
    assert_int_equal(m.get_instance_kind(u), manager::instance_kind::unique_kind);
    /* another type is another unique object; a named object of the type
     * name is another name space */
    long *ul = m.construct<long>(metall::unique_instance)[3](7);
    assert_non_null(ul);
    assert_int_equal(m.find<long>(metall::unique_instance).second, 3);
    assert_non_null(m.construct<counted>(typeid(counted).name())(1));
    assert_int_equal(m.get_num_unique_objects(), 2);
    assert_int_equal(m.get_num_named_objects(), 1);

    /* anonymous: always new, never found by name */
    counted *a1 = m.construct<counted>(metall::anonymous_instance)(1);
    counted *a2 = m.find_or_construct<counted>(metall::anonymous_instance)(2);
    assert_true(a1 && a2 && a1 != a2);
    assert_null(m.find<counted>(metall::anonymous_instance).first);
    assert_null(m.get_instance_name(a1));
    assert_int_equal(m.get_instance_kind(a1), manager::instance_kind::anonymous_kind);
    assert_int_equal(m.get_instance_length(a1), 1);
    assert_int_equal(m.get_num_anonymous_objects(), 2);

    /* destroy_ptr works on every kind, once */
    assert_int_equal(live, 4);
    assert_true(m.destroy_ptr(a1));
    assert_false(m.destroy_ptr(a1));
    assert_true(m.destroy_ptr(a2));
    assert_true(m.destroy<counted>(metall::unique_instance));
    assert_false(m.destroy<counted>(metall::unique_instance));
    assert_true(m.destroy_ptr(m.find<counted>(typeid(counted).name()).first));
    assert_int_equal(live, 0);
    assert_true(m.destroy_ptr(ul));
    int *raw = static_cast<int *>(m.allocate(16));
    assert_false(m.destroy_ptr(raw)); /* not a constructed object */
    assert_int_equal(m.get_instance_length(raw), 0);
    m.deallocate(raw);
    assert_int_equal(m.get_num_unique_objects() + m.get_num_anonymous_objects() +
                         m.get_num_named_objects(),
                     0);
    assert_true(m.all_memory_deallocated());
}

/* Kinds, lengths, types and descriptions of instances survive a reopen. */
static void test_instance_attributes(void **state) {
    (void)state;
    tmp_dir d;
    const std::string p = d / "ds";
    {
        manager m(metall::create_only, p, kCap);
        double *x = m.construct<double>("x")[3](0.5);
        assert_int_equal(m.get_instance_kind(x), manager::instance_kind::named_kind);
        assert_true(m.is_instance_type<double>(x));
        assert_false(m.is_instance_type<float>(x));
        std::string desc = "unchanged";
        assert_true(m.get_instance_description(x, &desc));
        assert_true(desc.empty());
        assert_true(m.set_instance_description(x, "three halves"));
        auto *u = m.construct<std::uint16_t>(metall::unique_instance)();
        assert_true(m.set_instance_description(u, std::string(70000, 'd')) == false); /* too long */
        assert_true(m.set_instance_description(u, "u16"));
        auto *a = m.construct<char>(metall::anonymous_instance)[10]('z');
        assert_true(m.set_instance_description(a, "ten z"));
        int local = 0;
        assert_false(m.set_instance_description(&local, "not an object"));
        assert_int_equal(m.get_instance_kind(&local), manager::instance_kind::anonymous_kind);
        m.construct<metall::offset_ptr<char>>("to_anon")(a);
    }
    manager m(metall::open_read_only, p);
    double *x = m.find<double>("x").first;
    std::string desc;
    assert_true(m.get_instance_description(x, &desc));
    assert_string_equal(desc.c_str(), "three halves");
    assert_true(m.is_instance_type<double>(x));
    assert_int_equal(m.get_instance_length(x), 3);
    auto *u = m.find<std::uint16_t>(metall::unique_instance).first;
    assert_true(m.get_instance_description(u, &desc));
    assert_string_equal(desc.c_str(), "u16");
    char *a = m.find<metall::offset_ptr<char>>("to_anon").first->get();
    assert_int_equal(m.get_instance_length(a), 10);
    assert_true(m.get_instance_description(a, &desc));
    assert_string_equal(desc.c_str(), "ten z");
    assert_int_equal(a[9], 'z');
    /* read-only: nothing changes */
    assert_false(m.set_instance_description(x, "no"));
    assert_false(m.destroy<double>("x"));
    assert_false(m.destroy_ptr(a));
    assert_null(m.construct<int>("new")(1));
    assert_ptr_equal(m.find_or_construct<double>("x")(9.0), x); /* finding is fine */
}

/* ---- raw memory --------------------------------------------------------- */

static void test_allocate(void **state) {
    (void)state;
    tmp_dir d;
    manager m(metall::create_only, d / "ds", kCap);
    assert_true(m.all_memory_deallocated());
    void *p = m.allocate(100);
    assert_non_null(p);
    assert_int_equal(reinterpret_cast<std::uintptr_t>(p) % 16, 0);
    std::memset(p, 1, 100);
    assert_false(m.all_memory_deallocated());
    for (std::size_t al : {32, 64, 4096, 1 << 21}) {
        void *q = m.allocate_aligned(al * 2, al);
        assert_non_null(q);
        assert_int_equal(reinterpret_cast<std::uintptr_t>(q) % al, 0);
        m.deallocate(q);
    }
    g_log.clear();
    assert_null(m.allocate_aligned(64, 48)); /* not a power of two */
    assert_true(logged({"allocate_aligned"}));
    g_log.clear();
    assert_null(m.allocate(kCap * 4)); /* beyond the capacity: nullptr, logged */
    assert_true(logged({"allocate"}));
    m.deallocate(p);
    m.deallocate(nullptr);
    assert_true(m.all_memory_deallocated());
}

/* ---- persistence -------------------------------------------------------- */

static void test_flush_snapshot_copy(void **state) {
    (void)state;
    tmp_dir d;
    const std::string p = d / "ds", s1 = d / "snap1", s2 = d / "snap2";
    manager m(metall::create_only, p, kCap);
    int *v = m.construct<int>(metall::unique_instance)(1);
    assert_true(m.flush());
    assert_true(m.flush(false));
    assert_true(m.snapshot(s1));
    *v = 2;
    assert_true(m.snapshot(s2, false, 4));
    assert_false(m.snapshot(s2)); /* exists */
    *v = 3;
    assert_true(manager::consistent(s1) && manager::consistent(s2));
    assert_true(manager::get_uuid(s1) != m.get_uuid()); /* a snapshot has its own uuid */
    assert_true(manager::get_uuid(s1) != manager::get_uuid(s2));
    {
        manager r(metall::open_read_only, s1);
        assert_int_equal(*r.find<int>(metall::unique_instance).first, 1);
    }
    /* copy (sync and async) keeps the uuid */
    assert_true(manager::copy(s2, d / "c1"));
    assert_string_equal(manager::get_uuid(d / "c1").c_str(), manager::get_uuid(s2).c_str());
    auto fut = manager::copy_async(s2, d / "c2", true, 2);
    assert_true(fut.get());
    assert_false(manager::copy(s2, d / "c1")); /* exists */
    assert_false(manager::copy(d / "none", d / "c3"));
    {
        manager r(metall::open_only, d / "c2");
        assert_int_equal(*r.find<int>(metall::unique_instance).first, 2);
    }
    /* remove: a datastore goes, nothing there is success, anything else stays */
    assert_true(manager::remove(d / "c1"));
    assert_false(manager::consistent(d / "c1"));
    assert_true(manager::remove(d / "c1"));
    assert_true(manager::remove_async(d / "c2").get());
    assert_false(manager::remove(p)); /* open */
    const std::string other = d / "other";
    assert_int_equal(mkdir(other.c_str(), 0755), 0);
    assert_false(manager::remove(other));
    assert_false(manager::remove_async(other).get());
    assert_int_equal(access(other.c_str(), F_OK), 0);
}

/* ---- identity and description ------------------------------------------- */

static void test_identity_description(void **state) {
    (void)state;
    tmp_dir d;
    const std::string p = d / "ds";
    std::string uuid;
    {
        manager m(metall::create_only, p, kCap);
        uuid = m.get_uuid();
        assert_int_equal(uuid.size(), 36);
        assert_string_equal(uuid.c_str(), manager::get_uuid(p).c_str());
        unsigned a, b, c;
        assert_int_equal(std::sscanf(metall_version(), "%u.%u.%u", &a, &b, &c), 3);
        assert_int_equal(m.get_version(), a * 100000 + b * 100 + c);
        assert_int_equal(manager::get_version(p), m.get_version());
        assert_string_equal(metall::to_version_string(m.get_version()).c_str(), metall_version());
        std::string desc = "unchanged";
        assert_false(m.get_description(&desc)); /* none yet: false, untouched */
        assert_string_equal(desc.c_str(), "unchanged");
        assert_true(m.set_description("first"));
        assert_true(m.get_description(&desc));
        assert_string_equal(desc.c_str(), "first");
        assert_false(manager::set_description(p, "while open")); /* open for writing */
    }
    assert_true(manager::set_description(p, "second"));
    std::string desc;
    assert_true(manager::get_description(p, &desc));
    assert_string_equal(desc.c_str(), "second");
    manager m(metall::open_read_only, p);
    assert_string_equal(m.get_uuid().c_str(), uuid.c_str());
    assert_true(m.get_description(&desc));
    assert_string_equal(desc.c_str(), "second");
    assert_false(m.set_description("read-only"));
    assert_true(manager::get_uuid(d / "none").empty());
    assert_int_equal(manager::get_version(d / "none"), 0);
    assert_false(manager::get_description(d / "none", &desc));
    assert_false(manager::set_description(d / "none", "x"));
}

/* ---- allocators --------------------------------------------------------- */

namespace bc = boost::container;
template <class T>
using alloc_t = manager::allocator_type<T>;
using str_t = bc::basic_string<char, std::char_traits<char>, alloc_t<char>>;
using vec_t = bc::vector<int, alloc_t<int>>;
using table_t = bc::vector<vec_t, manager::scoped_allocator_type<vec_t>>;
using names_t = bc::map<str_t, str_t, std::less<>,
                        manager::scoped_allocator_type<std::pair<const str_t, str_t>>>;
using fb_vec = bc::vector<int, manager::fallback_allocator<int>>;
using fb_table = bc::vector<fb_vec, manager::scoped_fallback_allocator_type<fb_vec>>;

static void test_allocators(void **state) {
    (void)state;
    tmp_dir d;
    const std::string p = d / "ds";
    {
        manager m(metall::create_only, p, kCap);
        manager other(metall::create_only, d / "other", kCap);
        static_assert(std::is_same_v<decltype(m.get_allocator()), alloc_t<std::byte>>);
        alloc_t<int> a = m.get_allocator<int>();
        assert_true(a == m.get_allocator()); /* rebound: same datastore */
        assert_true(a != other.get_allocator());
        assert_ptr_equal(a.get_manager(), m.get_c_manager());
        /* containers of containers through scoped_allocator_type */
        auto *t = m.construct<table_t>("table")(m.get_allocator());
        t->resize(3);
        (*t)[2].push_back(42);
        t->emplace_back(5, 7); /* the inner vector gets the allocator */
        auto *n = m.construct<names_t>("names")(m.get_allocator());
        n->emplace("alice", "admin, with a name past the short-string buffer");
        (*n)[str_t("bob", m.get_allocator())] = "user";
        /* fallback allocator: in the datastore, and in DRAM */
        auto *ft = m.construct<fb_table>("fb")(m.get_allocator());
        ft->emplace_back();
        ft->back().push_back(8);
        fb_vec dram;
        dram.push_back(9);
        assert_false(dram.get_allocator().stateful_allocator_available());
        assert_true(ft->back().get_allocator().stateful_allocator_available());
        assert_null(m.find<fb_vec>("nothing").first);
        /* a std::vector works too (libstdc++ stores the fancy pointer) */
        auto *sv = m.construct<std::vector<long, alloc_t<long>>>("sv")(m.get_allocator());
        sv->assign(1000, 3);
        /* the allocator of another datastore is refused by nothing: the
         * memory comes from that datastore */
        vec_t in_other(other.get_allocator());
        in_other.push_back(1);
        assert_false(other.all_memory_deallocated());
        /* an allocator of no datastore throws bad_alloc, logged */
        alloc_t<int> none(nullptr);
        g_log.clear();
        bool threw = false;
        try {
            none.allocate(1);
        } catch (const std::bad_alloc &) {
            threw = true;
        }
        assert_true(threw && logged({"not open"}));
        threw = false;
        try {
            a.allocate(std::size_t(-1) / 2);
        } catch (const std::bad_array_new_length &) {
            threw = true;
        }
        assert_true(threw);
    }
    manager m(metall::open_only, p);
    auto *t = m.find<table_t>("table").first;
    assert_int_equal(t->size(), 4);
    assert_int_equal((*t)[2][0], 42);
    assert_int_equal((*t)[3].size(), 5);
    (*t)[0].assign(100, 1); /* allocates through the stored allocator */
    auto *n = m.find<names_t>("names").first;
    assert_string_equal(n->find("alice")->second.c_str(),
                        "admin, with a name past the short-string buffer");
    assert_string_equal(n->at(str_t("bob", m.get_allocator())).c_str(), "user");
    auto *ft = m.find<fb_table>("fb").first;
    assert_int_equal(ft->back()[0], 8);
    ft->back().resize(1000);
    assert_true(m.destroy<table_t>("table"));
    assert_true(m.destroy<names_t>("names"));
    assert_true(m.destroy<fb_table>("fb"));
    assert_true((m.destroy<std::vector<long, alloc_t<long>>>("sv")));
    assert_true(m.all_memory_deallocated());
}

/* ---- every proxy with every kind of name -------------------------------- */

/* construct_it / find_or_construct_it with unique_instance and
 * anonymous_instance, the instance name of a named object, and a three-level
 * container whose allocator is scoped_allocator_type<Outer, Inner>. */
using row_t = bc::vector<str_t, manager::scoped_allocator_type<str_t>>;
using grid_t = bc::vector<row_t, manager::scoped_allocator_type<row_t, str_t>>;
static_assert(std::is_same_v<manager::scoped_allocator_type<row_t, str_t>,
                             metall::container::scoped_allocator_adaptor<alloc_t<row_t>, alloc_t<str_t>>>);

static void test_proxies_by_kind(void **state) {
    (void)state;
    tmp_dir d;
    const std::string p = d / "ds";
    const std::vector<int> xs{4, 5, 6}, ys{40, 50, 60};
    const std::string longstr(100, 's'); /* past the short-string buffer */
    {
        manager m(metall::create_only, p, kCap);
        live = 0;
        counted *named = m.construct<counted>("named")(1);
        assert_string_equal(m.get_instance_name(named), "named");

        counted *u = m.construct_it<counted>(metall::unique_instance)[3](xs.begin(), ys.begin());
        assert_non_null(u);
        assert_int_equal(u[2].v, 66);
        assert_null(m.construct_it<counted>(metall::unique_instance)[3](xs.begin(), ys.begin()));
        assert_ptr_equal(m.find_or_construct_it<counted>(metall::unique_instance)[3](xs.begin(), ys.begin()),
                         u);
        assert_int_equal(m.find<counted>(metall::unique_instance).second, 3);
        assert_string_equal(m.get_instance_name(u), typeid(counted).name());
        int *ui = m.find_or_construct_it<int>(metall::unique_instance)[2](xs.begin());
        assert_int_equal(ui[1], 5);
        assert_int_equal(m.get_num_unique_objects(), 2);

        counted *a1 = m.construct_it<counted>(metall::anonymous_instance)[2](xs.begin(), ys.begin());
        counted *a2 = m.find_or_construct_it<counted>(metall::anonymous_instance)[2](ys.begin(), xs.begin());
        assert_true(a1 && a2 && a1 != a2); /* anonymous: never found, always new */
        assert_int_equal(a1[1].v, 55);
        assert_int_equal(a2[0].v, 44);
        assert_int_equal(m.get_instance_length(a2), 2);
        assert_int_equal(m.get_instance_kind(a2), manager::instance_kind::anonymous_kind);
        assert_int_equal(m.get_num_anonymous_objects(), 2);
        assert_int_equal(live, 1 + 3 + 2 + 2);
        assert_true(m.destroy_ptr(a1));
        assert_true(m.destroy_ptr(a2));
        assert_true(m.destroy<counted>(metall::unique_instance));
        assert_true(m.destroy<int>(metall::unique_instance));
        assert_true(m.destroy<counted>("named"));
        assert_int_equal(live, 0);
        assert_true(m.all_memory_deallocated());

        /* every level gets the datastore's allocator (an adaptor with inner
         * allocator types is made from one allocator per level) */
        auto *g = m.construct<grid_t>(metall::unique_instance)(
            grid_t::allocator_type(m.get_allocator(), m.get_allocator()));
        g->resize(2);
        (*g)[1].emplace_back(longstr.c_str());
        g->emplace_back();
        g->back().emplace_back(3, 'x');
        assert_true((*g)[1][0].get_allocator() == m.get_allocator());
        assert_true(g->back().get_allocator() == m.get_allocator());
    }
    manager m(metall::open_only, p);
    auto *g = m.find<grid_t>(metall::unique_instance).first;
    assert_non_null(g);
    assert_int_equal(g->size(), 3);
    assert_string_equal((*g)[1][0].c_str(), longstr.c_str());
    assert_string_equal((*g)[2][0].c_str(), "xxx");
    (*g)[0].emplace_back(longstr.c_str()); /* through the stored allocators */
    (*g)[0][0].append(longstr);
    assert_int_equal((*g)[0][0].size(), 200);
    assert_true(m.destroy<grid_t>(metall::unique_instance));
    assert_true(m.all_memory_deallocated());
}

/* ---- move and profile ---------------------------------------------------- */

static void test_move_profile(void **state) {
    (void)state;
    tmp_dir d;
    manager a(metall::create_only, d / "a", kCap);
    manager b(metall::create_only, d / "b", kCap);
    a.construct<int>("in_a")(1);
    b = std::move(a); /* b's datastore is closed, b takes a's */
    assert_true(manager::consistent(d / "b"));
    assert_false(a.check_sanity());
    assert_non_null(b.find<int>("in_a").first);
    std::ostringstream os;
    b.profile(&os);
    assert_true(os.str().find("named objects 1") != std::string::npos);
    assert_true(os.str().find("capacity") != std::string::npos);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_open),
        cmocka_unit_test(test_constructor_failures),
        cmocka_unit_test(test_named),
        cmocka_unit_test(test_c_objects),
        cmocka_unit_test(test_unique_anonymous),
        cmocka_unit_test(test_instance_attributes),
        cmocka_unit_test(test_allocate),
        cmocka_unit_test(test_flush_snapshot_copy),
        cmocka_unit_test(test_identity_description),
        cmocka_unit_test(test_allocators),
        cmocka_unit_test(test_proxies_by_kind),
        cmocka_unit_test(test_move_profile),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
