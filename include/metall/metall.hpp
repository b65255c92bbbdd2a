/**
 * @file metall.hpp
 * @brief metall-c for C++: a manager, an offset pointer and an STL allocator
 *        over the C core (header-only, C++17).
 *
 * The names follow LLNL Metall and Boost.Interprocess, so code written for
 * them reads the same:
 *
 * @code
 *   using alloc_t = metallc::allocator<int>;
 *   using vec_t = boost::container::vector<int, alloc_t>;
 *   metallc::manager m(metallc::create_only, "/nvme/store");
 *   vec_t *v = m.construct<vec_t>("v")(m.get_allocator<int>());
 *   v->push_back(42);
 *   // ... a later run, maybe another program:
 *   metallc::manager m2(metallc::open_only, "/nvme/store");
 *   vec_t *w = m2.find<vec_t>("v").first;  // w->at(0) == 42
 * @endcode
 *
 * Position independence. The heap is mapped at another address in the next
 * run, so everything stored inside it must be position-independent:
 *  - `metallc::offset_ptr<T>` is self-relative with the encoding of
 *    ::metall_rptr (0 = null, so zero-initialised memory holds null
 *    pointers; C code can read it with metall_rptr_get());
 *  - `metallc::allocator<T>` is stored inside containers, so it cannot hold
 *    the process-local ::metall_manager pointer. It holds an offset_ptr to
 *    the heap's *base* (the first byte of the datastore's mapping). Because
 *    the allocator and the base move together when the heap is mapped
 *    elsewhere, a stored allocator always points at the current base. A
 *    process-wide registry maps the base of every heap opened through a
 *    metallc::manager to its ::metall_manager; allocate()/deallocate() look
 *    the manager up there (a walk over a short lock-free list). The
 *    registry entry is made when the manager opens and dropped when it
 *    closes, so an allocator of a datastore that is not open in this
 *    process throws metallc::error (ENXIO) instead of touching freed state.
 *    No object is added to the datastore, so datastores made by the C API
 *    work too.
 *
 * Errors are exceptions: metallc::error (a std::system_error carrying the
 * errno and metall_errmsg()). Exceptions: manager::consistent() answers
 * with a bool, `construct<T>(name, std::nothrow)` returns nullptr, and
 * destructors never throw.
 *
 * Containers. Boost.Container's vector, string, map, set, flat_map, deque
 * and list, and boost::unordered_map (1.74), store `allocator::pointer`
 * (offset_ptr) everywhere and work inside a datastore; nest them with
 * boost::container::scoped_allocator_adaptor. libstdc++'s std::vector and
 * std::deque do too. Its std::map, std::set, std::list and
 * std::basic_string do not compile with a fancy pointer, and
 * std::unordered_map compiles but keeps raw node pointers, which do not
 * survive a reopen at another address: never put it in a datastore.
 *
 * Threads: the manager is as thread-safe as the C core; construct, find and
 * destroy of named objects are serialised per manager, so a concurrent
 * find() never sees an object whose constructor is still running.
 */
#ifndef METALL_METALL_HPP
#define METALL_METALL_HPP

#include <metall/metall.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

