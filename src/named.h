/*
 * named.h - the named-object directory (name -> offset, length, description).
 */
#ifndef METALLC_NAMED_H
#define METALLC_NAMED_H

#include "types.h"

int named_init(struct named_dir *d);
void named_destroy(struct named_dir *d);

/* Insert without locking or checks beyond duplicates (loading). EEXIST on a
 * duplicate name. desc may be NULL. */
int named_insert(struct named_dir *d, const char *name, size_t name_len, uint64_t offset,
                 uint64_t length, const char *desc, size_t desc_len);

/* Check a user-supplied name; sets EINVAL with a message. */
int named_check_name(const metall_manager *m, const char *name);

#endif
