/*
 * rmat.h - the R-MAT edge generator of the graph benchmark (Graph500
 * parameters a=0.57 b=0.19 c=0.19 d=0.05, vertex ids scrambled).
 *
 * Counter-based: edge number k of the whole graph is a pure function of
 * (seed, scale, k), so the generated graph does not depend on the number of
 * ranks, each rank generates any share of it independently, and a checker
 * can regenerate any edge.
 */
#ifndef GRAPH_RMAT_H
#define GRAPH_RMAT_H

#include <stdint.h>

struct rmat {
    unsigned scale;      /* 2^scale vertices */
    uint64_t seed;
    uint64_t mask;       /* 2^scale - 1 */
};

void rmat_init(struct rmat *g, unsigned scale, uint64_t seed);

/* Edge number k: source and destination vertex. */
void rmat_edge(const struct rmat *g, uint64_t k, uint64_t *src, uint64_t *dst);

/* A 64-bit mixing function (splitmix64's finaliser), used for checksums
 * and partitioning. */
static inline uint64_t graph_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The rank owning vertex v: a hash partition that does not correlate with
 * the adjacency hash map's own (murmur-finaliser, low bits) slot index. */
static inline int graph_owner(uint64_t v, int nranks)
{
    return (int)(((graph_mix(v + 0x632be59bd9b4e019ULL) >> 32) * (uint64_t)nranks) >> 32);
}

#endif
