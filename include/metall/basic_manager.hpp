/**
 * @file basic_manager.hpp
 * @brief metall::basic_manager, Metall's manager of a datastore, over the
 *        C core (metall.h).
 *
 * Semantics are Metall's: the constructors do not throw, and a manager
 * whose datastore could not be created or opened has check_sanity() ==
 * false (the reason is logged through metall::logger); every other member
 * then returns a failure value (nullptr, false, 0, an empty string). Only
 * the constructors and destructors of user types may throw out of
 * construct() and destroy(). `create_only` replaces an existing datastore
 * (metall-c never deletes a directory that is not a datastore: creating
 * over one fails).
 *
 * Thread safety follows the C core: allocate/deallocate and construct/
 * destroy may be called from many threads; construct, find and destroy of
 * named and unique objects are serialised per manager, so find() never
 * returns an object whose constructor is still running.
 */
#ifndef METALL_BASIC_MANAGER_HPP
#define METALL_BASIC_MANAGER_HPP

#include <metall/container/fallback_allocator.hpp>
#if __has_include(<boost/container/scoped_allocator.hpp>)
#include <metall/container/scoped_allocator.hpp>
#define METALLC_HAVE_BOOST_CONTAINER 1
/* Metall's metall.hpp brings these in, and programs written for it rely
 * on that. */
#include <boost/container/deque.hpp>
#include <boost/container/list.hpp>
#include <boost/container/string.hpp>
#include <boost/container/vector.hpp>
#include <boost/unordered_map.hpp>
#endif
#include <metall/defs.hpp>
#include <metall/detail/named_proxy.hpp>
#include <metall/detail/registry.hpp>
#include <metall/logger.hpp>
#include <metall/metall.h>
#include <metall/object_attribute_accessor.hpp>
#include <metall/offset_ptr.hpp>
#include <metall/stl_allocator.hpp>
#include <metall/tags.hpp>
#include <metall/version.hpp>

#include <cassert>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <future>
#include <iostream>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

namespace metall {

namespace detail {
/* Tag of the constructor that wraps an open C manager. */
struct adopt_t {};
} // namespace detail

/**
 * A manager of one datastore: allocation, objects with names, unique and
 * anonymous objects, snapshots and copies (Metall's basic_manager).
 * `metall::manager` is `basic_manager<>`; the template parameters only
 * keep Metall's spelling valid (metall-c has one kernel, whose chunk size
 * is 2 MiB).
 *
 * Move-only. The destructor persists and closes the datastore.
 */
template <typename storage = void, typename segment_storage = void,
          typename chunk_no_type = std::uint32_t,
          std::size_t k_chunk_size = METALLC_CHUNK_SIZE>
class basic_manager {
    static_assert(k_chunk_size == METALLC_CHUNK_SIZE,
                  "metall-c's chunk size is METALLC_CHUNK_SIZE (2 MiB)");

public:
    /** The manager type tag of the allocators. */
    using manager_kernel_type = detail::manager_kernel;
    /** `offset_ptr<void>`. */
    using void_pointer = offset_ptr<void>;
    /** The character type of names. */
    using char_type = char;
    /** Sizes and counts. */
    using size_type = std::size_t;
    /** Pointer differences. */
    using difference_type = std::ptrdiff_t;
    /** The STL allocator of this manager's datastore. */
    template <typename T>
    using allocator_type = stl_allocator<T, manager_kernel_type>;
#ifdef METALLC_HAVE_BOOST_CONTAINER
    /** allocator_type wrapped in a scoped_allocator_adaptor (for containers
     *  of containers; needs the Boost headers). */
    template <typename OuterT, typename... InnerT>
    using scoped_allocator_type =
        container::scoped_allocator_adaptor<allocator_type<OuterT>, allocator_type<InnerT>...>;
#endif
    /** An allocator that allocates from the datastore when it was given a
     *  manager's allocator and from the process heap (malloc) when it was
     *  default-constructed. */
    template <typename T>
    using fallback_allocator = container::fallback_allocator_adaptor<allocator_type<T>>;
#ifdef METALLC_HAVE_BOOST_CONTAINER
    /** fallback_allocator wrapped in a scoped_allocator_adaptor. */
    template <typename T>
    using scoped_fallback_allocator_type =
        container::scoped_allocator_adaptor<fallback_allocator<T>>;
#endif
    /** The proxy returned by construct() and find_or_construct(). */
    template <typename T>
    using construct_proxy = detail::named_proxy<basic_manager, T, false>;
    /** The proxy returned by construct_it() and find_or_construct_it(). */
    template <typename T>
    using construct_iter_proxy = detail::named_proxy<basic_manager, T, true>;
    /** Named, unique or anonymous (anonymous_kind = 0, named_kind,
     *  unique_kind, as in Metall). */
    using instance_kind = detail::instance_kind;
    /** Iterator over the named objects. */
    using const_named_iterator = detail::object_iterator;
    /** Iterator over the unique objects (the same type). */
    using const_unique_iterator = detail::object_iterator;
    /** Iterator over the anonymous objects (the same type). */
    using const_anonymous_iterator = detail::object_iterator;
    /** What access_named_object_attribute() returns. */
    using named_object_attribute_accessor_type = named_object_attr_accessor;
    /** What access_unique_object_attribute() returns. */
    using unique_object_attribute_accessor_type = unique_object_attr_accessor;
    /** What access_anonymous_object_attribute() returns. */
    using anonymous_object_attribute_accessor_type = anonymous_object_attr_accessor;
    /** Chunk numbers. */
    using chunk_number_type = chunk_no_type;
    /** Datastore paths. */
    using path_type = std::filesystem::path;

private:
    struct state {
        metall_manager *m = nullptr;
        detail::registry_node *reg = nullptr;
        bool owned = true;
        std::string path;
        std::recursive_mutex mu; /* construct/find/destroy of named and unique objects */
    };
    std::unique_ptr<state> s_;

