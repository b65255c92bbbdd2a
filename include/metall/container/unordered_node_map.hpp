/**
 * @file container/unordered_node_map.hpp
 * @brief metall::container::unordered_node_map: Boost's (1.82 or later) in a datastore.
 */
#ifndef METALL_CONTAINER_UNORDERED_NODE_MAP_HPP
#define METALL_CONTAINER_UNORDERED_NODE_MAP_HPP

#include <boost/version.hpp>
static_assert(BOOST_VERSION >= 108200, "unordered_node_map needs Boost 1.82 or later");
#include <boost/unordered/unordered_node_map.hpp>
#include <functional>
#include <metall/metall.hpp>

namespace metall::container {

/** boost::unordered_node_map with a datastore's allocator by default. */
template <class Key, class T, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>,
          class Allocator = manager::allocator_type<std::pair<const Key, T>>>
using unordered_node_map = boost::unordered_node_map<Key, T, Hash, KeyEqual, Allocator>;

} // namespace metall::container

#endif
