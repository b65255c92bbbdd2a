/*
 * graph_bench.c - graph construction under MPI on persistent containers.
 *
 *   mpiexec -n P graph_bench --scale S --edge-factor E --datastore DIR
 *       [--systems metall,malloc,pmemobj,bip] [--csv FILE]
 *
 * For each system, on every rank: generate this rank's share of the
 * R-MAT edges (rmat.h; each undirected edge gives two directed ones), route
 * each directed edge to the rank owning its source vertex (hash partition,
 * one batched MPI_Alltoallv per round), insert it into the rank's adjacency
 * list - a metall_hashmap from vertex to a metall_array of neighbours -
 * inside the rank's store; close; reopen (timed: it must not read the
 * data); verify the edge count and two checksums against what the
 * generator produced (computed while generating, not from the structure);
 * run a BFS from a fixed root over the reopened graph. Every system runs the
 * same container code through a metall_container_alloc (backend.h).
 *
 * Output (rank 0, stdout): a CSV header and one row per system
 *   system,ranks,scale,edges,build_s,close_s,reopen_s,verify_ok,disk_bytes
 * each followed by a "# ..." line of details (live bytes, BFS, rates);
 * --csv FILE appends the rows to FILE too. Progress goes to stderr.
 *
 * Times: build_s is the exchange + insertion time of all rounds (barrier to
 * barrier; edge generation is timed apart as gen_s), close_s and reopen_s
 * barrier to barrier. Exit status: 0 when every system that ran verified,
 * 1 otherwise, 2 for a usage error.
 */
#define _GNU_SOURCE
#include "backend.h"
#include "rmat.h"

#include <metall/hashmap.h>

#include <errno.h>
#include <inttypes.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define GRAPH_MAGIC 0x4d43475241504831ULL /* "MCGRAPH1" */
#define NBR_MIX 0x2545f4914f6cdd1dULL

/* The graph's root object, in the store (found by name after reopen). */
struct graph_root {
    uint64_t magic;
    uint64_t scale;
    uint64_t ranks;
    uint64_t edges;     /* directed edges inserted on this rank */
    metall_hashmap adj; /* vertex -> metall_array of u64 neighbours */
};

struct opts {
    unsigned scale, edge_factor;
    const char *dir, *systems, *csv, *snapshot;
    uint64_t seed, batch;
    bool keep, bfs;
    bool drop_edge; /* test of the verification: rank 0 loses one edge */
};

struct ctx {
    int rank, nranks;
    struct rmat g;
    uint64_t und_edges;                 /* undirected edges generated in total */
    bool have_bfs_ref;
    uint64_t bfs_ref[3];                /* visited, levels, checksum of the first system */
};