namespace metallc {

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */

/**
 * A failure of a metall-c call: code() holds the errno value (generic
 * category), what() starts with metall_errmsg() (names the path and cause).
 */
class error : public std::system_error {
public:
    /** An error with errno value @p ev and message @p what. */
    error(int ev, const std::string &what)
        : std::system_error(ev, std::generic_category(), what) {}
};

namespace detail {

/* Throw the failure the C core just reported (errno + metall_errmsg()). */
[[noreturn]] inline void throw_last(const char *what) {
    int ev = errno ? errno : EIO;
    const char *msg = metall_errmsg();
    throw error(ev, (msg && *msg) ? std::string(msg) : std::string(what));
}

/* The first byte of m's heap: offset 0 is NULL for metall_ptr_at(), so ask
 * for offset 1 and step back. */
inline char *heap_base(const metall_manager *m) noexcept {
    return static_cast<char *>(metall_ptr_at(m, 1)) - 1;
}

/*
 * The process-wide registry: heap base -> manager, for allocators (which can
 * only hold position-independent data). A singly linked list that only
 * grows; free nodes are reused. Lookups are lock-free. Nodes are never freed
 * (a few per process), so a lookup never reads freed memory.
 */
struct registry_node {
    std::atomic<const char *> base{nullptr};
    std::atomic<metall_manager *> mgr{nullptr};
    std::atomic<bool> used{false};
    registry_node *next = nullptr;
};

inline std::atomic<registry_node *> registry_head{nullptr};

inline registry_node *registry_add(const char *base, metall_manager *m) {
    for (registry_node *n = registry_head.load(std::memory_order_acquire); n;
         n = n->next) {
        bool expected = false;
        if (n->used.compare_exchange_strong(expected, true,
                                            std::memory_order_acq_rel)) {
            n->mgr.store(m, std::memory_order_relaxed);
            n->base.store(base, std::memory_order_release); /* publish last */
            return n;
        }
    }
    auto *n = new registry_node;
    n->used.store(true, std::memory_order_relaxed);
    n->mgr.store(m, std::memory_order_relaxed);
    n->base.store(base, std::memory_order_relaxed);
    n->next = registry_head.load(std::memory_order_relaxed);
    while (!registry_head.compare_exchange_weak(n->next, n,
                                                std::memory_order_release,
                                                std::memory_order_relaxed)) {
    }
    return n;
}

inline void registry_remove(registry_node *n) noexcept {
    n->base.store(nullptr, std::memory_order_release); /* unpublish first */
    n->mgr.store(nullptr, std::memory_order_relaxed);
    n->used.store(false, std::memory_order_release);
}

inline metall_manager *registry_find(const void *base) noexcept {
    if (!base)
        return nullptr;
    for (registry_node *n = registry_head.load(std::memory_order_acquire); n;
         n = n->next) {
        if (n->base.load(std::memory_order_acquire) == base)
            return n->mgr.load(std::memory_order_relaxed);
    }
    return nullptr;
}

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

/* ------------------------------------------------------------------------ */
/* Tags                                                                      */

/** Tag: create a new datastore (fails if the path exists). */
struct create_only_t { explicit create_only_t() = default; };
/** Tag: open an existing datastore for reading and writing. */
struct open_only_t { explicit open_only_t() = default; };
/** Tag: open an existing datastore read-only. */
struct open_read_only_t { explicit open_read_only_t() = default; };
/** Pass to manager's constructor: create a new datastore. */
inline constexpr create_only_t create_only{};
/** Pass to manager's constructor: open an existing datastore read-write. */
inline constexpr open_only_t open_only{};
/** Pass to manager's constructor: open an existing datastore read-only. */
inline constexpr open_read_only_t open_read_only{};

class manager;

/* ------------------------------------------------------------------------ */
/* allocator                                                                 */

/**
 * An STL allocator allocating from a datastore; pointer = `offset_ptr<T>`.
 * Obtained from manager::get_allocator(); storable in the datastore (it
 * holds an offset_ptr to the heap base, see the file comment). Two
 * allocators are equal when they allocate from the same open datastore.
 * allocate() throws metallc::error (ENOMEM, ENOSPC, EROFS, or ENXIO when
 * the datastore is not open in this process).
 *
 * The propagate_on_container_* traits are false: a container inside a
 * datastore keeps allocating from that datastore when assigned or swapped
 * with one elsewhere (assignment then copies the elements).
 */
template <class T>
class allocator {
    offset_ptr<char> base_; /* the heap base of the datastore */

    template <class U>
    friend class allocator;
    friend class manager;

    explicit allocator(char *base) noexcept : base_(base) {}

