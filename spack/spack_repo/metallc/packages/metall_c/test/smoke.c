/* Stand-alone test of the Spack install: create a datastore, store a named
 * object, reopen, check it, remove. Prints "metallc smoke: ok". */
#include <metall/metall.h>

#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "smoke-datastore";
    metall_remove(dir); /* a leftover of an earlier run; ENOENT is fine */
    metall_manager *m = metall_create(dir);
    uint64_t *v = m ? metall_named_malloc(m, "value", sizeof *v) : NULL;
    if (v == NULL) {
        fprintf(stderr, "create: %s\n", metall_errmsg());
        return 1;
    }
    *v = 0x5eed;
    void *p = metall_malloc(m, 1000);
    metall_free(m, p);
    if (!metall_close(m)) {
        fprintf(stderr, "close: %s\n", metall_errmsg());
        return 1;
    }
    m = metall_open(dir);
    v = m ? metall_find(m, "value") : NULL;
    if (v == NULL || *v != 0x5eed) {
        fprintf(stderr, "reopen: %s\n", metall_errmsg());
        return 1;
    }
    if (!metall_close(m) || !metall_remove(dir)) {
        fprintf(stderr, "close/remove: %s\n", metall_errmsg());
        return 1;
    }
    printf("metallc smoke: ok (%s)\n", metall_version());
    return 0;
}
