/*
 * test_cxx_mpi.cpp - metall::utility::metall_mpi_adaptor over
 * libmetallc_mpi (label mpi, run with 1 and 2 ranks): create (plain, with
 * a capacity, over an existing root with and without overwrite), open,
 * open read-only, snapshot, copy, remove, consistent, partitions, the
 * paths; failures leave every rank's manager without a datastore, never
 * abort; a constructor that throws leaves nothing open.
 */
#include <metall/utility/filesystem.hpp>
#include <metall/utility/metall_mpi_adaptor.hpp>

#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

using adaptor = metall::utility::metall_mpi_adaptor;
static std::string g_dir;
static int g_rank, g_size;

static bool exists(const std::string &p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0;
}

static void test_lifecycle(void **state) {
    (void)state;
    const std::string root = g_dir + "/root", snap = g_dir + "/snap", copy = g_dir + "/copy";
    {
        adaptor a(metall::create_only, root, (std::size_t)1 << 30);
        auto &m = a.get_local_manager();
        assert_true(m.check_sanity());
        assert_non_null(m.construct<int>("my-rank")(g_rank));
        assert_string_equal(a.root_dir_path().c_str(), root.c_str());
        assert_true(a.local_dir_path().find("subdir-" + std::to_string(g_rank)) !=
                    std::string::npos);
        assert_true(exists(a.local_dir_path()));
        assert_string_equal(adaptor::local_dir_path(root, 3).c_str(), (root + "/subdir-3").c_str());
        assert_false(adaptor::consistent(root)); /* open */
    } /* collective close */
    assert_true(adaptor::consistent(root));
    assert_int_equal(adaptor::partitions(root), g_size);
    {
        adaptor a(metall::open_only, root);
        auto &m = a.get_local_manager();
        assert_true(m.check_sanity() && !m.read_only());
        assert_int_equal(*m.find<int>("my-rank").first, g_rank);
        *m.find<int>("my-rank").first = g_rank + 100;
        assert_true(a.snapshot(snap));
        assert_false(a.snapshot(snap));      /* exists */
        assert_true(a.snapshot(snap, true)); /* replaced */
    }
    {
        adaptor a(metall::open_read_only, snap);
        const auto &m = a.get_local_manager();
        assert_true(m.check_sanity() && m.read_only());
        assert_int_equal(*m.find<int>("my-rank").first, g_rank + 100);
    }
    assert_true(adaptor::copy(snap, copy));
    assert_false(adaptor::copy(snap, copy));
    assert_true(adaptor::copy(snap, copy, MPI_COMM_WORLD, true));
    {
        adaptor a(metall::open_only, copy);
        assert_int_equal(*a.get_local_manager().find<int>("my-rank").first, g_rank + 100);
    }
    /* create over an existing MPI datastore: refused, or replaced */
    metall::logger::set_log_level(metall::logger::level_filter::silent);
    {
        adaptor a(metall::create_only, root);
        assert_false(a.get_local_manager().check_sanity());
        assert_false(a.snapshot(g_dir + "/never"));
    }
    assert_true(adaptor::consistent(root)); /* untouched */
    {
        adaptor a(metall::create_only, root, MPI_COMM_WORLD, true);
        assert_true(a.get_local_manager().check_sanity());
        assert_null(a.get_local_manager().find<int>("my-rank").first);
    }
    for (const std::string &p : {root, snap, copy}) {
        assert_true(adaptor::remove(p));
        assert_false(adaptor::consistent(p));
        assert_true(adaptor::remove(p)); /* nothing there */
    }
    assert_int_equal(adaptor::partitions(root), -1);
    /* open of nothing: no datastore on any rank, no abort */
    {
        adaptor a(metall::open_only, root);
        assert_false(a.get_local_manager().check_sanity());
        assert_null(a.get_local_manager().find<int>("my-rank").first);
    }
    /* remove refuses a directory that is not an MPI datastore */
    const std::string other = g_dir + "/other";
    if (g_rank == 0)
        mkdir(other.c_str(), 0755);
    MPI_Barrier(MPI_COMM_WORLD);
    assert_false(adaptor::remove(other));
    assert_true(exists(other));
    metall::logger::set_log_level(metall::logger::level_filter::error);
}

