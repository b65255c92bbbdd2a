/**
 * @file utility/container_of_containers_iterator_adaptor.hpp
 * @brief A forward iterator over the elements of the inner containers of a
 *        container of containers, skipping empty inner containers.
 */
#ifndef METALL_UTILITY_CONTAINER_OF_CONTAINERS_ITERATOR_ADAPTOR_HPP
#define METALL_UTILITY_CONTAINER_OF_CONTAINERS_ITERATOR_ADAPTOR_HPP

#include <iterator>

namespace metall::utility {

/**
 * Iterates over every element of every inner container, in order.
 * @tparam outer_iterator_type iterator over the outer container.
 * @tparam inner_iterator_type iterator over an inner container.
 */
template <typename outer_iterator_type, typename inner_iterator_type>
class container_of_containers_iterator_adaptor {
public:
    /** As the inner iterator's. */
    using difference_type = typename std::iterator_traits<inner_iterator_type>::difference_type;
    /** As the inner iterator's. */
    using value_type = typename std::iterator_traits<inner_iterator_type>::value_type;
    /** As the inner iterator's. */
    using pointer = typename std::iterator_traits<inner_iterator_type>::pointer;
    /** As the inner iterator's. */
    using reference = typename std::iterator_traits<inner_iterator_type>::reference;
    /** A forward iterator. */
    using iterator_category = std::forward_iterator_tag;

    /** The first element of the inner containers in [outer_begin, outer_end). */
    container_of_containers_iterator_adaptor(outer_iterator_type outer_begin,
                                             outer_iterator_type outer_end)
        : outer_(outer_begin), outer_end_(outer_end), inner_(), inner_end_() {
        if (outer_ != outer_end_) {
            inner_ = std::begin(*outer_);
            inner_end_ = std::end(*outer_);
            skip_empty();
        }
    }

    /** The element at @p inner of the container at @p outer_pos. */
    container_of_containers_iterator_adaptor(outer_iterator_type outer_pos,
                                             inner_iterator_type inner,
                                             outer_iterator_type outer_end)
        : outer_(outer_pos), outer_end_(outer_end), inner_(inner), inner_end_() {
        if (outer_ != outer_end_) {
            inner_end_ = std::end(*outer_);
            skip_empty();
        }
    }

    /** Step to the next element; returns it (Metall's signature). */
    reference operator++() {
        advance();
        return *inner_;
    }
    /** Step to the next element; returns the old position. */
    container_of_containers_iterator_adaptor operator++(int) {
        container_of_containers_iterator_adaptor old(*this);
        advance();
        return old;
    }
    /** The element. */
    reference operator*() { return *inner_; }
    /** The element's members. */
    pointer operator->() { return &*inner_; }

    /** Whether both are at the end, or at the same element. */
    bool equal(const container_of_containers_iterator_adaptor &o) const {
        const bool e1 = outer_ == outer_end_, e2 = o.outer_ == o.outer_end_;
        if (e1 || e2)
            return e1 && e2;
        return outer_ == o.outer_ && inner_ == o.inner_;
    }

private:
    /* From an exhausted inner container to the next non-empty one. */
    void skip_empty() {
        while (inner_ == inner_end_) {
            if (++outer_ == outer_end_)
                return;
            inner_ = std::begin(*outer_);
            inner_end_ = std::end(*outer_);
        }
    }
    void advance() {
        if (outer_ == outer_end_)
            return;
        ++inner_;
        skip_empty();
    }

    outer_iterator_type outer_;
    outer_iterator_type outer_end_;
    inner_iterator_type inner_;
    inner_iterator_type inner_end_;
};

/** Whether @p a and @p b are at the same position. */
template <typename O, typename I>
inline bool operator==(const container_of_containers_iterator_adaptor<O, I> &a,
                       const container_of_containers_iterator_adaptor<O, I> &b) {
    return a.equal(b);
}
/** Whether @p a and @p b are at different positions. */
template <typename O, typename I>
inline bool operator!=(const container_of_containers_iterator_adaptor<O, I> &a,
                       const container_of_containers_iterator_adaptor<O, I> &b) {
    return !a.equal(b);
}

} // namespace metall::utility

#endif
