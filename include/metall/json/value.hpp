/**
 * @file value.hpp
 * @brief metall::json::value: one JSON value (null, bool, int64, uint64,
 *        double, string, array or object) allocated through an allocator.
 */
#ifndef METALL_JSON_VALUE_HPP
#define METALL_JSON_VALUE_HPP

#include <cassert>
#include <cstdint>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include <metall/json/json_fwd.hpp>

namespace metall::json {

/// @cond INTERNAL
namespace jsndtl {

/* Integers of either signedness are equal when they denote the same number. */
template <typename L, typename R>
bool integers_equal(const L &lhs, const R &rhs) noexcept {
    if (lhs.is_int64() && rhs.is_int64())
        return lhs.as_int64() == rhs.as_int64();
    if (lhs.is_uint64() && rhs.is_uint64())
        return lhs.as_uint64() == rhs.as_uint64();
    if (lhs.is_int64() && rhs.is_uint64())
        return lhs.as_int64() >= 0 && static_cast<std::uint64_t>(lhs.as_int64()) == rhs.as_uint64();
    if (lhs.is_uint64() && rhs.is_int64())
        return rhs.as_int64() >= 0 && lhs.as_uint64() == static_cast<std::uint64_t>(rhs.as_int64());
    return false;
}

template <typename L, typename R>
bool strings_equal(const L &lhs, const R &rhs) noexcept {
    return std::string_view(lhs.data(), lhs.size()) == std::string_view(rhs.data(), rhs.size());
}

/* Equality of a metall::json::value with any value type of the same
 * interface (another allocator's value, boost::json::value): same kind and
 * equal contents, or integers with the same numeric value. */
template <typename allocator_type, typename other_value_type>
bool general_value_equal(const value<allocator_type> &lhs, const other_value_type &rhs) noexcept {
    if ((lhs.is_int64() || lhs.is_uint64()) && (rhs.is_int64() || rhs.is_uint64()))
        return integers_equal(lhs, rhs);
    if (lhs.is_null())
        return rhs.is_null();
    if (lhs.is_bool())
        return rhs.is_bool() && lhs.as_bool() == rhs.as_bool();
    if (lhs.is_double())
        return rhs.is_double() && lhs.as_double() == rhs.as_double();
    if (lhs.is_string())
        return rhs.is_string() && strings_equal(lhs.as_string(), rhs.as_string());
    if (lhs.is_array())
        return rhs.is_array() && general_array_equal(lhs.as_array(), rhs.as_array());
    if (lhs.is_object())
        return rhs.is_object() && general_object_equal(lhs.as_object(), rhs.as_object());
    return false;
}

} // namespace jsndtl
/// @endcond

/**
 * @brief A JSON value: null, bool, int64, uint64, double, string, array or
 *        object.
 *
 * The value keeps its allocator; strings, arrays and objects it holds are
 * allocated with it. as_*() of the wrong kind throws std::bad_variant_access.
 * Assigning a new kind destroys the old contents first (a source that lives
 * inside this value is copied before that, so `v = v.as_array()[0]` works).
 * A moved-from value is null.
 *
 * @tparam Alloc an allocator of any type (rebound internally), e.g.
 *         `metall::manager::allocator_type<std::byte>`.
 */
template <typename Alloc>
class value {
public:
    /// The allocator type.
    using allocator_type = Alloc;
    /// The string type (the allocator rebound to char).
    using string_type = basic_string<char, std::char_traits<char>, jsndtl::rebind_t<Alloc, char>>;
    /// The object type.
    using object_type = object<Alloc>;
    /// The array type.
    using array_type = array<Alloc>;

private:
    using alloc_traits = std::allocator_traits<allocator_type>;
    /* The order is the kind's index; null first so a fresh value is null. */
    using storage_type = std::variant<null_type, bool, std::int64_t, std::uint64_t, double,
                                      object_type, array_type, string_type>;

public:
    /// A null value with a default-constructed allocator.
    value() = default;

    /// A null value that allocates with @p alloc.
    /// @param alloc the allocator of this value and everything it will hold
    explicit value(const allocator_type &alloc) : m_allocator(alloc) {}

    /// A deep copy, with the allocator that `select_on_container_copy_construction` gives.
    /// @param other the value to copy
    value(const value &other)
        : m_allocator(alloc_traits::select_on_container_copy_construction(other.m_allocator)) {
        priv_copy_from(other);
    }

