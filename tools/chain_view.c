/*
 * chain_view.c - chain listings for the tools (chain_view.h).
 */
#include "chain_view.h"

#include <metall/metall.h>

#include "chain.h"
#include "fsutil.h"
#include "mgmt.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define GLOBAL_NAME "metall_mpi_chain" /* mpi/checkpoint.c */
#define GLOBAL_MAGIC "metall-c-mpi-chain"

static bool exists_in(const char *dir, const char *name)
{
    char f[PATH_MAX];
    struct stat st;
    return snprintf(f, sizeof f, "%s/%s", dir, name) < (int)sizeof f && stat(f, &st) == 0;
}

bool cv_is_chain(const char *path)
{
    return exists_in(path, MC_CHAIN_FILE);
}

bool cv_is_mpi_chain_root(const char *path)
{
    return exists_in(path, GLOBAL_NAME);
}

int cv_read_global(const char *root, struct cv_global *g, char *why, size_t whysize)
{
    char f[PATH_MAX], body[64 + CV_MAX_IDS * 24 + 64];
    memset(g, 0, sizeof *g);
    snprintf(f, sizeof f, "%s/%s", root, GLOBAL_NAME);
    int fd = open(f, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(why, whysize, "cannot open %s: %s", f, strerror(e));
        return e;
    }
    ssize_t n = read(fd, body, sizeof body - 1);
    close(fd);
    char *sum = n > 0 ? (body[n] = '\0', strstr(body, "sum ")) : NULL;
    int used = 0, ver = 0;
    if (!sum || strtoull(sum + 4, NULL, 16) != fs_fnv1a(body, (size_t)(sum - body)) ||
        sscanf(body, GLOBAL_MAGIC " %d\nranks %d\nids%n", &ver, &g->ranks, &used) != 2 ||
        ver != 1 || g->ranks <= 0) {
        snprintf(why, whysize, "%s is damaged or not a metall-c MPI chain manifest", f);
        return EBADMSG;
    }
    for (char *p = body + used; g->n < CV_MAX_IDS && *p == ' ';) {
        char *end;
        g->ids[g->n++] = strtoll(p + 1, &end, 10);
        p = end;
    }
    return 0;
}

static bool listed_in(const struct cv_global *g, int64_t id)
{
    for (int i = 0; g && i < g->n; i++)
        if (g->ids[i] == id)
            return true;
    return false;
}

static const char *state_of(const struct mc_chain_entry *e)
{
    return !e->complete ? "incomplete" : e->restorable ? "complete" : "merged";
}

static const char *kind_of(const struct mc_chain_entry *e)
{
    return e->man.flags & MC_CHAIN_F_FULL ? "full" : e->complete ? "delta" : "-";
}

/* Bytes on disk of the base (image and hashes). */
static uint64_t base_bytes(const char *path)
{
    char b[PATH_MAX];
    uint64_t n = 0;
    if (snprintf(b, sizeof b, "%s/%s", path, MC_CHAIN_BASE_DIR) < (int)sizeof b)
        (void)fs_disk_usage(b, &n);
    return n;
}

static void print_text(const char *path, const char *indent, const struct mc_chain *c,
                       const struct mc_chain_entry *v, size_t n, const struct cv_global *listed)
{
    char uuid[37];
    mgmt_uuid_string(c->uuid, uuid);
    printf("%schain %s: datastore %s, piece %llu bytes, base holds %lld (%llu bytes on disk)%s\n",
           indent, path, uuid, (unsigned long long)c->info.piece_size, (long long)c->base.id,
           (unsigned long long)base_bytes(path),
           c->base.merging_to > c->base.id ? " (a merge is under way)" : "");
    printf("%s%12s  %-10s  %-5s  %10s  %12s  %12s  %-19s%s\n", indent, "id", "state", "kind",
           "changed", "data bytes", "disk bytes", "taken", listed ? "  global manifest" : "");
    for (size_t i = 0; i < n; i++) {
        char when[32] = "-";
        if (v[i].complete) {
            time_t t = (time_t)v[i].man.created_unix;
            strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&t));
        }
        printf("%s%12lld  %-10s  %-5s  %10llu  %12llu  %12llu  %-19s%s\n", indent,
               (long long)v[i].id, state_of(&v[i]), kind_of(&v[i]),
               (unsigned long long)v[i].man.changed, (unsigned long long)v[i].man.data_bytes,
               (unsigned long long)v[i].disk_bytes, when,
               !listed ? "" : listed_in(listed, v[i].id) ? "  listed" : "  not listed");
    }
    int64_t newest = -1;
    for (size_t i = 0; i < n; i++)
        if (v[i].restorable && (!listed || listed_in(listed, v[i].id)))
            newest = v[i].id;
    if (newest >= 0)
        printf("%snewest restorable: %lld\n", indent, (long long)newest);
    else
        printf("%sno restorable checkpoint\n", indent);
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static void print_json(const char *path, const struct mc_chain *c, const struct mc_chain_entry *v,
                       size_t n, const struct cv_global *listed)
{
    char uuid[37];
    mgmt_uuid_string(c->uuid, uuid);
    printf("{\"path\":");
    json_str(path);
    printf(",\"kind\":\"checkpoint chain\",\"datastore_uuid\":\"%s\",\"piece_size\":%llu,"
           "\"base\":%lld,\"base_disk_bytes\":%llu,\"merging\":%s,\"checkpoints\":[",
           uuid, (unsigned long long)c->info.piece_size, (long long)c->base.id,
           (unsigned long long)base_bytes(path),
           c->base.merging_to > c->base.id ? "true" : "false");
    for (size_t i = 0; i < n; i++) {
        printf("%s{\"id\":%lld,\"state\":\"%s\",\"kind\":\"%s\",\"changed\":%llu,"
               "\"data_bytes\":%llu,\"disk_bytes\":%llu,\"taken_unix\":%llu",
               i ? "," : "", (long long)v[i].id, state_of(&v[i]), kind_of(&v[i]),
               (unsigned long long)v[i].man.changed, (unsigned long long)v[i].man.data_bytes,
               (unsigned long long)v[i].disk_bytes,
               (unsigned long long)(v[i].complete ? v[i].man.created_unix : 0));
        if (listed)
            printf(",\"listed\":%s", listed_in(listed, v[i].id) ? "true" : "false");
        putchar('}');
    }
    printf("]}");
}

