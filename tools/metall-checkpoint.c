/*
 * metall-checkpoint - show and restore checkpoint chains.
 *
 *   metall-checkpoint ls CHAIN          every checkpoint: id, complete or
 *                                       not, restorable or merged, pieces
 *                                       changed, bytes; the base
 *   metall-checkpoint ls CHAIN_ROOT     an MPI chain root: the global
 *                                       manifest, then each rank's chain
 *   metall-checkpoint restore CHAIN [--id N] DST
 *                                       restore checkpoint N (default: the
 *                                       newest) as the new datastore DST
 *
 * Nothing is modified by ls (it waits while a merge holds the chain).
 * Exit status: 0 ok, 1 error (message on stderr), 2 usage error.
 */
#include <metall/metall.h>

#include "chain.h"
#include "mgmt.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROG "metall-checkpoint"

static void usage(FILE *f)
{
    fprintf(f, "usage: " PROG " ls CHAIN|CHAIN_ROOT\n"
               "       " PROG " restore CHAIN [--id N] DST\n"
               "\n"
               "ls: list the checkpoints of a chain (id, complete, restorable or merged\n"
               "into the base, changed pieces, bytes), or of an MPI chain root (the global\n"
               "manifest's complete ids, then every rank's chain).\n"
               "restore: restore checkpoint N (default: the newest complete one) of CHAIN\n"
               "as the new datastore DST. An MPI chain root is restored collectively by\n"
               "metall_mpi_restore() (see mpi/examples/mpi_restart.c).\n"
               "\n"
               "exit status: 0 ok, 1 error, 2 usage error\n");
}

static int list_chain(const char *path, const char *indent)
{
    struct mc_chain c;
    if (chain_open(&c, path, false, false, NULL, NULL)) {
        fprintf(stderr, PROG ": %s\n", metall_errmsg());
        return 1;
    }
    struct mc_chain_entry *v;
    size_t n;
    int rc = chain_list(&c, &v, &n);
    if (rc) {
        fprintf(stderr, PROG ": %s\n", metall_errmsg());
        chain_close(&c);
        return 1;
    }
    char uuid[37];
    mgmt_uuid_string(c.uuid, uuid);
    printf("%schain %s: datastore %s, piece %llu bytes, base holds %lld%s\n", indent, path, uuid,
           (unsigned long long)c.info.piece_size, (long long)c.base.id,
           c.base.merging_to > c.base.id ? " (a merge is under way)" : "");
    printf("%s%12s  %-10s  %-10s  %10s  %12s  %12s  %s\n", indent, "id", "state", "kind", "changed",
           "data bytes", "disk bytes", "taken");
    for (size_t i = 0; i < n; i++) {
        char when[32] = "-";
        if (v[i].complete) {
            time_t t = (time_t)v[i].man.created_unix;
            strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&t));
        }
        printf("%s%12lld  %-10s  %-10s  %10llu  %12llu  %12llu  %s\n", indent, (long long)v[i].id,
               !v[i].complete ? "incomplete" : v[i].restorable ? "complete" : "merged",
               v[i].man.flags & MC_CHAIN_F_FULL ? "full" : v[i].complete ? "delta" : "-",
               (unsigned long long)v[i].man.changed, (unsigned long long)v[i].man.data_bytes,
               (unsigned long long)v[i].disk_bytes, when);
    }
    free(v);
    chain_close(&c);
    return 0;
}

static int list_root(const char *root, const char *manifest)
{
    FILE *f = fopen(manifest, "r");
    char line[2048];
    printf("MPI chain root %s, global manifest:\n", root);
    while (f && fgets(line, sizeof line, f))
        printf("  %s", line);
    if (f)
        fclose(f);
    int rc = 0;
    for (int r = 0;; r++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/subdir-%d", root, r);
        FILE *probe = fopen(p, "r"); /* a directory opens for reading */
        if (!probe)
            break;
        fclose(probe);
        printf("rank %d:\n", r);
        rc |= list_chain(p, "  ");
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "ls")) {
        char m[4200];
        snprintf(m, sizeof m, "%s/metall_mpi_chain", argv[2]);
        FILE *f = fopen(m, "r");
        if (f) {
            fclose(f);
            return list_root(argv[2], m);
        }
        return list_chain(argv[2], "");
    }
    if ((argc == 4 || argc == 6) && !strcmp(argv[1], "restore")) {
        long long id = -1;
        if (argc == 6) {
            char *end;
            id = strcmp(argv[3], "--id") ? -2 : strtoll(argv[4], &end, 10);
            if (id < 0 || *end) {
                usage(stderr);
                return 2;
            }
        }
        if (!metall_restore(argv[2], id, argv[argc - 1])) {
            fprintf(stderr, PROG ": %s\n", metall_errmsg());
            return 1;
        }
        printf("restored checkpoint %s of %s as %s\n", id < 0 ? "(newest)" : argv[4], argv[2],
               argv[argc - 1]);
        return 0;
    }
    usage(stderr);
    return 2;
}
