/*
 * chain.c - a checkpoint chain's files (layout.h): identity, lock, base
 * state, manifests, indexes, the list of checkpoints, and the piece hash
 * table of a checkpoint. Writing pieces, merging and restoring are in
 * chain_io.c.
 *
 * Crash rule: every file is written whole under a temporary name, synced
 * and renamed (os_write_file_atomic); a checkpoint's manifest is its last
 * file, so a directory without a valid one is an interrupted checkpoint,
 * never taken for a complete one, and removed by the next writer.
 */
#include "chain.h"

#include "checksum.h"
#include "error.h"
#include "fsutil.h"
#include "os.h"

#include <metall/metall.h>

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define MAX_SMALL_FILE ((size_t)1 << 20)

/* ---- test hook ------------------------------------------------------------ */

static _Atomic long kill_count;
static _Atomic int kill_pid;

void mc_ckpt_killpoint(const char *step)
{
    const char *v = getenv("METALLC_CKPT_KILL"); /* read each time: tests fork */
    size_t n = strlen(step);
    if (!v || strncmp(v, step, n) != 0 || v[n] != ':')
        return;
    if (atomic_exchange(&kill_pid, (int)getpid()) != (int)getpid())
        atomic_store(&kill_count, 0); /* a child counts from zero */
    if (atomic_fetch_add(&kill_count, 1) + 1 == strtol(v + n + 1, NULL, 10))
        raise(SIGKILL); /* the crash tests' stand-in for a node failure */
}

/* ---- piece hash -------------------------------------------------------------
 *
 * Word i (8 bytes) of a piece goes to accumulator i % 8:
 *   v = w ^ key(i);  acc += lo32(v) * hi32(v) + rotl64(w, 32)
 * with key(i) = secret[i % 512] ^ (i / 512) * K (position-dependent, so
 * swapping two words changes the hash), then the accumulators are mixed.
 * Its AVX2 form runs at memory speed (one multiply per 8 bytes, no
 * dependency chain across accumulators); the scalar form gives the same
 * values. A zero piece is reported as 0 (checked only when the hash equals
 * that of zeros). */
#define HASH_SECRET 512
static uint64_t secret[HASH_SECRET];
static uint64_t zero_hash[22]; /* hash of a zero piece, per log2(piece size) */
static pthread_once_t secret_once = PTHREAD_ONCE_INIT;

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t finish(const uint64_t acc[8], size_t len)
{
    uint64_t h = len * 0x9E3779B97F4A7C15ull;
    for (int l = 0; l < 8; l++) {
        h ^= (acc[l] ^ secret[l]) * 0xC2B2AE3D27D4EB4Full;
        h = (h << 31 | h >> 33) * 0x165667B19E3779F9ull;
    }
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 32);
}