    template <class, class, bool>
    friend class detail::named_proxy;

    static void log_error(int line, const std::string &what) noexcept {
        try {
            std::string msg = what;
            const char *e = metall_errmsg();
            if (e && *e)
                msg += std::string(": ") + e;
            logger::out(logger::level::error, __FILE__, line, msg.c_str());
        } catch (...) {
            logger::out(logger::level::error, __FILE__, line, what.c_str());
        }
    }

    /* Wrap an open C manager (or log why there is none). */
    void priv_adopt(metall_manager *m, bool owned, const path_type &path, const char *what,
                    int line) noexcept {
        if (!m) {
            log_error(line, std::string(what) + "(" + path.string() + ") failed");
            return;
        }
        try {
            auto st = std::make_unique<state>();
            st->m = m;
            st->owned = owned;
            std::error_code ec; // absolute, as the C manager keeps it: a chdir() must not move it
            std::filesystem::path abs = std::filesystem::absolute(path, ec);
            st->path = ec ? path.string() : abs.string();
            st->reg = detail::registry_add(detail::heap_base(m), m);
            if (!st->reg)
                throw std::bad_alloc();
            s_ = std::move(st);
        } catch (...) {
            if (owned)
                metall_close(m);
            logger::out(logger::level::error, __FILE__, line, "out of memory");
        }
    }

    void priv_close() noexcept {
        if (!s_)
            return;
        detail::registry_remove(s_->reg);
        if (s_->owned && !metall_close(s_->m))
            log_error(__LINE__, "metall_close(" + s_->path + ") failed");
        s_.reset();
    }

    static metall_manager *priv_create(const path_type &path, size_type capacity) noexcept {
        metall_options opt{};
        opt.capacity = capacity;
        opt.overwrite = true;
        std::error_code ec;
        /* Metall creates over an empty directory too; rmdir only removes
         * an empty one. */
        if (std::filesystem::is_directory(path, ec) && std::filesystem::is_empty(path, ec))
            std::filesystem::remove(path, ec);
        return metall_create_ex(path.c_str(), &opt);
    }

public:
    /** Open the existing datastore at @p base_path for reading and writing.
     *  On failure check_sanity() is false and the reason is logged. */
    basic_manager(open_only_t, const path_type &base_path) noexcept {
        priv_adopt(metall_open(base_path.c_str()), true, base_path, "metall_open", __LINE__);
    }

    /** Open the existing datastore at @p base_path read-only: the heap is
     *  mapped read-only, so a store into it faults. */
    basic_manager(open_read_only_t, const path_type &base_path) noexcept {
        priv_adopt(metall_open_read_only(base_path.c_str()), true, base_path,
                   "metall_open_read_only", __LINE__);
    }