    metall_manager *handle_or_throw() const {
        metall_manager *m = detail::registry_find(base_.get());
        if (!m)
            throw error(ENXIO, "metallc::allocator: its datastore is not open "
                               "in this process (open it with metallc::manager)");
        return m;
    }

public:
    /** The type of the allocated objects. */
    using value_type = T;
    /** What allocate() returns: a self-relative pointer, storable in the
     *  datastore. */
    using pointer = offset_ptr<T>;
    /** `offset_ptr<const T>`. */
    using const_pointer = offset_ptr<const T>;
    /** `offset_ptr<void>`. */
    using void_pointer = offset_ptr<void>;
    /** `offset_ptr<const void>`. */
    using const_void_pointer = offset_ptr<const void>;
    /** `T &`. */
    using reference = T &;
    /** `const T &`. */
    using const_reference = const T &;
    /** The type of element counts. */
    using size_type = std::size_t;
    /** The type of pointer differences. */
    using difference_type = std::ptrdiff_t;
    /** false: copy assignment keeps the target's allocator. */
    using propagate_on_container_copy_assignment = std::false_type;
    /** false: move assignment keeps the target's allocator. */
    using propagate_on_container_move_assignment = std::false_type;
    /** false: swap keeps each container's allocator. */
    using propagate_on_container_swap = std::false_type;
    /** false: allocators of different datastores differ. */
    using is_always_equal = std::false_type;
    /** The same allocator for another type (pre-C++11 rebind protocol). */
    template <class U>
    struct rebind {
        /** `allocator<U>` over the same datastore. */
        using other = allocator<U>;
    };

    /** A copy: allocates from the same datastore. */
    allocator(const allocator &o) noexcept : base_(o.base_) {}
    /** From an allocator of another type: allocates from the same datastore. */
    template <class U>
    allocator(const allocator<U> &o) noexcept : base_(o.base_) {}
    /** Allocate from the datastore of @p o from now on. */
    allocator &operator=(const allocator &o) noexcept {
        base_ = o.base_;
        return *this;
    }

    /** Allocate @p n objects (not constructed). Throws metallc::error. */
    pointer allocate(size_type n) {
        metall_manager *m = handle_or_throw();
        if (n > max_size())
            throw error(ENOMEM, "metallc::allocator: allocation size overflows");
        void *p = alignof(T) > 16
                      ? metall_aligned_alloc(m, alignof(T), n * sizeof(T))
                      : metall_malloc(m, n * sizeof(T));
        if (!p)
            detail::throw_last("metallc::allocator::allocate");
        return pointer(static_cast<T *>(p));
    }

    /** Free what allocate() returned. If the datastore is no longer open in
     *  this process the memory is left alone (nothing to free it from). */
    void deallocate(pointer p, size_type) noexcept {
        metall_manager *m = detail::registry_find(base_.get());
        if (m)
            metall_free(m, p.get());
    }

    /** The largest @p n whose byte size does not overflow size_type (the
     *  datastore's capacity may well be smaller). */
    size_type max_size() const noexcept {
        return std::numeric_limits<size_type>::max() / sizeof(T);
    }

    /** The C handle of the datastore, or nullptr if not open here. */
    metall_manager *get_manager() const noexcept {
        return detail::registry_find(base_.get());
    }

    /** Whether both allocate from the same datastore (so one can free what
     *  the other allocated). */
    template <class U>
    bool operator==(const allocator<U> &o) const noexcept {
        return base_.get() == o.base_.get();
    }
    /** Whether they allocate from different datastores. */
    template <class U>
    bool operator!=(const allocator<U> &o) const noexcept {
        return base_.get() != o.base_.get();
    }
};

/* ------------------------------------------------------------------------ */
/* manager                                                                   */

/**
 * An open datastore (RAII over ::metall_manager): opened by the
 * constructor, closed (persisted) by the destructor or close(). Move-only.
 */
class manager {
    struct state {
        metall_manager *m = nullptr;
        detail::registry_node *reg = nullptr;
        std::mutex named_mu; /* construct/find/destroy of named objects */
    };
    std::unique_ptr<state> s_;

    void adopt(metall_manager *m, const char *what) {
        if (!m)
            detail::throw_last(what);
        s_ = std::make_unique<state>();
        s_->m = m;
        s_->reg = detail::registry_add(detail::heap_base(m), m);
    }

    metall_manager *handle() const {
        if (!s_)
            throw error(EINVAL, "metallc::manager: not open (moved from or closed)");
        return s_->m;
    }

