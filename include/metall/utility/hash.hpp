/**
 * @file utility/hash.hpp
 * @brief metall::utility::hash and str_hash: MurmurHash64A function
 *        objects (the hashes of Metall's utility header).
 */
#ifndef METALL_UTILITY_HASH_HPP
#define METALL_UTILITY_HASH_HPP

#include <metall/detail/hash.hpp>

#include <cstddef>
#include <string>
#include <type_traits>

namespace metall::utility {

/** Hashes the bytes of a trivially copyable key with MurmurHash64A.
 *  @tparam T unused (kept for Metall's spelling). @tparam seed the seed. */
template <typename T = void, unsigned int seed = 123>
struct hash {
    /** The hash of @p key's object representation. */
    template <typename K>
    std::size_t operator()(const K &key) const noexcept {
        return static_cast<std::size_t>(metall::detail::murmur_hash_64a(&key, sizeof(K), seed));
    }
};

/** Hashes the characters of a string (C string, std::string, Boost string,
 *  string_view) with MurmurHash64A; transparent. @tparam seed the seed. */
template <unsigned int seed = 123>
struct str_hash {
    /** Heterogeneous lookup is allowed. */
    using is_transparent = void;
    /** The hash of the characters of @p s. */
    template <typename S>
    std::size_t operator()(const S &s) const noexcept {
        if constexpr (std::is_convertible_v<const S &, const char *>) {
            const char *p = s;
            return static_cast<std::size_t>(
                metall::detail::murmur_hash_64a(p, std::char_traits<char>::length(p), seed));
        } else {
            return static_cast<std::size_t>(metall::detail::murmur_hash_64a(
                s.data(), s.size() * sizeof(typename S::value_type), seed));
        }
    }
};

} // namespace metall::utility

#endif
