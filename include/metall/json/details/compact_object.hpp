/**
 * @file compact_object.hpp
 * @brief The storage of metall::json::object: members in one vector, in
 *        insertion order, found by a linear scan (small, no index to keep
 *        in the datastore; as Metall's JSON object).
 */
#ifndef METALL_JSON_DETAILS_COMPACT_OBJECT_HPP
#define METALL_JSON_DETAILS_COMPACT_OBJECT_HPP

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <boost/container/scoped_allocator.hpp>
#include <boost/container/vector.hpp>

#include <metall/json/json_fwd.hpp>

/// @cond INTERNAL
namespace metall::json::jsndtl {

template <typename Alloc = std::allocator<std::byte>>
class compact_object;

/* Objects of the same interface (another allocator's object,
 * boost::json::object): the same keys, in any order, with equal values.
 * Members at the same position are compared directly; only a key found at
 * another position costs a search, so copies compare in linear time. */
template <typename allocator_type, typename other_object_type>
bool general_compact_object_equal(const compact_object<allocator_type> &lhs,
                                  const other_object_type &rhs) noexcept {
    if (lhs.size() != rhs.size())
        return false;
    auto r = rhs.begin();
    for (auto l = lhs.begin(); l != lhs.end(); ++l, ++r) {
        const auto rk = r->key();
        if (l->key() == std::string_view(rk.data(), rk.size())) {
            if (!general_value_equal(l->value(), r->value()))
                return false;
            continue;
        }
        auto f = rhs.find(l->key());
        if (f == rhs.end() || !general_value_equal(l->value(), f->value()))
            return false;
    }
    return true;
}

/* See the file comment. Keys are unique; operator[] appends. */
template <typename Alloc>
class compact_object {
public:
    using allocator_type = Alloc;
    using value_type = key_value_pair<char, std::char_traits<char>, allocator_type>;
    using key_type = std::string_view;
    using mapped_type = value<allocator_type>;

private:
    using storage_type =
        boost::container::vector<value_type, boost::container::scoped_allocator_adaptor<
                                                 rebind_t<Alloc, value_type>>>;
    friend struct access;

public:
    using iterator = typename storage_type::iterator;
    using const_iterator = typename storage_type::const_iterator;

    compact_object() : m_members(allocator_type()) {}
    explicit compact_object(const allocator_type &alloc) : m_members(alloc) {}
    compact_object(const compact_object &) = default;
    compact_object(const compact_object &other, const allocator_type &alloc)
        : m_members(other.m_members, alloc) {}
    compact_object(compact_object &&) noexcept = default;
    compact_object(compact_object &&other, const allocator_type &alloc)
        : m_members(std::move(other.m_members), alloc) {}
    compact_object &operator=(const compact_object &) = default;
    compact_object &operator=(compact_object &&) = default;
    ~compact_object() = default;

    void swap(compact_object &other) noexcept { m_members.swap(other.m_members); }

    mapped_type &operator[](const key_type &key) {
        auto it = find(key);
        if (it != end())
            return it->value();
        return priv_append(key, mapped_type(get_allocator())).value();
    }
    const mapped_type &operator[](const key_type &key) const { return at(key); }

    bool contains(const key_type &key) const { return find(key) != end(); }
    std::size_t count(const key_type &key) const { return contains(key) ? 1 : 0; }

    mapped_type &at(const key_type &key) {
        return const_cast<mapped_type &>(static_cast<const compact_object &>(*this).at(key));
    }
    const mapped_type &at(const key_type &key) const {
        auto it = find(key);
        if (it == end())
            throw std::out_of_range("metall::json::object: no key \"" + std::string(key) + "\"");
        return it->value();
    }

    iterator find(const key_type &key) {
        return begin() + (static_cast<const compact_object &>(*this).find(key) - cbegin());
    }
    const_iterator find(const key_type &key) const {
        for (auto it = m_members.cbegin(); it != m_members.cend(); ++it)
            if (it->key() == key)
                return it;
        return m_members.cend();
    }

    iterator begin() { return m_members.begin(); }
    const_iterator begin() const { return m_members.begin(); }
    iterator end() { return m_members.end(); }
    const_iterator end() const { return m_members.end(); }
    std::size_t size() const { return m_members.size(); }

    iterator erase(iterator position) { return m_members.erase(position); }
    iterator erase(const_iterator position) { return m_members.erase(position); }
    iterator erase(const key_type &key) {
        auto it = find(key);
        return it == end() ? it : erase(it);
    }

    friend bool operator==(const compact_object &lhs, const compact_object &rhs) noexcept {
        return general_compact_object_equal(lhs, rhs);
    }
    friend bool operator!=(const compact_object &lhs, const compact_object &rhs) noexcept {
        return !(lhs == rhs);
    }

    allocator_type get_allocator() const noexcept { return allocator_type(m_members.get_allocator()); }

private:
    const_iterator cbegin() const { return m_members.cbegin(); }

    /* The caller knows the key is new. */
    value_type &priv_append(const key_type &key, mapped_type &&v) {
        m_members.emplace_back(key, std::move(v));
        return m_members.back();
    }

    storage_type m_members;
};

template <typename allocator_type>
inline void swap(compact_object<allocator_type> &lhs, compact_object<allocator_type> &rhs) noexcept {
    lhs.swap(rhs);
}

} // namespace metall::json::jsndtl
/// @endcond

#endif // METALL_JSON_DETAILS_COMPACT_OBJECT_HPP
