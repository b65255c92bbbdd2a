/**
 * @file container/unordered_flat_map.hpp
 * @brief metall::container::unordered_flat_map: Boost's (1.81 or later) in a datastore.
 */
#ifndef METALL_CONTAINER_UNORDERED_FLAT_MAP_HPP
#define METALL_CONTAINER_UNORDERED_FLAT_MAP_HPP

#include <boost/version.hpp>
static_assert(BOOST_VERSION >= 108100, "unordered_flat_map needs Boost 1.81 or later");
#include <boost/unordered/unordered_flat_map.hpp>
#include <functional>
#include <metall/metall.hpp>

namespace metall::container {

/** boost::unordered_flat_map with a datastore's allocator by default. */
template <class Key, class T, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>,
          class Allocator = manager::allocator_type<std::pair<const Key, T>>>
using unordered_flat_map = boost::unordered_flat_map<Key, T, Hash, KeyEqual, Allocator>;

} // namespace metall::container

#endif
