/**
 * @file container/unordered_map.hpp
 * @brief metall::container::unordered_map and unordered_multimap: Boost's in a datastore.
 */
#ifndef METALL_CONTAINER_UNORDERED_MAP_HPP
#define METALL_CONTAINER_UNORDERED_MAP_HPP

#include <boost/unordered_map.hpp>
#include <functional>
#include <metall/metall.hpp>

namespace metall::container {

/** boost::unordered_map with a datastore's allocator by default. */
template <class Key, class T, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>,
          class Allocator = manager::allocator_type<std::pair<const Key, T>>>
using unordered_map = boost::unordered_map<Key, T, Hash, KeyEqual, Allocator>;

/** boost::unordered_multimap with a datastore's allocator by default. */
template <class Key, class T, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>,
          class Allocator = manager::allocator_type<std::pair<const Key, T>>>
using unordered_multimap = boost::unordered_multimap<Key, T, Hash, KeyEqual, Allocator>;

} // namespace metall::container

#endif
