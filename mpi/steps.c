/*
 * steps.c - steps shared by the collective calls (steps.h): resolving the
 * root, reading an existing root through one reader per directory, the
 * manifest written by one writer, and removal.
 */
#include "steps.h"

#include <metall/metall.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void mc_resolve(struct mc_ctx *c, const char *tmpl, int numa, char *root, char *path)
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

void mc_begin(struct mc_ctx *c, MPI_Comm comm, const char *what, const char *tmpl,
              char *root, char *path)
{
    mc_ctx_init(c, comm, what, tmpl);
    mc_ctx_same(c, tmpl, "roots");
    mc_resolve(c, tmpl, -1, root, path);
}

int mc_join(char *out, const char *dir, const char *name)
{
    return fs_join(out, PATH_MAX, dir, name);
}

/* ---- which directory ----------------------------------------------------- */

void mc_own_tag(const char *tag, int rank, char out[17])
{
    unsigned long long v = strtoull(tag, NULL, 16);
    v ^= ((unsigned long long)rank + 1) * 0x9e3779b97f4a7c15ull;
    snprintf(out, 17, "%016llx", v);
}

/* What a node leader tells its node of the root. */
struct marker_info {
    int32_t rc;    /* 0, or why the marker could not be read */
    int32_t parts; /* partition count */
    char id[MM_IDENTITY_MAX];
};

static void read_marker(struct mc_ctx *c, const char *root, bool need, struct marker_info *m)
{
    char why[MM_WHY_MAX];
    int parts = 0, rc = mm_is_dir(root);
    if (rc) {
        if (need)
            mc_ctx_fail(c, rc, "%s: %s on this host", root,
                        rc == ENOENT ? "no such directory" : strerror(rc));
    } else if ((rc = mm_read_marker(root, &parts, why, sizeof why)) == ENOENT) {
        if (need)
            mc_ctx_fail(c, EINVAL, "%s is not a metall-c MPI datastore (no %s marker)", root,
                        MM_MARKER_NAME);
    } else if (rc) {
        mc_ctx_fail(c, rc, "%s", why);
    } else if ((rc = mm_marker_identity(root, m->id))) {
        mc_ctx_fail(c, rc, "cannot read %s/%s: %s", root, MM_MARKER_NAME, strerror(rc));
    }
    m->rc = rc;
    m->parts = rc ? -1 : parts;
}

void mc_root_identity(struct mc_ctx *c, struct mc_group *g, const char *root,
                      bool need_marker, int *parts, bool *marked)
{
    struct marker_info m;
    memset(&m, 0, sizeof m);
    m.rc = EIO;
    m.parts = -1;
    if (g->node_lead && !mc_ctx_failed(c))
        read_marker(c, root, need_marker, &m);
    if (g->node != MPI_COMM_NULL)
        MPI_Bcast(&m, (int)sizeof m, MPI_BYTE, 0, g->node);
    char lead[MM_IDENTITY_MAX];
    memcpy(lead, m.id, sizeof lead);
    if (g->same != MPI_COMM_NULL)
        MPI_Bcast(lead, (int)sizeof lead, MPI_CHAR, 0, g->same);
    *parts = m.parts;
    *marked = m.rc == 0;
    mc_group_instance(c, g, m.rc == 0 && strcmp(m.id, lead) == 0);
}

/* ---- reading a root ---------------------------------------------------- */

/* The writer's lines for its members: the placement file, or the per-rank
 * reports of a root of format 1. */
static char **read_placements(const struct mc_group *g, const char *root, int parts)
{
    char **lines = NULL;
    if (mm_read_placements(root, parts, &lines) != ENOENT)
        return lines;
    lines = calloc((size_t)parts, sizeof *lines);
    for (int i = 0; lines && i < g->inst_size; i++) {
        struct mm_placement p;
        char why[MM_WHY_MAX], line[MC_LINE_MAX];
        int r = g->ranks[i];
        if (r < parts && mm_read_placement(root, r, &p, why, sizeof why) == 0) {
            mm_placement_serialize(&p, line, sizeof line);
            lines[r] = strdup(line);
        }
    }
    return lines;
}

/* The writer reads the manifest; every member gets its entry (and line). */
static void read_manifest(struct mc_ctx *c, struct mc_group *g, const char *root,
                          bool want_placement, struct mc_view *v)
{
    struct mm_manifest man = {0, NULL};
    bool have = false;
    if (g->writer) {
        char why[MM_WHY_MAX];
        int rc = mm_read_manifest(root, &man, why, sizeof why);
        if (rc == ENOENT)
            mc_ctx_fail(c, EINVAL,
                        "%s is incomplete: no %s (an interrupted create, snapshot or copy?)",
                        root, MM_MANIFEST_NAME);
        else if (rc)
            mc_ctx_fail(c, rc, "%s", why);
        else if (man.partitions != v->parts)
            mc_ctx_fail(c, EBADMSG, "%s: the marker says %d partitions, the manifest %d", root,
                        v->parts, man.partitions);
        else
            have = true;
    }
    mc_scatter_entries(c, g, have ? man.entries : NULL, man.partitions, &v->e, &v->status);
    if (want_placement) {
        char **lines = have ? read_placements(g, root, v->parts) : NULL;
        char line[MC_LINE_MAX];
        struct mm_placement p;
        mc_scatter_lines(c, g, lines, have ? v->parts : 0, line, sizeof line);
        v->placement[0] = '\0';
        if (line[0] && mm_placement_parse(line, &p) == 0)
            mm_placement_format(&p, v->placement, sizeof v->placement);
        mm_free_placements(lines, have ? v->parts : 0);
    }
    mm_manifest_free(&man);
}

