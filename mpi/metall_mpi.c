/*
 * metall_mpi.c - the collective life cycle of an MPI datastore: one core
 * datastore per rank under ROOT/subdir-RANK (see rootfs.h for the layout,
 * agree.h for how ranks agree on every step's outcome, group.h for who
 * reads and writes a root's shared files, steps.h for the steps).
 *
 * Roles: every rank handles its own subdirectory; the writer of each root
 * directory (one for a shared root, one per node for node-local roots)
 * reads and writes the marker, manifest and placement file, renames
 * temporary roots and removes what is shared. Nothing else touches them.
 *
 * Commit rule: the manifest is written last (create, snapshot, copy) and
 * removed first (remove), so nothing partial looks like a datastore.
 */
#include "handle.h"
#include "fsutil.h"
#include "steps.h"

#include <metall/metall_mpi.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct metall_mpi {
    MPI_Comm comm;     /* duplicate of the user's communicator */
    struct mc_group g; /* the root's groups: close gathers to its writer */
    int rank, size;
    bool read_only;
    metall_manager *local;
    char tmpl[PATH_MAX]; /* the root as given, for messages */
    char root[PATH_MAX]; /* this rank's expanded root */
    char path[PATH_MAX]; /* root/subdir-RANK */
    char placement[MC_PLACEMENT_MAX]; /* report line; "" if none */
    metall_mpi_request *pending; /* an asynchronous checkpoint (checkpoint.c) */
};

/* The handle takes over the call's communicator and groups. */
static void handle_fill(metall_mpi *h, struct mc_ctx *c, struct mc_group *g,
                        const char *tmpl, const char *root, const char *path)
{
    h->comm = c->comm;
    c->own_comms = false;
    h->g = *g;
    memset(g, 0, sizeof *g);
    g->same = g->node = g->inst = MPI_COMM_NULL;
    h->rank = c->rank;
    h->size = c->size;
    snprintf(h->tmpl, sizeof h->tmpl, "%s", tmpl);
    /* absolute, as the core keeps its path: close writes the manifest
     * after whatever chdir() the program did meanwhile (resolve() checked
     * the length; PATH_MAX would only be exceeded by a deep cwd, and then
     * the relative name is kept) */
    if (fs_absolute(h->root, sizeof h->root, root) != 0)
        memcpy(h->root, root, sizeof h->root);
    if (fs_absolute(h->path, sizeof h->path, path) != 0)
        memcpy(h->path, path, sizeof h->path);
}

static void handle_free(metall_mpi *h)
{
    mc_group_free(&h->g);
    MPI_Comm_free(&h->comm);
    free(h);
}

/* ---- open ------------------------------------------------------------ */

static metall_mpi *open_common(const char *tmpl, MPI_Comm comm, bool read_only)
{
    struct mc_ctx c;
    struct mc_group g;
    char root[PATH_MAX], path[PATH_MAX];
    mc_begin(&c, comm, read_only ? "metall_mpi_open_read_only" : "metall_mpi_open", tmpl,
             root, path);
    metall_mpi *h = calloc(1, sizeof *h);
    struct mc_view *v = malloc(sizeof *v);
    if (!h || !v)
        mc_ctx_fail(&c, ENOMEM, "out of memory");
    metall_manager *m = NULL;
    struct mc_view dummy;
    if (mc_read_root(&c, &g, root, true, v ? v : &dummy)) {
        mc_check_view(&c, root, path, c.size, v ? v : &dummy);
        if (mc_ctx_agree(&c)) {
            m = read_only ? metall_open_read_only(path) : metall_open(path);
            if (!m)
                mc_ctx_fail_core(&c);
        }
    }
    if (!mc_ctx_agree(&c)) {
        if (m)
            metall_close(m);
        mc_group_free(&g);
        free(h);
        free(v);
        mc_ctx_finish(&c);
        return NULL;
    }
    handle_fill(h, &c, &g, tmpl, root, path);
    h->read_only = read_only;
    h->local = m;
    snprintf(h->placement, sizeof h->placement, "%s", v->placement);
    free(v);
    mc_ctx_finish(&c);
    return h;
}

metall_mpi *metall_mpi_open(const char *root, MPI_Comm comm)
{
    return open_common(root, comm, false);
}

