/*
 * checkpoint.c - incremental checkpoints of an open datastore into a chain
 * (chain.h), synchronous or asynchronous, and the public restore calls.
 *
 * The cut: under the allocator's locks (as a snapshot) the management
 * images and the map of free chunks are taken; then the changed pieces are
 * found, in one of two ways (docs/checkpoint.md has the trade-offs):
 *  - hash scan (any file system): every piece of the heap image is hashed
 *    in place and compared with the piece hash of the chain's newest
 *    checkpoint (kept in memory by the manager, or rebuilt from the
 *    chain). A changed piece is copied into the sink, which hashes the
 *    copy again when it flushes (so the index always matches the data
 *    even while other threads write).
 *  - write tracking (chain_wp.h): the pages written since the last cut;
 *    the pieces holding them are copied into the sink, unhashed: the
 *    sink hashes the copies at its flush (for async, in the background
 *    job) and drops those equal to the table's.
 *  - reflink generation (XFS, btrfs; chain_gen.h): the heap files are
 *    flushed and their extent maps compared with shadow files that share
 *    the blocks of the last cut; the changed ranges are cloned into the
 *    shadows, and the job reads them from there (never from the live
 *    heap), hashes them against the table and copies the changed ones.
 *    The first checkpoint of a manager into a chain hashes instead and
 *    builds the generation. Only with METALLC_CKPT_DETECT=reflink: the
 *    flush at the cut costs more than a hash scan where it was measured.
 * Pieces of free chunks are zero and never read.
 *
 * Sync: the sink writes as it fills; the manifest is written last, then
 * retention (chain_merge) runs on a background thread. Async: the call
 * returns after the cut; a background thread hashes and writes the
 * changed pieces (hash scan, write tracking: staged in memory by the cut;
 * reflink: read from the frozen shadows), the manifest, and merges. One job at a time per manager: a
 * later checkpoint, metall_checkpoint_wait() and metall_close() join the
 * pending one.
 *
 * Lock order: ck->mu (one checkpoint call at a time) -> m->meta_lock ->
 * the allocator's locks (mc_ds_cut). The background thread takes none of
 * them: it owns its job (chain lock, staged pieces, images) and, while it
 * runs, ck's hash table and generation (the caller joins it before
 * touching them).
 */
#include "checkpoint.h"

#include "chain_gen.h"
#include "chain_io.h"
#include "chain_wp.h"
#include "chunk.h"
#include "datastore.h"
#include "error.h"
#include "hook.h"
#include "layout.h"
#include "mgmt.h"
#include "os.h"
#include "tcache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MSG_MAX 1024

struct mc_ckpt;

/* One background job: finishing an async checkpoint and/or merging. */
struct job {
    struct mc_chain chain;
    struct mc_sink sink;
    bool finish;                   /* write the sink, mgmt files, manifest */
    bool collect;                  /* first: the changed pieces from the generation */
    struct mc_ckpt *ck;            /* its manager's (collect: the table and generation) */
    struct mc_gen_runs runs;       /* collect: the changed pages */
    uint8_t *free_ch;              /* collect: the cut's free chunks */
    uint8_t *fresh;                /* collect: chunks allocated since the last cut */
    uint64_t live;                 /* collect: pieces of the heap at the cut */
    double collect_s, write_s;
    uint64_t read_pieces;
    bool wrote;                    /* job_finish ran to its end */
    bool merge;
    unsigned keep;
    struct mc_chain_manifest man;
    struct mc_datastore_info info;
    void *chunks, *names, *desc;
    size_t chunks_len, names_len, desc_len;
    int rc, err;
    char msg[MSG_MAX];
};

enum { DETECT_AUTO, DETECT_HASH, DETECT_REFLINK, DETECT_WP };
enum { TRACK_NONE, TRACK_GEN, TRACK_WP };

struct mc_ckpt {
    pthread_mutex_t mu;
    /* how changes are found */
    int detect;                    /* METALLC_CKPT_DETECT */
    int track;                     /* TRACK_*: what finds the changes between cuts */
    bool tracked;                  /* it is valid since the cut the table holds */
    struct mc_gen gen;             /* TRACK_GEN */
    struct mc_wp wp;               /* TRACK_WP */
    uint8_t *prev_free;            /* the free chunks of the table's cut */
    uint64_t prev_nchunks;
    char *stage;                   /* a staging buffer kept from the last job */
    size_t stage_cap;
    struct mc_ckpt_stats stats;    /* of the last checkpoint */
    /* the piece hashes of the newest checkpoint this manager wrote */
    char chain[PATH_MAX];
    uint8_t chain_uuid[16];
    int64_t id;                    /* -1: no table */
    uint64_t *table;
    uint64_t npieces;
    size_t piece;
    /* the background job */
    struct job *job;
    pthread_t thread;
    /* an unreported failure of a background job */
    int err;
    char msg[MSG_MAX];
};

