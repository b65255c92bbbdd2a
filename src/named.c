/*
 * named.c - named objects: a chained hash table in DRAM, saved to PATH/names
 * at flush/close (mgmt.c). Entries hold offsets, never pointers, so the
 * heap may move between runs.
 *
 * Locking: named.lock (rwlock) guards the table. Creating or freeing a
 * named object allocates or frees while holding it for writing, which
 * makes metall_named_find_or_malloc() atomic across threads.
 */
#include "named.h"

#include "error.h"
#include "tcache.h"

#include <stdlib.h>
#include <string.h>

static uint32_t hash_name(const char *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

int named_init(struct named_dir *d)
{
    d->nbuckets = 64;
    d->count = 0;
    d->table = calloc(d->nbuckets, sizeof *d->table);
    if (!d->table)
        return -1;
    pthread_rwlock_init(&d->lock, NULL);
    return 0;
}

void named_destroy(struct named_dir *d)
{
    if (!d->table)
        return;
    for (size_t i = 0; i < d->nbuckets; i++) {
        struct named_entry *e = d->table[i];
        while (e) {
            struct named_entry *n = e->next;
            free(e->desc);
            free(e);
            e = n;
        }
    }
    free(d->table);
    d->table = NULL;
    pthread_rwlock_destroy(&d->lock);
}

static struct named_entry *lookup(const struct named_dir *d, const char *name, size_t n,
                                  uint32_t h)
{
    for (struct named_entry *e = d->table[h & (d->nbuckets - 1)]; e; e = e->next)
        if (e->hash == h && e->name_len == n && memcmp(e->name, name, n) == 0)
            return e;
    return NULL;
}

static void grow(struct named_dir *d)
{
    size_t nb = d->nbuckets * 2;
    struct named_entry **t = calloc(nb, sizeof *t);
    if (!t)
        return; /* keep the longer chains */
    for (size_t i = 0; i < d->nbuckets; i++) {
        struct named_entry *e = d->table[i];
        while (e) {
            struct named_entry *n = e->next;
            e->next = t[e->hash & (nb - 1)];
            t[e->hash & (nb - 1)] = e;
            e = n;
        }
    }
    free(d->table);
    d->table = t;
    d->nbuckets = nb;
}

int named_insert(struct named_dir *d, const char *name, size_t name_len, uint64_t offset,
                 uint64_t length, const char *desc, size_t desc_len)
{
    uint32_t h = hash_name(name, name_len);
    if (lookup(d, name, name_len, h)) {
        errno = EEXIST;
        return -1;
    }
    struct named_entry *e = malloc(sizeof *e + name_len + 1);
    if (!e) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(e->name, name, name_len);
    e->name[name_len] = '\0';
    e->name_len = (uint32_t)name_len;
    e->hash = h;
    e->offset = offset;
    e->length = length;
    e->desc = NULL;
    if (desc && desc_len) {
        e->desc = malloc(desc_len + 1);
        if (!e->desc) {
            free(e);
            errno = ENOMEM;
            return -1;
        }
        memcpy(e->desc, desc, desc_len);
        e->desc[desc_len] = '\0';
    }
    size_t b = h & (d->nbuckets - 1);
    e->next = d->table[b];
    d->table[b] = e;
    if (++d->count > d->nbuckets)
        grow(d);
    return 0;
}

static struct named_entry *unlink_entry(struct named_dir *d, const char *name, size_t n)
{
    uint32_t h = hash_name(name, n);
    for (struct named_entry **p = &d->table[h & (d->nbuckets - 1)]; *p; p = &(*p)->next) {
        struct named_entry *e = *p;
        if (e->hash == h && e->name_len == n && memcmp(e->name, name, n) == 0) {
            *p = e->next;
            d->count--;
            return e;
        }
    }
    return NULL;
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

static bool check_writable(metall_manager *m)
{
    if (m->read_only) {
        mc_fail(EROFS, "%s: the datastore is open read-only", m->path);
        return false;
    }
    return true;
}

/* Find or create under the write lock. */
static void *find_or_create(metall_manager *m, const char *name, size_t size, bool *created,
                            bool must_create)
{
    if (named_check_name(m, name))
        return NULL;
    if (m->read_only && !must_create) { /* a lookup is all a reader can do */
        void *p = metall_named_find(m, name, NULL);
        if (!p && errno == ENOENT)
            mc_fail(EROFS, "%s: no object named '%s', and the datastore is open read-only",
                    m->path, name);
        if (p && created)
            *created = false;
        return p;
    }
    if (!check_writable(m))
        return NULL;
    struct named_dir *d = &m->named;
    size_t n = strlen(name);
    void *p = NULL;
    pthread_rwlock_wrlock(&d->lock);
    struct named_entry *e = lookup(d, name, n, hash_name(name, n));
    if (e) {
        if (must_create)
            mc_fail(EEXIST, "%s: an object named '%s' exists", m->path, name);
        else
            p = metall_ptr_at(m, e->offset);
        if (created)
            *created = false;
        goto out;
    }
    p = metall_malloc(m, size);
    if (!p)
        goto out;
    if (named_insert(d, name, n, metall_offset_of(m, p), size, NULL, 0)) {
        mc_fail(ENOMEM, "%s: out of memory for the name '%s'", m->path, name);
        metall_free(m, p);
        p = NULL;
        goto out;
    }
    if (created)
        *created = true;
out:
    pthread_rwlock_unlock(&d->lock);
    return p;
}

void *metall_named_malloc(metall_manager *m, const char *name, size_t size)
{
    return find_or_create(m, name, size, NULL, true);
}

void *metall_named_find_or_malloc(metall_manager *m, const char *name, size_t size,
                                  bool *created)
{
    return find_or_create(m, name, size, created, false);
}

void *metall_named_find(metall_manager *m, const char *name, size_t *length)
{
    if (named_check_name(m, name))
        return NULL;
    struct named_dir *d = &m->named;
    size_t n = strlen(name);
    void *p = NULL;
    pthread_rwlock_rdlock(&d->lock);
    struct named_entry *e = lookup(d, name, n, hash_name(name, n));
    if (e) {
        p = metall_ptr_at(m, e->offset);
        if (length)
            *length = e->length;
    }
    pthread_rwlock_unlock(&d->lock);
    if (!p)
        mc_fail(ENOENT, "%s: no object named '%s'", m->path, name);
    return p;
}

void *metall_find(metall_manager *m, const char *name)
{
    return metall_named_find(m, name, NULL);
}

bool metall_named_free(metall_manager *m, const char *name)
{
    if (named_check_name(m, name) || !check_writable(m))
        return false;
    struct named_dir *d = &m->named;
    pthread_rwlock_wrlock(&d->lock);
    struct named_entry *e = unlink_entry(d, name, strlen(name));
    if (e)
        metall_free(m, metall_ptr_at(m, e->offset));
    pthread_rwlock_unlock(&d->lock);
    if (!e) {
        mc_fail(ENOENT, "%s: no object named '%s'", m->path, name);
        return false;
    }
    free(e->desc);
    free(e);
    return true;
}

size_t metall_named_count(metall_manager *m)
{
    if (!m) {
        mc_fail(EINVAL, "metall: NULL manager");
        return 0;
    }
    if (mc_check_owner(m))
        return 0;
    pthread_rwlock_rdlock(&m->named.lock);
    size_t n = m->named.count;
    pthread_rwlock_unlock(&m->named.lock);
    return n;
}

int metall_named_foreach(metall_manager *m,
                         int (*fn)(const char *name, void *ptr, size_t length, void *ctx),
                         void *ctx)
{
    if (!m || !fn)
        return mc_fail(EINVAL, "metall: NULL manager or callback");
    if (mc_check_owner(m))
        return -1;
    struct named_dir *d = &m->named;
    int rc = 0;
    pthread_rwlock_rdlock(&d->lock);
    for (size_t i = 0; i < d->nbuckets && !rc; i++)
        for (struct named_entry *e = d->table[i]; e && !rc; e = e->next)
            rc = fn(e->name, metall_ptr_at(m, e->offset), (size_t)e->length, ctx);
    pthread_rwlock_unlock(&d->lock);
    return rc;
}

bool metall_named_set_description(metall_manager *m, const char *name, const char *text)
{
    if (named_check_name(m, name) || !check_writable(m))
        return false;
    if (!text) {
        mc_fail(EINVAL, "%s: NULL description", m->path);
        return false;
    }
    size_t tl = strnlen(text, METALL_DESCRIPTION_MAX + 1);
    if (tl > METALL_DESCRIPTION_MAX) {
        mc_fail(EINVAL, "%s: description longer than %d bytes", m->path,
                METALL_DESCRIPTION_MAX);
        return false;
    }
    char *copy = tl ? strdup(text) : NULL;
    if (tl && !copy) {
        mc_fail(ENOMEM, "%s: out of memory", m->path);
        return false;
    }
    struct named_dir *d = &m->named;
    size_t n = strlen(name);
    pthread_rwlock_wrlock(&d->lock);
    struct named_entry *e = lookup(d, name, n, hash_name(name, n));
    if (e) {
        free(e->desc);
        e->desc = copy;
    }
    pthread_rwlock_unlock(&d->lock);
    if (!e) {
        free(copy);
        mc_fail(ENOENT, "%s: no object named '%s'", m->path, name);
        return false;
    }
    return true;
}

bool metall_named_get_description(metall_manager *m, const char *name, char *buf,
                                  size_t bufsize)
{
    if (named_check_name(m, name))
        return false;
    if (!buf || !bufsize) {
        mc_fail(EINVAL, "%s: NULL or empty buffer", m->path);
        return false;
    }
    struct named_dir *d = &m->named;
    size_t n = strlen(name);
    pthread_rwlock_rdlock(&d->lock);
    struct named_entry *e = lookup(d, name, n, hash_name(name, n));
    if (e) {
        const char *s = e->desc ? e->desc : "";
        size_t l = strlen(s);
        if (l >= bufsize)
            l = bufsize - 1;
        memcpy(buf, s, l);
        buf[l] = '\0';
    }
    pthread_rwlock_unlock(&d->lock);
    if (!e) {
        mc_fail(ENOENT, "%s: no object named '%s'", m->path, name);
        return false;
    }
    return true;
}