metall_mpi *metall_mpi_open_read_only(const char *root, MPI_Comm comm)
{
    return open_common(root, comm, true);
}

/* ---- create ---------------------------------------------------------------- */

/* What a create is about, and what it made (undone on failure). */
struct create {
    struct mc_ctx c;
    struct mc_group g;
    metall_options lo;
    bool overwrite;
    struct mm_where where;
    char root[PATH_MAX], path[PATH_MAX], tag[17];
    bool made_root, made_marker; /* by this node leader */
    metall_manager *m;
    char placement[MC_PLACEMENT_MAX];
};

/* Node leaders look at ROOT, every rank at its subdirectory: an old MPI
 * datastore there is replaced only with overwrite, anything else of the
 * user's is never touched. Returns whether an old one is there (agreed). */
static bool create_check(struct create *s)
{
    struct mc_ctx *c = &s->c;
    int old = 0; /* this node's ROOT holds a marker */
    if (s->g.node_lead && !mc_ctx_failed(c)) {
        int rc = mm_is_dir(s->root);
        char p[PATH_MAX];
        if (rc && rc != ENOENT)
            mc_ctx_fail(c, rc, "%s: %s", s->root, strerror(rc));
        old = rc == 0 && mc_join(p, s->root, MM_MARKER_NAME) == 0 && access(p, F_OK) == 0;
    }
    if (s->g.node != MPI_COMM_NULL)
        MPI_Bcast(&old, 1, MPI_INT, 0, s->g.node);
    if (old && !s->overwrite)
        mc_ctx_fail(&s->c, EEXIST,
                    "%s already holds a metall-c MPI datastore (set overwrite to replace it)",
                    s->root);
    else if (!old && !mc_ctx_failed(c) && access(s->path, F_OK) == 0)
        mc_ctx_fail(c, s->overwrite ? EINVAL : EEXIST,
                    "%s already exists and %s is not a metall-c MPI datastore; not touching it",
                    s->path, s->root);
    else if (old)
        mc_check_not_busy(c, s->path);
    int any = 0;
    if (c->comm != MPI_COMM_NULL)
        MPI_Allreduce(&old, &any, 1, MPI_INT, MPI_MAX, c->comm);
    return any;
}

/* Replace the old datastore: its directories' writers remove it. */
static bool create_remove_old(struct create *s)
{
    int parts;
    bool marked;
    mc_root_identity(&s->c, &s->g, s->root, false, &parts, &marked);
    if (!mc_ctx_agree(&s->c))
        return false;
    bool ok = mc_remove_layout(&s->c, &s->g, s->root, s->path, false);
    mc_group_reset_instance(&s->g);
    return ok;
}

/* A node leader claims ROOT for this call: makes it if needed and writes
 * the marker, never replacing one (another job's claim: EEXIST). */
static void create_claim(struct create *s, const char *tag)
{
    struct mc_ctx *c = &s->c;
    s->made_root = mkdir(s->root, 0755) == 0;
    int rc = s->made_root ? 0 : mm_mkdir_p(s->root);
    if (rc) {
        mc_ctx_fail(c, rc, "cannot create %s: %s", s->root, strerror(rc));
        return;
    }
    rc = mm_write_marker(s->root, c->size, tag, true);
    if (rc == EEXIST)
        mc_ctx_fail(c, EEXIST,
                    "%s was made a metall-c MPI datastore by someone else meanwhile (another "
                    "job?); left it untouched",
                    s->root);
    else if (rc)
        mc_ctx_fail(c, rc, "cannot write %s/%s: %s", s->root, MM_MARKER_NAME, strerror(rc));
    else
        s->made_marker = true;
}

/* same's rank 0 claims ROOT; every other node leader then finds that
 * claim (a shared file system) or claims its own directory (node-local).
 * Forms the instance; ends agreed. */
static bool create_claim_roots(struct create *s)
{
    if (s->g.root_lead && !mc_ctx_failed(&s->c))
        create_claim(s, s->tag);
    if (!mc_ctx_agree(&s->c))
        return false;
    bool shared = s->g.root_lead;
    if (s->g.node_lead && !s->g.root_lead) {
        char id[MM_IDENTITY_MAX], want[MM_IDENTITY_MAX];
        snprintf(want, sizeof want, "tag %s", s->tag);
        shared = mm_marker_identity(s->root, id) == 0 && strcmp(id, want) == 0;
        char own[17];
        mc_own_tag(s->tag, s->c.rank, own);
        if (!shared)
            create_claim(s, own);
    }
    mc_group_instance(&s->c, &s->g, shared);
    return mc_ctx_agree(&s->c);
}

