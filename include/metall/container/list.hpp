/**
 * @file container/list.hpp
 * @brief metall::container::list: Boost.Container's list in a datastore.
 */
#ifndef METALL_CONTAINER_LIST_HPP
#define METALL_CONTAINER_LIST_HPP

#include <boost/container/list.hpp>
#include <metall/metall.hpp>

namespace metall::container {

/** boost::container::list with a datastore's allocator by default. */
template <typename T, typename Allocator = manager::allocator_type<T>>
using list = boost::container::list<T, Allocator>;

} // namespace metall::container

#endif
