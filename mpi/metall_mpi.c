/*
 * metall_mpi.c - the collective life cycle of an MPI datastore: one core
 * datastore per rank under ROOT/subdir-RANK (see rootfs.h for the layout,
 * agree.h for how ranks agree on every step's outcome).
 *
 * Roles: every rank handles its own subdirectory; on each node the lowest
 * rank with a given expanded root (the "leader") writes that root's marker
 * and manifest, renames temporary roots and removes what is shared. This
 * works for node-local roots (each node has its own ROOT, so each node has
 * a leader) and for shared ones (several leaders, whose writes are atomic
 * replacements with identical contents).
 *
 * Commit rule: the manifest is written last (create, snapshot, copy) and
 * removed first (remove), so nothing partial looks like a datastore.
 */
#include "agree.h"
#include "handle.h"
#include "placement.h"
#include "rootfs.h"

#include <metall/metall_mpi.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct metall_mpi {
    MPI_Comm comm; /* duplicate of the user's communicator */
    MPI_Comm node; /* ranks of comm on this node */
    int rank, size;
    bool read_only;
    bool leader;   /* writes this node's manifest at close */
    metall_manager *local;
    char tmpl[PATH_MAX]; /* the root as given, for messages */
    char root[PATH_MAX]; /* this rank's expanded root */
    char path[PATH_MAX]; /* root/subdir-RANK */
    char placement[MM_CPUSET_MAX + 2 * PATH_MAX]; /* report line; "" if none */
};

/* ---- steps shared by the calls ------------------------------------------- */

/* Expand the root template for this rank into root and root/subdir-RANK;
 * %n is `numa`, or this rank's node when numa < 0. */
static void resolve_at(struct mc_ctx *c, const char *tmpl, int numa, char *root, char *path)
{
    root[0] = path[0] = '\0';
    if (mc_ctx_failed(c))
        return;
    if (!tmpl || !*tmpl) {
        mc_ctx_fail(c, EINVAL, "NULL or empty root");
        return;
    }
    if (numa < 0)
        numa = strstr(tmpl, "%n") ? mm_numa_node_of_self() : 0;
    int rc = mm_expand(tmpl, c->rank, c->host, numa, root, PATH_MAX);
    if (rc == EINVAL) {
        mc_ctx_fail(c, EINVAL, "%s: bad template (only %%r, %%h, %%n and %%%% are expanded)",
                    tmpl);
        return;
    }
    size_t n = strlen(root);
    while (!rc && n > 1 && root[n - 1] == '/')
        root[--n] = '\0';
    if (!rc)
        rc = mm_subdir(path, PATH_MAX, root, c->rank);
    if (rc)
        mc_ctx_fail(c, rc, "%s: the expanded path is too long", tmpl);
}

static void resolve(struct mc_ctx *c, const char *tmpl, char *root, char *path)
{
    resolve_at(c, tmpl, -1, root, path);
}

/* The start of every call on an existing root: a context, the same root
 * template on every rank, and this rank's root and subdirectory. */
static void begin(struct mc_ctx *c, MPI_Comm comm, const char *what, const char *tmpl,
                  char *root, char *path)
{
    mc_ctx_init(c, comm, what, tmpl);
    mc_ctx_same(c, tmpl, "roots");
    resolve(c, tmpl, root, path);
}

static int join(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);
    return (n < 0 || n >= PATH_MAX) ? ENAMETOOLONG : 0;
}

static bool has_marker(const char *root)
{
    char p[PATH_MAX];
    return join(p, root, MM_MARKER_NAME) == 0 && access(p, F_OK) == 0;
}

