/*
 * mgmt.c - management files: build images to write, and load with full
 * validation (see the invariants in layout.h).
 */
#include "mgmt.h"

#include "bin.h"
#include "checksum.h"
#include "chunk.h"
#include "error.h"
#include "named.h"
#include "os.h"
#include "sizeclass.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_MGMT_FILE ((size_t)1 << 40)

void mgmt_uuid_string(const uint8_t u[16], char out[37])
{
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
             u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
             u[14], u[15]);
}

static void fill_header(struct mc_file_header *h, uint32_t kind, const uint8_t uuid[16],
                        const void *payload, size_t len)
{
    memset(h, 0, sizeof *h);
    memcpy(h->magic, MC_MAGIC, sizeof h->magic);
    h->kind = kind;
    h->format_major = MC_FORMAT_MAJOR;
    h->format_minor = MC_FORMAT_MINOR;
    memcpy(h->uuid, uuid, 16);
    h->payload_size = len;
    h->payload_crc = mc_crc32c(0, payload, len);
    h->header_crc = mc_crc32c(0, h, offsetof(struct mc_file_header, header_crc));
}

/* Allocate header + payload space; the caller fills the payload and calls
 * seal(). */
static void *image_alloc(size_t payload_len)
{
    return calloc(1, sizeof(struct mc_file_header) + payload_len);
}

static void seal(void *img, uint32_t kind, const uint8_t uuid[16], size_t payload_len)
{
    fill_header(img, kind, uuid, (char *)img + sizeof(struct mc_file_header), payload_len);
}

static int write_image(const char *dir, const char *name, const void *img, size_t len)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = os_write_file_atomic(path, img, len);
    if (rc)
        return mc_fail_sys(rc, "%s: cannot write %s", dir, path);
    return 0;
}

static const char *kind_name(uint32_t kind)
{
    switch (kind) {
    case MC_FILE_DATASTORE: return MC_FILE_DATASTORE_NAME;
    case MC_FILE_CHUNKS: return MC_FILE_CHUNKS_NAME;
    case MC_FILE_NAMES: return MC_FILE_NAMES_NAME;
    default: return MC_FILE_CLOSED_NAME;
    }
}

/* Read and check a management file. uuid NULL: any (reading the identity
 * file itself). On success, *buf is the malloc'd file; *payload and *plen
 * point into it. */
