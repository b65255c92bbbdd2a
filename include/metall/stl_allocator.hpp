/**
 * @file stl_allocator.hpp
 * @brief metall::stl_allocator, the STL allocator of a datastore
 *        (metall::manager::allocator_type<T>).
 */
#ifndef METALL_STL_ALLOCATOR_HPP
#define METALL_STL_ALLOCATOR_HPP

#include <metall/detail/registry.hpp>
#include <metall/logger.hpp>
#include <metall/offset_ptr.hpp>

#include <cstddef>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <utility>

namespace metall {

/**
 * An STL allocator that allocates from a datastore; `pointer` is
 * `offset_ptr<T>`. Obtained from manager::get_allocator(); it can be stored
 * inside the datastore (in a container), because it holds only an
 * offset_ptr to the heap's base, and it finds the open manager of that
 * heap through a process-wide registry (see detail/registry.hpp). Two
 * allocators are equal when they allocate from the same datastore.
 *
 * allocate() throws std::bad_alloc when the datastore cannot allocate
 * (full, read-only) or is not open in this process, and
 * std::bad_array_new_length when the size overflows; the reason is logged
 * (metall::logger). The propagate_on_container_* traits are false, as for
 * Boost.Interprocess allocators: a container inside a datastore keeps
 * allocating from it when assigned from or swapped with a container
 * elsewhere.
 *
 * @tparam T the allocated type.
 * @tparam Kernel the manager type tag (Metall's manager_kernel_type); only
 *         distinguishes types.
 */
template <typename T, typename Kernel = detail::manager_kernel>
class stl_allocator {
    offset_ptr<char> base_; /* the heap base of the datastore; null: none */

    template <typename U, typename K>
    friend class stl_allocator;

    [[noreturn]] static void fail(const char *why, int line) {
        logger::out(logger::level::error, __FILE__, line, why);
        throw std::bad_alloc();
    }

public:
    /** The type of the allocated objects. */
    using value_type = T;
    /** What allocate() returns: a self-relative pointer. */
    using pointer = offset_ptr<T>;
    /** `offset_ptr<const T>`. */
    using const_pointer = offset_ptr<const T>;
    /** `offset_ptr<void>`. */
    using void_pointer = offset_ptr<void>;
    /** `offset_ptr<const void>`. */
    using const_void_pointer = offset_ptr<const void>;
    /** The type of pointer differences. */
    using difference_type = std::ptrdiff_t;
    /** The type of element counts. */
    using size_type = std::size_t;
    /** The manager type tag. */
    using manager_kernel_type = Kernel;
    /** false: copy assignment keeps the target's allocator. */
    using propagate_on_container_copy_assignment = std::false_type;
    /** false: move assignment keeps the target's allocator. */
    using propagate_on_container_move_assignment = std::false_type;
    /** false: swap keeps each container's allocator. */
    using propagate_on_container_swap = std::false_type;
    /** false: allocators of different datastores differ. */
    using is_always_equal = std::false_type;

    /** The same allocator for another type. */
    template <typename U>
    struct rebind {
        /** `stl_allocator<U>` over the same datastore. */
        using other = stl_allocator<U, Kernel>;
    };

    /** An allocator of no datastore: allocate() throws std::bad_alloc
     *  (what a failed manager's get_allocator() returns). */
    stl_allocator(std::nullptr_t) noexcept {}
    /** An allocator of the heap whose first byte is @p base (used by
     *  manager::get_allocator()). */
    stl_allocator(detail::heap_base_t, char *base) noexcept : base_(base) {}
    /** A copy: allocates from the same datastore. */
    stl_allocator(const stl_allocator &o) noexcept : base_(o.base_) {}
    /** From an allocator of another type: allocates from the same datastore. */
    template <typename U>
    stl_allocator(const stl_allocator<U, Kernel> &o) noexcept : base_(o.base_) {}
    /** Allocate from the datastore of @p o from now on. */
    stl_allocator &operator=(const stl_allocator &o) noexcept {
        base_ = o.base_;
        return *this;
    }
    /** Allocate from the datastore of @p o (another type) from now on. */
    template <typename U>
    stl_allocator &operator=(const stl_allocator<U, Kernel> &o) noexcept {
        base_ = o.base_;
        return *this;
    }
    ~stl_allocator() noexcept = default;

    /** Allocate @p n objects (not constructed). Throws std::bad_alloc. */
    pointer allocate(const size_type n) const {
        if (n > max_size())
            throw std::bad_array_new_length();
        metall_manager *m = detail::registry_find(base_.get());
        if (!m)
            fail("metall::stl_allocator: its datastore is not open in this process", __LINE__);
        void *p = alignof(T) > 16 ? metall_aligned_alloc(m, alignof(T), n * sizeof(T))
                                  : metall_malloc(m, n * sizeof(T));
        if (!p)
            fail(metall_errmsg(), __LINE__);
        return pointer(static_cast<T *>(p));
    }

    /** Free what allocate() returned. If the datastore is no longer open in
     *  this process the memory is left alone (logged). */
    void deallocate(pointer p, const size_type n) const noexcept {
        (void)n;
        metall_manager *m = detail::registry_find(base_.get());
        if (m)
            metall_free(m, p.get());
        else if (p)
            logger::out(logger::level::error, __FILE__, __LINE__,
                        "metall::stl_allocator: deallocate: the datastore is not open");
    }

    /** The largest @p n whose byte size does not overflow size_type. */
    size_type max_size() const noexcept {
        return std::numeric_limits<size_type>::max() / sizeof(T);
    }

    /** Construct a T at @p p from @p args. */
    template <class... Args,
              std::enable_if_t<std::is_constructible_v<T, Args &&...>, int> = 0>
    void construct(const pointer &p, Args &&...args) const {
        ::new (static_cast<void *>(p.get())) T(std::forward<Args>(args)...);
    }
    /** Construct a U at the raw address @p p (what allocator_traits and the
     *  containers pass: no detour through an offset_ptr). */
    template <class U, class... Args,
              std::enable_if_t<std::is_constructible_v<U, Args &&...>, int> = 0>
    void construct(U *p, Args &&...args) const {
        ::new (const_cast<void *>(static_cast<const volatile void *>(p)))
            U(std::forward<Args>(args)...);
    }

    /** Destroy the T at @p p. */
    void destroy(const pointer &p) const { p->~T(); }
    /** Destroy the U at the raw address @p p. */
    template <class U>
    void destroy(U *p) const {
        p->~U();
    }

    /** The C handle of the datastore, or nullptr if it is not open here (a
     *  metall-c extension). */
    metall_manager *get_manager() const noexcept { return detail::registry_find(base_.get()); }

    /** The first byte of the datastore's heap, or nullptr for an allocator
     *  of no datastore (a metall-c extension). */
    char *get_heap_base() const noexcept { return base_.get(); }

    /** Whether both allocate from the same datastore. */
    template <typename U>
    bool operator==(const stl_allocator<U, Kernel> &o) const noexcept {
        return base_.get() == o.base_.get();
    }
    /** Whether they allocate from different datastores. */
    template <typename U>
    bool operator!=(const stl_allocator<U, Kernel> &o) const noexcept {
        return base_.get() != o.base_.get();
    }
};

} // namespace metall

#endif /* METALL_STL_ALLOCATOR_HPP */
