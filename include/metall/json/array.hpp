/**
 * @file array.hpp
 * @brief metall::json::array: an ordered sequence of JSON values.
 */
#ifndef METALL_JSON_ARRAY_HPP
#define METALL_JSON_ARRAY_HPP

#include <cstddef>
#include <memory>
#include <utility>

#include <boost/container/scoped_allocator.hpp>
#include <boost/container/vector.hpp>

#include <metall/json/json_fwd.hpp>

namespace metall::json {

/// @cond INTERNAL
namespace jsndtl {

/* Arrays of the same interface (another allocator's array,
 * boost::json::array): the same length and equal values in order. */
template <typename allocator_type, typename other_array_type>
bool general_array_equal(const array<allocator_type> &lhs, const other_array_type &rhs) noexcept {
    if (lhs.size() != rhs.size())
        return false;
    auto r = rhs.begin();
    for (auto l = lhs.begin(); l != lhs.end(); ++l, ++r)
        if (!general_value_equal(*l, *r))
            return false;
    return true;
}

} // namespace jsndtl
/// @endcond

/**
 * @brief A JSON array: values in order, allocated with one allocator (every
 *        element uses it too, through a scoped allocator).
 * @tparam Alloc an allocator of any type (rebound internally)
 */
template <typename Alloc>
class array {
public:
    /// The element type.
    using value_type = value<Alloc>;
    /// The allocator type.
    using allocator_type = Alloc;

private:
    using storage_type =
        boost::container::vector<value_type, boost::container::scoped_allocator_adaptor<
                                                 jsndtl::rebind_t<Alloc, value_type>>>;
    friend struct jsndtl::access;

public:
    /// Iterator over the elements.
    using iterator = typename storage_type::iterator;
    /// Iterator over the elements, read-only.
    using const_iterator = typename storage_type::const_iterator;
    /// Reference to an element.
    using reference = value_type &;
    /// Read-only reference to an element.
    using const_reference = const value_type &;

    /// An empty array with a default-constructed allocator.
    array() : m_array(allocator_type()) {}

    /// An empty array that allocates with @p alloc.
    /// @param alloc the allocator of the array and of its elements
    explicit array(const allocator_type &alloc) : m_array(alloc) {}

    /// A deep copy.
    /// @param other the array to copy
    array(const array &other) = default;

    /// A deep copy that allocates with @p alloc.
    /// @param other the array to copy
    /// @param alloc the allocator of the copy
    array(const array &other, const allocator_type &alloc) : m_array(other.m_array, alloc) {}

    /// Takes the elements of @p other.
    /// @param other the array to move from
    array(array &&other) noexcept = default;

    /// Takes the elements of @p other if its allocator equals @p alloc, else
    /// moves them one by one into storage of @p alloc.
    /// @param other the array to move from
    /// @param alloc the allocator of the new array
    array(array &&other, const allocator_type &alloc) : m_array(std::move(other.m_array), alloc) {}

    /// Replaces the elements with copies of @p other's.
    /// @param other the array to copy
    /// @return *this
    array &operator=(const array &other) = default;

    /// Replaces the elements with @p other's.
    /// @param other the array to move from
    /// @return *this
    array &operator=(array &&other) = default;

    /// Destroys the elements.
    ~array() = default;

    /// Exchanges the elements with @p other's.
    /// @param other the array to swap with
    void swap(array &other) noexcept { m_array.swap(other.m_array); }

    /// @return the number of elements
    std::size_t size() const noexcept { return m_array.size(); }

    /// @return the number of elements the current storage can hold
    std::size_t capacity() const noexcept { return m_array.capacity(); }

    /// Grows (with null values) or shrinks the array to @p size elements.
    /// @param size the new number of elements
    void resize(std::size_t size) { m_array.resize(size); }

    /// Removes every element.
    void clear() { m_array.clear(); }

    /// @param index an index below size()
    /// @return the element at @p index
    reference operator[](std::size_t index) { return m_array[index]; }

    /// @param index an index below size()
    /// @return the element at @p index
    const_reference operator[](std::size_t index) const { return m_array[index]; }

    /// @return an iterator at the first element
    iterator begin() { return m_array.begin(); }
    /// @return an iterator at the first element
    const_iterator begin() const { return m_array.begin(); }
    /// @return an iterator past the last element
    iterator end() { return m_array.end(); }
    /// @return an iterator past the last element
    const_iterator end() const { return m_array.end(); }

    /// Removes the element at @p position.
    /// @param position an element of this array
    /// @return an iterator at the element that followed it (or end())
    iterator erase(iterator position) { return m_array.erase(position); }

    /// Removes the element at @p position.
    /// @param position an element of this array
    /// @return an iterator at the element that followed it (or end())
    iterator erase(const_iterator position) { return m_array.erase(position); }

    /// Appends a copy of @p v (allocated with this array's allocator).
    /// @param v the value to append
    void push_back(const value_type &v) { m_array.push_back(v); }

    /// Appends @p v, moved (copied if its allocator differs).
    /// @param v the value to append
    void push_back(value_type &&v) { m_array.push_back(std::move(v)); }

    /// Equal when of the same length with equal values in order.
    /// @param lhs an array
    /// @param rhs an array
    /// @return true if equal
    friend bool operator==(const array &lhs, const array &rhs) noexcept {
        return jsndtl::general_array_equal(lhs, rhs);
    }
    /// @param lhs an array
    /// @param rhs an array
    /// @return !(lhs == rhs)
    friend bool operator!=(const array &lhs, const array &rhs) noexcept { return !(lhs == rhs); }

    /// @return a copy of the allocator
    allocator_type get_allocator() const noexcept { return allocator_type(m_array.get_allocator()); }

private:
    storage_type m_array;
};

/// Exchanges two arrays.
/// @param lhs an array
/// @param rhs an array
template <typename allocator_type>
inline void swap(array<allocator_type> &lhs, array<allocator_type> &rhs) noexcept {
    lhs.swap(rhs);
}

} // namespace metall::json

#endif // METALL_JSON_ARRAY_HPP