static void policy_name(const metall_options *o, char *out, size_t size)
{
    switch (o->numa) {
    case METALL_NUMA_NONE: snprintf(out, size, "none"); break;
    case METALL_NUMA_LOCAL: snprintf(out, size, "local"); break;
    case METALL_NUMA_INTERLEAVE: snprintf(out, size, "interleave"); break;
    case METALL_NUMA_NODE: snprintf(out, size, "node:%d", o->numa_node); break;
    default: snprintf(out, size, "%d?", (int)o->numa); break;
    }
}

/* The writer records where every rank runs in ROOT/metall_mpi_placement
 * (one file for the directory, gathered to its writer). */
static void create_record_placement(struct create *s)
{
    struct mc_ctx *c = &s->c;
    struct mm_placement *p = calloc(1, sizeof *p);
    char line[MC_LINE_MAX] = "", **lines = NULL;
    if (p) {
        p->rank = c->rank;
        snprintf(p->host, sizeof p->host, "%s", c->host);
        snprintf(p->cpuset, sizeof p->cpuset, "%s", s->where.cpuset);
        snprintf(p->nodes, sizeof p->nodes, "%s", s->where.nodes);
        p->node = s->where.node;
        policy_name(&s->lo, p->policy, sizeof p->policy);
        snprintf(p->path, sizeof p->path, "%s", s->path);
        mm_placement_serialize(p, line, sizeof line);
        mm_placement_format(p, s->placement, sizeof s->placement);
        free(p);
    }
    mc_gather_lines(c, &s->g, line, &lines);
    if (s->g.writer && lines && !mc_ctx_failed(c)) {
        int rc = mm_write_placements(s->root, lines, c->size);
        if (rc)
            mc_ctx_fail(c, rc, "cannot write %s/%s: %s", s->root, MM_PLACEMENTS_NAME,
                        strerror(rc));
    }
    mc_free_lines(lines, s->g.writer ? c->size : 0);
}

/* Remove what this call made, and only that. Every rank is here after the
 * same failed step. */
static void create_undo(struct create *s)
{
    if (s->m) {
        metall_close(s->m);
        metall_remove(s->path);
        s->m = NULL;
    }
    mc_ctx_agree(&s->c); /* all datastores are gone before the leaders tidy up */
    char p[PATH_MAX];
    const char *mine[] = {MM_MANIFEST_NAME, MM_PLACEMENTS_NAME, MM_MARKER_NAME};
    for (size_t i = 0; s->made_marker && i < sizeof mine / sizeof *mine; i++)
        if (!mc_join(p, s->root, mine[i]))
            mm_unlink(p);
    if (s->made_root)
        rmdir(s->root);
    mc_ctx_agree(&s->c);
}

/* The steps after the arguments are known; ends agreed. */
static bool create_steps(struct create *s)
{
    struct mc_ctx *c = &s->c;
    mc_group_split(c, s->root, &s->g);
    mc_ctx_tag(c, s->tag);
    bool old = create_check(s);
    if (!mc_ctx_agree(c) || (old && !create_remove_old(s)))
        return false;
    if (!create_claim_roots(s))
        goto undo;
    s->m = metall_create_ex(s->path, &s->lo);
    if (!s->m)
        mc_ctx_fail_core(c);
    if (!mc_ctx_agree(c))
        goto undo;
    create_record_placement(s);
    if (!mc_ctx_agree(c))
        goto undo;
    mc_write_manifest(c, &s->g, s->root, s->path);
    if (mc_ctx_agree(c))
        return true;
undo:
    create_undo(s);
    return false;
}

