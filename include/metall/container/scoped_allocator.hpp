/**
 * @file container/scoped_allocator.hpp
 * @brief metall::container::scoped_allocator_adaptor (Boost.Container's),
 *        which hands a container's allocator to the containers inside it.
 */
#ifndef METALL_CONTAINER_SCOPED_ALLOCATOR_HPP
#define METALL_CONTAINER_SCOPED_ALLOCATOR_HPP

#include <boost/container/scoped_allocator.hpp>

namespace metall::container {

/** Boost.Container's scoped_allocator_adaptor: the outer container's
 *  allocator is passed on to the elements that are allocator-aware
 *  (containers of containers in one datastore). */
template <class OuterAlloc, class... InnerAlloc>
using scoped_allocator_adaptor =
    boost::container::scoped_allocator_adaptor<OuterAlloc, InnerAlloc...>;

} // namespace metall::container

#endif
