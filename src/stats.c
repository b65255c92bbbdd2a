/*
 * stats.c - metall_get_stats(): a consistent cut of the allocator's state
 * (taken under the same locks as flush), plus disk usage from the files.
 */
#include "bin.h"
#include "layout.h"
#include "error.h"
#include "os.h"
#include "sizeclass.h"
#include "tcache.h"

bool metall_get_stats(metall_manager *m, metall_stats *out)
{
    mc_error_clear();
    if (!m || !out)
        return mc_fail(EINVAL, "metall: NULL manager or output"), false;
    if (mc_check_owner(m))
        return false;
    uint64_t cached[MC_NCLASSES];
    tcache_count(m, cached);
    size_t allocated = 0;
    bin_lock_all(m);
    pthread_mutex_lock(&m->chunks.lock);
    const struct chunk_dir *cd = &m->chunks;
    for (uint32_t i = 0; i < cd->nchunks; i++) {
        const struct chunk_info *ci = &cd->info[i];
        if (ci->kind == MC_CHUNK_SMALL)
            allocated += (size_t)(mc_classes[ci->cls].nslots - ci->val) * mc_classes[ci->cls].size;
        else if (ci->kind == MC_CHUNK_LARGE)
            allocated += (size_t)ci->val << MC_CHUNK_SHIFT;
    }
    size_t segment = (size_t)m->seg.nblocks * m->seg.block_size;
    pthread_mutex_unlock(&m->chunks.lock);
    bin_unlock_all(m);
    for (unsigned c = 0; c < MC_NCLASSES; c++) {
        size_t b = (size_t)cached[c] * mc_classes[c].size;
        allocated = allocated > b ? allocated - b : 0;
    }
    uint64_t du = 0;
    int rc = os_disk_usage(m->path, &du);
    if (rc)
        return mc_fail_sys(rc, "%s: cannot measure disk usage", m->path), false;
    out->allocated_bytes = allocated;
    out->segment_bytes = segment;
    out->file_bytes = (size_t)du;
    out->named_objects = metall_named_count(m);
    out->capacity = m->seg.capacity;
    return true;
}
