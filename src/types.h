/*
 * types.h - the nouns of metall-c and the invariants between them.
 *
 * Glossary
 *  datastore  a directory holding one persistent heap (layout.h).
 *  manager    an open datastore in this process (struct metall_manager).
 *  segment    the heap's address range: `capacity` bytes reserved once
 *             (PROT_NONE), of which the first nblocks * block_size bytes are
 *             mapped MAP_SHARED|MAP_FIXED from the block files.
 *  block      one segment file, block_size bytes (256 MiB by default),
 *             sparse: disk blocks exist only for backed chunks.
 *  chunk      MC_CHUNK_SIZE (2 MiB) unit of the segment. It is FREE, SMALL
 *             (slots of one size class), LARGE/BODY (a large object's run)
 *             or RESERVED (chunk 0, so offset 0 can mean NULL).
 *  backed     a chunk whose file range has disk blocks (fallocate'd). Only
 *             backed chunks are handed out, so a full disk is ENOSPC at
 *             allocation, never SIGBUS at first touch. Free chunks are
 *             unbacked (hole punched) except a small pool kept for reuse.
 *             Fully free pages of SMALL chunks are punched too (trimmed):
 *             in the background a while after a slot was freed (resident
 *             memory), and at flush/close for every chunk changed since the
 *             last one (the files shrink to the live data). Such a chunk is
 *             marked `holes` (pmap: which pages) and its pages are backed
 *             again before a slot on them is handed out.
 *  size class one of MC_NCLASSES slot sizes (8 B .. 1 MiB); larger objects
 *             are runs of whole chunks.
 *  arena      a set of bins (one per size class). Threads are spread over
 *             narenas arenas so that they neither contend for bin locks nor
 *             share chunks (no false sharing between threads' objects); a
 *             chunk belongs to one arena until it is freed.
 *  bin        per arena and size class: the SMALL chunks with free slots
 *             (guarded by the arena's lock).
 *  slot       an object position in a SMALL chunk; a bitmap bit per slot,
 *             1 = allocated (to the user or to a thread cache).
 *  tcache     per-thread, per-manager stacks of free slots by size class:
 *             the lock-free fast path. Cached slots count as allocated in
 *             the bitmaps, and are returned to the bins on thread exit,
 *             on metall_flush()/close() of this thread, and at close.
 *
 * Lock order (outer first): named -> registry -> manager tc_lock ->
 * arenas in index order -> chunks.lock. (named is held while allocating,
 * and a first allocation in a thread may take the registry and tc_lock.) No lock is held while calling
 * user code except named's read lock during metall_named_foreach().
 */
#ifndef METALLC_TYPES_H
#define METALLC_TYPES_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <metall/metall.h>

#define MC_LIKELY(x) __builtin_expect(!!(x), 1)
#define MC_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define MC_CHUNK_SHIFT 21
#define MC_CHUNK_SIZE ((size_t)1 << MC_CHUNK_SHIFT)
#define MC_CHUNK_MASK (MC_CHUNK_SIZE - 1)
#define MC_PAGE_SHIFT 12     /* trimming granule: 4 KiB pages */
#define MC_CHUNK_PAGES (MC_CHUNK_SIZE >> MC_PAGE_SHIFT)
_Static_assert(MC_CHUNK_SIZE == METALLC_CHUNK_SIZE, "public chunk size");
#define MC_DEFAULT_BLOCK_SIZE ((size_t)256 << 20)
#define MC_DEFAULT_CAPACITY ((size_t)4 << 40)
#define MC_MIN_CAPACITY ((size_t)16 << 20)

/* Size classes: 8, 16..128 step 16, then 4 per doubling up to 1 MiB. */
#define MC_NCLASSES 61
#define MC_SMALL_MAX ((size_t)1 << 20)
#define MC_CLS_LARGE 0xFE    /* chunk_cls[] value of LARGE/BODY chunks */
#define MC_CLS_NONE 0xFF     /* chunk_cls[] value of other chunks */

#define MC_NONE UINT32_MAX  /* "no chunk" in chunk lists */
#define MC_MAX_ARENAS 32

/* Backed free chunks kept for reuse before holes are punched. */
#define MC_BACKED_POOL 8

/* --- segment (segment.c) ------------------------------------------------ */
struct mc_numa; /* numa.c: nodes to place new pages on */

/* segment.ra: read-ahead on fresh heap blocks (segment.c) */
enum { MC_RA_SMALL, MC_RA_ON, MC_RA_OFF };

