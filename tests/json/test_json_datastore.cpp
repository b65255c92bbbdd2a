/*
 * test_json_datastore.cpp - JSON and jgraph kept in a datastore: built in
 * one process, closed, then opened in ANOTHER process (fork + exec of this
 * program) whose old heap address is occupied (mmap MAP_FIXED_NOREPLACE),
 * so the heap lands elsewhere and every offset pointer and stored allocator
 * must still work. The child compares everything with freshly parsed
 * copies, then modifies it through the stored allocators; the parent
 * checks the changes read-only, and destroys it all.
 */
#include <metall/metall.hpp>

#include <metall/container/experimental/jgraph/jgraph.hpp>
#include <metall/json/json.hpp>

#include <metall/container/vector.hpp>

#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
extern "C" {
#include <cmocka.h>
}

#include "json_test_util.hpp"

namespace mt = metall;
namespace mj = metall::json;
namespace jg = metall::container::experimental::jgraph;

/* the types of Metall's JSON examples */
using alloc_t = mt::manager::allocator_type<std::byte>;
using jvalue = mj::value<alloc_t>;
using jvec = metall::container::vector<jvalue, mt::manager::scoped_allocator_type<jvalue>>;
using graph_t = jg::jgraph<alloc_t>;

static const char *kDoc = R"({
  "title": "a document long enough that its strings live in their own blocks",
  "version": 3, "ratio": 0.75, "huge": 18446744073709551615, "neg": -9223372036854775808,
  "flags": [true, false, null], "unicode": "\u00e9\u20ac\ud83d\ude00",
  "nested": {"level1": {"level2": {"level3": [1, [2, [3, {"deep": "yes"}]]]}}},
  "a key that is longer than any small string buffer": {"x": []}, "empty": {}
})";
static const int kDocs = 40;
static const int kVertices = 60;

static std::string doc_text(int i) {
    return R"({"id": )" + std::to_string(i) + R"(, "name": "document number )" + std::to_string(i) +
           R"(", "list": [)" + std::to_string(i) + ", " + std::to_string(i * 2) + "]}";
}
static std::string vid(int i) { return "user-" + std::to_string(i); }

/* (source, destination, value text) of the edges listed at one vertex */
using edge_set = std::multiset<std::tuple<std::string, std::string, std::string>>;
static edge_set edges_at(const graph_t &g, const std::string &v) {
    edge_set out;
    for (auto e = g.edges_begin(v); e != g.edges_end(v); ++e)
        out.emplace(std::string(e->source_id()), std::string(e->destination_id()), mj::serialize(e->value()));
    return out;
}
/* what build() put there: a ring i -> i+1 (directed) and i <-> i+7 (undirected) */
static edge_set expected_edges(int i) {
    edge_set out;
    const int n = kVertices;
    out.emplace(vid(i), vid((i + 1) % n), "\"ring\"");
    out.emplace(vid(i), vid((i + 7) % n), "{\"w\":" + std::to_string(i) + "}");
    const int j = (i - 7 + n) % n;
    out.emplace(vid(j), vid(i), "{\"w\":" + std::to_string(j) + "}");
    return out;
}

/* Builds everything; returns the address of "doc" in this process. */
static std::uintptr_t build(const std::string &path) {
    mt::manager m(mt::create_only, path.c_str());
    if (!m.check_sanity())
        return 0;
    auto alloc = m.get_allocator();
    jvalue *doc = m.construct<jvalue>(mt::unique_instance)(mj::parse(kDoc, alloc));
    jvec *docs = m.construct<jvec>("docs")(alloc);
    for (int i = 0; i < kDocs; ++i)
        docs->emplace_back(mj::parse(doc_text(i), alloc));
    graph_t *g = m.construct<graph_t>("graph")(alloc);
    for (int i = 0; i < kVertices; ++i)
        g->register_vertex(vid(i))->value() = mj::parse(R"({"index": )" + std::to_string(i) + "}", alloc);
    for (int i = 0; i < kVertices; ++i) {
        g->register_edge(vid(i), vid((i + 1) % kVertices))->value() = "ring";
        g->register_edge(vid(i), vid((i + 7) % kVertices), true)->value() =
            mj::parse(R"({"w": )" + std::to_string(i) + "}", alloc);
    }
    return reinterpret_cast<std::uintptr_t>(doc);
}

/* 0 if the datastore holds what build() made (plus the child's changes if
 * `changed`), else the line of the first mismatch. */
static int verify(const mt::manager &m, bool changed) {
#define CHECK(c)                                                                                           \
    do {                                                                                                   \
        if (!(c))                                                                                          \
            return __LINE__;                                                                               \
    } while (0)
    const jvalue *doc = m.find<jvalue>(mt::unique_instance).first;
    const jvec *docs = m.find<jvec>("docs").first;
    const graph_t *g = m.find<graph_t>("graph").first;
    CHECK(doc && docs && g);
    mj::value<> expected = mj::parse(kDoc);
    if (changed) {
        expected.as_object().erase("ratio");
        expected.as_object()["added by the child"] = mj::parse(R"({"list": [1, 2, 3], "s": "string"})");
        expected.as_object()["nested"].as_object()["level1"] = "replaced";
    }
    CHECK(mj::value_from(*doc) == expected);          /* into std::allocator, compared */
    CHECK(mj::serialize(*doc) == mj::serialize(expected)); /* and member order too */
    CHECK(static_cast<int>(docs->size()) == kDocs + (changed ? 1 : 0));
    for (int i = 0; i < kDocs; ++i)
        CHECK(mj::value_from((*docs)[static_cast<std::size_t>(i)]) == mj::parse(doc_text(i)));
    if (changed)
        CHECK(mj::serialize(docs->back()) == R"({"child":true})");

    CHECK(static_cast<int>(g->num_vertices()) == kVertices + (changed ? 1 : 0));
    CHECK(static_cast<int>(g->num_edges()) == 2 * kVertices + (changed ? 1 : 0));
    for (int i = 0; i < kVertices; ++i) {
        auto v = g->find_vertex(vid(i));
        CHECK(v != g->vertices_end() && v->id() == vid(i));
        CHECK(v->value().as_object().at("index").as_int64() == i);
        edge_set want = expected_edges(i);
        if (changed && i == 0)
            want.emplace(vid(0), "newcomer", "\"added\"");
        CHECK(edges_at(*g, vid(i)) == want);
    }
    if (changed) {
        CHECK(g->has_edges("newcomer", vid(0)) == 1);
        CHECK(g->find_vertex("newcomer")->value().as_string() == "new vertex");
    }
    int visited = 0;
    for (auto v = g->vertices_begin(); v != g->vertices_end(); ++v)
        ++visited;
    CHECK(visited == kVertices + (changed ? 1 : 0));
    return 0;
#undef CHECK
}

