/*
 * metall-checkpoint - show and restore checkpoint chains.
 *
 *   metall-checkpoint ls CHAIN          every checkpoint: id, complete or
 *                                       not, restorable or merged, pieces
 *                                       changed, bytes; the base
 *   metall-checkpoint ls [--local] CHAIN_ROOT
 *                                       an MPI chain root: the global
 *                                       manifest, then each rank's chain;
 *                                       a rank's missing chain is an error
 *                                       unless --local (a node-local root)
 *   metall-checkpoint restore CHAIN [--id N] DST
 *                                       restore checkpoint N (default: the
 *                                       newest) as the new datastore DST
 *
 * Nothing is modified by ls (it waits while a merge holds the chain).
 * Exit status: 0 ok, 1 error (message on stderr), 2 usage error.
 */
#include <metall/metall.h>

#include "chain_view.h"
#include "tool_args.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "metall-checkpoint"

static void usage(FILE *f)
{
    fprintf(f, "usage: " PROG " ls [--local] CHAIN|CHAIN_ROOT\n"
               "       " PROG " restore CHAIN [--id N] DST\n"
               "\n"
               "ls: list the checkpoints of a chain (id, complete, restorable or merged\n"
               "into the base, changed pieces, bytes), or of an MPI chain root (the global\n"
               "manifest's complete ids, then every rank's chain; the ranks whose chain is\n"
               "not there are listed and make it fail, unless --local: a node-local root\n"
               "holds only the chains of its node's ranks).\n"
               "restore: restore checkpoint N (default: the newest complete one) of CHAIN\n"
               "as the new datastore DST. An MPI chain root is restored collectively by\n"
               "metall_mpi_restore() (see mpi/examples/mpi_restart.c).\n"
               "\n"
               "exit status: 0 ok, 1 error, 2 usage error\n");
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return 0;
    }
    if ((argc == 3 || (argc == 4 && !strcmp(argv[2], "--local"))) && !strcmp(argv[1], "ls")) {
        const char *path = argv[argc - 1];
        if (cv_is_mpi_chain_root(path))
            return cv_print_mpi_root(PROG, path, false, argc == 3);
        return cv_print_chain(PROG, path, "", false, NULL);
    }
    /* "restore CHAIN --id" is a missing value, not DST "--id" */
    if (((argc == 4 && strcmp(argv[3], "--id")) || argc == 6) && !strcmp(argv[1], "restore")) {
        long long id = -1;
        if (argc == 6 && strcmp(argv[3], "--id")) {
            usage(stderr);
            return 2;
        }
        /* "--id ''" must not restore checkpoint 0 */
        if (argc == 6 && !tool_parse_count(PROG, "--id", "a checkpoint id (digits)", argv[4],
                                           INT64_MAX, &id))
            return 2;
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
