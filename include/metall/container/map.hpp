/**
 * @file container/map.hpp
 * @brief metall::container::map and multimap: Boost.Container's in a datastore.
 */
#ifndef METALL_CONTAINER_MAP_HPP
#define METALL_CONTAINER_MAP_HPP

#include <boost/container/map.hpp>
#include <functional>
#include <metall/metall.hpp>

namespace metall::container {

/** boost::container::map with a datastore's allocator by default. */
template <class Key, class T, class Compare = std::less<Key>,
          class Allocator = manager::allocator_type<std::pair<const Key, T>>>
using map = boost::container::map<Key, T, Compare, Allocator>;

/** boost::container::multimap with a datastore's allocator by default. */
template <class Key, class T, class Compare = std::less<Key>,
          class Allocator = manager::allocator_type<std::pair<const Key, T>>>
using multimap = boost::container::multimap<Key, T, Compare, Allocator>;

} // namespace metall::container

#endif
