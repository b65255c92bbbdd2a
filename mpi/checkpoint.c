/*
 * checkpoint.c - collective incremental checkpoints of an MPI datastore
 * and their restore.
 *
 *   CHAIN_ROOT/subdir-RANK        rank RANK's chain (the core's format)
 *   CHAIN_ROOT/metall_mpi_chain   global manifest, text: "metall-c-mpi-chain 1",
 *                                 "ranks P", "ids A B ...", "sum HEX" (FNV-1a
 *                                 of the lines above); written LAST
 *
 * Commit rule: checkpoint N is complete when the global manifest lists it,
 * which one writer per chain root (rank 0 when every rank has the same
 * root, else each node's leader) writes after every rank's part N is
 * complete. Rank-local retention runs only after that, so every id the
 * manifest lists stays restorable on every rank; a local part N left by a
 * failed or killed attempt is dropped when N is taken again.
 *
 * Scaling (docs/scaling.md): per rank O(1) messages and bytes, and no
 * shared file touched but by the writer: rank 0 reads the global manifest
 * (O(keep) bytes whatever the rank count) and broadcasts it, the writer is
 * elected with one Allreduce (a split by node only when the roots differ),
 * every step agrees with one Allreduce (agree.h). Restore is a publication
 * (publish.c): each rank restores its own part under a temporary root, the
 * writer gathers the entries, renames and writes the manifest last.
 *
 * An asynchronous checkpoint stays pending on its handle: a later
 * checkpoint and close settle it first (wait for every rank's part, then
 * commit), so none is lost and no half one is taken for complete; the
 * request then only reports the outcome to metall_mpi_checkpoint_wait().
 */
#include "agree.h"
#include "group.h"
#include "handle.h"
#include "placement.h"
#include "rootfs.h"
#include "steps.h"

#include <metall/metall_mpi.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* the core, exported for this layer (src/checkpoint.h) */
bool metall_internal_checkpoint(metall_manager *m, const char *chain_dir,
                                const metall_checkpoint_options *opt, int64_t id,
                                bool defer_merge);
bool metall_internal_checkpoint_merge(metall_manager *m, const char *chain_dir, unsigned keep);

#define MC_CHAIN_MANIFEST "metall_mpi_chain"
#define MC_CHAIN_MAGIC "metall-c-mpi-chain"
#define MAX_IDS 64

struct gmanifest {
    int ranks;
    int n;
    int64_t ids[MAX_IDS]; /* ascending */
};

struct metall_mpi_request {
    metall_mpi *h;          /* NULL once a later call settled it */
    char tmpl[PATH_MAX];
    int64_t id;
    unsigned keep;
    bool writer;            /* this rank writes the global manifest */
    int nprev;              /* the ids the global manifest listed at the cut */
    int64_t prev[MAX_IDS];
    /* settled: the outcome, for metall_mpi_checkpoint_wait() */
    bool settled, ok;
    int err;
    char msg[MC_MSG_MAX];
};

/* ---- global manifest ------------------------------------------------------------ */

static uint64_t fnv(const char *s, size_t n)
{
    return fs_fnv1a(s, n);
}

/* Through fs_write_atomic(): a temporary name of this writer's own
 * (.metall_mpi_chain.tmp-PID-RANDOM, created O_EXCL|O_NOFOLLOW), so that a
 * killed run's temporary, another writer's or a symlink is never written
 * through or renamed into place (metall-leftovers finds the killed ones). */
static int write_gmanifest(const char *root, const struct gmanifest *g)
{
    char body[64 + MAX_IDS * 24], f[PATH_MAX];
    size_t len = (size_t)snprintf(body, sizeof body, "%s 1\nranks %d\nids", MC_CHAIN_MAGIC, g->ranks);
    for (int i = 0; i < g->n; i++)
        len += (size_t)snprintf(body + len, sizeof body - len, " %" PRId64, g->ids[i]);
    len += (size_t)snprintf(body + len, sizeof body - len, "\n");
    len += (size_t)snprintf(body + len, sizeof body - len, "sum %016" PRIx64 "\n", fnv(body, len));
    if (snprintf(f, sizeof f, "%s/%s", root, MC_CHAIN_MANIFEST) >= (int)sizeof f)
        return ENAMETOOLONG;
    return fs_write_atomic(f, body, len, 0);
}