/* ROOT is a complete MPI datastore (of `expect` partitions unless < 0). */
static void check_valid(struct mc_ctx *c, const char *root, int expect, struct mm_manifest *man)
{
    if (mc_ctx_failed(c))
        return;
    char why[MM_WHY_MAX];
    int parts = 0, rc = mm_is_dir(root);
    if (rc) {
        mc_ctx_fail(c, rc, "%s: %s on this host", root,
                    rc == ENOENT ? "no such directory" : strerror(rc));
        return;
    }
    rc = mm_read_marker(root, &parts, why, sizeof why);
    if (rc == ENOENT) {
        mc_ctx_fail(c, EINVAL, "%s is not a metall-c MPI datastore (no %s marker)", root,
                    MM_MARKER_NAME);
        return;
    }
    if (rc) {
        mc_ctx_fail(c, rc, "%s", why);
        return;
    }
    rc = mm_read_manifest(root, man, why, sizeof why);
    if (rc == ENOENT) {
        mc_ctx_fail(c, EINVAL,
                    "%s is incomplete: no %s (an interrupted create, snapshot or copy?)", root,
                    MM_MANIFEST_NAME);
        return;
    }
    if (rc) {
        mc_ctx_fail(c, rc, "%s", why);
        return;
    }
    if (man->partitions != parts) {
        mc_ctx_fail(c, EBADMSG, "%s: the marker says %d partitions, the manifest %d", root,
                    parts, man->partitions);
        return;
    }
    if (expect >= 0 && parts != expect)
        mc_ctx_fail(c, ERANGE,
                    "%s holds %d partitions but the communicator has %d ranks; open it "
                    "with %d ranks",
                    root, parts, expect, parts);
}

/* This rank's subdirectory is here and is the one the manifest lists. */
static void check_subdir(struct mc_ctx *c, const char *path, const struct mm_manifest *man)
{
    if (mc_ctx_failed(c))
        return;
    const struct mm_entry *e = &man->entries[c->rank];
    int rc = mm_is_dir(path);
    if (rc) {
        mc_ctx_fail(c, rc,
                    "%s %s on this host; expected the datastore of rank %d of %d here "
                    "(uuid %s, written on host %s)",
                    path, rc == ENOENT ? "does not exist" : strerror(rc), c->rank,
                    man->partitions, e->uuid, e->host[0] ? e->host : "?");
        return;
    }
    char uuid[37];
    if (!metall_get_uuid(path, uuid)) {
        mc_ctx_fail_core(c);
        return;
    }
    if (strcmp(uuid, e->uuid) != 0)
        mc_ctx_fail(c, EBADMSG,
                    "%s has uuid %s but the manifest expects %s for rank %d (a subdirectory "
                    "of another datastore?)",
                    path, uuid, e->uuid, c->rank);
}

/* This rank's manifest line for the datastore at path. */
static void make_entry(struct mc_ctx *c, const char *path, struct mm_entry *e)
{
    memset(e, 0, sizeof *e);
    snprintf(e->host, sizeof e->host, "%s", c->host);
    for (char *p = e->host; *p; p++)
        if (*p == ' ' || *p == '\t' || *p == '\n')
            *p = '_'; /* the manifest is whitespace-separated */
    if (mc_ctx_failed(c))
        return;
    if (!metall_get_uuid(path, e->uuid)) {
        mc_ctx_fail_core(c);
        return;
    }
    uint64_t bytes = 0;
    if (mm_disk_usage(path, &bytes) == 0)
        e->bytes = bytes;
}

/* Gather every rank's entry; leaders write the manifest of root. The
 * caller agrees afterwards. */
static void write_manifest(struct mc_ctx *c, const char *root, const char *path, bool leader,
                           struct mm_entry *all)
{
    struct mm_entry mine;
    make_entry(c, path, &mine);
    mc_ctx_allgather_entries(c, &mine, all);
    if (!leader || mc_ctx_failed(c))
        return;
    struct mm_manifest man = {c->size, all};
    int rc = mm_write_manifest(root, &man);
    if (rc)
        mc_ctx_fail(c, rc, "cannot write %s/%s: %s", root, MM_MANIFEST_NAME, strerror(rc));
}

/* ---- placement report -------------------------------------------------- */

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

/* Record where this rank runs in ROOT/placement-RANK (create). */
static void write_placement(struct mc_ctx *c, const char *root, const char *path,
                            const struct mm_where *w, const metall_options *lo, char *line,
                            size_t size)
{
    if (mc_ctx_failed(c))
        return;
    struct mm_placement p;
    memset(&p, 0, sizeof p);
    p.rank = c->rank;
    snprintf(p.host, sizeof p.host, "%s", c->host);
    snprintf(p.cpuset, sizeof p.cpuset, "%s", w->cpuset);
    snprintf(p.nodes, sizeof p.nodes, "%s", w->nodes);
    p.node = w->node;
    policy_name(lo, p.policy, sizeof p.policy);
    snprintf(p.path, sizeof p.path, "%s", path);
    int rc = mm_write_placement(root, &p);
    if (rc)
        mc_ctx_fail(c, rc, "cannot write %s/%s%d: %s", root, MM_PLACEMENT_PREFIX, c->rank,
                    strerror(rc));
    else
        mm_placement_format(&p, line, size);
}