static uint64_t hash_sw(const void *p, size_t len)
{
    uint64_t acc[8] = {0};
    const unsigned char *s = p;
    for (size_t i = 0; i < len / 8; i++) {
        uint64_t w, v;
        memcpy(&w, s + i * 8, 8);
        v = w ^ secret[i % HASH_SECRET] ^ (uint64_t)(i / HASH_SECRET) * 0x9E3779B97F4A7C15ull;
        acc[i % 8] += (v & 0xFFFFFFFFu) * (v >> 32) + (w << 32 | w >> 32);
    }
    return finish(acc, len);
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static uint64_t hash_avx2(const void *p, size_t len)
{
    __m256i a = _mm256_setzero_si256(), b = a;
    const char *s = p;
    for (size_t i = 0; i < len / 8; i += 8) {
        __m256i ka = _mm256_loadu_si256((const void *)&secret[i % HASH_SECRET]);
        __m256i kb = _mm256_loadu_si256((const void *)&secret[(i + 4) % HASH_SECRET]);
        __m256i blk = _mm256_set1_epi64x((long long)((uint64_t)(i / HASH_SECRET) *
                                                     0x9E3779B97F4A7C15ull));
        __m256i wa = _mm256_loadu_si256((const void *)(s + i * 8));
        __m256i wb = _mm256_loadu_si256((const void *)(s + i * 8 + 32));
        __m256i va = _mm256_xor_si256(_mm256_xor_si256(wa, ka), blk);
        __m256i vb = _mm256_xor_si256(_mm256_xor_si256(wb, kb), blk);
        a = _mm256_add_epi64(a, _mm256_mul_epu32(va, _mm256_srli_epi64(va, 32)));
        b = _mm256_add_epi64(b, _mm256_mul_epu32(vb, _mm256_srli_epi64(vb, 32)));
        a = _mm256_add_epi64(a, _mm256_shuffle_epi32(wa, 0xB1)); /* swap 32-bit halves */
        b = _mm256_add_epi64(b, _mm256_shuffle_epi32(wb, 0xB1));
    }
    uint64_t acc[8];
    _mm256_storeu_si256((void *)acc, a);
    _mm256_storeu_si256((void *)(acc + 4), b);
    return finish(acc, len);
}
#endif

static bool use_avx2;

static void secret_init(void)
{
    uint64_t x = 0x6D6574616C6C2D63ull; /* "metall-c" */
    for (int i = 0; i < HASH_SECRET; i++)
        secret[i] = splitmix(&x);
#if defined(__x86_64__)
    use_avx2 = __builtin_cpu_supports("avx2");
#endif
    static char zeros[(size_t)2 << 20];
    for (int k = 12; k <= 21; k++)
        zero_hash[k] = hash_sw(zeros, (size_t)1 << k);
}

uint64_t mc_piece_hash_portable(const void *p, size_t len)
{
    pthread_once(&secret_once, secret_init);
    uint64_t h = hash_sw(p, len);
    return h == zero_hash[__builtin_ctzll(len)] ? 0 : h ? h : 1; /* zero-checked by tests */
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void copy_avx2(void *d, const void *s, size_t len)
{
    char *o = d;
    const char *i = s;
    for (size_t k = 0; k < len; k += 128) {
        __m256i a = _mm256_loadu_si256((const void *)(i + k));
        __m256i b = _mm256_loadu_si256((const void *)(i + k + 32));
        __m256i c = _mm256_loadu_si256((const void *)(i + k + 64));
        __m256i e = _mm256_loadu_si256((const void *)(i + k + 96));
        _mm256_storeu_si256((void *)(o + k), a);
        _mm256_storeu_si256((void *)(o + k + 32), b);
        _mm256_storeu_si256((void *)(o + k + 64), c);
        _mm256_storeu_si256((void *)(o + k + 96), e);
    }
}
#endif

void mc_piece_copy(void *dst, const void *src, size_t len)
{
    pthread_once(&secret_once, secret_init);
#if defined(__x86_64__)
    if (use_avx2) {
        copy_avx2(dst, src, len);
        return;
    }
#endif
    memcpy(dst, src, len);
}

uint64_t mc_piece_hash(const void *p, size_t len)
{
    pthread_once(&secret_once, secret_init);
#if defined(__x86_64__)
    uint64_t h = use_avx2 ? hash_avx2(p, len) : hash_sw(p, len);
#else
    uint64_t h = hash_sw(p, len);
#endif
    int k = __builtin_ctzll(len);
    if (h == zero_hash[k]) { /* zeros, or (2^-64) another piece with that hash */
        static const char z[256];
        const char *s = p;
        for (size_t o = 0; o < len; o += sizeof z)
            if (memcmp(s + o, z, sizeof z) != 0)
                return h;
        return 0;
    }
    return h ? h : 1; /* 0 means zeros */
}

/* ---- headed files ----------------------------------------------------------- */

int mc_write_file_synced(const char *path, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno;
    const char *p = buf;
    int rc = 0;
    while (!rc && len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno != EINTR)
            rc = errno;
        else if (w > 0)
            p += w, len -= (size_t)w;
    }
    if (!rc && fdatasync(fd) != 0)
        rc = errno;
    close(fd);
    return rc;
}

/* atomic: temporary name + rename (files that commit something); else
 * written in place and synced (files of a checkpoint not yet committed). */
static int put_file(const char *path, uint32_t kind, const uint8_t uuid[16], const void *pay,
                    size_t len, uint32_t *crc_out, bool atomic)
{
    char *img = malloc(sizeof(struct mc_file_header) + len);
    if (!img)
        return mc_fail(ENOMEM, "%s: out of memory", path);
    struct mc_file_header *h = (struct mc_file_header *)img;
    memset(h, 0, sizeof *h);
    memcpy(h->magic, MC_MAGIC, sizeof h->magic);
    h->kind = kind;
    h->format_major = MC_FORMAT_MAJOR;
    h->format_minor = MC_FORMAT_MINOR;
    memcpy(h->uuid, uuid, 16);
    h->payload_size = len;
    memcpy(img + sizeof *h, pay, len);
    h->payload_crc = mc_crc32c(0, img + sizeof *h, len);
    h->header_crc = mc_crc32c(0, h, offsetof(struct mc_file_header, header_crc));
    if (crc_out)
        *crc_out = mc_crc32c(0, img, sizeof *h + len);
    int rc = atomic ? os_write_file_atomic(path, img, sizeof *h + len)
                    : mc_write_file_synced(path, img, sizeof *h + len);
    free(img);
    if (rc)
        return mc_fail_sys(rc, "cannot write %s", path);
    return 0;
}

/* Read and check a headed file; *buf malloc'd, payload after the header.
 * uuid NULL: any. ENOENT without a message when absent. */
static int get_file(const char *path, uint32_t kind, const uint8_t *uuid, size_t max,
                    void **buf, size_t *plen, uint32_t *crc_out)
{
    void *b;
    size_t len;
    int rc = os_read_file(path, max, &b, &len);
    if (rc == ENOENT)
        return errno = ENOENT, -1;
    if (rc)
        return mc_fail_sys(rc, "cannot read %s", path);
    const struct mc_file_header *h = b;
    const char *why = NULL;
    if (len < sizeof *h)
        why = "truncated";
    else if (memcmp(h->magic, MC_MAGIC, sizeof h->magic) != 0)
        why = "bad magic: not a metall-c file";
    else if (h->header_crc != mc_crc32c(0, h, offsetof(struct mc_file_header, header_crc)))
        why = "header checksum mismatch (damaged)";
    else if (h->format_major < MC_FORMAT_MAJOR_OLDEST || h->format_major > MC_FORMAT_MAJOR)
        why = "unsupported format version";
    else if (h->kind != kind)
        why = "wrong file kind";
    else if (h->payload_size != len - sizeof *h)
        why = "size differs from its header (truncated or extended)";
    else if (h->payload_crc != mc_crc32c(0, (const char *)b + sizeof *h, len - sizeof *h))
        why = "payload checksum mismatch (damaged)";
    else if (uuid && memcmp(h->uuid, uuid, 16) != 0)
        why = "belongs to another datastore (uuid differs)";
    if (why) {
        free(b);
        return mc_fail(EBADMSG, "%s: %s", path, why);
    }
    if (crc_out)
        *crc_out = mc_crc32c(0, b, len);
    *buf = b;
    *plen = len - sizeof *h;
    return 0;
}

/* ---- paths ------------------------------------------------------------------ */

int chain_file(const struct mc_chain *c, const char *name, char *out, size_t size)
{
    int w = snprintf(out, size, "%s/%s", c->path, name);
    if (w < 0 || (size_t)w >= size)
        return mc_fail(ENAMETOOLONG, "%s: path too long", c->path);
    return 0;
}

int chain_ckpt_dir(const struct mc_chain *c, int64_t id, char *out, size_t size)
{
    char name[32];
    snprintf(name, sizeof name, MC_CHAIN_CKPT_FMT, (long long)id);
    return chain_file(c, name, out, size);
}

static int ckpt_file(const struct mc_chain *c, int64_t id, const char *name, char *out,
                     size_t size)
{
    char d[PATH_MAX];
    if (chain_ckpt_dir(c, id, d, sizeof d))
        return -1;
    int w = snprintf(out, size, "%s/%s", d, name);
    if (w < 0 || (size_t)w >= size)
        return mc_fail(ENAMETOOLONG, "%s: path too long", c->path);
    return 0;
}

/* ---- open ------------------------------------------------------------------- */

static int take_lock(struct mc_chain *c, bool exclusive)
{
    char f[PATH_MAX];
    if (chain_file(c, MC_CHAIN_LOCK, f, sizeof f))
        return -1;
    int fd = open(f, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 && !exclusive && (errno == EACCES || errno == EROFS))
        fd = open(f, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return mc_fail_sys(errno, "%s: cannot open the chain's lock file", c->path);
    /* a writer does not wait for another writer; a reader waits for the
     * writer's step (a merge) to end */
    int rc = exclusive ? os_lock(fd, true) : 0;
    if (!exclusive)
        while (flock(fd, LOCK_SH) != 0 && errno == EINTR)
            ;
    if (rc) {
        close(fd);
        if (rc == EBUSY)
            return mc_fail(EBUSY, "%s: the chain is being written (a checkpoint or "
                                  "merge of another manager or process)", c->path);
        return mc_fail_sys(rc, "%s: cannot lock the chain", c->path);
    }
    c->lock_fd = fd;
    return 0;
}

static int read_identity(struct mc_chain *c, const uint8_t *uuid)
{
    char f[PATH_MAX];
    if (chain_file(c, MC_CHAIN_FILE, f, sizeof f))
        return -1;
    void *b;
    size_t len;
    if (get_file(f, MC_FILE_CHAIN, uuid, MAX_SMALL_FILE, &b, &len, NULL)) {
        if (errno == EBADMSG && uuid && strstr(metall_errmsg(), "uuid"))
            return mc_fail(EINVAL, "%s is the checkpoint chain of another datastore", c->path);
        return -1;
    }
    const struct mc_file_header *h = b;
    memcpy(c->uuid, h->uuid, 16);
    int rc = 0;
    if (len != sizeof c->info) {
        rc = mc_fail(EBADMSG, "%s: wrong payload size", f);
    } else {
        memcpy(&c->info, (char *)b + sizeof *h, sizeof c->info);
        uint64_t ps = c->info.piece_size;
        if (ps < 4096 || ps > ((uint64_t)2 << 20) || (ps & (ps - 1)) || !c->info.block_size ||
            c->info.block_size % ps)
            rc = mc_fail(EBADMSG, "%s: invalid geometry", f);
    }
    free(b);
    return rc;
}

static int read_base(struct mc_chain *c)
{
    char f[PATH_MAX];
    if (chain_file(c, MC_CHAIN_BASE_STATE, f, sizeof f))
        return -1;
    void *b;
    size_t len;
    if (get_file(f, MC_FILE_CHAIN_BASE, c->uuid, MAX_SMALL_FILE, &b, &len, NULL)) {
        if (errno != ENOENT)
            return -1;
        c->base = (struct mc_chain_base){-1, -1, 0, 0};
        return 0;
    }
    int rc = 0;
    if (len != sizeof c->base)
        rc = mc_fail(EBADMSG, "%s: wrong payload size", f);
    else
        memcpy(&c->base, (char *)b + sizeof(struct mc_file_header), sizeof c->base);
    free(b);
    if (!rc && c->base.merging_to < c->base.id)
        rc = mc_fail(EBADMSG, "%s: invalid merge state", f);
    return rc;
}

static int create_identity(struct mc_chain *c, const uint8_t *uuid,
                           const struct mc_chain_info *want)
{
    char f[PATH_MAX], d[PATH_MAX];
    if (chain_file(c, MC_CHAIN_FILE, f, sizeof f) ||
        chain_file(c, MC_CHAIN_BASE_DIR, d, sizeof d))
        return -1;
    int rc = os_mkdir_p(d);
    if (rc)
        return mc_fail_sys(rc, "cannot create %s", d);
    c->info = *want;
    c->info.created_unix = (uint64_t)time(NULL);
    if ((rc = os_random(c->info.chain_uuid, 16)))
        return mc_fail_sys(rc, "%s: cannot generate a uuid", c->path);
    memcpy(c->uuid, uuid, 16);
    return put_file(f, MC_FILE_CHAIN, uuid, &c->info, sizeof c->info, NULL, true);
}

int chain_open(struct mc_chain *c, const char *path, bool exclusive, bool create,
               const uint8_t *uuid, const struct mc_chain_info *want)
{
    memset(c, 0, sizeof *c);
    c->lock_fd = -1;
    c->exclusive = exclusive;
    /* absolute: an asynchronous checkpoint writes here after the call
     * returns, and a chdir() meanwhile must not move it */
    char abs[PATH_MAX];
    if (fs_absolute(abs, sizeof abs, path) != 0)
        return mc_fail(ENAMETOOLONG, "%.64s...: path too long", path);
    size_t n = strlen(abs);
    while (n > 1 && abs[n - 1] == '/')
        n--;
    if (n >= sizeof c->path - 64)
        return mc_fail(ENAMETOOLONG, "%.64s...: path too long", path);
    memcpy(c->path, abs, n);
    c->path[n] = '\0';
    struct stat st;
    if (stat(c->path, &st) != 0) {
        if (errno != ENOENT || !create)
            return mc_fail_sys(errno, "cannot access the checkpoint chain %s", c->path);
        int rc = os_mkdir_p(c->path);
        if (rc)
            return mc_fail_sys(rc, "cannot create the checkpoint chain %s", c->path);
    } else if (!S_ISDIR(st.st_mode)) {
        return mc_fail(ENOTDIR, "%s is not a directory, so not a checkpoint chain", c->path);
    }
    char f[PATH_MAX];
    if (chain_file(c, MC_CHAIN_FILE, f, sizeof f))
        return -1;
    if (access(f, F_OK) != 0 && !create)
        return mc_fail(EINVAL, "%s is not a metall-c checkpoint chain (no %s file)", c->path,
                       MC_CHAIN_FILE);
    if (access(f, F_OK) != 0) {
        /* only an empty directory becomes a chain: never take over others' files */
        DIR *d = opendir(c->path);
        struct dirent *de;
        bool empty = true;
        while (d && (de = readdir(d)))
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
                strcmp(de->d_name, MC_CHAIN_LOCK) && strcmp(de->d_name, MC_CHAIN_BASE_DIR))
                empty = false;
        if (d)
            closedir(d);
        if (!empty)
            return mc_fail(EINVAL, "%s is neither empty nor a metall-c checkpoint chain",
                           c->path);
    }
    /* the identity first: a foreign chain is EINVAL even while it is busy */
    bool exists = access(f, F_OK) == 0;
    if ((exists && read_identity(c, uuid)) || take_lock(c, exclusive))
        return -1;
    int rc = exists ? 0 : create_identity(c, uuid, want);
    if (!rc)
        rc = read_base(c);
    if (rc)
        chain_close(c);
    return rc;
}

void chain_close(struct mc_chain *c)
{
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    c->lock_fd = -1;
}

/* ---- manifests and indexes -------------------------------------------------- */

int chain_write_base(struct mc_chain *c, const struct mc_chain_base *b)
{
    char f[PATH_MAX];
    if (chain_file(c, MC_CHAIN_BASE_STATE, f, sizeof f))
        return -1;
    if (put_file(f, MC_FILE_CHAIN_BASE, c->uuid, b, sizeof *b, NULL, true))
        return -1;
    c->base = *b;
    return 0;
}

int chain_write_manifest(struct mc_chain *c, const struct mc_chain_manifest *man)
{
    char f[PATH_MAX];
    if (ckpt_file(c, man->id, MC_CHAIN_MANIFEST, f, sizeof f))
        return -1;
    return put_file(f, MC_FILE_CHAIN_MANIFEST, c->uuid, man, sizeof *man, NULL, true);
}

int chain_write_index(struct mc_chain *c, int64_t id, const struct mc_chain_index_entry *e,
                      uint64_t n, uint32_t *crc)
{
    char f[PATH_MAX];
    if (ckpt_file(c, id, MC_CHAIN_INDEX, f, sizeof f))
        return -1;
    size_t len = sizeof(struct mc_chain_index_header) + (size_t)n * sizeof *e;
    char *pay = malloc(len);
    if (!pay)
        return mc_fail(ENOMEM, "%s: out of memory", f);
    struct mc_chain_index_header h = {n, 0};
    for (uint64_t i = 0; i < n; i++)
        h.data_pieces += e[i].hash != 0;
    memcpy(pay, &h, sizeof h);
    if (n)
        memcpy(pay + sizeof h, e, (size_t)n * sizeof *e);
    int rc = put_file(f, MC_FILE_CHAIN_INDEX, c->uuid, pay, len, crc, false);
    free(pay);
    return rc;
}

int chain_read_manifest(struct mc_chain *c, int64_t id, struct mc_chain_manifest *man)
{
    char f[PATH_MAX];
    if (ckpt_file(c, id, MC_CHAIN_MANIFEST, f, sizeof f))
        return -1;
    void *b;
    size_t len;
    if (get_file(f, MC_FILE_CHAIN_MANIFEST, c->uuid, MAX_SMALL_FILE, &b, &len, NULL)) {
        if (errno == ENOENT)
            return mc_fail(ENOENT, "%s: checkpoint %lld is not complete (no manifest)",
                           c->path, (long long)id);
        return -1;
    }
    int rc = 0;
    if (len != sizeof *man)
        rc = mc_fail(EBADMSG, "%s: wrong payload size", f);
    else
        memcpy(man, (char *)b + sizeof(struct mc_file_header), sizeof *man);
    free(b);
    if (!rc && man->id != id)
        rc = mc_fail(EBADMSG, "%s: holds the manifest of checkpoint %lld", f,
                     (long long)man->id);
    if (!rc && man->npieces > (c->info.capacity / c->info.piece_size))
        rc = mc_fail(EBADMSG, "%s: %llu pieces exceed the capacity", f,
                     (unsigned long long)man->npieces);
    return rc;
}

int chain_read_index(struct mc_chain *c, int64_t id, const struct mc_chain_manifest *man,
                     struct mc_chain_index_entry **e, uint64_t *n)
{
    char f[PATH_MAX];
    if (ckpt_file(c, id, MC_CHAIN_INDEX, f, sizeof f))
        return -1;
    void *b;
    size_t len;
    uint32_t crc;
    size_t max = sizeof(struct mc_file_header) + sizeof(struct mc_chain_index_header) +
                 (size_t)man->npieces * sizeof **e;
    if (get_file(f, MC_FILE_CHAIN_INDEX, c->uuid, max, &b, &len, &crc)) {
        if (errno == ENOENT)
            return mc_fail(EBADMSG, "%s is missing", f);
        return -1;
    }
    const char *p = (const char *)b + sizeof(struct mc_file_header);
    struct mc_chain_index_header h;
    int rc = 0;
    if (crc != man->index_crc)
        rc = mc_fail(EBADMSG, "%s does not match the checkpoint's manifest", f);
    else if (len < sizeof h)
        rc = mc_fail(EBADMSG, "%s: truncated", f);
    if (!rc) {
        memcpy(&h, p, sizeof h);
        if (h.count != man->changed || len != sizeof h + h.count * sizeof **e ||
            h.data_pieces * c->info.piece_size != man->data_bytes)
            rc = mc_fail(EBADMSG, "%s: counts differ from the manifest", f);
    }
    struct mc_chain_index_entry *out = NULL;
    if (!rc && !(out = malloc(h.count ? h.count * sizeof *out : 1)))
        rc = mc_fail(ENOMEM, "%s: out of memory", f);
    if (!rc && h.count)
        memcpy(out, p + sizeof h, h.count * sizeof *out);
    for (uint64_t i = 0; !rc && i < h.count; i++)
        if (out[i].piece >= man->npieces || (i && out[i].piece <= out[i - 1].piece))
            rc = mc_fail(EBADMSG, "%s: entry %llu out of order or range", f,
                         (unsigned long long)i);
    free(b);
    if (rc) {
        free(out);
        return -1;
    }
    *e = out;
    *n = h.count;
    return 0;
}

/* ---- listing ---------------------------------------------------------------- */

static int cmp_entry(const void *a, const void *b)
{
    int64_t x = ((const struct mc_chain_entry *)a)->id, y = ((const struct mc_chain_entry *)b)->id;
    return x < y ? -1 : x > y;
}

static bool parse_ckpt_name(const char *name, int64_t *id)
{
    long long v;
    int used = 0;
    if (sscanf(name, "ckpt-%lld%n", &v, &used) != 1 || name[used] || v < 0 ||
        strlen(name) != 15)
        return false;
    *id = v;
    return true;
}

int chain_list(struct mc_chain *c, struct mc_chain_entry **out, size_t *n)
{
    DIR *d = opendir(c->path);
    if (!d)
        return mc_fail_sys(errno, "cannot read the chain %s", c->path);
    size_t cap = 16, k = 0;
    struct mc_chain_entry *v = malloc(cap * sizeof *v);
    struct dirent *de;
    while (v && (de = readdir(d))) {
        int64_t id;
        if (!parse_ckpt_name(de->d_name, &id))
            continue;
        if (k == cap) {
            struct mc_chain_entry *nv = realloc(v, (cap *= 2) * sizeof *v);
            if (!nv) {
                free(v);
                v = NULL;
                break;
            }
            v = nv;
        }
        memset(&v[k], 0, sizeof v[k]);
        v[k].id = id;
        int saved = errno;
        v[k].complete = chain_read_manifest(c, id, &v[k].man) == 0;
        errno = saved;
        v[k].restorable = v[k].complete && id >= c->base.merging_to && c->base.id >= 0;
        char dir[PATH_MAX];
        if (!chain_ckpt_dir(c, id, dir, sizeof dir))
            os_disk_usage(dir, &v[k].disk_bytes);
        k++;
    }
    closedir(d);
    if (!v)
        return mc_fail(ENOMEM, "%s: out of memory", c->path);
    qsort(v, k, sizeof *v, cmp_entry);
    mc_error_clear();
    *out = v;
    *n = k;
    return 0;
}

int64_t chain_newest(struct mc_chain *c)
{
    struct mc_chain_entry *v;
    size_t n;
    if (chain_list(c, &v, &n))
        return -2;
    int64_t best = -1;
    for (size_t i = 0; i < n; i++)
        if (v[i].restorable)
            best = v[i].id;
    free(v);
    return best;
}

int chain_prune(struct mc_chain *c, int64_t from)
{
    struct mc_chain_entry *v;
    size_t n;
    if (chain_list(c, &v, &n))
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        bool drop = !v[i].complete || v[i].id < c->base.id || (from >= 0 && v[i].id >= from);
        if (!drop)
            continue;
        char dir[PATH_MAX];
        if (chain_ckpt_dir(c, v[i].id, dir, sizeof dir)) {
            rc = -1;
        } else {
            /* manifest first: a half-removed checkpoint is an incomplete one */
            char m[PATH_MAX + 16];
            snprintf(m, sizeof m, "%s/%s", dir, MC_CHAIN_MANIFEST);
            unlink(m);
        }
        if (!rc && (rc = os_remove_tree(dir)) != 0 && rc != ENOENT)
            rc = mc_fail_sys(rc, "cannot remove %s", dir);
        else
            rc = 0;
    }
    free(v);
    return rc;
}

