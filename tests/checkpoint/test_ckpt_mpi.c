/*
 * test_ckpt_mpi.c - MPI checkpoints and a pending asynchronous one (label
 * mpi, np 1 and 2):
 *  - metall_mpi_close() with an asynchronous checkpoint pending completes
 *    it first (the global manifest lists it, it restores with the values
 *    of its cut); the request then reports the outcome without the handle;
 *  - a later metall_mpi_checkpoint() completes the pending one first, then
 *    takes its own: both are listed and restore exactly;
 *  - async asked for on some ranks only is a synchronous checkpoint on all
 *    (no rank is left with a pending request the others do not have);
 *  - the global manifest is written through a temporary name of its own
 *    writer: a metall_mpi_chain.tmp already there (a killed run's, another
 *    writer's, a symlink) is neither written through nor renamed into place.
 */
#include "mpi_test_util.h"

#define NV 100000

/* The ids the global manifest of chain lists, as "1 2 3" (rank 0 reads,
 * all learn). */
static void listed_ids(const char *chain, char *out, size_t size)
{
    char f[PATH_MAX + 32], line[512] = "";
    if (g_rank == 0) {
        snprintf(f, sizeof f, "%s/metall_mpi_chain", chain);
        FILE *fp = fopen(f, "r");
        while (fp && fgets(line, sizeof line, fp))
            if (strncmp(line, "ids", 3) == 0)
                break;
        if (fp)
            fclose(fp);
        line[strcspn(line, "\n")] = '\0';
    }
    MPI_Bcast(line, sizeof line, MPI_CHAR, 0, MPI_COMM_WORLD);
    snprintf(out, size, "%s", strncmp(line, "ids", 3) == 0 ? line + (line[3] ? 4 : 3) : "?");
}

/* Restore id of chain into a new root and check its values (seed). */
static void check_restore(const char *chain, int64_t id, const char *name, uint64_t seed)
{
    char dst[PATH_MAX];
    path_of(dst, "%s", name);
    CHECK_ALL(metall_mpi_restore(chain, id, dst, MPI_COMM_WORLD));
    metall_mpi *h = metall_mpi_open(dst, MPI_COMM_WORLD);
    CHECK_ALL(h != NULL);
    CHECK_ALL(values_ok(metall_mpi_local(h), NV, seed));
    CHECK_ALL(metall_mpi_close(h));
}

static metall_mpi *make(const char *ds)
{
    metall_mpi *h = metall_mpi_create(ds, MPI_COMM_WORLD, NULL);
    CHECK_ALL(h != NULL);
    CHECK_ALL(write_values(metall_mpi_local(h), NV, 1));
    return h;
}

static void set_values(metall_mpi *h, uint64_t seed)
{
    uint64_t *a = metall_named_find(metall_mpi_local(h), "values", NULL);
    for (size_t i = 0; a && i < NV; i++)
        a[i] = value_at(g_rank, seed, i);
    CHECK_ALL(a != NULL);
}

static void test_close_pending(void **state)
{
    (void)state;
    char ds[PATH_MAX], chain[PATH_MAX], ids[512];
    path_of(ds, "ds");
    path_of(chain, "chain");
    metall_mpi *h = make(ds);
    metall_checkpoint_options o = {.keep = 5};
    CHECK_ALL(metall_mpi_checkpoint(h, chain, &o, NULL)); /* 1 */
    set_values(h, 2);
    o.async = true;
    metall_mpi_request *req = NULL;
    CHECK_ALL(metall_mpi_checkpoint(h, chain, &o, &req)); /* 2, pending */
    CHECK_ALL(req != NULL);
    set_values(h, 3); /* after the cut */
    listed_ids(chain, ids, sizeof ids);
    CHECK_ALL(strcmp(ids, "1") == 0); /* not complete before it is committed */
    CHECK_ALL(metall_mpi_close(h));   /* waits for 2 and commits it */
    listed_ids(chain, ids, sizeof ids);
    if (strcmp(ids, "1 2") != 0)
        print_error("rank %d: the manifest lists \"%s\"\n", g_rank, ids);
    CHECK_ALL(strcmp(ids, "1 2") == 0);
    CHECK_ALL(metall_mpi_checkpoint_wait(req)); /* its outcome; the handle is gone */
    check_restore(chain, 2, "r2", 2);
    check_restore(chain, 1, "r1", 1);
    /* the datastore itself closed with the values written after the cut */
    h = metall_mpi_open(ds, MPI_COMM_WORLD);
    CHECK_ALL(h != NULL && values_ok(metall_mpi_local(h), NV, 3));
    CHECK_ALL(metall_mpi_close(h));
}

