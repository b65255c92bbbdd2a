/**
 * @file tags.hpp
 * @brief The tags of Metall's API: how a manager opens its datastore, and
 *        the pseudo-names of unique and anonymous objects.
 */
#ifndef METALL_TAGS_HPP
#define METALL_TAGS_HPP

namespace metall {

/** Tag type: create a new datastore. */
struct create_only_t {};
/** Tag type: open an existing datastore for reading and writing. */
struct open_only_t {};
/** Tag type: open an existing datastore read-only. */
struct open_read_only_t {};

/** Create a new datastore (replacing an existing datastore at the path). */
[[maybe_unused]] static const create_only_t create_only{};
/** Open an existing datastore for reading and writing. */
[[maybe_unused]] static const open_only_t open_only{};
/** Open an existing datastore read-only. */
[[maybe_unused]] static const open_read_only_t open_read_only{};

namespace detail {
/* Never defined: only pointers to them exist, as tags. */
struct unique_instance_t;
struct anonymous_instance_t;
} // namespace detail

/** In place of a name: the one object of its type
 *  (`m.construct<T>(metall::unique_instance)()`). */
[[maybe_unused]] static const detail::unique_instance_t *unique_instance = nullptr;
/** In place of a name: an object without a name, found again only through
 *  a pointer to it (or the anonymous-object iterators). */
[[maybe_unused]] static const detail::anonymous_instance_t *anonymous_instance = nullptr;

} // namespace metall

#endif /* METALL_TAGS_HPP */
