/*
 * chunk.c - chunk directory and chunk-run allocator.
 *
 * State (all under chunks.lock, except cls[] which free() reads without it:
 * a chunk's class cannot change while the caller holds one of its slots):
 *  - info[i] for i < nchunks: kind, class, run length, backing;
 *  - free_map bit i set <=> info[i].kind == FREE (i < nchunks);
 *  - pool: up to MC_BACKED_POOL free single chunks that keep their disk
 *    blocks, so that alloc/free churn does not cost a fallocate and a hole
 *    punch (and page faults) each time. Everything else free is punched.
 *  - purge queue: punching a hole costs 0.1-3 ms per chunk (page-cache
 *    truncation, and a synchronous discard on file systems mounted with
 *    -o discard), far too slow for free(). So freed chunks are queued and
 *    a purger thread (started on first need, one per manager, asleep when
 *    idle) punches them. A queued chunk stays FREE and backed, so it can be
 *    reused before it is punched; while it is being punched it is taken
 *    out of free_map so nobody can allocate it. flush/close/snapshot wait
 *    for the queue to drain. A queued chunk is punched only after
 *    METALLC_PURGE_DELAY_MS (default 500) unless someone waits: churn reuses
 *    it, backed and with its pages still mapped (like jemalloc's decay of
 *    dirty pages). METALLC_PURGE=sync punches in free() instead.
 *  - prefault queue: the same thread faults in (MADV_POPULATE_WRITE) the
 *    look-ahead chunks backed when the heap grows, so that the kernel's
 *    zeroing of new page-cache pages happens off the allocating thread.
 *    Only this thread punches queued chunks, so a prefault never races a
 *    punch of the same chunk; close stops prefaulting before it trims.
 *    METALLC_PREFAULT=0 turns it off.
 * Runs are taken lowest-address first, which keeps the files compact.
 */
#include "chunk.h"

#include "bin.h"
#include "error.h"
#include "layout.h"
#include "options.h"
#include "os.h"
#include "segment.h"
#include "sizeclass.h"
#include "spare.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* POOL_KEPT: freed during close (the thread caches' slots coming back):
 * left backed, never punched by this close (see chunk_close_begin). */
enum { POOL_NO = 0, POOL_YES = 1, POOL_QUEUED = 2, POOL_PUNCHING = 3, POOL_KEPT = 4 };

static void *anon_alloc(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static size_t info_bytes(uint32_t n) { return (size_t)n * sizeof(struct chunk_info); }
static size_t map_bytes(uint32_t n) { return ((size_t)n + 63) / 64 * 8; }

int chunk_dir_init(metall_manager *m)
{
    struct chunk_dir *cd = &m->chunks;
    cd->max_chunks = (uint32_t)(m->seg.capacity >> MC_CHUNK_SHIFT);
    cd->info = anon_alloc(info_bytes(cd->max_chunks));
    cd->cls = anon_alloc(cd->max_chunks);
    cd->free_map = anon_alloc(map_bytes(cd->max_chunks));
    cd->dirty_map = anon_alloc(map_bytes(cd->max_chunks));
    if (!cd->info || !cd->cls || !cd->free_map || !cd->dirty_map) {
        chunk_dir_destroy(m);
        return mc_fail(ENOMEM, "%s: out of memory for the chunk directory", m->path);
    }
    pthread_mutex_init(&cd->lock, NULL);
    pthread_condattr_t ca; /* the purger's timed waits use CLOCK_MONOTONIC */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&cd->purge_cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&cd->purge_idle_cv, NULL);
    const struct mc_options *o = mc_options();
    cd->purge_sync = o->purge_sync;
    cd->pf_on = o->prefault;
    cpu_set_t cpus;
    cd->pf_cpus = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? (unsigned)CPU_COUNT(&cpus) : 1;
    cd->purge_delay_ns = o->purge_delay_ns;
    cd->nchunks = 1;
    cd->info[0].kind = MC_CHUNK_RESERVED;
    cd->cls[0] = MC_CLS_NONE;
    m->chunk_cls = cd->cls;
    m->heap_end = MC_CHUNK_SIZE;
    return 0;
}

static void purger_stop(struct chunk_dir *cd);

void chunk_dir_destroy(metall_manager *m)
{
    struct chunk_dir *cd = &m->chunks;
    if (cd->info && cd->purge_started)
        purger_stop(cd);
    free(cd->purge_q);
    free(cd->purge_t);
    free(cd->pf_q);
    free(cd->tq);
    free(cd->tq_t);
    cd->tq = NULL;
    cd->tq_t = NULL;
    cd->pf_q = NULL;
    cd->purge_q = NULL;
    cd->purge_t = NULL;
    if (cd->info) {
        for (uint32_t i = 0; i < cd->nchunks; i++) {
            free(cd->info[i].bitmap);
            free(cd->info[i].pmap);
        }
        munmap(cd->info, info_bytes(cd->max_chunks));
    }
    if (cd->cls)
        munmap((void *)cd->cls, cd->max_chunks);
    if (cd->free_map)
        munmap(cd->free_map, map_bytes(cd->max_chunks));
    if (cd->dirty_map)
        munmap(cd->dirty_map, map_bytes(cd->max_chunks));
    cd->dirty_map = NULL;
    if (cd->info) {
        pthread_mutex_destroy(&cd->lock);
        pthread_cond_destroy(&cd->purge_cv);
        pthread_cond_destroy(&cd->purge_idle_cv);
    }
    cd->info = NULL;
    cd->cls = NULL;
    cd->free_map = NULL;
}