    /// A deep copy that allocates with @p alloc.
    /// @param other the value to copy
    /// @param alloc the allocator of the copy
    value(const value &other, const allocator_type &alloc) : m_allocator(alloc) {
        priv_copy_from(other);
    }

    /// Takes the contents and the allocator of @p other, which becomes null.
    /// @param other the value to move from
    value(value &&other) noexcept
        : m_allocator(std::move(other.m_allocator)), m_data(std::move(other.m_data)) {
        other.m_data.template emplace<null_type>();
    }

    /// Takes the contents of @p other when its allocator equals @p alloc,
    /// else moves them element by element into storage of @p alloc; @p other
    /// becomes null.
    /// @param other the value to move from
    /// @param alloc the allocator of the new value
    value(value &&other, const allocator_type &alloc) : m_allocator(alloc) {
        priv_move_from(std::move(other));
    }

    /// Destroys the contents.
    ~value() noexcept = default;

    /// Replaces the contents with a deep copy of @p other's.
    /// @param other the value to copy
    /// @return *this
    value &operator=(const value &other) {
        if (this == &other)
            return *this;
        if constexpr (jsndtl::propagates<typename alloc_traits::propagate_on_container_copy_assignment>)
            m_allocator = other.m_allocator;
        value tmp(other, m_allocator); /* before anything of ours is destroyed */
        priv_take(std::move(tmp.m_data));
        return *this;
    }

    /// Replaces the contents with @p other's, which becomes null.
    /// @param other the value to move from
    /// @return *this
    value &operator=(value &&other) noexcept(
        jsndtl::propagates<typename alloc_traits::propagate_on_container_move_assignment> ||
        jsndtl::propagates<typename alloc_traits::is_always_equal>) {
        if (this == &other)
            return *this;
        if constexpr (jsndtl::propagates<typename alloc_traits::propagate_on_container_move_assignment>)
            m_allocator = other.m_allocator;
        value tmp(std::move(other), m_allocator);
        priv_take(std::move(tmp.m_data));
        return *this;
    }

    /// Exchanges the contents (and the allocators if they propagate on swap;
    /// otherwise they must be equal).
    /// @param other the value to swap with
    void swap(value &other) noexcept {
        using std::swap;
        if constexpr (jsndtl::propagates<typename alloc_traits::propagate_on_container_swap>)
            swap(m_allocator, other.m_allocator);
        else
            assert(m_allocator == other.m_allocator);
        m_data.swap(other.m_data);
    }

    /// Holds a bool.
    /// @param b the new contents
    /// @return *this
    value &operator=(bool b) { return priv_set<bool>(b); }
    /// Holds an int64.
    /// @param i the new contents
    /// @return *this
    value &operator=(signed char i) { return priv_set<std::int64_t>(i); }
    /// Holds an int64.
    /// @param i the new contents
    /// @return *this
    value &operator=(short i) { return priv_set<std::int64_t>(i); }
    /// Holds an int64.
    /// @param i the new contents
    /// @return *this
    value &operator=(int i) { return priv_set<std::int64_t>(i); }
    /// Holds an int64.
    /// @param i the new contents
    /// @return *this
    value &operator=(long i) { return priv_set<std::int64_t>(i); }
    /// Holds an int64.
    /// @param i the new contents
    /// @return *this
    value &operator=(long long i) { return priv_set<std::int64_t>(i); }
    /// Holds a uint64.
    /// @param u the new contents
    /// @return *this
    value &operator=(unsigned char u) { return priv_set<std::uint64_t>(u); }
    /// Holds a uint64.
    /// @param u the new contents
    /// @return *this
    value &operator=(unsigned short u) { return priv_set<std::uint64_t>(u); }
    /// Holds a uint64.
    /// @param u the new contents
    /// @return *this
    value &operator=(unsigned int u) { return priv_set<std::uint64_t>(u); }
    /// Holds a uint64.
    /// @param u the new contents
    /// @return *this
    value &operator=(unsigned long u) { return priv_set<std::uint64_t>(u); }
    /// Holds a uint64.
    /// @param u the new contents
    /// @return *this
    value &operator=(unsigned long long u) { return priv_set<std::uint64_t>(u); }
    /// Holds null.
    /// @return *this
    value &operator=(std::nullptr_t) {
        emplace_null();
        return *this;
    }
    /// Holds a double.
    /// @param d the new contents
    /// @return *this
    value &operator=(double d) { return priv_set<double>(d); }

