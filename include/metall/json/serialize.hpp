/**
 * @file serialize.hpp
 * @brief serialize() and operator<<: JSON text of a value, an object or an
 *        array, in the form Boost.JSON's serializer writes.
 *
 * The text is compact (no whitespace). Strings are quoted; `"` and `\` are
 * escaped, control characters as `\b \t \n \f \r` or `\u00xx`, everything
 * else (UTF-8 included) is copied. Numbers: integers in decimal; doubles as
 * the shortest digits that read back to the same double, in Boost.JSON's
 * scientific form (`3.141E0`, `-2.5E-7`, `0E0`); NaN and infinities as
 * `NaN`, `Infinity`, `-Infinity`, as Boost.JSON 1.81 writes them.
 */
#ifndef METALL_JSON_SERIALIZE_HPP
#define METALL_JSON_SERIALIZE_HPP

#include <charconv>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>

#include <metall/json/json_fwd.hpp>

namespace metall::json {

/// @cond INTERNAL
namespace jsndtl {

inline void write_string(std::string &out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\f': out += "\\f"; break;
        case '\r': out += "\\r"; break;
        default:
            if (u < 0x20) {
                const char esc[] = {'\\', 'u', '0', '0', hex[u >> 4], hex[u & 15]};
                out.append(esc, sizeof esc);
            } else {
                out += c;
            }
        }
    }
    out += '"';
}

template <typename Int>
void write_integer(std::string &out, Int i) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, i);
    out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

/* Shortest round-trip digits (std::to_chars) reshaped into "d.dddE[-]x". */
inline void write_double(std::string &out, double d) {
    if (std::isnan(d)) {
        out += "NaN";
        return;
    }
    if (std::isinf(d)) {
        out += d < 0 ? "-Infinity" : "Infinity";
        return;
    }
    char buf[40];
    auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    const char *e = buf;
    while (*e != 'e')
        ++e;
    out.append(buf, static_cast<std::size_t>(e - buf));
    out += 'E';
    const char *x = e + 1;
    if (*x == '-')
        out += '-';
    ++x; /* the exponent's sign */
    while (x + 1 < r.ptr && *x == '0')
        ++x;
    out.append(x, static_cast<std::size_t>(r.ptr - x));
}

template <typename allocator_type>
void write_value(std::string &out, const value<allocator_type> &v);

template <typename allocator_type>
void write_array(std::string &out, const array<allocator_type> &a) {
    out += '[';
    for (auto it = a.begin(); it != a.end(); ++it) {
        if (it != a.begin())
            out += ',';
        write_value(out, *it);
    }
    out += ']';
}

template <typename allocator_type>
void write_object(std::string &out, const object<allocator_type> &o) {
    out += '{';
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (it != o.begin())
            out += ',';
        write_string(out, it->key());
        out += ':';
        write_value(out, it->value());
    }
    out += '}';
}

template <typename allocator_type>
void write_value(std::string &out, const value<allocator_type> &v) {
    if (v.is_null())
        out += "null";
    else if (v.is_bool())
        out += v.as_bool() ? "true" : "false";
    else if (v.is_int64())
        write_integer(out, v.as_int64());
    else if (v.is_uint64())
        write_integer(out, v.as_uint64());
    else if (v.is_double())
        write_double(out, v.as_double());
    else if (v.is_string())
        write_string(out, std::string_view(v.as_string().data(), v.as_string().size()));
    else if (v.is_array())
        write_array(out, v.as_array());
    else
        write_object(out, v.as_object());
}

} // namespace jsndtl
/// @endcond

/// JSON text of a value.
/// @param input the value
/// @return its compact JSON text
template <typename allocator_type>
std::string serialize(const value<allocator_type> &input) {
    std::string out;
    jsndtl::write_value(out, input);
    return out;
}

/// JSON text of an object.
/// @param input the object
/// @return its compact JSON text
template <typename allocator_type>
std::string serialize(const object<allocator_type> &input) {
    std::string out;
    jsndtl::write_object(out, input);
    return out;
}

/// JSON text of an array.
/// @param input the array
/// @return its compact JSON text
template <typename allocator_type>
std::string serialize(const array<allocator_type> &input) {
    std::string out;
    jsndtl::write_array(out, input);
    return out;
}

/// The characters of a string, as they are (unquoted, unescaped: as Metall
/// does; pretty_print() writes strings this way).
/// @param input the string
/// @return a copy of its characters
template <typename char_type, typename traits, typename allocator_type>
std::string serialize(const basic_string<char_type, traits, allocator_type> &input) {
    return std::string(input.data(), input.data() + input.size());
}

/// Writes serialize(val) to @p os.
/// @param os the stream
/// @param val the value
/// @return @p os
template <typename allocator_type>
std::ostream &operator<<(std::ostream &os, const value<allocator_type> &val) {
    return os << serialize(val);
}

/// Writes serialize(obj) to @p os.
/// @param os the stream
/// @param obj the object
/// @return @p os
template <typename allocator_type>
std::ostream &operator<<(std::ostream &os, const object<allocator_type> &obj) {
    return os << serialize(obj);
}

/// Writes serialize(arr) to @p os.
/// @param os the stream
/// @param arr the array
/// @return @p os
template <typename allocator_type>
std::ostream &operator<<(std::ostream &os, const array<allocator_type> &arr) {
    return os << serialize(arr);
}

} // namespace metall::json

#endif // METALL_JSON_SERIALIZE_HPP