    /* Byte size of n objects of T, or throw on overflow. */
    template <class T>
    static std::size_t array_bytes(std::size_t n) {
        if (n > std::numeric_limits<std::size_t>::max() / sizeof(T))
            throw error(ENOMEM, "metallc::manager: array size overflows");
        return n * sizeof(T);
    }

public:
    /** Proxy returned by construct()/find_or_construct(): call it with the
     *  constructor's arguments; `[n]` makes an array of n objects, each
     *  constructed with the same arguments (as Boost.Interprocess). */
    template <class T>
    class construct_proxy {
        manager *mgr_;
        std::string name_;
        bool find_first_;
        bool nothrow_;
        std::size_t n_ = 1;

        friend class manager;
        construct_proxy(manager *mgr, const char *name, bool find_first, bool nothrow)
            : mgr_(mgr), name_(name ? name : ""), find_first_(find_first),
              nothrow_(nothrow) {}

    public:
        /** An array of @p n objects. */
        construct_proxy operator[](std::size_t n) const {
            construct_proxy p(*this);
            p.n_ = n;
            return p;
        }
        /** Allocate, register and construct; see manager::construct(). */
        template <class... Args>
        T *operator()(Args &&...args) const {
            return mgr_->template do_construct<T>(name_.c_str(), n_, find_first_,
                                                  nothrow_, std::forward<Args>(args)...);
        }
    };

private:
    template <class T, class... Args>
    T *do_construct(const char *name, std::size_t n, bool find_first,
                    bool nothrow, Args &&...args) {
        static_assert(alignof(T) <= 16,
                      "named objects are 16-byte aligned; T needs more");
        metall_manager *m = handle();
        std::size_t bytes;
        try {
            bytes = array_bytes<T>(n);
        } catch (...) {
            if (nothrow)
                return nullptr;
            throw;
        }
        std::lock_guard<std::mutex> lk(s_->named_mu);
        void *raw;
        if (find_first) {
            bool created = false;
            raw = metall_named_find_or_malloc(m, name, bytes, &created);
            if (raw && !created)
                return static_cast<T *>(raw);
        } else {
            raw = metall_named_malloc(m, name, bytes);
        }
        if (!raw) {
            if (nothrow)
                return nullptr;
            detail::throw_last("metallc::manager::construct");
        }
        T *p = static_cast<T *>(raw);
        std::size_t i = 0;
        try {
            if (n == 1) {
                ::new (static_cast<void *>(p)) T(std::forward<Args>(args)...);
            } else {
                for (; i < n; ++i)
                    ::new (static_cast<void *>(p + i)) T(args...);
            }
        } catch (...) {
            while (i > 0)
                p[--i].~T();
            metall_named_free(m, name);
            throw;
        }
        return p;
    }

public:
    /** Create a new datastore at @p path (fails if @p path exists).
     *  @param path the datastore directory to create.
     *  @param opt capacity, overwrite, NUMA placement; nullptr = defaults. */
    manager(create_only_t, const char *path, const metall_options *opt = nullptr) {
        adopt(metall_create_ex(path, opt), "metall_create");
    }
    /** Create a new datastore at @p path, with options @p opt (see above). */
    manager(create_only_t t, const std::string &path, const metall_options *opt = nullptr)
        : manager(t, path.c_str(), opt) {}
    /** Open an existing datastore for reading and writing. */
    manager(open_only_t, const char *path) { adopt(metall_open(path), "metall_open"); }
    /** Open the existing datastore at @p path for reading and writing. */
    manager(open_only_t t, const std::string &path) : manager(t, path.c_str()) {}
    /** Open an existing datastore read-only (stores into it fault). */
    manager(open_read_only_t, const char *path) {
        adopt(metall_open_read_only(path), "metall_open_read_only");
    }
    /** Open the existing datastore at @p path read-only. */
    manager(open_read_only_t t, const std::string &path) : manager(t, path.c_str()) {}
    /** Take ownership of a manager opened with the C API (closed by this
     *  object). Throws for nullptr. */
    explicit manager(metall_manager *m) {
        if (!m)
            throw error(EINVAL, "metallc::manager: a null metall_manager");
        adopt(m, "metallc::manager");
    }