static int read_checked_v(const char *dir, uint32_t kind, const uint8_t *uuid, void **buf,
                          const char **payload, size_t *plen, unsigned *major)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, kind_name(kind));
    void *b;
    size_t len;
    int rc = os_read_file(path, MAX_MGMT_FILE, &b, &len);
    if (rc == ENOENT)
        return mc_fail(ENOENT, "%s is missing", path);
    if (rc == EINVAL || rc == ELOOP) /* a FIFO, device, directory or symlink */
        return mc_fail(kind == MC_FILE_DATASTORE ? EINVAL : EBADMSG,
                       "%s is not a regular file%s", path,
                       kind == MC_FILE_DATASTORE ? ": not a metall-c datastore" : "");
    if (rc)
        return mc_fail_sys(rc, "cannot read %s", path);
    const struct mc_file_header *h = b;
    if (len < sizeof *h) {
        /* a short file without our magic is a foreign one, not a damaged one */
        bool foreign = len >= sizeof h->magic && memcmp(h->magic, MC_MAGIC, sizeof h->magic) != 0;
        free(b);
        if (kind == MC_FILE_DATASTORE && foreign)
            return mc_fail(EINVAL, "%s: bad magic: not a metall-c file", path);
        if (kind == MC_FILE_DATASTORE && len < sizeof h->magic)
            return mc_fail(EBADMSG, "%s is truncated (%zu bytes)", path, len);
        return mc_fail(EBADMSG, "%s is truncated (%zu bytes, a header has %zu)", path, len,
                       sizeof *h);
    }
    if (memcmp(h->magic, MC_MAGIC, sizeof h->magic) != 0) {
        free(b);
        return mc_fail(kind == MC_FILE_DATASTORE ? EINVAL : EBADMSG,
                       "%s: bad magic: not a metall-c file", path);
    }
    if (h->header_crc != mc_crc32c(0, h, offsetof(struct mc_file_header, header_crc))) {
        free(b);
        return mc_fail(EBADMSG, "%s: header checksum mismatch (damaged)", path);
    }
    if (h->format_major < MC_FORMAT_MAJOR_OLDEST || h->format_major > MC_FORMAT_MAJOR) {
        int maj = h->format_major, min = h->format_minor;
        free(b);
        return mc_fail(ENOTSUP,
                       "%s: format version %d.%d is not supported (this library reads %d.x to %d.x)",
                       path, maj, min, MC_FORMAT_MAJOR_OLDEST, MC_FORMAT_MAJOR);
    }
    if (major)
        *major = h->format_major;
    if (h->kind != kind) {
        uint32_t got = h->kind; /* h points into b */
        free(b);
        return mc_fail(EBADMSG, "%s: wrong file kind %u (expected %u)", path, got, kind);
    }
    if (h->payload_size != len - sizeof *h) {
        size_t want = (size_t)h->payload_size;
        free(b);
        return mc_fail(EBADMSG, "%s is truncated or extended: %zu payload bytes, header says %zu",
                       path, len - sizeof *h, want);
    }
    if (h->payload_crc != mc_crc32c(0, (const char *)b + sizeof *h, len - sizeof *h)) {
        free(b);
        return mc_fail(EBADMSG, "%s: checksum mismatch (damaged)", path);
    }
    if (uuid && memcmp(h->uuid, uuid, 16) != 0) {
        free(b);
        return mc_fail(EBADMSG, "%s belongs to another datastore (uuid mismatch)", path);
    }
    *buf = b;
    *payload = (const char *)b + sizeof *h;
    *plen = len - sizeof *h;
    return 0;
}

static int read_checked(const char *dir, uint32_t kind, const uint8_t *uuid, void **buf,
                        const char **payload, size_t *plen)
{
    return read_checked_v(dir, kind, uuid, buf, payload, plen, NULL);
}

int mgmt_read_datastore(const char *path, uint8_t uuid[16], struct mc_datastore_info *info)
{
    void *b;
    const char *p;
    size_t n;
    size_t end = strlen(path), start;
    while (end > 1 && path[end - 1] == '/')
        end--;
    for (start = end; start > 0 && path[start - 1] != '/'; start--)
        ;
    const char *hit = strstr(path + start, MC_TMP_INFIX);
    if (hit && hit < path + end)
        return mc_fail(EINVAL,
                       "%s is the temporary directory of an interrupted snapshot, copy or "
                       "removal, not a datastore",
                       path);
    if (read_checked(path, MC_FILE_DATASTORE, NULL, &b, &p, &n)) {
        if (errno == ENOENT)
            mc_fail(EINVAL, "%s is not a metall-c datastore (no %s file)", path,
                    MC_FILE_DATASTORE_NAME);
        return -1;
    }
    if (n < sizeof *info) {
        free(b);
        return mc_fail(EBADMSG, "%s/%s: payload too short", path, MC_FILE_DATASTORE_NAME);
    }
    memcpy(uuid, ((const struct mc_file_header *)b)->uuid, 16);
    memcpy(info, p, sizeof *info);
    free(b);
    if (info->chunk_size != MC_CHUNK_SIZE || info->block_size == 0 ||
        info->block_size % MC_CHUNK_SIZE || info->capacity == 0 ||
        info->capacity % info->block_size || info->capacity / MC_CHUNK_SIZE > UINT32_MAX - 1)
        return mc_fail(EBADMSG, "%s/%s: invalid geometry (chunk %llu, block %llu, capacity %llu)",
                       path, MC_FILE_DATASTORE_NAME, (unsigned long long)info->chunk_size,
                       (unsigned long long)info->block_size,
                       (unsigned long long)info->capacity);
    return 0;
}

