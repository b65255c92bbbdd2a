/*
 * cxx_test_util.hpp - helpers of the C++ tests: a fresh temporary directory
 * (removed by its destructor), and the heap base of an open manager.
 */
#ifndef METALLC_CXX_TEST_UTIL_HPP
#define METALLC_CXX_TEST_UTIL_HPP

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include <metall/metall.h>

/* A directory under $METALLC_TEST_TMPDIR (ctest sets it) or /tmp, removed
 * with its contents when the object goes out of scope. */
class tmp_dir {
    std::string path_;

public:
    tmp_dir() {
        const char *base = std::getenv("METALLC_TEST_TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/cxxtest-XXXXXX";
        if (!mkdtemp(tmpl.data())) {
            tmpl = "/tmp/cxxtest-XXXXXX"; /* ctest's directory missing when run by hand */
            if (!mkdtemp(tmpl.data())) {
                std::perror("mkdtemp");
                std::abort();
            }
        }
        path_ = tmpl;
    }
    ~tmp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    tmp_dir(const tmp_dir &) = delete;
    tmp_dir &operator=(const tmp_dir &) = delete;
    std::string operator/(const char *name) const { return path_ + "/" + name; }
    const std::string &path() const { return path_; }
};

/* The first byte of the manager's heap mapping (offset 0). */
inline std::uintptr_t heap_base_of(const metall_manager *m) {
    return reinterpret_cast<std::uintptr_t>(metall_ptr_at(m, 1)) - 1;
}

#endif
