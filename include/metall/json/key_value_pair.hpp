/**
 * @file key_value_pair.hpp
 * @brief metall::json::key_value_pair: a member of a JSON object (a key
 *        string and a JSON value, both allocated with one allocator).
 */
#ifndef METALL_JSON_KEY_VALUE_PAIR_HPP
#define METALL_JSON_KEY_VALUE_PAIR_HPP

#include <cassert>
#include <cstddef>
#include <memory>
#include <string_view>
#include <utility>

#include <metall/json/json_fwd.hpp>

namespace metall::json {

/// @cond INTERNAL
namespace jsndtl {

/* Members of the same interface (boost::json::key_value_pair): equal keys,
 * NULs and all, and equal values. */
template <typename char_type, typename char_traits, typename allocator_type,
          typename other_key_value_pair_type>
bool general_key_value_pair_equal(const key_value_pair<char_type, char_traits, allocator_type> &lhs,
                                  const other_key_value_pair_type &rhs) noexcept {
    const auto rk = rhs.key();
    if (lhs.key() != std::basic_string_view<char_type, char_traits>(rk.data(), rk.size()))
        return false;
    return general_value_equal(lhs.value(), rhs.value());
}

} // namespace jsndtl
/// @endcond

/**
 * @brief A key (a string) and a JSON value; the element type of
 *        metall::json::object.
 *
 * The key is NUL-terminated (key_c_str()) and may hold NULs itself (key()).
 * Both parts are allocated with the value's allocator.
 *
 * @tparam _char_type the key's character type
 * @tparam _char_traits the key's character traits
 * @tparam Alloc an allocator of any type (rebound internally)
 */
template <typename _char_type, typename _char_traits, typename Alloc>
class key_value_pair {
public:
    /// The key's character type.
    using char_type = _char_type;
    /// The key's character traits.
    using char_traits = _char_traits;
    /// The allocator type.
    using allocator_type = Alloc;
    /// What key() returns.
    using key_type = std::basic_string_view<char_type, char_traits>;
    /// The JSON value type.
    using value_type = metall::json::value<allocator_type>;
    /// The size type of keys.
    using size_type = std::size_t;

private:
    using key_string = basic_string<char_type, char_traits, jsndtl::rebind_t<Alloc, char_type>>;
    using alloc_traits = std::allocator_traits<allocator_type>;

public:
    /// A member holding a copy of @p key and of @p value, allocated with @p alloc.
    /// @param key the key
    /// @param value the value to copy
    /// @param alloc the allocator of the key and the value
    key_value_pair(key_type key, const value_type &value, const allocator_type &alloc = allocator_type())
        : m_key(key.data(), key.size(), alloc), m_value(value, alloc) {}

    /// A member holding a copy of @p key and @p value, moved (copied if its
    /// allocator differs from @p alloc).
    /// @param key the key
    /// @param value the value to move from
    /// @param alloc the allocator of the key and the value
    key_value_pair(key_type key, value_type &&value, const allocator_type &alloc = allocator_type())
        : m_key(key.data(), key.size(), alloc), m_value(std::move(value), alloc) {}

    /// A deep copy, with the allocator `select_on_container_copy_construction` gives.
    /// @param other the member to copy
    key_value_pair(const key_value_pair &other)
        : key_value_pair(other, alloc_traits::select_on_container_copy_construction(other.get_allocator())) {}

    /// A deep copy that allocates with @p alloc.
    /// @param other the member to copy
    /// @param alloc the allocator of the copy
    key_value_pair(const key_value_pair &other, const allocator_type &alloc)
        : m_key(other.m_key, alloc), m_value(other.m_value, alloc) {}

    /// Takes the key and the value of @p other (whose key becomes empty and
    /// whose value becomes null).
    /// @param other the member to move from
    key_value_pair(key_value_pair &&other) noexcept
        : m_key(std::move(other.m_key)), m_value(std::move(other.m_value)) {}

    /// Takes the key and the value of @p other if its allocator equals
    /// @p alloc, else copies them into storage of @p alloc.
    /// @param other the member to move from
    /// @param alloc the allocator of the new member
    key_value_pair(key_value_pair &&other, const allocator_type &alloc)
        : m_key(std::move(other.m_key), alloc), m_value(std::move(other.m_value), alloc) {}

    /// Replaces key and value with copies of @p other's.
    /// @param other the member to copy
    /// @return *this
    key_value_pair &operator=(const key_value_pair &other) {
        if (this != &other) {
            m_key = other.m_key;
            m_value = other.m_value;
        }
        return *this;
    }

    /// Replaces key and value with @p other's.
    /// @param other the member to move from
    /// @return *this
    key_value_pair &operator=(key_value_pair &&other) {
        if (this != &other) {
            m_key = std::move(other.m_key);
            m_value = std::move(other.m_value);
        }
        return *this;
    }

    /// Exchanges key and value with @p other's.
    /// @param other the member to swap with
    void swap(key_value_pair &other) noexcept {
        m_key.swap(other.m_key);
        m_value.swap(other.m_value);
    }

    /// Destroys key and value.
    ~key_value_pair() noexcept = default;

    /// @return the key
    const key_type key() const noexcept { return key_type(m_key.data(), m_key.size()); }

    /// @return the key, NUL-terminated
    const char_type *key_c_str() const noexcept { return m_key.c_str(); }

    /// @return the value
    value_type &value() noexcept { return m_value; }

    /// @return the value
    const value_type &value() const noexcept { return m_value; }

    /// Equal when the keys and the values are.
    /// @param lhs a member
    /// @param rhs a member
    /// @return true if equal
    friend bool operator==(const key_value_pair &lhs, const key_value_pair &rhs) noexcept {
        return jsndtl::general_key_value_pair_equal(lhs, rhs);
    }
    /// @param lhs a member
    /// @param rhs a member
    /// @return !(lhs == rhs)
    friend bool operator!=(const key_value_pair &lhs, const key_value_pair &rhs) noexcept {
        return !(lhs == rhs);
    }

    /// @return a copy of the allocator
    allocator_type get_allocator() const noexcept { return m_value.get_allocator(); }

private:
    key_string m_key;
    value_type m_value;
};

/// Exchanges two members.
/// @param lhs a member
/// @param rhs a member
template <typename char_type, typename char_traits, typename allocator_type>
inline void swap(key_value_pair<char_type, char_traits, allocator_type> &lhs,
                 key_value_pair<char_type, char_traits, allocator_type> &rhs) noexcept {
    lhs.swap(rhs);
}

} // namespace metall::json

#endif // METALL_JSON_KEY_VALUE_PAIR_HPP