int cv_print_chain(const char *prog, const char *path, const char *indent, bool json,
                   const struct cv_global *listed)
{
    struct mc_chain c;
    struct mc_chain_entry *v;
    size_t n;
    int rc = chain_open(&c, path, false, false, NULL, NULL);
    if (!rc && (rc = chain_list(&c, &v, &n)))
        chain_close(&c);
    if (rc) {
        fprintf(stderr, "%s: %s\n", prog, metall_errmsg());
        if (json)
            printf("null"); /* the JSON around it stays valid */
        return 1;
    }
    if (json)
        print_json(path, &c, v, n, listed);
    else
        print_text(path, indent, &c, v, n, listed);
    free(v);
    chain_close(&c);
    return 0;
}

/* The ranks in missing[0..n) as "1 3-5 7" on stderr. */
static void print_ranks(const int *missing, int n)
{
    for (int i = 0; i < n; i++) {
        int j = i;
        while (j + 1 < n && missing[j + 1] == missing[j] + 1)
            j++;
        fprintf(stderr, j > i ? " %d-%d" : " %d", missing[i], missing[j]);
        i = j;
    }
}

int cv_print_mpi_root(const char *prog, const char *root, bool json, bool all_ranks)
{
    struct cv_global g;
    char why[PATH_MAX + 128];
    int rc = cv_read_global(root, &g, why, sizeof why);
    if (rc) {
        fprintf(stderr, "%s: %s\n", prog, why);
        return 1;
    }
    if (json) {
        printf("{\"path\":");
        json_str(root);
        printf(",\"kind\":\"MPI checkpoint chain root\",\"ranks\":%d,\"complete_ids\":[", g.ranks);
        for (int i = 0; i < g.n; i++)
            printf("%s%lld", i ? "," : "", (long long)g.ids[i]);
        printf("],\"rank_chains\":[");
    } else {
        printf("MPI checkpoint chain root %s: %d rank%s; complete (global manifest):", root,
               g.ranks, g.ranks == 1 ? "" : "s");
        for (int i = 0; i < g.n; i++)
            printf(" %lld", (long long)g.ids[i]);
        printf("%s\n", g.n ? "" : " none");
    }
    int present = 0, nmissing = 0;
    int *missing = malloc(sizeof *missing * (size_t)g.ranks);
    if (!missing) {
        fprintf(stderr, "%s: %s: out of memory\n", prog, root);
        return 1;
    }
    for (int r = 0; r < g.ranks; r++) {
        char p[PATH_MAX];
        struct stat st;
        snprintf(p, sizeof p, "%s/subdir-%d", root, r);
        if (!cv_is_chain(p) && lstat(p, &st) != 0) {
            missing[nmissing++] = r;
            if (json)
                printf("%s{\"rank\":%d,\"present\":false}", r ? "," : "", r);
            else
                printf("rank %d: MISSING (no subdir-%d here: another node's root, or lost)\n",
                       r, r);
            continue;
        } /* a subdir-RANK that is not a chain: cv_print_chain() says why */
        present++;
        if (json) {
            printf("%s{\"rank\":%d,\"present\":true,\"chain\":", r ? "," : "", r);
            rc |= cv_print_chain(prog, p, "", true, &g);
            printf("}");
        } else {
            printf("rank %d:\n", r);
            rc |= cv_print_chain(prog, p, "  ", false, &g);
        }
    }
    if (json)
        printf("]}\n");
    else
        printf("%d of %d ranks' chains on this host\n", present, g.ranks);
    if (!present) {
        fprintf(stderr, "%s: %s: no rank's chain is on this host\n", prog, root);
        rc = 1;
    } else if (nmissing) {
        fprintf(stderr, "%s: %s: %s%d of %d ranks' chains are not here:", prog, root,
                all_ranks ? "incomplete: " : "(fine for a node-local root) ", nmissing,
                g.ranks);
        print_ranks(missing, nmissing);
        fprintf(stderr, "\n");
        if (all_ranks)
            rc = 1;
    }
    free(missing);
    return rc;
}
