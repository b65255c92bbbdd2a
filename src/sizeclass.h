/*
 * sizeclass.h - size classes of small objects.
 *
 * 8, then 16..128 in steps of 16, then four classes per doubling up to
 * 1 MiB (160, 192, 224, 256, 320, ...). Every class above 8 is a multiple
 * of 16, so slots (which start at the chunk's 2 MiB-aligned base) are
 * 16-byte aligned, and a power-of-two class is aligned to its size.
 */
#ifndef METALLC_SIZECLASS_H
#define METALLC_SIZECLASS_H

#include "types.h"

struct class_info {
    uint32_t size;           /* slot size */
    uint32_t nslots;         /* slots per chunk */
    uint32_t words;          /* bitmap words per chunk */
    uint32_t div_magic;      /* slot index = (offset_in_chunk * magic) >> 32 */
    uint32_t tcache_cap;     /* thread cache capacity */
};

extern const struct class_info mc_classes[MC_NCLASSES];

/* The class of a request of s bytes (s <= MC_SMALL_MAX). */
static inline unsigned mc_size_class(size_t s)
{
    if (s <= 8)
        return 0;
    if (s <= 128)
        return (unsigned)((s + 15) >> 4);
    unsigned p = 63u - (unsigned)__builtin_clzll((unsigned long long)(s - 1));
    return 8u + (p - 7u) * 4u + (unsigned)(((s - 1) >> (p - 2)) & 3u) + 1u;
}

/* CRC of the class size table, stored in PATH/chunks to detect a build
 * with other classes. */
uint32_t mc_class_table_crc(void);

#endif
