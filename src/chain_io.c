/*
 * chain_io.c - moving pieces: the sink a checkpoint writes its changed
 * pieces into (a delta's data file, or the base image of a full one),
 * merging old deltas into the base, and restoring a checkpoint.
 *
 * Merge (layout.h invariants): base/state first says merging_to = t, so
 * checkpoints below t stop being restorable before the base image
 * changes; the deltas up to t are applied in order; base/state then says
 * id = t; only then are the merged deltas deleted. A kill at any step
 * leaves every checkpoint >= t restorable, and the next merge redoes it.
 *
 * Restore writes each piece of the result once: the newest delta holding
 * a piece wins, the base fills the rest (read in 4 MiB windows, only the
 * pieces no delta has are written). It goes block by block (the base's
 * pieces, the deltas', then a sync), so that the written data streams out
 * as with a copy rather than piling up dirty in the page cache.
 */
#include "chain_io.h"

#include "datastore.h"
#include "error.h"
#include "layout.h"
#include "mgmt.h"
#include "os.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- small I/O helpers -------------------------------------------------- */

static int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
    const char *p = buf;
    while (len) {
        ssize_t w = pwrite(fd, p, len, off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return errno;
        p += w;
        len -= (size_t)w;
        off += w;
    }
    return 0;
}

static int pread_all(int fd, void *buf, size_t len, off_t off)
{
    char *p = buf;
    while (len) {
        ssize_t r = pread(fd, p, len, off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? errno : EBADMSG; /* short: the file was truncated */
        p += r;
        len -= (size_t)r;
        off += r;
    }
    return 0;
}

/* Open (create) image/block file i of dir with fmt, sized block bytes. */
static int open_block(const char *dir, const char *fmt, unsigned i, size_t block, bool create)
{
    char name[64], f[PATH_MAX];
    snprintf(name, sizeof name, fmt, i);
    if (snprintf(f, sizeof f, "%s/%s", dir, name) >= (int)sizeof f)
        return mc_fail(ENAMETOOLONG, "%s: path too long", dir);
    int fd = open(f, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
    if (fd < 0)
        return errno == ENOENT && !create ? -2 : mc_fail_sys(errno, "cannot open %s", f);
    struct stat st;
    if (fstat(fd, &st) == 0 && (size_t)st.st_size != block && create &&
        ftruncate(fd, (off_t)block) != 0) {
        int e = errno;
        close(fd);
        return mc_fail_sys(e, "cannot size %s", f);
    }
    return fd;
}

/* ---- sink --------------------------------------------------------------------- */

int sink_open(struct mc_sink *s, struct mc_chain *c, int64_t id, bool full, size_t flush_at,
              uint64_t *table)
{
    memset(s, 0, sizeof *s);
    s->c = c;
    s->table = table;
    s->id = id;
    s->full = full;
    s->piece = c->info.piece_size;
    s->flush_at = flush_at;
    s->data_fd = -1;
    char dir[PATH_MAX], f[PATH_MAX + 16];
    if (chain_ckpt_dir(c, id, dir, sizeof dir))
        return -1;
    int rc = os_mkdir_p(dir);
    if (rc)
        return mc_fail_sys(rc, "cannot create %s", dir);
    if (full)
        return 0; /* image files are opened as pieces arrive */
    snprintf(f, sizeof f, "%s/%s", dir, MC_CHAIN_DATA);
    s->data_fd = open(f, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->data_fd < 0)
        return mc_fail_sys(errno, "cannot create %s", f);
    return 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap : 64;
    while (nc < need)
        nc *= 2;
    void *np = realloc(*p, nc * elem);
    if (!np)
        return -1;
    *p = np;
    *cap = nc;
    return 0;
}

int sink_reserve(struct mc_sink *s, uint64_t entries, uint64_t staged)
{
    if (grow((void **)&s->e, &s->cap_e, s->n + entries, sizeof *s->e) ||
        grow((void **)&s->buf, &s->cap, s->len + staged * s->piece, 1))
        return mc_fail(ENOMEM, "%s: out of memory for the changed pieces", s->c->path);
    return 0;
}

int sink_add(struct mc_sink *s, uint64_t piece, const void *src)
{
    if (sink_reserve(s, 1, src != NULL))
        return -1;
    s->e[s->n].piece = piece;
    s->e[s->n].hash = src != NULL; /* staged or zero; the hash comes at settle() */
    s->n++;
    if (src) {
        mc_piece_copy(s->buf + s->len, src, s->piece);
        s->len += s->piece;
    }
    if (s->len >= s->flush_at)
        return sink_flush(s);
    return 0;
}

/* The pieces added since the last flush get their hashes (of the staged
 * copies: what the cut saw); a piece whose hash is the table's (changed
 * back meanwhile, or rewritten with the same bytes) is dropped, the
 * others go into the table; the staged data keeps the non-zero ones. */
static void settle(struct mc_sink *s)
{
    size_t P = s->piece, r = 0, w = 0;
    uint64_t k = s->flushed_e;
    for (uint64_t i = s->flushed_e; i < s->n; i++) {
        struct mc_chain_index_entry e = s->e[i];
        uint64_t h = 0;
        if (e.hash) {
            h = mc_piece_hash(s->buf + r, P);
            r += P;
        }
        if (h == s->table[e.piece])
            continue;
        s->table[e.piece] = h;
        s->e[k].piece = e.piece;
        s->e[k++].hash = h;
        if (h) {
            if (w != r - P)
                memmove(s->buf + w, s->buf + r - P, P);
            w += P;
            s->data_bytes += P;
        }
    }
    s->n = k;
    s->len = w;
}

/* Full checkpoint: staged pieces to their places in the base image. */
static int flush_full(struct mc_sink *s)
{
    struct mc_chain *c = s->c;
    char base[PATH_MAX];
    if (chain_file(c, MC_CHAIN_BASE_DIR, base, sizeof base))
        return -1;
    uint64_t ppb = c->info.block_size / s->piece;
    size_t at = 0;
    for (uint64_t i = s->flushed_e; i < s->n;) {
        if (!s->e[i].hash) {
            i++;
            continue;
        }
        uint64_t j = i + 1; /* a run of consecutive pieces in one image file */
        while (j < s->n && s->e[j].hash && s->e[j].piece == s->e[j - 1].piece + 1 &&
               s->e[j].piece / ppb == s->e[i].piece / ppb)
            j++;
        unsigned b = (unsigned)(s->e[i].piece / ppb);
        if (b >= s->nimg) {
            if (grow((void **)&s->img, &s->cap_img, b + 1, sizeof *s->img))
                return mc_fail(ENOMEM, "out of memory");
            for (unsigned k = s->nimg; k <= b; k++)
                s->img[k] = -1;
            s->nimg = b + 1;
        }
        if (s->img[b] < 0 &&
            (s->img[b] = open_block(base, "image-%06u", b, c->info.block_size, true)) < 0)
            return -1;
        size_t len = (size_t)(j - i) * s->piece;
        int rc = pwrite_all(s->img[b], s->buf + at, len, (off_t)((s->e[i].piece % ppb) * s->piece));
        if (rc)
            return mc_fail_sys(rc, "%s: cannot write the base image", c->path);
        at += len;
        i = j;
    }
    return 0;
}

int sink_flush(struct mc_sink *s)
{
    settle(s);
    int rc = 0;
    if (s->full)
        rc = flush_full(s);
    else if ((rc = pwrite_all(s->data_fd, s->buf, s->len, (off_t)s->written)))
        rc = mc_fail_sys(rc, "%s: cannot write checkpoint %lld's data", s->c->path,
                         (long long)s->id);
    if (rc)
        return -1;
    s->written += s->len;
    s->len = 0;
    s->flushed_e = s->n;
    return 0;
}

int sink_finish(struct mc_sink *s)
{
    if (sink_flush(s))
        return -1;
    int rc = s->data_fd >= 0 ? os_fsync(s->data_fd) : 0;
    for (unsigned i = 0; !rc && i < s->nimg; i++)
        if (s->img[i] >= 0)
            rc = os_fsync(s->img[i]);
    if (rc)
        return mc_fail_sys(rc, "%s: cannot sync checkpoint %lld's pieces", s->c->path,
                           (long long)s->id);
    return 0;
}

void sink_close(struct mc_sink *s)
{
    if (s->data_fd >= 0)
        close(s->data_fd);
    for (unsigned i = 0; i < s->nimg; i++)
        if (s->img[i] >= 0)
            close(s->img[i]);
    free(s->img);
    free(s->buf);
    free(s->e);
    memset(s, 0, sizeof *s);
    s->data_fd = -1;
}

/* Write the whole hash table as base/hashes (full checkpoint, merge). */
int chain_write_hashes(struct mc_chain *c, const uint64_t *t, uint64_t n)
{
    char f[PATH_MAX];
    if (chain_file(c, MC_CHAIN_BASE_HASHES, f, sizeof f))
        return -1;
    int fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return mc_fail_sys(errno, "cannot open %s", f);
    int rc = pwrite_all(fd, t, (size_t)n * 8, 0);
    if (!rc && ftruncate(fd, (off_t)n * 8) != 0)
        rc = errno;
    if (!rc)
        rc = os_fsync(fd);
    close(fd);
    if (rc)
        return mc_fail_sys(rc, "cannot write %s", f);
    return 0;
}

/* ---- merge -------------------------------------------------------------------- */

/* Apply delta d's pieces to the base image and the hash table t. */
static int apply_delta(struct mc_chain *c, int64_t d, int **img, unsigned *nimg, uint64_t *t)
{
    struct mc_chain_manifest man;
    struct mc_chain_index_entry *e = NULL;
    uint64_t n = 0;
    if (chain_read_manifest(c, d, &man) || chain_read_index(c, d, &man, &e, &n))
        return -1;
    char base[PATH_MAX], dir[PATH_MAX], f[PATH_MAX + 16];
    int rc = chain_file(c, MC_CHAIN_BASE_DIR, base, sizeof base) ||
             chain_ckpt_dir(c, d, dir, sizeof dir);
    size_t P = c->info.piece_size;
    uint64_t ppb = c->info.block_size / P;
    char *buf = malloc(P);
    snprintf(f, sizeof f, "%s/%s", dir, MC_CHAIN_DATA);
    int dfd = rc ? -1 : open(f, O_RDONLY | O_CLOEXEC);
    if (!rc && (!buf || dfd < 0))
        rc = buf ? mc_fail_sys(errno, "cannot open %s", f) : mc_fail(ENOMEM, "out of memory");
    off_t at = 0;
    for (uint64_t i = 0; !rc && i < n; i++) {
        unsigned b = (unsigned)(e[i].piece / ppb);
        if (b >= *nimg) {
            int *ni = realloc(*img, (b + 1) * sizeof *ni);
            if (!ni) {
                rc = mc_fail(ENOMEM, "out of memory");
                break;
            }
            for (unsigned k = *nimg; k <= b; k++)
                ni[k] = -1;
            *img = ni;
            *nimg = b + 1;
        }
        if ((*img)[b] < 0 &&
            ((*img)[b] = open_block(base, "image-%06u", b, c->info.block_size, true)) < 0) {
            rc = -1;
            break;
        }
        off_t pos = (off_t)((e[i].piece % ppb) * P);
        int err;
        if (e[i].hash) {
            err = pread_all(dfd, buf, P, at);
            at += (off_t)P;
            if (!err && mc_piece_hash(buf, P) != e[i].hash)
                err = EBADMSG;
            if (!err)
                err = pwrite_all((*img)[b], buf, P, pos);
        } else if ((err = os_punch_hole((*img)[b], pos, (off_t)P)) == EOPNOTSUPP) {
            memset(buf, 0, P);
            err = pwrite_all((*img)[b], buf, P, pos);
        }
        if (err)
            rc = mc_fail_sys(err, "%s: cannot merge piece %llu of checkpoint %lld", c->path,
                             (unsigned long long)e[i].piece, (long long)d);
        t[e[i].piece] = e[i].hash;
    }
    if (dfd >= 0)
        close(dfd);
    free(buf);
    free(e);
    return rc;
}

/* The ids of the complete checkpoints above the base, ascending. */
static int complete_ids(struct mc_chain *c, int64_t **ids, size_t *n)
{
    struct mc_chain_entry *v;
    size_t k;
    if (chain_list(c, &v, &k))
        return -1;
    int64_t *out = malloc((k ? k : 1) * sizeof *out);
    if (!out) {
        free(v);
        return mc_fail(ENOMEM, "out of memory");
    }
    *n = 0;
    for (size_t i = 0; i < k; i++)
        if (v[i].complete && v[i].id >= c->base.id)
            out[(*n)++] = v[i].id;
    free(v);
    *ids = out;
    return 0;
}

static int merge_to(struct mc_chain *c, int64_t t)
{
    struct mc_chain_manifest tm;
    if (chain_read_manifest(c, t, &tm))
        return -1;
    struct mc_chain_base b = c->base;
    b.merging_to = t; /* from here on, checkpoints below t are not restorable */
    if (chain_write_base(c, &b))
        return -1;
    mc_ckpt_killpoint("merge-started");
    uint64_t np = tm.npieces > c->base.npieces ? tm.npieces : c->base.npieces;
    uint64_t *tab = calloc(np ? np : 1, 8);
    struct mc_chain_base hb = c->base;
    int rc = tab ? 0 : mc_fail(ENOMEM, "out of memory");
    /* the base hashes as they are (load_table reads c->base.npieces) */
    if (!rc && c->base.npieces) {
        char f[PATH_MAX];
        int fd = chain_file(c, MC_CHAIN_BASE_HASHES, f, sizeof f) ? -1 : open(f, O_RDONLY);
        int e = fd < 0 ? errno : pread_all(fd, tab, (size_t)hb.npieces * 8, 0);
        if (fd >= 0)
            close(fd);
        if (e)
            rc = mc_fail_sys(e, "cannot read %s", f);
    }
    int *img = NULL;
    unsigned nimg = 0;
    for (int64_t d = c->base.id + 1; !rc && d <= t; d++) {
        rc = apply_delta(c, d, &img, &nimg, tab);
        mc_ckpt_killpoint("merge-applied");
    }
    for (unsigned i = 0; i < nimg; i++) {
        if (img[i] >= 0 && !rc && os_fsync(img[i]))
            rc = mc_fail_sys(errno, "%s: cannot sync the base image", c->path);
        if (img[i] >= 0)
            close(img[i]);
    }
    free(img);
    if (!rc)
        rc = chain_write_hashes(c, tab, tm.npieces);
    free(tab);
    if (rc)
        return -1;
    b = (struct mc_chain_base){t, t, tm.npieces, 0};
    if (chain_write_base(c, &b))
        return -1;
    mc_ckpt_killpoint("merge-done");
    return 0;
}

int chain_merge(struct mc_chain *c, unsigned keep)
{
    if (keep == 0)
        keep = 2;
    int64_t *ids = NULL;
    size_t n = 0;
    if (c->base.id < 0)
        return 0;
    if (complete_ids(c, &ids, &n))
        return -1;
    /* a merge interrupted before: finish it first */
    int64_t t = c->base.merging_to;
    if (n > keep && ids[n - keep] > t)
        t = ids[n - keep];
    free(ids);
    int rc = t > c->base.id ? merge_to(c, t) : 0;
    if (!rc)
        rc = chain_prune(c, -1);
    if (!rc && c->base.id >= 0) { /* the merged checkpoint's own delta is in the base now */
        char dir[PATH_MAX], f[PATH_MAX + 16];
        if (!chain_ckpt_dir(c, c->base.id, dir, sizeof dir)) {
            snprintf(f, sizeof f, "%s/%s", dir, MC_CHAIN_DATA);
            unlink(f);
        }
    }
    return rc;
}

/* ---- restore ------------------------------------------------------------------ */

/* The pieces a delta supplies to the restored image. */
struct supply {
    int64_t id;
    struct mc_chain_index_entry *e; /* the delta's entries it wins, in order */
    uint64_t *data_off;             /* their offsets in its data file */
    uint64_t n;
    uint64_t cur;                   /* the next entry to write (block by block) */
    int fd;                         /* its data file, -1 until needed */
};

/* Newest first, each piece goes to the newest delta that has it. */
static int plan(struct mc_chain *c, int64_t id, uint64_t npieces, uint64_t *claimed,
                struct supply **out, size_t *nout)
{
    size_t nd = (size_t)(id - c->base.id);
    struct supply *s = calloc(nd ? nd : 1, sizeof *s);
    if (!s)
        return mc_fail(ENOMEM, "out of memory");
    *out = s;
    *nout = nd;
    for (size_t k = 0; k < nd; k++)
        s[k].fd = -1;
    for (size_t k = 0; k < nd; k++) {
        int64_t d = id - (int64_t)k;
        struct mc_chain_manifest man;
        uint64_t n;
        s[k].id = d;
        if (chain_read_manifest(c, d, &man) || chain_read_index(c, d, &man, &s[k].e, &n)) {
            if (errno == ENOENT)
                mc_fail(EBADMSG, "%s: checkpoint %lld, needed to restore %lld, is missing",
                        c->path, (long long)d, (long long)id);
            return -1;
        }
        if (!(s[k].data_off = malloc((n ? n : 1) * 8)))
            return mc_fail(ENOMEM, "out of memory");
        uint64_t off = 0;
        for (uint64_t i = 0; i < n; i++) {
            uint64_t p = s[k].e[i].piece, here = off;
            if (s[k].e[i].hash)
                off += c->info.piece_size;
            if (p >= npieces || (claimed[p / 64] >> (p % 64) & 1))
                continue;
            claimed[p / 64] |= (uint64_t)1 << (p % 64);
            s[k].e[s[k].n] = s[k].e[i];
            s[k].data_off[s[k].n++] = here;
        }
    }
    return 0;
}

/* Copy block b's unclaimed pieces from the base image. */
static int restore_base_block(struct mc_chain *c, unsigned b, int out, const uint64_t *claimed,
                              uint64_t npieces, char *buf, size_t bufsize)
{
    char base[PATH_MAX];
    if (chain_file(c, MC_CHAIN_BASE_DIR, base, sizeof base))
        return -1;
    int in = open_block(base, "image-%06u", b, c->info.block_size, false);
    if (in == -2)
        return 0; /* no image: all zero */
    if (in < 0)
        return -1;
    size_t P = c->info.piece_size;
    uint64_t ppb = c->info.block_size / P, first = (uint64_t)b * ppb;
    uint64_t lim = c->base.npieces < npieces ? c->base.npieces : npieces;
    off_t end = lim <= first ? 0 : (off_t)((lim - first < ppb ? lim - first : ppb) * P);
    int rc = 0;
    for (off_t pos = 0; !rc && pos < end;) {
        off_t data = lseek(in, pos, SEEK_DATA);
        if (data < 0 || data >= end)
            break; /* only holes remain */
        off_t hole = lseek(in, data, SEEK_HOLE);
        if (hole < 0 || hole > end)
            hole = end;
        /* a window read at once, its unclaimed runs written from memory */
        for (off_t w = data; !rc && w < hole; w += (off_t)bufsize) {
            size_t wl = (size_t)(hole - w) < bufsize ? (size_t)(hole - w) : bufsize;
            rc = pread_all(in, buf, wl, w);
            uint64_t p0 = first + (uint64_t)w / P, pn = first + ((uint64_t)w + wl + P - 1) / P;
            for (uint64_t p = p0; !rc && p < pn;) {
                if (claimed[p / 64] >> (p % 64) & 1) {
                    p++;
                    continue;
                }
                uint64_t q = p + 1;
                while (q < pn && !(claimed[q / 64] >> (q % 64) & 1))
                    q++;
                off_t a = (off_t)((p - first) * P), e = (off_t)((q - first) * P);
                if (a < w)
                    a = w;
                if (e > w + (off_t)wl)
                    e = w + (off_t)wl;
                rc = pwrite_all(out, buf + (a - w), (size_t)(e - a), a);
                p = q;
            }
        }
        pos = hole;
    }
    close(in);
    if (rc)
        return mc_fail_sys(rc, "%s: cannot copy base image %u", c->path, b);
    return 0;
}

/* Write the pieces of block b that delta s supplies (its entries from
 * s->cur on), checking each against its hash. */
static int restore_delta_block(struct mc_chain *c, struct supply *s, uint64_t b, int out,
                               char *buf, size_t bufsize)
{
    size_t P = c->info.piece_size, per = bufsize / P;
    uint64_t ppb = c->info.block_size / P;
    char dir[PATH_MAX], f[PATH_MAX + 16];
    if (chain_ckpt_dir(c, s->id, dir, sizeof dir))
        return -1;
    snprintf(f, sizeof f, "%s/%s", dir, MC_CHAIN_DATA);
    int rc = 0;
    while (!rc && s->cur < s->n && s->e[s->cur].piece / ppb == b) {
        uint64_t i = s->cur;
        if (!s->e[i].hash) { /* zero: the new block file is a hole there */
            s->cur++;
            continue;
        }
        if (s->fd < 0 && (s->fd = open(f, O_RDONLY | O_CLOEXEC)) < 0)
            return mc_fail_sys(errno, "cannot open %s", f);
        uint64_t j = i + 1; /* consecutive in the data file: one read */
        while (j < s->n && j - i < per && s->e[j].hash && s->e[j].piece / ppb == b &&
               s->data_off[j] == s->data_off[j - 1] + P)
            j++;
        rc = pread_all(s->fd, buf, (size_t)(j - i) * P, (off_t)s->data_off[i]);
        for (uint64_t k = i; !rc && k < j; k++) {
            const char *piece = buf + (k - i) * P;
            if (mc_piece_hash(piece, P) != s->e[k].hash)
                rc = EBADMSG;
            else
                rc = pwrite_all(out, piece, P, (off_t)((s->e[k].piece % ppb) * P));
        }
        s->cur = j;
    }
    if (rc == EBADMSG)
        return mc_fail(EBADMSG, "%s: a piece does not match its hash (damaged)", f);
    if (rc)
        return mc_fail_sys(rc, "%s: cannot restore its pieces", f);
    return 0;
}

/* Block b of the restored heap: the base's pieces no delta has, then each
 * delta's, then synced (so the written data streams out block by block). */
static int restore_block(struct mc_chain *c, const char *tmp, uint64_t b, const uint64_t *claimed,
                         uint64_t np, struct supply *s, size_t ns, char *buf, size_t bufsize)
{
    int out = open_block(tmp, MC_BLOCK_FMT, (unsigned)b, c->info.block_size, true);
    if (out < 0)
        return -1;
    int rc = restore_base_block(c, (unsigned)b, out, claimed, np, buf, bufsize);
    mc_ckpt_killpoint("restore-base");
    for (size_t k = 0; !rc && k < ns; k++)
        rc = restore_delta_block(c, &s[k], b, out, buf, bufsize);
    if (!rc && os_fsync(out))
        rc = mc_fail_sys(errno, "%s: cannot sync the restored heap", tmp);
    close(out);
    return rc;
}

static int restore_mgmt(struct mc_chain *c, int64_t id, const char *tmp)
{
    char dir[PATH_MAX];
    if (chain_ckpt_dir(c, id, dir, sizeof dir))
        return -1;
    const char *files[] = {MC_FILE_DATASTORE_NAME, MC_FILE_CHUNKS_NAME, MC_FILE_NAMES_NAME,
                           MC_FILE_DESCRIPTION_NAME};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char s[PATH_MAX + 32], d[PATH_MAX + 32];
        snprintf(s, sizeof s, "%s/%s", dir, files[i]);
        snprintf(d, sizeof d, "%s/%s", tmp, files[i]);
        bool cloned;
        int rc = os_copy_file(s, d, &cloned);
        if (rc == ENOENT && i == 3)
            continue; /* no description */
        if (rc)
            return mc_fail_sys(rc, "cannot copy %s to %s", s, d);
    }
    return mgmt_write_closed(tmp, c->uuid);
}

static void free_plan(struct supply *s, size_t n)
{
    for (size_t k = 0; s && k < n; k++) {
        free(s[k].e);
        free(s[k].data_off);
        if (s[k].fd >= 0)
            close(s[k].fd);
    }
    free(s);
}

static int restore_into(struct mc_chain *c, int64_t id, const struct mc_chain_manifest *man,
                        const char *tmp)
{
    uint64_t np = man->npieces, nb = np * c->info.piece_size / c->info.block_size;
    uint64_t *claimed = calloc(np / 64 + 1, 8);
    size_t bufsize = (size_t)4 << 20;
    char *buf = malloc(bufsize);
    struct supply *s = NULL;
    size_t ns = 0;
    char seg[PATH_MAX + 16];
    snprintf(seg, sizeof seg, "%s/%s", tmp, MC_SEGMENT_DIR);
    int rc = claimed && buf ? 0 : mc_fail(ENOMEM, "out of memory");
    if (!rc)
        rc = plan(c, id, np, claimed, &s, &ns);
    for (uint64_t b = 0; !rc && b < nb; b++)
        rc = restore_block(c, tmp, b, claimed, np, s, ns, buf, bufsize);
    if (!rc && nb && os_fsync_dir(seg))
        rc = mc_fail_sys(errno, "cannot sync %s", seg);
    free_plan(s, ns);
    free(claimed);
    free(buf);
    if (!rc)
        rc = restore_mgmt(c, id, tmp);
    mc_ckpt_killpoint("restore-written");
    return rc;
}

int chain_restore(struct mc_chain *c, int64_t id, const char *dst)
{
    if (id < 0 && (id = chain_newest(c)) < 0)
        return id == -1 ? mc_fail(ENOENT, "%s holds no complete checkpoint", c->path) : -1;
    if (c->base.id < 0 || id < c->base.merging_to)
        return mc_fail(ENOENT, "%s: checkpoint %lld was merged away (the oldest restorable is %lld)",
                       c->path, (long long)id, (long long)c->base.merging_to);
    struct mc_chain_manifest man;
    if (chain_read_manifest(c, id, &man))
        return -1;
    char tmp[PATH_MAX];
    if (mc_ds_make_tmp(dst, tmp, sizeof tmp))
        return -1;
    int rc = restore_into(c, id, &man, tmp);
    return mc_ds_finish_tmp(rc, tmp, dst) ? 0 : -1;
}