    /** Take over the open datastore of the other manager (left closed). */
    manager(manager &&) noexcept = default;
    /** Close this manager's datastore (errors ignored, as the destructor),
     *  then take over that of @p o (left closed). */
    manager &operator=(manager &&o) noexcept {
        if (this != &o) {
            close_noexcept();
            s_ = std::move(o.s_);
        }
        return *this;
    }
    manager(const manager &) = delete;
    manager &operator=(const manager &) = delete;

    /** Closes the datastore; a failure to persist is not reported (call
     *  close() to see it). */
    ~manager() { close_noexcept(); }

    /** Persist and close now. Throws metallc::error if persisting failed
     *  (the datastore then stays marked as not closed properly); the
     *  manager is closed either way. Closing a closed manager does nothing. */
    void close() {
        if (!close_noexcept())
            detail::throw_last("metall_close");
    }

    /** Close; false (errno set) if persisting failed. */
    bool close_noexcept() noexcept {
        if (!s_)
            return true;
        detail::registry_remove(s_->reg);
        bool ok = metall_close(s_->m);
        s_.reset();
        return ok;
    }

    /** Whether this manager is open. */
    bool is_open() const noexcept { return static_cast<bool>(s_); }
    /** The C handle (for the functions of metall.h). */
    metall_manager *get() const noexcept { return s_ ? s_->m : nullptr; }
    /** Whether the datastore was opened read-only. */
    bool read_only() const { return metall_is_read_only(handle()); }

    /**
     * Construct a named object: `m.construct<T>(name)(args...)`, or an array
     * `m.construct<T>(name)[n](args...)`. Throws metallc::error with EEXIST
     * if @p name exists (as Boost.Interprocess), EROFS, ENOMEM; exceptions
     * of T's constructor propagate (the object is then freed).
     */
    template <class T>
    construct_proxy<T> construct(const char *name) {
        return construct_proxy<T>(this, name, false, false);
    }
    /** construct() with a std::string name. */
    template <class T>
    construct_proxy<T> construct(const std::string &name) { return construct<T>(name.c_str()); }
    /** As construct(), but returns nullptr instead of throwing on failure. */
    template <class T>
    construct_proxy<T> construct(const char *name, const std::nothrow_t &) {
        return construct_proxy<T>(this, name, false, true);
    }
    /** Find the named object or construct it (atomically per manager). */
    template <class T>
    construct_proxy<T> find_or_construct(const char *name) {
        return construct_proxy<T>(this, name, true, false);
    }
    /** find_or_construct() with a std::string name. */
    template <class T>
    construct_proxy<T> find_or_construct(const std::string &name) {
        return find_or_construct<T>(name.c_str());
    }

    /**
     * Find a named object: {pointer, number of T objects}, or {nullptr, 0}
     * if there is none. Throws EINVAL if the object is smaller than a T.
     */
    template <class T>
    std::pair<T *, std::size_t> find(const char *name) const {
        metall_manager *m = handle();
        std::size_t len = 0;
        void *p;
        {
            std::lock_guard<std::mutex> lk(s_->named_mu);
            p = metall_named_find(m, name, &len);
        }
        if (!p)
            return {nullptr, 0};
        if (len < sizeof(T) && sizeof(T) > 0)
            throw error(EINVAL, std::string("metallc::manager::find: object '") + name +
                                    "' is smaller than the requested type");
        return {static_cast<T *>(p), len / sizeof(T)};
    }
    /** find() with a std::string name. */
    template <class T>
    std::pair<T *, std::size_t> find(const std::string &name) const { return find<T>(name.c_str()); }

