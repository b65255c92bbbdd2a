/**
 * @file container/string_key_store.hpp
 * @brief metall::container::string_key_store: values under string keys,
 *        with or without duplicate keys, in a datastore.
 *
 * Each key is turned into a 64-bit id (MurmurHash64A of the key with the
 * store's seed; on a collision with another key, the next free id), and
 * the elements live in an unordered multimap from id to (key, value).
 * A lookup probes every id up to the longest collision run seen: an
 * erasure leaves a free id inside a run (Metall stops at it and then misses
 * the keys after it).
 */
#ifndef METALL_CONTAINER_STRING_KEY_STORE_HPP
#define METALL_CONTAINER_STRING_KEY_STORE_HPP

#include <metall/container/scoped_allocator.hpp>
#include <metall/container/string.hpp>
#include <metall/container/string_key_store_locator.hpp>
#include <metall/container/unordered_map.hpp>
#include <metall/detail/hash.hpp>
#include <metall/metall.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace metall::container {

/**
 * Values of type @p _value_type under string keys.
 * @tparam _value_type the value (allocator-aware values get the store's
 *         allocator).
 * @tparam allocator_type the allocator (by default a datastore's).
 */
template <typename _value_type,
          typename allocator_type = metall::manager::allocator_type<std::byte>>
class string_key_store {
    template <typename T>
    using rebound = typename std::allocator_traits<allocator_type>::template rebind_alloc<T>;
    using id_type = std::uint64_t;
    using key_string = basic_string<char, std::char_traits<char>, rebound<char>>;
    using element = std::tuple<key_string, _value_type>;
    using map_type =
        unordered_multimap<id_type, element, std::hash<id_type>, std::equal_to<id_type>,
                           scoped_allocator_adaptor<rebound<std::pair<const id_type, element>>>>;
    static constexpr id_type k_no_id = std::numeric_limits<id_type>::max();

public:
    /** Keys are passed as string views. */
    using key_type = std::string_view;
    /** The value type. */
    using value_type = _value_type;
    /** A position in the store. */
    using locator_type = string_key_store_locator<typename map_type::const_iterator>;

    /** An empty store that accepts duplicate keys (seed 123). */
    explicit string_key_store(const allocator_type &allocator = allocator_type())
        : map_(allocator) {}
    /** An empty store; @p unique: one value per key. */
    string_key_store(const bool unique, const std::uint64_t hash_seed,
                     const allocator_type &allocator = allocator_type())
        : unique_(unique), seed_(hash_seed), map_(allocator) {}
    /** A copy. */
    string_key_store(const string_key_store &) = default;
    /** A copy that allocates with @p alloc. */
    string_key_store(const string_key_store &o, const allocator_type &alloc)
        : unique_(o.unique_), seed_(o.seed_), max_probe_(o.max_probe_), map_(o.map_, alloc) {}
    /** Take over @p o's elements. */
    string_key_store(string_key_store &&) noexcept = default;
    /** Take over @p o's elements, allocating with @p alloc. */
    string_key_store(string_key_store &&o, const allocator_type &alloc) noexcept
        : unique_(o.unique_), seed_(o.seed_), max_probe_(o.max_probe_),
          map_(std::move(o.map_), alloc) {}
    /** Copy @p o's elements. */
    string_key_store &operator=(const string_key_store &) = default;
    /** Take over @p o's elements. */
    string_key_store &operator=(string_key_store &&) noexcept = default;

    /** Insert @p key with a default value. In a unique store an existing
     *  key is left alone. @return whether an element was inserted. */
    bool insert(const key_type &key) {
        const id_type id = find_or_new_id(key);
        if (unique_ && map_.count(id))
            return false;
        map_.emplace(id, element(std::allocator_arg, map_.get_allocator(), make_key(key),
                                 default_value()));
        return true;
    }

    /** Insert (@p key, @p value); in a unique store an existing key's
     *  value is replaced. @return true. */
    bool insert(const key_type &key, const value_type &value) {
        const id_type id = find_or_new_id(key);
        if (unique_ && map_.count(id))
            std::get<1>(map_.find(id)->second) = value;
        else
            map_.emplace(id, element(std::allocator_arg, map_.get_allocator(), make_key(key),
                                     value));
        return true;
    }

    /** insert() moving @p value. */
    bool insert(const key_type &key, value_type &&value) {
        const id_type id = find_or_new_id(key);
        if (unique_ && map_.count(id))
            std::get<1>(map_.find(id)->second) = std::move(value);
        else
            map_.emplace(id, element(std::allocator_arg, map_.get_allocator(), make_key(key),
                                     std::move(value)));
        return true;
    }

