/**
 * @file utility/mutex.hpp
 * @brief metall::utility::mutex::mutex_lock: a lock on one of a fixed
 *        bank of process-wide mutexes, chosen by index.
 */
#ifndef METALL_UTILITY_MUTEX_HPP
#define METALL_UTILITY_MUTEX_HPP

#include <cassert>
#include <cstddef>
#include <mutex>

namespace metall::utility::mutex {

/** Lock mutex number @p index of a bank of @p num_banks mutexes (one bank
 *  per value of num_banks, shared by the whole process); the lock is
 *  released when the returned object goes away. @p index < num_banks. */
template <int num_banks>
inline std::unique_lock<std::mutex> mutex_lock(const std::size_t index) {
    static std::mutex bank[static_cast<std::size_t>(num_banks)];
    assert(index < static_cast<std::size_t>(num_banks));
    return std::unique_lock<std::mutex>(bank[index]);
}

} // namespace metall::utility::mutex

#endif
