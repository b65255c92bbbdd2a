/*
 * sizeclass.c - the size class table, spelled out so that the fast path
 * reads constants and the on-disk format can pin it (mc_class_table_crc).
 */
#include "sizeclass.h"

#include "checksum.h"

#define CAP(sz) ((sz) <= 1024 ? 64u : ((65536u / (sz)) < 4u ? 4u : 65536u / (sz)))
#define NS(sz) ((uint32_t)(MC_CHUNK_SIZE / (sz)))
#define C(sz)                                                                       \
    {                                                                               \
        (sz), NS(sz), (NS(sz) + 63u) / 64u,                                         \
            (uint32_t)((((uint64_t)1 << 32) + (sz) - 1) / (sz)), CAP(sz)            \
    }
#define Q(base) C((base) * 5 / 4), C((base) * 6 / 4), C((base) * 7 / 4), C((base) * 2)

const struct class_info mc_classes[MC_NCLASSES] = {
    C(8), C(16), C(32), C(48), C(64), C(80), C(96), C(112), C(128),
    Q(128u), Q(256u), Q(512u), Q(1024u), Q(2048u), Q(4096u), Q(8192u),
    Q(16384u), Q(32768u), Q(65536u), Q(131072u), Q(262144u), Q(524288u),
};

uint32_t mc_class_table_crc(void)
{
    uint32_t sizes[MC_NCLASSES];
    for (unsigned i = 0; i < MC_NCLASSES; i++)
        sizes[i] = mc_classes[i].size;
    return mc_crc32c(0, sizes, sizeof sizes);
}