    /**
     * Destroy a named object (or array): run the destructors, then free it.
     * @return true if it was destroyed, false if there is no such name.
     * Throws EROFS on a read-only manager.
     */
    template <class T>
    bool destroy(const char *name) {
        metall_manager *m = handle();
        if (metall_is_read_only(m))
            throw error(EROFS, "metallc::manager::destroy: the datastore is open read-only");
        std::lock_guard<std::mutex> lk(s_->named_mu);
        std::size_t len = 0;
        void *raw = metall_named_find(m, name, &len);
        if (!raw)
            return false;
        T *p = static_cast<T *>(raw);
        for (std::size_t i = len / sizeof(T); i > 0; --i)
            p[i - 1].~T();
        if (!metall_named_free(m, name))
            detail::throw_last("metall_named_free");
        return true;
    }
    /** destroy() with a std::string name. */
    template <class T>
    bool destroy(const std::string &name) { return destroy<T>(name.c_str()); }

    /** Allocate @p bytes of raw memory (16-byte aligned). Throws. */
    void *allocate(std::size_t bytes) {
        void *p = metall_malloc(handle(), bytes);
        if (!p)
            detail::throw_last("metall_malloc");
        return p;
    }
    /** Allocate with @p alignment (a power of two). Throws. */
    void *allocate_aligned(std::size_t bytes, std::size_t alignment) {
        void *p = metall_aligned_alloc(handle(), alignment, bytes);
        if (!p)
            detail::throw_last("metall_aligned_alloc");
        return p;
    }
    /** Free memory from allocate(); nullptr is ignored. */
    void deallocate(void *p) noexcept {
        if (s_)
            metall_free(s_->m, p);
    }

    /** An allocator over this datastore (storable inside it). */
    template <class T>
    allocator<T> get_allocator() const {
        return allocator<T>(detail::heap_base(handle()));
    }

    /** Write dirty pages and management data to disk. Throws. */
    void flush() {
        if (!metall_flush(handle()))
            detail::throw_last("metall_flush");
    }
    /** Snapshot into the new directory @p dst (see metall_snapshot()). Throws. */
    void snapshot(const char *dst) {
        if (!metall_snapshot(handle(), dst))
            detail::throw_last("metall_snapshot");
    }
    /** snapshot() into the directory @p dst. Throws. */
    void snapshot(const std::string &dst) { snapshot(dst.c_str()); }

    /** Set the datastore's description. Throws. */
    void set_description(const std::string &text) {
        if (!metall_set_description(handle(), text.c_str()))
            detail::throw_last("metall_set_description");
    }
    /** Statistics (allocated bytes, segment and file size, named objects). */
    metall_stats stats() const {
        metall_stats st{};
        if (!metall_get_stats(handle(), &st))
            detail::throw_last("metall_get_stats");
        return st;
    }

    /** Whether the datastore at @p path was closed properly and is not open
     *  for writing (errno says why not). Never throws. */
    static bool consistent(const char *path) noexcept { return metall_consistent(path); }
    /** consistent() of the datastore at @p path. Never throws. */
    static bool consistent(const std::string &path) noexcept { return consistent(path.c_str()); }
    /** Copy the closed datastore @p src to the new directory @p dst. Throws. */
    static void copy(const char *src, const char *dst) {
        if (!metall_copy(src, dst))
            detail::throw_last("metall_copy");
    }
    /** copy() from @p src to @p dst. Throws. */
    static void copy(const std::string &src, const std::string &dst) {
        copy(src.c_str(), dst.c_str());
    }
    /** Delete the datastore at @p path. @return true if it was removed,
     *  false if nothing exists there (like std::filesystem::remove); throws
     *  for other failures (EINVAL: not a datastore; EBUSY: open). */
    static bool remove(const char *path) {
        if (metall_remove(path))
            return true;
        if (errno == ENOENT)
            return false;
        detail::throw_last("metall_remove");
    }
    /** remove() the datastore at @p path. */
    static bool remove(const std::string &path) { return remove(path.c_str()); }
};

} // namespace metallc

namespace std {
/** Hash offset_ptrs by target, so they can be keys of unordered containers. */
template <class T>
struct hash<metallc::offset_ptr<T>> {
    /** The hash of the raw pointer @p p points at. */
    std::size_t operator()(const metallc::offset_ptr<T> &p) const noexcept {
        return std::hash<T *>()(p.get());
    }
};
} // namespace std

#endif /* METALL_METALL_HPP */
