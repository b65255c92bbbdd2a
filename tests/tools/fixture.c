/*
 * fixture - makes datastores in known states for the tool tests
 * (tests/tools/test_*.cmake):
 *
 *   fixture good DIR        a closed datastore: a description and three
 *                           named objects, one with a name and description
 *                           that need JSON escaping
 *   fixture crashed DIR     a datastore whose writer died without closing
 *   fixture truncate FILE N cut FILE to N bytes (damage for metall-check)
 *   fixture hold DIR CMD... open DIR for writing, run CMD while it is
 *                           open, close; exit with CMD's status
 *   fixture chain DS CHAIN N  a good datastore DS with N checkpoints (ids
 *                           1..N) in the chain CHAIN
 *   fixture mpiroot ROOT P  an MPI chain root of P ranks: ROOT/subdir-R
 *                           the chain (one checkpoint) of datastore
 *                           ROOT.ds-R, and the global manifest listing id 1
 */
#include <metall/metall.h>

#include "fsutil.h" /* fs_fnv1a: the global manifest's sum */

#include <inttypes.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char *what)
{
    fprintf(stderr, "fixture: %s: %s\n", what, metall_errmsg());
    return 1;
}

static int make_good(const char *dir)
{
    metall_manager *m = metall_create(dir);
    if (!m)
        return fail("create");
    if (!metall_set_description(m, "tool test \"fixture\"\nsecond line"))
        return fail("set_description");
    long *a = metall_named_malloc(m, "array", 100 * sizeof(long));
    if (!a)
        return fail("named_malloc array");
    for (int i = 0; i < 100; i++)
        a[i] = i;
    if (!metall_named_set_description(m, "array", "100 longs"))
        return fail("named_set_description");
    if (!metall_named_malloc(m, "big", (size_t)3 << 20))
        return fail("named_malloc big");
    /* quote, backslash, tab and a non-ASCII (UTF-8) letter */
    const char *odd = "we\"ird\\na\tme-\xc3\xa9";
    if (!metall_named_malloc(m, odd, 8) ||
        !metall_named_set_description(m, odd, "ctrl \x01 and bad utf8 \xff"))
        return fail("named_malloc odd");
    for (int i = 0; i < 1000; i++) /* some anonymous objects too */
        if (!metall_malloc(m, 48))
            return fail("malloc");
    if (!metall_close(m))
        return fail("close");
    return 0;
}

static int make_crashed(const char *dir)
{
    int rc = make_good(dir);
    if (rc)
        return rc;
    metall_manager *m = metall_open(dir);
    if (!m)
        return fail("open");
    if (!metall_malloc(m, 1000))
        return fail("malloc");
    _exit(0); /* die while it is open: no close, no closed mark */
}

static int hold(const char *dir, char **cmd)
{
    metall_manager *m = metall_open(dir);
    if (!m)
        return fail("open");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execv(cmd[0], cmd);
        perror(cmd[0]);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        status = 127 << 8;
    if (!metall_close(m))
        return fail("close");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int make_chain(const char *ds, const char *chain, int n)
{
    int rc = make_good(ds);
    if (rc)
        return rc;
    metall_manager *m = metall_open(ds);
    if (!m)
        return fail("open");
    for (int i = 0; i < n; i++) {
        long *v = metall_malloc(m, sizeof *v); /* a change for each one */
        if (!v || !metall_checkpoint(m, chain, NULL))
            return fail("checkpoint");
    }
    return metall_close(m) ? 0 : fail("close");
}

/* The layout of mpi/checkpoint.c, as a P-rank job would leave it. */
static int make_mpi_root(const char *root, int ranks)
{
    char ds[4096], chain[4096], body[256];
    for (int r = 0; r < ranks; r++) {
        snprintf(ds, sizeof ds, "%s.ds-%d", root, r);
        snprintf(chain, sizeof chain, "%s/subdir-%d", root, r);
        int rc = make_chain(ds, chain, 1);
        if (rc)
            return rc;
    }
    int len = snprintf(body, sizeof body, "metall-c-mpi-chain 1\nranks %d\nids 1\n", ranks);
    snprintf(body + len, sizeof body - (size_t)len, "sum %016" PRIx64 "\n",
             fs_fnv1a(body, (size_t)len));
    snprintf(chain, sizeof chain, "%s/metall_mpi_chain", root);
    FILE *f = fopen(chain, "w");
    if (!f || fputs(body, f) < 0 || fclose(f) != 0) {
        perror(chain);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "hold"))
        return hold(argv[2], argv + 3);
    if (argc == 3 && !strcmp(argv[1], "good"))
        return make_good(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "crashed"))
        return make_crashed(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "truncate")) {
        if (truncate(argv[2], strtol(argv[3], NULL, 10)) != 0) {
            perror(argv[2]);
            return 1;
        }
        return 0;
    }
    if (argc == 5 && !strcmp(argv[1], "chain"))
        return make_chain(argv[2], argv[3], atoi(argv[4]));
    if (argc == 4 && !strcmp(argv[1], "mpiroot"))
        return make_mpi_root(argv[2], atoi(argv[3]));
    fprintf(stderr, "usage: fixture good|crashed DIR | truncate FILE N | hold DIR CMD...\n"
                    "       fixture chain DS CHAIN N | mpiroot ROOT RANKS\n");
    return 2;
}
