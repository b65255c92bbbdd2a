/*
 * bip_shim.h - a C interface to a Boost.Interprocess managed_mapped_file
 * heap (bip_shim.cpp), for alloc_bench's Boost baseline.
 */
#ifndef ALLOC_BENCH_BIP_SHIM_H
#define ALLOC_BENCH_BIP_SHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bip_heap bip_heap;

/** Create a managed_mapped_file of @p size bytes at @p path (which must not
 *  exist). @return the heap, or NULL after printing why to stderr. */
bip_heap *bip_create(const char *path, size_t size);
/** Unmap and release the heap (the file stays). */
void bip_destroy(bip_heap *h);
/** allocate(size, nothrow): NULL when the file is full. */
void *bip_alloc(bip_heap *h, size_t size);
/** deallocate(p). */
void bip_free(bip_heap *h, void *p);
/** Grow @p p to @p newsz keeping @p oldsz bytes: allocation_command with
 *  expand_fwd | allocate_new (what Boost.Container does), copying and
 *  freeing the old object when it could not grow in place. NULL on
 *  failure (p untouched). */
void *bip_realloc(bip_heap *h, void *p, size_t oldsz, size_t newsz);

#ifdef __cplusplus
}
#endif

#endif
