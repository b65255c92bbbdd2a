/**
 * @file container/queue.hpp
 * @brief metall::container::queue: std::queue over a deque in a datastore.
 */
#ifndef METALL_CONTAINER_QUEUE_HPP
#define METALL_CONTAINER_QUEUE_HPP

#include <metall/container/deque.hpp>
#include <queue>
#include <metall/metall.hpp>

namespace metall::container {

/** std::queue over metall::container::deque. */
template <typename T, typename Container = deque<T>>
using queue = std::queue<T, Container>;

} // namespace metall::container

#endif