/* The child's changes: every one allocates through allocators stored in
 * the datastore, now at another address. */
static void change(mt::manager &m) {
    jvalue *doc = m.find<jvalue>(mt::unique_instance).first;
    jvec *docs = m.find<jvec>("docs").first;
    graph_t *g = m.find<graph_t>("graph").first;
    auto &obj = doc->as_object();
    obj.erase("ratio");
    obj["added by the child"] = mj::parse(R"({"list": [1, 2, 3], "s": "string"})", doc->get_allocator());
    obj["nested"].as_object()["level1"] = "replaced";
    docs->emplace_back(mj::parse(R"({"child": true})", alloc_t(docs->get_allocator())));
    g->register_vertex("newcomer")->value() = "new vertex";
    g->register_edge(vid(0), "newcomer", true)->value() = "added";
}

/* The child: block the old address, open, verify, change. 0 = good. */
static int child_main(const char *path, const char *addr_hex) {
    const std::uintptr_t old_doc = std::strtoull(addr_hex, nullptr, 16);
    const std::uintptr_t page = old_doc & ~static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE) - 1);
    void *blk = mmap(reinterpret_cast<void *>(page), static_cast<std::size_t>(sysconf(_SC_PAGESIZE)), PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (blk == MAP_FAILED && errno != EEXIST) { /* EEXIST blocks it as well */
        std::perror("mmap MAP_FIXED_NOREPLACE");
        return 2;
    }
    if (blk != MAP_FAILED && blk != reinterpret_cast<void *>(page))
        return 3; /* the kernel ignored the flag: no move could be forced */
    try {
        mt::manager m(mt::open_only, path);
        if (!m.check_sanity())
            return 6;
        const auto new_doc = reinterpret_cast<std::uintptr_t>(m.find<jvalue>(mt::unique_instance).first);
        std::fprintf(stderr, "child: doc at %#" PRIxPTR " (was %#" PRIxPTR ")\n", new_doc, old_doc);
        if (new_doc == old_doc || new_doc == 0)
            return 4;
        if (int line = verify(m, false))
            return 10 + line % 200;
        change(m);
        if (int line = verify(m, true))
            return 10 + line % 200;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "child: %s\n", e.what());
        return 5;
    }
    return 0;
}

static int run_child(const std::string &path, std::uintptr_t addr) {
    char hex[32];
    std::snprintf(hex, sizeof hex, "%" PRIxPTR, addr);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", "test_json_datastore", "--child", path.c_str(), hex, static_cast<char *>(nullptr));
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -100 - WTERMSIG(status);
}

static void test_reopen_in_other_process(void **) {
    json_tmp_dir dir;
    const std::string path = dir / "ds";
    const std::uintptr_t addr = build(path);
    assert_true(addr != 0);
    {
        mt::manager m(mt::open_read_only, path.c_str()); /* sanity: verify() accepts it here */
        assert_true(m.check_sanity() && m.read_only());
        assert_int_equal(verify(m, false), 0);
    }
    assert_int_equal(run_child(path, addr), 0);
    {
        mt::manager m(mt::open_read_only, path.c_str()); /* the child's changes, read-only */
        assert_true(m.check_sanity());
        assert_int_equal(verify(m, true), 0);
        std::ostringstream os; /* printing needs no writes */
        mj::pretty_print(os, *m.find<jvalue>(mt::unique_instance).first);
        assert_true(os.str().find("  added by the child : {\n    list : [\n      1,") != std::string::npos);
    }
    mt::manager m(mt::open_only, path.c_str());
    assert_true(m.check_sanity());
    assert_true(m.destroy<jvalue>(mt::unique_instance));
    assert_true(m.destroy<jvec>("docs"));
    assert_true(m.destroy<graph_t>("graph"));
    assert_true(m.find<jvalue>(mt::unique_instance).first == nullptr);
    assert_true(m.all_memory_deallocated()); /* JSON and jgraph freed all they held */
}

/* A child that cannot block the old address would pass vacuously: the
 * blocking itself works (the same page, twice, is refused). */
static void test_noreplace_blocks(void **) {
    void *a = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(a != MAP_FAILED);
    void *b = mmap(a, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    assert_true(b == MAP_FAILED);
    assert_int_equal(errno, EEXIST);
    munmap(a, 4096);
}

int main(int argc, char **argv) {
    if (argc == 4 && std::strcmp(argv[1], "--child") == 0)
        return child_main(argv[2], argv[3]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noreplace_blocks),
        cmocka_unit_test(test_reopen_in_other_process),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
