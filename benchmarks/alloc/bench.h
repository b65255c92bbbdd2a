/*
 * bench.h - shared types of alloc_bench: parameters, results, the size
 * streams and the timer. Each allocator ("system") lives in its own
 * sys_<name>.c, which instantiates the workload loops of workloads.inc
 * with direct calls to its API, so no system pays an extra indirect call
 * per operation that the others do not.
 */
#ifndef ALLOC_BENCH_H
#define ALLOC_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/** Workloads. W5 (threads) is W_ALLOC run with more than one thread. */
typedef enum {
    W_ALLOC = 1,   /**< W1: N allocs of 8..256 B, then free all in order */
    W_WRITE = 2,   /**< W2: as W1, one 8-byte store per object after alloc */
    W_MIXED = 3,   /**< W3: N/10 allocs up to 1 MiB, random frees in a window */
    W_REALLOC = 4  /**< W4: objects grown by realloc from 8 B to 64 KiB */
} workload_id;

/** What one measurement (one child process) is asked to do. */
typedef struct bench_params {
    size_t n;          /**< --n: the base operation count */
    uint64_t seed;     /**< --seed of the size streams */
    const char *dir;   /**< --dir: where file-backed heaps are created */
    workload_id w;
    unsigned threads;  /**< 1 except for W5 */
} bench_params;

/** The outcome of one measurement: up to two timed phases. */
typedef struct bench_result {
    int nphases;
    uint64_t ns[2];          /**< wall time of each phase */
    uint64_t ops[2];         /**< operations in each phase */
    int64_t disk_peak;       /**< bytes on disk after the alloc phase; -1: n/a */
    int64_t disk_after_free; /**< bytes on disk after freeing all; -1: n/a */
} bench_result;

/** One allocator under test. */
typedef struct bench_system {
    const char *name;
    /** Run one measurement; 0 on success, -1 after printing why to stderr. */
    int (*run)(const bench_params *p, bench_result *out);
} bench_system;

/* Systems; each sys_*.c defines its own (NULL-free table in alloc_bench.c). */
extern const bench_system bench_sys_metall;
extern const bench_system bench_sys_malloc;
extern const bench_system bench_sys_jemalloc;
extern const bench_system bench_sys_pmemobj;
extern const bench_system bench_sys_bip;

/** Monotonic time in nanoseconds. */
static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/** xorshift64 (Marsaglia): the fixed-seed stream every system gets. */
static inline uint64_t bench_xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/** The seed of thread @p t's stream (t = 0 gives @p seed itself, so W1
 *  and W5 with one thread see the same sizes). */
static inline uint64_t bench_thread_seed(uint64_t seed, unsigned t)
{
    uint64_t s = seed ^ ((uint64_t)t * 0x9E3779B97F4A7C15u);
    return s ? s : 1; /* xorshift's state must not be 0 */
}

/* Size streams (bench_common.c). Each returns a malloc'ed array (NULL on
 * out-of-memory), generated before timing so that the RNG is not timed. */
uint32_t *bench_sizes_small(uint64_t seed, size_t n);            /* 8..256 */
uint32_t *bench_sizes_mixed(uint64_t seed, size_t n);            /* W3 mix */
uint32_t *bench_window_slots(uint64_t seed, size_t n, size_t window);

/** W3's number of operations and its window of live objects. */
size_t bench_mixed_ops(size_t n);
size_t bench_mixed_window(size_t n);
/** W4's object count (a multiple of BENCH_REALLOC_GROUP). */
size_t bench_realloc_objects(size_t n);
#define BENCH_REALLOC_GROUP 16          /* objects grown round-robin */
#define BENCH_REALLOC_MAX ((size_t)65536)

/** Bytes a file-backed heap should be created with for @p p's workload. */
size_t bench_heap_bytes(const bench_params *p);

/** Bytes on disk (sum of st_blocks * 512) of the file or directory tree
 *  at @p path; -1 on error. */
int64_t bench_disk_usage(const char *path);

/** Remove the file or directory tree at @p path (missing is fine). */
void bench_remove_tree(const char *path);

#endif /* ALLOC_BENCH_H */
