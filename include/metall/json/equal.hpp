/**
 * @file equal.hpp
 * @brief == and != between metall::json types and their Boost.JSON
 *        counterparts (value, array, object, key_value_pair, string); only
 *        with Boost.JSON (Boost >= 1.75, see json_fwd.hpp).
 *
 * The rules are those of == between two metall::json values: the same kind
 * and equal contents (objects: the same keys in any order), integers equal
 * by numeric value whether int64 or uint64.
 */
#ifndef METALL_JSON_EQUAL_HPP
#define METALL_JSON_EQUAL_HPP

#include <metall/json/json_fwd.hpp>

#if METALLC_JSON_HAS_BOOST_JSON
namespace metall::json {

/// @param lhs a value  @param rhs a Boost.JSON value  @return true if equal
template <typename allocator_type>
bool operator==(const value<allocator_type> &lhs, const boost::json::value &rhs) {
    return jsndtl::general_value_equal(lhs, rhs);
}
/// @param lhs a Boost.JSON value  @param rhs a value  @return true if equal
template <typename allocator_type>
bool operator==(const boost::json::value &lhs, const value<allocator_type> &rhs) {
    return rhs == lhs;
}
/// @param lhs a value  @param rhs a Boost.JSON value  @return !(lhs == rhs)
template <typename allocator_type>
bool operator!=(const value<allocator_type> &lhs, const boost::json::value &rhs) {
    return !(lhs == rhs);
}
/// @param lhs a Boost.JSON value  @param rhs a value  @return !(lhs == rhs)
template <typename allocator_type>
bool operator!=(const boost::json::value &lhs, const value<allocator_type> &rhs) {
    return !(rhs == lhs);
}

/// @param lhs an array  @param rhs a Boost.JSON array  @return true if equal
template <typename allocator_type>
bool operator==(const array<allocator_type> &lhs, const boost::json::array &rhs) {
    return jsndtl::general_array_equal(lhs, rhs);
}
/// @param lhs a Boost.JSON array  @param rhs an array  @return true if equal
template <typename allocator_type>
bool operator==(const boost::json::array &lhs, const array<allocator_type> &rhs) {
    return rhs == lhs;
}
/// @param lhs an array  @param rhs a Boost.JSON array  @return !(lhs == rhs)
template <typename allocator_type>
bool operator!=(const array<allocator_type> &lhs, const boost::json::array &rhs) {
    return !(lhs == rhs);
}
/// @param lhs a Boost.JSON array  @param rhs an array  @return !(lhs == rhs)
template <typename allocator_type>
bool operator!=(const boost::json::array &lhs, const array<allocator_type> &rhs) {
    return !(rhs == lhs);
}

/// @param lhs an object  @param rhs a Boost.JSON object  @return true if equal
template <typename allocator_type>
bool operator==(const object<allocator_type> &lhs, const boost::json::object &rhs) {
    return jsndtl::general_object_equal(lhs, rhs);
}
/// @param lhs a Boost.JSON object  @param rhs an object  @return true if equal
template <typename allocator_type>
bool operator==(const boost::json::object &lhs, const object<allocator_type> &rhs) {
    return rhs == lhs;
}
/// @param lhs an object  @param rhs a Boost.JSON object  @return !(lhs == rhs)
template <typename allocator_type>
bool operator!=(const object<allocator_type> &lhs, const boost::json::object &rhs) {
    return !(lhs == rhs);
}
/// @param lhs a Boost.JSON object  @param rhs an object  @return !(lhs == rhs)
template <typename allocator_type>
bool operator!=(const boost::json::object &lhs, const object<allocator_type> &rhs) {
    return !(rhs == lhs);
}

/// @param lhs a member  @param rhs a Boost.JSON member  @return true if equal
template <typename char_type, typename char_traits, typename allocator_type>
bool operator==(const key_value_pair<char_type, char_traits, allocator_type> &lhs,
                const boost::json::key_value_pair &rhs) {
    return jsndtl::general_key_value_pair_equal(lhs, rhs);
}
/// @param lhs a Boost.JSON member  @param rhs a member  @return true if equal
template <typename char_type, typename char_traits, typename allocator_type>
bool operator==(const boost::json::key_value_pair &lhs,
                const key_value_pair<char_type, char_traits, allocator_type> &rhs) {
    return rhs == lhs;
}
/// @param lhs a member  @param rhs a Boost.JSON member  @return !(lhs == rhs)
template <typename char_type, typename char_traits, typename allocator_type>
bool operator!=(const key_value_pair<char_type, char_traits, allocator_type> &lhs,
                const boost::json::key_value_pair &rhs) {
    return !(lhs == rhs);
}
/// @param lhs a Boost.JSON member  @param rhs a member  @return !(lhs == rhs)
template <typename char_type, typename char_traits, typename allocator_type>
bool operator!=(const boost::json::key_value_pair &lhs,
                const key_value_pair<char_type, char_traits, allocator_type> &rhs) {
    return !(rhs == lhs);
}

/// @param lhs a string  @param rhs a Boost.JSON string  @return true if equal
template <typename char_t, typename traits, typename allocator>
bool operator==(const basic_string<char_t, traits, allocator> &lhs, const boost::json::string &rhs) {
    return jsndtl::general_string_equal(lhs, rhs);
}
/// @param lhs a Boost.JSON string  @param rhs a string  @return true if equal
template <typename char_t, typename traits, typename allocator>
bool operator==(const boost::json::string &lhs, const basic_string<char_t, traits, allocator> &rhs) {
    return rhs == lhs;
}
/// @param lhs a string  @param rhs a Boost.JSON string  @return !(lhs == rhs)
template <typename char_t, typename traits, typename allocator>
bool operator!=(const basic_string<char_t, traits, allocator> &lhs, const boost::json::string &rhs) {
    return !(lhs == rhs);
}
/// @param lhs a Boost.JSON string  @param rhs a string  @return !(lhs == rhs)
template <typename char_t, typename traits, typename allocator>
bool operator!=(const boost::json::string &lhs, const basic_string<char_t, traits, allocator> &rhs) {
    return !(rhs == lhs);
}

} // namespace metall::json
#endif // METALLC_JSON_HAS_BOOST_JSON

#endif // METALL_JSON_EQUAL_HPP
