/*
 * group.c - the ranks that share a root and its single writer (group.h).
 * Every exchange here is one collective whose bytes per rank are O(1),
 * but at the writer, which receives or sends one record per member.
 */
#include "group.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The ranks of comm on this node. For tests on one machine,
 * METALLC_MPI_TEST_NODES=K makes K pretend nodes of rank % K instead. */
static int split_node(MPI_Comm comm, int rank, MPI_Comm *out)
{
    const char *fake = getenv("METALLC_MPI_TEST_NODES");
    int world = 0, k = fake ? atoi(fake) : 0;
    if (k > 0) {
        MPI_Comm_rank(MPI_COMM_WORLD, &world);
        return MPI_Comm_split(comm, world % k, rank, out);
    }
    return MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, out);
}

void mc_group_split(struct mc_ctx *c, const char *root, struct mc_group *g)
{
    memset(g, 0, sizeof *g);
    g->same = g->node = g->inst = MPI_COMM_NULL;
    if (c->comm == MPI_COMM_NULL)
        return;
    uint64_t h = mc_hash(root);
    if (MPI_Comm_split(c->comm, (int)(h & 0x7fffffff), c->rank, &g->same) != MPI_SUCCESS) {
        g->same = MPI_COMM_NULL;
        mc_ctx_fail(c, EPROTO, "MPI_Comm_split failed");
        return;
    }
    int srank = 0;
    MPI_Comm_rank(g->same, &srank);
    g->root_lead = srank == 0;
    /* 31 bits of the hash chose the group: the whole hash must agree */
    uint64_t v[2] = {h, ~h}, mx[2] = {0, 0};
    MPI_Allreduce(v, mx, 2, MPI_UINT64_T, MPI_MAX, g->same);
    if (mx[0] != h || mx[1] != ~h)
        mc_ctx_fail(c, EPROTO, "%s: two roots have the same 31-bit hash; rename one", root);
    if (split_node(g->same, srank, &g->node) != MPI_SUCCESS) {
        g->node = MPI_COMM_NULL;
        mc_ctx_fail(c, EPROTO, "MPI_Comm_split_type failed");
        return;
    }
    int nrank = 0;
    MPI_Comm_rank(g->node, &nrank);
    g->node_lead = nrank == 0;
}

/* The writer's list of members and room for their records. */
static void writer_alloc(struct mc_ctx *c, struct mc_group *g)
{
    MPI_Comm_size(g->inst, &g->inst_size);
    int irank = 0;
    MPI_Comm_rank(g->inst, &irank);
    g->writer = irank == 0;
    if (!g->writer)
        return;
    size_t n = (size_t)g->inst_size;
    g->ranks = malloc(n * sizeof *g->ranks);
    g->recs = malloc(n * sizeof *g->recs);
    int *idx = malloc(n * sizeof *idx);
    MPI_Group gi, gc;
    if (!g->ranks || !g->recs || !idx) {
        mc_ctx_fail(c, ENOMEM, "out of memory for %d ranks' records", g->inst_size);
        free(idx);
        return;
    }
    for (int i = 0; i < g->inst_size; i++)
        idx[i] = i;
    MPI_Comm_group(g->inst, &gi);
    MPI_Comm_group(c->comm, &gc);
    MPI_Group_translate_ranks(gi, g->inst_size, idx, gc, g->ranks);
    MPI_Group_free(&gi);
    MPI_Group_free(&gc);
    free(idx);
}

void mc_group_instance(struct mc_ctx *c, struct mc_group *g, bool shared)
{
    if (g->node == MPI_COMM_NULL)
        return;
    /* the node leader's flag, whether its node holds same's rank 0, and
     * its rank in same */
    int info[3] = {shared, g->root_lead, 0};
    MPI_Comm_rank(g->same, &info[2]);
    MPI_Bcast(info, 3, MPI_INT, 0, g->node);
    int other = info[0] && !info[1]; /* shares the lead's directory from elsewhere */
    int v[2] = {info[0], -other}, r[2] = {0, 0};
    MPI_Allreduce(v, r, 2, MPI_INT, MPI_MIN, g->same);
    if (r[0] == 1) {
        g->inst = g->same; /* one directory for all: a shared file system */
    } else if (r[1] == 0) {
        g->inst = g->node; /* one directory per node: node-local roots */
    } else {
        /* some nodes share the lead's directory, some have their own */
        int color = info[0] ? 0 : 1 + info[2], srank = 0;
        MPI_Comm_rank(g->same, &srank);
        if (MPI_Comm_split(g->same, color, srank, &g->inst) != MPI_SUCCESS) {
            g->inst = MPI_COMM_NULL;
            mc_ctx_fail(c, EPROTO, "MPI_Comm_split failed");
            return;
        }
        g->inst_owned = true;
    }
    writer_alloc(c, g);
}

void mc_group_reset_instance(struct mc_group *g)
{
    if (g->inst_owned && g->inst != MPI_COMM_NULL)
        MPI_Comm_free(&g->inst);
    g->inst = MPI_COMM_NULL;
    g->inst_owned = g->writer = false;
    g->inst_size = 0;
    free(g->ranks);
    free(g->recs);
    g->ranks = NULL;
    g->recs = NULL;
}

void mc_group_free(struct mc_group *g)
{
    mc_group_reset_instance(g);
    if (g->node != MPI_COMM_NULL)
        MPI_Comm_free(&g->node);
    if (g->same != MPI_COMM_NULL)
        MPI_Comm_free(&g->same);
    memset(g, 0, sizeof *g);
    g->same = g->node = g->inst = MPI_COMM_NULL;
}

/* Whether the exchanges can run: inst formed, and the writer has its room
 * (its failure to allocate was agreed before: then nobody exchanges). */