int mgmt_write_datastore(const char *path, const uint8_t uuid[16],
                         const struct mc_datastore_info *info)
{
    char *img = image_alloc(sizeof *info);
    if (!img)
        return mc_fail(ENOMEM, "%s: out of memory", path);
    memcpy(img + sizeof(struct mc_file_header), info, sizeof *info);
    seal(img, MC_FILE_DATASTORE, uuid, sizeof *info);
    int rc = write_image(path, MC_FILE_DATASTORE_NAME, img,
                         sizeof(struct mc_file_header) + sizeof *info);
    free(img);
    return rc;
}

int mgmt_check_closed(const char *path, const uint8_t uuid[16])
{
    void *b;
    const char *p;
    size_t n;
    if (read_checked(path, MC_FILE_CLOSED, uuid, &b, &p, &n)) {
        int e = errno;
        char r[PATH_MAX];
        struct stat st;
        snprintf(r, sizeof r, "%s/%s", path, MC_FILE_REMOVING_NAME);
        if (e == ENOENT && lstat(r, &st) == 0)
            mc_fail(ENOTRECOVERABLE,
                    "%s is partly removed (a metall_remove() or a create with overwrite was "
                    "interrupted); finish the removal with metall_remove() or "
                    "metall-check --remove",
                    path);
        else if (e == ENOENT)
            mc_fail(ENOTRECOVERABLE,
                    "%s was not closed properly (it is open elsewhere or a process died "
                    "while it was open); restore it from a snapshot",
                    path);
        else
            errno = e;
        return -1;
    }
    free(b);
    if (n != sizeof(struct mc_closed_info))
        return mc_fail(EBADMSG, "%s/%s: wrong size", path, MC_FILE_CLOSED_NAME);
    return 0;
}

void mgmt_build_closed(const uint8_t uuid[16], void *img)
{
    struct mc_closed_info ci = {(uint64_t)time(NULL), 0};
    memset(img, 0, MC_CLOSED_IMAGE_BYTES);
    memcpy((char *)img + sizeof(struct mc_file_header), &ci, sizeof ci);
    seal(img, MC_FILE_CLOSED, uuid, sizeof ci);
}

int mgmt_write_closed(const char *path, const uint8_t uuid[16])
{
    char img[MC_CLOSED_IMAGE_BYTES];
    mgmt_build_closed(uuid, img);
    return write_image(path, MC_FILE_CLOSED_NAME, img, sizeof img);
}

/* ---- chunks ------------------------------------------------------------- */

