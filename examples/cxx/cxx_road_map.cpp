/*
 * cxx_road_map.cpp - the C++ layer of metall-c in one page.
 *
 * Run 1 builds a small road map inside a datastore: a name -> city id map
 * and an adjacency list (a vector of vectors), all Boost.Container
 * containers with the datastore's allocator, and exits. Run 2 (a new process: the
 * heap is mapped at whatever address the kernel picks) finds the
 * containers by name, reads them, keeps adding through the allocators they
 * stored, and removes the datastore. No serialisation anywhere.
 *
 *   cxx_road_map DATASTORE_DIR      (run it twice)
 */
#include <metall/metall.hpp>

#include <boost/container/map.hpp>
#include <boost/container/scoped_allocator.hpp>
#include <boost/container/string.hpp>
#include <boost/container/vector.hpp>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>

namespace bc = boost::container;

/* Every container takes the manager's allocator_type; nested ones go
 * through scoped_allocator_type so inner containers get the allocator too. */
template <class T>
using alloc = metall::manager::scoped_allocator_type<T>;
using name_t = bc::basic_string<char, std::char_traits<char>, metall::manager::allocator_type<char>>;
using roads_t = bc::vector<std::uint32_t, metall::manager::allocator_type<std::uint32_t>>;
using graph_t = bc::vector<roads_t, alloc<roads_t>>;
using index_t = bc::map<name_t, std::uint32_t, std::less<>, alloc<std::pair<const name_t, std::uint32_t>>>;

/* The id of @p city, adding it to the index and the graph if new. */
static std::uint32_t city(index_t &index, graph_t &graph, const char *name) {
    auto it = index.find(name);
    if (it != index.end())
        return it->second;
    auto id = static_cast<std::uint32_t>(graph.size());
    index.emplace(name, id); /* the key is built with the stored allocator */
    graph.emplace_back();
    return id;
}

static void road(index_t &index, graph_t &graph, const char *a, const char *b) {
    std::uint32_t x = city(index, graph, a), y = city(index, graph, b);
    graph[x].push_back(y);
    graph[y].push_back(x);
}

static void print(const index_t &index, const graph_t &graph, const char *name) {
    auto it = index.find(name);
    if (it == index.end())
        return;
    std::printf("%s:", name);
    for (std::uint32_t n : graph[it->second])
        for (auto &kv : index) /* tiny map: a reverse lookup by scan */
            if (kv.second == n)
                std::printf(" %s", kv.first.c_str());
    std::printf("\n");
}

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DATASTORE_DIR\n", argv[0]);
        return 2;
    }
    const std::string path = argv[1];
    if (!metall::manager::consistent(path)) {
        if (errno != ENOENT) { /* there, but damaged, open or foreign */
            std::fprintf(stderr, "%s: %s\n", path.c_str(), metall_errmsg());
            return 1;
        }
        /* Run 1: create the datastore and build the road map. */
        metall::manager m(metall::create_only, path);
        if (!m.check_sanity()) /* the reason was logged */
            return 1;
        auto *index = m.construct<index_t>("index")(m.get_allocator());
        auto *graph = m.construct<graph_t>("graph")(m.get_allocator());
        road(*index, *graph, "Lyon", "Paris");
        road(*index, *graph, "Lyon", "Marseille");
        road(*index, *graph, "Lyon", "Geneva");
        road(*index, *graph, "Paris", "Lille");
        std::printf("run 1: built %zu cities in %s; run me again\n", graph->size(),
                    path.c_str());
        return 0; /* the destructor closes: the datastore is persisted */
    }

    /* Run 2: reopen (the heap may be mapped elsewhere), read, extend. */
    {
        metall::manager m(metall::open_only, path);
        auto [index, count] = m.find<index_t>("index");
        auto *graph = m.find<graph_t>("graph").first;
        if (!index || count != 1 || !graph) {
            std::fprintf(stderr, "the containers were not found\n");
            return 1;
        }
        road(*index, *graph, "Geneva", "Turin"); /* allocates via the stored allocator */
        std::printf("run 2: %zu cities\n", graph->size());
        print(*index, *graph, "Lyon");
        print(*index, *graph, "Geneva");
    }
    if (!metall::manager::remove(path))
        return 1;
    std::printf("datastore removed\n");
    return 0;
}
