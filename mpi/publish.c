/*
 * publish.c - collective snapshot and copy: a new MPI datastore built
 * all-or-nothing. Every rank writes its datastore under
 * DST.metall-mpi-tmp-TAG; the writer of each directory (group.h) made that
 * temporary root and its marker, gathers the entries, renames it to DST
 * without ever replacing anything, and writes the manifest last.
 */
#include "steps.h"

#include <metall/metall_mpi.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* What one publication is about. */
struct pub {
    char droot[PATH_MAX], dpath[PATH_MAX], troot[PATH_MAX], tpath[PATH_MAX], tag[17];
    struct mc_group g;
    bool made_troot; /* this node leader made troot (and is its writer) */
    bool renamed;    /* this writer's rename made DST: DST is ours */
};

/* Names, the groups of DST, and DST must not exist. */
static void pub_prepare(struct mc_ctx *c, struct pub *p, const char *dst_tmpl)
{
    p->troot[0] = p->tpath[0] = '\0';
    mc_ctx_same(c, dst_tmpl, "destination roots");
    mc_resolve(c, dst_tmpl, -1, p->droot, p->dpath);
    mc_ctx_tag(c, p->tag);
    mc_group_split(c, p->droot, &p->g);
    if (mc_ctx_failed(c))
        return;
    int n = snprintf(p->troot, sizeof p->troot, "%s%s%s", p->droot, MM_TMP_INFIX, p->tag);
    if (n < 0 || (size_t)n >= sizeof p->troot ||
        mm_subdir(p->tpath, sizeof p->tpath, p->troot, c->rank)) {
        mc_ctx_fail(c, ENAMETOOLONG, "%s: path too long", p->droot);
        return;
    }
    struct stat st;
    if (!p->g.node_lead)
        return;
    if (lstat(p->droot, &st) == 0)
        mc_ctx_fail(c, EEXIST, "%s already exists", p->droot);
    else if (errno != ENOENT)
        mc_ctx_fail(c, errno, "%s: %s", p->droot, strerror(errno));
}

/* A node leader makes troot with its marker (tagged as its own). */
static void pub_make_troot(struct mc_ctx *c, struct pub *p, const char *tag)
{
    int rc = mm_mkdir_p(p->troot);
    if (rc) {
        mc_ctx_fail(c, rc, "cannot create %s: %s", p->troot, strerror(rc));
        return;
    }
    p->made_troot = true;
    if ((rc = mm_write_marker(p->troot, c->size, tag, false)))
        mc_ctx_fail(c, rc, "cannot write %s/%s: %s", p->troot, MM_MARKER_NAME, strerror(rc));
}

/* same's rank 0 makes troot; every other node leader then finds it (a
 * shared file system) or makes its own (node-local). Ends agreed. */
static bool pub_make_roots(struct mc_ctx *c, struct pub *p)
{
    if (p->g.root_lead && !mc_ctx_failed(c))
        pub_make_troot(c, p, p->tag);
    if (!mc_ctx_agree(c))
        return false;
    bool shared = p->g.root_lead;
    if (p->g.node_lead && !p->g.root_lead) {
        char id[MM_IDENTITY_MAX], want[MM_IDENTITY_MAX];
        snprintf(want, sizeof want, "tag %s", p->tag);
        shared = mm_marker_identity(p->troot, id) == 0 && strcmp(id, want) == 0;
        char own[17];
        mc_own_tag(p->tag, c->rank, own);
        if (!shared)
            pub_make_troot(c, p, own);
    }
    mc_group_instance(c, &p->g, shared);
    return mc_ctx_agree(c);
}

/* Every rank's datastore is complete: the writer makes DST visible, then
 * writes its manifest. Ends agreed. */
static bool pub_commit(struct mc_ctx *c, struct pub *p)
{
    struct mm_entry mine, *all = NULL;
    mc_make_entry(c, p->tpath, &mine);
    mc_gather_entries(c, &p->g, &mine, &all);
    for (int i = 0; p->g.writer && all && !mc_ctx_failed(c) && i < p->g.inst_size; i++)
        if (!all[p->g.ranks[i]].uuid[0]) /* that rank failed: its message says why */
            mc_ctx_fail(c, EIO, "%s not published: rank %d could not list its datastore",
                        p->droot, p->g.ranks[i]);
    if (p->g.writer && !mc_ctx_failed(c)) {
        int rc = mm_publish(p->troot, p->droot, true);
        if (rc == 0)
            p->renamed = true;
        else if (rc == EEXIST)
            mc_ctx_fail(c, EEXIST,
                        "%s was created by someone else meanwhile (another job?); left it "
                        "untouched",
                        p->droot);
        else
            mc_ctx_fail(c, rc, "cannot rename %s to %s: %s", p->troot, p->droot,
                        strerror(rc));
    }
    if (p->g.writer && !mc_ctx_failed(c)) {
        struct mm_manifest man = {c->size, all};
        int rc = mm_write_manifest(p->droot, &man);
        if (rc)
            mc_ctx_fail(c, rc, "cannot write %s/%s: %s", p->droot, MM_MANIFEST_NAME,
                        strerror(rc));
    }
    free(all);
    return mc_ctx_agree(c);
}

/* Remove what a failed publication made, and only that: this rank's
 * temporary subdirectory, then the writers' temporary roots, and DST when
 * their own rename made it (it never replaces: what stands at DST
 * otherwise is another job's). Collective. */
static void pub_undo(struct mc_ctx *c, struct pub *p)
{
    if (p->tpath[0])
        mm_remove_tree(p->tpath);
    mc_ctx_agree(c);
    if (p->renamed)
        mm_remove_tree(p->droot);
    if (p->made_troot)
        mm_remove_tree(p->troot);
    mc_ctx_agree(c);
}

bool mc_publish(struct mc_ctx *c, const char *dst_tmpl, mc_produce_fn produce, const void *arg)
{
    struct pub *p = calloc(1, sizeof *p);
    if (!p) {
        mc_ctx_fail(c, ENOMEM, "out of memory");
        mc_ctx_agree(c);
        return false;
    }
    p->g.same = p->g.node = p->g.inst = MPI_COMM_NULL;
    pub_prepare(c, p, dst_tmpl);
    bool ok = mc_ctx_agree(c) && pub_make_roots(c, p);
    if (ok) {
        if (produce(arg, p->tpath))
            mc_ctx_fail_core(c);
        ok = mc_ctx_agree(c) && pub_commit(c, p);
    }
    if (!ok)
        pub_undo(c, p);
    mc_group_free(&p->g);
    free(p);
    return ok;
}