    /** Remove every element (the memory stays with the container). */
    void clear() {
        map_.clear();
        max_probe_ = 0;
    }

    /** The number of elements with @p key. */
    std::size_t count(const key_type &key) const { return map_.count(find_id(key)); }
    /** The number of elements. */
    std::size_t size() const { return map_.size(); }

    /** The key of the element at @p position. */
    const key_type key(const locator_type &position) const {
        const auto &k = std::get<0>(position.it_->second);
        return key_type(k.data(), k.size());
    }
    /** The value of the element at @p position. */
    value_type &value(const locator_type &position) {
        /* a const_iterator of our own map: its element is ours to change */
        return const_cast<value_type &>(std::get<1>(position.it_->second));
    }
    /** The value of the element at @p position. */
    const value_type &value(const locator_type &position) const {
        return std::get<1>(position.it_->second);
    }

    /** The (first) element with @p key, or end(). */
    locator_type find(const key_type &key) const { return locator_type(map_.find(find_id(key))); }
    /** The elements with @p key: [first, second). */
    std::pair<locator_type, locator_type> equal_range(const key_type &key) const {
        auto r = map_.equal_range(find_id(key));
        return {locator_type(r.first), locator_type(r.second)};
    }
    /** The first element. */
    locator_type begin() const { return locator_type(map_.begin()); }
    /** The end. */
    locator_type end() const { return locator_type(map_.end()); }

    /** Remove the elements with @p key. @return how many. */
    std::size_t erase(const key_type &key) { return map_.erase(find_id(key)); }
    /** Remove the element at @p position. @return the position after it. */
    locator_type erase(const locator_type &position) {
        if (position == end())
            return end();
        return locator_type(map_.erase(position.it_));
    }

    /** The longest run of ids probed because of hash collisions. */
    std::size_t max_id_probe_distance() const { return max_probe_; }

    /** Rebuild the id table (after many erasures). */
    void rehash() {
        map_type old(map_.get_allocator());
        std::swap(old, map_);
        max_probe_ = 0;
        for (auto &e : old)
            insert(key_type(std::get<0>(e.second).data(), std::get<0>(e.second).size()),
                   std::move(std::get<1>(e.second)));
    }

    /** The allocator. */
    allocator_type get_allocator() { return map_.get_allocator(); }
    /** Whether keys are unique. */
    bool unique() const { return unique_; }
    /** The seed of the key hash. */
    std::uint64_t hash_seed() const { return seed_; }

private:
    key_string make_key(const key_type &key) {
        return key_string(key.data(), key.size(), map_.get_allocator());
    }

    /* A default value, given the store's allocator if it takes one (its
     * default constructor need not exist: a datastore's allocator has none). */
    value_type default_value() {
        using va = rebound<value_type>;
        if constexpr (std::uses_allocator_v<value_type, va>) {
            if constexpr (std::is_constructible_v<value_type, std::allocator_arg_t, const va &>)
                return value_type(std::allocator_arg, va(map_.get_allocator()));
            else
                return value_type(va(map_.get_allocator()));
        } else {
            return value_type();
        }
    }

    static id_type hash_key(const key_type &key, std::uint64_t seed) {
        id_type h = metall::detail::murmur_hash_64a(key.data(), key.size(), seed);
        return h == k_no_id ? next_id(h) : h;
    }
    static id_type next_id(id_type id) { return (id + 1) % k_no_id; }

    /* The id of key, or k_no_id if it is not stored. A free id does not end
     * the search: erasing a key of a collision run frees an id in the
     * middle of it, and the keys after it are still up to max_probe_ from
     * their hash (the bound only shrinks on clear() or rehash()). */
    id_type find_id(const key_type &key) const {
        id_type id = hash_key(key, seed_);
        for (std::size_t d = 0; d <= max_probe_; ++d, id = next_id(id)) {
            auto it = map_.find(id);
            if (it != map_.end() && std::get<0>(it->second) == key)
                return id;
        }
        return k_no_id;
    }

    id_type find_or_new_id(const key_type &key) {
        id_type id = find_id(key);
        if (id != k_no_id)
            return id;
        id = hash_key(key, seed_);
        std::size_t d = 0;
        for (; map_.count(id); ++d)
            id = next_id(id);
        max_probe_ = std::max(max_probe_, d);
        return id;
    }

    bool unique_ = false;
    std::uint64_t seed_ = 123;
    std::size_t max_probe_ = 0;
    map_type map_;
};

} // namespace metall::container

#endif /* METALL_CONTAINER_STRING_KEY_STORE_HPP */