metall_mpi *metall_mpi_create(const char *tmpl, MPI_Comm comm, const metall_mpi_options *opt)
{
    struct create *s = calloc(1, sizeof *s);
    metall_mpi *h = calloc(1, sizeof *h);
    if (!s || !h) {
        free(s);
        free(h);
        metall_internal_set_error(ENOMEM, "metall_mpi_create: out of memory");
        return NULL;
    }
    s->g.same = s->g.node = s->g.inst = MPI_COMM_NULL;
    mc_ctx_init(&s->c, comm, "metall_mpi_create", tmpl);
    mc_ctx_same(&s->c, tmpl, "roots");
    s->lo = opt ? opt->local : (metall_options){0};
    s->lo.overwrite = false; /* replacing is done here, for all ranks at once */
    s->overwrite = opt && opt->overwrite;
    /* where this rank runs: %n and the placement report agree */
    mm_where_of_self(&s->where);
    mc_resolve(&s->c, tmpl, s->where.node, s->root, s->path);
    if (create_steps(s)) {
        handle_fill(h, &s->c, &s->g, tmpl, s->root, s->path);
        h->local = s->m;
        memcpy(h->placement, s->placement, sizeof h->placement);
    } else {
        free(h);
        h = NULL;
    }
    mc_group_free(&s->g);
    mc_ctx_finish(&s->c);
    free(s);
    return h;
}

MPI_Comm mm_handle_comm(const metall_mpi *h) { return h->comm; }
metall_mpi_request **mm_handle_pending(metall_mpi *h) { return &h->pending; }
/* none kept: a call that needs one makes it (mc_ctx_leader) */
MPI_Comm mm_handle_node(const metall_mpi *h) { (void)h; return MPI_COMM_NULL; }

metall_manager *metall_mpi_local(metall_mpi *h)
{
    return h ? h->local : NULL;
}

const char *metall_mpi_local_path(const metall_mpi *h)
{
    return h ? h->path : NULL;
}

const char *metall_mpi_placement(const metall_mpi *h)
{
    return h && h->placement[0] ? h->placement : NULL;
}

/* ---- close ----------------------------------------------------------- */

bool metall_mpi_close(metall_mpi *h)
{
    if (!h) {
        metall_internal_set_error(EINVAL, "metall_mpi_close: NULL handle");
        return false;
    }
    /* a pending checkpoint is completed first: never lost, never half */
    char why[MC_MSG_MAX] = "";
    int err = 0;
    if (!mm_checkpoint_settle(h)) {
        err = errno;
        snprintf(why, sizeof why, "%s", metall_errmsg());
    }
    struct mc_ctx c;
    mc_ctx_init_with(&c, h->comm, MPI_COMM_NULL, "metall_mpi_close", h->tmpl);
    if (!metall_close(h->local))
        mc_ctx_fail_core(&c);
    h->local = NULL;
    /* the sizes in the manifest are refreshed only after a clean close */
    if (mc_ctx_agree(&c) && !h->read_only) {
        mc_write_manifest(&c, &h->g, h->root, h->path);
        mc_ctx_agree(&c);
    }
    bool ok = mc_ctx_finish(&c);
    handle_free(h);
    if (ok && err) { /* closed, but the checkpoint it waited for failed */
        char msg[MC_MSG_MAX + 128];
        snprintf(msg, sizeof msg, "metall_mpi_close: the pending checkpoint failed (the "
                                  "datastore was closed): %s", why);
        metall_internal_set_error(err, msg);
        return false;
    }
    return ok;
}

/* ---- snapshot / copy --------------------------------------------------- */

static int produce_snapshot(const void *arg, const char *tpath)
{
    return metall_snapshot((metall_manager *)(uintptr_t)arg, tpath) ? 0 : -1;
}

static int produce_copy(const void *arg, const char *tpath)
{
    return metall_copy((const char *)arg, tpath) ? 0 : -1;
}

bool metall_mpi_snapshot(metall_mpi *h, const char *dst_root)
{
    if (!h) {
        metall_internal_set_error(EINVAL, "metall_mpi_snapshot: NULL handle");
        return false;
    }
    struct mc_ctx c;
    mc_ctx_init_with(&c, h->comm, MPI_COMM_NULL, "metall_mpi_snapshot", dst_root);
    if (h->read_only)
        mc_ctx_fail(&c, EROFS, "%s is open read-only; use metall_mpi_copy()", h->root);
    if (mc_ctx_agree(&c))
        mc_publish(&c, dst_root, produce_snapshot, h->local);
    return mc_ctx_finish(&c);
}

