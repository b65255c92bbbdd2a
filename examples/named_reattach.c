/*
 * named_reattach.c - keep data across runs: store objects under names in
 * one run, find them again by name in the next.
 *
 *   named_reattach [DIR]     (default DIR: /tmp/metallc-example-named)
 *
 * Run it twice:
 *   1st run: DIR/store does not exist: create it, put a counter, an array
 *            and a string under names, close, and exit.
 *   2nd run: DIR/store exists: open it (a new process, so the heap may be
 *            mapped at another address), find the objects by name, print
 *            them, and remove the datastore.
 *
 * Names are how a later run gets hold of its data: metall_find() returns
 * the object's address in *this* process.
 */
#include <metall/metall.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define N 10

static int fail(const char *what)
{
    fprintf(stderr, "named_reattach: %s: %s\n", what, metall_errmsg());
    return 1;
}

/* Run 1: create the datastore and its named objects. */
static int first_run(const char *path)
{
    metall_manager *m = metall_create(path);
    if (!m)
        return fail("create");

    /* metall_named_malloc(m, name, size) allocates and registers a name */
    uint64_t *counter = metall_named_malloc(m, "counter", sizeof *counter);
    int32_t *squares = metall_named_malloc(m, "squares", N * sizeof *squares);
    const char *text = "written by the first run";
    char *message = metall_named_malloc(m, "message", strlen(text) + 1);
    if (!counter || !squares || !message) {
        metall_close(m);
        metall_remove(path);
        return fail("named_malloc");
    }
    *counter = 1;
    for (int i = 0; i < N; i++)
        squares[i] = i * i;
    strcpy(message, text);
    /* a named object can carry a description, shown by metall-ls */
    metall_named_set_description(m, "squares", "i*i for i in 0..9");

    if (!metall_close(m))
        return fail("close");
    printf("named_reattach: run 1 (pid %d) stored 3 named objects in %s; "
           "run me again to read them back\n",
           (int)getpid(), path);
    return 0;
}

/* Run 2: reopen, find by name, print, clean up. */
static int second_run(const char *path)
{
    metall_manager *m = metall_open(path);
    if (!m)
        return fail("open");

    size_t length = 0;
    uint64_t *counter = metall_find(m, "counter");
    int32_t *squares = metall_named_find(m, "squares", &length); /* + its length */
    char *message = metall_find(m, "message");
    if (!counter || !squares || !message) {
        metall_close(m);
        return fail("find");
    }
    int bad = length != N * sizeof *squares;
    printf("named_reattach: run 2 (pid %d) found:\n", (int)getpid());
    printf("  counter = %llu\n", (unsigned long long)*counter);
    printf("  squares = [");
    for (size_t i = 0; i < length / sizeof *squares; i++) {
        printf("%s%d", i ? ", " : "", squares[i]);
        bad |= squares[i] != (int32_t)(i * i);
    }
    printf("] (%zu bytes)\n", length);
    printf("  message = \"%s\"\n", message);
    bad |= *counter != 1 || strcmp(message, "written by the first run") != 0;

    if (!metall_close(m))
        return fail("close");
    if (!metall_remove(path)) /* the example cleans up after itself */
        return fail("remove");
    printf("named_reattach: %s\n", bad ? "MISMATCH" : "all values as stored; datastore removed");
    return bad;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp/metallc-example-named";
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        perror(dir);
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/store", dir);
    struct stat st;
    if (stat(path, &st) != 0)
        return first_run(path);
    int rc = second_run(path);
    if (argc <= 1)
        rmdir(dir); /* the default directory; a DIR given by the user stays */
    return rc;
}
