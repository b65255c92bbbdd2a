/*
 * basic.c - the smallest metall-c program: create a datastore, allocate and
 * free memory in it, close it.
 *
 *   basic [DIR]      (default DIR: /tmp/metallc-example-basic-PID)
 *
 * The datastore is made at DIR/datastore; DIR is created if missing and
 * removed at the end if this run created it.
 *
 * A datastore is a directory of memory-mapped files. metall_malloc() works
 * like malloc(), but the memory lives in those files, so whatever you store
 * there is still on disk after metall_close() (see named_reattach.c for how
 * to find it again in a later run). This example removes the datastore at
 * the end so it leaves nothing behind.
 */
#include <metall/metall.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char dir[4000], path[4096];
    if (argc > 1)
        snprintf(dir, sizeof dir, "%s", argv[1]);
    else
        snprintf(dir, sizeof dir, "/tmp/metallc-example-basic-%d", (int)getpid());
    bool made_dir = mkdir(dir, 0755) == 0;
    if (!made_dir && errno != EEXIST) {
        perror(dir);
        return 1;
    }
    snprintf(path, sizeof path, "%s/datastore", dir);

    /* 1. Create a new datastore (the directory must not exist yet). Every
     *    metall function reports failure by its return value, sets errno,
     *    and explains itself in metall_errmsg(). */
    metall_manager *m = metall_create(path);
    if (!m) {
        fprintf(stderr, "basic: %s\n", metall_errmsg());
        return 1;
    }

    /* 2. Allocate: the memory is ordinary memory you can read and write. */
    char *greeting = metall_malloc(m, 64);
    double *numbers = metall_calloc(m, 1000, sizeof(double)); /* zeroed */
    if (!greeting || !numbers) {
        fprintf(stderr, "basic: allocation failed: %s\n", metall_errmsg());
        metall_close(m);
        metall_remove(path);
        if (made_dir)
            rmdir(dir);
        return 1;
    }
    strcpy(greeting, "hello from a persistent heap");
    for (int i = 0; i < 1000; i++)
        numbers[i] = i * 0.5;

    /* 3. Free what you no longer need, exactly like free(). */
    metall_free(m, numbers);

    metall_stats st;
    if (metall_get_stats(m, &st))
        printf("basic: \"%s\"; %zu bytes allocated in %s\n", greeting, st.allocated_bytes,
               path);

    /* 4. Close: writes everything to disk and marks the datastore as closed
     *    properly. A datastore that is not closed (the program crashed) is
     *    refused by metall_open() later: restore it from a snapshot. */
    if (!metall_close(m)) {
        fprintf(stderr, "basic: %s\n", metall_errmsg());
        return 1;
    }

    /* 5. Clean up: delete the datastore (a real program would keep it). */
    if (!metall_remove(path)) {
        fprintf(stderr, "basic: %s\n", metall_errmsg());
        return 1;
    }
    if (made_dir)
        rmdir(dir);
    printf("basic: ok\n");
    return 0;
}
