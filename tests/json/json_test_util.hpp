/*
 * json_test_util.hpp - helpers of the JSON tests: an allocator that counts
 * what it holds (per arena, so two arenas give unequal allocators), a
 * capture of std::cerr, and a temporary directory.
 */
#ifndef METALLC_JSON_TEST_UTIL_HPP
#define METALLC_JSON_TEST_UTIL_HPP

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <system_error>
#include <type_traits>

#include <boost/version.hpp>

/* Built against the Boost the build asked for (METALLC_BOOST_INCLUDE_DIR). */
#if defined(METALLC_EXPECT_BOOST_VERSION) && BOOST_VERSION != METALLC_EXPECT_BOOST_VERSION
#error "the JSON tests were not built against the requested Boost"
#endif

/* Where a counting_alloc's memory is accounted. */
struct arena {
    long live_blocks = 0;
    long live_bytes = 0;
    long total_blocks = 0;
};

/* A stateful allocator: equal only to allocators of the same arena, not
 * propagated on assignment or swap (like a datastore's allocator). */
template <typename T>
struct counting_alloc {
    using value_type = T;
    using propagate_on_container_copy_assignment = std::false_type;
    using propagate_on_container_move_assignment = std::false_type;
    using propagate_on_container_swap = std::false_type;
    using is_always_equal = std::false_type;

    arena *a;
    explicit counting_alloc(arena *ar) noexcept : a(ar) {}
    template <typename U>
    counting_alloc(const counting_alloc<U> &o) noexcept : a(o.a) {}

    T *allocate(std::size_t n) {
        a->live_blocks++;
        a->total_blocks++;
        a->live_bytes += static_cast<long>(n * sizeof(T));
        return static_cast<T *>(::operator new(n * sizeof(T)));
    }
    void deallocate(T *p, std::size_t n) noexcept {
        a->live_blocks--;
        a->live_bytes -= static_cast<long>(n * sizeof(T));
        ::operator delete(p);
    }
    template <typename U>
    bool operator==(const counting_alloc<U> &o) const noexcept { return a == o.a; }
    template <typename U>
    bool operator!=(const counting_alloc<U> &o) const noexcept { return a != o.a; }
};

/* Everything written to std::cerr while it lives. */
class cerr_capture {
    std::ostringstream buf_;
    std::streambuf *old_;

public:
    cerr_capture() : old_(std::cerr.rdbuf(buf_.rdbuf())) {}
    ~cerr_capture() { std::cerr.rdbuf(old_); }
    cerr_capture(const cerr_capture &) = delete;
    cerr_capture &operator=(const cerr_capture &) = delete;
    std::string text() const { return buf_.str(); }
};

/* A directory under $METALLC_TEST_TMPDIR (ctest sets it) or /tmp, removed
 * with its contents when the object goes out of scope. */
class json_tmp_dir {
    std::string path_;

public:
    json_tmp_dir() {
        const char *base = std::getenv("METALLC_TEST_TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/jsontest-XXXXXX";
        if (!mkdtemp(tmpl.data())) {
            tmpl = "/tmp/jsontest-XXXXXX";
            if (!mkdtemp(tmpl.data())) {
                std::perror("mkdtemp");
                std::abort();
            }
        }
        path_ = tmpl;
    }
    ~json_tmp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    json_tmp_dir(const json_tmp_dir &) = delete;
    json_tmp_dir &operator=(const json_tmp_dir &) = delete;
    std::string operator/(const char *name) const { return path_ + "/" + name; }
};

#endif