static bool can_exchange(const struct mc_group *g)
{
    return g->inst != MPI_COMM_NULL && (!g->writer || g->recs);
}

void mc_gather_entries(struct mc_ctx *c, struct mc_group *g, const struct mm_entry *mine,
                       struct mm_entry **all)
{
    *all = NULL;
    if (!can_exchange(g))
        return;
    struct mc_rec rec;
    memset(&rec, 0, sizeof rec);
    rec.rank = c->rank;
    rec.e = *mine;
    if (MPI_Gather(&rec, (int)sizeof rec, MPI_BYTE, g->recs, (int)sizeof rec, MPI_BYTE, 0,
                   g->inst) != MPI_SUCCESS) {
        mc_ctx_fail(c, EPROTO, "MPI_Gather of the manifest entries failed");
        return;
    }
    if (!g->writer)
        return;
    *all = calloc((size_t)c->size, sizeof **all);
    if (!*all) {
        mc_ctx_fail(c, ENOMEM, "out of memory for %d manifest entries", c->size);
        return;
    }
    for (int i = 0; i < g->inst_size; i++)
        if (g->recs[i].rank >= 0 && g->recs[i].rank < c->size)
            (*all)[g->recs[i].rank] = g->recs[i].e;
}

void mc_scatter_entries(struct mc_ctx *c, struct mc_group *g, const struct mm_entry *all,
                        int nall, struct mm_entry *mine, int *status)
{
    struct mc_rec rec;
    memset(&rec, 0, sizeof rec);
    *status = MC_REC_FAILED;
    if (!can_exchange(g))
        return;
    if (g->writer) {
        for (int i = 0; i < g->inst_size; i++) {
            struct mc_rec *r = &g->recs[i];
            memset(r, 0, sizeof *r);
            r->rank = g->ranks[i];
            if (!all)
                r->status = MC_REC_FAILED;
            else if (r->rank >= nall || !all[r->rank].uuid[0])
                r->status = MC_REC_ABSENT;
            else
                r->e = all[r->rank];
        }
    }
    if (MPI_Scatter(g->recs, (int)sizeof rec, MPI_BYTE, &rec, (int)sizeof rec, MPI_BYTE, 0,
                    g->inst) != MPI_SUCCESS) {
        mc_ctx_fail(c, EPROTO, "MPI_Scatter of the manifest entries failed");
        return;
    }
    *mine = rec.e;
    *status = rec.status;
}

void mc_free_lines(char **lines, int n)
{
    if (!lines)
        return;
    for (int i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

void mc_gather_lines(struct mc_ctx *c, struct mc_group *g, const char *mine, char ***lines)
{
    *lines = NULL;
    if (!can_exchange(g))
        return;
    int len = (int)strnlen(mine, MC_LINE_MAX - 1) + 1, *lens = g->writer ? (int *)g->recs : NULL;
    /* the records' room holds the lengths (a record is larger than an int) */
    MPI_Gather(&len, 1, MPI_INT, lens, 1, MPI_INT, 0, g->inst);
    int *displs = NULL;
    char *buf = NULL;
    int ok = 1;
    if (g->writer) {
        size_t total = 0;
        displs = malloc((size_t)g->inst_size * sizeof *displs);
        for (int i = 0; displs && i < g->inst_size; i++) {
            displs[i] = (int)total;
            total += (size_t)lens[i];
        }
        buf = displs && total < INT32_MAX ? malloc(total) : NULL;
        ok = buf != NULL;
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, g->inst);
    if (ok)
        MPI_Gatherv(mine, len, MPI_CHAR, buf, lens, displs, MPI_CHAR, 0, g->inst);
    if (g->writer && ok) {
        *lines = calloc((size_t)c->size, sizeof **lines);
        for (int i = 0; *lines && i < g->inst_size; i++) {
            buf[displs[i] + lens[i] - 1] = '\0';
            (*lines)[g->ranks[i]] = strdup(buf + displs[i]);
        }
    }
    if (g->writer && (!ok || !*lines))
        mc_ctx_fail(c, ENOMEM, "out of memory for %d ranks' placement lines", g->inst_size);
    free(displs);
    free(buf);
}

void mc_scatter_lines(struct mc_ctx *c, struct mc_group *g, char *const *lines, int nlines,
                      char *out, size_t size)
{
    (void)c;
    out[0] = '\0';
    if (!can_exchange(g))
        return;
    int *lens = g->writer ? (int *)g->recs : NULL, *displs = NULL, len = 0;
    char *buf = NULL;
    if (g->writer) {
        size_t total = 0;
        displs = malloc((size_t)g->inst_size * sizeof *displs);
        for (int i = 0; i < g->inst_size; i++) {
            const char *l = lines && g->ranks[i] < nlines ? lines[g->ranks[i]] : NULL;
            size_t n = l ? strnlen(l, MC_LINE_MAX - 1) : 0;
            lens[i] = (int)n;
            if (displs)
                displs[i] = (int)total;
            total += n;
        }
        buf = displs ? malloc(total + 1) : NULL;
        for (int i = 0; buf && i < g->inst_size; i++)
            if (lens[i])
                memcpy(buf + displs[i], lines[g->ranks[i]], (size_t)lens[i]);
        if (!buf) /* nothing to send: every rank gets an empty line */
            for (int i = 0; i < g->inst_size; i++)
                lens[i] = 0;
    }
    MPI_Scatter(lens, 1, MPI_INT, &len, 1, MPI_INT, 0, g->inst);
    if (len < 0 || (size_t)len >= size)
        len = 0; /* cannot happen: lines are shorter than MC_LINE_MAX <= size */
    MPI_Scatterv(buf, lens, displs, MPI_CHAR, out, len, MPI_CHAR, 0, g->inst);
    out[len] = '\0';
    free(displs);
    free(buf);
}
