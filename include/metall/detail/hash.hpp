/*
 * detail/hash.hpp - MurmurHash64A (Austin Appleby's public-domain 64-bit
 * hash), used where Metall's containers hash keys, so that the same keys
 * land in the same order (not part of the API).
 */
#ifndef METALL_DETAIL_HASH_HPP
#define METALL_DETAIL_HASH_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace metall::detail {

inline std::uint64_t murmur_hash_64a(const void *key, std::size_t len,
                                     std::uint64_t seed) noexcept {
    constexpr std::uint64_t mul = 0xc6a4a7935bd1e995ULL;
    constexpr int shift = 47;
    const auto *bytes = static_cast<const unsigned char *>(key);
    std::uint64_t h = seed ^ (static_cast<std::uint64_t>(len) * mul);
    const std::size_t nblocks = len / 8;
    for (std::size_t i = 0; i < nblocks; ++i) {
        std::uint64_t k;
        std::memcpy(&k, bytes + 8 * i, 8); /* little-endian hosts only, as the format */
        k *= mul;
        k ^= k >> shift;
        k *= mul;
        h ^= k;
        h *= mul;
    }
    const unsigned char *tail = bytes + 8 * nblocks;
    const std::size_t rest = len & 7;
    if (rest) {
        for (std::size_t i = rest; i > 0; --i)
            h ^= static_cast<std::uint64_t>(tail[i - 1]) << (8 * (i - 1));
        h *= mul;
    }
    h ^= h >> shift;
    h *= mul;
    h ^= h >> shift;
    return h;
}

} // namespace metall::detail

#endif