/* Allocation failure on demand: the countdown-th operator new from now
 * throws std::bad_alloc (0: never). Per rank, so ranks may fail at
 * different points. */
static long g_fail_countdown;
void *operator new(std::size_t n) {
    if (g_fail_countdown > 0 && --g_fail_countdown == 0)
        throw std::bad_alloc();
    void *p = std::malloc(n ? n : 1);
    if (!p)
        throw std::bad_alloc();
    return p;
}
void *operator new[](std::size_t n) { return operator new(n); }
void *operator new(std::size_t n, const std::nothrow_t &) noexcept {
    try {
        return operator new(n);
    } catch (...) {
        return nullptr;
    }
}
void *operator new[](std::size_t n, const std::nothrow_t &t) noexcept { return operator new(n, t); }
/* every unaligned form is replaced, so that no memory of these goes to a
 * sanitizer's operator delete (or of its operator new to free()); not
 * inlined: GCC then takes free() of operator new's memory for a mismatch */
[[gnu::noinline]] void operator delete(void *p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void *p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void *p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void *p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void *p, const std::nothrow_t &) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void *p, const std::nothrow_t &) noexcept { std::free(p); }

/* A constructor that throws (here: out of memory making the local manager
 * after the collective create) must not leave the MPI handle open: its
 * datastores stayed open and locked, and the next create or open of that
 * root in the process failed (EBUSY). Every allocation of the constructor
 * is made to fail in turn; after each, the root is created, opened and
 * used again. */
static void test_ctor_throws(void **state) {
    (void)state;
    const std::string root = g_dir + "/throwing-root-with-a-name-longer-than-short-strings";
    metall::logger::set_log_level(metall::logger::level_filter::silent);
    int done = 0, threw = 0;
    for (long n = 1; !done && n < 1000; n++) {
        /* every rank at its n-th allocation: the ranks allocate alike, and
         * one rank failing before the collective create while the others
         * enter it would hang any collective API */
        g_fail_countdown = n;
        bool ok = false;
        try {
            adaptor a(metall::create_only, root, MPI_COMM_WORLD, true);
            g_fail_countdown = 0;
            ok = true;
        } catch (const std::bad_alloc &) {
            g_fail_countdown = 0;
            threw++;
        }
        int all = ok;
        MPI_Allreduce(MPI_IN_PLACE, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
        done = all;
        /* nothing is left open: the root is created and opened again */
        {
            adaptor b(metall::create_only, root, MPI_COMM_WORLD, true);
            assert_true(b.get_local_manager().check_sanity());
            assert_non_null(b.get_local_manager().construct<long>("n")(n));
        }
        adaptor c(metall::open_only, root);
        assert_true(c.get_local_manager().check_sanity());
        assert_int_equal(*c.get_local_manager().find<long>("n").first, n);
    }
    assert_true(done);
    assert_true(threw > 0); /* the failures were really made */
    metall::logger::set_log_level(metall::logger::level_filter::error);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    char buf[4096] = {0};
    if (g_rank == 0) {
        const char *base = std::getenv("METALLC_TEST_TMPDIR");
        std::string t = std::string(base && *base ? base : "/tmp") + "/cxxmpi-XXXXXX";
        if (!mkdtemp(t.data()))
            t = "";
        std::snprintf(buf, sizeof buf, "%s", t.c_str());
    }
    MPI_Bcast(buf, sizeof buf, MPI_CHAR, 0, MPI_COMM_WORLD);
    g_dir = buf;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lifecycle),
        cmocka_unit_test(test_ctor_throws),
    };
    int rc = g_dir.empty() ? 1 : cmocka_run_group_tests(tests, nullptr, nullptr);
    MPI_Barrier(MPI_COMM_WORLD);
    if (g_rank == 0 && !g_dir.empty())
        metall::utility::filesystem::remove(g_dir);
    MPI_Finalize();
    return rc;
}