int mgmt_build_chunks(metall_manager *m, const uint8_t uuid[16], uint32_t copy_nchunks,
                      void **buf, size_t *len)
{
    struct chunk_dir *cd = &m->chunks;
    /* a copy lists every chunk of the copied blocks: those past the
     * high-water mark may hold data written after this cut, so they must
     * not look fresh (known zero) when the copy is opened */
    uint32_t nch = copy_nchunks > cd->nchunks ? copy_nchunks : cd->nchunks;
    size_t words = 0;
    for (uint32_t i = 0; i < cd->nchunks; i++)
        if (cd->info[i].kind == MC_CHUNK_SMALL)
            words += mc_classes[cd->info[i].cls].words;
    size_t plen = sizeof(struct mc_chunks_header) + (size_t)nch * 8 + words * 8;
    char *img = image_alloc(plen);
    if (!img)
        return mc_fail(ENOMEM, "%s: out of memory for the chunk directory image", m->path);
    char *p = img + sizeof(struct mc_file_header);
    struct mc_chunks_header h = {nch, MC_NCLASSES, mc_class_table_crc()};
    memcpy(p, &h, sizeof h);
    struct mc_chunk_entry *e = (struct mc_chunk_entry *)(p + sizeof h);
    uint64_t *bm = (uint64_t *)(e + nch);
    for (uint32_t i = cd->nchunks; i < nch; i++) /* calloc'd: FREE, no flags */
        e[i].kind = MC_CHUNK_FREE;
    for (uint32_t i = 0; i < cd->nchunks; i++) {
        const struct chunk_info *ci = &cd->info[i];
        /* a copy keeps no "backed" mark: its free chunks get punched, and
         * must be fallocate'd again before use */
        bool backed = ci->kind == MC_CHUNK_FREE && ci->backed && !copy_nchunks;
        e[i].kind = ci->kind;
        e[i].cls = ci->kind == MC_CHUNK_SMALL ? ci->cls : 0;
        /* HOLES for every SMALL chunk with a free slot, punched yet or not:
         * the background trimmer punches free pages at any time, and the
         * image must not depend on when (a cut is a function of the heap's
         * contents); the next run backs such a chunk before using it. A
         * full chunk has no punched page a slot lies on. */
        e[i].flags = (uint16_t)((backed ? MC_CHUNK_F_BACKED : 0) |
                                (ci->kind == MC_CHUNK_SMALL && ci->val ? MC_CHUNK_F_HOLES : 0));
        e[i].val = 0;
        if (ci->kind == MC_CHUNK_SMALL) {
            const struct class_info *k = &mc_classes[ci->cls];
            e[i].val = k->nslots - ci->val;
            memcpy(bm, ci->bitmap, k->words * 8);
            bm += k->words;
        } else if (ci->kind == MC_CHUNK_LARGE) {
            e[i].val = ci->val;
        }
    }
    seal(img, MC_FILE_CHUNKS, uuid, plen);
    *buf = img;
    *len = sizeof(struct mc_file_header) + plen;
    return 0;
}

#define BAD(...) (mc_fail(EBADMSG, __VA_ARGS__))

/* The header: the chunk count n, checked against the capacity and len. */
static int parse_chunks_header(const struct chunk_dir *cd, const char *file,
                               const void *payload, size_t len, uint32_t *n)
{
    struct mc_chunks_header h;
    if (len < sizeof h)
        return BAD("%s: too short for its header", file);
    memcpy(&h, payload, sizeof h);
    if (h.nclasses != MC_NCLASSES || h.class_crc != mc_class_table_crc())
        return mc_fail(ENOTSUP, "%s: written by a build with other size classes", file);
    if (h.nchunks < 1 || h.nchunks > cd->max_chunks)
        return BAD("%s: %llu chunks do not fit the capacity (%u chunks)", file,
                   (unsigned long long)h.nchunks, cd->max_chunks);
    *n = (uint32_t)h.nchunks;
    if ((len - sizeof h) / 8 < *n)
        return BAD("%s: truncated chunk table (%llu chunks)", file, (unsigned long long)*n);
    return 0;
}

/* A SMALL chunk's entry and its slot bitmap, taken from *bp (*bleft bytes
 * left), which must agree with the used-slot count. */
