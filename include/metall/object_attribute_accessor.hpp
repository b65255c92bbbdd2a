/**
 * @file object_attribute_accessor.hpp
 * @brief The attributes of a datastore's objects (name, offset, length,
 *        type, description): the iterator of manager::named_begin() and
 *        friends, and the accessors of manager::access_*_object_attribute()
 *        that read them from a closed datastore without mapping its heap.
 */
#ifndef METALL_OBJECT_ATTRIBUTE_ACCESSOR_HPP
#define METALL_OBJECT_ATTRIBUTE_ACCESSOR_HPP

#include <metall/detail/named_proxy.hpp>
#include <metall/logger.hpp>
#include <metall/metall.h>
#include <metall/tags.hpp>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

namespace metall {

namespace detail {

using object_info = metall_object_info;

/* The type identity recorded for objects of T (never 0: 0 is untyped). */
template <class T>
std::uint64_t type_id_of() noexcept {
    const std::uint64_t h = typeid(T).hash_code();
    return h ? h : 1;
}

inline void *object_alloc(metall_manager *m, int kind, const char *name, std::size_t bytes,
                          std::size_t align, std::size_t count, std::uint64_t type_id) noexcept {
    return metall_object_alloc(m, static_cast<metall_object_kind>(kind), name, bytes, align,
                               count, type_id);
}

inline void *object_find(metall_manager *m, int kind, const char *name,
                         object_info *info) noexcept {
    return metall_object_find(m, static_cast<metall_object_kind>(kind), name, info);
}

inline bool object_info_of(metall_manager *m, const void *ptr, object_info *info) noexcept {
    return metall_object_info_of(m, ptr, info);
}

inline void *object_unregister(metall_manager *m, int kind, const char *name,
                               object_info *info) noexcept {
    return metall_object_unregister(m, static_cast<metall_object_kind>(kind), name, info);
}

inline void *object_unregister_ptr(metall_manager *m, const void *ptr, object_info *info) noexcept {
    return metall_object_unregister_ptr(m, ptr, info) ? info->ptr : nullptr;
}

inline std::size_t object_count(metall_manager *m, int kind) noexcept {
    return metall_object_count(m, static_cast<metall_object_kind>(kind));
}

inline bool object_get_description(metall_manager *m, const void *ptr,
                                   std::string *out) noexcept {
    object_info info;
    if (!ptr || !metall_object_info_of(m, ptr, &info))
        return false;
    try {
        std::string s(info.description_length + 1, '\0');
        if (!metall_object_get_description(m, ptr, s.data(), s.size()))
            return false;
        s.resize(std::char_traits<char>::length(s.c_str()));
        *out = std::move(s);
        return true;
    } catch (...) {
        return false;
    }
}

inline bool object_set_description(metall_manager *m, const void *ptr,
                                   const std::string &text) noexcept {
    return ptr && metall_object_set_description(m, ptr, text.c_str());
}

/* The description of the datastore at path: false if there is none. */
inline bool read_description(const char *path, std::string *out) noexcept {
    try {
        std::string s(METALL_DESCRIPTION_MAX + 1, '\0');
        if (!metall_get_description(path, s.data(), s.size()))
            return false;
        s.resize(std::char_traits<char>::length(s.c_str()));
        if (s.empty())
            return false;
        *out = std::move(s);
        return true;
    } catch (...) {
        return false;
    }
}

/* The attributes of one object, copied out of the directory. */
class object_entry {
public:
    object_entry() = default;
    explicit object_entry(const object_info &i)
        : name_(i.name ? i.name : ""), offset_(static_cast<std::ptrdiff_t>(i.offset)),
          length_(i.type_id ? i.count : i.length), type_id_(static_cast<std::size_t>(i.type_id)),
          description_(i.description ? i.description : "") {}

    /* Its name (typeid(T).name() of a unique object; "" if anonymous). */
    const std::string &name() const noexcept { return name_; }
    /* Its offset from the heap's base. */
    const std::ptrdiff_t &offset() const noexcept { return offset_; }
    /* Its number of elements (bytes for an untyped object made in C). */
    const std::size_t &length() const noexcept { return length_; }
    /* The identity of its type (typeid(T).hash_code(); 0 if untyped). */
    const std::size_t &type_id() const noexcept { return type_id_; }
    /* Its description ("" if none). */
    const std::string &description() const noexcept { return description_; }
    /* Whether it was constructed as a T. */
    template <typename T>
    bool is_type() const noexcept {
        return type_id_ == static_cast<std::size_t>(type_id_of<T>());
    }

private:
    friend class object_list;
    std::string name_;
    std::ptrdiff_t offset_ = 0;
    std::size_t length_ = 0;
    std::size_t type_id_ = 0;
    std::string description_;
};

class object_iterator;

/* A list of entries shared by the iterators over it. */
class object_list {
public:
    using entries = std::vector<object_entry>;