bool metall_mpi_copy(const char *src_root, const char *dst_root, MPI_Comm comm)
{
    struct mc_ctx c;
    struct mc_group g;
    struct mc_view v;
    char sroot[PATH_MAX], spath[PATH_MAX];
    mc_begin(&c, comm, "metall_mpi_copy", src_root, sroot, spath);
    if (mc_read_root(&c, &g, sroot, false, &v))
        mc_check_view(&c, sroot, spath, c.size, &v);
    mc_group_free(&g);
    if (mc_ctx_agree(&c))
        mc_publish(&c, dst_root, produce_copy, spath);
    return mc_ctx_finish(&c);
}

/* ---- remove / consistent / partitions -------------------------------------- */

/* Node leaders: remove accepts a root with a marker, or one an interrupted
 * remove left without it (only entries of an MPI root). */
static void remove_check(struct mc_ctx *c, const struct mc_group *g, const char *root)
{
    if (mc_ctx_failed(c) || !g->node_lead)
        return;
    char p[PATH_MAX];
    bool ours = false;
    int rc = mm_is_dir(root);
    if (rc)
        mc_ctx_fail(c, rc, "%s: %s on this host", root,
                    rc == ENOENT ? "no such directory" : strerror(rc));
    else if (mc_join(p, root, MM_MARKER_NAME) == 0 && access(p, F_OK) == 0)
        return;
    else if ((rc = mm_root_is_ours(root, &ours)))
        mc_ctx_fail(c, rc, "cannot read %s: %s", root, strerror(rc));
    else if (!ours)
        mc_ctx_fail(c, EINVAL,
                    "%s is not a metall-c MPI datastore (no %s marker); nothing removed", root,
                    MM_MARKER_NAME);
}

bool metall_mpi_remove(const char *tmpl, MPI_Comm comm)
{
    struct mc_ctx c;
    struct mc_group g;
    char root[PATH_MAX], path[PATH_MAX];
    mc_begin(&c, comm, "metall_mpi_remove", tmpl, root, path);
    mc_group_split(&c, root, &g);
    remove_check(&c, &g, root);
    mc_check_not_busy(&c, path);
    int parts;
    bool marked;
    mc_root_identity(&c, &g, root, false, &parts, &marked);
    if (mc_ctx_agree(&c))
        mc_remove_layout(&c, &g, root, path, true);
    mc_group_free(&g);
    return mc_ctx_finish(&c);
}

bool metall_mpi_consistent(const char *tmpl, MPI_Comm comm)
{
    struct mc_ctx c;
    struct mc_group g;
    struct mc_view v;
    char root[PATH_MAX], path[PATH_MAX];
    mc_begin(&c, comm, "metall_mpi_consistent", tmpl, root, path);
    if (mc_read_root(&c, &g, root, false, &v)) {
        mc_check_view(&c, root, path, c.size, &v);
        if (!mc_ctx_failed(&c) && !metall_consistent(path))
            mc_ctx_fail_core(&c);
        mc_ctx_agree(&c);
    }
    mc_group_free(&g);
    return mc_ctx_finish(&c);
}

int metall_mpi_partitions(const char *tmpl, MPI_Comm comm)
{
    struct mc_ctx c;
    struct mc_group g;
    struct mc_view v;
    char root[PATH_MAX], path[PATH_MAX];
    mc_begin(&c, comm, "metall_mpi_partitions", tmpl, root, path);
    bool ok = mc_read_root(&c, &g, root, false, &v) && mc_ctx_agree(&c);
    mc_group_free(&g);
    int parts = v.parts;
    if (ok) {
        int x[2] = {parts, -parts}, r[2] = {0, 0};
        MPI_Allreduce(x, r, 2, MPI_INT, MPI_MIN, c.comm);
        if (r[0] != -r[1]) {
            /* every rank knows both counts: the same message everywhere */
            c.final_err = EBADMSG;
            snprintf(c.final_msg, sizeof c.final_msg,
                     "%s: the ranks see different partition counts (%d to %d): roots of "
                     "different datastores?",
                     c.what, r[0], -r[1]);
        }
    }
    return mc_ctx_finish(&c) ? parts : -1;
}
