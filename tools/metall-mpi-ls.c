/*
 * metall-mpi-ls - summarise an MPI datastore root: marker, manifest check,
 * and per rank the uuid, size, consistency and whether the subdirectory
 * matches the manifest, then where each rank ran when it created its
 * datastore (ROOT/metall_mpi_placement, or ROOT/placement-RANK of older
 * roots: host, cpuset, NUMA nodes, policy, path).
 * Not an MPI program: run it on each node of a
 * node-local root (it lists the ranks this node holds) or once on a shared
 * root.
 *
 * ROOT may also be an MPI checkpoint chain root (metall_mpi_checkpoint):
 * then the global manifest's complete ids and every rank's chain present
 * here are listed (chain_view.h).
 *
 * Exit status: 0 when the root is a valid MPI datastore and every rank
 * present here matches the manifest and is consistent (with --complete:
 * every rank is present); 1 otherwise; 2 on bad usage.
 */
#include "chain_view.h"
#include "rootfs.h"

#include <metall/metall.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: metall-mpi-ls [--complete] ROOT\n"
            "Summarise the metall-c MPI datastore at ROOT (one datastore per rank in\n"
            "ROOT/subdir-RANK): marker, manifest check, and per rank the host it was\n"
            "written on, uuid, bytes on disk and state; then each rank's placement\n"
            "recorded at create: host, cpuset, NUMA node(s), NUMA policy, datastore.\n"
            "ROOT may also be an MPI checkpoint chain root: its complete ids and each\n"
            "rank's chain (id, complete / merged / incomplete, kind, changed pieces, bytes).\n"
            "  --complete  fail unless every rank's subdirectory is present here\n"
            "              (a shared root; node-local roots hold only their ranks)\n"
            "  --help      this text\n"
            "Exit status: 0 valid, 1 invalid or damaged, 2 bad usage.\n");
}

/* One rank's line; returns whether it is fine (absent counts as fine
 * unless complete is asked). */
static bool list_rank(const char *root, const struct mm_entry *e, int r, bool complete,
                      int *present)
{
    char path[PATH_MAX];
    if (!e->uuid[0]) { /* a partial manifest: a node-local root of another node */
        printf("%5d  %-16s %-36s %14s  not listed here (another node's root)\n", r, "-", "-",
               "-");
        return !complete;
    }
    if (mm_subdir(path, sizeof path, root, r) || mm_is_dir(path) != 0) {
        printf("%5d  %-16s %-36s %14s  absent on this host\n", r, e->host[0] ? e->host : "?",
               e->uuid, "-");
        return !complete;
    }
    (*present)++;
    char uuid[37];
    uint64_t bytes = 0;
    mm_disk_usage(path, &bytes);
    if (!metall_get_uuid(path, uuid)) {
        printf("%5d  %-16s %-36s %14" PRIu64 "  DAMAGED: %s\n", r, e->host, "?", bytes,
               metall_errmsg());
        return false;
    }
    if (strcmp(uuid, e->uuid) != 0) {
        printf("%5d  %-16s %-36s %14" PRIu64 "  MISMATCH: the manifest expects uuid %s\n", r,
               e->host, uuid, bytes, e->uuid);
        return false;
    }
    if (!metall_consistent(path)) {
        printf("%5d  %-16s %-36s %14" PRIu64 "  NOT CONSISTENT: %s\n", r, e->host, uuid,
               bytes, metall_errmsg());
        return false;
    }
    printf("%5d  %-16s %-36s %14" PRIu64 "  consistent\n", r, e->host, uuid, bytes);
    return true;
}

/* The placement section: one line per rank whose report is here. The
 * reports are informational (absent in snapshots, copies and roots of
 * older versions): a missing or damaged one does not make ROOT invalid. */
static void list_placement(const char *root, int parts)
{
    bool header = false;
    int missing = 0;
    char **lines = NULL; /* ROOT/metall_mpi_placement; else format 1's per-rank files */
    int one = mm_read_placements(root, parts, &lines);
    for (int r = 0; r < parts; r++) {
        struct mm_placement p;
        char why[MM_WHY_MAX];
        int rc;
        if (one == ENOENT)
            rc = mm_read_placement(root, r, &p, why, sizeof why);
        else if (one)
            rc = EBADMSG, snprintf(why, sizeof why, "%s/%s is damaged", root, MM_PLACEMENTS_NAME);
        else if (!lines[r])
            rc = ENOENT;
        else if ((rc = mm_placement_parse(lines[r], &p)))
            snprintf(why, sizeof why, "its line in %s/%s is damaged", root, MM_PLACEMENTS_NAME);
        if (rc == ENOENT) {
            missing++;
            continue;
        }
        if (!header) {
            printf("placement (recorded at create):\n%5s  %-16s %-16s %-10s %-12s %s\n",
                   "rank", "host", "cpuset", "numa", "policy", "datastore");
            header = true;
        }
        if (rc)
            printf("%5d  unreadable: %s\n", r, why);
        else
            printf("%5d  %-16s %-16s %-10s %-12s %s\n", r, p.host, p.cpuset, p.nodes, p.policy,
                   p.path);
    }
    mm_free_placements(lines, parts);
    if (!header)
        printf("placement: not recorded here (a snapshot or copy, or another host's ranks)\n");
    else if (missing)
        printf("placement: %d rank%s not recorded here\n", missing, missing == 1 ? "" : "s");
}

int main(int argc, char **argv)
{
    const char *root = NULL;
    bool complete = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--complete") == 0) {
            complete = true;
        } else if (argv[i][0] == '-' || root) {
            usage(stderr);
            return 2;
        } else {
            root = argv[i];
        }
    }
    if (!root) {
        usage(stderr);
        return 2;
    }
    if (cv_is_mpi_chain_root(root))
        return cv_print_mpi_root("metall-mpi-ls", root, false, complete);
    char why[MM_WHY_MAX];
    int parts = 0;
    int rc = mm_read_marker(root, &parts, why, sizeof why);
    if (rc) {
        fprintf(stderr, "metall-mpi-ls: %s is not a metall-c MPI datastore: %s\n", root,
                rc == ENOENT ? "no marker" : why);
        return 1;
    }
    printf("%s: metall-c MPI datastore, format %d, %d partition%s\n", root, MM_FORMAT_VERSION,
           parts, parts == 1 ? "" : "s");
    struct mm_manifest man;
    rc = mm_read_manifest(root, &man, why, sizeof why);
    if (rc == ENOENT) {
        printf("manifest: MISSING: incomplete (an interrupted create, snapshot or copy?); "
               "it will not open\n");
        return 1;
    }
    if (rc) {
        printf("manifest: INVALID: %s\n", why);
        return 1;
    }
    if (man.partitions != parts) {
        printf("manifest: INVALID: %d partitions, the marker says %d\n", man.partitions, parts);
        mm_manifest_free(&man);
        return 1;
    }
    printf("manifest: ok (checksum verified)\n");
    printf("%5s  %-16s %-36s %14s  %s\n", "rank", "host", "uuid", "bytes", "state");
    bool ok = true;
    int present = 0;
    for (int r = 0; r < parts; r++)
        ok &= list_rank(root, &man.entries[r], r, complete, &present);
    list_placement(root, parts);
    mm_manifest_free(&man);
    if (present == 0) {
        printf("no rank's subdirectory is on this host\n");
        ok = false;
    }
    printf("%d of %d ranks on this host; %s\n", present, parts, ok ? "valid" : "INVALID");
    return ok ? 0 : 1;
}