static void dirty_clear(struct chunk_dir *cd, uint32_t i)
{
    cd->dirty_map[i >> 6] &= ~((uint64_t)1 << (i & 63));
    cd->info[i].in_dirty = 0;
    cd->ndirty--;
}

static inline bool is_free(const struct chunk_dir *cd, uint32_t i)
{
    return (cd->free_map[i >> 6] >> (i & 63)) & 1;
}
static inline void set_free(struct chunk_dir *cd, uint32_t i)
{
    cd->free_map[i >> 6] |= (uint64_t)1 << (i & 63);
}
static inline void clear_free(struct chunk_dir *cd, uint32_t i)
{
    cd->free_map[i >> 6] &= ~((uint64_t)1 << (i & 63));
}

/* Lowest free chunk >= from (below nchunks), or nchunks. */
static uint32_t next_free(const struct chunk_dir *cd, uint32_t from)
{
    uint32_t lim = cd->nchunks;
    if (from >= lim)
        return lim;
    uint32_t w = from >> 6;
    uint64_t bits = cd->free_map[w] & (~(uint64_t)0 << (from & 63));
    for (;;) {
        if (bits) {
            uint32_t i = (w << 6) + (uint32_t)__builtin_ctzll(bits);
            return i < lim ? i : lim;
        }
        if ((++w << 6) >= lim)
            return lim;
        bits = cd->free_map[w];
    }
}

/* Raise the high-water mark to n (lock held): the chunks in between are
 * fresh (FREE, never written, no size class). */
static void set_high_water(metall_manager *m, uint32_t n)
{
    struct chunk_dir *cd = &m->chunks;
    for (uint32_t k = cd->nchunks; k < n; k++) {
        memset(&cd->info[k], 0, sizeof cd->info[k]);
        cd->info[k].kind = MC_CHUNK_FREE;
        cd->info[k].zero = 1; /* never written */
        atomic_store_explicit(&cd->cls[k], MC_CLS_NONE, memory_order_relaxed);
        set_free(cd, k);
    }
    cd->nchunks = n;
    __atomic_store_n(&m->heap_end, (size_t)n << MC_CHUNK_SHIFT, __ATOMIC_RELAXED);
}

static void release_run(metall_manager *m, uint32_t idx, uint32_t n);
static void queue_punch(metall_manager *m, uint32_t idx, uint32_t n);
static void queue_prefault(metall_manager *m, uint32_t from, uint32_t end);

static inline uint32_t align_up(uint32_t i, uint32_t a) { return (i + a - 1) & ~(a - 1); }

/* Fresh chunks backed ahead when the heap's high-water mark moves: one
 * fallocate per MC_LOOKAHEAD chunks instead of one per chunk (fallocate
 * takes the file's inode lock: per-chunk calls serialise threads). */
#define MC_LOOKAHEAD 8

/* Chunks backed beyond a run that raises the high-water mark: at most a
 * quarter of the heap, so a small datastore backs only what it uses. (A
 * fixed 8 made every tiny datastore allocate 16 MiB of disk and punch it
 * again at close: on a file system mounted with -o discard each of those
 * punches becomes a discard that every later fsync waits for.) */
static uint32_t lookahead(const struct chunk_dir *cd)
{
    uint32_t q = cd->nchunks / 4;
    return q < MC_LOOKAHEAD - 1 ? q : MC_LOOKAHEAD - 1;
}

/* Look-ahead chunks are prefaulted once the heap has this many chunks. */
#define MC_PREFAULT_MIN_CHUNKS 64

/* A look-ahead chunk is prefaulted when allocations are this many chunks
 * below it or closer (prefault_ready). */
#define MC_PREFAULT_AHEAD 2

/* Raise the high-water mark to cover the run [idx, idx+n) plus look-ahead
 * chunks (within the mapped blocks), and back the fresh part in one call.
 * Lock held; the segment covers idx+n. On a backing failure nothing is
 * marked backed: back_run() retries the run and reports the error. */
static void extend(metall_manager *m, uint32_t idx, uint32_t n)
{
    struct chunk_dir *cd = &m->chunks;
    uint32_t mapped = (uint32_t)(segment_size(&m->seg) >> MC_CHUNK_SHIFT);
    uint32_t end = idx + n;
    /* prefaulting (NUMA, METALLC_POPULATE) must not run under the lock */
    if (!m->seg.numa && !m->seg.populate)
        end = end + lookahead(cd) < mapped ? end + lookahead(cd) : mapped;
    uint32_t first_fresh = cd->nchunks;
    set_high_water(m, end);
    segment_heap_used(&m->seg, (size_t)end << MC_CHUNK_SHIFT);
    if (end == idx + n)
        return; /* no look-ahead: back_run() backs the run outside the lock */
    uint32_t from = idx > first_fresh ? first_fresh : idx;
    if (segment_back(&m->seg, (size_t)from << MC_CHUNK_SHIFT, (size_t)(end - from) << MC_CHUNK_SHIFT))
        return;
    for (uint32_t k = from; k < end; k++)
        cd->info[k].backed = 1;
    queue_prefault(m, idx + n, end);
}

/* Find n free chunks aligned to a; may extend past nchunks (the caller
 * grows). Returns the start or MC_NONE if capacity is exhausted. */