static int parse_small_chunk(struct chunk_info *ci, const char *file, uint32_t i,
                             const struct mc_chunk_entry *e, const char **bp, size_t *bleft)
{
    if (e->cls >= MC_NCLASSES)
        return BAD("%s: chunk %u: size class %u out of range", file, i, e->cls);
    const struct class_info *k = &mc_classes[e->cls];
    if (e->val > k->nslots)
        return BAD("%s: chunk %u: %u used slots of %u", file, i, e->val, k->nslots);
    if (*bleft < (size_t)k->words * 8)
        return BAD("%s: truncated slot bitmaps at chunk %u", file, i);
    uint64_t *bm = malloc((size_t)k->words * 8);
    if (!bm)
        return mc_fail(ENOMEM, "%s: out of memory", file);
    memcpy(bm, *bp, (size_t)k->words * 8);
    *bp += (size_t)k->words * 8;
    *bleft -= (size_t)k->words * 8;
    uint32_t rem = k->nslots & 63;
    uint64_t pad = rem ? ~(uint64_t)0 << rem : 0;
    uint64_t pop = 0;
    for (uint32_t w = 0; w < k->words; w++)
        pop += (uint64_t)__builtin_popcountll(bm[w]);
    if ((bm[k->words - 1] & pad) != pad ||
        pop - (uint64_t)__builtin_popcountll(pad) != e->val) {
        free(bm);
        return BAD("%s: chunk %u: slot bitmap disagrees with its count", file, i);
    }
    ci->kind = MC_CHUNK_SMALL;
    ci->cls = e->cls;
    ci->val = k->nslots - e->val;
    ci->bitmap = bm;
    ci->backed = 1;
    ci->holes = (e->flags & MC_CHUNK_F_HOLES) ? 1 : 0;
    return 0;
}

/* Where the table is in its walk: chunks of a large object still to come,
 * and the slot bitmaps not yet taken. */
struct chunks_walk {
    uint32_t n, body_left;
    const char *bp;
    size_t bleft;
};

/* Entry i of the table into ci. */
static int parse_chunk_entry(struct chunk_info *ci, const char *file, uint32_t i,
                             const struct mc_chunk_entry *e, struct chunks_walk *w)
{
    if (w->body_left) {
        if (e->kind != MC_CHUNK_BODY)
            return BAD("%s: chunk %u should continue a large object", file, i);
        ci->kind = MC_CHUNK_BODY;
        ci->backed = 1;
        w->body_left--;
        return 0;
    }
    if (i == 0) {
        if (e->kind != MC_CHUNK_RESERVED)
            return BAD("%s: chunk 0 must be reserved", file);
        ci->kind = MC_CHUNK_RESERVED;
        return 0;
    }
    switch (e->kind) {
    case MC_CHUNK_FREE:
        ci->kind = MC_CHUNK_FREE;
        ci->backed = e->flags & MC_CHUNK_F_BACKED;
        return 0;
    case MC_CHUNK_LARGE:
        if (e->val < 1 || (uint64_t)i + e->val > w->n)
            return BAD("%s: chunk %u: large object of %u chunks runs past the heap", file, i,
                       e->val);
        ci->kind = MC_CHUNK_LARGE;
        ci->val = e->val;
        ci->backed = 1;
        w->body_left = e->val - 1;
        return 0;
    case MC_CHUNK_SMALL:
        return parse_small_chunk(ci, file, i, e, &w->bp, &w->bleft);
    default:
        return BAD("%s: chunk %u: invalid kind %u", file, i, e->kind);
    }
}

int mgmt_parse_chunks(metall_manager *m, const char *file, const void *payload, size_t len)
{
    struct chunk_dir *cd = &m->chunks;
    struct chunks_walk w = {0, 0, NULL, 0};
    if (parse_chunks_header(cd, file, payload, len, &w.n))
        return -1;
    const char *ep = (const char *)payload + sizeof(struct mc_chunks_header);
    w.bp = ep + (size_t)w.n * 8;
    w.bleft = len - sizeof(struct mc_chunks_header) - (size_t)w.n * 8;
    cd->nchunks = 0;
    for (uint32_t i = 0; i < w.n; i++) {
        struct mc_chunk_entry e;
        memcpy(&e, ep + (size_t)i * 8, 8);
        struct chunk_info *ci = &cd->info[i];
        memset(ci, 0, sizeof *ci);
        ci->next = ci->prev = MC_NONE;
        cd->nchunks = i + 1; /* so that a failure frees what was loaded */
        if (parse_chunk_entry(ci, file, i, &e, &w))
            return -1;
    }
    if (w.body_left)
        return BAD("%s: the last large object is cut short", file);
    if (w.bleft)
        return BAD("%s: %zu unexpected bytes after the slot bitmaps", file, w.bleft);
    return 0;
}

