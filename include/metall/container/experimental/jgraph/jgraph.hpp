/**
 * @file jgraph.hpp
 * @brief metall::container::experimental::jgraph::jgraph: Metall's graph
 *        whose vertices and edges each carry a JSON value
 *        (metall::json::value), stored through an allocator (a datastore).
 *
 * Vertices have string IDs; edges are multi-edges between two vertex IDs,
 * directed or stored in both directions ("undirected"). Each vertex and
 * edge holds a JSON value. The containers are Boost's unordered maps with
 * the same hashing as Metall's, so vertices and edges are visited in the
 * same order as with Metall built with the same Boost version (Boost's
 * unordered containers changed their layout in 1.80; the order differs
 * between Boost 1.74 and newer).
 *
 * @code
 *   using graph_t = metall::container::experimental::jgraph::jgraph<
 *       metall::manager::allocator_type<std::byte>>;
 *   auto *g = m.construct<graph_t>(metall::unique_instance)(m.get_allocator());
 *   g->register_vertex("alice")->value() = metall::json::parse(R"({"age": 30})", m.get_allocator());
 *   g->register_edge("alice", "bob", true)->value() = "friend";
 *   for (auto e = g->edges_begin("bob"); e != g->edges_end("bob"); ++e)
 *       std::cout << e->source_id() << " - " << e->destination_id() << "\n";
 * @endcode
 */
#ifndef METALL_CONTAINER_EXPERIMENT_JGRAPH_JGRAPH_HPP
#define METALL_CONTAINER_EXPERIMENT_JGRAPH_JGRAPH_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/container/scoped_allocator.hpp>
#include <boost/container/string.hpp>
#include <boost/unordered_map.hpp>

#include <metall/json/json.hpp>

/// Metall's experimental containers.
namespace metall::container::experimental {}

/// Metall's JSON graph container.
namespace metall::container::experimental::jgraph {

/// @cond INTERNAL
namespace jgdtl {

/* MurmurHash2, 64-bit version (MurmurHash64A, Austin Appleby, public
 * domain): the hash Metall derives vertex IDs and bucket positions from. */
inline std::uint64_t murmur_hash_64a(const void *key, std::size_t len, std::uint64_t seed) noexcept {
    constexpr std::uint64_t m = 0xc6a4a7935bd1e995ULL;
    constexpr int r = 47;
    const auto *p = static_cast<const unsigned char *>(key);
    std::uint64_t h = seed ^ (static_cast<std::uint64_t>(len) * m);
    for (std::size_t i = 0; i + 8 <= len; i += 8) {
        std::uint64_t k = 0;
        for (int b = 7; b >= 0; --b) /* little-endian load on any host */
            k = (k << 8) | p[i + static_cast<std::size_t>(b)];
        k *= m;
        k ^= k >> r;
        k *= m;
        h ^= k;
        h *= m;
    }
    const unsigned char *tail = p + (len & ~static_cast<std::size_t>(7));
    const std::size_t rest = len & 7;
    if (rest) {
        for (std::size_t b = rest; b-- > 0;)
            h ^= static_cast<std::uint64_t>(tail[b]) << (8 * b);
        h *= m;
    }
    h ^= h >> r;
    h *= m;
    h ^= h >> r;
    return h;
}

/* Metall's metall::utility::hash<> on a u64 key: its 8 bytes, seed 123. */
struct u64_hash {
    std::size_t operator()(std::uint64_t key) const noexcept {
        unsigned char bytes[sizeof key];
        for (std::size_t i = 0; i < sizeof key; ++i)
            bytes[i] = static_cast<unsigned char>(key >> (8 * i));
        return static_cast<std::size_t>(murmur_hash_64a(bytes, sizeof bytes, 123));
    }
};

/* Iterates a map of (id -> vertex data), showing the vertex data. */
template <typename StorageIterator>
class vertex_iterator_impl {
    using pair_type = typename std::iterator_traits<StorageIterator>::value_type;
    using raw_value = typename pair_type::second_type;
    static constexpr bool is_const =
        std::is_const_v<std::remove_reference_t<typename std::iterator_traits<StorageIterator>::reference>>;

public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::conditional_t<is_const, const raw_value, raw_value>;
    using difference_type = typename std::iterator_traits<StorageIterator>::difference_type;
    using pointer = value_type *;
    using reference = value_type &;