static uint32_t find_run(struct chunk_dir *cd, uint32_t n, uint32_t a)
{
    uint32_t lim = cd->nchunks;
    uint32_t i = align_up(next_free(cd, cd->free_hint << 6), a);
    while (i < lim) {
        if (!is_free(cd, i)) {
            i = align_up(next_free(cd, i + 1), a);
            continue;
        }
        uint32_t j = i;
        while (j < lim && j < i + n && is_free(cd, j))
            j++;
        if (j == i + n || j == lim) /* complete, or runs into fresh chunks */
            break;
        i = align_up(next_free(cd, j + 1), a);
    }
    if ((uint64_t)i + n > cd->max_chunks)
        return MC_NONE;
    return i;
}

static void pool_remove(struct chunk_dir *cd, uint32_t idx)
{
    for (uint32_t k = 0; k < cd->npool; k++) {
        if (cd->pool[k] == idx) {
            cd->pool[k] = cd->pool[--cd->npool];
            break;
        }
    }
    cd->info[idx].in_pool = 0;
}

static void mark_run(metall_manager *m, uint32_t idx, uint32_t n, int kind, unsigned cls)
{
    struct chunk_dir *cd = &m->chunks;
    for (uint32_t k = 0; k < n; k++) {
        struct chunk_info *ci = &cd->info[idx + k];
        clear_free(cd, idx + k);
        ci->kind = (uint8_t)(k == 0 ? kind : MC_CHUNK_BODY);
        ci->zero = 0; /* the user writes it from now on */
        if (kind == MC_CHUNK_SMALL)
            cd->small_words += mc_classes[cls].words;
        ci->cls = (uint8_t)(kind == MC_CHUNK_SMALL ? cls : 0);
        ci->val = (k == 0 && kind == MC_CHUNK_LARGE) ? n : 0;
        atomic_store_explicit(&cd->cls[idx + k],
                              (uint8_t)(kind == MC_CHUNK_SMALL ? cls : MC_CLS_LARGE),
                              memory_order_relaxed);
    }
}

/* Back the chunks of [idx, idx+n) that are not yet backed. */
static int back_run(metall_manager *m, uint32_t idx, uint32_t n)
{
    struct chunk_dir *cd = &m->chunks;
    uint32_t k = 0;
    while (k < n) {
        if (cd->info[idx + k].backed) {
            k++;
            continue;
        }
        uint32_t e = k;
        while (e < n && !cd->info[idx + e].backed)
            e++;
        if (segment_back(&m->seg, (size_t)(idx + k) << MC_CHUNK_SHIFT,
                         (size_t)(e - k) << MC_CHUNK_SHIFT))
            return -1;
        for (uint32_t q = k; q < e; q++)
            cd->info[idx + q].backed = 1;
        k = e;
    }
    return 0;
}

/* Before the chunks image grows to hwm entries (and a SMALL chunk's
 * bitmap): make sure close can still write it (spare.h). Lock held. */
static int image_reserved(metall_manager *m, uint32_t hwm, int kind, unsigned cls)
{
    struct chunk_dir *cd = &m->chunks;
    uint64_t words = cd->small_words + (kind == MC_CHUNK_SMALL ? mc_classes[cls].words : 0);
    return mc_spare_reserve(m, MC_SPARE_CHUNKS, mc_chunks_image_bytes(hwm, words));
}

static uint32_t alloc_once(metall_manager *m, uint32_t n, uint32_t align, int kind,
                           unsigned cls, bool *zeroed)
{
    struct chunk_dir *cd = &m->chunks;
    pthread_mutex_lock(&cd->lock);
    uint32_t idx;
    if (n == 1 && align == 1 && cd->npool) {
        if (image_reserved(m, cd->nchunks, kind, cls)) {
            pthread_mutex_unlock(&cd->lock);
            return MC_NONE;
        }
        idx = cd->pool[--cd->npool];
        cd->info[idx].in_pool = 0;
    } else {
        idx = find_run(cd, n, align);
        if (idx == MC_NONE) {
            pthread_mutex_unlock(&cd->lock);
            mc_fail(ENOMEM, "%s: heap capacity of %zu bytes exhausted", m->path,
                    m->seg.capacity);
            return MC_NONE;
        }
        uint32_t hwm = idx + n > cd->nchunks ? idx + n + lookahead(cd) : cd->nchunks;
        if (image_reserved(m, hwm, kind, cls)) {
            pthread_mutex_unlock(&cd->lock);
            return MC_NONE;
        }
        if (idx + n > cd->nchunks) {
            if (segment_grow(&m->seg, (size_t)(idx + n) << MC_CHUNK_SHIFT)) {
                pthread_mutex_unlock(&cd->lock);
                return MC_NONE;
            }
            extend(m, idx, n);
        }
        for (uint32_t k = 0; k < n; k++)
            if (cd->info[idx + k].in_pool)
                pool_remove(cd, idx + k);
    }
    bool zero = true;
    for (uint32_t k = 0; k < n; k++)
        zero = zero && cd->info[idx + k].zero;
    *zeroed = zero;
    mark_run(m, idx, n, kind, cls);
    if (cd->pf_head < cd->pf_len) /* a look-ahead chunk may be due now */
        pthread_cond_signal(&cd->purge_cv);
    /* advance the hint past fully used words */
    while (cd->free_hint < (cd->nchunks >> 6) && cd->free_map[cd->free_hint] == 0)
        cd->free_hint++;
    pthread_mutex_unlock(&cd->lock);
    /* Back the run outside the lock: fallocate (and prefaulting) take tens
     * of microseconds per chunk, and the run is already ours. */
    if (back_run(m, idx, n)) {
        int saved = errno;
        pthread_mutex_lock(&cd->lock);
        release_run(m, idx, n); /* disk full: give the run back */
        pthread_mutex_unlock(&cd->lock);
        errno = saved;
        return MC_NONE;
    }
    return idx;
}