/* This rank's recorded placement, as a line ("" when none is recorded). */
static void read_placement(const char *root, int rank, char *line, size_t size)
{
    struct mm_placement p;
    char why[MM_WHY_MAX];
    line[0] = '\0';
    if (mm_read_placement(root, rank, &p, why, sizeof why) == 0)
        mm_placement_format(&p, line, size);
}

static void remove_placement(const char *root, int rank)
{
    char p[PATH_MAX];
    if (mm_placement_path(p, sizeof p, root, rank) == 0)
        mm_unlink(p);
}

/* The datastore at path is open for writing by someone (remove would fail
 * half-way): checked before anything is removed. */
static void check_not_busy(struct mc_ctx *c, const char *path)
{
    if (mc_ctx_failed(c) || mm_is_dir(path) != 0)
        return;
    if (!metall_consistent(path) && errno == EBUSY)
        mc_ctx_fail_core(c);
}

/* Leaders: remove what is left in root of this library: subdir-N and
 * placement-N of other rank counts, and what interrupted operations left
 * (core temporaries of subdirectories, temporary marker or manifest
 * files). The user's own files stay. */
static void remove_other_subdirs(struct mc_ctx *c, const char *root)
{
    DIR *d = opendir(root);
    if (!d) {
        if (errno != ENOENT)
            mc_ctx_fail(c, errno, "cannot read %s: %s", root, strerror(errno));
        return;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        char p[PATH_MAX];
        enum mm_root_entry k = mm_root_entry_kind(de->d_name);
        if (k == MM_ENTRY_OTHER || k == MM_ENTRY_ROOT_FILE || join(p, root, de->d_name))
            continue;
        if (k == MM_ENTRY_PLACEMENT)
            mm_unlink(p); /* informational: a leftover is harmless */
        else if (k == MM_ENTRY_SUBDIR && !metall_remove(p) && errno != ENOENT)
            mc_ctx_fail_core(c);
        else if (k == MM_ENTRY_LEFTOVER) {
            int rc = mm_remove_tree(p);
            if (rc && rc != ENOENT)
                mc_ctx_fail(c, rc, "cannot remove %s: %s", p, strerror(rc));
        }
    }
    closedir(d);
}

/* Remove the MPI datastore at root: manifest first, then every rank's
 * datastore, then what is left (leaders). Collective; ends agreed. */
static bool remove_layout(struct mc_ctx *c, const char *root, const char *path, bool leader,
                          bool present, bool rmdir_root)
{
    char p[PATH_MAX];
    if (leader && present && join(p, root, MM_MANIFEST_NAME) == 0) {
        int rc = mm_unlink(p);
        if (rc)
            mc_ctx_fail(c, rc, "cannot remove %s: %s", p, strerror(rc));
    }
    if (!mc_ctx_agree(c))
        return false;
    if (present && mm_is_dir(path) == 0 && !metall_remove(path) && errno != ENOENT)
        mc_ctx_fail_core(c);
    if (present && !mc_ctx_failed(c))
        remove_placement(root, c->rank);
    if (!mc_ctx_agree(c))
        return false;
    if (leader && present) {
        remove_other_subdirs(c, root);
        if (!mc_ctx_failed(c) && join(p, root, MM_MARKER_NAME) == 0) {
            int rc = mm_unlink(p);
            if (rc)
                mc_ctx_fail(c, rc, "cannot remove %s: %s", p, strerror(rc));
        }
        /* a root holding other files of the user stays */
        if (!mc_ctx_failed(c) && rmdir_root)
            rmdir(root);
    }
    return mc_ctx_agree(c);
}

/* ---- open / create / close ------------------------------------------------ */