/* A staging buffer up to this size is kept for the next checkpoint: its
 * pages are then not faulted in and zeroed again in the cut. */
#define STAGE_KEEP ((size_t)64 << 20)

static void job_free(struct job *j)
{
    if (!j)
        return;
    struct mc_ckpt *ck = j->ck;
    if (ck && !ck->stage && j->sink.cap <= STAGE_KEEP) { /* the caller holds ck->mu */
        ck->stage = j->sink.buf;
        ck->stage_cap = j->sink.cap;
        j->sink.buf = NULL;
        j->sink.cap = 0;
    }
    sink_close(&j->sink);
    chain_close(&j->chain);
    free(j->runs.v);
    free(j->free_ch);
    free(j->fresh);
    free(j->chunks);
    free(j->names);
    free(j->desc);
    free(j);
}

/* ---- writing a checkpoint's files ------------------------------------------------ */

static int write_in(const char *dir, const char *name, const void *buf, size_t len)
{
    char f[PATH_MAX + 32];
    snprintf(f, sizeof f, "%s/%s", dir, name);
    int rc = mc_write_file_synced(f, buf, len); /* the manifest commits them */
    return rc ? mc_fail_sys(rc, "cannot write %s", f) : 0;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* This thread's CPU time and page faults (minor, major), for the figures. */
static void thread_use(double *cpu, uint64_t *minflt, uint64_t *majflt)
{
    struct timespec t;
    struct rusage ru;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    *cpu = (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
    *minflt = *majflt = 0;
    if (getrusage(RUSAGE_THREAD, &ru) == 0) {
        *minflt = (uint64_t)ru.ru_minflt;
        *majflt = (uint64_t)ru.ru_majflt;
    }
}

/* Reflink: the pieces the cut found changed, read from the generation
 * (frozen at the cut), in piece order with the zero pieces of free chunks;
 * only those whose hash differs from the table's go to the sink. */
static int collect(struct job *j)
{
    double t0 = now_s();
    struct mc_ckpt *ck = j->ck;
    size_t P = j->sink.piece;
    uint64_t pages = P / MC_GEN_PAGE, per_chunk = MC_CHUNK_SIZE / P;
    char *buf = malloc(P);
    if (!buf)
        return mc_fail(ENOMEM, "out of memory");
    size_t r = 0;
    int rc = 0;
    for (uint64_t p = 0; !rc && p < ck->npieces; p++) {
        uint64_t *t = &ck->table[p];
        if (p >= j->live || j->free_ch[p / per_chunk]) {
            if (*t)
                rc = sink_add(&j->sink, p, NULL);
            continue;
        }
        while (r < j->runs.n && j->runs.v[r].first + j->runs.v[r].n <= p * pages)
            r++;
        if (!j->fresh[p / per_chunk] && (r == j->runs.n || j->runs.v[r].first >= (p + 1) * pages))
            continue; /* unchanged since the last cut */
        j->read_pieces++;
        rc = gen_read(&ck->gen, p * P, buf, P);
        if (!rc)
            rc = sink_add(&j->sink, p, buf);
    }
    free(buf);
    j->collect_s = now_s() - t0;
    return rc;
}

/* Everything after the cut: pieces, index, management files, manifest. */
static int job_finish(struct job *j)
{
    struct mc_chain *c = &j->chain;
    char dir[PATH_MAX];
    uint32_t crc;
    if (j->collect && collect(j))
        return -1;
    double t0 = now_s();
    if (sink_finish(&j->sink) || chain_ckpt_dir(c, j->man.id, dir, sizeof dir))
        return -1;
    mc_ckpt_killpoint("ckpt-data");
    if (chain_write_index(c, j->man.id, j->sink.e, j->sink.n, &crc))
        return -1;
    if (mgmt_write_datastore(dir, c->uuid, &j->info) ||
        write_in(dir, MC_FILE_CHUNKS_NAME, j->chunks, j->chunks_len) ||
        write_in(dir, MC_FILE_NAMES_NAME, j->names, j->names_len) ||
        (j->desc && write_in(dir, MC_FILE_DESCRIPTION_NAME, j->desc, j->desc_len)))
        return -1;
    int rc = os_fsync_dir(dir);
    if (rc)
        return mc_fail_sys(rc, "cannot sync %s", dir);
    mc_ckpt_killpoint("ckpt-manifest");
    j->man.index_crc = crc;
    j->man.changed = j->sink.n;
    j->man.data_bytes = j->sink.data_bytes;
    if (chain_write_manifest(c, &j->man))
        return -1;
    mc_ckpt_killpoint("ckpt-done");
    j->write_s = now_s() - t0;
    j->wrote = true;
    return 0;
}

static void *job_main(void *arg)
{
    struct job *j = arg;
    j->rc = 0;
    if (j->finish)
        j->rc = job_finish(j);
    if (!j->rc && j->merge)
        j->rc = chain_merge(&j->chain, j->keep);
    if (j->rc) {
        j->err = errno;
        snprintf(j->msg, sizeof j->msg, "%s", metall_errmsg());
    }
    chain_close(&j->chain); /* lets readers and the next writer in */
    return NULL;
}

/* What the job adds to the last checkpoint's figures. */
static void note_job(struct mc_ckpt *ck, const struct job *j)
{
    if (!j->wrote)
        return;
    ck->stats.collect_s = j->collect_s;
    ck->stats.write_s = j->write_s;
    if (j->collect)
        ck->stats.read_pieces = j->read_pieces;
    ck->stats.changed = j->sink.n;
}

/* Join the pending job; its failure is kept for metall_checkpoint_wait(). */
static void join(struct mc_ckpt *ck)
{
    struct job *j = ck->job;
    if (!j)
        return;
    pthread_join(ck->thread, NULL);
    ck->job = NULL;
    note_job(ck, j);
    if (j->rc) {
        if (j->finish)
            ck->id = -1; /* the chain does not hold what the table says */
        ck->err = j->err ? j->err : EIO;
        snprintf(ck->msg, sizeof ck->msg, "%s", j->msg);
    }
    job_free(j);
}

/* Run j on the background thread (inline if no thread can be started). */
static int start(struct mc_ckpt *ck, struct job *j)
{
    if (pthread_create(&ck->thread, NULL, job_main, j) == 0) {
        ck->job = j;
        return 0;
    }
    job_main(j);
    note_job(ck, j);
    int rc = j->rc;
    if (rc) {
        ck->id = j->finish ? -1 : ck->id;
        mc_fail(j->err ? j->err : EIO, "%s", j->msg);
    }
    job_free(j);
    return rc ? -1 : 0;
}

/* ---- the cut --------------------------------------------------------------------- */

static size_t env_size(const char *name, size_t dflt)
{
    const char *v = getenv(name);
    return v && *v ? (size_t)strtoull(v, NULL, 10) : dflt;
}

static struct mc_ckpt *ckpt_of(metall_manager *m)
{
    pthread_mutex_lock(&m->meta_lock);
    if (!m->ckpt && (m->ckpt = calloc(1, sizeof *m->ckpt))) {
        pthread_mutex_init(&m->ckpt->mu, NULL);
        struct mc_ckpt *ck = m->ckpt;
        ck->id = -1;
        ck->wp.uffd = ck->wp.pagemap = -1;
        const char *d = getenv("METALLC_CKPT_DETECT");
        ck->detect = !d                          ? DETECT_AUTO
                     : strcmp(d, "hash") == 0    ? DETECT_HASH
                     : strcmp(d, "reflink") == 0 ? DETECT_REFLINK
                     : strcmp(d, "wp") == 0      ? DETECT_WP
                                                 : DETECT_AUTO;
        /* the reflink generation only when asked for: its cut costs more
         * than a hash scan where it was measured (docs/checkpoint.md) */
        ck->track = ck->detect == DETECT_HASH      ? TRACK_NONE
                    : ck->detect == DETECT_REFLINK ? TRACK_GEN
                                                   : TRACK_WP;
    }
    pthread_mutex_unlock(&m->meta_lock);
    if (!m->ckpt)
        mc_fail(ENOMEM, "%s: out of memory", m->path);
    return m->ckpt;
}

/* The previous checkpoint's piece hashes, sized for npieces (zero-extended). */
static int prepare_table(struct mc_ckpt *ck, struct mc_chain *c, int64_t newest, uint64_t npieces)
{
    bool mine = ck->id == newest && newest >= 0 && ck->piece == c->info.piece_size &&
                strcmp(ck->chain, c->path) == 0 &&
                memcmp(ck->chain_uuid, c->info.chain_uuid, 16) == 0;
    if (!mine) {
        ck->tracked = false; /* it matched another state */
        free(ck->table);
        ck->table = NULL;
        ck->npieces = 0;
        ck->id = -1;
        if (newest >= 0 && chain_load_table(c, newest, &ck->table, &ck->npieces))
            return -1;
    }
    if (npieces > ck->npieces) {
        uint64_t *t = realloc(ck->table, npieces * 8);
        if (!t)
            return mc_fail(ENOMEM, "%s: out of memory for piece hashes", c->path);
        memset(t + ck->npieces, 0, (npieces - ck->npieces) * 8);
        ck->table = t;
        ck->npieces = npieces;
    }
    snprintf(ck->chain, sizeof ck->chain, "%s", c->path);
    memcpy(ck->chain_uuid, c->info.chain_uuid, 16);
    ck->piece = c->info.piece_size;
    return 0;
}

/* The scan reads objects that other threads may be writing: by design (a
 * checkpoint, like a snapshot, catches them as they are; the index stays
 * right because changed pieces are hashed from their copy). ThreadSanitizer
 * is told so; only the heap is read while it ignores this thread. */
#if defined(__SANITIZE_THREAD__)
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
#define HEAP_READS_BEGIN() AnnotateIgnoreReadsBegin(__FILE__, __LINE__)
#define HEAP_READS_END() AnnotateIgnoreReadsEnd(__FILE__, __LINE__)
#else
#define HEAP_READS_BEGIN() ((void)0)
#define HEAP_READS_END() ((void)0)
#endif

/* Hash every piece of the heap in place; the changed ones go to the sink
 * (the hash-scan cut). Pieces of free chunks are zero and never read. */
static int scan_all(metall_manager *m, struct mc_ckpt *ck, struct job *j, const uint8_t *free_ch,
                    uint64_t live_pieces)
{
    struct mc_sink *s = &j->sink;
    size_t P = s->piece;
    uint64_t per_chunk = MC_CHUNK_SIZE / P, hashed = 0;
    for (uint64_t p = 0; p < ck->npieces; p++) {
        uint64_t t = ck->table[p];
        if (p >= live_pieces || free_ch[p / per_chunk]) {
            if (t && sink_add(s, p, NULL))
                return -1;
            continue;
        }
        const char *src = m->seg.base + p * P;
        hashed++;
        HEAP_READS_BEGIN();
        int rc = mc_piece_hash(src, P) != t ? sink_add(s, p, src) : 0;
        HEAP_READS_END();
        if (rc)
            return -1;
    }
    ck->stats.read_pieces = hashed;
    return 0;
}

#define ZERO_PIECE ((uint64_t)1 << 63) /* in a piece list: the piece is zero now */

struct plist {
    uint64_t *v;
    uint64_t n, cap, staged;
};

static int plist_push(struct plist *l, uint64_t p)
{
    if (l->n == l->cap) {
        uint64_t nc = l->cap ? l->cap * 2 : 4096, *nv = realloc(l->v, nc * 8);
        if (!nv)
            return mc_fail(ENOMEM, "out of memory");
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = p;
    l->staged += !(p & ZERO_PIECE);
    return 0;
}

/* The pieces a write-tracking cut copies, in order: those with a candidate
 * page, those of fresh chunks (whole), and, as zero pieces, those of free
 * chunks and past the heap whose table hash is not zero. Only the set bits
 * of the candidate map are visited. */
static int wp_pieces(const struct mc_ckpt *ck, const uint8_t *free_ch, uint64_t live,
                     const struct mc_wp_pages *cand, const uint8_t *fresh, size_t P,
                     struct plist *l)
{
    uint64_t per_chunk = MC_CHUNK_SIZE / P, ppp = P / MC_WP_PAGE;
    for (uint64_t ch = 0; ch * per_chunk < ck->npieces; ch++) {
        uint64_t p0 = ch * per_chunk, p1 = p0 + per_chunk < ck->npieces ? p0 + per_chunk
                                                                        : ck->npieces;
        int rc = 0;
        if (p0 >= live || free_ch[ch]) {
            for (uint64_t p = p0; !rc && p < p1; p++)
                if (ck->table[p])
                    rc = plist_push(l, p | ZERO_PIECE);
        } else if (fresh[ch]) {
            for (uint64_t p = p0; !rc && p < p1; p++)
                rc = plist_push(l, p);
        } else { /* a chunk's pages fill whole words of the map */
            uint64_t z = p1 * ppp < cand->npages ? p1 * ppp : cand->npages;
            for (uint64_t w = p0 * ppp / 64; !rc && w * 64 < z; w++) {
                for (uint64_t b = cand->bits[w]; !rc && b; b &= b - 1) {
                    uint64_t p = (w * 64 + (uint64_t)__builtin_ctzll(b)) / ppp;
                    if (!l->n || l->v[l->n - 1] != p)
                        rc = plist_push(l, p);
                }
            }
        }
        if (rc)
            return -1;
    }
    return 0;
}

/* The write-tracking cut's copy: the listed pieces into the sink, room
 * for them made first (their hashes come later, from the copies, in the
 * background job when async). */
static int wp_copy(metall_manager *m, struct mc_ckpt *ck, struct job *j, const struct plist *l)
{
    struct mc_sink *s = &j->sink;
    size_t P = s->piece;
    uint64_t room = s->flush_at / P + 1; /* never more than a flush stages */
    if (sink_reserve(s, l->n, l->staged < room ? l->staged : room))
        return -1;
    for (uint64_t i = 0; i < l->n; i++) {
        uint64_t p = l->v[i] & ~ZERO_PIECE;
        HEAP_READS_BEGIN();
        int rc = sink_add(s, p, l->v[i] & ZERO_PIECE ? NULL : m->seg.base + p * P);
        HEAP_READS_END();
        if (rc)
            return -1;
    }
    ck->stats.read_pieces = l->staged;
    return 0;
}

/* Chunks allocated at this cut that were free (or beyond the heap) at the
 * last one: their pieces were recorded as zeros without being read, and
 * may hold what was written while they were free, so they are read now
 * whatever the tracking says (1 = fresh; malloc'd). */
static uint8_t *fresh_chunks(const struct mc_ckpt *ck, const uint8_t *free_ch, uint64_t nchunks)
{
    uint8_t *f = malloc(nchunks ? nchunks : 1);
    if (!f) {
        mc_fail(ENOMEM, "out of memory");
        return NULL;
    }
    for (uint64_t c = 0; c < nchunks; c++)
        f[c] = !free_ch[c] && (c >= ck->prev_nchunks || ck->prev_free[c]);
    return f;
}

/* Build the generation anew (before the hash scan that records the
 * chain's state: pages written after the clone differ at the next cut).
 * A file system that cannot clone fails (only asked for explicitly). */
static int gen_establish(metall_manager *m, struct mc_ckpt *ck, unsigned nblocks)
{
    double t0 = now_s();
    int rc = gen_possible(m->path) ? gen_reset(&ck->gen, m->path, m->seg.block_size)
                                   : mc_fail(EOPNOTSUPP, "%s: file system block larger "
                                                         "than a page", m->path);
    for (unsigned b = 0; !rc && b < nblocks; b++)
        rc = gen_track(&ck->gen, m->seg.fds[b], b);
    ck->stats.map_s += now_s() - t0;
    if (!rc)
        ck->tracked = true;
    else
        gen_free(&ck->gen, true);
    return rc;
}

/* Arm the write tracking (before the hash scan that records the chain's
 * state: pages written from now on are the next cut's candidates). A
 * kernel without it turns it off for this manager (auto). */
static int wp_establish(metall_manager *m, struct mc_ckpt *ck, unsigned nblocks)
{
    double t0 = now_s();
    int rc = ck->wp.uffd >= 0 ? 0 : wp_open(&ck->wp, m->path);
    if (!rc)
        rc = wp_arm(&ck->wp, &m->seg, nblocks);
    ck->stats.map_s += now_s() - t0;
    if (!rc) {
        ck->tracked = true;
        return 0;
    }
    if (ck->detect == DETECT_WP)
        return -1;
    if (errno == EOPNOTSUPP)
        ck->track = TRACK_NONE; /* hash scans only, from now on */
    wp_close(&ck->wp);
    mc_error_clear();
    return 0;
}

/* Reflink cut: the changed runs of every block (new blocks start empty);
 * the job reads them from the generation. */
static int gen_cut(metall_manager *m, struct mc_ckpt *ck, struct job *j, unsigned nblocks)
{
    struct mc_gen *g = &ck->gen;
    double t0 = now_s();
    g->extents = 0;
    g->flush_s = 0;
    int rc = 0;
    for (unsigned b = 0; !rc && b < nblocks; b++) {
        if (b >= g->n)
            rc = gen_track_empty(g, b);
        if (!rc)
            rc = gen_diff(g, m->seg.fds[b], b, &j->runs);
    }
    ck->stats.flush_s = g->flush_s;
    ck->stats.map_s = now_s() - t0 - g->flush_s;
    ck->stats.extents = g->extents;
    ck->stats.runs = j->runs.n;
    return rc;
}

/* Write-tracking cut: the candidates, then a scan of those only (1: the
 * tracking failed, nothing went to the sink). */
static int wp_scan(metall_manager *m, struct mc_ckpt *ck, struct job *j, unsigned nblocks,
                   const uint8_t *free_ch, uint64_t live, const uint8_t *fresh)
{
    struct mc_wp_pages c = {0};
    double t0 = now_s(), c0, c1, c2;
    uint64_t f0, f1, g0, g1;
    ck->wp.regions = 0;
    thread_use(&c0, &f0, &g0);
    int rc = wp_cut(&ck->wp, &m->seg, nblocks, &c) ? 1 : 0;
    double t1 = now_s();
    thread_use(&c1, &f1, &g1);
    ck->stats.map_s = t1 - t0;
    ck->stats.map_cpu_s = c1 - c0;
    ck->stats.runs = ck->wp.regions;
    struct plist l = {0};
    if (!rc && wp_pieces(ck, free_ch, live, &c, fresh, j->sink.piece, &l))
        rc = -1;
    if (!rc)
        rc = wp_copy(m, ck, j, &l);
    free(l.v);
    ck->stats.scan_s = now_s() - t1;
    thread_use(&c2, &f1, &g1);
    ck->stats.scan_cpu_s = c2 - c1;
    ck->stats.minflt = f1 - f0;
    ck->stats.majflt = g1 - g0;
    ck->stats.changed = j->sink.n;
    free(c.bits);
    return rc;
}

/* The changes from the tracking (valid since the last cut): 0; 1 when the
 * tracking is lost before anything went to the sink (the caller hashes
 * everything instead); -1 on another failure. */
static int tracked_changes(metall_manager *m, struct mc_ckpt *ck, struct job *j,
                           unsigned nblocks, uint8_t **free_ch, uint64_t live)
{
    uint64_t nchunks = (uint64_t)nblocks * m->seg.block_size / MC_CHUNK_SIZE;
    uint8_t *fresh = fresh_chunks(ck, *free_ch, nchunks);
    if (!fresh)
        return -1;
    if (ck->track == TRACK_WP) {
        ck->stats.method = MC_CKPT_WP;
        int rc = wp_scan(m, ck, j, nblocks, *free_ch, live, fresh);
        free(fresh);
        return rc;
    }
    ck->stats.method = MC_CKPT_REFLINK;
    if (gen_cut(m, ck, j, nblocks)) {
        free(fresh);
        return 1;
    }
    j->collect = true;
    j->live = live;
    j->fresh = fresh;
    j->free_ch = *free_ch; /* the job's now */
    *free_ch = NULL;
    return 0;
}

/* Find the changed pieces: from the tracking when it is valid, else by a
 * hash scan of the whole heap (arming the tracking first). */
static int find_changes(metall_manager *m, struct mc_ckpt *ck, struct job *j, bool full,
                        unsigned nblocks, uint8_t **free_ch, uint64_t live)
{
    uint64_t nchunks = (uint64_t)nblocks * m->seg.block_size / MC_CHUNK_SIZE;
    uint8_t *keep = malloc(nchunks ? nchunks : 1); /* the next cut's prev_free */
    if (!keep)
        return mc_fail(ENOMEM, "out of memory");
    memcpy(keep, *free_ch, nchunks);
    int rc = -1;
    if (ck->tracked && !full && !m->read_only) {
        rc = tracked_changes(m, ck, j, nblocks, free_ch, live);
        if (rc > 0) { /* the tracking is lost; nothing went to the sink */
            ck->tracked = false;
            j->runs.n = 0;
            if (ck->detect == DETECT_REFLINK || ck->detect == DETECT_WP)
                rc = -1;
            else
                mc_error_clear(); /* e.g. no space for the clones: hash this time */
        }
        if (rc < 0) {
            free(keep);
            return -1;
        }
    }
    if (rc) {
        ck->tracked = false;
        ck->stats.method = MC_CKPT_HASH;
        if (!m->read_only && ck->track == TRACK_GEN)
            rc = gen_establish(m, ck, nblocks);
        else if (!m->read_only && ck->track == TRACK_WP)
            rc = wp_establish(m, ck, nblocks);
        else
            rc = 0;
        if (ck->tracked)
            ck->stats.method = ck->track == TRACK_GEN ? MC_CKPT_HASH_GEN : MC_CKPT_HASH_WP;
        double t0 = now_s();
        if (!rc)
            rc = scan_all(m, ck, j, *free_ch, live);
        ck->stats.scan_s = now_s() - t0;
        ck->stats.changed = j->sink.n;
    }
    if (rc) {
        free(keep);
        return -1;
    }
    free(ck->prev_free);
    ck->prev_free = keep;
    ck->prev_nchunks = nchunks;
    return 0;
}

/* Take the cut and find the changes: fills j (chain open and locked by
 * the caller). */
static int cut(metall_manager *m, struct mc_ckpt *ck, struct job *j, int64_t id, bool full,
               size_t flush_at)
{
    struct mc_chain *c = &j->chain;
    uint8_t *free_ch = NULL;
    unsigned nblocks = 0;
    double t0 = now_s();
    tcache_flush_mine(m);
    chunk_purge_wait(m, false); /* freed chunks are punched: they read as zero */
    pthread_mutex_lock(&m->meta_lock);
    int rc = mc_ds_cut(m, &j->chunks, &j->chunks_len, &j->names, &j->names_len, &nblocks,
                       &free_ch);
    ck->stats.images_s = now_s() - t0;
    if (!rc) {
        char f[PATH_MAX + 16];
        snprintf(f, sizeof f, "%s/%s", m->path, MC_FILE_DESCRIPTION_NAME);
        int e = os_read_file(f, METALL_DESCRIPTION_MAX + 1, &j->desc, &j->desc_len);
        if (e && e != ENOENT)
            rc = mc_fail_sys(e, "cannot read %s", f);
    }
    uint64_t live = (uint64_t)nblocks * m->seg.block_size / c->info.piece_size;
    if (!rc)
        (void)mc_hook("checkpoint:cut", m->path); /* tests: stores right after the cut */
    if (!rc)
        rc = prepare_table(ck, c, full ? -1 : j->man.parent, live);
    if (!rc)
        rc = sink_open(&j->sink, c, id, full, flush_at, ck->table);
    if (!rc && ck->stage) { /* its pages are there already */
        j->sink.buf = ck->stage;
        j->sink.cap = ck->stage_cap;
        ck->stage = NULL;
    }
    if (!rc)
        rc = find_changes(m, ck, j, full, nblocks, &free_ch, live);
    pthread_mutex_unlock(&m->meta_lock);
    free(free_ch);
    j->info = (struct mc_datastore_info){m->capacity, m->seg.block_size, MC_CHUNK_SIZE,
                                         m->created_unix, {0}};
    memcpy(j->info.creator, m->creator, sizeof j->info.creator);
    j->man.npieces = ck->npieces; /* never shrinks: pieces past the heap are zero */
    ck->id = rc ? -1 : id;
    return rc;
}

/* Open the chain for writing and decide the new checkpoint's id. */
static int open_chain(metall_manager *m, struct job *j, const char *chain_dir, int64_t want_id,
                      bool *full)
{
    struct mc_chain_info want = {env_size("METALLC_CKPT_PIECE_KB", MC_PIECE_DEFAULT / 1024) * 1024,
                                 m->seg.block_size, m->capacity, 0, {0}};
    struct mc_chain *c = &j->chain;
    if (chain_open(c, chain_dir, true, true, m->uuid, &want))
        return -1;
    if (c->info.block_size != m->seg.block_size)
        return mc_fail(EINVAL, "%s: the chain's block size differs from %s's", c->path, m->path);
    if (chain_prune(c, want_id))
        return -1;
    int64_t newest = chain_newest(c);
    if (newest < -1)
        return -1;
    *full = newest < 0;
    if (*full) { /* a new chain, or nothing restorable in it: start over */
        char base[PATH_MAX];
        if (chain_prune(c, 0) || chain_file(c, MC_CHAIN_BASE_DIR, base, sizeof base))
            return -1;
        os_remove_tree(base);
        int rc = os_mkdir_p(base);
        if (rc)
            return mc_fail_sys(rc, "cannot create %s", base);
        c->base = (struct mc_chain_base){-1, -1, 0, 0};
    }
    j->man.id = want_id >= 0 ? want_id : newest + 1 > 0 ? newest + 1 : 1;
    j->man.parent = newest;
    j->man.flags = *full ? MC_CHAIN_F_FULL : 0;
    j->man.created_unix = (uint64_t)time(NULL);
    return 0;
}

/* A full checkpoint's pieces are the base: its hashes and state go first. */
static int finish_full(struct mc_ckpt *ck, struct job *j)
{
    if (sink_finish(&j->sink) || chain_write_hashes(&j->chain, ck->table, ck->npieces))
        return -1;
    struct mc_chain_base b = {j->man.id, j->man.id, ck->npieces, 0};
    return chain_write_base(&j->chain, &b);
}

static struct job *job_new(struct mc_ckpt *ck)
{
    struct job *j = calloc(1, sizeof *j);
    if (j) {
        j->ck = ck;
        j->chain.lock_fd = -1;
        j->sink.data_fd = -1;
    }
    return j;
}

int mc_checkpoint(metall_manager *m, const char *chain_dir, const metall_checkpoint_options *opt,
                  int64_t id, bool defer_merge)
{
    struct mc_ckpt *ck = ckpt_of(m);
    if (!ck)
        return -1;
    double t0 = now_s();
    pthread_mutex_lock(&ck->mu);
    join(ck);
    memset(&ck->stats, 0, sizeof ck->stats);
    struct job *j = job_new(ck);
    bool full = false, async = opt && opt->async;
    int rc = j ? open_chain(m, j, chain_dir, id, &full) : mc_fail(ENOMEM, "out of memory");
    ck->stats.open_s = now_s() - t0;
    /* a full checkpoint is never staged whole in memory */
    size_t stage = async && !full ? env_size("METALLC_CKPT_STAGE_MB", 1024) << 20
                                  : (size_t)32 << 20;
    if (!rc)
        rc = cut(m, ck, j, j->man.id, full, stage);
    if (!rc && j->collect) /* the job reads the pieces: nothing to hold in memory */
        j->sink.flush_at = (size_t)32 << 20;
    ck->stats.cut_s = now_s() - t0;
    if (!rc && full)
        rc = finish_full(ck, j);
    if (!rc) {
        j->keep = opt ? opt->keep : 0;
        j->merge = !defer_merge;
        j->finish = async && !full;
        if (!j->finish) {
            rc = job_finish(j);
            note_job(ck, j);
            if (rc)
                ck->id = -1;
        }
    }
    if (!rc && (j->finish || j->merge)) {
        rc = start(ck, j);
    } else {
        if (rc)
            ck->id = -1;
        job_free(j);
    }
    ck->stats.blocked_s = now_s() - t0;
    pthread_mutex_unlock(&ck->mu);
    return rc;
}

/* ---- public calls ---------------------------------------------------------------- */

bool metall_checkpoint(metall_manager *m, const char *chain_dir,
                       const metall_checkpoint_options *opt)
{
    mc_error_clear();
    if (!m || !chain_dir || !*chain_dir)
        return mc_fail(EINVAL, "metall_checkpoint: NULL manager or chain"), false;
    if (mc_check_owner(m)) /* a forked child */
        return false;
    return mc_checkpoint(m, chain_dir, opt, -1, false) == 0;
}

bool metall_checkpoint_wait(metall_manager *m)
{
    mc_error_clear();
    if (!m)
        return mc_fail(EINVAL, "metall_checkpoint_wait: NULL manager"), false;
    if (mc_check_owner(m)) /* a forked child: the copying thread is not here */
        return false;
    struct mc_ckpt *ck = m->ckpt;
    if (!ck)
        return true;
    pthread_mutex_lock(&ck->mu);
    join(ck);
    int err = ck->err;
    char msg[MSG_MAX];
    snprintf(msg, sizeof msg, "%s", ck->msg);
    ck->err = 0;
    ck->msg[0] = '\0';
    pthread_mutex_unlock(&ck->mu);
    if (err)
        return mc_fail(err, "%s", msg), false;
    return true;
}

int mc_checkpoint_merge(metall_manager *m, const char *chain_dir, unsigned keep)
{
    struct mc_ckpt *ck = ckpt_of(m);
    if (!ck)
        return -1;
    pthread_mutex_lock(&ck->mu);
    join(ck);
    struct job *j = job_new(ck);
    int rc = j ? 0 : mc_fail(ENOMEM, "out of memory");
    if (!rc)
        rc = chain_open(&j->chain, chain_dir, true, false, m->uuid, NULL);
    if (!rc) {
        j->merge = true;
        j->keep = keep;
        rc = start(ck, j);
    } else {
        job_free(j);
    }
    pthread_mutex_unlock(&ck->mu);
    return rc;
}

void mc_checkpoint_close(metall_manager *m)
{
    struct mc_ckpt *ck = m->ckpt;
    if (!ck)
        return;
    pthread_mutex_lock(&ck->mu);
    join(ck);
    pthread_mutex_unlock(&ck->mu);
    pthread_mutex_destroy(&ck->mu);
    /* first, so that close writes the heap back in place, not copied on write */
    gen_free(&ck->gen, true);
    wp_close(&ck->wp);
    free(ck->prev_free);
    free(ck->stage);
    free(ck->table);
    free(ck);
    m->ckpt = NULL;
}

int64_t metall_checkpoint_latest(const char *chain_dir)
{
    mc_error_clear();
    if (!chain_dir || !*chain_dir)
        return mc_fail(EINVAL, "metall_checkpoint_latest: NULL or empty chain"), -1;
    struct mc_chain c;
    if (chain_open(&c, chain_dir, false, false, NULL, NULL))
        return -1;
    int64_t id = chain_newest(&c);
    chain_close(&c);
    if (id == -1)
        mc_fail(ENOENT, "%s holds no complete checkpoint", chain_dir);
    return id < 0 ? -1 : id;
}

bool metall_restore(const char *chain_dir, int64_t id, const char *dst)
{
    mc_error_clear();
    if (!chain_dir || !*chain_dir || !dst || !*dst)
        return mc_fail(EINVAL, "metall_restore: NULL or empty path"), false;
    struct mc_chain c;
    if (chain_open(&c, chain_dir, false, false, NULL, NULL))
        return false;
    int rc = chain_restore(&c, id, dst);
    chain_close(&c);
    return rc == 0;
}

/* ---- for the MPI layer (libmetallc_mpi reaches only metall_* symbols) ----------- */

bool metall_internal_checkpoint(metall_manager *m, const char *chain_dir,
                                const metall_checkpoint_options *opt, int64_t id,
                                bool defer_merge)
{
    mc_error_clear();
    if (!m || !chain_dir || !*chain_dir)
        return mc_fail(EINVAL, "metall_checkpoint: NULL manager or chain"), false;
    return mc_checkpoint(m, chain_dir, opt, id, defer_merge) == 0;
}

bool metall_internal_checkpoint_stats(metall_manager *m, struct mc_ckpt_stats *out)
{
    mc_error_clear();
    if (!m || !out)
        return mc_fail(EINVAL, "metall_internal_checkpoint_stats: NULL argument"), false;
    memset(out, 0, sizeof *out);
    struct mc_ckpt *ck = m->ckpt;
    if (!ck)
        return true;
    pthread_mutex_lock(&ck->mu);
    join(ck);
    *out = ck->stats;
    pthread_mutex_unlock(&ck->mu);
    return true;
}

bool metall_internal_checkpoint_merge(metall_manager *m, const char *chain_dir, unsigned keep)
{
    mc_error_clear();
    return mc_checkpoint_merge(m, chain_dir, keep) == 0;
}