    vertex_iterator_impl() = default;
    explicit vertex_iterator_impl(StorageIterator pos) : m_pos(pos) {}

    vertex_iterator_impl &operator++() {
        ++m_pos;
        return *this;
    }
    vertex_iterator_impl operator++(int) {
        auto old = *this;
        ++m_pos;
        return old;
    }
    reference operator*() const { return m_pos->second; }
    pointer operator->() const { return &m_pos->second; }
    bool equal(const vertex_iterator_impl &other) const { return m_pos == other.m_pos; }

private:
    StorageIterator m_pos{};
};

template <typename I>
bool operator==(const vertex_iterator_impl<I> &lhs, const vertex_iterator_impl<I> &rhs) {
    return lhs.equal(rhs);
}
template <typename I>
bool operator!=(const vertex_iterator_impl<I> &lhs, const vertex_iterator_impl<I> &rhs) {
    return !lhs.equal(rhs);
}

/* Iterates one vertex's adjacency list (neighbour -> edge id), showing the
 * edges' data, looked up in the edge storage. */
template <typename AdjIterator, typename EdgeStorage>
class edge_iterator_impl {
    using raw_value = typename std::remove_const_t<EdgeStorage>::mapped_type;

public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::conditional_t<std::is_const_v<EdgeStorage>, const raw_value, raw_value>;
    using difference_type = typename std::iterator_traits<AdjIterator>::difference_type;
    using pointer = value_type *;
    using reference = value_type &;

    edge_iterator_impl() = default;
    edge_iterator_impl(AdjIterator pos, EdgeStorage *storage) : m_pos(pos), m_storage(storage) {}

    edge_iterator_impl &operator++() {
        ++m_pos;
        return *this;
    }
    edge_iterator_impl operator++(int) {
        auto old = *this;
        ++m_pos;
        return old;
    }
    reference operator*() const { return m_storage->find(m_pos->second)->second; }
    pointer operator->() const { return &**this; }
    bool equal(const edge_iterator_impl &other) const { return m_pos == other.m_pos; }

private:
    AdjIterator m_pos{};
    EdgeStorage *m_storage = nullptr;
};

template <typename I, typename S>
bool operator==(const edge_iterator_impl<I, S> &lhs, const edge_iterator_impl<I, S> &rhs) {
    return lhs.equal(rhs);
}
template <typename I, typename S>
bool operator!=(const edge_iterator_impl<I, S> &lhs, const edge_iterator_impl<I, S> &rhs) {
    return !lhs.equal(rhs);
}

} // namespace jgdtl
/// @endcond

/**
 * @brief A graph of string-identified vertices and multi-edges, each
 *        holding a JSON value, allocated with one allocator.
 *
 * A vertex is found by its ID in constant expected time (its internal ID is
 * a hash of the ID, probed linearly on collisions); an edge by its two
 * vertex IDs. Iterators stay valid until the graph is modified.
 *
 * @tparam _allocator_type an allocator of any type (rebound internally),
 *         e.g. `metall::manager::allocator_type<std::byte>`
 */
template <typename _allocator_type = std::allocator<std::byte>>
class jgraph {
public:
    /// The allocator type.
    using allocator_type = _allocator_type;
    /// The type of vertex IDs.
    using id_type = std::string_view;
    /// The JSON value every vertex and edge holds.
    using value_type = metall::json::value<allocator_type>;

private:
    using internal_id_type = std::uint64_t;
    static constexpr internal_id_type k_no_id = std::numeric_limits<internal_id_type>::max();