static metall_mpi *open_common(const char *tmpl, MPI_Comm comm, bool read_only)
{
    struct mc_ctx c;
    char root[PATH_MAX], path[PATH_MAX];
    begin(&c, comm, read_only ? "metall_mpi_open_read_only" : "metall_mpi_open", tmpl, root,
          path);
    metall_mpi *h = calloc(1, sizeof *h);
    if (!h)
        mc_ctx_fail(&c, ENOMEM, "out of memory");
    struct mm_manifest man = {0, NULL};
    check_valid(&c, root, c.size, &man);
    check_subdir(&c, path, &man);
    mm_manifest_free(&man);
    if (!mc_ctx_agree(&c))
        goto fail;
    metall_manager *m = read_only ? metall_open_read_only(path) : metall_open(path);
    if (!m)
        mc_ctx_fail_core(&c);
    bool ok = mc_ctx_agree(&c);
    if (ok) {
        h->leader = mc_ctx_leader(&c, root);
        ok = mc_ctx_agree(&c);
    }
    if (!ok) {
        if (m)
            metall_close(m);
        goto fail;
    }
    h->comm = c.comm;
    h->node = c.node;
    c.own_comms = false;
    h->rank = c.rank;
    h->size = c.size;
    h->read_only = read_only;
    h->local = m;
    snprintf(h->tmpl, sizeof h->tmpl, "%s", tmpl);
    memcpy(h->root, root, sizeof h->root);
    memcpy(h->path, path, sizeof h->path);
    read_placement(root, h->rank, h->placement, sizeof h->placement);
    mc_ctx_finish(&c);
    return h;
fail:
    free(h);
    mc_ctx_finish(&c);
    return NULL;
}

metall_mpi *metall_mpi_open(const char *root, MPI_Comm comm)
{
    return open_common(root, comm, false);
}

metall_mpi *metall_mpi_open_read_only(const char *root, MPI_Comm comm)
{
    return open_common(root, comm, true);
}

/* What create finds at ROOT before it writes anything. */
static void create_check(struct mc_ctx *c, const char *root, const char *path, bool overwrite,
                         bool *root_existed, bool *old)
{
    *root_existed = *old = false;
    if (mc_ctx_failed(c))
        return;
    int rc = mm_is_dir(root);
    if (rc && rc != ENOENT) {
        mc_ctx_fail(c, rc, "%s: %s", root, strerror(rc));
        return;
    }
    *root_existed = rc == 0;
    *old = *root_existed && has_marker(root);
    if (*old && !overwrite)
        mc_ctx_fail(c, EEXIST,
                    "%s already holds a metall-c MPI datastore (set overwrite to replace it)",
                    root);
    else if (!*old && *root_existed && access(path, F_OK) == 0)
        mc_ctx_fail(c, overwrite ? EINVAL : EEXIST,
                    "%s already exists and %s is not a metall-c MPI datastore; not touching it",
                    path, root);
    else if (*old)
        check_not_busy(c, path);
}