    /* The objects of kind of an open manager (empty on failure). */
    static std::shared_ptr<entries> of_manager(metall_manager *m, int kind) noexcept {
        auto l = make();
        if (l && metall_object_foreach(m, static_cast<metall_object_kind>(kind), add, l.get()) != 0)
            l.reset();
        return l;
    }

    /* The objects of kind of the closed datastore at path (nullptr on failure). */
    static std::shared_ptr<entries> of_path(const std::string &path, int kind) noexcept {
        auto l = make();
        if (l && metall_object_foreach_at(path.c_str(), static_cast<metall_object_kind>(kind),
                                          add, l.get()) != 0)
            l.reset();
        return l;
    }

    static void set_description(object_entry &e, const std::string &d) { e.description_ = d; }

private:
    static std::shared_ptr<entries> make() noexcept {
        try {
            return std::make_shared<entries>();
        } catch (...) {
            return nullptr;
        }
    }
    static int add(const object_info *info, void *ctx) noexcept {
        try {
            static_cast<entries *>(ctx)->emplace_back(*info);
            return 0;
        } catch (...) {
            return -2;
        }
    }
};

/* A bidirectional iterator over an object_list (the type of all of
 * Metall's const_named/unique/anonymous_iterator). A default-constructed
 * iterator is an end iterator of any list; dereferencing an end iterator
 * gives an empty entry instead of undefined behaviour. */
class object_iterator {
    std::shared_ptr<object_list::entries> l_;
    std::size_t i_ = 0;

    bool at_end() const noexcept { return !l_ || i_ >= l_->size(); }
    static const object_entry &empty() noexcept {
        static const object_entry e;
        return e;
    }

public:
    using iterator_category = std::bidirectional_iterator_tag;
    using value_type = object_entry;
    using difference_type = std::ptrdiff_t;
    using pointer = const object_entry *;
    using reference = const object_entry &;

    object_iterator() noexcept = default;
    object_iterator(std::shared_ptr<object_list::entries> l, std::size_t i) noexcept
        : l_(std::move(l)), i_(i) {}

    reference operator*() const noexcept { return at_end() ? empty() : (*l_)[i_]; }
    pointer operator->() const noexcept { return &**this; }
    object_iterator &operator++() noexcept {
        ++i_;
        return *this;
    }
    object_iterator operator++(int) noexcept {
        object_iterator t(*this);
        ++i_;
        return t;
    }
    object_iterator &operator--() noexcept {
        --i_;
        return *this;
    }
    object_iterator operator--(int) noexcept {
        object_iterator t(*this);
        --i_;
        return t;
    }
    friend bool operator==(const object_iterator &a, const object_iterator &b) noexcept {
        if (a.at_end() || b.at_end())
            return a.at_end() && b.at_end();
        return a.l_ == b.l_ && a.i_ == b.i_;
    }
    friend bool operator!=(const object_iterator &a, const object_iterator &b) noexcept {
        return !(a == b);
    }

    /* The list and the entry this iterator points at (accessors). */
    object_list::entries *list() const noexcept { return l_.get(); }
    std::size_t index() const noexcept { return i_; }
};

/* What the three accessors share: the entries of one kind of a closed
 * datastore, and writing descriptions back to it. */
class object_attr_accessor_base {
protected:
    std::shared_ptr<object_list::entries> l_;
    std::string path_;
    int kind_ = named_kind;

    object_attr_accessor_base() noexcept = default;
    object_attr_accessor_base(const std::string &path, int kind) noexcept : kind_(kind) {
        try {
            path_ = path;
        } catch (...) {
            return;
        }
        l_ = object_list::of_path(path, kind);
        if (!l_) {
            std::string msg = "cannot read the objects of " + path;
            const char *e = metall_errmsg();
            if (e && *e)
                msg = msg + ": " + e;
            logger::out(logger::level::error, __FILE__, __LINE__, msg.c_str());
        }
    }

    object_iterator priv_find(const char *name) const noexcept {
        if (!l_ || !name)
            return object_iterator();
        for (std::size_t i = 0; i < l_->size(); ++i)
            if ((*l_)[i].name() == name)
                return object_iterator(l_, i);
        return object_iterator();
    }