    /** Create a datastore at @p base_path (replacing a datastore there). */
    basic_manager(create_only_t, const path_type &base_path) noexcept {
        priv_adopt(priv_create(base_path, METALL_DEFAULT_CAPACITY), true, base_path,
                   "metall_create", __LINE__);
    }

    /** Create a datastore at @p base_path whose heap can grow to about
     *  @p capacity bytes (rounded up to the segment block size). */
    basic_manager(create_only_t, const path_type &base_path, const size_type capacity) noexcept {
        priv_adopt(priv_create(base_path, capacity), true, base_path, "metall_create",
                   __LINE__);
    }

    /** Wrap the C manager @p m, opened at @p path (a metall-c extension);
     *  @p owned: close it in the destructor. */
    basic_manager(detail::adopt_t, metall_manager *m, const path_type &path, bool owned) noexcept {
        priv_adopt(m, owned, path, "metall_manager", __LINE__);
    }

    basic_manager() = delete;
    basic_manager(const basic_manager &) = delete;
    basic_manager &operator=(const basic_manager &) = delete;
    /** Take over the datastore of @p o (left without one). */
    basic_manager(basic_manager &&o) noexcept = default;
    /** Close this manager's datastore, then take over that of @p o. */
    basic_manager &operator=(basic_manager &&o) noexcept {
        if (this != &o) {
            priv_close();
            s_ = std::move(o.s_);
        }
        return *this;
    }
    /** Persist and close the datastore (a failure is logged). */
    ~basic_manager() noexcept { priv_close(); }

    /* ---- objects ------------------------------------------------------ */

    /**
     * Construct an object: `m.construct<T>(name)(args...)`, an array
     * `m.construct<T>(name)[n](args...)` (each element from the same
     * arguments), or with metall::unique_instance / anonymous_instance in
     * place of the name.
     * @return a proxy whose call returns the object, or nullptr if the name
     *         is taken or memory is exhausted. T's constructor may throw
     *         (the memory is then freed).
     */
    template <typename T>
    construct_proxy<T> construct(detail::char_ptr_holder name) {
        return construct_proxy<T>(this, name, false);
    }

    /** As construct(), but returns the existing object if there is one. */
    template <typename T>
    construct_proxy<T> find_or_construct(detail::char_ptr_holder name) {
        return construct_proxy<T>(this, name, true);
    }

    /** Construct an array from iterators:
     *  `m.construct_it<T>(name)[n](it1, it2)`, element i from
     *  (*it1++, *it2++). nullptr if the name is taken. */
    template <typename T>
    construct_iter_proxy<T> construct_it(detail::char_ptr_holder name) {
        return construct_iter_proxy<T>(this, name, false);
    }

    /** As construct_it(), but returns the existing object if there is one. */
    template <typename T>
    construct_iter_proxy<T> find_or_construct_it(detail::char_ptr_holder name) {
        return construct_iter_proxy<T>(this, name, true);
    }

    /**
     * Find a named or unique object.
     * @return the object and its number of elements (1, or n for an array);
     *         {nullptr, 0} if there is none (always for anonymous_instance).
     */
    template <typename T>
    std::pair<T *, size_type> find(detail::char_ptr_holder name) const noexcept {
        if (!check_sanity() || name.is_anonymous())
            return {nullptr, 0};
        std::lock_guard<std::recursive_mutex> lk(s_->mu);
        detail::object_info info;
        void *p = priv_find(name.kind(), priv_name<T>(name), &info);
        if (!p)
            return {nullptr, 0};
        return {static_cast<T *>(p), priv_count<T>(info)};
    }

    /**
     * Destroy a named object: run the destructors, free it, drop the name.
     * @return false if there is no such object (or read-only).
     */
    template <typename T>
    bool destroy(const char *name) {
        return priv_destroy<T>(detail::char_ptr_holder(name));
    }

    /** Destroy the unique object of type T (`destroy<T>(unique_instance)`). */
    template <typename T>
    bool destroy(const detail::unique_instance_t *const) {
        return priv_destroy<T>(detail::char_ptr_holder(unique_instance));
    }