struct segment {
    char *base;              /* start of the reservation == heap base */
    size_t capacity;         /* bytes reserved */
    size_t block_size;       /* bytes per block file */
    unsigned nblocks;        /* blocks mapped */
    unsigned max_blocks;     /* capacity / block_size */
    int *fds;                /* [max_blocks] block file descriptors */
    bool read_only;
    bool no_fallocate;       /* file system cannot fallocate: stay sparse */
    bool populate;           /* prefault chunks when backing them */
    struct mc_numa *numa;    /* non-NULL: prefault under this placement */
    const char *path;        /* datastore directory (owned by the manager) */
    /* pages punched since the checkpoint's last cut, once it asked for them
     * (segment_punch_log_*; atomic pointer, freed by segment_release) */
    struct mc_punch_log *punch_log;
    /* read-ahead on fresh blocks (segment.c, MC_RA_*), under ra_lock;
     * ra_blocks: blocks whose advice follows it */
    int ra;
    unsigned ra_blocks;
    pthread_mutex_t ra_lock;
};

/* --- chunk directory (chunk.c) ------------------------------------------ */
struct chunk_info {
    uint8_t kind;            /* enum mc_chunk_kind */
    uint8_t cls;
    uint8_t backed;
    uint8_t in_pool;         /* FREE: 1 in the pool, 2 queued for punching, 3 being punched */
    uint8_t arena;           /* SMALL: the arena whose bin owns it */
    uint8_t holes;           /* SMALL: free-slot pages punched; back before use */
    uint8_t zero;            /* FREE: contents known to be zero: calloc skips memset.
                                Set only for fresh chunks (extend) and by a successful
                                punch; cleared whenever a chunk is handed out (also by
                                in-place growth) or freed */
    /* SMALL, page trimming (bin.c); written only with both the arena's lock
     * and chunks.lock held, so either lock is enough to read them */
    uint8_t in_tq;           /* in the background trim queue (a slot was freed) */
    uint8_t in_dirty;        /* in dirty_map: has free pages that may be backed */
    uint8_t trimming;        /* (arena lock) pages being punched: allocate nothing here */
    uint32_t hwm;            /* SMALL: bitmap words ever handed out from (high-water) */
    uint32_t val;            /* SMALL: free slots; LARGE: run length */
    uint32_t next, prev;     /* bin's non-full list (SMALL) */
    uint32_t hint;           /* first bitmap word that may have a free bit */
    uint64_t *bitmap;        /* SMALL: slot bitmap (DRAM), 1 = allocated */
    uint64_t *pmap;          /* SMALL: MC_CHUNK_PAGES bits, 1 = page punched (a hole);
                                NULL with holes set: unknown (trimmed at a past close) */
} __attribute__((aligned(64))); /* neighbours often belong to different arenas:
                                   one cache line each, no false sharing */

struct chunk_dir {
    pthread_mutex_t lock;    /* guards everything below except cls[] reads */
    struct chunk_info *info; /* [max_chunks], lazily touched anonymous memory */
    _Atomic uint8_t *cls;    /* [max_chunks] size class / MC_CLS_*: read lock-free by free() */
    uint64_t *free_map;      /* bit set = FREE chunk, below nchunks */
    uint32_t nchunks;        /* high-water mark */
    uint32_t max_chunks;     /* capacity / MC_CHUNK_SIZE */
    uint64_t small_words;    /* bitmap words of all SMALL chunks (the chunks image's size) */
    uint32_t free_hint;      /* lowest free_map word that may have a set bit */
    uint32_t pool[MC_BACKED_POOL]; /* backed free single chunks, a stack */
    uint32_t npool;
    /* background hole punching (chunk.c): freed chunks wait in purge_q,
     * still backed and reusable, until the purger thread punches them */
    uint32_t *purge_q;       /* chunk indices; [purge_head, purge_len) pending */
    uint64_t *purge_t;       /* when each was queued (CLOCK_MONOTONIC ns) */
    size_t purge_head, purge_len, purge_cap;
    unsigned purge_hurry;    /* waiters that need the queue drained now */
    unsigned trim_hurry;     /* waiters that need every dirty chunk trimmed now */
    uint32_t *pf_q;          /* look-ahead chunks to prefault, [pf_head, pf_len) */
    size_t pf_head, pf_len, pf_cap;
    bool pf_on, pf_inflight; /* background prefaulting enabled / running now */
    unsigned pf_cpus;        /* CPUs this process may run on: prefault needs a spare one */
    uint64_t purge_delay_ns; /* a freed chunk stays reusable this long first */
    uint32_t purge_inflight; /* chunks being punched right now */
    /* page trimming of SMALL chunks (bin_trim_chunk): tq holds chunks that
     * had a slot freed, trimmed in the background after purge_delay_ns
     * (pages below their high-water mark: resident memory); dirty_map the
     * chunks whose free pages may still hold disk blocks, all trimmed by
     * flush/close/snapshot, so those cost what changed since the last one */
    uint32_t *tq;
    uint64_t *tq_t;
    size_t tq_head, tq_len, tq_cap;
    uint64_t *dirty_map;     /* bit i: info[i].in_dirty */
    uint32_t ndirty;
    bool trim_inflight;
    bool closing;            /* chunk_close_begin: free without punching or trimming */
    bool purge_started, purge_stop, purge_sync;
    pthread_cond_t purge_cv;      /* work queued, or stop */
    pthread_cond_t purge_idle_cv; /* queue drained */
    pthread_t purger;
};

