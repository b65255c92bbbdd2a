/**
 * @file offset_ptr.hpp
 * @brief metall::offset_ptr, a self-relative pointer that can be stored in a
 *        datastore, and metall::to_raw_pointer (Metall's names).
 *
 * The bytes of an offset_ptr are those of the C API's ::metall_rptr (0 =
 * null, so zero-initialised memory holds null pointers), so C code can read
 * pointers stored by C++ code and the other way round. It is a fancy
 * pointer for allocator-aware containers (std::pointer_traits,
 * Boost.Intrusive's pointer_traits) and a random-access iterator.
 */
#ifndef METALL_OFFSET_PTR_HPP
#define METALL_OFFSET_PTR_HPP

#include <metall/metall.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <type_traits>
#include <utility>

namespace metall {

namespace detail {

/* A stand-in element type, so offset_ptr<void>::pointer_to() is declarable. */
struct not_an_element {};

/* Whether static_cast<To>(from) is valid. */
template <class From, class To, class = void>
struct is_static_castable : std::false_type {};
template <class From, class To>
struct is_static_castable<From, To,
                          std::void_t<decltype(static_cast<To>(std::declval<From>()))>>
    : std::true_type {};
template <class From, class To>
inline constexpr bool is_static_castable_v = is_static_castable<From, To>::value;

template <class T>
using element_ref_t =
    std::conditional_t<std::is_void_v<T>, not_an_element, T> &;

} // namespace detail

/* ------------------------------------------------------------------------ */
/* offset_ptr                                                                */

/**
 * A self-relative pointer, storable inside a datastore: it stores the
 * distance from itself to its target, so it stays valid when the heap (with
 * the pointer in it) is mapped at another address. Same bytes as
 * ::metall_rptr (0 = null; >0: target is off-1 bytes after; <0: off bytes
 * before). Copying one recomputes the distance from the copy's address.
 * A random-access iterator and a "fancy pointer" for allocator-aware
 * containers (std::pointer_traits, Boost.Intrusive pointer_traits).
 */
template <class T>
class offset_ptr {
    metall_rptr r_{0};

    /* The arithmetic of metall_rptr_set()/metall_rptr_get(), on integers:
     * the same encoding, but the compiler does not take the result for a
     * pointer derived from `this` (which made GCC warn about dangling
     * pointers and array bounds for every temporary offset_ptr). */
    void set(const volatile void *p) noexcept {
        if (!p) {
            r_.off = 0;
            return;
        }
        auto d = static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(p) -
                                           reinterpret_cast<std::uintptr_t>(this));
        r_.off = d >= 0 ? d + 1 : d;
    }

    template <class U>
    friend class offset_ptr;

    /* p += n. Fast path: when the target stays on the same side of `this`
     * the encoded offset just moves by n elements (iterating a vector is
     * then one add, not a decode and re-encode). */
    void advance(std::ptrdiff_t n) noexcept {
        std::int64_t o = r_.off;
        std::int64_t d = static_cast<std::int64_t>(n) *
                         static_cast<std::int64_t>(sizeof(T));
        std::int64_t no = o + d;
        if ((o > 0 && no > 0) || (o < 0 && no < 0))
            r_.off = no;
        else
            set(get() + n);
    }

public:
    /** The pointee type (std::pointer_traits::element_type). */
    using element_type = T;
    /** T without cv-qualifiers (std::iterator_traits::value_type). */
    using value_type = std::remove_cv_t<T>;
    /** The type of the distance between two pointers, in elements. */
    using difference_type = std::ptrdiff_t;
    /** The raw pointer type (std::iterator_traits::pointer). */
    using pointer = T *;
    /** `T &` (for `offset_ptr<void>`: void). */
    using reference = std::add_lvalue_reference_t<T>;
    /** A random-access iterator (std::iterator_traits::iterator_category). */
    using iterator_category = std::random_access_iterator_tag;
    /** `std::pointer_traits<offset_ptr<T>>::rebind<U>`: `offset_ptr<U>`. */
    template <class U>
    using rebind = offset_ptr<U>;

    /** Null. */
    offset_ptr() noexcept {}
    /** Points at @p p (implicit, like a raw pointer; nullptr and a literal
     *  0 give null: there is no nullptr_t overload, so `p = 0`, which
     *  Boost.Container writes, is not ambiguous). */
    offset_ptr(T *p) noexcept { set(p); }
    /** Points where @p o points (the distance is recomputed). */
    offset_ptr(const offset_ptr &o) noexcept { set(o.get()); }
    /** From an `offset_ptr<U>` with `U*` convertible to `T*` (derived to
     *  base, T to const T, T to void). */
    template <class U,
              std::enable_if_t<std::is_convertible_v<U *, T *>, int> = 0>
    offset_ptr(const offset_ptr<U> &o) noexcept { set(static_cast<T *>(o.get())); }
    /** Explicit conversion where only `static_cast<T*>(U*)` is valid
     *  (`void*` to `T*`, base to derived):
     *  `static_cast<offset_ptr<T>>(p)`. */
    template <class U,
              std::enable_if_t<!std::is_convertible_v<U *, T *> &&
                                   detail::is_static_castable_v<U *, T *>,
                               long> = 0>
    explicit offset_ptr(const offset_ptr<U> &o) noexcept {
        set(static_cast<T *>(o.get()));
    }

