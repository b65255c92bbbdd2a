/*
 * detail/registry.hpp - which datastores are open in this process, by heap
 * base (not part of the API).
 *
 * An allocator lives inside its datastore, so it can hold only
 * position-independent data: an offset_ptr to the heap's base (the first
 * byte of the mapping). The allocator and the base move together when the
 * heap is mapped elsewhere, so a stored allocator always points at the
 * current base. This registry maps the base of every heap opened through a
 * metall::manager to its ::metall_manager. It is a singly linked list that
 * only grows; free nodes are reused and never freed (a few per process),
 * so a lookup is lock-free and never reads freed memory.
 */
#ifndef METALL_DETAIL_REGISTRY_HPP
#define METALL_DETAIL_REGISTRY_HPP

#include <metall/metall.h>

#include <atomic>
#include <new>

namespace metall::detail {

/* The first byte of m's heap: offset 0 is NULL for metall_ptr_at(), so ask
 * for offset 1 and step back. */
inline char *heap_base(const metall_manager *m) noexcept {
    return static_cast<char *>(metall_ptr_at(m, 1)) - 1;
}

struct registry_node {
    std::atomic<const char *> base{nullptr};
    std::atomic<metall_manager *> mgr{nullptr};
    std::atomic<bool> used{false};
    registry_node *next = nullptr;
};

inline std::atomic<registry_node *> registry_head{nullptr};

/* Enter (base -> m); nullptr if out of memory. */
inline registry_node *registry_add(const char *base, metall_manager *m) noexcept {
    for (registry_node *n = registry_head.load(std::memory_order_acquire); n; n = n->next) {
        bool expected = false;
        if (n->used.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
            n->mgr.store(m, std::memory_order_relaxed);
            n->base.store(base, std::memory_order_release); /* publish last */
            return n;
        }
    }
    auto *n = new (std::nothrow) registry_node;
    if (!n)
        return nullptr;
    n->used.store(true, std::memory_order_relaxed);
    n->mgr.store(m, std::memory_order_relaxed);
    n->base.store(base, std::memory_order_relaxed);
    n->next = registry_head.load(std::memory_order_relaxed);
    while (!registry_head.compare_exchange_weak(n->next, n, std::memory_order_release,
                                                std::memory_order_relaxed)) {
    }
    return n;
}

inline void registry_remove(registry_node *n) noexcept {
    if (!n)
        return;
    n->base.store(nullptr, std::memory_order_release); /* unpublish first */
    n->mgr.store(nullptr, std::memory_order_relaxed);
    n->used.store(false, std::memory_order_release);
}

inline metall_manager *registry_find(const void *base) noexcept {
    if (!base)
        return nullptr;
    for (registry_node *n = registry_head.load(std::memory_order_acquire); n; n = n->next) {
        if (n->base.load(std::memory_order_acquire) == base)
            return n->mgr.load(std::memory_order_relaxed);
    }
    return nullptr;
}

/* The manager type tag of stl_allocator (Metall's manager_kernel_type). */
struct manager_kernel {};

/* Tag of stl_allocator's constructor from a heap base. */
struct heap_base_t {};

} // namespace metall::detail

#endif