/* Punch [idx, idx+n) now (lock held or chunks not allocatable). */
static int punch_now(metall_manager *m, uint32_t idx, uint32_t n)
{
    return segment_punch(&m->seg, (size_t)idx << MC_CHUNK_SHIFT, (size_t)n << MC_CHUNK_SHIFT);
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Are pages of the chunks just below i resident (the program writes the
 * memory it allocates)? A sample: the first page of each of up to 8 chunks. */
static bool recently_touched(metall_manager *m, uint32_t i)
{
    size_t ps = os_page_size();
    for (uint32_t k = i > 8 ? i - 8 : 1; k < i; k++) {
        unsigned char v = 0;
        char *p = m->head.base_ + ((size_t)k << MC_CHUNK_SHIFT);
        if (mincore(p, ps, &v) == 0 && (v & 1))
            return true;
    }
    return false;
}

/* Take up to a batch of queued chunks that are due (all: every one) and
 * still free, make them unallocatable, punch them (merging neighbours)
 * without the lock, then give them back as free and unbacked. Lock held on
 * entry and exit; returns how many were punched. */
static size_t punch_batch(metall_manager *m, bool all)
{
    struct chunk_dir *cd = &m->chunks;
    enum { BATCH = 64 };
    uint32_t batch[BATCH];
    bool ok[BATCH];
    size_t nb = 0;
    uint64_t now = now_ns();
    while (cd->purge_head < cd->purge_len && nb < BATCH &&
           (all || cd->purge_t[cd->purge_head] + cd->purge_delay_ns <= now)) {
        uint32_t i = cd->purge_q[cd->purge_head++];
        if (cd->info[i].kind == MC_CHUNK_FREE && cd->info[i].in_pool == POOL_QUEUED) {
            cd->info[i].in_pool = POOL_PUNCHING;
            clear_free(cd, i);
            batch[nb++] = i;
        }
    }
    if (cd->purge_head == cd->purge_len)
        cd->purge_head = cd->purge_len = 0;
    if (nb == 0)
        return 0;
    cd->purge_inflight += (uint32_t)nb;
    pthread_mutex_unlock(&cd->lock);
    qsort(batch, nb, sizeof *batch, cmp_u32);
    for (size_t s = 0; s < nb;) {
        size_t e = s + 1;
        while (e < nb && batch[e] == batch[e - 1] + 1)
            e++;
        bool r = punch_now(m, batch[s], (uint32_t)(e - s)) == 0;
        for (size_t k = s; k < e; k++)
            ok[k] = r;
        s = e;
    }
    pthread_mutex_lock(&cd->lock);
    for (size_t k = 0; k < nb; k++) {
        uint32_t i = batch[k];
        cd->info[i].in_pool = POOL_NO;
        /* after any attempt, fallocate again before reuse (a punch may
         * have freed some blocks before failing); zero only if it worked */
        cd->info[i].backed = 0;
        cd->info[i].zero = ok[k];
        set_free(cd, i);
        if ((i >> 6) < cd->free_hint)
            cd->free_hint = i >> 6;
    }
    cd->purge_inflight -= (uint32_t)nb;
    pthread_cond_broadcast(&cd->purge_idle_cv);
    return nb;
}

/* The lowest chunk in dirty_map (ndirty > 0). */
static uint32_t first_dirty(const struct chunk_dir *cd)
{
    for (uint32_t w = 0;; w++)
        if (cd->dirty_map[w])
            return (w << 6) + (uint32_t)__builtin_ctzll(cd->dirty_map[w]);
}

/* Trim chunk i's free pages from the purger (lock held, dropped meanwhile).
 * Returns bin_trim_chunk()'s answer: -1 when the arena was busy. */
static int trim_one(metall_manager *m, uint32_t i, bool full)
{
    struct chunk_dir *cd = &m->chunks;
    cd->trim_inflight = true;
    pthread_mutex_unlock(&cd->lock);
    int r = bin_trim_chunk(m, i, full, false);
    pthread_mutex_lock(&cd->lock);
    cd->trim_inflight = false;
    pthread_cond_broadcast(&cd->purge_idle_cv);
    return r;
}

/* Is the next queued look-ahead chunk due for prefaulting: in use, or the
 * program's allocations reached one of the MC_PREFAULT_AHEAD chunks below
 * it? Prefaulted sooner, a chunk is resident memory holding nothing until
 * the heap grows into it, which it may never do (freed chunks below are
 * reused first). Lock held. */
static bool prefault_ready(const struct chunk_dir *cd)
{
    if (cd->pf_head >= cd->pf_len)
        return false;
    uint32_t i = cd->pf_q[cd->pf_head];
    for (uint32_t k = 0; k <= MC_PREFAULT_AHEAD && k < i; k++)
        if (cd->info[i - k].kind != MC_CHUNK_FREE)
            return true;
    return false;
}

/* Does the program leave a CPU to the prefaulting? Only then does it run
 * beside the program's threads instead of taking turns with them, and pay
 * for the memory it makes resident ahead of use: with 2 threads on 2 CPUs
 * (adjlist_bench, scale 20) prefaulting held ~35 MiB more at the peak. */
static bool prefault_has_cpu(metall_manager *m)
{
    return __atomic_load_n(&m->nthreads, __ATOMIC_RELAXED) < m->chunks.pf_cpus;
}

/* Prefault the next look-ahead chunk if the program is writing what it
 * allocates (lock held, dropped meanwhile). */
static void prefault_one(metall_manager *m)
{
    struct chunk_dir *cd = &m->chunks;
    uint32_t i = cd->pf_q[cd->pf_head++];
    if (cd->pf_head == cd->pf_len)
        cd->pf_head = cd->pf_len = 0;
    /* backed and not waiting to be punched: fault it in, if the program is
     * touching the chunks before it (a heap allocated and never written is
     * not worth the zeroing) */
    const struct chunk_info *ci = &cd->info[i];
    if (ci->backed && !(ci->kind == MC_CHUNK_FREE && ci->in_pool >= POOL_QUEUED) &&
        prefault_has_cpu(m) && recently_touched(m, i)) {
        cd->pf_inflight = true;
        pthread_mutex_unlock(&cd->lock);
        (void)os_populate_write(m->head.base_ + ((size_t)i << MC_CHUNK_SHIFT), MC_CHUNK_SIZE);
        pthread_mutex_lock(&cd->lock);
        cd->pf_inflight = false;
        pthread_cond_broadcast(&cd->purge_idle_cv);
    }
}

/* Sleep until ns (CLOCK_MONOTONIC) or a signal (lock held). */
static void wait_until(struct chunk_dir *cd, uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    pthread_cond_timedwait(&cd->purge_cv, &cd->lock, &ts);
}

/* The background thread: punches freed chunks (after the purge delay, or
 * at once when someone waits), trims the free pages of SMALL chunks (below
 * their high-water mark after the delay: resident memory; every dirty
 * chunk fully when someone waits: disk), and prefaults look-ahead chunks.
 * Work in that order of priority; asleep when there is none. */
/* The purger's steps; each runs with cd->lock held and returns whether it
 * did something (then the loop looks at the queues again). */

/* Trim every dirty SMALL chunk now (flush/close asked for it). */
static bool purger_trim_hurried(metall_manager *m)
{
    struct chunk_dir *cd = &m->chunks;
    if (!cd->trim_hurry || cd->purge_stop || !cd->ndirty)
        return false;
    if (trim_one(m, first_dirty(cd), true) < 0) /* arena busy: retry soon */
        wait_until(cd, now_ns() + 1000000u);
    return true;
}

/* Trim the oldest queued chunk once its delay has passed. */
static bool purger_trim_due(metall_manager *m)
{
    struct chunk_dir *cd = &m->chunks;
    uint64_t now = now_ns();
    if (cd->tq_head >= cd->tq_len || cd->tq_t[cd->tq_head] + cd->purge_delay_ns > now)
        return false;
    uint32_t i = cd->tq[cd->tq_head++];
    if (cd->tq_head == cd->tq_len)
        cd->tq_head = cd->tq_len = 0;
    if (trim_one(m, i, false) < 0 && cd->tq_len < cd->tq_cap) {
        cd->tq_t[cd->tq_len] = now; /* arena busy: later */
        cd->tq[cd->tq_len++] = i;
    }
    return true;
}

/* Nothing to do now: tell the waiters, sleep until the next queued punch
 * or trim is due, or until woken. */
static void purger_sleep(struct chunk_dir *cd, bool all)
{
    pthread_cond_broadcast(&cd->purge_idle_cv);
    uint64_t due = UINT64_MAX;
    if (cd->purge_head < cd->purge_len)
        due = cd->purge_t[cd->purge_head] + cd->purge_delay_ns;
    if (!all && cd->tq_head < cd->tq_len && cd->tq_t[cd->tq_head] + cd->purge_delay_ns < due)
        due = cd->tq_t[cd->tq_head] + cd->purge_delay_ns;
    if (due != UINT64_MAX)
        wait_until(cd, due);
    else
        pthread_cond_wait(&cd->purge_cv, &cd->lock);
}

static void *purger_main(void *arg)
{
    metall_manager *m = arg;
    struct chunk_dir *cd = &m->chunks;
    pthread_mutex_lock(&cd->lock);
    for (;;) {
        bool all = cd->purge_hurry || cd->purge_stop;
        if (punch_batch(m, all) || purger_trim_hurried(m))
            continue;
        if (!all && prefault_ready(cd)) {
            prefault_one(m);
            continue;
        }
        if (!all && purger_trim_due(m))
            continue;
        if (cd->purge_stop && cd->purge_head == cd->purge_len)
            break;
        purger_sleep(cd, all);
    }
    pthread_cond_broadcast(&cd->purge_idle_cv);
    pthread_mutex_unlock(&cd->lock);
    return NULL;
}

/* Start the background thread if it is not running (lock held). */
static bool start_background(metall_manager *m)
{
    struct chunk_dir *cd = &m->chunks;
    if (!cd->purge_sync && !cd->purge_started) {
        if (pthread_create(&cd->purger, NULL, purger_main, m) == 0)
            cd->purge_started = true;
        else {
            cd->purge_sync = true; /* no thread: punch in free(), no prefault */
            cd->pf_on = false;
        }
    }
    return cd->purge_started;
}

/* Queue the fresh, backed look-ahead chunks [from, end) for prefaulting
 * (lock held). Best effort: nothing happens if memory or the thread lacks. */
static void queue_prefault(metall_manager *m, uint32_t from, uint32_t end)
{
    struct chunk_dir *cd = &m->chunks;
    /* a small heap is not worth it: a short run spends the zeroing of whole
     * chunks it never fills (and a core) for little gain */
    if (!cd->pf_on || from >= end || cd->nchunks < MC_PREFAULT_MIN_CHUNKS ||
        !prefault_has_cpu(m) || !start_background(m))
        return;
    if (cd->pf_len + (end - from) > cd->pf_cap) {
        size_t cap = cd->pf_cap ? cd->pf_cap * 2 : 64;
        while (cap < cd->pf_len + (end - from))
            cap *= 2;
        uint32_t *q = realloc(cd->pf_q, cap * sizeof *q);
        if (!q)
            return;
        cd->pf_q = q;
        cd->pf_cap = cap;
    }
    for (uint32_t k = from; k < end; k++)
        cd->pf_q[cd->pf_len++] = k;
    pthread_cond_signal(&cd->purge_cv);
}

/* Queue [idx, idx+n) for punching (lock held); punch now when there is no
 * purger (METALLC_PURGE=sync, or it cannot be started). */
static void queue_punch(metall_manager *m, uint32_t idx, uint32_t n)
{
    struct chunk_dir *cd = &m->chunks;
    start_background(m);
    if (cd->purge_started && cd->purge_len + n > cd->purge_cap) {
        size_t cap = cd->purge_cap ? cd->purge_cap * 2 : 256;
        while (cap < cd->purge_len + n)
            cap *= 2;
        uint32_t *q = realloc(cd->purge_q, cap * sizeof *q);
        if (q)
            cd->purge_q = q;
        uint64_t *t = q ? realloc(cd->purge_t, cap * sizeof *t) : NULL;
        if (t) {
            cd->purge_t = t;
            cd->purge_cap = cap;
        }
    }
    if (!cd->purge_started || cd->purge_len + n > cd->purge_cap) {
        bool ok = punch_now(m, idx, n) == 0;
        for (uint32_t k = 0; k < n; k++) {
            cd->info[idx + k].backed = 0;
            cd->info[idx + k].zero = ok;
        }
        return;
    }
    uint64_t now = now_ns();
    for (uint32_t k = 0; k < n; k++) {
        cd->info[idx + k].in_pool = POOL_QUEUED;
        cd->purge_t[cd->purge_len] = now;
        cd->purge_q[cd->purge_len++] = idx + k;
    }
    pthread_cond_signal(&cd->purge_cv);
}

static void purger_stop(struct chunk_dir *cd)
{
    pthread_mutex_lock(&cd->lock);
    cd->purge_stop = true;
    pthread_cond_signal(&cd->purge_cv);
    pthread_mutex_unlock(&cd->lock);
    pthread_join(cd->purger, NULL);
    cd->purge_started = false;
}

void chunk_purge_wait(metall_manager *m, bool trim)
{
    struct chunk_dir *cd = &m->chunks;
    pthread_mutex_lock(&cd->lock);
    if (!cd->purge_started) { /* no background thread: trim here */
        while (trim && cd->ndirty) {
            uint32_t i = first_dirty(cd);
            pthread_mutex_unlock(&cd->lock);
            (void)bin_trim_chunk(m, i, true, true);
            pthread_mutex_lock(&cd->lock);
        }
        pthread_mutex_unlock(&cd->lock);
        return;
    }
    cd->purge_hurry++;
    cd->trim_hurry += trim;
    pthread_cond_signal(&cd->purge_cv);
    while (cd->purge_started && (cd->purge_head < cd->purge_len || cd->purge_inflight ||
                                 (trim && (cd->ndirty || cd->trim_inflight))))
        pthread_cond_wait(&cd->purge_idle_cv, &cd->lock);
    cd->purge_hurry--;
    cd->trim_hurry -= trim;
    pthread_mutex_unlock(&cd->lock);
}

/* Punch every queued chunk now, in the calling thread, and wait for the
 * purger's punches in flight. For a full disk: the caller may hold an
 * arena lock, so this never waits for the purger's trims (which take arena
 * locks). */
static void purge_now(metall_manager *m)
{
    struct chunk_dir *cd = &m->chunks;
    pthread_mutex_lock(&cd->lock);
    while (punch_batch(m, true))
        ;
    while (cd->purge_inflight)
        pthread_cond_wait(&cd->purge_idle_cv, &cd->lock);
    pthread_mutex_unlock(&cd->lock);
}

/* Remember that SMALL chunk ci has free pages that may hold disk blocks
 * (and, if freed, that a slot was just freed: trim it in the background
 * after the delay). The caller holds the chunk's arena lock. */
void chunk_trim_note(metall_manager *m, uint32_t ci, bool freed)
{
    struct chunk_dir *cd = &m->chunks;
    struct chunk_info *info = &cd->info[ci];
    pthread_mutex_lock(&cd->lock);
    if (cd->closing) { /* see chunk_close_begin */
        pthread_mutex_unlock(&cd->lock);
        return;
    }
    if (!info->in_dirty) {
        cd->dirty_map[ci >> 6] |= (uint64_t)1 << (ci & 63);
        info->in_dirty = 1;
        cd->ndirty++;
    }
    if (freed && !info->in_tq) {
        info->in_tq = 1; /* without a purger nothing is queued: the flag
                            just spares the next frees this call */
        if (start_background(m)) {
            if (cd->tq_len == cd->tq_cap) {
                size_t cap = cd->tq_cap ? cd->tq_cap * 2 : 256;
                uint32_t *q = realloc(cd->tq, cap * sizeof *q);
                if (q)
                    cd->tq = q;
                uint64_t *t = q ? realloc(cd->tq_t, cap * sizeof *t) : NULL;
                if (t) {
                    cd->tq_t = t;
                    cd->tq_cap = cap;
                }
            }
            if (cd->tq_len < cd->tq_cap) {
                cd->tq_t[cd->tq_len] = now_ns();
                cd->tq[cd->tq_len++] = ci;
                if (cd->tq_len - cd->tq_head == 1)
                    pthread_cond_signal(&cd->purge_cv);
            }
        }
    }
    pthread_mutex_unlock(&cd->lock);
}

bool chunk_trim_take(metall_manager *m, uint32_t ci, unsigned a, bool full)
{
    struct chunk_dir *cd = &m->chunks;
    struct chunk_info *info = &cd->info[ci];
    pthread_mutex_lock(&cd->lock);
    bool ok = ci < cd->nchunks && info->kind == MC_CHUNK_SMALL &&
              __atomic_load_n(&info->arena, __ATOMIC_RELAXED) == a &&
              (full ? info->in_dirty : info->in_tq);
    if (ok) {
        info->in_tq = 0;
        if (full)
            dirty_clear(cd, ci);
    }
    pthread_mutex_unlock(&cd->lock);
    return ok;
}

uint32_t chunk_alloc(metall_manager *m, uint32_t n, uint32_t align, int kind,
                     unsigned cls, bool *zeroed)
{
    uint32_t idx = alloc_once(m, n, align, kind, cls, zeroed);
    if (idx == MC_NONE && errno == ENOSPC) {
        /* freed chunks waiting to be punched still hold disk blocks:
         * punch them now and try once more */
        purge_now(m);
        idx = alloc_once(m, n, align, kind, cls, zeroed);
    }
    return idx;
}

/* Release [idx, idx+n) to free; lock held. */
static void release_run(metall_manager *m, uint32_t idx, uint32_t n)
{
    struct chunk_dir *cd = &m->chunks;
    for (uint32_t k = 0; k < n; k++) {
        struct chunk_info *ci = &cd->info[idx + k];
        free(ci->bitmap);
        ci->bitmap = NULL;
        free(ci->pmap);
        ci->pmap = NULL;
        if (ci->in_dirty)
            dirty_clear(cd, idx + k);
        ci->in_tq = 0;
        ci->hwm = 0;
        ci->trimming = 0;
        if (ci->kind == MC_CHUNK_SMALL)
            cd->small_words -= mc_classes[ci->cls].words;
        ci->kind = MC_CHUNK_FREE;
        ci->cls = 0;
        ci->val = 0;
        ci->zero = 0; /* it held the user's data: only a punch makes it zero */
        atomic_store_explicit(&cd->cls[idx + k], MC_CLS_NONE, memory_order_relaxed);
        set_free(cd, idx + k);
    }
    if ((idx >> 6) < cd->free_hint)
        cd->free_hint = idx >> 6;
    /* a chunk trimmed at close is only partly backed: never pool it */
    bool partly = cd->info[idx].holes;
    for (uint32_t k = 0; k < n; k++)
        cd->info[idx + k].holes = 0;
    if (n == 1 && cd->info[idx].backed && !partly && cd->npool < MC_BACKED_POOL) {
        cd->pool[cd->npool++] = idx;
        cd->info[idx].in_pool = 1;
        return;
    }
    if (partly)
        cd->info[idx].backed = 0; /* fallocate again before reuse */
    if (cd->closing) { /* no punch: the image records it as (un)backed free */
        for (uint32_t k = 0; k < n; k++)
            cd->info[idx + k].in_pool = POOL_KEPT;
        return;
    }
    queue_punch(m, idx, n);
}

void chunk_free(metall_manager *m, uint32_t idx, uint32_t n)
{
    int saved = errno;
    pthread_mutex_lock(&m->chunks.lock);
    release_run(m, idx, n);
    pthread_mutex_unlock(&m->chunks.lock);
    errno = saved; /* free() does not report */
}

int chunk_grow_in_place(metall_manager *m, uint32_t idx, uint32_t n, uint32_t n2)
{
    struct chunk_dir *cd = &m->chunks;
    int rc = -1;
    pthread_mutex_lock(&cd->lock);
    uint32_t end = idx + n2;
    if (end > cd->max_chunks)
        goto out;
    for (uint32_t k = idx + n; k < end && k < cd->nchunks; k++)
        if (!is_free(cd, k))
            goto out;
    if (end > cd->nchunks) {
        if (image_reserved(m, end, MC_CHUNK_BODY, 0))
            goto out; /* ENOSPC: the caller moves the object, or fails */
        if (segment_grow(&m->seg, (size_t)end << MC_CHUNK_SHIFT)) {
            errno = 0;
            goto out;
        }
        set_high_water(m, end);
    }
    for (uint32_t k = idx + n; k < end; k++)
        if (cd->info[k].in_pool)
            pool_remove(cd, k);
    if (back_run(m, idx + n, n2 - n))
        goto out;
    for (uint32_t k = idx + n; k < end; k++) {
        clear_free(cd, k);
        cd->info[k].kind = MC_CHUNK_BODY;
        cd->info[k].zero = 0; /* the user writes it from now on */
        atomic_store_explicit(&cd->cls[k], MC_CLS_LARGE, memory_order_relaxed);
    }
    cd->info[idx].val = n2;
    rc = 0;
out:
    pthread_mutex_unlock(&cd->lock);
    return rc;
}

void chunk_close_begin(metall_manager *m)
{
    pthread_mutex_lock(&m->chunks.lock);
    m->chunks.closing = true;
    pthread_mutex_unlock(&m->chunks.lock);
}

/* No prefault may run while what it would populate is punched (lock held). */
static void prefault_stop(struct chunk_dir *cd)
{
    cd->pf_on = false;
    cd->pf_head = cd->pf_len = 0;
    while (cd->pf_inflight)
        pthread_cond_wait(&cd->purge_idle_cv, &cd->lock);
}

/* Backed free chunks (the pool, look-ahead chunks never used) stay backed
 * up to 1/8 of the live bytes: the file records them as backed and the next
 * run reuses them; punching them (resident pages to drop) would be most of
 * the cost of a close. A small heap keeps none, so its files shrink to the
 * live data. Queue the rest for punching. Lock held; the live count reads
 * the SMALL chunks' counts: the caller holds every arena lock, or no other
 * thread allocates (close). Chunks freed by close itself are not counted. */
static void punch_over_budget(metall_manager *m)
{
    struct chunk_dir *cd = &m->chunks;
    size_t live = 0;
    for (uint32_t i = 1; i < cd->nchunks; i++) {
        const struct chunk_info *ci = &cd->info[i];
        if (ci->kind == MC_CHUNK_SMALL)
            live += (size_t)(mc_classes[ci->cls].nslots - ci->val) * mc_classes[ci->cls].size;
        else if (ci->kind == MC_CHUNK_LARGE)
            live += (size_t)ci->val << MC_CHUNK_SHIFT;
    }
    size_t keep = live / 8 >> MC_CHUNK_SHIFT;
    for (uint32_t k = cd->npool; k-- > 0;) { /* the pool first: reused first */
        uint32_t idx = cd->pool[k];
        if (keep) {
            keep--;
            continue;
        }
        pool_remove(cd, idx); /* moves an already kept one to k */
        queue_punch(m, idx, 1);
    }
    for (uint32_t i = 1; i < cd->nchunks; i++)
        if (cd->info[i].kind == MC_CHUNK_FREE && cd->info[i].backed &&
            cd->info[i].in_pool == POOL_NO) {
            if (keep)
                keep--;
            else
                queue_punch(m, i, 1);
        }
}

void chunk_flush_purge(metall_manager *m)
{
    struct chunk_dir *cd = &m->chunks;
    bin_lock_all(m);
    pthread_mutex_lock(&cd->lock);
    bool pf = cd->pf_on;
    prefault_stop(cd);
    punch_over_budget(m);
    cd->pf_on = pf;
    pthread_mutex_unlock(&cd->lock);
    bin_unlock_all(m);
    chunk_purge_wait(m, true);
}

int chunk_pool_drain(metall_manager *m)
{
    struct chunk_dir *cd = &m->chunks;
    pthread_mutex_lock(&cd->lock);
    prefault_stop(cd);
    punch_over_budget(m);
    pthread_mutex_unlock(&cd->lock);
    chunk_purge_wait(m, true);
    return 0;
}

void chunk_dir_rebuild(metall_manager *m)
{
    struct chunk_dir *cd = &m->chunks;
    memset(cd->free_map, 0, map_bytes(cd->nchunks));
    cd->free_hint = 0;
    cd->npool = 0;
    cd->small_words = 0;
    for (uint32_t i = 0; i < cd->nchunks; i++) {
        struct chunk_info *ci = &cd->info[i];
        uint8_t c = MC_CLS_NONE;
        if (ci->kind == MC_CHUNK_FREE)
            set_free(cd, i);
        else if (ci->kind == MC_CHUNK_SMALL) {
            c = ci->cls;
            cd->small_words += mc_classes[c].words;
        }
        else if (ci->kind == MC_CHUNK_LARGE || ci->kind == MC_CHUNK_BODY)
            c = MC_CLS_LARGE;
        atomic_store_explicit(&cd->cls[i], c, memory_order_relaxed);
    }
    __atomic_store_n(&m->heap_end, (size_t)cd->nchunks << MC_CHUNK_SHIFT, __ATOMIC_RELAXED);
}

uint32_t chunk_free_large(metall_manager *m, uint32_t idx)
{
    struct chunk_dir *cd = &m->chunks;
    int saved = errno;
    pthread_mutex_lock(&cd->lock);
    uint32_t n = 0;
    if (idx < cd->nchunks && cd->info[idx].kind == MC_CHUNK_LARGE) {
        n = cd->info[idx].val;
        release_run(m, idx, n);
    }
    pthread_mutex_unlock(&cd->lock);
    errno = saved;
    return n;
}

uint32_t chunk_large_len(metall_manager *m, uint32_t idx)
{
    struct chunk_dir *cd = &m->chunks;
    pthread_mutex_lock(&cd->lock);
    uint32_t n = 0;
    if (idx < cd->nchunks && cd->info[idx].kind == MC_CHUNK_LARGE)
        n = cd->info[idx].val;
    pthread_mutex_unlock(&cd->lock);
    return n;
}

void chunk_shrink_large(metall_manager *m, uint32_t idx, uint32_t n2)
{
    struct chunk_dir *cd = &m->chunks;
    int saved = errno;
    pthread_mutex_lock(&cd->lock);
    uint32_t n = cd->info[idx].val;
    if (n2 < n && n2 > 0) {
        cd->info[idx].val = n2;
        release_run(m, idx + n2, n - n2);
    }
    pthread_mutex_unlock(&cd->lock);
    errno = saved;
}