metall_mpi *metall_mpi_create(const char *tmpl, MPI_Comm comm, const metall_mpi_options *opt)
{
    struct mc_ctx c;
    mc_ctx_init(&c, comm, "metall_mpi_create", tmpl);
    mc_ctx_same(&c, tmpl, "roots");
    metall_options lo = opt ? opt->local : (metall_options){0};
    lo.overwrite = false; /* replacing is done here, for all ranks at once */
    metall_mpi *h = calloc(1, sizeof *h);
    struct mm_entry *all = calloc((size_t)c.size, sizeof *all);
    if (!h || !all)
        mc_ctx_fail(&c, ENOMEM, "out of memory");
    char root[PATH_MAX], path[PATH_MAX];
    /* where this rank runs: %n and the placement report agree */
    struct mm_where where;
    mm_where_of_self(&where);
    resolve_at(&c, tmpl, where.node, root, path);
    bool root_existed, old, leader = false, made_root = false, made_marker = false,
                                         placed = false;
    metall_manager *m = NULL;
    create_check(&c, root, path, opt && opt->overwrite, &root_existed, &old);
    if (!mc_ctx_agree(&c))
        goto fail;
    leader = mc_ctx_leader(&c, root);
    char tag[17], other[17];
    mc_ctx_tag(&c, tag);
    int any_old = old, agreed_old = 0;
    MPI_Allreduce(&any_old, &agreed_old, 1, MPI_INT, MPI_MAX, c.comm);
    if (!mc_ctx_agree(&c))
        goto fail;
    if (agreed_old && !remove_layout(&c, root, path, leader, old, false))
        goto fail;
    if (leader) {
        /* only what this job makes is undone: the root if its mkdir made
         * it, the marker (and the rest) if it claimed the root */
        made_root = mkdir(root, 0755) == 0;
        int rc = made_root ? 0 : mm_mkdir_p(root);
        if (rc)
            mc_ctx_fail(&c, rc, "cannot create %s: %s", root, strerror(rc));
        else if ((rc = mm_write_marker(root, c.size, tag, true)) == EEXIST &&
                 !(mm_read_marker_tag(root, other) == 0 && strcmp(other, tag) == 0))
            mc_ctx_fail(&c, EEXIST,
                        "%s was made a metall-c MPI datastore by someone else meanwhile "
                        "(another job?); left it untouched",
                        root);
        else if (rc && rc != EEXIST)
            mc_ctx_fail(&c, rc, "cannot write %s/%s: %s", root, MM_MARKER_NAME, strerror(rc));
        else
            made_marker = rc == 0; /* EEXIST: a leader of this call on a shared root */
    }
    if (!mc_ctx_agree(&c))
        goto undo;
    m = metall_create_ex(path, &lo);
    if (!m)
        mc_ctx_fail_core(&c);
    if (!mc_ctx_agree(&c))
        goto undo;
    write_placement(&c, root, path, &where, &lo, h->placement, sizeof h->placement);
    placed = !mc_ctx_failed(&c);
    if (!mc_ctx_agree(&c))
        goto undo;
    write_manifest(&c, root, path, leader, all);
    if (!mc_ctx_agree(&c))
        goto undo;
    h->leader = leader;
    h->comm = c.comm;
    h->node = c.node;
    c.own_comms = false;
    h->rank = c.rank;
    h->size = c.size;
    h->local = m;
    snprintf(h->tmpl, sizeof h->tmpl, "%s", tmpl);
    memcpy(h->root, root, sizeof h->root);
    memcpy(h->path, path, sizeof h->path);
    free(all);
    mc_ctx_finish(&c);
    return h;
undo:
    /* every rank is here after the same failed step */
    if (m) {
        metall_close(m);
        metall_remove(path);
    }
    if (placed)
        remove_placement(root, c.rank);
    mc_ctx_agree(&c); /* all datastores are gone before the leaders tidy up */
    if (leader && made_marker) {
        char p[PATH_MAX];
        if (!join(p, root, MM_MANIFEST_NAME))
            mm_unlink(p);
        if (!join(p, root, MM_MARKER_NAME))
            mm_unlink(p);
    }
    if (leader && made_root)
        rmdir(root);
    mc_ctx_agree(&c);
fail:
    free(h);
    free(all);
    mc_ctx_finish(&c);
    return NULL;
}

MPI_Comm mm_handle_comm(const metall_mpi *h) { return h->comm; }
MPI_Comm mm_handle_node(const metall_mpi *h) { return h->node; }

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

bool metall_mpi_close(metall_mpi *h)
{
    if (!h) {
        metall_internal_set_error(EINVAL, "metall_mpi_close: NULL handle");
        return false;
    }
    struct mc_ctx c;
    mc_ctx_init_with(&c, h->comm, h->node, "metall_mpi_close", h->tmpl);
    struct mm_entry *all = calloc((size_t)c.size, sizeof *all);
    if (!all)
        mc_ctx_fail(&c, ENOMEM, "out of memory");
    if (!metall_close(h->local))
        mc_ctx_fail_core(&c);
    h->local = NULL;
    /* the sizes in the manifest are refreshed only after a clean close */
    if (mc_ctx_agree(&c) && !h->read_only) {
        write_manifest(&c, h->root, h->path, h->leader, all);
        mc_ctx_agree(&c);
    }
    free(all);
    bool ok = mc_ctx_finish(&c);
    if (h->node != MPI_COMM_NULL)
        MPI_Comm_free(&h->node);
    MPI_Comm_free(&h->comm);
    free(h);
    return ok;
}

/* ---- snapshot / copy --------------------------------------------------- */

/* Writes this rank's datastore to tpath (a new directory); 0 or -1 with
 * errno and metall_errmsg() set by the core. */
typedef int (*produce_fn)(const void *arg, const char *tpath);

static int produce_snapshot(const void *arg, const char *tpath)
{
    return metall_snapshot((metall_manager *)(uintptr_t)arg, tpath) ? 0 : -1;
}

static int produce_copy(const void *arg, const char *tpath)
{
    return metall_copy((const char *)arg, tpath) ? 0 : -1;
}

/* Remove what a failed publish made, and only that: this rank's
 * temporary subdirectory, then the leaders' temporary roots, and DST when
 * this job's own rename made it (`renamed`: the rename never replaces, so
 * what stands at DST otherwise is another job's). Collective. */
