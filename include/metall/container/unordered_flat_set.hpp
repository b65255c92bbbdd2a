/**
 * @file container/unordered_flat_set.hpp
 * @brief metall::container::unordered_flat_set: Boost's (1.81 or later) in a datastore.
 */
#ifndef METALL_CONTAINER_UNORDERED_FLAT_SET_HPP
#define METALL_CONTAINER_UNORDERED_FLAT_SET_HPP

#include <boost/version.hpp>
static_assert(BOOST_VERSION >= 108100, "unordered_flat_set needs Boost 1.81 or later");
#include <boost/unordered/unordered_flat_set.hpp>
#include <functional>
#include <metall/metall.hpp>

namespace metall::container {

/** boost::unordered_flat_set with a datastore's allocator by default. */
template <class Key, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>,
          class Allocator = manager::allocator_type<Key>>
using unordered_flat_set = boost::unordered_flat_set<Key, Hash, KeyEqual, Allocator>;

} // namespace metall::container

#endif