    bool priv_set_description(const object_iterator &pos, const std::string &text) noexcept {
        if (!l_ || pos.list() != l_.get() || pos == object_iterator())
            return false;
        object_entry &e = (*l_)[pos.index()];
        if (!metall_object_set_description_at(path_.c_str(),
                                              static_cast<metall_object_kind>(kind_),
                                              kind_ == anonymous_kind ? nullptr : e.name().c_str(),
                                              static_cast<std::uint64_t>(e.offset()),
                                              text.c_str())) {
            std::string msg = std::string("cannot set a description: ") + metall_errmsg();
            logger::out(logger::level::error, __FILE__, __LINE__, msg.c_str());
            return false;
        }
        try {
            object_list::set_description(e, text);
        } catch (...) {
            return false;
        }
        return true;
    }

public:
    /** The type of counts. */
    using size_type = std::size_t;
    /** The type of names. */
    using name_type = std::string;
    /** The type of offsets. */
    using offset_type = std::ptrdiff_t;
    /** The type of lengths. */
    using length_type = std::size_t;
    /** The type of descriptions. */
    using description_type = std::string;
    /** The iterator over the objects' attributes. */
    using const_iterator = object_iterator;

    /** Whether the datastore's object directory could be read. */
    bool good() const noexcept { return static_cast<bool>(l_); }
    /** The number of objects. */
    size_type num_objects() const noexcept { return l_ ? l_->size() : 0; }
    /** The first object's attributes. */
    const_iterator begin() const noexcept { return l_ ? object_iterator(l_, 0) : object_iterator(); }
    /** The end of the objects. */
    const_iterator end() const noexcept { return object_iterator(); }
    /** Set the description of the object at @p position in the datastore
     *  (which must be closed). @return false on failure. */
    bool set_description(const_iterator position, const description_type &description) noexcept {
        return priv_set_description(position, description);
    }
};

} // namespace detail

/** The attributes of the named objects of a closed datastore
 *  (manager::access_named_object_attribute()). */
class named_object_attr_accessor : public detail::object_attr_accessor_base {
public:
    /** An accessor of nothing (good() is false). */
    named_object_attr_accessor() noexcept = default;
    /** Read the named objects of the datastore at @p path. */
    explicit named_object_attr_accessor(const std::string &path) noexcept
        : object_attr_accessor_base(path, detail::named_kind) {}
    /** 1 if an object is named @p name, else 0. */
    size_type count(const char *name) const noexcept { return find(name) != end(); }
    /** The object named @p name, or end(). */
    const_iterator find(const char *name) const noexcept { return priv_find(name); }
    using object_attr_accessor_base::set_description;
    /** Set the description of the object named @p name. */
    bool set_description(const char *name, const description_type &description) noexcept {
        return priv_set_description(find(name), description);
    }
};

/** The attributes of the unique objects of a closed datastore
 *  (manager::access_unique_object_attribute()); a unique object's name is
 *  typeid(T).name(). */
class unique_object_attr_accessor : public detail::object_attr_accessor_base {
public:
    /** An accessor of nothing (good() is false). */
    unique_object_attr_accessor() noexcept = default;
    /** Read the unique objects of the datastore at @p path. */
    explicit unique_object_attr_accessor(const std::string &path) noexcept
        : object_attr_accessor_base(path, detail::unique_kind) {}
    /** 1 if there is a unique object named @p name, else 0. */
    size_type count(const char *name) const noexcept { return find(name) != end(); }
    /** 1 if there is a unique object of type T, else 0. */
    template <typename T>
    size_type count(const decltype(unique_instance) &) const noexcept {
        return count(typeid(T).name());
    }
    /** The unique object named @p name, or end(). */
    const_iterator find(const char *name) const noexcept { return priv_find(name); }
    /** The unique object of type T, or end(). */
    template <typename T>
    const_iterator find(const decltype(unique_instance) &) const noexcept {
        return find(typeid(T).name());
    }
    using object_attr_accessor_base::set_description;
    /** Set the description of the unique object named @p name. */
    bool set_description(const char *name, const description_type &description) noexcept {
        return priv_set_description(find(name), description);
    }
    /** Set the description of the unique object of type T. */
    template <typename T>
    bool set_description(const decltype(unique_instance) &,
                         const description_type &description) noexcept {
        return priv_set_description(find(typeid(T).name()), description);
    }
};

/** The attributes of the anonymous objects of a closed datastore
 *  (manager::access_anonymous_object_attribute()). */
class anonymous_object_attr_accessor : public detail::object_attr_accessor_base {
public:
    /** An accessor of nothing (good() is false). */
    anonymous_object_attr_accessor() noexcept = default;
    /** Read the anonymous objects of the datastore at @p path. */
    explicit anonymous_object_attr_accessor(const std::string &path) noexcept
        : object_attr_accessor_base(path, detail::anonymous_kind) {}
};

} // namespace metall

#endif /* METALL_OBJECT_ATTRIBUTE_ACCESSOR_HPP */
