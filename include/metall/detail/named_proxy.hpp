/*
 * detail/named_proxy.hpp - the name holder and the construction proxies of
 * basic_manager::construct() and friends (not part of the API).
 */
#ifndef METALL_DETAIL_NAMED_PROXY_HPP
#define METALL_DETAIL_NAMED_PROXY_HPP

#include <metall/tags.hpp>

#include <cstddef>
#include <new>
#include <tuple>
#include <utility>

namespace metall::detail {

/* What kind of object a construction call names (Metall's order). */
enum instance_kind { anonymous_kind, named_kind, unique_kind };

/* The first argument of construct()/find()/...: a name, unique_instance or
 * anonymous_instance. */
class char_ptr_holder {
    const char *name_;
    instance_kind kind_;

public:
    char_ptr_holder(const char *name) noexcept : name_(name), kind_(named_kind) {}
    char_ptr_holder(const unique_instance_t *) noexcept : name_(nullptr), kind_(unique_kind) {}
    char_ptr_holder(const anonymous_instance_t *) noexcept
        : name_(nullptr), kind_(anonymous_kind) {}
    const char *get() const noexcept { return name_; }
    instance_kind kind() const noexcept { return kind_; }
    bool is_anonymous() const noexcept { return kind_ == anonymous_kind; }
    bool is_unique() const noexcept { return kind_ == unique_kind; }
};

/* Construct element p of an array of n in place, each element from the
 * same arguments (a single object may take them by move). */
template <class T, class... Args>
struct ctor_args {
    std::tuple<Args &&...> args;
    void operator()(T *p, std::size_t, std::size_t n) {
        std::apply(
            [&](auto &&...a) {
                if (n == 1)
                    ::new (static_cast<void *>(p)) T(std::forward<decltype(a)>(a)...);
                else
                    ::new (static_cast<void *>(p)) T(a...);
            },
            args);
    }
};

/* Construct each object from the next value of every iterator
 * (construct_it: T(*it1++, *it2++, ...)). */
template <class T, class... Its>
struct ctor_iters {
    std::tuple<Its...> its;
    void operator()(T *p, std::size_t, std::size_t) {
        std::apply([&](auto &...it) { ::new (static_cast<void *>(p)) T(*it...); }, its);
        std::apply([](auto &...it) { (++it, ...); }, its);
    }
};

/* The proxy returned by construct<T>(name): `[n]` makes an array, the call
 * constructs. Manager is basic_manager<...>. */
template <class Manager, class T, bool is_iterator>
class named_proxy {
    Manager *mgr_;
    char_ptr_holder name_;
    mutable std::size_t num_ = 1;
    bool find_;

public:
    named_proxy(Manager *mgr, char_ptr_holder name, bool find) noexcept
        : mgr_(mgr), name_(name), find_(find) {}

    /* An array of n objects. */
    const named_proxy &operator[](std::size_t n) const noexcept {
        num_ *= n;
        return *this;
    }

    template <class... Args>
    T *operator()(Args &&...args) const {
        if constexpr (is_iterator) {
            ctor_iters<T, std::decay_t<Args>...> c{std::make_tuple(args...)};
            return mgr_->template priv_generic_construct<T>(name_, num_, find_, c);
        } else {
            ctor_args<T, Args...> c{std::forward_as_tuple(std::forward<Args>(args)...)};
            return mgr_->template priv_generic_construct<T>(name_, num_, find_, c);
        }
    }
};

} // namespace metall::detail

#endif