int mgmt_read_chunks(metall_manager *m, void **buf, const char **payload, size_t *len,
                     uint64_t *nchunks)
{
    char file[PATH_MAX];
    snprintf(file, sizeof file, "%s/%s", m->path, MC_FILE_CHUNKS_NAME);
    if (read_checked(m->path, MC_FILE_CHUNKS, m->uuid, buf, payload, len))
        return errno == ENOENT ? mc_fail(EBADMSG, "%s is missing", file) : -1;
    struct mc_chunks_header h = {0, 0, 0};
    if (*len >= sizeof h)
        memcpy(&h, *payload, sizeof h);
    *nchunks = h.nchunks; /* the parser validates it */
    return 0;
}

int mgmt_read_backed(const char *path, const uint8_t uuid[16], uint8_t **backed,
                     uint32_t *nchunks)
{
    void *b;
    const char *p;
    size_t len;
    char file[PATH_MAX];
    snprintf(file, sizeof file, "%s/%s", path, MC_FILE_CHUNKS_NAME);
    if (read_checked(path, MC_FILE_CHUNKS, uuid, &b, &p, &len))
        return errno == ENOENT ? mc_fail(EBADMSG, "%s is missing", file) : -1;
    struct mc_chunks_header h = {0, 0, 0};
    if (len >= sizeof h)
        memcpy(&h, p, sizeof h);
    if (len < sizeof h || h.nchunks > UINT32_MAX || (len - sizeof h) / 8 < h.nchunks) {
        free(b);
        return BAD("%s: truncated chunk table", file);
    }
    uint32_t n = (uint32_t)h.nchunks;
    uint8_t *out = calloc(n ? n : 1, 1);
    if (!out) {
        free(b);
        return mc_fail(ENOMEM, "%s: out of memory", file);
    }
    for (uint32_t i = 1; i < n; i++) { /* chunk 0 is reserved: never backed */
        struct mc_chunk_entry e;
        memcpy(&e, p + sizeof h + (size_t)i * 8, 8);
        out[i] = e.kind == MC_CHUNK_SMALL || e.kind == MC_CHUNK_LARGE ||
                 e.kind == MC_CHUNK_BODY ||
                 (e.kind == MC_CHUNK_FREE && (e.flags & MC_CHUNK_F_BACKED));
    }
    free(b);
    *backed = out;
    *nchunks = n;
    return 0;
}

int mgmt_load_chunks(metall_manager *m, const char *payload, size_t len)
{
    char file[PATH_MAX];
    snprintf(file, sizeof file, "%s/%s", m->path, MC_FILE_CHUNKS_NAME);
    if (mgmt_parse_chunks(m, file, payload, len))
        return -1; /* chunk_dir_destroy() frees the bitmaps loaded so far */
    chunk_dir_rebuild(m);
    bin_rebuild(m);
    return 0;
}

/* ---- names -------------------------------------------------------------- */

/* The size of the allocated object starting at offset, 0 if there is none
 * (chunk directory loaded, or its locks held). */
static uint64_t object_size(metall_manager *m, uint64_t off)
{
    struct chunk_dir *cd = &m->chunks;
    uint64_t ci = off >> MC_CHUNK_SHIFT;
    if (off == 0 || ci >= cd->nchunks)
        return 0;
    const struct chunk_info *info = &cd->info[ci];
    size_t in = (size_t)(off & MC_CHUNK_MASK);
    if (info->kind == MC_CHUNK_SMALL)
        return bin_slot_allocated(m, (uint32_t)ci, in) ? mc_classes[info->cls].size : 0;
    if (info->kind == MC_CHUNK_LARGE && in == 0)
        return (uint64_t)info->val << MC_CHUNK_SHIFT;
    return 0;
}