    /** Point where @p o points (the distance is recomputed). */
    offset_ptr &operator=(const offset_ptr &o) noexcept {
        set(o.get());
        return *this;
    }
    /** Point where @p o points, with `U*` convertible to `T*`. */
    template <class U,
              std::enable_if_t<std::is_convertible_v<U *, T *>, int> = 0>
    offset_ptr &operator=(const offset_ptr<U> &o) noexcept {
        set(static_cast<T *>(o.get()));
        return *this;
    }
    /** Point at @p p (nullptr or 0: null). */
    offset_ptr &operator=(T *p) noexcept {
        set(p);
        return *this;
    }

    /** The raw pointer (valid in this process, while the heap is mapped). */
    T *get() const noexcept {
        std::int64_t o = r_.off;
        if (o == 0)
            return nullptr;
        return reinterpret_cast<T *>(reinterpret_cast<std::uintptr_t>(this) +
                                     static_cast<std::uintptr_t>(o - (o > 0)));
    }
    /** The stored self-relative offset (metall_rptr encoding). */
    std::int64_t offset() const noexcept { return r_.off; }
    /** The stored offset (Boost.Interprocess's name for offset()). */
    std::int64_t get_offset() const noexcept { return r_.off; }

    /** The target (undefined for null). */
    reference operator*() const noexcept { return *get(); }
    /** Member access of the target (undefined for null). */
    T *operator->() const noexcept { return get(); }
    /** The element @p i positions after the target. */
    reference operator[](difference_type i) const noexcept { return get()[i]; }

    /** Whether the pointer is not null. */
    explicit operator bool() const noexcept { return r_.off != 0; }
    /** Whether the pointer is null. */
    bool operator!() const noexcept { return r_.off == 0; }

    /** std::pointer_traits::pointer_to */
    static offset_ptr pointer_to(detail::element_ref_t<T> r) noexcept {
        return offset_ptr(std::addressof(r));
    }
    /** Boost.Intrusive pointer_traits hook: `static_cast<T*>(p.get())`
     *  (casts without dereferencing). */
    template <class U>
    static offset_ptr static_cast_from(const offset_ptr<U> &p) noexcept {
        return offset_ptr(static_cast<T *>(p.get()));
    }
    /** Boost.Intrusive pointer_traits hook: `const_cast<T*>(p.get())`. */
    template <class U>
    static offset_ptr const_cast_from(const offset_ptr<U> &p) noexcept {
        return offset_ptr(const_cast<T *>(p.get()));
    }
    /** Boost.Intrusive pointer_traits hook: `dynamic_cast<T*>(p.get())`. */
    template <class U>
    static offset_ptr dynamic_cast_from(const offset_ptr<U> &p) noexcept {
        return offset_ptr(dynamic_cast<T *>(p.get()));
    }

    /** Advance by @p n elements. */
    offset_ptr &operator+=(difference_type n) noexcept {
        advance(n);
        return *this;
    }
    /** Step back by @p n elements. */
    offset_ptr &operator-=(difference_type n) noexcept {
        advance(-n);
        return *this;
    }
    /** Pre-increment: the next element. */
    offset_ptr &operator++() noexcept { return *this += 1; }
    /** Pre-decrement: the previous element. */
    offset_ptr &operator--() noexcept { return *this -= 1; }
    /** Post-increment: returns the old value. */
    offset_ptr operator++(int) noexcept {
        offset_ptr old(*this);
        ++*this;
        return old;
    }
    /** Post-decrement: returns the old value. */
    offset_ptr operator--(int) noexcept {
        offset_ptr old(*this);
        --*this;
        return old;
    }
    /** @p p advanced by @p n elements. */
    friend offset_ptr operator+(const offset_ptr &p, difference_type n) noexcept {
        return offset_ptr(p.get() + n);
    }
    /** @p p advanced by @p n elements. */
    friend offset_ptr operator+(difference_type n, const offset_ptr &p) noexcept {
        return offset_ptr(p.get() + n);
    }
    /** @p p moved back by @p n elements. */
    friend offset_ptr operator-(const offset_ptr &p, difference_type n) noexcept {
        return offset_ptr(p.get() - n);
    }
    /** The distance from @p b to @p a, in elements. */
    friend difference_type operator-(const offset_ptr &a, const offset_ptr &b) noexcept {
        return a.get() - b.get();
    }

    /** Exchange the targets of @p a and @p b. */
    friend void swap(offset_ptr &a, offset_ptr &b) noexcept {
        T *pa = a.get();
        a = b.get();
        b = pa;
    }
};

static_assert(sizeof(offset_ptr<int>) == sizeof(metall_rptr),
              "offset_ptr must have the layout of metall_rptr");

