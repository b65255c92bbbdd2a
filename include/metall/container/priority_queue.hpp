/**
 * @file container/priority_queue.hpp
 * @brief metall::container::priority_queue: std::priority_queue over a vector in a datastore.
 */
#ifndef METALL_CONTAINER_PRIORITY_QUEUE_HPP
#define METALL_CONTAINER_PRIORITY_QUEUE_HPP

#include <metall/container/vector.hpp>
#include <functional>
#include <queue>
#include <metall/metall.hpp>

namespace metall::container {

/** std::priority_queue over metall::container::vector. */
template <typename T, typename Container = vector<T>,
          typename Compare = std::less<typename Container::value_type>>
using priority_queue = std::priority_queue<T, Container, Compare>;

} // namespace metall::container

#endif