struct result {
    double gen_s, build_s, build_cpu_s, close_s, reopen_s, verify_s, bfs_s;
    uint64_t edges, vertices, live_bytes, heap_bytes, disk_bytes;
    uint64_t bfs[3];
    bool ok, verify_ok;
    char err[512];
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU time of this thread: the machine may be shared, wall times are not
 * the whole story */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int g_rank;

static void say(const char *fmt, ...)
{
    if (g_rank != 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "graph_bench: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* A growable DRAM vector of u64 (message buffers). */
struct vec {
    uint64_t *d;
    size_t n, cap;
};

static bool vec_reserve(struct vec *v, size_t n)
{
    if (n <= v->cap)
        return true;
    size_t c = v->cap ? v->cap : 1024;
    while (c < n)
        c *= 2;
    uint64_t *d = realloc(v->d, c * sizeof *d);
    if (!d)
        return false;
    v->d = d;
    v->cap = c;
    return true;
}

/* All ranks agree on a failure: any rank's false makes all false. */
static bool all_ok(bool ok)
{
    int in = ok ? 1 : 0, out = 0;
    MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return out == 1;
}

static uint64_t sum_u64(uint64_t x)
{
    uint64_t y = 0;
    MPI_Allreduce(&x, &y, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    return y;
}

/* Exchange: counts[r] u64 words of send (grouped by rank in order) go to
 * rank r; the words received land in recv. With one rank, send is recv. */
static bool exchange(struct ctx *c, const uint64_t *send, const int *counts, struct vec *recv,
                     const uint64_t **out, size_t *nout)
{
    int P = c->nranks;
    if (P == 1) {
        *out = send;
        *nout = (size_t)counts[0];
        return true;
    }
    int *rc = malloc(4 * sizeof(int) * (size_t)P);
    int *sd = rc + P, *rd = rc + 2 * P;
    MPI_Alltoall(counts, 1, MPI_INT, rc, 1, MPI_INT, MPI_COMM_WORLD);
    size_t total = 0;
    int s = 0;
    for (int r = 0; r < P; r++) {
        sd[r] = s;
        s += counts[r];
        rd[r] = (int)total;
        total += (size_t)rc[r];
    }
    if (!vec_reserve(recv, total ? total : 1)) {
        /* the other ranks are already in the collective: nothing to recover */
        fprintf(stderr, "graph_bench: rank %d: out of memory for %zu received words\n",
                c->rank, total);
        MPI_Abort(MPI_COMM_WORLD, 3);
    }
    MPI_Alltoallv(send, counts, sd, MPI_UINT64_T, recv->d, rc, rd, MPI_UINT64_T,
                  MPI_COMM_WORLD);
    free(rc);
    *out = recv->d;
    *nout = total;
    return true;
}

/* --- build ---------------------------------------------------------------- */
struct gen_sums {
    uint64_t edges, deg, nbr; /* directed edges, sum mix(src), sum mix(src*K+dst) */
};

static void count_edge(struct gen_sums *gs, uint64_t u, uint64_t v)
{
    gs->edges++;
    gs->deg += graph_mix(u);
    gs->nbr += graph_mix(u * NBR_MIX + v);
}

static bool build(const struct graph_backend *b, struct graph_store *s, struct graph_root *root,
                  struct ctx *c, const struct opts *o, struct result *res, struct gen_sums *gs)
{
    int P = c->nranks;
    metall_container_alloc al = b->alloc(s);
    uint64_t E = c->und_edges;
    uint64_t lo = E / P * c->rank + (E % P < (uint64_t)c->rank ? E % P : (uint64_t)c->rank);
    uint64_t hi = lo + E / P + ((uint64_t)c->rank < E % P);
    uint64_t max_share = E / P + (E % P != 0);
    uint64_t batch = o->batch;
    uint64_t rounds = (max_share + batch - 1) / batch;
    uint64_t *gen = malloc(2 * batch * sizeof *gen);
    uint64_t *send = malloc(4 * batch * sizeof *send);
    int *counts = calloc((size_t)P, sizeof *counts);
    int *fill = calloc((size_t)P, sizeof *fill);
    struct vec recv = {0};
    bool ok = gen && send && counts && fill;
    uint64_t inserted = 0;
    int last_pct = 0;
    double t_start = now();

    for (uint64_t round = 0; round < rounds; round++) {
        double t0 = now();
        uint64_t k0 = lo + round * batch, k1 = k0 + batch;
        if (k0 > hi)
            k0 = hi;
        if (k1 > hi)
            k1 = hi;
        size_t n = (size_t)(k1 - k0);
        memset(counts, 0, sizeof *counts * (size_t)P);
        for (size_t i = 0; ok && i < n; i++) {
            uint64_t u, v;
            rmat_edge(&c->g, k0 + i, &u, &v);
            gen[2 * i] = u;
            gen[2 * i + 1] = v;
            count_edge(gs, u, v);
            count_edge(gs, v, u);
            counts[graph_owner(u, P)] += 2;
            counts[graph_owner(v, P)] += 2;
        }
        for (int r = 0, acc = 0; r < P; r++) {
            fill[r] = acc;
            acc += counts[r];
        }
        for (size_t i = 0; ok && i < n; i++) {
            uint64_t u = gen[2 * i], v = gen[2 * i + 1];
            int ru = graph_owner(u, P), rv = graph_owner(v, P);
            send[fill[ru]++] = u;
            send[fill[ru]++] = v;
            send[fill[rv]++] = v;
            send[fill[rv]++] = u;
        }
        MPI_Barrier(MPI_COMM_WORLD);
        double t1 = now(), c1 = cpu_now();
        res->gen_s += t1 - t0;

        const uint64_t *in;
        size_t nin;
        if (!exchange(c, send, counts, &recv, &in, &nin))
            ok = false;
        if (o->drop_edge && c->rank == 0 && round == 0 && nin >= 2)
            nin -= 2;
        for (size_t i = 0; ok && i < nin; i += 2) {
            bool fresh;
            metall_array *a = metall_hashmap_insert_a(&al, &root->adj, in[i], &fresh);
            if (!a || (fresh && !metall_array_init_a(&al, a, sizeof(uint64_t))) ||
                !metall_array_push_back_a(&al, a, &in[i + 1])) {
                snprintf(res->err, sizeof res->err, "rank %d: insertion failed after %" PRIu64
                         " edges: %s", c->rank, inserted, strerror(errno));
                ok = false;
                break;
            }
            inserted++;
        }
        res->build_cpu_s += cpu_now() - c1;
        MPI_Barrier(MPI_COMM_WORLD);
        res->build_s += now() - t1;

        int pct = (int)((round + 1) * 100 / rounds);
        if (rounds >= 8 && pct / 10 != last_pct / 10) {
            say("%s: %3d%% of the edges inserted (build %.2f s, generation %.2f s, "
                "wall %.1f s)", b->name, pct, res->build_s, res->gen_s, now() - t_start);
        }
        last_pct = pct;
    }
    root->edges = inserted;
    double cpu = res->build_cpu_s;
    MPI_Allreduce(&cpu, &res->build_cpu_s, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    free(gen);
    free(send);
    free(counts);
    free(fill);
    free(recv.d);
    return all_ok(ok);
}

/* --- verify: walk the reopened graph ------------------------------------- */
static bool verify(const struct graph_backend *b, struct graph_store *s,
                   const struct graph_root *root, struct ctx *c, struct result *res,
                   const struct gen_sums *gs)
{
    metall_container_alloc al = b->alloc(s);
    uint64_t cur = 0, key, edges = 0, deg = 0, nbr = 0, bad = 0, live = 0;
    void *v;
    while (metall_hashmap_next_a(&al, &root->adj, &cur, &key, &v)) {
        const metall_array *a = v;
        const uint64_t *d = metall_array_data_a(&al, a);
        size_t n = metall_array_size(a);
        if (graph_owner(key, c->nranks) != c->rank || a->elem_size != 8 || n == 0)
            bad++;
        edges += n;
        deg += graph_mix(key) * n;
        for (size_t i = 0; i < n; i++)
            nbr += graph_mix(key * NBR_MIX + d[i]);
        live += metall_array_capacity(a) * 8;
    }
    live += root->adj.capacity * root->adj.slot_size + sizeof *root;
    if (root->magic != GRAPH_MAGIC || root->ranks != (uint64_t)c->nranks || root->edges != edges)
        bad++;
    uint64_t in[7] = {edges, deg, nbr, bad, gs->edges, gs->deg, gs->nbr}, out[7];
    MPI_Allreduce(in, out, 7, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    res->edges = out[0];
    res->vertices = sum_u64(metall_hashmap_size(&root->adj));
    res->live_bytes = sum_u64(live);
    res->heap_bytes = sum_u64(b->heap_bytes(s));
    bool ok = out[3] == 0 && out[0] == out[4] && out[0] == 2 * c->und_edges && out[1] == out[5] &&
              out[2] == out[6];
    if (!ok && c->rank == 0)
        snprintf(res->err, sizeof res->err,
                 "verification failed: edges %" PRIu64 " (generated %" PRIu64 "), degree "
                 "checksum %s, neighbour checksum %s, %" PRIu64 " bad vertices/roots",
                 out[0], out[4], out[1] == out[5] ? "ok" : "WRONG",
                 out[2] == out[6] ? "ok" : "WRONG", out[3]);
    return ok;
}

/* --- BFS over the reopened graph ----------------------------------------- */
static bool bfs(const struct graph_backend *b, struct graph_store *s, const struct graph_root *root,
                struct ctx *c, struct result *res)
{
    metall_container_alloc al = b->alloc(s);
    int P = c->nranks;
    size_t nv = (size_t)1 << c->g.scale;
    int32_t *level = malloc(nv * sizeof *level);
    uint64_t *sent = calloc((nv + 63) / 64, sizeof *sent); /* targets already sent */
    int *counts = calloc((size_t)P, sizeof *counts), *fill = calloc((size_t)P, sizeof *fill);
    struct vec frontier = {0}, next = {0}, targets = {0}, send = {0}, recv = {0};
    bool ok = level && sent && counts && fill;
    if (ok)
        memset(level, 0xff, nv * sizeof *level);
    uint64_t r0, r1;
    rmat_edge(&c->g, 0, &r0, &r1); /* the source of edge 0: never isolated */
    sent[r0 / 64] |= 1ULL << (r0 % 64);
    if (ok && graph_owner(r0, P) == c->rank && vec_reserve(&frontier, 1)) {
        level[r0] = 0;
        frontier.d[frontier.n++] = r0;
    }
    int32_t L = 0;
    for (;;) {
        targets.n = 0;
        memset(counts, 0, sizeof *counts * (size_t)P);
        for (size_t i = 0; ok && i < frontier.n; i++) {
            const metall_array *a = metall_hashmap_find_a(&al, &root->adj, frontier.d[i]);
            if (!a)
                continue;
            const uint64_t *d = metall_array_data_a(&al, a);
            for (size_t j = 0; j < metall_array_size(a); j++) {
                uint64_t w = d[j];
                if (sent[w / 64] & (1ULL << (w % 64)))
                    continue;
                sent[w / 64] |= 1ULL << (w % 64);
                if (!vec_reserve(&targets, targets.n + 1)) {
                    ok = false;
                    break;
                }
                targets.d[targets.n++] = w;
                counts[graph_owner(w, P)]++;
            }
        }
        ok = ok && vec_reserve(&send, targets.n + 1);
        for (int r = 0, acc = 0; r < P; r++) {
            fill[r] = acc;
            acc += counts[r];
        }
        for (size_t i = 0; ok && i < targets.n; i++)
            send.d[fill[graph_owner(targets.d[i], P)]++] = targets.d[i];
        const uint64_t *in;
        size_t nin;
        if (!exchange(c, send.d, counts, &recv, &in, &nin))
            ok = false;
        next.n = 0;
        for (size_t i = 0; ok && i < nin; i++) {
            uint64_t w = in[i];
            if (level[w] < 0) {
                level[w] = L + 1;
                if (!vec_reserve(&next, next.n + 1)) {
                    ok = false;
                    break;
                }
                next.d[next.n++] = w;
            }
        }
        if (!all_ok(ok) || sum_u64(next.n) == 0)
            break;
        struct vec t = frontier;
        frontier = next;
        next = t;
        L++;
    }
    uint64_t visited = 0, chk = 0, maxl = 0;
    for (size_t v = 0; ok && v < nv; v++) {
        if (level[v] >= 0 && graph_owner(v, P) == c->rank) {
            visited++;
            chk += graph_mix(v) * (uint64_t)(level[v] + 1);
            if ((uint64_t)level[v] > maxl)
                maxl = (uint64_t)level[v];
        }
    }
    uint64_t mx = 0;
    MPI_Allreduce(&maxl, &mx, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    res->bfs[0] = sum_u64(visited);
    res->bfs[1] = mx + 1;
    res->bfs[2] = sum_u64(chk);
    free(level);
    free(sent);
    free(counts);
    free(fill);
    free(frontier.d);
    free(next.d);
    free(targets.d);
    free(send.d);
    free(recv.d);
    return all_ok(ok);
}

/* Free the containers (DRAM backend: the process goes on). */
static void destroy_graph(const struct graph_backend *b, struct graph_store *s,
                          struct graph_root *root)
{
    metall_container_alloc al = b->alloc(s);
    uint64_t cur = 0, key;
    void *v;
    while (metall_hashmap_next_a(&al, &root->adj, &cur, &key, &v))
        metall_array_destroy_a(&al, v);
    metall_hashmap_destroy_a(&al, &root->adj);
}

/* --- one system ------------------------------------------------------------ */
static void run_system(const struct graph_backend *b, struct ctx *c, const struct opts *o,
                       struct result *res)
{
    memset(res, 0, sizeof *res);
    char err[512] = "";
    int P = c->nranks;
    uint64_t dir_edges_local = 2 * c->und_edges / (uint64_t)P;
    size_t hint = (size_t)(dir_edges_local * 8 * 3 / 2 + (((uint64_t)1 << c->g.scale) / P) * 160);
    struct gen_sums gs = {0};

    b->remove(o->dir, c->rank, P); /* a previous run's files */
    struct graph_store *s = b->create(o->dir, c->rank, P, hint, err, sizeof err);
    struct graph_root *root = s ? b->root_alloc(s, sizeof *root) : NULL;
    if (root) {
        root->magic = GRAPH_MAGIC;
        root->scale = c->g.scale;
        root->ranks = (uint64_t)P;
        metall_container_alloc al = b->alloc(s);
        metall_hashmap_init_a(&al, &root->adj, sizeof(metall_array));
    } else if (s && !err[0]) {
        snprintf(err, sizeof err, "%s: cannot allocate the root object", b->name);
    }
    if (!all_ok(root != NULL)) {
        snprintf(res->err, sizeof res->err, "rank %d: %s", c->rank, err[0] ? err : "create failed");
        return;
    }
    say("%s: building (scale %u, edge factor %u, %" PRIu64 " directed edges, %d ranks)", b->name,
        c->g.scale, o->edge_factor, 2 * c->und_edges, P);
    if (!build(b, s, root, c, o, res, &gs)) {
        b->close(s, err, sizeof err);
        return;
    }

    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = now();
    bool ok = b->close(s, err, sizeof err);
    MPI_Barrier(MPI_COMM_WORLD);
    res->close_s = now() - t0;
    if (!all_ok(ok)) {
        snprintf(res->err, sizeof res->err, "close failed: %s", err);
        return;
    }
    char path[4096];
    uint64_t du = b->path(o->dir, c->rank, path, sizeof path) ? graph_disk_bytes(path) : 0;
    res->disk_bytes = sum_u64(du);

    MPI_Barrier(MPI_COMM_WORLD);
    t0 = now();
    s = b->open(o->dir, c->rank, P, err, sizeof err);
    root = s ? b->root_find(s) : NULL;
    MPI_Barrier(MPI_COMM_WORLD);
    res->reopen_s = now() - t0;
    if (!all_ok(root != NULL)) {
        snprintf(res->err, sizeof res->err, "reopen failed: %s", err[0] ? err : "no root object");
        return;
    }

    t0 = now();
    res->verify_ok = verify(b, s, root, c, res, &gs);
    res->verify_s = now() - t0;
    if (o->bfs) {
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = now();
        bool bok = bfs(b, s, root, c, res);
        MPI_Barrier(MPI_COMM_WORLD);
        res->bfs_s = now() - t0;
        /* every system must see the same BFS tree levels */
        if (bok && c->have_bfs_ref && memcmp(res->bfs, c->bfs_ref, sizeof res->bfs) != 0) {
            snprintf(res->err, sizeof res->err, "BFS differs from the first system's");
            bok = false;
        } else if (bok && res->verify_ok && !c->have_bfs_ref) {
            memcpy(c->bfs_ref, res->bfs, sizeof res->bfs);
            c->have_bfs_ref = true;
        }
        res->verify_ok = res->verify_ok && bok;
    }
    if (o->snapshot && b->snapshot) {
        char dst[4096];
        snprintf(dst, sizeof dst, "%s/%s", o->snapshot, b->name);
        if (!all_ok(b->snapshot(s, dst, err, sizeof err)))
            say("%s: snapshot to %s failed: %s", b->name, dst, err);
        else
            say("%s: snapshot written to %s", b->name, dst);
    }
    if (!b->persistent)
        destroy_graph(b, s, root);
    ok = b->close(s, err, sizeof err);
    res->ok = all_ok(ok);
    if (!o->keep || !b->persistent)
        b->remove(o->dir, c->rank, P);
}

/* --- main ------------------------------------------------------------------ */
static const struct graph_backend *const backends[] = {
    &graph_backend_metall, &graph_backend_malloc, &graph_backend_pmemobj, &graph_backend_bip};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mpiexec -n P graph_bench --scale S --edge-factor E --datastore DIR\n"
            "           [--systems metall,malloc,pmemobj,bip] [--csv FILE]\n"
            "           [--seed N] [--batch EDGES] [--no-bfs] [--keep] [--snapshot DIR]\n"
            "Builds an R-MAT graph's adjacency list in each rank's store, closes,\n"
            "reopens and verifies it, for each system; prints one CSV row per system:\n"
            "  system,ranks,scale,edges,build_s,close_s,reopen_s,verify_ok,disk_bytes\n"
            "--keep leaves the stores in DIR; --snapshot copies metall's to DIR/metall.\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof *o);
    o->systems = "metall,malloc,pmemobj,bip";
    o->seed = 1;
    o->batch = (uint64_t)1 << 20;
    o->bfs = true;
    o->edge_factor = 16;
    bool have_scale = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            if (g_rank == 0)
                usage(stdout);
            return 1;
        } else if (!strcmp(a, "--no-bfs")) {
            o->bfs = false;
        } else if (!strcmp(a, "--keep")) {
            o->keep = true;
        } else if (!strcmp(a, "--drop-edge")) {
            o->drop_edge = true;
        } else if (!v) {
            break;
        } else if (!strcmp(a, "--scale")) {
            o->scale = (unsigned)strtoul(v, NULL, 10), have_scale = true, i++;
        } else if (!strcmp(a, "--edge-factor")) {
            o->edge_factor = (unsigned)strtoul(v, NULL, 10), i++;
        } else if (!strcmp(a, "--datastore")) {
            o->dir = v, i++;
        } else if (!strcmp(a, "--systems")) {
            o->systems = v, i++;
        } else if (!strcmp(a, "--csv")) {
            o->csv = v, i++;
        } else if (!strcmp(a, "--seed")) {
            o->seed = strtoull(v, NULL, 10), i++;
        } else if (!strcmp(a, "--batch")) {
            o->batch = strtoull(v, NULL, 10), i++;
        } else if (!strcmp(a, "--snapshot")) {
            o->snapshot = v, i++;
        } else {
            if (g_rank == 0)
                fprintf(stderr, "graph_bench: unknown option %s\n", a);
            return 2;
        }
    }
    if (!have_scale || !o->dir || o->scale < 1 || o->scale > 31 || o->edge_factor < 1 ||
        o->batch < 1) {
        if (g_rank == 0) {
            fprintf(stderr, "graph_bench: --scale (1..31) and --datastore are required\n");
            usage(stderr);
        }
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    struct ctx c;
    memset(&c, 0, sizeof c);
    MPI_Comm_rank(MPI_COMM_WORLD, &c.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c.nranks);
    g_rank = c.rank;
    struct opts o;
    int rc = parse(argc, argv, &o);
    if (rc) {
        MPI_Finalize();
        return rc == 1 ? 0 : 2;
    }
    /* libpmem reads it when the first pool is mapped */
    setenv("PMEM_IS_PMEM_FORCE", "1", 0);
    rmat_init(&c.g, o.scale, o.seed);
    c.und_edges = (uint64_t)o.edge_factor << o.scale;
    if (graph_mkdirs(o.dir) != 0) {
        if (c.rank == 0)
            fprintf(stderr, "graph_bench: cannot create %s: %s\n", o.dir, strerror(errno));
        MPI_Finalize();
        return 2;
    }

    FILE *csv = NULL;
    if (c.rank == 0) {
        printf("system,ranks,scale,edges,build_s,close_s,reopen_s,verify_ok,disk_bytes\n");
        fflush(stdout);
        if (o.csv) {
            struct stat st;
            bool fresh = stat(o.csv, &st) != 0 || st.st_size == 0;
            csv = fopen(o.csv, "a");
            if (!csv)
                fprintf(stderr, "graph_bench: cannot open %s: %s\n", o.csv, strerror(errno));
            else if (fresh)
                fprintf(csv, "system,ranks,scale,edges,build_s,close_s,reopen_s,verify_ok,"
                             "disk_bytes\n");
        }
    }

    int failures = 0;
    char *list = strdup(o.systems), *save = NULL;
    for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        const struct graph_backend *b = NULL;
        for (size_t i = 0; i < sizeof backends / sizeof *backends; i++)
            if (!strcmp(backends[i]->name, name))
                b = backends[i];
        if (!b) {
            say("unknown system '%s' (known: metall, malloc, pmemobj, bip): skipped", name);
            continue;
        }
        if (b->absent) {
            say("%s: skipped: %s", name, b->absent);
            continue;
        }
        struct result r;
        run_system(b, &c, &o, &r);
        bool vok = r.verify_ok && r.ok;
        if (!vok) {
            failures++;
            /* a failing rank holds the message: show every rank's */
            if (r.err[0])
                fprintf(stderr, "graph_bench: %s: rank %d: %s\n", name, c.rank, r.err);
        }
        if (c.rank == 0) {
            char row[512];
            snprintf(row, sizeof row, "%s,%d,%u,%" PRIu64 ",%.3f,%.3f,%.4f,%d,%" PRIu64, name,
                     c.nranks, o.scale, 2 * c.und_edges, r.build_s, r.close_s, r.reopen_s,
                     vok ? 1 : 0, r.disk_bytes);
            printf("%s\n", row);
            printf("# %s: verify_ok=%d ranks=%d scale=%u edges=%" PRIu64 " vertices=%" PRIu64
                   " gen_s=%.3f build_cpu_s=%.3f build_Medges_per_s=%.2f live_bytes=%" PRIu64
                   " payload_bytes=%" PRIu64 " heap_bytes=%" PRIu64 " disk_bytes=%" PRIu64
                   " disk_over_live=%.3f verify_s=%.3f bfs_s=%.3f bfs_visited=%" PRIu64
                   " bfs_levels=%" PRIu64 " bfs_checksum=%016" PRIx64 "\n",
                   name, vok ? 1 : 0, c.nranks, o.scale, r.edges, r.vertices, r.gen_s, r.build_cpu_s,
                   r.build_s > 0 ? 2.0 * c.und_edges / r.build_s / 1e6 : 0.0, r.live_bytes,
                   r.edges * 8, r.heap_bytes, r.disk_bytes,
                   r.live_bytes ? (double)r.disk_bytes / (double)r.live_bytes : 0.0, r.verify_s,
                   r.bfs_s, r.bfs[0], r.bfs[1], r.bfs[2]);
            fflush(stdout);
            if (csv) {
                fprintf(csv, "%s\n", row);
                fflush(csv);
            }
        }
    }
    free(list);
    if (csv)
        fclose(csv);
    MPI_Finalize();
    return failures ? 1 : 0;
}
