/**
 * @file container/fallback_allocator.hpp
 * @brief metall::container::fallback_allocator_adaptor: a datastore's
 *        allocator when given one, malloc() when default-constructed
 *        (metall::manager::fallback_allocator<T>).
 *
 * A container type with this allocator can live in a datastore
 * (constructed with manager.get_allocator()) and, as a temporary, in DRAM
 * (default-constructed). Memory from one must not be freed by the other:
 * do not move elements' storage between such containers by swap or move
 * assignment of containers with different allocators.
 */
#ifndef METALL_CONTAINER_FALLBACK_ALLOCATOR_HPP
#define METALL_CONTAINER_FALLBACK_ALLOCATOR_HPP

#include <metall/offset_ptr.hpp>

#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace metall::container {

namespace detail {
/* Whether allocator a is bound to a datastore: stl_allocator has
 * get_heap_base(); any other stateful allocator is assumed usable. */
template <class A>
auto bound(const A &a, int) noexcept -> decltype(a.get_heap_base() != nullptr) {
    return a.get_heap_base() != nullptr;
}
template <class A>
bool bound(const A &, long) noexcept {
    return true;
}
} // namespace detail

/**
 * Wraps a stateful allocator (one that cannot be default-constructed, such
 * as metall::manager::allocator_type<T>); a default-constructed adaptor
 * allocates with malloc().
 * @tparam StatefulAllocator the wrapped allocator type.
 */
template <typename StatefulAllocator>
class fallback_allocator_adaptor {
    static_assert(!std::is_default_constructible_v<StatefulAllocator>,
                  "fallback_allocator_adaptor wraps an allocator that needs a datastore");

public:
    /** The wrapped allocator type. */
    using stateful_allocator_type =
        std::remove_const_t<std::remove_reference_t<StatefulAllocator>>;
    /** The type of the allocated objects. */
    using value_type = typename stateful_allocator_type::value_type;
    /** The wrapped allocator's pointer (also for malloc'ed memory). */
    using pointer = typename stateful_allocator_type::pointer;
    /** Its const pointer. */
    using const_pointer = typename stateful_allocator_type::const_pointer;
    /** Its void pointer. */
    using void_pointer = typename stateful_allocator_type::void_pointer;
    /** Its const void pointer. */
    using const_void_pointer = typename stateful_allocator_type::const_void_pointer;
    /** Its difference type. */
    using difference_type = typename stateful_allocator_type::difference_type;
    /** Its size type. */
    using size_type = typename stateful_allocator_type::size_type;

    /** The same adaptor for another type. */
    template <typename U>
    struct rebind {
        /** The adaptor of the wrapped allocator rebound to U. */
        using other = fallback_allocator_adaptor<
            typename std::allocator_traits<stateful_allocator_type>::template rebind_alloc<U>>;
    };

    /** Allocate with malloc(). */
    fallback_allocator_adaptor() noexcept : a_(nullptr) {}
    /** Allocate as @p o does (o's value type may differ). */
    template <typename A2,
              std::enable_if_t<std::is_constructible_v<stateful_allocator_type, A2>, int> = 0>
    fallback_allocator_adaptor(const fallback_allocator_adaptor<A2> &o) noexcept
        : a_(o.get_stateful_allocator()) {}
    /** Allocate from the datastore of @p a. */
    template <typename A2,
              std::enable_if_t<std::is_constructible_v<stateful_allocator_type, A2>, int> = 0>
    fallback_allocator_adaptor(const A2 &a) noexcept : a_(a) {}
    /** A copy. */
    fallback_allocator_adaptor(const fallback_allocator_adaptor &) noexcept = default;
    /** Allocate as @p o does. */
    fallback_allocator_adaptor &operator=(const fallback_allocator_adaptor &o) noexcept = default;
    /** Allocate as @p o (another value type) does. */
    template <typename A2,
              std::enable_if_t<std::is_constructible_v<stateful_allocator_type, A2>, int> = 0>
    fallback_allocator_adaptor &operator=(const fallback_allocator_adaptor<A2> &o) noexcept {
        a_ = o.get_stateful_allocator();
        return *this;
    }

    /** Allocate @p n objects: from the datastore, or with malloc(). */
    pointer allocate(const size_type n) const {
        if (stateful_allocator_available())
            return a_.allocate(n);
        if (n > max_size())
            throw std::bad_array_new_length();
        void *p = std::malloc(n * sizeof(value_type));
        if (!p)
            throw std::bad_alloc();
        return pointer(static_cast<value_type *>(p));
    }
    /** Free what allocate() returned. */
    void deallocate(pointer p, const size_type n) const noexcept {
        if (stateful_allocator_available())
            a_.deallocate(p, n);
        else
            std::free(metall::to_raw_pointer(p));
    }
    /** The largest count allocate() accepts. */
    size_type max_size() const noexcept {
        return std::numeric_limits<size_type>::max() / sizeof(value_type);
    }
    /** Construct a value_type at @p p. */
    template <class... Args,
              std::enable_if_t<std::is_constructible_v<value_type, Args &&...>, int> = 0>
    void construct(const pointer &p, Args &&...args) const {
        ::new (static_cast<void *>(metall::to_raw_pointer(p)))
            value_type(std::forward<Args>(args)...);
    }
    /** Destroy the value_type at @p p. */
    void destroy(const pointer &p) const { metall::to_raw_pointer(p)->~value_type(); }

    /** The wrapped allocator. */
    stateful_allocator_type &get_stateful_allocator() noexcept { return a_; }
    /** The wrapped allocator. */
    const stateful_allocator_type &get_stateful_allocator() const noexcept { return a_; }
    /** Whether allocations go to the wrapped allocator (not malloc()). */
    bool stateful_allocator_available() const noexcept { return detail::bound(a_, 0); }

private:
    stateful_allocator_type a_;
};

/** Whether both allocate from the same place. */
template <typename A>
bool operator==(const fallback_allocator_adaptor<A> &a, const fallback_allocator_adaptor<A> &b) {
    return a.get_stateful_allocator() == b.get_stateful_allocator();
}
/** Whether they allocate from different places. */
template <typename A>
bool operator!=(const fallback_allocator_adaptor<A> &a, const fallback_allocator_adaptor<A> &b) {
    return !(a == b);
}

} // namespace metall::container

#endif /* METALL_CONTAINER_FALLBACK_ALLOCATOR_HPP */
