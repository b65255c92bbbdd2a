/*
 * replay.c - runs every file of the fuzz corpus through the fuzz target's
 * code path (built with any compiler, label core), so the corpus, and every
 * input that once crashed, is exercised in every test run.
 *
 * Usage: fuzz_replay CORPUS_DIR...     replay (a cmocka test)
 *        fuzz_replay --make-corpus DIR write the seed files
 *
 * Seeds named seed-* are pristine files: they must open. Every other input
 * may open or be refused, but must not crash.
 */
#include "fuzz_harness.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static int g_ndirs;
static char **g_dirs;

static void test_replay_corpus(void **state)
{
    (void)state;
    int files = 0, seeds = 0, opened = 0;
    for (int d = 0; d < g_ndirs; d++) {
        DIR *dir = opendir(g_dirs[d]);
        assert_non_null(dir);
        struct dirent *de;
        while ((de = readdir(dir))) {
            if (de->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%.200s", g_dirs[d], de->d_name);
            FILE *f = fopen(path, "rb");
            assert_non_null(f);
            fseek(f, 0, SEEK_END);
            long n = ftell(f);
            fseek(f, 0, SEEK_SET);
            unsigned char *b = malloc(n > 0 ? (size_t)n : 1);
            assert_int_equal(n > 0 ? fread(b, 1, (size_t)n, f) : 0, (size_t)(n > 0 ? n : 0));
            fclose(f);
            int r = fuzz_one(b, (size_t)n);
            free(b);
            files++;
            opened += r;
            if (strncmp(de->d_name, "seed-", 5) == 0) {
                seeds++;
                if (r != 1)
                    fail_msg("pristine seed %s did not open", path);
            }
        }
        closedir(dir);
    }
    fprintf(stderr, "replayed %d inputs (%d seeds), %d opened\n", files, seeds, opened);
    assert_true(seeds >= 4);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--make-corpus") == 0) {
        int n = fuzz_make_corpus(argv[2]);
        fprintf(stderr, "%d seed files written to %s\n", n, argv[2]);
        return n > 0 ? 0 : 1;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR... | --make-corpus DIR\n", argv[0]);
        return 2;
    }
    g_ndirs = argc - 1;
    g_dirs = argv + 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
