/**
 * @file container/deque.hpp
 * @brief metall::container::deque: Boost.Container's deque in a datastore.
 */
#ifndef METALL_CONTAINER_DEQUE_HPP
#define METALL_CONTAINER_DEQUE_HPP

#include <boost/container/deque.hpp>
#include <metall/metall.hpp>

namespace metall::container {

/** boost::container::deque with a datastore's allocator by default. */
template <typename T, typename Allocator = manager::allocator_type<T>>
using deque = boost::container::deque<T, Allocator>;

} // namespace metall::container

#endif
