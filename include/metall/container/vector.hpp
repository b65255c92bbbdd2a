/**
 * @file container/vector.hpp
 * @brief metall::container::vector: Boost.Container's vector in a datastore.
 */
#ifndef METALL_CONTAINER_VECTOR_HPP
#define METALL_CONTAINER_VECTOR_HPP

#include <boost/container/vector.hpp>
#include <metall/metall.hpp>

namespace metall::container {

/** boost::container::vector with a datastore's allocator by default. */
template <typename T, typename Allocator = manager::allocator_type<T>>
using vector = boost::container::vector<T, Allocator>;

} // namespace metall::container

#endif
