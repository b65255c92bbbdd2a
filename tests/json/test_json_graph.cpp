/*
 * test_json_graph.cpp - jgraph in memory: vertices and (parallel,
 * directed and undirected) edges with JSON values, lookups of unknown IDs,
 * iteration that visits everything once, const access, and (with a
 * counting allocator) that all of it is allocated with the graph's
 * allocator and freed with the graph.
 */
#include <metall/container/experimental/jgraph/jgraph.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <csetjmp>
#include <cstdarg>
#include <cstddef>
extern "C" {
#include <cmocka.h>
}

#include "json_test_util.hpp"

namespace mj = metall::json;
namespace jg = metall::container::experimental::jgraph;
using cgraph = jg::jgraph<counting_alloc<std::byte>>;

/* (source, destination, serialized value) of every edge listed at vid */
template <typename G>
static std::multiset<std::tuple<std::string, std::string, std::string>> edges_at(const G &g,
                                                                                  std::string_view vid) {
    std::multiset<std::tuple<std::string, std::string, std::string>> out;
    for (auto e = g.edges_begin(vid); e != g.edges_end(vid); ++e)
        out.emplace(std::string(e->source_id()), std::string(e->destination_id()), mj::serialize(e->value()));
    return out;
}

static void test_empty_and_unknown(void **) {
    jg::jgraph<> g;
    assert_int_equal(g.num_vertices(), 0);
    assert_int_equal(g.num_edges(), 0);
    assert_true(g.vertices_begin() == g.vertices_end());
    assert_false(g.has_vertex("x"));
    assert_int_equal(g.degree("x"), 0);
    assert_int_equal(g.has_edges("x", "y"), 0);
    assert_true(g.find_vertex("x") == g.vertices_end());
    assert_true(g.edges_begin("x") == g.edges_end("x"));
    auto r = g.find_edges("x", "y");
    assert_true(r.first == r.second);
    g.register_vertex("x");
    assert_int_equal(g.has_edges("x", "y"), 0); /* y unknown */
    assert_true(g.edges_begin("x") == g.edges_end("x"));
    r = g.find_edges("x", "x");
    assert_true(r.first == r.second);
}

static void test_vertices_and_edges(void **) {
    arena A;
    {
        counting_alloc<std::byte> alloc(&A);
        cgraph g(alloc);
        auto v = g.register_vertex("alice");
        assert_true(v->id() == "alice");
        v->value() = mj::parse(R"({"age": 30, "note": "a string long enough to be allocated"})", alloc);
        auto again = g.register_vertex("alice"); /* existing: same vertex, value kept */
        assert_int_equal(again->value().as_object()["age"].as_int64(), 30);
        assert_int_equal(g.num_vertices(), 1);

        g.register_edge("alice", "bob")->value() = "follows"; /* directed; adds bob */
        g.register_edge("alice", "bob")->value() = "follows again"; /* parallel */
        auto e = g.register_edge("bob", "carol", true); /* undirected */
        e->value() = mj::parse("[1, 2]", alloc);
        assert_true(e->source_id() == "bob" && e->destination_id() == "carol");
        assert_int_equal(g.num_vertices(), 3);
        assert_int_equal(g.num_edges(), 3); /* the undirected edge counts once */
        assert_int_equal(g.has_edges("alice", "bob"), 2);
        assert_int_equal(g.has_edges("bob", "alice"), 0);
        assert_int_equal(g.has_edges("bob", "carol"), 1);
        assert_int_equal(g.has_edges("carol", "bob"), 1);
        assert_int_equal(g.degree("alice"), 2);
        assert_int_equal(g.degree("bob"), 1);
        assert_int_equal(g.degree("carol"), 1);

        using E = std::tuple<std::string, std::string, std::string>;
        const cgraph &cg = g;
        assert_true(edges_at(cg, "alice") ==
                    (std::multiset<E>{{"alice", "bob", "\"follows\""}, {"alice", "bob", "\"follows again\""}}));
        assert_true(edges_at(cg, "bob") == (std::multiset<E>{{"bob", "carol", "[1,2]"}}));
        assert_true(edges_at(cg, "carol") == (std::multiset<E>{{"bob", "carol", "[1,2]"}}));

        auto range = g.find_edges("alice", "bob");
        int n = 0;
        for (auto it = range.first; it != range.second; ++it, ++n)
            it->value() = n; /* writable through the iterator */
        assert_int_equal(n, 2);
        assert_true(edges_at(cg, "alice") == (std::multiset<E>{{"alice", "bob", "0"}, {"alice", "bob", "1"}}));
        auto crange = cg.find_edges("bob", "carol");
        assert_true(crange.first != crange.second && std::next(crange.first) == crange.second);

        std::set<std::string> seen;
        for (auto it = cg.vertices_begin(); it != cg.vertices_end(); it++)
            seen.insert(std::string((*it).id()));
        assert_true(seen == (std::set<std::string>{"alice", "bob", "carol"}));
        assert_true(cg.find_vertex("bob")->value().is_null());
        assert_true(cg.get_allocator() == alloc);
        assert_true(A.live_blocks > 0);
    }
    assert_int_equal(A.live_blocks, 0);
}

static void test_many_vertices(void **) {
    jg::jgraph<> g;
    const int n = 2000;
    for (int i = 0; i < n; ++i) {
        auto v = g.register_vertex("vertex-" + std::to_string(i));
        v->value() = i;
        if (i > 0)
            g.register_edge("vertex-" + std::to_string(i - 1), "vertex-" + std::to_string(i))->value() = -i;
    }
    assert_int_equal(g.num_vertices(), n);
    assert_int_equal(g.num_edges(), n - 1);
    std::vector<int> count(n, 0);
    for (auto it = g.vertices_begin(); it != g.vertices_end(); ++it) {
        const int i = static_cast<int>(it->value().as_int64());
        assert_true(it->id() == "vertex-" + std::to_string(i));
        count[static_cast<std::size_t>(i)]++;
        const std::size_t deg = g.degree(it->id());
        assert_int_equal(deg, i == n - 1 ? 0 : 1);
        for (auto e = g.edges_begin(it->id()); e != g.edges_end(it->id()); ++e)
            assert_int_equal(e->value().as_int64(), -(i + 1));
    }
    assert_true(std::all_of(count.begin(), count.end(), [](int c) { return c == 1; }));
    assert_true(g.find_vertex("vertex-1234")->value().as_int64() == 1234);
    assert_false(g.has_vertex("vertex-2000"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_unknown),
        cmocka_unit_test(test_vertices_and_edges),
        cmocka_unit_test(test_many_vertices),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