static void publish_undo(struct mc_ctx *c, bool leader, bool renamed, const char *troot,
                         const char *tpath, const char *droot)
{
    mm_remove_tree(tpath);
    mc_ctx_agree(c);
    if (leader) {
        if (renamed)
            mm_remove_tree(droot);
        mm_remove_tree(troot);
    }
    mc_ctx_agree(c);
}

/*
 * Build a new MPI datastore at dst_tmpl, all-or-nothing: every rank writes
 * its datastore under DST.metall-mpi-tmp-TAG (TAG from rank 0); only when
 * all succeeded do the leaders rename it to DST, and the manifest is
 * written last. Collective; call after an agreed step.
 */
static bool publish(struct mc_ctx *c, const char *dst_tmpl, struct mm_entry *all,
                    produce_fn produce, const void *arg)
{
    char droot[PATH_MAX], dpath[PATH_MAX], troot[PATH_MAX], tpath[PATH_MAX], tag[17];
    troot[0] = tpath[0] = '\0';
    mc_ctx_same(c, dst_tmpl, "destination roots");
    resolve(c, dst_tmpl, droot, dpath);
    mc_ctx_tag(c, tag);
    if (!mc_ctx_failed(c)) {
        struct stat st;
        int n = snprintf(troot, sizeof troot, "%s%s%s", droot, MM_TMP_INFIX, tag);
        if (n < 0 || (size_t)n >= sizeof troot || mm_subdir(tpath, sizeof tpath, troot, c->rank))
            mc_ctx_fail(c, ENAMETOOLONG, "%s: path too long", droot);
        else if (lstat(droot, &st) == 0)
            mc_ctx_fail(c, EEXIST, "%s already exists", droot);
        else if (errno != ENOENT)
            mc_ctx_fail(c, errno, "%s: %s", droot, strerror(errno));
    }
    if (!mc_ctx_agree(c))
        return false;
    bool leader = mc_ctx_leader(c, droot), renamed = false;
    if (leader && !mc_ctx_failed(c)) {
        int rc = mm_mkdir_p(troot);
        if (rc)
            mc_ctx_fail(c, rc, "cannot create %s: %s", troot, strerror(rc));
        else if ((rc = mm_write_marker(troot, c->size, tag, false)))
            mc_ctx_fail(c, rc, "cannot write %s/%s: %s", troot, MM_MARKER_NAME, strerror(rc));
    }
    if (!mc_ctx_agree(c))
        goto undo;
    if (produce(arg, tpath))
        mc_ctx_fail_core(c);
    if (!mc_ctx_agree(c))
        goto undo;
    /* every rank's datastore is complete: make the root visible */
    struct mm_entry mine;
    make_entry(c, tpath, &mine);
    mc_ctx_allgather_entries(c, &mine, all);
    if (leader && !mc_ctx_failed(c)) {
        int rc = mm_publish(troot, droot, true);
        if (rc == 0)
            renamed = true;
        else if (rc == EEXIST)
            mc_ctx_fail(c, EEXIST,
                        "%s was created by someone else meanwhile (another job?); left it "
                        "untouched",
                        droot);
        /* another node sharing this root (parallel FS) may have renamed it */
        else if (!(rc == ENOENT && mm_is_dir(droot) == 0))
            mc_ctx_fail(c, rc, "cannot rename %s to %s: %s", troot, droot, strerror(rc));
    }
    if (!mc_ctx_agree(c))
        goto undo;
    if (mm_is_dir(dpath) != 0)
        mc_ctx_fail(c, ENOENT, "%s is missing after the rename of %s", dpath, troot);
    if (!mc_ctx_agree(c))
        goto undo;
    if (leader && !mc_ctx_failed(c)) {
        struct mm_manifest man = {c->size, all};
        int rc = mm_write_manifest(droot, &man);
        if (rc)
            mc_ctx_fail(c, rc, "cannot write %s/%s: %s", droot, MM_MANIFEST_NAME,
                        strerror(rc));
    }
    if (!mc_ctx_agree(c))
        goto undo;
    return true;
undo:
    publish_undo(c, leader, renamed, troot, tpath, droot);
    return false;
}

