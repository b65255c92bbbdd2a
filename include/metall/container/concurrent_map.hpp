/**
 * @file container/concurrent_map.hpp
 * @brief metall::container::concurrent_map: a map that many threads may
 *        insert into and edit at once (keys spread over banks of ordered
 *        maps, one process-wide mutex per bank).
 */
#ifndef METALL_CONTAINER_CONCURRENT_MAP_HPP
#define METALL_CONTAINER_CONCURRENT_MAP_HPP

#include <metall/utility/container_of_containers_iterator_adaptor.hpp>
#include <metall/utility/mutex.hpp>

#include <boost/container/map.hpp>
#include <boost/container/scoped_allocator.hpp>
#include <boost/container/vector.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>

namespace metall::container {

/**
 * A map split into @p k_num_banks ordered maps by the hash of the key.
 * insert(), scoped_edit() and edit() lock the key's bank (a mutex of the
 * process, not of the datastore), so threads working on different banks do
 * not wait for each other. Lookups and iteration do not lock: call them
 * when no thread modifies the map.
 *
 * @tparam _key_type the key. @tparam _mapped_type the value.
 * @tparam _compare orders keys in a bank. @tparam _bank_no_hasher picks the bank.
 * @tparam _allocator an allocator of std::pair<const key, mapped>.
 * @tparam k_num_banks the number of banks.
 */
template <typename _key_type, typename _mapped_type, typename _compare = std::less<_key_type>,
          typename _bank_no_hasher = std::hash<_key_type>,
          typename _allocator = std::allocator<std::pair<const _key_type, _mapped_type>>,
          int k_num_banks = 1024>
class concurrent_map {
    using bank_type = boost::container::map<_key_type, _mapped_type, _compare, _allocator>;
    using bank_allocator =
        typename std::allocator_traits<_allocator>::template rebind_alloc<bank_type>;
    using banks_type =
        boost::container::vector<bank_type,
                                 boost::container::scoped_allocator_adaptor<bank_allocator>>;

public:
    /** The key type. */
    using key_type = typename bank_type::key_type;
    /** The mapped type. */
    using mapped_type = typename bank_type::mapped_type;
    /** std::pair<const key_type, mapped_type>. */
    using value_type = typename bank_type::value_type;
    /** Counts. */
    using size_type = typename bank_type::size_type;
    /** The allocator type. */
    using allocator_type = _allocator;
    /** A forward iterator over all elements, bank by bank. */
    using const_iterator =
        metall::utility::container_of_containers_iterator_adaptor<
            typename banks_type::const_iterator, typename bank_type::const_iterator>;

    /** An empty map whose banks allocate with @p allocator. */
    explicit concurrent_map(const _allocator &allocator = _allocator())
        : banks_(k_num_banks, bank_allocator(allocator)), size_(0) {}

    /** 1 if @p key is in the map, else 0. */
    size_type count(const key_type &key) const { return banks_[bank_of(key)].count(key); }

    /** The number of elements. */
    size_type size() const { return size_.load(std::memory_order_relaxed); }

    /** Insert @p value unless its key is present. @return whether it was inserted. */
    bool insert(value_type &&value) {
        const std::size_t b = bank_of(value.first);
        auto lock = metall::utility::mutex::mutex_lock<k_num_banks>(b);
        const bool inserted = banks_[b].insert(std::move(value)).second;
        if (inserted)
            size_.fetch_add(1, std::memory_order_relaxed);
        return inserted;
    }

    /** The value of @p key (default-constructed first if absent) and the
     *  lock of its bank: edit it while the returned pair lives. */
    std::pair<mapped_type &, std::unique_lock<std::mutex>> scoped_edit(const key_type &key) {
        const std::size_t b = bank_of(key);
        auto lock = metall::utility::mutex::mutex_lock<k_num_banks>(b);
        mapped_type &v = value_locked(b, key);
        return std::pair<mapped_type &, std::unique_lock<std::mutex>>(v, std::move(lock));
    }

    /** Call @p editor on the value of @p key (default-constructed first if
     *  absent) with its bank locked. */
    void edit(const key_type &key, const std::function<void(mapped_type &mapped_value)> &editor) {
        const std::size_t b = bank_of(key);
        auto lock = metall::utility::mutex::mutex_lock<k_num_banks>(b);
        editor(value_locked(b, key));
    }

    /** The first element. */
    const_iterator cbegin() const { return const_iterator(banks_.cbegin(), banks_.cend()); }
    /** The end. */
    const_iterator cend() const { return const_iterator(banks_.cend(), banks_.cend()); }

    /** The element of @p key, or cend(). */
    const_iterator find(const key_type &key) const {
        const std::size_t b = bank_of(key);
        auto it = banks_[b].find(key);
        if (it == banks_[b].end())
            return cend();
        return const_iterator(banks_.cbegin() + static_cast<std::ptrdiff_t>(b), it,
                              banks_.cend());
    }

    /** The allocator of the elements. */
    allocator_type get_allocator() const { return allocator_type(banks_.get_allocator()); }

private:
    static std::size_t bank_of(const key_type &key) {
        return static_cast<std::size_t>(static_cast<std::uint64_t>(_bank_no_hasher()(key)) %
                                        static_cast<std::uint64_t>(k_num_banks));
    }
    mapped_type &value_locked(std::size_t b, const key_type &key) {
        auto r = banks_[b].try_emplace(key);
        if (r.second)
            size_.fetch_add(1, std::memory_order_relaxed);
        return r.first->second;
    }

    banks_type banks_;
    std::atomic<size_type> size_;
};

} // namespace metall::container

#endif /* METALL_CONTAINER_CONCURRENT_MAP_HPP */