    /** Destroy the named, unique or anonymous object at @p ptr.
     *  @return false if @p ptr is not such an object. */
    template <class T>
    bool destroy_ptr(const T *ptr) {
        if (!check_sanity() || !ptr || read_only())
            return false;
        detail::object_info info;
        void *p;
        {
            std::lock_guard<std::recursive_mutex> lk(s_->mu);
            p = detail::object_unregister_ptr(s_->m, ptr, &info);
        }
        if (!p)
            return false;
        priv_destruct_free<T>(static_cast<T *>(p), priv_count<T>(info));
        return true;
    }

    /** The name of the object at @p ptr: its name, typeid(T).name() of a
     *  unique object, nullptr for an anonymous object or another pointer. */
    template <class T>
    const char_type *get_instance_name(const T *ptr) const noexcept {
        detail::object_info info;
        if (!priv_info_of(ptr, &info) || info.kind == anonymous_kind_v)
            return nullptr;
        return info.name;
    }

    /** The kind of the object at @p ptr (anonymous_kind if it is none). */
    template <class T>
    instance_kind get_instance_kind(const T *ptr) const noexcept {
        detail::object_info info;
        if (!priv_info_of(ptr, &info))
            return instance_kind();
        return static_cast<instance_kind>(info.kind);
    }

    /** The number of elements of the object at @p ptr (1, or n for an
     *  array); 0 if it is not an object. */
    template <class T>
    size_type get_instance_length(const T *ptr) const noexcept {
        detail::object_info info;
        if (!priv_info_of(ptr, &info))
            return 0;
        return priv_count<T>(info);
    }

    /** Whether the object at @p ptr was constructed as a T. */
    template <class T>
    bool is_instance_type(const void *const ptr) const noexcept {
        detail::object_info info;
        return priv_info_of(ptr, &info) && info.type_id == detail::type_id_of<T>();
    }

    /** Copy the description of the object at @p ptr into @p description
     *  ("" if it has none). @return false if @p ptr is not an object. */
    template <class T>
    bool get_instance_description(const T *ptr, std::string *description) const noexcept {
        if (!check_sanity() || !description)
            return false;
        return detail::object_get_description(s_->m, ptr, description);
    }

    /** Attach @p description to the object at @p ptr (persisted with the
     *  datastore). @return false on failure. */
    template <class T>
    bool set_instance_description(const T *ptr, const std::string &description) noexcept {
        if (!check_sanity())
            return false;
        if (detail::object_set_description(s_->m, ptr, description))
            return true;
        log_error(__LINE__, "set_instance_description failed");
        return false;
    }

    /** The number of named objects. */
    size_type get_num_named_objects() const noexcept {
        return check_sanity() ? detail::object_count(s_->m, detail::named_kind) : 0;
    }
    /** The number of unique objects. */
    size_type get_num_unique_objects() const noexcept {
        return check_sanity() ? detail::object_count(s_->m, detail::unique_kind) : 0;
    }
    /** The number of anonymous objects. */
    size_type get_num_anonymous_objects() const noexcept {
        return check_sanity() ? detail::object_count(s_->m, detail::anonymous_kind) : 0;
    }

    /** The first named object (the objects as they are now: later
     *  constructions are not seen by the iterator). */
    const_named_iterator named_begin() const noexcept { return priv_begin(detail::named_kind); }
    /** The end of the named objects. */
    const_named_iterator named_end() const noexcept { return const_named_iterator(); }
    /** The first unique object. */
    const_unique_iterator unique_begin() const noexcept {
        return priv_begin(detail::unique_kind);
    }
    /** The end of the unique objects. */
    const_unique_iterator unique_end() const noexcept { return const_unique_iterator(); }
    /** The first anonymous object. */
    const_anonymous_iterator anonymous_begin() const noexcept {
        return priv_begin(detail::anonymous_kind);
    }
    /** The end of the anonymous objects. */
    const_anonymous_iterator anonymous_end() const noexcept {
        return const_anonymous_iterator();
    }

    /* ---- raw memory --------------------------------------------------- */

    /** Allocate @p nbytes (16-byte aligned). @return nullptr on failure. */
    void *allocate(size_type nbytes) noexcept {
        if (!check_sanity())
            return nullptr;
        void *p = metall_malloc(s_->m, nbytes);
        if (!p)
            log_error(__LINE__, "allocate failed");
        return p;
    }

