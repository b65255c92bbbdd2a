/**
 * @file version.hpp
 * @brief METALL_VERSION (the Metall API level this C++ layer provides) and
 *        metall::to_version_string().
 */
#ifndef METALL_VERSION_HPP
#define METALL_VERSION_HPP

#include <cstdint>
#include <string>

/** The version of LLNL Metall whose C++ API this layer provides (0.30.0),
 *  encoded as MAJOR * 100000 + MINOR * 100 + PATCH. The version of
 *  metall-c itself is METALLC_VERSION_MAJOR/MINOR/PATCH (metall.h). */
#define METALL_VERSION 3000

namespace metall {

/** A version number encoded as MAJOR * 100000 + MINOR * 100 + PATCH. */
using version_type = std::uint32_t;

/** "MAJOR.MINOR.PATCH" of an encoded @p version. */
inline std::string to_version_string(const version_type version) {
    return std::to_string(version / 100000) + "." + std::to_string(version / 100 % 1000) +
           "." + std::to_string(version % 100);
}

} // namespace metall

#endif /* METALL_VERSION_HPP */