/* --- arenas and bins (bin.c) -------------------------------------------- */
struct bin {
    uint32_t nonfull;        /* head of the list of SMALL chunks with free slots */
};

/* One lock per arena, not per bin: a thread works in its own arena, and
 * stop-the-world operations (flush, snapshot, stats) then hold at most
 * MC_MAX_ARENAS locks (ThreadSanitizer tracks 64 held locks). */
struct arena {
    pthread_mutex_t lock;
    struct bin bins[MC_NCLASSES];
} __attribute__((aligned(64)));

/* --- registered objects (named.c) -------------------------------------- */
/* One object of the directory: named, unique (named by its C++ type) or
 * anonymous (no name). Named and unique entries are in the name table
 * (keyed by kind and name); every entry is in the offset table. */
struct named_entry {
    struct named_entry *next;     /* name table chain */
    struct named_entry *next_off; /* offset table chain */
    uint64_t offset;
    uint64_t length;              /* bytes */
    uint64_t count;               /* elements (C objects: = length) */
    uint64_t type_id;             /* 0: untyped */
    char *desc;                   /* NULL if none */
    uint32_t hash;                /* of kind and name */
    uint32_t name_len;            /* 0 for anonymous */
    uint8_t kind;                 /* metall_object_kind */
    char name[];
};

struct named_dir {
    pthread_rwlock_t lock;
    struct named_entry **table;   /* by kind and name */
    struct named_entry **by_off;  /* by offset */
    size_t nbuckets;              /* of both tables; power of two */
    size_t count;                 /* all entries */
    size_t kind_count[3];         /* entries by metall_object_kind */
    size_t record_bytes;          /* bytes of all records in the names image */
};

/* --- the manager ---------------------------------------------------------- */
struct tcache;
struct mc_ckpt; /* checkpoint.c: chain state and background job */

struct metall_manager {
    struct metall_manager_head_ head; /* base: must stay first (metall.h) */
    uint64_t id;                      /* unique in the process, never reused */
    _Atomic uint8_t *chunk_cls;       /* == chunks.cls, here for the free path */
    size_t heap_end;                  /* chunks.nchunks << MC_CHUNK_SHIFT (relaxed atomic):
                                         free() and usable_size() ignore pointers past it,
                                         so never-used chunks are never taken for slots */
    bool read_only;
    struct segment seg;
    struct chunk_dir chunks;
    unsigned narenas;                 /* arenas in use: 2 x CPUs, at most MC_MAX_ARENAS */
    _Atomic unsigned next_arena;      /* round-robin arena of new thread caches */
    unsigned nthreads;                /* threads holding a cache (tc_lock; relaxed reads) */
    struct arena arenas[MC_MAX_ARENAS];
    struct named_dir named;

    pthread_mutex_t tc_lock;          /* guards tcaches list */
    struct tcache *tcaches;           /* all tcaches of this manager */
    struct metall_manager *reg_next;  /* registry of open managers */

    pid_t pid;                        /* the process that opened it (fork: tcache.c) */
    /* space reserved for what close writes (spare.c): the sizes of the spare
     * files of the chunks, names and closed images; written under spare_lock,
     * read with relaxed atomics */
    pthread_mutex_t spare_lock;
    uint64_t spare[3];
    pthread_mutex_t meta_lock;        /* description writes, flush, snapshot */
    char *path;                       /* datastore directory */
    int lock_fd;
    uint8_t uuid[16];
    uint64_t created_unix;
    uint64_t capacity;                /* as recorded (seg.capacity may be less: an address-
                                         space limit here); what snapshots record */
    char creator[16];
    metall_numa_policy numa;
    int numa_node;
    struct mc_ckpt *ckpt;             /* NULL until the first checkpoint */
};

#endif
