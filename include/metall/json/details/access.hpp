/**
 * @file access.hpp
 * @brief Internal: unchecked appends for the parser and the converters,
 *        which know a key is new or handle duplicates themselves.
 */
#ifndef METALL_JSON_DETAILS_ACCESS_HPP
#define METALL_JSON_DETAILS_ACCESS_HPP

#include <string_view>
#include <utility>

#include <metall/json/details/compact_object.hpp>
#include <metall/json/json_fwd.hpp>

/// @cond INTERNAL
namespace metall::json::jsndtl {

struct access {
    /* A new null element at the end; its reference. */
    template <typename A>
    static value<A> &array_append(array<A> &a) {
        a.m_array.emplace_back();
        return a.m_array.back();
    }

    template <typename A>
    static void array_reserve(array<A> &a, std::size_t n) {
        a.m_array.reserve(n);
    }

    /* A new member at the end, without looking for the key. */
    template <typename A>
    static auto &object_append(compact_object<A> &o, std::string_view key, value<A> &&v) {
        return o.priv_append(key, std::move(v));
    }
};

} // namespace metall::json::jsndtl
/// @endcond

#endif // METALL_JSON_DETAILS_ACCESS_HPP