    template <typename T>
    using scoped = boost::container::scoped_allocator_adaptor<metall::json::jsndtl::rebind_t<allocator_type, T>>;
    using string_type = boost::container::basic_string<char, std::char_traits<char>,
                                                       metall::json::jsndtl::rebind_t<allocator_type, char>>;

public:
    /// A vertex: its ID and its JSON value.
    class vertex_data_type {
    public:
        /// The allocator type.
        using allocator_type = _allocator_type;

        /// A vertex @p id with a null value.
        /// @param id the vertex ID
        /// @param alloc the allocator of the ID and the value
        explicit vertex_data_type(const id_type &id, const allocator_type &alloc = allocator_type())
            : m_id(id.data(), id.size(), alloc), m_value(alloc) {}
        /// A deep copy.
        /// @param other the vertex to copy
        vertex_data_type(const vertex_data_type &other) = default;
        /// A deep copy with @p alloc.
        /// @param other the vertex to copy
        /// @param alloc the allocator of the copy
        vertex_data_type(const vertex_data_type &other, const allocator_type &alloc)
            : m_id(other.m_id, alloc), m_value(other.m_value, alloc) {}
        /// Takes @p other's contents.
        /// @param other the vertex to move from
        vertex_data_type(vertex_data_type &&other) noexcept = default;
        /// Takes @p other's contents (copied if the allocators differ).
        /// @param other the vertex to move from
        /// @param alloc the allocator of the new vertex
        vertex_data_type(vertex_data_type &&other, const allocator_type &alloc)
            : m_id(std::move(other.m_id), alloc), m_value(std::move(other.m_value), alloc) {}
        /// @param other the vertex to copy  @return *this
        vertex_data_type &operator=(const vertex_data_type &other) = default;
        /// @param other the vertex to move from  @return *this
        vertex_data_type &operator=(vertex_data_type &&other) = default;

        /// @return the vertex ID
        const id_type id() const { return id_type(m_id.data(), m_id.size()); }
        /// @return the vertex's JSON value
        value_type &value() { return m_value; }
        /// @return the vertex's JSON value
        const value_type &value() const { return m_value; }

    private:
        string_type m_id;
        value_type m_value;
    };

    /// An edge: its two vertex IDs and its JSON value.
    class edge_data_type {
    public:
        /// The allocator type.
        using allocator_type = _allocator_type;

        /// An edge from @p source_id to @p destination_id with a null value.
        /// @param source_id the source vertex ID
        /// @param destination_id the destination vertex ID
        /// @param edge_id the edge's internal ID
        /// @param alloc the allocator of the IDs and the value
        edge_data_type(const id_type &source_id, const id_type &destination_id,
                       const internal_id_type &edge_id, const allocator_type &alloc = allocator_type())
            : m_source_id(source_id.data(), source_id.size(), alloc),
              m_destination_id(destination_id.data(), destination_id.size(), alloc), m_edge_id(edge_id),
              m_value(alloc) {}
        /// A deep copy.
        /// @param other the edge to copy
        edge_data_type(const edge_data_type &other) = default;
        /// A deep copy with @p alloc.
        /// @param other the edge to copy
        /// @param alloc the allocator of the copy
        edge_data_type(const edge_data_type &other, const allocator_type &alloc)
            : m_source_id(other.m_source_id, alloc), m_destination_id(other.m_destination_id, alloc),
              m_edge_id(other.m_edge_id), m_value(other.m_value, alloc) {}
        /// Takes @p other's contents.
        /// @param other the edge to move from
        edge_data_type(edge_data_type &&other) noexcept = default;
        /// Takes @p other's contents (copied if the allocators differ).
        /// @param other the edge to move from
        /// @param alloc the allocator of the new edge
        edge_data_type(edge_data_type &&other, const allocator_type &alloc)
            : m_source_id(std::move(other.m_source_id), alloc),
              m_destination_id(std::move(other.m_destination_id), alloc), m_edge_id(other.m_edge_id),
              m_value(std::move(other.m_value), alloc) {}
        /// @param other the edge to copy  @return *this
        edge_data_type &operator=(const edge_data_type &other) = default;
        /// @param other the edge to move from  @return *this
        edge_data_type &operator=(edge_data_type &&other) = default;