    /// Holds a string, a copy of @p s (all of it, NULs included).
    /// @param s the new contents
    /// @return *this
    value &operator=(std::string_view s) {
        return priv_set<string_type>(string_type(s.data(), s.size(), m_allocator));
    }
    /// Holds a string, a copy of the NUL-terminated @p s.
    /// @param s the new contents
    /// @return *this
    value &operator=(const char *s) { return operator=(std::string_view(s)); }
    /// Holds a string, a copy of @p s.
    /// @param s the new contents
    /// @return *this
    value &operator=(const string_type &s) { return priv_set<string_type>(string_type(s, m_allocator)); }
    /// Holds a string, taken from @p s (copied if its allocator differs).
    /// @param s the new contents
    /// @return *this
    value &operator=(string_type &&s) {
        return priv_set<string_type>(string_type(std::move(s), m_allocator));
    }
    /// Holds an array, a deep copy of @p arr.
    /// @param arr the new contents
    /// @return *this
    value &operator=(const array_type &arr) { return priv_set<array_type>(array_type(arr, m_allocator)); }
    /// Holds an array, taken from @p arr (copied if its allocator differs).
    /// @param arr the new contents
    /// @return *this
    value &operator=(array_type &&arr) {
        return priv_set<array_type>(array_type(std::move(arr), m_allocator));
    }
    /// Holds an object, a deep copy of @p obj.
    /// @param obj the new contents
    /// @return *this
    value &operator=(const object_type &obj) {
        return priv_set<object_type>(object_type(obj, m_allocator));
    }
    /// Holds an object, taken from @p obj (copied if its allocator differs).
    /// @param obj the new contents
    /// @return *this
    value &operator=(object_type &&obj) {
        return priv_set<object_type>(object_type(std::move(obj), m_allocator));
    }

    /// Destroys the contents; the value is null.
    void emplace_null() { m_data.template emplace<null_type>(); }
    /// Destroys the contents; holds false.
    /// @return a reference to the new bool
    bool &emplace_bool() { return m_data.template emplace<bool>(false); }
    /// Destroys the contents; holds 0 as an int64.
    /// @return a reference to the new int64
    std::int64_t &emplace_int64() { return m_data.template emplace<std::int64_t>(0); }
    /// Destroys the contents; holds 0 as a uint64.
    /// @return a reference to the new uint64
    std::uint64_t &emplace_uint64() { return m_data.template emplace<std::uint64_t>(0u); }
    /// Destroys the contents; holds 0.0.
    /// @return a reference to the new double
    double &emplace_double() { return m_data.template emplace<double>(0.0); }
    /// Destroys the contents; holds an empty string.
    /// @return a reference to the new string
    string_type &emplace_string() {
        emplace_null();
        return m_data.template emplace<string_type>(m_allocator);
    }
    /// Destroys the contents; holds an empty array.
    /// @return a reference to the new array
    array_type &emplace_array() {
        emplace_null();
        return m_data.template emplace<array_type>(m_allocator);
    }
    /// Destroys the contents; holds an empty object.
    /// @return a reference to the new object
    object_type &emplace_object() {
        emplace_null();
        return m_data.template emplace<object_type>(m_allocator);
    }

    /// @return the bool held; throws std::bad_variant_access if it is not one
    bool &as_bool() { return std::get<bool>(m_data); }
    /// @return the bool held; throws std::bad_variant_access if it is not one
    const bool &as_bool() const { return std::get<bool>(m_data); }
    /// @return the int64 held; throws std::bad_variant_access if it is not one
    std::int64_t &as_int64() { return std::get<std::int64_t>(m_data); }
    /// @return the int64 held; throws std::bad_variant_access if it is not one
    const std::int64_t &as_int64() const { return std::get<std::int64_t>(m_data); }
    /// @return the uint64 held; throws std::bad_variant_access if it is not one
    std::uint64_t &as_uint64() { return std::get<std::uint64_t>(m_data); }
    /// @return the uint64 held; throws std::bad_variant_access if it is not one
    const std::uint64_t &as_uint64() const { return std::get<std::uint64_t>(m_data); }
    /// @return the double held; throws std::bad_variant_access if it is not one
    double &as_double() { return std::get<double>(m_data); }
    /// @return the double held; throws std::bad_variant_access if it is not one
    const double &as_double() const { return std::get<double>(m_data); }
    /// @return the string held; throws std::bad_variant_access if it is not one
    string_type &as_string() { return std::get<string_type>(m_data); }
    /// @return the string held; throws std::bad_variant_access if it is not one
    const string_type &as_string() const { return std::get<string_type>(m_data); }
    /// @return the array held; throws std::bad_variant_access if it is not one
    array_type &as_array() { return std::get<array_type>(m_data); }
    /// @return the array held; throws std::bad_variant_access if it is not one
    const array_type &as_array() const { return std::get<array_type>(m_data); }
    /// @return the object held; throws std::bad_variant_access if it is not one
    object_type &as_object() { return std::get<object_type>(m_data); }
    /// @return the object held; throws std::bad_variant_access if it is not one
    const object_type &as_object() const { return std::get<object_type>(m_data); }