bool metall_mpi_snapshot(metall_mpi *h, const char *dst_root)
{
    if (!h) {
        metall_internal_set_error(EINVAL, "metall_mpi_snapshot: NULL handle");
        return false;
    }
    struct mc_ctx c;
    mc_ctx_init_with(&c, h->comm, h->node, "metall_mpi_snapshot", dst_root);
    struct mm_entry *all = calloc((size_t)c.size, sizeof *all);
    if (!all)
        mc_ctx_fail(&c, ENOMEM, "out of memory");
    if (h->read_only)
        mc_ctx_fail(&c, EROFS, "%s is open read-only; use metall_mpi_copy()", h->root);
    if (mc_ctx_agree(&c))
        publish(&c, dst_root, all, produce_snapshot, h->local);
    free(all);
    return mc_ctx_finish(&c);
}

bool metall_mpi_copy(const char *src_root, const char *dst_root, MPI_Comm comm)
{
    struct mc_ctx c;
    mc_ctx_init(&c, comm, "metall_mpi_copy", src_root);
    mc_ctx_same(&c, src_root, "source roots");
    struct mm_entry *all = calloc((size_t)c.size, sizeof *all);
    if (!all)
        mc_ctx_fail(&c, ENOMEM, "out of memory");
    char sroot[PATH_MAX], spath[PATH_MAX];
    struct mm_manifest man = {0, NULL};
    resolve(&c, src_root, sroot, spath);
    check_valid(&c, sroot, c.size, &man);
    check_subdir(&c, spath, &man);
    mm_manifest_free(&man);
    if (mc_ctx_agree(&c))
        publish(&c, dst_root, all, produce_copy, spath);
    free(all);
    return mc_ctx_finish(&c);
}

/* ---- remove / consistent / partitions -------------------------------------- */

/* Remove accepts a root with a marker, or one an interrupted remove left
 * without it (only entries of an MPI root). The leader decides. */
static void remove_check(struct mc_ctx *c, const char *root, bool leader)
{
    if (mc_ctx_failed(c) || !leader || has_marker(root))
        return;
    bool ours = false;
    int rc = mm_root_is_ours(root, &ours);
    if (rc)
        mc_ctx_fail(c, rc, "cannot read %s: %s", root, strerror(rc));
    else if (!ours)
        mc_ctx_fail(c, EINVAL,
                    "%s is not a metall-c MPI datastore (no %s marker); nothing removed", root,
                    MM_MARKER_NAME);
}

bool metall_mpi_remove(const char *tmpl, MPI_Comm comm)
{
    struct mc_ctx c;
    char root[PATH_MAX], path[PATH_MAX];
    begin(&c, comm, "metall_mpi_remove", tmpl, root, path);
    if (!mc_ctx_failed(&c)) {
        int rc = mm_is_dir(root);
        if (rc)
            mc_ctx_fail(&c, rc, "%s: %s on this host", root,
                        rc == ENOENT ? "no such directory" : strerror(rc));
    }
    bool leader = mc_ctx_leader(&c, root);
    remove_check(&c, root, leader);
    check_not_busy(&c, path);
    if (mc_ctx_agree(&c))
        remove_layout(&c, root, path, leader, true, true);
    return mc_ctx_finish(&c);
}

bool metall_mpi_consistent(const char *tmpl, MPI_Comm comm)
{
    struct mc_ctx c;
    char root[PATH_MAX], path[PATH_MAX];
    begin(&c, comm, "metall_mpi_consistent", tmpl, root, path);
    struct mm_manifest man = {0, NULL};
    check_valid(&c, root, c.size, &man);
    check_subdir(&c, path, &man);
    mm_manifest_free(&man);
    if (!mc_ctx_failed(&c) && !metall_consistent(path))
        mc_ctx_fail_core(&c);
    mc_ctx_agree(&c);
    return mc_ctx_finish(&c);
}

int metall_mpi_partitions(const char *tmpl, MPI_Comm comm)
{
    struct mc_ctx c;
    char root[PATH_MAX], path[PATH_MAX];
    begin(&c, comm, "metall_mpi_partitions", tmpl, root, path);
    struct mm_manifest man = {0, NULL};
    check_valid(&c, root, -1, &man);
    int parts = man.partitions;
    mm_manifest_free(&man);
    if (mc_ctx_agree(&c)) {
        int v[2] = {parts, -parts}, r[2] = {0, 0};
        MPI_Allreduce(v, r, 2, MPI_INT, MPI_MIN, c.comm);
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
