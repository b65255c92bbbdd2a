/**
 * @file container/string.hpp
 * @brief metall::container::basic_string, string, wstring: Boost.Container's in a datastore.
 */
#ifndef METALL_CONTAINER_STRING_HPP
#define METALL_CONTAINER_STRING_HPP

#include <boost/container/string.hpp>
#include <string>
#include <metall/metall.hpp>

namespace metall::container {

/** boost::container::basic_string with a datastore's allocator by default. */
template <class CharT, class Traits = std::char_traits<CharT>,
          class Allocator = manager::allocator_type<CharT>>
using basic_string = boost::container::basic_string<CharT, Traits, Allocator>;

/** A string of char in a datastore. */
using string = basic_string<char>;
/** A string of wchar_t in a datastore. */
using wstring = basic_string<wchar_t>;

} // namespace metall::container

#endif