    /** Allocate @p nbytes aligned to @p alignment (a power of two).
     *  @return nullptr on failure. */
    void *allocate_aligned(size_type nbytes, size_type alignment) noexcept {
        if (!check_sanity())
            return nullptr;
        void *p = metall_aligned_alloc(s_->m, alignment, nbytes);
        if (!p)
            log_error(__LINE__, "allocate_aligned failed");
        return p;
    }

    /** Free memory from allocate() (nullptr is ignored). */
    void deallocate(void *addr) noexcept {
        if (check_sanity())
            metall_free(s_->m, addr);
    }

    /** Whether no memory is allocated (objects included). Walks the chunk
     *  directory: not cheap. */
    bool all_memory_deallocated() const noexcept {
        metall_stats st{};
        return check_sanity() && metall_get_stats(s_->m, &st) && st.allocated_bytes == 0;
    }

    /* ---- persistence -------------------------------------------------- */

    /** Write the heap and the management data to disk. @p synchronous is
     *  accepted for Metall's signature; the write is always synchronous.
     *  @return false on failure (logged; a metall-c extension: Metall's
     *  returns void). */
    bool flush(const bool synchronous = true) noexcept {
        (void)synchronous;
        if (!check_sanity())
            return false;
        if (metall_flush(s_->m))
            return true;
        log_error(__LINE__, "flush failed");
        return false;
    }

    /** Snapshot the datastore into the new directory @p destination_path
     *  (a consistent, closed datastore with a new uuid). Files are cloned
     *  (reflink) where the file system can, else copied sparsely;
     *  @p clone and @p num_max_copy_threads are accepted for Metall's
     *  signature. @return true on success. */
    bool snapshot(const path_type &destination_path, const bool clone = true,
                  const int num_max_copy_threads = 0) noexcept {
        (void)clone;
        (void)num_max_copy_threads;
        if (!check_sanity())
            return false;
        if (metall_snapshot(s_->m, destination_path.c_str()))
            return true;
        log_error(__LINE__, "snapshot to " + destination_path.string() + " failed");
        return false;
    }

    /** Copy the closed datastore @p source_path to the new directory
     *  @p destination_path. @return true on success. */
    static bool copy(const path_type &source_path, const path_type &destination_path,
                     const bool clone = true, const int num_max_copy_threads = 0) noexcept {
        (void)clone;
        (void)num_max_copy_threads;
        if (metall_copy(source_path.c_str(), destination_path.c_str()))
            return true;
        log_error(__LINE__, "copy to " + destination_path.string() + " failed");
        return false;
    }

    /** copy() in another thread; the future's get() returns its result. */
    static std::future<bool> copy_async(const path_type source_path,
                                        const path_type destination_path,
                                        const bool clone = true,
                                        const int num_max_copy_threads = 0) noexcept {
        try {
            return std::async(std::launch::async, [=] {
                return copy(source_path, destination_path, clone, num_max_copy_threads);
            });
        } catch (...) {
            logger::out(logger::level::error, __FILE__, __LINE__, "cannot start a thread");
        }
        return std::future<bool>();
    }

    /** Delete the datastore at @p path. @return true if it is gone
     *  (nothing there counts as success), false if @p path is not a
     *  datastore (it is left alone) or is open. */
    static bool remove(const path_type &path) noexcept {
        if (metall_remove(path.c_str()) || errno == ENOENT)
            return true;
        log_error(__LINE__, "remove(" + path.string() + ") failed");
        return false;
    }

    /** remove() in another thread; the future's get() returns its result. */
    static std::future<bool> remove_async(const path_type &path) noexcept {
        try {
            return std::async(std::launch::async, [p = path] { return remove(p); });
        } catch (...) {
            logger::out(logger::level::error, __FILE__, __LINE__, "cannot start a thread");
        }
        return std::future<bool>();
    }

    /** Whether a datastore exists at @p path, was closed properly and is
     *  not open for writing. */
    static bool consistent(const path_type &path) noexcept {
        return metall_consistent(path.c_str());
    }

    /* ---- identity and description ------------------------------------- */

    /** The datastore's uuid ("" on error). */
    std::string get_uuid() const noexcept {
        return check_sanity() ? get_uuid(s_->path) : std::string();
    }
    /** The uuid of the datastore at @p path ("" on error). */
    static std::string get_uuid(const path_type &path) noexcept {
        char u[37];
        if (!metall_get_uuid(path.c_str(), u))
            return std::string();
        try {
            return std::string(u);
        } catch (...) {
            return std::string();
        }
    }