        /// @return the source vertex ID
        const id_type source_id() const { return id_type(m_source_id.data(), m_source_id.size()); }
        /// @return the destination vertex ID
        const id_type destination_id() const {
            return id_type(m_destination_id.data(), m_destination_id.size());
        }
        /// @return the edge's JSON value
        value_type &value() { return m_value; }
        /// @return the edge's JSON value
        const value_type &value() const { return m_value; }

    private:
        string_type m_source_id;
        string_type m_destination_id;
        internal_id_type m_edge_id;
        value_type m_value;
    };

private:
    using vertex_storage_type =
        boost::unordered_map<internal_id_type, vertex_data_type, jgdtl::u64_hash, std::equal_to<>,
                             scoped<std::pair<const internal_id_type, vertex_data_type>>>;
    using edge_storage_type =
        boost::unordered_map<internal_id_type, edge_data_type, jgdtl::u64_hash, std::equal_to<>,
                             scoped<std::pair<const internal_id_type, edge_data_type>>>;
    /* neighbour's internal ID -> edge ID, per vertex */
    using adj_edges_type =
        boost::unordered_multimap<internal_id_type, internal_id_type, std::hash<internal_id_type>,
                                  std::equal_to<>, scoped<std::pair<const internal_id_type, internal_id_type>>>;
    using adj_list_type =
        boost::unordered_map<internal_id_type, adj_edges_type, std::hash<internal_id_type>, std::equal_to<>,
                             scoped<std::pair<const internal_id_type, adj_edges_type>>>;
    /* internal ID -> vertex ID, to resolve hash collisions */
    using id_table_type =
        boost::unordered_map<internal_id_type, string_type, std::hash<internal_id_type>, std::equal_to<>,
                             scoped<std::pair<const internal_id_type, string_type>>>;

public:
    /// Iterator over vertices (shows vertex_data_type).
    using vertex_iterator = jgdtl::vertex_iterator_impl<typename vertex_storage_type::iterator>;
    /// Read-only iterator over vertices.
    using const_vertex_iterator = jgdtl::vertex_iterator_impl<typename vertex_storage_type::const_iterator>;
    /// Iterator over a vertex's edges (shows edge_data_type).
    using edge_iterator = jgdtl::edge_iterator_impl<typename adj_edges_type::iterator, edge_storage_type>;
    /// Read-only iterator over a vertex's edges.
    using const_edge_iterator =
        jgdtl::edge_iterator_impl<typename adj_edges_type::const_iterator, const edge_storage_type>;

    /// An empty graph.
    /// @param alloc the allocator of everything the graph holds
    explicit jgraph(const allocator_type &alloc = allocator_type())
        : m_vertex_storage(alloc), m_edge_storage(alloc), m_adj_list(alloc), m_vertex_id_table(alloc) {}

    /// @param vertex_id a vertex ID
    /// @return true if the vertex exists
    bool has_vertex(const id_type &vertex_id) const { return priv_internal_id(vertex_id) != k_no_id; }

    /// @param source_vertex_id a vertex ID
    /// @param destination_vertex_id a vertex ID
    /// @return the number of edges from the first vertex to the second
    ///         (undirected edges count from both ends)
    std::size_t has_edges(const id_type &source_vertex_id, const id_type &destination_vertex_id) const {
        const auto src = priv_internal_id(source_vertex_id);
        const auto dst = priv_internal_id(destination_vertex_id);
        if (src == k_no_id || dst == k_no_id)
            return 0;
        return m_adj_list.find(src)->second.count(dst);
    }