/**
 * @name Comparisons of offset_ptr
 * Compare targets (the raw pointers get() returns), not stored offsets: two
 * offset_ptrs at different addresses are equal when they point at the same
 * byte. The other operand is an offset_ptr, a raw pointer or nullptr (an
 * offset_ptr equals nullptr when it is null).
 */
///@{
/** Whether @p a and @p b point at the same address. */
template <class T, class U>
bool operator==(const offset_ptr<T> &a, const offset_ptr<U> &b) noexcept { return a.get() == b.get(); }
/** Whether @p a and @p b point at different addresses. */
template <class T, class U>
bool operator!=(const offset_ptr<T> &a, const offset_ptr<U> &b) noexcept { return a.get() != b.get(); }
/** Whether the target of @p a is below that of @p b. */
template <class T, class U>
bool operator<(const offset_ptr<T> &a, const offset_ptr<U> &b) noexcept { return a.get() < b.get(); }
/** Whether the target of @p a is not above that of @p b. */
template <class T, class U>
bool operator<=(const offset_ptr<T> &a, const offset_ptr<U> &b) noexcept { return a.get() <= b.get(); }
/** Whether the target of @p a is above that of @p b. */
template <class T, class U>
bool operator>(const offset_ptr<T> &a, const offset_ptr<U> &b) noexcept { return a.get() > b.get(); }
/** Whether the target of @p a is not below that of @p b. */
template <class T, class U>
bool operator>=(const offset_ptr<T> &a, const offset_ptr<U> &b) noexcept { return a.get() >= b.get(); }
/** Whether @p a points at @p b. */
template <class T, class U>
bool operator==(const offset_ptr<T> &a, U *b) noexcept { return a.get() == b; }
/** Whether @p b points at @p a. */
template <class T, class U>
bool operator==(U *a, const offset_ptr<T> &b) noexcept { return a == b.get(); }
/** Whether @p a does not point at @p b. */
template <class T, class U>
bool operator!=(const offset_ptr<T> &a, U *b) noexcept { return a.get() != b; }
/** Whether @p b does not point at @p a. */
template <class T, class U>
bool operator!=(U *a, const offset_ptr<T> &b) noexcept { return a != b.get(); }
/** Whether @p a is null. */
template <class T>
bool operator==(const offset_ptr<T> &a, std::nullptr_t) noexcept { return !a; }
/** Whether @p a is null. */
template <class T>
bool operator==(std::nullptr_t, const offset_ptr<T> &a) noexcept { return !a; }
/** Whether @p a is not null. */
template <class T>
bool operator!=(const offset_ptr<T> &a, std::nullptr_t) noexcept { return static_cast<bool>(a); }
/** Whether @p a is not null. */
template <class T>
bool operator!=(std::nullptr_t, const offset_ptr<T> &a) noexcept { return static_cast<bool>(a); }
///@}

/** `static_cast<T*>(p.get())` as an offset_ptr, like std::static_pointer_cast. */
template <class T, class U>
offset_ptr<T> static_pointer_cast(const offset_ptr<U> &p) noexcept {
    return offset_ptr<T>(static_cast<T *>(p.get()));
}
/** `const_cast<T*>(p.get())` as an offset_ptr, like std::const_pointer_cast. */
template <class T, class U>
offset_ptr<T> const_pointer_cast(const offset_ptr<U> &p) noexcept {
    return offset_ptr<T>(const_cast<T *>(p.get()));
}
/** `reinterpret_cast<T*>(p.get())` as an offset_ptr, like
 *  std::reinterpret_pointer_cast. */
template <class T, class U>
offset_ptr<T> reinterpret_pointer_cast(const offset_ptr<U> &p) noexcept {
    return offset_ptr<T>(reinterpret_cast<T *>(p.get()));
}
/** `dynamic_cast<T*>(p.get())` as an offset_ptr (null if the cast fails),
 *  like std::dynamic_pointer_cast. */
template <class T, class U>
offset_ptr<T> dynamic_pointer_cast(const offset_ptr<U> &p) noexcept {
    return offset_ptr<T>(dynamic_cast<T *>(p.get()));
}
/** The raw pointer (std::to_address is C++20). */
template <class T>
T *to_address(const offset_ptr<T> &p) noexcept { return p.get(); }


/** The raw pointer @p p itself (so generic code can call
 *  to_raw_pointer() on raw and offset pointers alike). */
template <class T>
constexpr T *to_raw_pointer(T *p) noexcept { return p; }
/** The raw pointer an offset_ptr points at (nullptr for null). */
template <class T>
T *to_raw_pointer(const offset_ptr<T> &p) noexcept { return p.get(); }

} // namespace metall

namespace std {
/** Hash offset_ptrs by target, so they can be keys of unordered containers. */
template <class T>
struct hash<metall::offset_ptr<T>> {
    /** The hash of the raw pointer @p p points at. */
    std::size_t operator()(const metall::offset_ptr<T> &p) const noexcept {
        return std::hash<T *>()(p.get());
    }
};
} // namespace std

#endif /* METALL_OFFSET_PTR_HPP */
