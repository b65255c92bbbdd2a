/**
 * @file container/set.hpp
 * @brief metall::container::set and multiset: Boost.Container's in a datastore.
 */
#ifndef METALL_CONTAINER_SET_HPP
#define METALL_CONTAINER_SET_HPP

#include <boost/container/set.hpp>
#include <functional>
#include <metall/metall.hpp>

namespace metall::container {

/** boost::container::set with a datastore's allocator by default. */
template <class Key, class Compare = std::less<Key>, class Allocator = manager::allocator_type<Key>>
using set = boost::container::set<Key, Compare, Allocator>;

/** boost::container::multiset with a datastore's allocator by default. */
template <class Key, class Compare = std::less<Key>, class Allocator = manager::allocator_type<Key>>
using multiset = boost::container::multiset<Key, Compare, Allocator>;

} // namespace metall::container

#endif
