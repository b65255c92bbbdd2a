/**
 * @file defs.hpp
 * @brief Compile-time settings of Metall's API, with metall-c's values.
 *
 * Define METALL_DEFAULT_CAPACITY before including metall.hpp to change the
 * address space a new datastore reserves when no capacity is given. The
 * other macros describe metall-c and are informational.
 */
#ifndef METALL_DEFS_HPP
#define METALL_DEFS_HPP

/** The largest capacity a datastore can have (bytes; 4 PiB). */
#ifndef METALL_MAX_CAPACITY
#define METALL_MAX_CAPACITY (1ULL << 52ULL)
#endif

/** The capacity of a datastore created without one (bytes; 0 = metall-c's
 *  default, 4 TiB or what the process can reserve). */
#ifndef METALL_DEFAULT_CAPACITY
#define METALL_DEFAULT_CAPACITY 0ULL
#endif

/** The size of a segment block file (bytes). */
#ifndef METALL_SEGMENT_BLOCK_SIZE
#define METALL_SEGMENT_BLOCK_SIZE (1ULL << 28ULL)
#endif

#endif /* METALL_DEFS_HPP */
