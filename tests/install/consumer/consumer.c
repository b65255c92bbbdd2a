/*
 * An outside program built against an installed metall-c (find_package or
 * pkg-config): the install test's proof that the installed headers,
 * libraries and package files are complete and agree.
 *
 *   consumer create DIR   make a datastore: a named object "answer" = 42
 *                         and a few anonymous blocks (malloc/free)
 *   consumer check DIR    reopen it, expect answer == 42, remove it
 *
 * The two halves run from different builds (CMake's and pkg-config's), so
 * a datastore made through one install is read through the other.
 */
#include <metall/c_api/metall.h>   /* LLNL Metall's include path */
#include <metall/metall.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int fail(const char *what)
{
    fprintf(stderr, "consumer: %s: %s\n", what, metall_errmsg());
    return 1;
}

static int create(const char *dir)
{
    metall_manager *m = metall_create(dir);
    if (m == NULL)
        return fail("metall_create");
    uint64_t *answer = metall_named_malloc(m, "answer", sizeof *answer);
    if (answer == NULL)
        return fail("metall_named_malloc");
    *answer = 42;
    /* anonymous allocations of a few size classes, half of them freed */
    void *blocks[64];
    for (int i = 0; i < 64; i++) {
        blocks[i] = metall_malloc(m, (size_t)(16 << (i % 8)));
        if (blocks[i] == NULL)
            return fail("metall_malloc");
        memset(blocks[i], i, (size_t)(16 << (i % 8)));
    }
    for (int i = 0; i < 64; i += 2)
        metall_free(m, blocks[i]);
    if (!metall_close(m))
        return fail("metall_close");
    return 0;
}

static int check(const char *dir)
{
    metall_manager *m = metall_open(dir);
    if (m == NULL)
        return fail("metall_open");
    uint64_t *answer = metall_find(m, "answer");
    if (answer == NULL)
        return fail("metall_find");
    if (*answer != 42) {
        fprintf(stderr, "consumer: answer is %llu, not 42\n",
                (unsigned long long)*answer);
        metall_close(m);
        return 1;
    }
    if (!metall_close(m))
        return fail("metall_close");
    if (!metall_remove(dir))
        return fail("metall_remove");
    printf("consumer: %s: answer = 42 (library %s)\n", dir, metall_version());
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "create") == 0)
        return create(argv[2]);
    if (argc == 3 && strcmp(argv[1], "check") == 0)
        return check(argv[2]);
    fprintf(stderr, "usage: consumer create|check DIR\n");
    return 2;
}