    /// Adds a vertex with a null value, unless it exists.
    /// @param vertex_id the vertex ID
    /// @return the vertex (new or existing)
    vertex_iterator register_vertex(const id_type &vertex_id) {
        auto id = priv_internal_id(vertex_id);
        if (id != k_no_id)
            return vertex_iterator(m_vertex_storage.find(id));
        id = priv_new_internal_id(vertex_id);
        m_adj_list.emplace(id, adj_edges_type(m_adj_list.get_allocator()));
        auto added = m_vertex_storage.emplace(id, vertex_data_type(vertex_id, get_allocator()));
        return vertex_iterator(added.first);
    }

    /// Adds an edge with a null value (and its vertices if they are new).
    /// Parallel edges are allowed.
    /// @param source_vertex_id the source vertex ID
    /// @param destination_vertex_id the destination vertex ID
    /// @param undirected also list the edge among the destination's edges
    /// @return the new edge, as an iterator of the source's edges
    edge_iterator register_edge(const id_type &source_vertex_id, const id_type &destination_vertex_id,
                                const bool undirected = false) {
        register_vertex(source_vertex_id);
        register_vertex(destination_vertex_id);
        const auto src = priv_internal_id(source_vertex_id);
        const auto dst = priv_internal_id(destination_vertex_id);
        const auto edge_id = ++m_max_edge_id;
        auto pos = m_adj_list.find(src)->second.emplace(dst, edge_id);
        if (undirected)
            m_adj_list.find(dst)->second.emplace(src, edge_id);
        m_edge_storage.emplace(edge_id, edge_data_type(source_vertex_id, destination_vertex_id, edge_id,
                                                       get_allocator()));
        return edge_iterator(pos, &m_edge_storage);
    }

    /// @param vertex_id a vertex ID
    /// @return the vertex, or vertices_end()
    vertex_iterator find_vertex(const id_type &vertex_id) {
        return vertex_iterator(m_vertex_storage.find(priv_internal_id(vertex_id)));
    }
    /// @param vertex_id a vertex ID
    /// @return the vertex, or vertices_end()
    const_vertex_iterator find_vertex(const id_type &vertex_id) const {
        return const_vertex_iterator(m_vertex_storage.find(priv_internal_id(vertex_id)));
    }

    /// @param source_vertex_id a vertex ID
    /// @param destination_vertex_id a vertex ID
    /// @return the range of edges from the first vertex to the second
    ///         (empty if there are none)
    std::pair<edge_iterator, edge_iterator> find_edges(const id_type &source_vertex_id,
                                                       const id_type &destination_vertex_id) {
        return priv_find_edges<edge_iterator>(*this, source_vertex_id, destination_vertex_id);
    }
    /// @param source_vertex_id a vertex ID
    /// @param destination_vertex_id a vertex ID
    /// @return the range of edges from the first vertex to the second
    ///         (empty if there are none)
    std::pair<const_edge_iterator, const_edge_iterator> find_edges(const id_type &source_vertex_id,
                                                                   const id_type &destination_vertex_id) const {
        return priv_find_edges<const_edge_iterator>(*this, source_vertex_id, destination_vertex_id);
    }

    /// @return the number of vertices
    std::size_t num_vertices() const { return m_vertex_storage.size(); }
    /// @return the number of edges (an undirected edge counts once)
    std::size_t num_edges() const { return m_edge_storage.size(); }

    /// @param vertex_id a vertex ID
    /// @return the number of edges listed at the vertex (0 if it does not exist)
    std::size_t degree(const id_type &vertex_id) const {
        const auto id = priv_internal_id(vertex_id);
        return id == k_no_id ? 0 : m_adj_list.find(id)->second.size();
    }

