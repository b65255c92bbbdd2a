/*
 * demo.c - metall-c in one command: data written by one process is read
 * back, in place, by another.
 *
 *   demo [DIR] [COUNT]   (default DIR: /tmp/metallc-demo-PID, COUNT 1000000)
 *
 * The datastore is made at DIR/datastore; DIR is created if missing and
 * removed at the end if this run created it.
 *
 * 1. This process creates a datastore in DIR, allocates a named array of
 *    COUNT 64-bit values in it, fills it, describes it, and closes it.
 * 2. It then starts a SECOND PROCESS (fork + exec of this program with
 *    --verify) that opens the datastore read-only, finds the array by name
 *    and checks every value: nothing is parsed or copied, the array is
 *    simply mapped into the new process.
 * 3. The first process removes the datastore and exits with the verifier's
 *    status: 0 only if every value matched.
 */
#include <metall/metall.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The value stored at index i: cheap, and different for every i. */
static uint64_t value_at(uint64_t i)
{
    return i * 0x9E3779B97F4A7C15ull ^ (i >> 7);
}

/* Step 2, in the second process. */
static int verify(const char *path, uint64_t count)
{
    metall_manager *m = metall_open_read_only(path);
    if (!m) {
        fprintf(stderr, "demo: %s\n", metall_errmsg());
        return 1;
    }
    size_t length = 0;
    const uint64_t *values = metall_named_find(m, "values", &length);
    uint64_t good = 0;
    if (values && length == count * sizeof *values)
        for (uint64_t i = 0; i < count; i++)
            good += values[i] == value_at(i);
    metall_close(m);
    if (good != count) {
        fprintf(stderr, "demo: only %llu of %llu values matched in process %d\n",
                (unsigned long long)good, (unsigned long long)count, (int)getpid());
        return 1;
    }
    printf("demo: verified %llu values after reopen in process %d\n", (unsigned long long)count,
           (int)getpid());
    return 0;
}

/* Step 1. */
static int write_data(const char *path, uint64_t count)
{
    metall_manager *m = metall_create(path);
    if (!m) {
        fprintf(stderr, "demo: %s\n", metall_errmsg());
        return 1;
    }
    uint64_t *values = metall_named_malloc(m, "values", count * sizeof *values);
    if (!values) {
        fprintf(stderr, "demo: %s\n", metall_errmsg());
        metall_close(m);
        metall_remove(path);
        return 1;
    }
    for (uint64_t i = 0; i < count; i++)
        values[i] = value_at(i);
    char text[128];
    snprintf(text, sizeof text, "metall-c demo: %llu values", (unsigned long long)count);
    metall_set_description(m, text);                       /* of the datastore */
    metall_named_set_description(m, "values", "value_at(i) for i < count"); /* of the array */
    if (!metall_close(m)) { /* persist, mark as closed properly */
        fprintf(stderr, "demo: %s\n", metall_errmsg());
        metall_remove(path);
        return 1;
    }
    printf("demo: wrote %llu values (%.1f MiB) to %s in process %d\n",
           (unsigned long long)count, (double)(count * sizeof *values) / (1 << 20), path,
           (int)getpid());
    return 0;
}

/* Run this program again as a separate process: fork, then exec. */
static int run_verifier(const char *self, const char *path, uint64_t count)
{
    char n[32];
    snprintf(n, sizeof n, "%llu", (unsigned long long)count);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("demo: fork");
        return 1;
    }
    if (pid == 0) {
        char *args[] = {(char *)self, "--verify", (char *)path, n, NULL};
        execv("/proc/self/exe", args); /* the running binary, wherever it is */
        execv(self, args);             /* without /proc */
        perror("demo: exec");
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            perror("demo: waitpid");
            return 1;
        }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--verify") == 0)
        return verify(argv[2], strtoull(argv[3], NULL, 10));
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: demo [DIR] [COUNT]\n"
               "Write COUNT values (default 1000000) into a datastore in DIR (default\n"
               "/tmp/metallc-demo-PID), reopen it in a second process and verify\n"
               "them, then remove it.\n");
        return 0;
    }

    char dir[4000], path[4096];
    if (argc > 1)
        snprintf(dir, sizeof dir, "%s", argv[1]);
    else
        snprintf(dir, sizeof dir, "/tmp/metallc-demo-%d", (int)getpid());
    uint64_t count = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
    if (count == 0 || count > ((uint64_t)1 << 34)) {
        fprintf(stderr, "demo: COUNT must be between 1 and 2^34\n");
        return 2;
    }
    bool made_dir = mkdir(dir, 0755) == 0;
    if (!made_dir && errno != EEXIST) {
        perror(dir);
        return 1;
    }
    snprintf(path, sizeof path, "%s/datastore", dir);

    int rc = write_data(path, count);
    if (!rc)
        rc = run_verifier(argv[0], path, count);
    /* leave nothing behind */
    if (!metall_remove(path) && errno != ENOENT)
        fprintf(stderr, "demo: %s\n", metall_errmsg());
    if (made_dir)
        rmdir(dir);
    printf(rc == 0 ? "demo: ok: the data survived the process boundary\n"
                   : "demo: FAILED\n");
    return rc;
}