/* ---- piece hash table ------------------------------------------------------- */

static int load_base_hashes(struct mc_chain *c, uint64_t *t, uint64_t npieces)
{
    if (c->base.id < 0)
        return 0;
    char f[PATH_MAX];
    if (chain_file(c, MC_CHAIN_BASE_HASHES, f, sizeof f))
        return -1;
    int fd = open(f, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return mc_fail_sys(errno, "cannot open %s", f);
    uint64_t n = c->base.npieces < npieces ? c->base.npieces : npieces;
    size_t want = (size_t)n * 8, got = 0;
    while (got < want) {
        ssize_t r = pread(fd, (char *)t + got, want - got, (off_t)got);
        if (r <= 0) {
            int e = r < 0 ? errno : EBADMSG;
            close(fd);
            return mc_fail_sys(e, "%s: cannot read %zu bytes", f, want);
        }
        got += (size_t)r;
    }
    close(fd);
    return 0;
}

int chain_load_table(struct mc_chain *c, int64_t id, uint64_t **table, uint64_t *npieces)
{
    struct mc_chain_manifest man;
    if (chain_read_manifest(c, id, &man))
        return -1;
    uint64_t *t = calloc(man.npieces ? man.npieces : 1, 8);
    if (!t)
        return mc_fail(ENOMEM, "%s: out of memory for %llu piece hashes", c->path,
                       (unsigned long long)man.npieces);
    int rc = load_base_hashes(c, t, man.npieces);
    for (int64_t k = c->base.id + 1; !rc && k <= id; k++) {
        struct mc_chain_manifest km;
        struct mc_chain_index_entry *e;
        uint64_t n;
        if ((rc = chain_read_manifest(c, k, &km)) || (rc = chain_read_index(c, k, &km, &e, &n)))
            break;
        for (uint64_t i = 0; i < n; i++)
            if (e[i].piece < man.npieces)
                t[e[i].piece] = e[i].hash;
        /* pieces past a smaller image are gone (never: heaps do not shrink) */
        free(e);
    }
    if (rc) {
        free(t);
        return -1;
    }
    *table = t;
    *npieces = man.npieces;
    return 0;
}