    /// @return an iterator at the first vertex
    vertex_iterator vertices_begin() { return vertex_iterator(m_vertex_storage.begin()); }
    /// @return an iterator at the first vertex
    const_vertex_iterator vertices_begin() const { return const_vertex_iterator(m_vertex_storage.begin()); }
    /// @return an iterator past the last vertex
    vertex_iterator vertices_end() { return vertex_iterator(m_vertex_storage.end()); }
    /// @return an iterator past the last vertex
    const_vertex_iterator vertices_end() const { return const_vertex_iterator(m_vertex_storage.end()); }

    /// @param vid a vertex ID
    /// @return an iterator at the vertex's first edge (for an unknown
    ///         vertex, one equal to edges_end())
    edge_iterator edges_begin(const id_type &vid) { return priv_edges<edge_iterator>(*this, vid, true); }
    /// @param vid a vertex ID
    /// @return an iterator at the vertex's first edge
    const_edge_iterator edges_begin(const id_type &vid) const {
        return priv_edges<const_edge_iterator>(*this, vid, true);
    }
    /// @param vid a vertex ID
    /// @return an iterator past the vertex's last edge
    edge_iterator edges_end(const id_type &vid) { return priv_edges<edge_iterator>(*this, vid, false); }
    /// @param vid a vertex ID
    /// @return an iterator past the vertex's last edge
    const_edge_iterator edges_end(const id_type &vid) const {
        return priv_edges<const_edge_iterator>(*this, vid, false);
    }

    /// @return a copy of the allocator
    allocator_type get_allocator() const { return allocator_type(m_vertex_storage.get_allocator()); }

private:
    template <typename Iterator, typename Self>
    static Iterator priv_edges(Self &self, const id_type &vid, bool begin) {
        const auto id = self.priv_internal_id(vid);
        if (id == k_no_id)
            return Iterator();
        auto &edges = self.m_adj_list.find(id)->second;
        return Iterator(begin ? edges.begin() : edges.end(), &self.m_edge_storage);
    }

    template <typename Iterator, typename Self>
    static std::pair<Iterator, Iterator> priv_find_edges(Self &self, const id_type &src_id, const id_type &dst_id) {
        const auto src = self.priv_internal_id(src_id);
        const auto dst = self.priv_internal_id(dst_id);
        if (src == k_no_id || dst == k_no_id)
            return {Iterator(), Iterator()};
        auto range = self.m_adj_list.find(src)->second.equal_range(dst);
        return {Iterator(range.first, &self.m_edge_storage), Iterator(range.second, &self.m_edge_storage)};
    }

    static internal_id_type priv_hash_id(const id_type &id) {
        return jgdtl::murmur_hash_64a(id.data(), id.size(), 1234);
    }

    /* The vertex's internal ID, or k_no_id: its hash, probed linearly as
     * far as the farthest probe any insertion needed. */
    internal_id_type priv_internal_id(const id_type &vid) const {
        auto id = priv_hash_id(vid);
        for (std::size_t d = 0; d <= m_max_vid_distance; ++d) {
            auto it = m_vertex_id_table.find(id);
            if (it == m_vertex_id_table.end())
                break;
            if (id_type(it->second.data(), it->second.size()) == vid)
                return id;
            id = (id + 1) % k_no_id;
        }
        return k_no_id;
    }

    internal_id_type priv_new_internal_id(const id_type &vid) {
        auto id = priv_hash_id(vid);
        std::size_t distance = 0;
        while (m_vertex_id_table.count(id) > 0) {
            id = (id + 1) % k_no_id;
            ++distance;
        }
        m_max_vid_distance = std::max(distance, m_max_vid_distance);
        m_vertex_id_table.emplace(id, string_type(vid.data(), vid.size(), get_allocator()));
        return id;
    }

    vertex_storage_type m_vertex_storage;
    edge_storage_type m_edge_storage;
    adj_list_type m_adj_list;
    id_table_type m_vertex_id_table;
    internal_id_type m_max_edge_id{0};
    std::size_t m_max_vid_distance{0};
};

} // namespace metall::container::experimental::jgraph

#endif // METALL_CONTAINER_EXPERIMENT_JGRAPH_JGRAPH_HPP
