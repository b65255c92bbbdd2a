/*
 * snapshot_restore.c - protect a datastore with a snapshot, lose the
 * original in a crash, and restore it from the snapshot.
 *
 *   snapshot_restore [DIR]     (default: /tmp/metallc-example-snapshot-PID)
 *
 * Steps:
 *   1. build data in DIR/original and take a snapshot into DIR/snapshot
 *      (metall_snapshot: a consistent copy, cloned when the file system can
 *      reflink, otherwise copied sparsely);
 *   2. a child process opens the original, changes it and dies without
 *      closing it: the original is now "not closed properly" and
 *      metall_open() refuses it (ENOTRECOVERABLE), since its heap may be
 *      half-written;
 *   3. remove the damaged original and restore it with metall_copy() from
 *      the snapshot, reopen and verify the data is what the snapshot holds.
 */
#include <metall/metall.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 100000

static int fail(const char *what)
{
    fprintf(stderr, "snapshot_restore: %s: %s\n", what, metall_errmsg());
    return 1;
}

/* Step 1: build the data and snapshot it. */
static int build_and_snapshot(const char *orig, const char *snap)
{
    metall_manager *m = metall_create(orig);
    if (!m)
        return fail("create");
    uint64_t *data = metall_named_malloc(m, "data", N * sizeof *data);
    if (!data) {
        metall_close(m);
        return fail("named_malloc");
    }
    for (uint64_t i = 0; i < N; i++)
        data[i] = 3 * i;
    /* the snapshot is taken while the datastore is open: no need to close */
    if (!metall_snapshot(m, snap)) {
        metall_close(m);
        return fail("snapshot");
    }
    if (!metall_close(m))
        return fail("close");
    printf("snapshot_restore: built %d values in %s, snapshot in %s\n", N, orig, snap);
    return 0;
}

/* Step 2: a process that opens the original, scribbles and "crashes". */
static int crash_while_open(const char *orig)
{
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        metall_manager *m = metall_open(orig);
        if (!m)
            _exit(2);
        uint64_t *data = metall_find(m, "data");
        if (data)
            data[0] = 12345; /* a change the snapshot does not have */
        _exit(0);            /* no metall_close(): as if the process died */
    }
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "snapshot_restore: the crashing child failed to open the datastore\n");
        return 1;
    }
    /* the library notices: the original is no longer consistent */
    if (metall_consistent(orig)) {
        fprintf(stderr, "snapshot_restore: expected the original to be inconsistent\n");
        return 1;
    }
    printf("snapshot_restore: child crashed while the original was open; the library says:\n"
           "  %s\n",
           metall_errmsg());
    return 0;
}

/* Step 3: restore from the snapshot and verify. */
static int restore_and_verify(const char *orig, const char *snap)
{
    metall_manager *m = metall_open(orig);
    if (m || errno != ENOTRECOVERABLE) { /* it must be refused */
        fprintf(stderr, "snapshot_restore: opening the crashed original should fail\n");
        if (m)
            metall_close(m);
        return 1;
    }
    if (!metall_remove(orig))
        return fail("remove the damaged original");
    if (!metall_copy(snap, orig)) /* the restore itself */
        return fail("copy the snapshot back");

    m = metall_open(orig);
    if (!m)
        return fail("open the restored datastore");
    size_t len = 0;
    uint64_t *data = metall_named_find(m, "data", &len);
    size_t good = 0;
    for (uint64_t i = 0; data && i < len / sizeof *data; i++)
        good += data[i] == 3 * i;
    metall_close(m);
    if (good != N) {
        fprintf(stderr, "snapshot_restore: only %zu of %d values match after restore\n", good,
                N);
        return 1;
    }
    printf("snapshot_restore: restored from the snapshot, all %d values verified\n", N);
    return 0;
}

int main(int argc, char **argv)
{
    char dir[4000];
    if (argc > 1)
        snprintf(dir, sizeof dir, "%s", argv[1]);
    else
        snprintf(dir, sizeof dir, "/tmp/metallc-example-snapshot-%d", (int)getpid());
    bool made_dir = mkdir(dir, 0755) == 0;
    if (!made_dir && errno != EEXIST) {
        perror(dir);
        return 1;
    }
    char orig[4096], snap[4096];
    snprintf(orig, sizeof orig, "%s/original", dir);
    snprintf(snap, sizeof snap, "%s/snapshot", dir);

    int rc = build_and_snapshot(orig, snap);
    if (!rc)
        rc = crash_while_open(orig);
    if (!rc)
        rc = restore_and_verify(orig, snap);

    /* clean up both datastores (and DIR if this run made it) */
    metall_remove(orig);
    metall_remove(snap);
    if (made_dir)
        rmdir(dir);
    if (!rc)
        printf("snapshot_restore: ok\n");
    return rc;
}