    /** The version of the metall-c library that created the datastore
     *  (MAJOR * 100000 + MINOR * 100 + PATCH); 0 on error. */
    version_type get_version() const noexcept {
        return check_sanity() ? get_version(s_->path) : version_type();
    }
    /** The creating library's version of the datastore at @p path; 0 on
     *  error. */
    static version_type get_version(const path_type &path) noexcept {
        char v[32];
        if (!metall_get_creator_version(path.c_str(), v, sizeof v))
            return version_type();
        unsigned a = 0, b = 0, c = 0;
        if (std::sscanf(v, "%u.%u.%u", &a, &b, &c) != 3)
            return version_type();
        return static_cast<version_type>(a * 100000u + b * 100u + c);
    }

    /** Set the datastore's description (replacing the previous one).
     *  @return false on failure. */
    bool set_description(const std::string &description) noexcept {
        if (!check_sanity())
            return false;
        if (metall_set_description(s_->m, description.c_str()))
            return true;
        log_error(__LINE__, "set_description failed");
        return false;
    }
    /** Set the description of the closed datastore at @p path.
     *  @return false on failure (e.g. the datastore is open for writing). */
    static bool set_description(const path_type &path, const std::string &description) noexcept {
        if (metall_set_description_at(path.c_str(), description.c_str()))
            return true;
        log_error(__LINE__, "set_description(" + path.string() + ") failed");
        return false;
    }
    /** Copy the datastore's description into @p description.
     *  @return false if there is none (@p description is then unchanged)
     *  or on error. */
    bool get_description(std::string *description) const noexcept {
        return check_sanity() && get_description(s_->path, description);
    }
    /** Copy the description of the datastore at @p path into
     *  @p description. @return false if there is none or on error. */
    static bool get_description(const path_type &path, std::string *description) noexcept {
        if (!description)
            return false;
        return detail::read_description(path.c_str(), description);
    }

    /* ---- attributes without opening ------------------------------------ */

    /** The named objects of the datastore at @p path, read from its
     *  management files without mapping the heap. */
    static named_object_attribute_accessor_type
    access_named_object_attribute(const path_type &path) noexcept {
        return named_object_attribute_accessor_type(path.string());
    }
    /** The unique objects of the datastore at @p path (see
     *  access_named_object_attribute()). */
    static unique_object_attribute_accessor_type
    access_unique_object_attribute(const path_type &path) noexcept {
        return unique_object_attribute_accessor_type(path.string());
    }
    /** The anonymous objects of the datastore at @p path (see
     *  access_named_object_attribute()). */
    static anonymous_object_attribute_accessor_type
    access_anonymous_object_attribute(const path_type &path) noexcept {
        return anonymous_object_attribute_accessor_type(path.string());
    }

    /* ---- the rest ----------------------------------------------------- */

    /** An allocator of this datastore (of no datastore if the manager
     *  failed: its allocate() throws std::bad_alloc). */
    template <typename T = std::byte>
    allocator_type<T> get_allocator() const noexcept {
        if (!check_sanity())
            return allocator_type<T>(nullptr);
        return allocator_type<T>(detail::heap_base_t{}, detail::heap_base(s_->m));
    }

    /** The chunk size of the heap (2 MiB). */
    static constexpr size_type chunk_size() noexcept { return k_chunk_size; }

    /** The first byte of the heap's mapping (nullptr if not sane). */
    const void *get_address() const noexcept {
        return check_sanity() ? detail::heap_base(s_->m) : nullptr;
    }

    /** The heap's capacity: the address space reserved for it (bytes). */
    size_type get_size() const noexcept {
        metall_stats st{};
        return check_sanity() && metall_get_stats(s_->m, &st) ? st.capacity : 0;
    }

    /** Whether the datastore was opened read-only (true if not sane). */
    bool read_only() const noexcept { return !check_sanity() || metall_is_read_only(s_->m); }

    /** Whether the manager holds an open datastore. */
    bool check_sanity() const noexcept { return s_ && s_->m; }

