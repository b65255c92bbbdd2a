/**
 * @file container/stack.hpp
 * @brief metall::container::stack: std::stack over a deque in a datastore.
 */
#ifndef METALL_CONTAINER_STACK_HPP
#define METALL_CONTAINER_STACK_HPP

#include <metall/container/deque.hpp>
#include <stack>
#include <metall/metall.hpp>

namespace metall::container {

/** std::stack over metall::container::deque. */
template <typename T, typename Container = deque<T>>
using stack = std::stack<T, Container>;

} // namespace metall::container

#endif
