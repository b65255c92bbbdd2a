/**
 * @file json_fwd.hpp
 * @brief Declarations of metall::json, Metall's JSON container that lives in
 *        a datastore (or anywhere an allocator puts it).
 *
 * Every JSON type takes an allocator type as its template parameter and an
 * allocator object in its constructors, like the Boost containers: with
 * `metall::manager::allocator_type<std::byte>` the whole tree (strings,
 * arrays, objects) is allocated in the datastore and holds only
 * offset pointers, so it is found again after a reopen at another address.
 *
 * Boost.JSON (Boost >= 1.75) is optional here. When its headers are found,
 * they are included as Metall does (header-only mode through
 * `boost/json/src.hpp`, unless `METALL_LINK_WITH_BOOST_JSON` is defined;
 * define `METALL_BOOST_JSON_SRC_INCLUDED` in all but one translation unit
 * that include it), and value_from() / value_to() / the comparison operators
 * with Boost.JSON types are available; `METALLC_JSON_HAS_BOOST_JSON` is then
 * 1. parse(), serialize(), pretty_print() and everything else never need
 * Boost.JSON: they write the same text as Boost.JSON does.
 */
#ifndef METALL_JSON_JSON_FWD_HPP
#define METALL_JSON_JSON_FWD_HPP

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include <boost/container/string.hpp>

#include <metall/metall.hpp>

#if !defined(METALLC_JSON_HAS_BOOST_JSON)
#if __has_include(<boost/json/src.hpp>)
/// 1 when Boost.JSON is used (its headers were found; define it to 0
/// beforehand to do without), else 0.
#define METALLC_JSON_HAS_BOOST_JSON 1
#else
/// 0: Boost.JSON's headers were not found (see above).
#define METALLC_JSON_HAS_BOOST_JSON 0
#endif
#endif

#if METALLC_JSON_HAS_BOOST_JSON
#ifdef METALL_LINK_WITH_BOOST_JSON
#include <boost/json.hpp>
#elif !defined(METALL_BOOST_JSON_SRC_INCLUDED)
#define METALL_BOOST_JSON_SRC_INCLUDED
#include <boost/json/src.hpp>
#endif
#endif

/// JSON values, arrays, objects and strings allocated through an allocator.
namespace metall::json {

/// The type a JSON null is held as.
using null_type = std::monostate;

/// A JSON string with its own character type, traits and allocator.
template <typename char_t, typename traits, typename allocator_type>
using basic_string = boost::container::basic_string<char_t, traits, allocator_type>;

/// A JSON string of `char` (its allocator is rebound to char where needed).
template <typename allocator_type = std::allocator<std::byte>>
using string = basic_string<char, std::char_traits<char>, allocator_type>;

template <typename allocator_type = std::allocator<std::byte>>
class value;

template <typename allocator_type = std::allocator<std::byte>>
class array;

template <typename char_type = char, typename char_traits = std::char_traits<char_type>,
          typename allocator_type = std::allocator<char_type>>
class key_value_pair;

template <typename allocator_type = std::allocator<std::byte>>
class object;

template <typename allocator_type, int indent_size = 2>
void pretty_print(std::ostream &, const value<allocator_type> &);

template <typename allocator_type = std::allocator<std::byte>>
value<allocator_type> parse(std::string_view, const allocator_type &allocator = allocator_type());

template <typename T, typename allocator_type = std::allocator<std::byte>>
value<allocator_type> value_from(T &&, const allocator_type &allocator = allocator_type());

template <typename T, typename allocator_type>
T value_to(const value<allocator_type> &);

template <typename allocator_type>
std::string serialize(const value<allocator_type> &);

template <typename allocator_type>
std::string serialize(const object<allocator_type> &);

template <typename allocator_type>
std::string serialize(const array<allocator_type> &);

template <typename char_type, typename traits, typename allocator_type>
std::string serialize(const basic_string<char_type, traits, allocator_type> &);

/// @cond INTERNAL
/* Internals shared by the JSON headers (Metall's namespace name). */
namespace jsndtl {

template <typename A, typename T>
using rebind_t = typename std::allocator_traits<A>::template rebind_alloc<T>;

/* Grants the parser and the converters direct, unchecked appends. */
struct access;

/* Comparisons with any type of the same interface (another allocator's,
 * Boost.JSON's); declared here because they call each other. */
template <typename allocator_type, typename other_value_type>
bool general_value_equal(const value<allocator_type> &, const other_value_type &) noexcept;
template <typename allocator_type, typename other_array_type>
bool general_array_equal(const array<allocator_type> &, const other_array_type &) noexcept;
template <typename allocator_type, typename other_object_type>
bool general_object_equal(const object<allocator_type> &, const other_object_type &) noexcept;
template <typename char_type, typename char_traits, typename allocator_type,
          typename other_key_value_pair_type>
bool general_key_value_pair_equal(const key_value_pair<char_type, char_traits, allocator_type> &,
                                  const other_key_value_pair_type &) noexcept;
template <typename char_t, typename traits, typename allocator, typename other_string_type>
bool general_string_equal(const basic_string<char_t, traits, allocator> &,
                          const other_string_type &) noexcept;

/* true when the propagate_on_container_* trait is std::true_type */
template <typename Trait>
inline constexpr bool propagates = std::is_same_v<Trait, std::true_type>;

} // namespace jsndtl
/// @endcond

} // namespace metall::json

#endif // METALL_JSON_JSON_FWD_HPP