/* ENOENT when absent; EBADMSG (why) when damaged. */
static int read_gmanifest(const char *root, struct gmanifest *g, char *why, size_t whysize)
{
    char f[PATH_MAX], body[64 + MAX_IDS * 24 + 64];
    snprintf(f, sizeof f, "%s/%s", root, MC_CHAIN_MANIFEST);
    int fd = open(f, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    ssize_t n = read(fd, body, sizeof body - 1);
    close(fd);
    memset(g, 0, sizeof *g);
    char *sum = n > 0 ? (body[n] = '\0', strstr(body, "sum ")) : NULL;
    int used = 0, ver = 0;
    if (!sum || strtoull(sum + 4, NULL, 16) != fnv(body, (size_t)(sum - body)) ||
        sscanf(body, MC_CHAIN_MAGIC " %d\nranks %d\nids%n", &ver, &g->ranks, &used) != 2 ||
        ver != 1) {
        snprintf(why, whysize, "%.300s is damaged or not a metall-c MPI chain manifest", f);
        return EBADMSG;
    }
    for (char *p = body + used; g->n < MAX_IDS && *p == ' ';) {
        char *end;
        g->ids[g->n++] = strtoll(p + 1, &end, 10);
        p = end;
    }
    return 0;
}

/* ---- steps ------------------------------------------------------------------------ */

/* This rank's chain root and chain (CHAIN_ROOT/subdir-RANK). */
static void resolve(struct mc_ctx *c, const char *tmpl, char *root, char *path)
{
    if (mc_ctx_failed(c))
        return;
    if (!tmpl || !*tmpl) {
        mc_ctx_fail(c, EINVAL, "NULL or empty root");
        return;
    }
    int numa = strstr(tmpl, "%n") ? mm_numa_node_of_self() : 0;
    int rc = mm_expand(tmpl, c->rank, c->host, numa, root, PATH_MAX);
    size_t n = strlen(root);
    while (!rc && n > 1 && root[n - 1] == '/')
        root[--n] = '\0';
    if (!rc)
        rc = mm_subdir(path, PATH_MAX, root, c->rank);
    if (rc)
        mc_ctx_fail(c, rc, "%s: bad template or path too long", tmpl);
}

/* Who writes the global manifest: rank 0 if every rank has the same root
 * (one Allreduce: max of the hash and of its complement), else the lowest
 * rank of each node among those with the same root (group.h). Collective. */
static bool is_writer(struct mc_ctx *c, const char *root)
{
    uint64_t h = fnv(root, strlen(root)), v[2] = {h, ~h}, r[2] = {0, 0};
    MPI_Allreduce(v, r, 2, MPI_UINT64_T, MPI_MAX, c->comm);
    if (r[0] == ~r[1]) /* max == min: the same root everywhere */
        return c->rank == 0;
    struct mc_group g;
    mc_group_split(c, root, &g);
    bool lead = g.node_lead;
    mc_group_free(&g);
    return lead;
}

/* Rank 0 reads the global manifest and broadcasts it (absent: no ids). */
static void load_gmanifest(struct mc_ctx *c, const char *root, struct gmanifest *g)
{
    int rc = 0;
    char why[MM_WHY_MAX] = "";
    memset(g, 0, sizeof *g);
    if (c->rank == 0 && !mc_ctx_failed(c)) {
        rc = read_gmanifest(root, g, why, sizeof why);
        if (rc == ENOENT) {
            rc = 0;
            g->ranks = c->size;
            g->n = 0;
        } else if (rc && rc != EBADMSG) {
            snprintf(why, sizeof why, "cannot read %.300s/%s: %s", root, MC_CHAIN_MANIFEST,
                     strerror(rc));
        }
        if (!rc && g->ranks != c->size) {
            rc = ERANGE;
            snprintf(why, sizeof why, "%.300s holds the chains of %d ranks, not %d", root, g->ranks,
                     c->size);
        }
        if (rc)
            mc_ctx_fail(c, rc, "%s", why);
    }
    MPI_Bcast(g, (int)sizeof *g, MPI_BYTE, 0, c->comm);
}

/* After every rank's part of req->id is complete: the manifest (the ids
 * listed at the cut, then req->id), then retention. Ends agreed. */
static void commit(struct mc_ctx *c, const metall_mpi_request *req)
{
    char root[PATH_MAX], path[PATH_MAX];
    resolve(c, req->tmpl, root, path);
    if (!mc_ctx_agree(c))
        return;
    struct gmanifest g = {c->size, 0, {0}};
    unsigned keep = req->keep ? req->keep : 2;
    if (keep > MAX_IDS - 1)
        keep = MAX_IDS - 1;
    int below = 0; /* ids from a failed attempt at req->id or later are dropped */
    while (below < req->nprev && req->prev[below] < req->id)
        below++;
    int from = below - ((int)keep - 1) > 0 ? below - ((int)keep - 1) : 0;
    for (int i = from; i < below; i++)
        g.ids[g.n++] = req->prev[i];
    g.ids[g.n++] = req->id;
    if (req->writer) {
        int rc = write_gmanifest(root, &g);
        if (rc)
            mc_ctx_fail(c, rc, "cannot write %s/%s: %s", root, MC_CHAIN_MANIFEST, strerror(rc));
    }
    if (!mc_ctx_agree(c))
        return;
    if (!metall_internal_checkpoint_merge(metall_mpi_local(req->h), path, keep))
        mc_ctx_fail_core(c);
    mc_ctx_agree(c);
}

/* Wait for every rank's part of req, then commit it. Collective. */
static bool finish(metall_mpi_request *req)
{
    struct mc_ctx c;
    mc_ctx_init_with(&c, mm_handle_comm(req->h), mm_handle_node(req->h),
                     "metall_mpi_checkpoint_wait", req->tmpl);
    if (!metall_checkpoint_wait(metall_mpi_local(req->h)))
        mc_ctx_fail_core(&c);
    if (mc_ctx_agree(&c))
        commit(&c, req);
    return mc_ctx_finish(&c);
}

bool mm_checkpoint_settle(metall_mpi *h)
{
    metall_mpi_request **slot = mm_handle_pending(h), *req = *slot;
    if (!req)
        return true;
    *slot = NULL;
    req->ok = finish(req);
    req->err = req->ok ? 0 : errno;
    snprintf(req->msg, sizeof req->msg, "%s", req->ok ? "" : metall_errmsg());
    req->settled = true;
    req->h = NULL;
    return req->ok;
}

bool metall_mpi_checkpoint(metall_mpi *h, const char *chain_root,
                           const metall_checkpoint_options *opt, metall_mpi_request **req)
{
    if (req)
        *req = NULL;
    if (!h) {
        metall_internal_set_error(EINVAL, "metall_mpi_checkpoint: NULL handle");
        return false;
    }
    /* the pending one first (its request reports how it went) */
    (void)mm_checkpoint_settle(h);
    struct mc_ctx c;
    mc_ctx_init_with(&c, mm_handle_comm(h), mm_handle_node(h), "metall_mpi_checkpoint",
                     chain_root);
    mc_ctx_same(&c, chain_root, "chain roots");
    metall_mpi_request *r = calloc(1, sizeof *r);
    if (!r)
        mc_ctx_fail(&c, ENOMEM, "out of memory");
    /* asynchronous only if every rank asked for it */
    int want = opt && opt->async && req, async = 0;
    MPI_Allreduce(&want, &async, 1, MPI_INT, MPI_MIN, c.comm);
    char root[PATH_MAX], path[PATH_MAX];
    resolve(&c, chain_root, root, path);
    struct gmanifest g;
    load_gmanifest(&c, root, &g);
    bool writer = is_writer(&c, root);
    if (!mc_ctx_agree(&c))
        goto out;
    r->h = h;
    snprintf(r->tmpl, sizeof r->tmpl, "%s", chain_root);
    r->id = g.n ? g.ids[g.n - 1] + 1 : 1;
    r->keep = opt ? opt->keep : 0;
    r->writer = writer;
    r->nprev = g.n;
    memcpy(r->prev, g.ids, sizeof r->prev);
    metall_checkpoint_options lo = {r->keep, async != 0};
    if (!metall_internal_checkpoint(metall_mpi_local(h), path, &lo, r->id, true))
        mc_ctx_fail_core(&c);
    if (!mc_ctx_agree(&c))
        goto out;
    if (lo.async) {
        *req = r;
        *mm_handle_pending(h) = r;
        return mc_ctx_finish(&c);
    }
    commit(&c, r);
out:
    free(r);
    return mc_ctx_finish(&c);
}

bool metall_mpi_checkpoint_wait(metall_mpi_request *req)
{
    if (!req) {
        metall_internal_set_error(EINVAL, "metall_mpi_checkpoint_wait: NULL request");
        return false;
    }
    if (!req->settled) { /* still pending on its handle */
        *mm_handle_pending(req->h) = NULL;
        req->ok = finish(req);
    } else if (!req->ok) { /* settled by a later call: its outcome */
        metall_internal_set_error(req->err ? req->err : EIO, req->msg);
    }
    bool ok = req->ok;
    free(req);
    return ok;
}

/* ---- restore ---------------------------------------------------------------------- */

struct restore_arg {
    const char *chain;
    int64_t id;
};

static int produce_restore(const void *arg, const char *tpath)
{
    const struct restore_arg *a = arg;
    return metall_restore(a->chain, a->id, tpath) ? 0 : -1;
}

bool metall_mpi_restore(const char *chain_root, int64_t id, const char *dst_root, MPI_Comm comm)
{
    struct mc_ctx c;
    mc_ctx_init(&c, comm, "metall_mpi_restore", chain_root);
    mc_ctx_same(&c, chain_root, "chain roots");
    char root[PATH_MAX], chain[PATH_MAX];
    resolve(&c, chain_root, root, chain);
    struct gmanifest g;
    load_gmanifest(&c, root, &g);
    if (!mc_ctx_failed(&c) && c.rank == 0) {
        bool listed = false;
        for (int i = 0; i < g.n; i++)
            listed |= g.ids[i] == id;
        if (g.n == 0)
            mc_ctx_fail(&c, ENOENT, "%s holds no complete checkpoint", root);
        else if (id >= 0 && !listed)
            mc_ctx_fail(&c, ENOENT, "%s: checkpoint %" PRId64 " is not complete or was merged away",
                        root, id);
    }
    /* every rank restores its part under a temporary root; the writer
     * renames it and writes the manifest last (all-or-nothing) */
    struct restore_arg a = {chain, id >= 0 ? id : g.n ? g.ids[g.n - 1] : -1};
    if (mc_ctx_agree(&c))
        mc_publish(&c, dst_root, produce_restore, &a);
    return mc_ctx_finish(&c);
}