/* Is offset the start of an allocated object of at least length bytes? */
static bool valid_object(metall_manager *m, uint64_t off, uint64_t length)
{
    uint64_t size = object_size(m, off);
    return size && length <= size;
}

/* The names image of d. With m (the directory of an open manager), names
 * whose object was freed behind the directory's back are left out and
 * lengths are clamped to the object's size (metall_realloc() shrank it in
 * place). */
static int build_names(metall_manager *m, const struct named_dir *d, const char *who,
                       const uint8_t uuid[16], void **buf, size_t *len)
{
    size_t plen = 8;
    uint64_t count = 0;
    for (size_t i = 0; i < d->nbuckets; i++)
        for (struct named_entry *e = d->by_off[i]; e; e = e->next_off) {
            if (m && !object_size(m, e->offset))
                continue;
            size_t dl = e->desc ? strlen(e->desc) : 0;
            plen += sizeof(struct mc_name_record) + ((e->name_len + dl + 7) & ~(size_t)7);
            count++;
        }
    char *img = image_alloc(plen);
    if (!img)
        return mc_fail(ENOMEM, "%s: out of memory for the names image", who);
    char *p = img + sizeof(struct mc_file_header);
    memcpy(p, &count, 8);
    char *q = p + 8;
    for (size_t i = 0; i < d->nbuckets; i++)
        for (struct named_entry *e = d->by_off[i]; e; e = e->next_off) {
            uint64_t size = m ? object_size(m, e->offset) : e->length;
            if (!size)
                continue;
            size_t dl = e->desc ? strlen(e->desc) : 0;
            struct mc_name_record r = {e->offset,   e->length <= size ? e->length : size,
                                       e->count,    e->type_id,
                                       e->kind,     e->name_len,
                                       (uint32_t)dl, 0};
            memcpy(q, &r, sizeof r);
            q += sizeof r;
            memcpy(q, e->name, e->name_len);
            if (dl)
                memcpy(q + e->name_len, e->desc, dl);
            q += (e->name_len + dl + 7) & ~(size_t)7;
        }
    seal(img, MC_FILE_NAMES, uuid, plen);
    *buf = img;
    *len = sizeof(struct mc_file_header) + plen;
    return 0;
}

int mgmt_build_names(metall_manager *m, const uint8_t uuid[16], void **buf, size_t *len)
{
    return build_names(m, &m->named, m->path, uuid, buf, len);
}

/* Read one record of format `major` at p (left bytes) into r; its size in
 * *used. Checks the sizes and the name rules, not the target. */
static int read_record(const char *file, unsigned major, uint64_t i, const char *p, size_t left,
                       struct named_rec *r, size_t *used)
{
    size_t hdr;
    if (major == 1) {
        struct mc_name_record_v1 v;
        if (left < sizeof v)
            return BAD("%s: truncated at record %llu", file, (unsigned long long)i);
        memcpy(&v, p, sizeof v);
        *r = (struct named_rec){METALL_OBJECT_NAMED, NULL, v.name_len, v.offset, v.length,
                                v.length, 0, NULL, v.desc_len};
        hdr = sizeof v;
    } else {
        struct mc_name_record v;
        if (left < sizeof v)
            return BAD("%s: truncated at record %llu", file, (unsigned long long)i);
        memcpy(&v, p, sizeof v);
        if (v.kind > METALL_OBJECT_UNIQUE || v.reserved)
            return BAD("%s: record %llu: invalid kind", file, (unsigned long long)i);
        *r = (struct named_rec){v.kind,  NULL,      v.name_len, v.offset, v.length,
                                v.count, v.type_id, NULL,       v.desc_len};
        hdr = sizeof v;
    }
    bool anon = r->kind == METALL_OBJECT_ANONYMOUS;
    if ((anon ? r->name_len != 0 : r->name_len == 0 || r->name_len > METALL_NAME_MAX) ||
        r->desc_len > METALL_DESCRIPTION_MAX)
        return BAD("%s: record %llu: invalid name or description length", file,
                   (unsigned long long)i);
    size_t padded = (r->name_len + r->desc_len + 7) & ~(size_t)7;
    if (left - hdr < padded)
        return BAD("%s: truncated at record %llu", file, (unsigned long long)i);
    r->name = p + hdr;
    r->desc = r->desc_len ? p + hdr + r->name_len : NULL;
    if (memchr(r->name, '\0', r->name_len) || memchr(r->name + r->name_len, '\0', r->desc_len))
        return BAD("%s: record %llu: NUL byte inside a name or description", file,
                   (unsigned long long)i);
    *used = hdr + padded;
    return 0;
}

