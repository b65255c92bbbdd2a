/*
 * json_header_check.cpp - compiled with -Wall -Wextra -Wpedantic
 * -Wconversion -Werror -fsyntax-only by every C++ compiler found (ctest
 * json_header_*): the JSON and jgraph headers with their templates
 * instantiated, for std::allocator and for the datastore's allocator.
 */
#include <metall/container/experimental/jgraph/jgraph.hpp>
#include <metall/json/json.hpp>

#include <sstream>
#include <utility>

namespace mj = metall::json;
namespace jg = metall::container::experimental::jgraph;

template class mj::value<>;
template class mj::array<>;
template class mj::object<>;
template class mj::key_value_pair<char, std::char_traits<char>, std::allocator<std::byte>>;
template class jg::jgraph<>;

/* Every free function, for one allocator type. */
template <typename A>
int use_all(const A &alloc) {
    auto v = mj::parse("{\"a\":[1,2.5,\"x\",null,true]}", alloc);
    std::ostringstream os;
    mj::pretty_print(os, v);
    mj::pretty_print<A, 4>(os, v);
    os << v << v.as_object() << v.as_object()["a"].as_array() << mj::serialize(v)
       << mj::serialize(v.as_object()) << mj::serialize(v.as_object()["a"].as_array())
       << mj::serialize(v.as_object()["a"].as_array()[2].as_string());
    mj::value<A> w(v, alloc);
    w = std::move(v);
    auto x = mj::value_from(w, alloc);
    jg::jgraph<A> g(alloc);
    g.register_edge("a", "b", true)->value() = 1;
    const jg::jgraph<A> &cg = g;
    int n = 0;
    for (auto it = cg.vertices_begin(); it != cg.vertices_end(); ++it)
        for (auto e = cg.edges_begin(it->id()); e != cg.edges_end(it->id()); ++e)
            n += static_cast<int>(e->value().as_int64());
    auto r = g.find_edges("a", "b");
    auto cr = cg.find_edges("a", "b");
    n += (r.first == r.second) + (cr.first == cr.second) + static_cast<int>(g.degree("a"));
#if METALLC_JSON_HAS_BOOST_JSON
    boost::json::value b = mj::value_to<boost::json::value>(x);
    n += (x == b) + (b != x) + (x.as_object() == b.as_object()) + (x.as_object()["a"].as_array() == b.as_object()["a"].as_array());
    n += mj::value_from(b, alloc).is_object();
#endif
    return n + (x == w) + (x != w);
}

int instantiate(metall::manager &m) {
    return use_all(std::allocator<std::byte>()) + use_all(m.get_allocator<std::byte>());
}
