/**
 * @file utility/random.hpp
 * @brief metall::utility::rand_512 and rand_1024: the xoshiro512++ and
 *        xoshiro1024++ generators of Blackman and Vigna (public domain
 *        algorithms), seeded through SplitMix64, as UniformRandomBitGenerators.
 */
#ifndef METALL_UTILITY_RANDOM_HPP
#define METALL_UTILITY_RANDOM_HPP

#include <cstdint>
#include <limits>

namespace metall::utility {

namespace detail {

constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
}

/* SplitMix64: expands one seed into the state words. */
inline std::uint64_t splitmix64(std::uint64_t &x) noexcept {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

struct xoshiro512pp {
    std::uint64_t s[8];
    explicit xoshiro512pp(std::uint64_t seed) noexcept {
        for (auto &w : s)
            w = splitmix64(seed);
    }
    std::uint64_t next() noexcept {
        const std::uint64_t r = rotl(s[0] + s[2], 17) + s[2];
        const std::uint64_t t = s[1] << 11;
        s[2] ^= s[0];
        s[5] ^= s[1];
        s[1] ^= s[2];
        s[7] ^= s[3];
        s[3] ^= s[4];
        s[4] ^= s[5];
        s[0] ^= s[6];
        s[6] ^= s[7];
        s[6] ^= t;
        s[7] = rotl(s[7], 21);
        return r;
    }
    bool operator==(const xoshiro512pp &o) const noexcept {
        for (int i = 0; i < 8; ++i)
            if (s[i] != o.s[i])
                return false;
        return true;
    }
};

struct xoshiro1024pp {
    int p = 0;
    std::uint64_t s[16];
    explicit xoshiro1024pp(std::uint64_t seed) noexcept {
        for (auto &w : s)
            w = splitmix64(seed);
    }
    std::uint64_t next() noexcept {
        const int q = p;
        const std::uint64_t s0 = s[p = (p + 1) & 15];
        std::uint64_t s15 = s[q];
        const std::uint64_t r = rotl(s0 + s15, 23) + s15;
        s15 ^= s0;
        s[q] = rotl(s0, 25) ^ s15 ^ (s15 << 27);
        s[p] = rotl(s15, 36);
        return r;
    }
    bool operator==(const xoshiro1024pp &o) const noexcept {
        if (p != o.p)
            return false;
        for (int i = 0; i < 16; ++i)
            if (s[i] != o.s[i])
                return false;
        return true;
    }
};

/* A UniformRandomBitGenerator over one of the engines above. */
template <typename Engine>
class base_rand_xoshiro {
    Engine e_;

public:
    using result_type = std::uint64_t;
    explicit base_rand_xoshiro(const std::uint64_t seed = 123) noexcept : e_(seed) {}
    result_type operator()() noexcept { return e_.next(); }
    bool equal(const base_rand_xoshiro &o) const noexcept { return e_ == o.e_; }
    static constexpr result_type min() { return std::numeric_limits<result_type>::min(); }
    static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }
};

template <typename E>
inline bool operator==(const base_rand_xoshiro<E> &a, const base_rand_xoshiro<E> &b) {
    return a.equal(b);
}
template <typename E>
inline bool operator!=(const base_rand_xoshiro<E> &a, const base_rand_xoshiro<E> &b) {
    return !a.equal(b);
}

} // namespace detail

/** xoshiro512++: 64-bit values, period 2^512 - 1; `rand_512 r(seed); r()`. */
using rand_512 = detail::base_rand_xoshiro<detail::xoshiro512pp>;
/** xoshiro1024++: 64-bit values, period 2^1024 - 1. */
using rand_1024 = detail::base_rand_xoshiro<detail::xoshiro1024pp>;

} // namespace metall::utility

#endif
