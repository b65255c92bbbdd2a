/**
 * @file utility/fallback_allocator_adaptor.hpp
 * @brief Deprecated spelling of metall::container::fallback_allocator_adaptor.
 */
#ifndef METALL_UTILITY_FALLBACK_ALLOCATOR_ADAPTOR_HPP
#define METALL_UTILITY_FALLBACK_ALLOCATOR_ADAPTOR_HPP

#include <metall/container/fallback_allocator.hpp>

#warning "metall/utility/fallback_allocator_adaptor.hpp is deprecated: include metall/container/fallback_allocator.hpp"

namespace metall::utility {
/** metall::container::fallback_allocator_adaptor under its old name. */
template <typename StatefulAllocator>
using fallback_allocator_adaptor = metall::container::fallback_allocator_adaptor<StatefulAllocator>;
} // namespace metall::utility

#endif
