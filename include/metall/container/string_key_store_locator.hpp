/**
 * @file container/string_key_store_locator.hpp
 * @brief metall::container::string_key_store_locator: a position in a
 *        string_key_store (an iterator without dereference: pass it to the
 *        store's key() and value()).
 */
#ifndef METALL_CONTAINER_STRING_KEY_STORE_LOCATOR_HPP
#define METALL_CONTAINER_STRING_KEY_STORE_LOCATOR_HPP

namespace metall::container {

template <typename value_type, typename allocator_type>
class string_key_store;

/** A position in a string_key_store. @tparam iterator_type its map's const_iterator. */
template <typename iterator_type>
class string_key_store_locator {
    template <typename, typename>
    friend class string_key_store;
    iterator_type it_;

public:
    /** The position of @p it. */
    string_key_store_locator(iterator_type it) : it_(it) {}
    /** The next element. */
    string_key_store_locator &operator++() {
        ++it_;
        return *this;
    }
    /** The next element; returns the old position. */
    string_key_store_locator operator++(int) {
        string_key_store_locator old(*this);
        ++it_;
        return old;
    }
    /** Whether both are at the same position. */
    bool operator==(const string_key_store_locator &o) const { return it_ == o.it_; }
    /** Whether they are at different positions. */
    bool operator!=(const string_key_store_locator &o) const { return it_ != o.it_; }
};

} // namespace metall::container

#endif
