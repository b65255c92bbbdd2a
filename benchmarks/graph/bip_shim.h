/*
 * bip_shim.h - C interface to Boost.Interprocess managed_mapped_file
 * (backend_bip.cpp), used by graph_bench's "bip" baseline.
 */
#ifndef GRAPH_BIP_SHIM_H
#define GRAPH_BIP_SHIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bip_file bip_file;

/* All return NULL/false and fill err on failure (exceptions are caught). */
bip_file *bip_create(const char *path, size_t size, char *err, size_t errlen);
bip_file *bip_open(const char *path, char *err, size_t errlen);
int bip_close(bip_file *f); /* flush + unmap; 1 on success */
void *bip_named_alloc(bip_file *f, const char *name, size_t size);
void *bip_named_find(bip_file *f, const char *name);
void *bip_alloc(bip_file *f, size_t size);
void bip_free(bip_file *f, void *p);
void *bip_base(bip_file *f);
size_t bip_usable(bip_file *f, const void *p);
size_t bip_used_bytes(bip_file *f);

#ifdef __cplusplus
}
#endif

#endif
