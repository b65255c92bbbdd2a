/*
 * bench_common.c - size streams, heap sizing and disk-usage helpers shared
 * by every system of alloc_bench. Nothing here is timed.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

uint32_t *bench_sizes_small(uint64_t seed, size_t n)
{
    uint32_t *s = malloc((n ? n : 1) * sizeof *s);
    if (!s)
        return NULL;
    uint64_t st = seed ? seed : 1;
    for (size_t i = 0; i < n; i++)
        s[i] = (uint32_t)(8 + bench_xorshift(&st) % 249); /* uniform 8..256 */
    return s;
}

uint32_t *bench_sizes_mixed(uint64_t seed, size_t n)
{
    uint32_t *s = malloc((n ? n : 1) * sizeof *s);
    if (!s)
        return NULL;
    uint64_t st = seed ? seed : 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = bench_xorshift(&st);
        unsigned pct = (unsigned)(r % 100);
        uint64_t v = r >> 8; /* bits not used by the percentage */
        if (pct < 90)        /* 90%: 8..256 B */
            s[i] = (uint32_t)(8 + v % 249);
        else if (pct < 99)   /* 9%: 257 B..64 KiB */
            s[i] = (uint32_t)(257 + v % (65536 - 257 + 1));
        else                 /* 1%: 64 KiB+1..1 MiB */
            s[i] = (uint32_t)(65537 + v % ((1u << 20) - 65537 + 1));
    }
    return s;
}

uint32_t *bench_window_slots(uint64_t seed, size_t n, size_t window)
{
    uint32_t *s = malloc((n ? n : 1) * sizeof *s);
    if (!s)
        return NULL;
    /* a different stream from the sizes: same seed, other constant */
    uint64_t st = (seed ^ 0xD1B54A32D192ED03u) ? (seed ^ 0xD1B54A32D192ED03u) : 1;
    for (size_t i = 0; i < n; i++)
        s[i] = (uint32_t)(bench_xorshift(&st) % window);
    return s;
}

size_t bench_mixed_ops(size_t n)
{
    size_t ops = n / 10;
    return ops < 1000 ? 1000 : ops;
}

size_t bench_mixed_window(size_t n)
{
    size_t ops = bench_mixed_ops(n);
    return ops < 10000 ? ops : 10000;
}

size_t bench_realloc_objects(size_t n)
{
    size_t k = n / 1000;
    k = (k + BENCH_REALLOC_GROUP - 1) / BENCH_REALLOC_GROUP * BENCH_REALLOC_GROUP;
    return k < BENCH_REALLOC_GROUP ? BENCH_REALLOC_GROUP : k;
}

size_t bench_heap_bytes(const bench_params *p)
{
    /* Generous: per-object headers and size-class rounding of pmemobj and
     * Boost.Interprocess, plus fragmentation. Files are sparse (bip) or
     * fallocate'd without writing (pmemobj), so the slack costs no I/O. */
    const size_t base = (size_t)256 << 20;
    switch (p->w) {
    case W_ALLOC:
    case W_WRITE:
        return base + p->n * 400;
    case W_MIXED:
        /* window * mean size (~9 KiB) is ~90 MiB; fragmentation on top */
        return base + bench_mixed_window(p->n) * ((size_t)128 << 10);
    case W_REALLOC:
        return base + (size_t)BENCH_REALLOC_GROUP * BENCH_REALLOC_MAX * 8;
    }
    return base;
}

static int64_t du_total;

static int du_visit(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)path;
    (void)f;
    if (type == FTW_F)
        du_total += (int64_t)st->st_blocks * 512;
    return 0;
}

int64_t bench_disk_usage(const char *path)
{
    du_total = 0;
    if (nftw(path, du_visit, 16, FTW_PHYS) != 0)
        return -1;
    return du_total;
}

static int rm_visit(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)st;
    (void)f;
    if (type == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

void bench_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    nftw(path, rm_visit, 16, FTW_DEPTH | FTW_PHYS);
}