static void test_checkpoint_pending(void **state)
{
    (void)state;
    char ds[PATH_MAX], chain[PATH_MAX], ids[512];
    path_of(ds, "ds");
    path_of(chain, "chain");
    metall_mpi *h = make(ds);
    metall_checkpoint_options o = {.keep = 5, .async = true};
    metall_mpi_request *r1 = NULL, *r2 = NULL;
    CHECK_ALL(metall_mpi_checkpoint(h, chain, &o, &r1)); /* 1 (full: written at once) */
    set_values(h, 2);
    CHECK_ALL(metall_mpi_checkpoint(h, chain, &o, &r2)); /* completes 1, then 2 pending */
    CHECK_ALL(metall_mpi_checkpoint_wait(r1));
    set_values(h, 3);
    o.async = false;
    CHECK_ALL(metall_mpi_checkpoint(h, chain, &o, NULL)); /* completes 2, then 3 */
    CHECK_ALL(metall_mpi_checkpoint_wait(r2));
    listed_ids(chain, ids, sizeof ids);
    CHECK_ALL(strcmp(ids, "1 2 3") == 0);
    CHECK_ALL(metall_mpi_close(h));
    check_restore(chain, 1, "r1", 1);
    check_restore(chain, 2, "r2", 2);
    check_restore(chain, 3, "r3", 3);
}

static void test_async_some_ranks(void **state)
{
    (void)state;
    char ds[PATH_MAX], chain[PATH_MAX], ids[512];
    path_of(ds, "ds");
    path_of(chain, "chain");
    metall_mpi *h = make(ds);
    metall_checkpoint_options o = {.keep = 5, .async = true};
    metall_mpi_request *req = NULL;
    /* rank 0 asks for async without a request: every rank checkpoints synchronously */
    CHECK_ALL(metall_mpi_checkpoint(h, chain, &o, g_rank == 0 ? NULL : &req));
    CHECK_ALL(req == NULL);
    listed_ids(chain, ids, sizeof ids);
    CHECK_ALL(strcmp(ids, "1") == 0);
    CHECK_ALL(metall_mpi_close(h));
    CHECK_ALL(!metall_mpi_checkpoint_wait(NULL));
}

static void test_manifest_tmp(void **state)
{
    (void)state;
    char ds[PATH_MAX], chain[PATH_MAX], tmp[PATH_MAX + 32], victim[PATH_MAX], f[PATH_MAX + 32];
    char ids[512], text[64] = "";
    path_of(ds, "ds");
    path_of(chain, "chain");
    path_of(victim, "victim");
    metall_mpi *h = make(ds);
    metall_checkpoint_options o = {.keep = 5};
    CHECK_ALL(metall_mpi_checkpoint(h, chain, &o, NULL)); /* 1 */
    /* the fixed name the writer used, taken by a symlink to a user's file */
    snprintf(tmp, sizeof tmp, "%s/metall_mpi_chain.tmp", chain);
    if (g_rank == 0) {
        FILE *v = fopen(victim, "w");
        fputs("precious\n", v);
        fclose(v);
        if (symlink(victim, tmp) != 0)
            print_error("symlink %s: %s\n", tmp, strerror(errno));
    }
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK_ALL(metall_mpi_checkpoint(h, chain, &o, NULL)); /* 2 */
    listed_ids(chain, ids, sizeof ids);
    CHECK_ALL(strcmp(ids, "1 2") == 0);
    struct stat st;
    snprintf(f, sizeof f, "%s/metall_mpi_chain", chain);
    CHECK_ALL(g_rank || (lstat(f, &st) == 0 && S_ISREG(st.st_mode))); /* not the symlink */
    if (g_rank == 0) {
        FILE *v = fopen(victim, "r");
        if (!v || !fgets(text, sizeof text, v))
            text[0] = '\0';
        if (v)
            fclose(v);
    }
    CHECK_ALL(g_rank || strcmp(text, "precious\n") == 0); /* not written through */
    /* and no temporary of the writer is left beside it */
    int left = 0;
    DIR *d = g_rank ? NULL : opendir(chain);
    for (struct dirent *de; d && (de = readdir(d));)
        left += strstr(de->d_name, "metall_mpi_chain.tmp-") != NULL;
    if (d)
        closedir(d);
    CHECK_ALL(left == 0);
    CHECK_ALL(metall_mpi_close(h));
    check_restore(chain, 2, "r2", 1);
}

int main(int argc, char **argv)
{
    mpi_test_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_close_pending, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_pending, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_async_some_ranks, scratch_setup, scratch_teardown),
        cmocka_unit_test_setup_teardown(test_manifest_tmp, scratch_setup, scratch_teardown),
    };
    int failed = cmocka_run_group_tests_name("ckpt_mpi", tests, NULL, NULL);
    return mpi_test_finish(failed);
}
