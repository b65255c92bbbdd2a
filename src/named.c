/*
 * named.c - the object directory: named, unique and anonymous objects
 * (metall_named_* and metall_object_*). Two chained hash tables in DRAM:
 * by kind and name (named and unique entries) and by offset (every entry).
 * Saved to PATH/names at flush/close (mgmt.c). Entries hold offsets, never
 * pointers, so the heap may move between runs.
 *
 * Locking: named.lock (rwlock) guards both tables. Creating or freeing an
 * object allocates or frees while holding it for writing, which makes
 * metall_named_find_or_malloc() atomic across threads.
 */
#include "named.h"

#include "error.h"
#include "layout.h"
#include "spare.h"
#include "tcache.h"

#include <stdlib.h>
#include <string.h>

static uint32_t hash_name(unsigned kind, const char *s, size_t n)
{
    uint32_t h = 2166136261u ^ kind; /* FNV-1a, the kind as a first byte */
    h *= 16777619u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static size_t off_bucket(const struct named_dir *d, uint64_t off)
{
    return (size_t)(((off >> 3) * 0x9e3779b97f4a7c15ull) >> 32) & (d->nbuckets - 1);
}

int named_init(struct named_dir *d)
{
    memset(d, 0, sizeof *d);
    d->nbuckets = 64;
    d->table = calloc(d->nbuckets, sizeof *d->table);
    d->by_off = calloc(d->nbuckets, sizeof *d->by_off);
    if (!d->table || !d->by_off) {
        free(d->table);
        free(d->by_off);
        d->table = d->by_off = NULL;
        return -1;
    }
    pthread_rwlock_init(&d->lock, NULL);
    return 0;
}

void named_destroy(struct named_dir *d)
{
    if (!d->table)
        return;
    for (size_t i = 0; i < d->nbuckets; i++) {
        struct named_entry *e = d->by_off[i];
        while (e) {
            struct named_entry *n = e->next_off;
            free(e->desc);
            free(e);
            e = n;
        }
    }
    free(d->table);
    free(d->by_off);
    d->table = d->by_off = NULL;
    pthread_rwlock_destroy(&d->lock);
}

static struct named_entry *lookup(const struct named_dir *d, unsigned kind, const char *name,
                                  size_t n)
{
    uint32_t h = hash_name(kind, name, n);
    for (struct named_entry *e = d->table[h & (d->nbuckets - 1)]; e; e = e->next)
        if (e->hash == h && e->kind == kind && e->name_len == n &&
            memcmp(e->name, name, n) == 0)
            return e;
    return NULL;
}

static struct named_entry *lookup_off(const struct named_dir *d, uint64_t off)
{
    for (struct named_entry *e = d->by_off[off_bucket(d, off)]; e; e = e->next_off)
        if (e->offset == off)
            return e;
    return NULL;
}

static void grow(struct named_dir *d)
{
    size_t nb = d->nbuckets * 2;
    struct named_entry **t = calloc(nb, sizeof *t), **o = calloc(nb, sizeof *o);
    if (!t || !o) { /* keep the longer chains */
        free(t);
        free(o);
        return;
    }
    struct named_entry **old_off = d->by_off;
    size_t old_nb = d->nbuckets;
    free(d->table);
    d->table = t;
    d->by_off = o;
    d->nbuckets = nb;
    for (size_t i = 0; i < old_nb; i++) {
        struct named_entry *e = old_off[i];
        while (e) {
            struct named_entry *n = e->next_off;
            e->next_off = o[off_bucket(d, e->offset)];
            o[off_bucket(d, e->offset)] = e;
            if (e->kind != METALL_OBJECT_ANONYMOUS) {
                e->next = t[e->hash & (nb - 1)];
                t[e->hash & (nb - 1)] = e;
            }
            e = n;
        }
    }
    free(old_off);
}

/* Bytes of an entry's record in the names image (mgmt.c, build_names). */
static size_t record_size(size_t name_len, size_t desc_len)
{
    return sizeof(struct mc_name_record) + ((name_len + desc_len + 7) & ~(size_t)7);
}

static size_t desc_len_of(const struct named_entry *e)
{
    return e->desc ? strlen(e->desc) : 0;
}

/* Close must be able to write the names image once it holds `more` bytes
 * of records more (spare.h): 0, or -1 with ENOSPC. Write lock held. */
static int names_reserved(metall_manager *m, size_t more)
{
    return mc_spare_reserve(m, MC_SPARE_NAMES,
                            mc_names_image_bytes(m->named.record_bytes + more));
}

int named_insert(struct named_dir *d, const struct named_rec *r)
{
    if ((r->kind != METALL_OBJECT_ANONYMOUS && lookup(d, r->kind, r->name, r->name_len)) ||
        lookup_off(d, r->offset)) {
        errno = EEXIST;
        return -1;
    }
    struct named_entry *e = malloc(sizeof *e + r->name_len + 1);
    if (!e) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(e->name, r->name, r->name_len);
    e->name[r->name_len] = '\0';
    e->name_len = (uint32_t)r->name_len;
    e->kind = (uint8_t)r->kind;
    e->hash = hash_name(r->kind, r->name, r->name_len);
    e->offset = r->offset;
    e->length = r->length;
    e->count = r->count;
    e->type_id = r->type_id;
    e->desc = NULL;
    if (r->desc && r->desc_len) {
        e->desc = malloc(r->desc_len + 1);
        if (!e->desc) {
            free(e);
            errno = ENOMEM;
            return -1;
        }
        memcpy(e->desc, r->desc, r->desc_len);
        e->desc[r->desc_len] = '\0';
    }
    if (e->kind != METALL_OBJECT_ANONYMOUS) {
        size_t b = e->hash & (d->nbuckets - 1);
        e->next = d->table[b];
        d->table[b] = e;
    } else {
        e->next = NULL;
    }
    size_t ob = off_bucket(d, e->offset);
    e->next_off = d->by_off[ob];
    d->by_off[ob] = e;
    d->kind_count[e->kind]++;
    d->record_bytes += record_size(e->name_len, desc_len_of(e));
    if (++d->count > d->nbuckets)
        grow(d);
    return 0;
}

/* Take e out of both tables (it stays allocated). */
static void unlink_entry(struct named_dir *d, struct named_entry *e)
{
    if (e->kind != METALL_OBJECT_ANONYMOUS) {
        struct named_entry **p = &d->table[e->hash & (d->nbuckets - 1)];
        while (*p != e)
            p = &(*p)->next;
        *p = e->next;
    }
    struct named_entry **q = &d->by_off[off_bucket(d, e->offset)];
    while (*q != e)
        q = &(*q)->next_off;
    *q = e->next_off;
    d->kind_count[e->kind]--;
    d->count--;
    d->record_bytes -= record_size(e->name_len, desc_len_of(e));
}

void named_entry_free(struct named_entry *e)
{
    if (e) {
        free(e->desc);
        free(e);
    }
}

void named_remove(struct named_dir *d, struct named_entry *e)
{
    unlink_entry(d, e);
    named_entry_free(e);
}

struct named_entry *named_find(const struct named_dir *d, unsigned kind, const char *name)
{
    return lookup(d, kind, name, strlen(name));
}

struct named_entry *named_find_off(const struct named_dir *d, uint64_t offset)
{
    return lookup_off(d, offset);
}

int named_visit(const struct named_dir *d, int kind, int (*fn)(struct named_entry *, void *),
                void *ctx)
{
    int rc = 0;
    for (size_t i = 0; i < d->nbuckets && !rc; i++)
        for (struct named_entry *e = d->by_off[i], *n; e && !rc; e = n) {
            n = e->next_off; /* fn may remove e */
            if (kind < 0 || e->kind == kind)
                rc = fn(e, ctx);
        }
    return rc;
}

void named_fill_info(const struct named_entry *e, void *ptr, metall_object_info *info)
{
    memset(info, 0, sizeof *info);
    info->kind = (metall_object_kind)e->kind;
    info->name = e->name;
    info->ptr = ptr;
    info->offset = e->offset;
    info->length = (size_t)e->length;
    info->count = (size_t)e->count;
    info->type_id = e->type_id;
    info->description_length = e->desc ? strlen(e->desc) : 0;
    info->description = e->desc ? e->desc : "";
}

int named_check_name(const metall_manager *m, const char *name)
{
    const char *path = m ? m->path : "metall";
    if (!m)
        return mc_fail(EINVAL, "metall: NULL manager");
    if (mc_check_owner(m)) /* its locks may be held by a parent's thread */
        return -1;
    if (!name)
        return mc_fail(EINVAL, "%s: NULL object name", path);
    size_t n = strnlen(name, METALL_NAME_MAX + 1);
    if (n == 0)
        return mc_fail(EINVAL, "%s: empty object name", path);
    if (n > METALL_NAME_MAX)
        return mc_fail(EINVAL, "%s: object name longer than %d bytes", path, METALL_NAME_MAX);
    return 0;
}

int named_check_text(const char *path, const char *text, size_t *len)
{
    if (!text)
        return mc_fail(EINVAL, "%s: NULL description", path);
    *len = strnlen(text, METALL_DESCRIPTION_MAX + 1);
    if (*len > METALL_DESCRIPTION_MAX)
        return mc_fail(EINVAL, "%s: description longer than %d bytes", path,
                       METALL_DESCRIPTION_MAX);
    return 0;
}

static bool check_writable(metall_manager *m)
{
    if (m->read_only) {
        mc_fail(EROFS, "%s: the datastore is open read-only", m->path);
        return false;
    }
    return true;
}

static const char *kind_word(unsigned kind)
{
    return kind == METALL_OBJECT_UNIQUE ? "unique object" : "object";
}

/* Check kind and name of a call; anonymous objects have no name. */
static int check_kind_name(metall_manager *m, unsigned kind, const char *name)
{
    if (!m)
        return mc_fail(EINVAL, "metall: NULL manager");
    if (mc_check_owner(m))
        return -1;
    if (kind > METALL_OBJECT_UNIQUE)
        return mc_fail(EINVAL, "%s: invalid object kind %u", m->path, kind);
    if (kind == METALL_OBJECT_ANONYMOUS)
        return name ? mc_fail(EINVAL, "%s: an anonymous object has no name", m->path) : 0;
    return named_check_name(m, name);
}

struct create_req {
    unsigned kind;
    const char *name;
    size_t size, align, count;
    uint64_t type_id;
};

/* Allocate and register under the write lock (held by the caller). */
static void *create_locked(metall_manager *m, const struct create_req *q)
{
    size_t n = q->name ? strlen(q->name) : 0;
    if (names_reserved(m, record_size(n, 0)))
        return NULL;
    void *p = q->align > 16 ? metall_aligned_alloc(m, q->align, q->size)
                            : metall_malloc(m, q->size);
    if (!p)
        return NULL;
    struct named_rec r = {q->kind, q->name ? q->name : "", n, metall_offset_of(m, p),
                          q->size, q->count, q->type_id, NULL, 0};
    if (named_insert(&m->named, &r)) {
        mc_fail(ENOMEM, "%s: out of memory for the %s '%s'", m->path, kind_word(q->kind),
                q->name ? q->name : "");
        metall_free(m, p);
        return NULL;
    }
    return p;
}

/* Find or create a named or unique object; must_create: EEXIST if found. */
static void *find_or_create(metall_manager *m, const struct create_req *q, bool *created,
                            bool must_create)
{
    if (check_kind_name(m, q->kind, q->name))
        return NULL;
    if (q->align & (q->align - 1)) {
        mc_fail(EINVAL, "%s: alignment %zu is not a power of two", m->path, q->align);
        return NULL;
    }
    if (m->read_only && !must_create && q->kind != METALL_OBJECT_ANONYMOUS) {
        void *p = metall_object_find(m, q->kind, q->name, NULL); /* all a reader can do */
        if (!p && errno == ENOENT)
            mc_fail(EROFS, "%s: no %s named '%s', and the datastore is open read-only",
                    m->path, kind_word(q->kind), q->name);
        if (p && created)
            *created = false;
        return p;
    }
    if (!check_writable(m))
        return NULL;
    struct named_dir *d = &m->named;
    void *p = NULL;
    pthread_rwlock_wrlock(&d->lock);
    struct named_entry *e =
        q->kind == METALL_OBJECT_ANONYMOUS ? NULL : named_find(d, q->kind, q->name);
    if (e) {
        if (must_create)
            mc_fail(EEXIST, "%s: an %s named '%s' exists", m->path, kind_word(q->kind),
                    q->name);
        else
            p = metall_ptr_at(m, e->offset);
        if (created)
            *created = false;
    } else {
        p = create_locked(m, q);
        if (p && created)
            *created = true;
    }
    pthread_rwlock_unlock(&d->lock);
    return p;
}

void *metall_named_malloc(metall_manager *m, const char *name, size_t size)
{
    struct create_req q = {METALL_OBJECT_NAMED, name, size, 0, size, 0};
    return find_or_create(m, &q, NULL, true);
}

void *metall_named_find_or_malloc(metall_manager *m, const char *name, size_t size,
                                  bool *created)
{
    struct create_req q = {METALL_OBJECT_NAMED, name, size, 0, size, 0};
    return find_or_create(m, &q, created, false);
}

void *metall_object_alloc(metall_manager *m, metall_object_kind kind, const char *name,
                          size_t size, size_t align, size_t count, uint64_t type_id)
{
    struct create_req q = {(unsigned)kind, name, size, align, count, type_id};
    return find_or_create(m, &q, NULL, true);
}

void *metall_object_find(metall_manager *m, metall_object_kind kind, const char *name,
                         metall_object_info *info)
{
    if (check_kind_name(m, kind, name))
        return NULL;
    if (kind == METALL_OBJECT_ANONYMOUS) {
        mc_fail(EINVAL, "%s: anonymous objects cannot be found by name", m->path);
        return NULL;
    }
    struct named_dir *d = &m->named;
    void *p = NULL;
    pthread_rwlock_rdlock(&d->lock);
    struct named_entry *e = named_find(d, kind, name);
    if (e) {
        p = metall_ptr_at(m, e->offset);
        if (info)
            named_fill_info(e, p, info);
    }
    pthread_rwlock_unlock(&d->lock);
    if (!p)
        mc_fail(ENOENT, "%s: no %s named '%s'", m->path, kind_word(kind), name);
    return p;
}

void *metall_named_find(metall_manager *m, const char *name, size_t *length)
{
    metall_object_info info;
    void *p = metall_object_find(m, METALL_OBJECT_NAMED, name, &info);
    if (p && length)
        *length = info.length;
    return p;
}

void *metall_find(metall_manager *m, const char *name)
{
    return metall_named_find(m, name, NULL);
}

/* The entry of the object at ptr (read or write lock held), else NULL. */
static struct named_entry *entry_of(metall_manager *m, const void *ptr)
{
    return ptr ? named_find_off(&m->named, metall_offset_of(m, ptr)) : NULL;
}

bool metall_object_info_of(metall_manager *m, const void *ptr, metall_object_info *info)
{
    if (!m || !info)
        return mc_fail(EINVAL, "metall: NULL manager or output"), false;
    if (mc_check_owner(m))
        return false;
    pthread_rwlock_rdlock(&m->named.lock);
    struct named_entry *e = entry_of(m, ptr);
    if (e)
        named_fill_info(e, (void *)ptr, info);
    pthread_rwlock_unlock(&m->named.lock);
    if (!e)
        mc_fail(ENOENT, "%s: %p is not a registered object", m->path, ptr);
    return e != NULL;
}

/* Unlink e (write lock held) and report it in info (name NULL). */
static void *take_entry(metall_manager *m, struct named_entry *e, metall_object_info *info)
{
    void *p = metall_ptr_at(m, e->offset);
    if (info) {
        named_fill_info(e, p, info);
        info->name = NULL;
        info->description = NULL;
    }
    named_remove(&m->named, e);
    return p;
}

void *metall_object_unregister(metall_manager *m, metall_object_kind kind, const char *name,
                               metall_object_info *info)
{
    if (check_kind_name(m, kind, name) || !check_writable(m))
        return NULL;
    if (kind == METALL_OBJECT_ANONYMOUS) {
        mc_fail(EINVAL, "%s: anonymous objects are unregistered by address", m->path);
        return NULL;
    }
    pthread_rwlock_wrlock(&m->named.lock);
    struct named_entry *e = named_find(&m->named, kind, name);
    void *p = e ? take_entry(m, e, info) : NULL;
    pthread_rwlock_unlock(&m->named.lock);
    if (!p)
        mc_fail(ENOENT, "%s: no %s named '%s'", m->path, kind_word(kind), name);
    return p;
}

bool metall_object_unregister_ptr(metall_manager *m, const void *ptr, metall_object_info *info)
{
    if (!m)
        return mc_fail(EINVAL, "metall: NULL manager"), false;
    if (mc_check_owner(m) || !check_writable(m))
        return false;
    pthread_rwlock_wrlock(&m->named.lock);
    struct named_entry *e = entry_of(m, ptr);
    if (e)
        take_entry(m, e, info);
    pthread_rwlock_unlock(&m->named.lock);
    if (!e)
        mc_fail(ENOENT, "%s: %p is not a registered object", m->path, ptr);
    return e != NULL;
}

bool metall_named_free(metall_manager *m, const char *name)
{
    if (named_check_name(m, name) || !check_writable(m))
        return false;
    struct named_dir *d = &m->named;
    pthread_rwlock_wrlock(&d->lock);
    struct named_entry *e = named_find(d, METALL_OBJECT_NAMED, name);
    if (e)
        metall_free(m, take_entry(m, e, NULL));
    pthread_rwlock_unlock(&d->lock);
    if (!e)
        mc_fail(ENOENT, "%s: no object named '%s'", m->path, name);
    return e != NULL;
}

size_t metall_object_count(metall_manager *m, metall_object_kind kind)
{
    if (!m || (unsigned)kind > METALL_OBJECT_UNIQUE) {
        mc_fail(EINVAL, "metall: NULL manager or invalid kind");
        return 0;
    }
    if (mc_check_owner(m))
        return 0;
    pthread_rwlock_rdlock(&m->named.lock);
    size_t n = m->named.kind_count[kind];
    pthread_rwlock_unlock(&m->named.lock);
    return n;
}

size_t metall_named_count(metall_manager *m)
{
    return metall_object_count(m, METALL_OBJECT_NAMED);
}

struct visit_ctx {
    metall_manager *m;
    int (*fn)(const metall_object_info *, void *);
    void *ctx;
};

static int visit_one(struct named_entry *e, void *c)
{
    struct visit_ctx *v = c;
    metall_object_info info;
    named_fill_info(e, v->m ? metall_ptr_at(v->m, e->offset) : NULL, &info);
    return v->fn(&info, v->ctx);
}

int metall_object_foreach(metall_manager *m, metall_object_kind kind,
                          int (*fn)(const metall_object_info *, void *), void *ctx)
{
    if (!m || !fn || (unsigned)kind > METALL_OBJECT_UNIQUE)
        return mc_fail(EINVAL, "metall: NULL manager or callback, or invalid kind");
    if (mc_check_owner(m))
        return -1;
    struct visit_ctx v = {m, fn, ctx};
    pthread_rwlock_rdlock(&m->named.lock);
    int rc = named_visit(&m->named, kind, visit_one, &v);
    pthread_rwlock_unlock(&m->named.lock);
    return rc;
}

struct named_visit_ctx {
    int (*fn)(const char *, void *, size_t, void *);
    void *ctx;
};

static int visit_named(const metall_object_info *info, void *c)
{
    struct named_visit_ctx *v = c;
    return v->fn(info->name, info->ptr, info->length, v->ctx);
}

int metall_named_foreach(metall_manager *m,
                         int (*fn)(const char *name, void *ptr, size_t length, void *ctx),
                         void *ctx)
{
    if (!m || !fn)
        return mc_fail(EINVAL, "metall: NULL manager or callback");
    struct named_visit_ctx v = {fn, ctx};
    return metall_object_foreach(m, METALL_OBJECT_NAMED, visit_named, &v);
}

/* Replace e's description with text (len bytes); ENOMEM. */
int named_set_desc(struct named_dir *d, struct named_entry *e, const char *text, size_t len)
{
    char *copy = NULL;
    if (len) {
        copy = malloc(len + 1);
        if (!copy)
            return -1;
        memcpy(copy, text, len);
        copy[len] = '\0';
    }
    d->record_bytes += record_size(e->name_len, len) - record_size(e->name_len, desc_len_of(e));
    free(e->desc);
    e->desc = copy;
    return 0;
}


static void copy_desc(const struct named_entry *e, char *buf, size_t bufsize)
{
    const char *s = e->desc ? e->desc : "";
    size_t l = strlen(s);
    if (l >= bufsize)
        l = bufsize - 1;
    memcpy(buf, s, l);
    buf[l] = '\0';
}

/* Set the description of the entry found by name (kind NAMED) or by ptr. */
static bool set_desc(metall_manager *m, const char *name, const void *ptr, const char *text)
{
    size_t tl;
    if (!check_writable(m) || named_check_text(m->path, text, &tl))
        return false;
    struct named_dir *d = &m->named;
    pthread_rwlock_wrlock(&d->lock);
    struct named_entry *e = name ? named_find(d, METALL_OBJECT_NAMED, name) : entry_of(m, ptr);
    size_t old = e ? record_size(e->name_len, desc_len_of(e)) : 0;
    size_t grown = e ? record_size(e->name_len, tl) : 0;
    /* a longer record: close must still be able to write it (spare.h) */
    int rc = grown > old && names_reserved(m, grown - old) ? ENOSPC : 0;
    if (e && !rc && named_set_desc(d, e, text, tl))
        rc = ENOMEM;
    pthread_rwlock_unlock(&d->lock);
    if (!e) {
        if (name)
            mc_fail(ENOENT, "%s: no object named '%s'", m->path, name);
        else
            mc_fail(ENOENT, "%s: %p is not a registered object", m->path, ptr);
        return false;
    }
    if (rc == ENOMEM)
        return mc_fail(ENOMEM, "%s: out of memory", m->path), false;
    return rc == 0;
}

static bool get_desc(metall_manager *m, const char *name, const void *ptr, char *buf,
                     size_t bufsize)
{
    if (!buf || !bufsize)
        return mc_fail(EINVAL, "%s: NULL or empty buffer", m->path), false;
    struct named_dir *d = &m->named;
    pthread_rwlock_rdlock(&d->lock);
    struct named_entry *e = name ? named_find(d, METALL_OBJECT_NAMED, name) : entry_of(m, ptr);
    if (e)
        copy_desc(e, buf, bufsize);
    pthread_rwlock_unlock(&d->lock);
    if (!e) {
        if (name)
            mc_fail(ENOENT, "%s: no object named '%s'", m->path, name);
        else
            mc_fail(ENOENT, "%s: %p is not a registered object", m->path, ptr);
    }
    return e != NULL;
}

bool metall_named_set_description(metall_manager *m, const char *name, const char *text)
{
    return !named_check_name(m, name) && set_desc(m, name, NULL, text);
}

bool metall_named_get_description(metall_manager *m, const char *name, char *buf,
                                  size_t bufsize)
{
    return !named_check_name(m, name) && get_desc(m, name, NULL, buf, bufsize);
}

bool metall_object_set_description(metall_manager *m, const void *ptr, const char *text)
{
    if (!m)
        return mc_fail(EINVAL, "metall: NULL manager"), false;
    if (mc_check_owner(m))
        return false;
    return set_desc(m, NULL, ptr, text);
}

bool metall_object_get_description(metall_manager *m, const void *ptr, char *buf,
                                   size_t bufsize)
{
    if (!m)
        return mc_fail(EINVAL, "metall: NULL manager"), false;
    if (mc_check_owner(m))
        return false;
    return get_desc(m, NULL, ptr, buf, bufsize);
}