/* Parse a names payload into d; with m, every record must point to an
 * allocated object of m. */
static int parse_names(metall_manager *m, struct named_dir *d, const char *file, unsigned major,
                       const void *payload, size_t len)
{
    if (len < 8)
        return BAD("%s: too short", file);
    uint64_t count;
    memcpy(&count, payload, 8);
    const char *p = (const char *)payload + 8;
    size_t left = len - 8;
    for (uint64_t i = 0; i < count; i++) {
        struct named_rec r;
        size_t used = 0;
        if (read_record(file, major, i, p, left, &r, &used))
            return -1;
        if (m && !valid_object(m, r.offset, r.length))
            return BAD("%s: object '%.*s' does not point to an allocated object", file,
                       (int)r.name_len, r.name);
        if (named_insert(d, &r)) {
            if (errno == EEXIST)
                return BAD("%s: duplicate name '%.*s' or offset %llu", file, (int)r.name_len,
                           r.name, (unsigned long long)r.offset);
            return mc_fail(ENOMEM, "%s: out of memory", file);
        }
        p += used;
        left -= used;
    }
    if (left)
        return BAD("%s: %zu unexpected bytes after the last record", file, left);
    return 0;
}

int mgmt_parse_names(metall_manager *m, const char *file, unsigned major, const void *payload,
                     size_t len)
{
    return parse_names(m, &m->named, file, major, payload, len);
}

int mgmt_parse_names_only(struct named_dir *d, const char *file, unsigned major,
                          const void *payload, size_t len)
{
    return parse_names(NULL, d, file, major, payload, len);
}

int mgmt_load_names(metall_manager *m)
{
    void *b;
    const char *p;
    size_t n;
    unsigned major;
    char file[PATH_MAX];
    snprintf(file, sizeof file, "%s/%s", m->path, MC_FILE_NAMES_NAME);
    if (read_checked_v(m->path, MC_FILE_NAMES, m->uuid, &b, &p, &n, &major))
        return errno == ENOENT ? mc_fail(EBADMSG, "%s is missing", file) : -1;
    int rc = mgmt_parse_names(m, file, major, p, n);
    free(b);
    return rc;
}

int mgmt_read_names_at(const char *path, struct named_dir *d, uint8_t uuid[16])
{
    struct mc_datastore_info info;
    if (mgmt_read_datastore(path, uuid, &info))
        return -1;
    void *b;
    const char *p;
    size_t n;
    unsigned major;
    char file[PATH_MAX];
    snprintf(file, sizeof file, "%s/%s", path, MC_FILE_NAMES_NAME);
    if (read_checked_v(path, MC_FILE_NAMES, uuid, &b, &p, &n, &major))
        return -1;
    int rc = mgmt_parse_names_only(d, file, major, p, n);
    free(b);
    return rc;
}

int mgmt_write_names_at(const char *path, const uint8_t uuid[16], const struct named_dir *d)
{
    void *img;
    size_t len;
    if (build_names(NULL, d, path, uuid, &img, &len))
        return -1;
    int rc = write_image(path, MC_FILE_NAMES_NAME, img, len);
    free(img);
    return rc;
}