bool mc_read_root(struct mc_ctx *c, struct mc_group *g, const char *root, bool want_placement,
                  struct mc_view *v)
{
    memset(&v->e, 0, sizeof v->e);
    v->status = MC_REC_FAILED;
    v->placement[0] = '\0';
    bool marked;
    mc_group_split(c, root, g);
    mc_root_identity(c, g, root, true, &v->parts, &marked);
    if (!mc_ctx_agree(c))
        return false;
    read_manifest(c, g, root, want_placement, v);
    return true;
}

void mc_check_view(struct mc_ctx *c, const char *root, const char *path, int expect,
                   const struct mc_view *v)
{
    if (mc_ctx_failed(c) || v->status == MC_REC_FAILED)
        return; /* the writer's failure explains */
    if (expect >= 0 && v->parts != expect) {
        mc_ctx_fail(c, ERANGE,
                    "%s holds %d partitions but the communicator has %d ranks; open it "
                    "with %d ranks",
                    root, v->parts, expect, v->parts);
        return;
    }
    if (v->status == MC_REC_ABSENT) {
        mc_ctx_fail(c, ENOENT,
                    "%s: the manifest there does not list rank %d (a node-local root of "
                    "another node?)",
                    root, c->rank);
        return;
    }
    int rc = mm_is_dir(path);
    if (rc) {
        mc_ctx_fail(c, rc,
                    "%s %s on this host; expected the datastore of rank %d of %d here "
                    "(uuid %s, written on host %s)",
                    path, rc == ENOENT ? "does not exist" : strerror(rc), c->rank, v->parts,
                    v->e.uuid, v->e.host[0] ? v->e.host : "?");
        return;
    }
    char uuid[37];
    if (!metall_get_uuid(path, uuid))
        mc_ctx_fail_core(c);
    else if (strcmp(uuid, v->e.uuid) != 0)
        mc_ctx_fail(c, EBADMSG,
                    "%s has uuid %s but the manifest expects %s for rank %d (a subdirectory "
                    "of another datastore?)",
                    path, uuid, v->e.uuid, c->rank);
}

/* ---- the manifest ---------------------------------------------------- */

void mc_make_entry(struct mc_ctx *c, const char *path, struct mm_entry *e)
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

void mc_write_manifest(struct mc_ctx *c, struct mc_group *g, const char *root,
                       const char *path)
{
    struct mm_entry mine, *all = NULL;
    mc_make_entry(c, path, &mine);
    mc_gather_entries(c, g, &mine, &all);
    if (g->writer && all && !mc_ctx_failed(c)) {
        for (int i = 0; i < g->inst_size; i++)
            if (!all[g->ranks[i]].uuid[0]) /* a member failed: agreed next */
                goto out;
        struct mm_manifest man = {c->size, all};
        int rc = mm_write_manifest(root, &man);
        if (rc)
            mc_ctx_fail(c, rc, "cannot write %s/%s: %s", root, MM_MANIFEST_NAME,
                        strerror(rc));
    }
out:
    free(all);
}

/* ---- removal ------------------------------------------------------------- */

void mc_check_not_busy(struct mc_ctx *c, const char *path)
{
    if (mc_ctx_failed(c) || mm_is_dir(path) != 0)
        return;
    if (!metall_consistent(path) && errno == EBUSY)
        mc_ctx_fail_core(c);
}

/* The writer: remove what is left in root of this library: subdir-N and
 * placement-N of other rank counts, and what interrupted operations left
 * (core temporaries of subdirectories, temporary marker or manifest
 * files). The user's own files stay. */
static void remove_rest(struct mc_ctx *c, const char *root)
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
        if (k == MM_ENTRY_OTHER || k == MM_ENTRY_ROOT_FILE || mc_join(p, root, de->d_name))
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

static void unlink_named(struct mc_ctx *c, const char *root, const char *name)
{
    char p[PATH_MAX];
    if (mc_ctx_failed(c) || mc_join(p, root, name))
        return;
    int rc = mm_unlink(p);
    if (rc)
        mc_ctx_fail(c, rc, "cannot remove %s: %s", p, strerror(rc));
}

bool mc_remove_layout(struct mc_ctx *c, struct mc_group *g, const char *root,
                      const char *path, bool rmdir_root)
{
    if (g->writer)
        unlink_named(c, root, MM_MANIFEST_NAME);
    if (!mc_ctx_agree(c))
        return false;
    if (mm_is_dir(path) == 0 && !metall_remove(path) && errno != ENOENT)
        mc_ctx_fail_core(c);
    if (!mc_ctx_agree(c))
        return false;
    if (g->writer) {
        remove_rest(c, root);
        unlink_named(c, root, MM_PLACEMENTS_NAME);
        unlink_named(c, root, MM_MARKER_NAME);
        /* a root holding other files of the user stays */
        if (!mc_ctx_failed(c) && rmdir_root)
            rmdir(root);
    }
    return mc_ctx_agree(c);
}
