/**
 * @file object.hpp
 * @brief metall::json::object: a JSON object (unique keys, each with a JSON
 *        value), members kept in insertion order.
 */
#ifndef METALL_JSON_OBJECT_HPP
#define METALL_JSON_OBJECT_HPP

#include <metall/json/details/compact_object.hpp>
#include <metall/json/json_fwd.hpp>

namespace metall::json {

/**
 * @brief A JSON object: members (metall::json::key_value_pair) with unique
 *        keys, iterated in insertion order (erase keeps the order of the
 *        rest).
 *
 * Storage is compact, as in Metall: one vector of members and a linear
 * search by key, nothing else kept in the datastore. Members:
 *  - `operator[](key)` returns the value of @p key, appending a null member
 *    if there is none; the const overload and `at(key)` throw
 *    std::out_of_range for a missing key;
 *  - `find(key)` (end() if missing), `contains(key)`, `count(key)` (0 or 1);
 *  - `erase(iterator)`, `erase(key)`: return the iterator after the removed
 *    member (end() if @p key is missing);
 *  - `begin()`, `end()`, `size()`, `swap()`, `get_allocator()`;
 *  - `==` / `!=`: the same keys, in any order, with equal values.
 * Constructors: default, `(alloc)`, copy and move, each also with an
 * allocator.
 *
 * @tparam allocator_type an allocator of any type (rebound internally)
 */
template <typename allocator_type>
class object : public jsndtl::compact_object<allocator_type> {
    using base = jsndtl::compact_object<allocator_type>;

public:
    using base::base;

    /// Equal when both have the same keys with equal values.
    /// @param lhs an object
    /// @param rhs an object
    /// @return true if equal
    friend bool operator==(const object &lhs, const object &rhs) noexcept {
        return jsndtl::general_compact_object_equal(lhs, rhs);
    }
    /// @param lhs an object
    /// @param rhs an object
    /// @return !(lhs == rhs)
    friend bool operator!=(const object &lhs, const object &rhs) noexcept { return !(lhs == rhs); }
};

/// Exchanges two objects.
/// @param lhs an object
/// @param rhs an object
template <typename allocator_type>
inline void swap(object<allocator_type> &lhs, object<allocator_type> &rhs) noexcept {
    lhs.swap(rhs);
}

/// @cond INTERNAL
namespace jsndtl {

template <typename allocator_type, typename other_object_type>
bool general_object_equal(const object<allocator_type> &lhs, const other_object_type &rhs) noexcept {
    return general_compact_object_equal(lhs, rhs);
}

} // namespace jsndtl
/// @endcond

} // namespace metall::json

#endif // METALL_JSON_OBJECT_HPP
