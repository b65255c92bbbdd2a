/**
 * @file string.hpp
 * @brief The JSON string type (metall::json::string, an alias of
 *        boost::container::basic_string declared in json_fwd.hpp) and its
 *        comparison with other string types.
 */
#ifndef METALL_JSON_STRING_HPP
#define METALL_JSON_STRING_HPP

#include <string_view>

#include <metall/json/json_fwd.hpp>

/// @cond INTERNAL
namespace metall::json::jsndtl {

/* Strings of any type with data() and size(): equal characters, NULs and all. */
template <typename char_t, typename traits, typename allocator, typename other_string_type>
bool general_string_equal(const basic_string<char_t, traits, allocator> &lhs,
                          const other_string_type &rhs) noexcept {
    return std::basic_string_view<char_t, traits>(lhs.data(), lhs.size()) ==
           std::basic_string_view<char_t, traits>(rhs.data(), rhs.size());
}

} // namespace metall::json::jsndtl
/// @endcond

#endif // METALL_JSON_STRING_HPP
