/**
 * @file pretty_print.hpp
 * @brief pretty_print(): an indented, human-readable dump of a JSON value in
 *        Metall's layout.
 */
#ifndef METALL_JSON_PRETTY_PRINT_HPP
#define METALL_JSON_PRETTY_PRINT_HPP

#include <ostream>
#include <string>

#include <metall/json/json_fwd.hpp>

namespace metall::json {

/// @cond INTERNAL
namespace jsndtl {

template <typename allocator_type, int indent_size>
void pretty_print_value(std::ostream &os, const value<allocator_type> &v, const std::string &indent);

/* Opening bracket, one element per line one level deeper, closing bracket
 * on its own line at this level (an empty container prints an empty line). */
template <typename Container, typename PrintOne>
void pretty_print_items(std::ostream &os, const Container &c, const std::string &indent, int indent_size,
                        char open, char close, PrintOne print_one) {
    const std::string inner = indent + std::string(static_cast<std::size_t>(indent_size), ' ');
    os << open << '\n';
    for (auto it = c.begin(); it != c.end(); ++it) {
        if (it != c.begin())
            os << ",\n";
        os << inner;
        print_one(*it, inner);
    }
    os << '\n' << indent << close;
}

template <typename allocator_type, int indent_size>
void pretty_print_value(std::ostream &os, const value<allocator_type> &v, const std::string &indent) {
    if (v.is_null()) {
        os << "null";
    } else if (v.is_bool()) {
        os << std::boolalpha << v.as_bool();
    } else if (v.is_int64()) {
        os << v.as_int64();
    } else if (v.is_uint64()) {
        os << v.as_uint64();
    } else if (v.is_double()) {
        os << v.as_double();
    } else if (v.is_string()) {
        os << serialize(v.as_string());
    } else if (v.is_array()) {
        pretty_print_items(os, v.as_array(), indent, indent_size, '[', ']',
                           [&os](const auto &elem, const std::string &inner) {
                               pretty_print_value<allocator_type, indent_size>(os, elem, inner);
                           });
    } else {
        pretty_print_items(os, v.as_object(), indent, indent_size, '{', '}',
                           [&os](const auto &member, const std::string &inner) {
                               os << member.key() << " : ";
                               pretty_print_value<allocator_type, indent_size>(os, member.value(), inner);
                           });
    }
}

} // namespace jsndtl
/// @endcond

/**
 * @brief Writes @p json_value to @p os, one array element or object member
 *        per line, indented by @p indent_size spaces per level, then a
 *        newline (std::endl).
 *
 * The layout is Metall's: keys and strings as they are (unquoted), numbers
 * and bools with the stream's formatting (bools switch the stream to
 * std::boolalpha), `key : value` for members.
 *
 * @tparam allocator_type the value's allocator type
 * @tparam indent_size spaces per level
 * @param os the stream
 * @param json_value the value to print
 */
template <typename allocator_type, int indent_size>
void pretty_print(std::ostream &os, const value<allocator_type> &json_value) {
    jsndtl::pretty_print_value<allocator_type, indent_size>(os, json_value, std::string());
    os << std::endl;
}

} // namespace metall::json

#endif // METALL_JSON_PRETTY_PRINT_HPP
