/*
 * named.h - the object directory (kind + name or offset -> object, length,
 * element count, type id, description). See named.c.
 */
#ifndef METALLC_NAMED_H
#define METALLC_NAMED_H

#include "types.h"

int named_init(struct named_dir *d);
void named_destroy(struct named_dir *d);

/* An entry to insert (the strings need not be NUL-terminated). */
struct named_rec {
    unsigned kind;        /* metall_object_kind */
    const char *name;     /* "" for anonymous */
    size_t name_len;
    uint64_t offset, length, count, type_id;
    const char *desc;     /* may be NULL */
    size_t desc_len;
};

/* Insert without locking or checks beyond duplicates (loading): EEXIST if
 * the kind+name or the offset is taken, ENOMEM. */
int named_insert(struct named_dir *d, const struct named_rec *r);

/* Lookups and removal; the caller holds the lock. */
struct named_entry *named_find(const struct named_dir *d, unsigned kind, const char *name);
struct named_entry *named_find_off(const struct named_dir *d, uint64_t offset);
void named_remove(struct named_dir *d, struct named_entry *e);
void named_entry_free(struct named_entry *e);

/* Replace e's description with text (len bytes, 0 = none); -1 on ENOMEM. */
int named_set_desc(struct named_dir *d, struct named_entry *e, const char *text, size_t len);

/* Call fn for every entry of kind (-1: all kinds) until it returns non-zero;
 * fn may remove the entry it is given. */
int named_visit(const struct named_dir *d, int kind, int (*fn)(struct named_entry *, void *),
                void *ctx);

/* Describe e (ptr: its address, or NULL offline). */
void named_fill_info(const struct named_entry *e, void *ptr, metall_object_info *info);

/* Check a user-supplied name / description; sets EINVAL with a message. */
int named_check_name(const metall_manager *m, const char *name);
int named_check_text(const char *path, const char *text, size_t *len);

#endif