    /// @return true if the value is null
    bool is_null() const noexcept { return std::holds_alternative<null_type>(m_data); }
    /// @return true if the value holds a bool
    bool is_bool() const noexcept { return std::holds_alternative<bool>(m_data); }
    /// @return true if the value holds an int64
    bool is_int64() const noexcept { return std::holds_alternative<std::int64_t>(m_data); }
    /// @return true if the value holds a uint64
    bool is_uint64() const noexcept { return std::holds_alternative<std::uint64_t>(m_data); }
    /// @return true if the value holds a double
    bool is_double() const noexcept { return std::holds_alternative<double>(m_data); }
    /// @return true if the value holds a string
    bool is_string() const noexcept { return std::holds_alternative<string_type>(m_data); }
    /// @return true if the value holds an array
    bool is_array() const noexcept { return std::holds_alternative<array_type>(m_data); }
    /// @return true if the value holds an object
    bool is_object() const noexcept { return std::holds_alternative<object_type>(m_data); }

    /// @return a copy of the allocator
    allocator_type get_allocator() const noexcept { return m_allocator; }

    /// Equal when of the same kind with equal contents (objects: the same
    /// keys, in any order, with equal values), or when both are integers
    /// (int64 or uint64) of the same numeric value.
    /// @param lhs a value
    /// @param rhs a value
    /// @return true if equal
    friend bool operator==(const value &lhs, const value &rhs) noexcept {
        return jsndtl::general_value_equal(lhs, rhs);
    }
    /// @param lhs a value
    /// @param rhs a value
    /// @return !(lhs == rhs)
    friend bool operator!=(const value &lhs, const value &rhs) noexcept { return !(lhs == rhs); }

private:
    /* Build first, then replace: the source may live inside *this. */
    template <typename T, typename V>
    value &priv_set(V &&v) {
        m_data.template emplace<T>(std::forward<V>(v));
        return *this;
    }

    /* Takes what another storage holds (built with our allocator) after
     * destroying ours; the alternatives' move constructors keep that
     * allocator, so everything inside stays with m_allocator. */
    void priv_take(storage_type &&other) {
        std::visit([this](auto &&x) {
            using T = std::decay_t<decltype(x)>;
            m_data.template emplace<T>(std::move(x));
        }, std::move(other));
    }

    void priv_copy_from(const value &other) {
        if (other.is_string())
            m_data.template emplace<string_type>(other.as_string(), m_allocator);
        else if (other.is_array())
            m_data.template emplace<array_type>(other.as_array(), m_allocator);
        else if (other.is_object())
            m_data.template emplace<object_type>(other.as_object(), m_allocator);
        else
            priv_copy_scalar(other);
    }

    void priv_move_from(value &&other) {
        if (other.is_string())
            m_data.template emplace<string_type>(std::move(other.as_string()), m_allocator);
        else if (other.is_array())
            m_data.template emplace<array_type>(std::move(other.as_array()), m_allocator);
        else if (other.is_object())
            m_data.template emplace<object_type>(std::move(other.as_object()), m_allocator);
        else
            priv_copy_scalar(other);
        other.emplace_null();
    }

    void priv_copy_scalar(const value &other) {
        if (other.is_bool())
            m_data.template emplace<bool>(other.as_bool());
        else if (other.is_int64())
            m_data.template emplace<std::int64_t>(other.as_int64());
        else if (other.is_uint64())
            m_data.template emplace<std::uint64_t>(other.as_uint64());
        else if (other.is_double())
            m_data.template emplace<double>(other.as_double());
        else
            m_data.template emplace<null_type>();
    }

    allocator_type m_allocator{};
    storage_type m_data{};
};

/// Exchanges two values.
/// @param lhs a value
/// @param rhs a value
template <typename allocator_type>
inline void swap(value<allocator_type> &lhs, value<allocator_type> &rhs) noexcept {
    lhs.swap(rhs);
}

} // namespace metall::json

#endif // METALL_JSON_VALUE_HPP
