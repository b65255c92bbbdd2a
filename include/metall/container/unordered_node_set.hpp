/**
 * @file container/unordered_node_set.hpp
 * @brief metall::container::unordered_node_set: Boost's (1.82 or later) in a datastore.
 */
#ifndef METALL_CONTAINER_UNORDERED_NODE_SET_HPP
#define METALL_CONTAINER_UNORDERED_NODE_SET_HPP

#include <boost/version.hpp>
static_assert(BOOST_VERSION >= 108200, "unordered_node_set needs Boost 1.82 or later");
#include <boost/unordered/unordered_node_set.hpp>
#include <functional>
#include <metall/metall.hpp>

namespace metall::container {

/** boost::unordered_node_set with a datastore's allocator by default. */
template <class Key, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>,
          class Allocator = manager::allocator_type<Key>>
using unordered_node_set = boost::unordered_node_set<Key, Hash, KeyEqual, Allocator>;

} // namespace metall::container

#endif
