/*
 * rmat.c - R-MAT edges, one per counter value (see rmat.h).
 *
 * Each level of the recursion picks one of the four quadrants with
 * probabilities a, b, c, d using 16 bits of a splitmix64 stream seeded from
 * (seed, k); four levels per 64-bit draw. Ids are then scrambled by a
 * bijection of [0, 2^scale) so that high-degree vertices are spread over
 * the id space (and over the ranks), as Graph500 does.
 */
#include "rmat.h"

/* quadrant thresholds in 1/65536: a, a+b, a+b+c */
#define T_A 37356u   /* 0.57 */
#define T_AB 49807u  /* 0.76 */
#define T_ABC 62259u /* 0.95 */

void rmat_init(struct rmat *g, unsigned scale, uint64_t seed)
{
    g->scale = scale;
    g->seed = graph_mix(seed ^ 0x5851f42d4c957f2dULL);
    g->mask = scale >= 64 ? UINT64_MAX : ((uint64_t)1 << scale) - 1;
}

/* A bijection of [0, 2^scale): odd multiplications and xor-shifts, each
 * invertible modulo 2^scale. */
static uint64_t scramble(const struct rmat *g, uint64_t x)
{
    unsigned sh = (g->scale + 1) / 2;
    x = (x * 0x9e3779b97f4a7c15ULL + g->seed) & g->mask;
    x ^= x >> sh;
    x = (x * 0xd6e8feb86659fd93ULL) & g->mask;
    x ^= x >> sh;
    x = (x * 0xa0761d6478bd642fULL) & g->mask;
    return x;
}

void rmat_edge(const struct rmat *g, uint64_t k, uint64_t *src, uint64_t *dst)
{
    uint64_t state = g->seed + (k + 1) * 0x9e3779b97f4a7c15ULL;
    uint64_t u = 0, v = 0, r = 0;
    unsigned left = 0;
    for (unsigned level = 0; level < g->scale; level++) {
        if (!left) {
            state += 0x9e3779b97f4a7c15ULL;
            r = graph_mix(state);
            left = 4;
        }
        unsigned x = (unsigned)(r & 0xffff);
        r >>= 16;
        left--;
        unsigned ubit = x >= T_AB;                          /* quadrants c, d */
        unsigned vbit = (x >= T_A && x < T_AB) || x >= T_ABC; /* quadrants b, d */
        u = (u << 1) | ubit;
        v = (v << 1) | vbit;
    }
    *src = scramble(g, u);
    *dst = scramble(g, v);
}