    /** Print the datastore's statistics to @p log_out (an ostream). */
    template <typename out_stream_type>
    void profile(out_stream_type *log_out) noexcept {
        metall_stats st{};
        if (!check_sanity() || !log_out || !metall_get_stats(s_->m, &st))
            return;
        try {
            *log_out << "datastore " << s_->path << "\n"
                     << "allocated bytes " << st.allocated_bytes << "\n"
                     << "segment bytes " << st.segment_bytes << "\n"
                     << "file bytes " << st.file_bytes << "\n"
                     << "capacity " << st.capacity << "\n"
                     << "named objects " << get_num_named_objects() << "\n"
                     << "unique objects " << get_num_unique_objects() << "\n"
                     << "anonymous objects " << get_num_anonymous_objects() << "\n";
        } catch (...) {
        }
    }

    /** The C handle of the datastore (nullptr if not sane), for the
     *  functions of metall.h (a metall-c extension). */
    metall_manager *get_c_manager() const noexcept { return s_ ? s_->m : nullptr; }

private:
    static constexpr int anonymous_kind_v = detail::anonymous_kind;

    template <class T>
    static const char *priv_name(const detail::char_ptr_holder &h) noexcept {
        return h.is_unique() ? typeid(T).name() : h.get();
    }

    /* Elements of an object: the count it was constructed with, or for an
     * untyped (C) object its bytes over sizeof(T). */
    template <class T>
    static size_type priv_count(const detail::object_info &info) noexcept {
        if (info.type_id == 0)
            return sizeof(T) ? info.length / sizeof(T) : 0;
        return info.count;
    }

    void *priv_find(int kind, const char *name, detail::object_info *info) const noexcept {
        return detail::object_find(s_->m, kind, name, info);
    }

    bool priv_info_of(const void *ptr, detail::object_info *info) const noexcept {
        return check_sanity() && ptr && detail::object_info_of(s_->m, ptr, info);
    }

    const_named_iterator priv_begin(int kind) const noexcept {
        if (!check_sanity())
            return const_named_iterator();
        return detail::object_iterator(detail::object_list::of_manager(s_->m, kind), 0);
    }

    template <class T>
    static void priv_destruct_free_raw(metall_manager *m, T *p, size_type n) {
        for (size_type i = n; i > 0; --i)
            p[i - 1].~T();
        metall_free(m, p);
    }

    template <class T>
    void priv_destruct_free(T *p, size_type n) {
        priv_destruct_free_raw(s_->m, p, n);
    }

    template <class T>
    bool priv_destroy(const detail::char_ptr_holder &name) {
        if (!check_sanity() || read_only() || name.is_anonymous())
            return false;
        detail::object_info info;
        void *p;
        {
            std::lock_guard<std::recursive_mutex> lk(s_->mu);
            p = detail::object_unregister(s_->m, name.kind(), priv_name<T>(name), &info);
        }
        if (!p)
            return false;
        priv_destruct_free<T>(static_cast<T *>(p), priv_count<T>(info));
        return true;
    }

    template <class T, class Init>
    T *priv_generic_construct(const detail::char_ptr_holder &name, size_type n, bool find_first,
                              Init &init) {
        if (!check_sanity())
            return nullptr;
        std::unique_lock<std::recursive_mutex> lk(s_->mu, std::defer_lock);
        const char *nm = priv_name<T>(name);
        if (!name.is_anonymous()) {
            lk.lock();
            detail::object_info info;
            if (void *p = priv_find(name.kind(), nm, &info))
                return find_first ? static_cast<T *>(p) : nullptr;
        }
        if (n > std::numeric_limits<size_type>::max() / sizeof(T)) {
            logger::out(logger::level::error, __FILE__, __LINE__, "array size overflows");
            return nullptr;
        }
        void *raw = detail::object_alloc(s_->m, name.kind(), nm, n * sizeof(T), alignof(T), n,
                                         detail::type_id_of<T>());
        if (!raw) {
            log_error(__LINE__, std::string("construct of '") + (nm ? nm : "") + "' failed");
            return nullptr;
        }
        T *p = static_cast<T *>(raw);
        size_type i = 0;
        try {
            for (; i < n; ++i)
                init(p + i, i, n);
        } catch (...) {
            detail::object_info info;
            detail::object_unregister_ptr(s_->m, p, &info);
            while (i > 0)
                p[--i].~T();
            metall_free(s_->m, p);
            throw;
        }
        return p;
    }
};

} // namespace metall

#endif /* METALL_BASIC_MANAGER_HPP */
