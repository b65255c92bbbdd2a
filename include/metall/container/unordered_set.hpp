/**
 * @file container/unordered_set.hpp
 * @brief metall::container::unordered_set and unordered_multiset: Boost's in a datastore.
 */
#ifndef METALL_CONTAINER_UNORDERED_SET_HPP
#define METALL_CONTAINER_UNORDERED_SET_HPP

#include <boost/unordered_set.hpp>
#include <functional>
#include <metall/metall.hpp>

namespace metall::container {

/** boost::unordered_set with a datastore's allocator by default. */
template <class Key, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>,
          class Allocator = manager::allocator_type<Key>>
using unordered_set = boost::unordered_set<Key, Hash, KeyEqual, Allocator>;

/** boost::unordered_multiset with a datastore's allocator by default. */
template <class Key, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>,
          class Allocator = manager::allocator_type<Key>>
using unordered_multiset = boost::unordered_multiset<Key, Hash, KeyEqual, Allocator>;

} // namespace metall::container

#endif
