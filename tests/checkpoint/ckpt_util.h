/*
 * ckpt_util.h - helpers of the checkpoint tests: compare a restored
 * datastore with a snapshot of the same cut, byte for byte.
 */
#ifndef METALLC_CKPT_UTIL_H
#define METALLC_CKPT_UTIL_H

#include "test_util.h"

#include "layout.h"

#define MiB ((size_t)1 << 20)

/* Whole file into memory (NULL + *len 0 if absent). */
static inline char *cu_slurp(const char *path, size_t *len)
{
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc(n > 0 ? (size_t)n : 1);
    if (b && n > 0 && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = b ? (size_t)n : 0;
    return b;
}

static inline bool cu_all_zero(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* Do the datastores a and b hold the same heap bytes (a missing block
 * file reads as zeros) and the same management payloads? Prints the
 * first difference. */
static inline bool cu_same(const char *a, const char *b)
{
    const char *mg[] = {MC_FILE_CHUNKS_NAME, MC_FILE_NAMES_NAME};
    for (int i = 0; i < 2; i++) {
        size_t la, lb;
        char *x = cu_slurp(tu_path(a, mg[i]), &la), *y = cu_slurp(tu_path(b, mg[i]), &lb);
        bool same = x && y && la == lb && la >= 48 && memcmp(x + 48, y + 48, la - 48) == 0;
        free(x);
        free(y);
        if (!same) {
            fprintf(stderr, "cu_same: %s differs between %s and %s\n", mg[i], a, b);
            return false;
        }
    }
    for (unsigned blk = 0;; blk++) {
        char name[64];
        snprintf(name, sizeof name, MC_BLOCK_FMT, blk);
        size_t la, lb;
        char *x = cu_slurp(tu_path(a, name), &la), *y = cu_slurp(tu_path(b, name), &lb);
        if (!x && !y)
            return true;
        size_t n = la > lb ? la : lb;
        bool same = true;
        for (size_t k = 0; k < n && same; k += 4096) {
            size_t m = n - k < 4096 ? n - k : 4096;
            const char *px = k < la ? x + k : NULL, *py = k < lb ? y + k : NULL;
            if (px && py)
                same = memcmp(px, py, m) == 0;
            else
                same = cu_all_zero(px ? px : py, m);
            if (!same)
                fprintf(stderr, "cu_same: block %u differs at %zu (%s vs %s)\n", blk, k, a, b);
        }
        free(x);
        free(y);
        if (!same)
            return false;
    }
}

#include "checkpoint.h"

#include "chain_wp.h"
#include "error.h"

/* The detection the tests ask for (METALLC_CKPT_DETECT: hash, reflink on
 * a loop-mounted XFS, wp; unset: write tracking where the kernel has it),
 * and a check that the last checkpoint of m used it: the manager's first
 * checkpoint into a chain hashes the heap and arms the tracking, the later
 * ones use the tracking. */
static inline const char *cu_detect(void)
{
    const char *d = getenv("METALLC_CKPT_DETECT");
    return d ? d : "auto";
}

static inline bool cu_reflink(void)
{
    return strcmp(cu_detect(), "reflink") == 0;
}

/* Can this kernel track writes to file mappings? */
static inline bool cu_wp(void)
{
    struct mc_wp w;
    bool ok = wp_open(&w, "probe") == 0;
    wp_close(&w);
    mc_error_clear();
    return ok;
}

static inline struct mc_ckpt_stats cu_stats(metall_manager *m)
{
    struct mc_ckpt_stats st;
    assert_true(metall_internal_checkpoint_stats(m, &st));
    return st;
}

static inline void cu_check_method(metall_manager *m, bool first)
{
    struct mc_ckpt_stats st = cu_stats(m);
    const char *d = cu_detect();
    int want = MC_CKPT_HASH;
    if (strcmp(d, "reflink") == 0)
        want = first ? MC_CKPT_HASH_GEN : MC_CKPT_REFLINK;
    else if (strcmp(d, "wp") == 0 || (strcmp(d, "hash") != 0 && cu_wp()))
        want = first ? MC_CKPT_HASH_WP : MC_CKPT_WP;
    if (st.method != want)
        fail_msg("checkpoint found its changes by method %d, not %d (%s)", st.method, want, d);
}

/* Write n random bytes at random places of the len bytes at p. */
static inline void cu_scribble(unsigned char *p, size_t len, size_t n, uint64_t *seed)
{
    for (size_t i = 0; i < n; i++)
        p[tu_rand(seed) % len] = (unsigned char)tu_rand(seed);
}

#endif
