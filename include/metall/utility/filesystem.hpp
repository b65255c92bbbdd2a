/**
 * @file utility/filesystem.hpp
 * @brief metall::utility::filesystem::remove: delete a file or a directory
 *        tree (any, not only a datastore: use it with care).
 */
#ifndef METALL_UTILITY_FILESYSTEM_HPP
#define METALL_UTILITY_FILESYSTEM_HPP

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace metall::utility::filesystem {

/** Delete @p path and everything under it. @return true if nothing is
 *  left there (a missing path is success). */
inline bool remove(std::string_view path) {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(std::string(path)), ec);
    return !ec;
}

} // namespace metall::utility::filesystem

#endif
