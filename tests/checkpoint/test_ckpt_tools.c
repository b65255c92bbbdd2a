/*
 * test_ckpt_tools.c - the tools show a chain: metall-ls (text and JSON)
 * and metall-checkpoint ls list every checkpoint with its id, state
 * (complete, incomplete), kind and sizes, and name the newest restorable.
 *
 * Usage: ckpt_tools METALL_LS METALL_CHECKPOINT
 */
#include "ckpt_util.h"

static const char *g_ls, *g_ckpt;

/* The output of a command (malloc'd), and its exit status. */
static char *run(const char *cmd, int *status)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    size_t r;
    while ((r = fread(out + len, 1, cap - 1 - len, p)) > 0)
        len += r;
    out[len] = '\0';
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

static void expect(const char *out, const char *what)
{
    if (!strstr(out, what))
        fail_msg("expected \"%s\" in:\n%s", what, out);
}

static void test_chain_listing(void **state)
{
    const char *dir = *state;
    char chain[PATH_MAX], cmd[3 * PATH_MAX];
    snprintf(chain, sizeof chain, "%s/chain", dir);
    metall_manager *m = metall_create(tu_path(dir, "ds"));
    assert_non_null(m);
    unsigned char *d = metall_named_malloc(m, "data", 4 * MiB);
    assert_non_null(d);
    tu_fill(d, 4 * MiB, 1);
    metall_checkpoint_options o = {.keep = 5};
    for (int i = 0; i < 4; i++) {
        d[i * 3 * 4096] ^= 1; /* checkpoint 2..4: one piece each */
        assert_true(metall_checkpoint(m, chain, &o));
    }
    assert_true(metall_close(m));
    /* checkpoint 4 as a killed one leaves it: no manifest */
    assert_int_equal(unlink(tu_path(dir, "chain/ckpt-0000000004/manifest")), 0);
    int st;
    snprintf(cmd, sizeof cmd, "'%s' '%s'", g_ls, chain);
    char *out = run(cmd, &st);
    assert_int_equal(st, 0);
    expect(out, "chain ");
    expect(out, "base holds 1");
    assert_non_null(strstr(out, "           1  complete    full "));
    assert_non_null(strstr(out, "           2  complete    delta           1          4096"));
    assert_non_null(strstr(out, "           4  incomplete  -"));
    expect(out, "newest restorable: 3");
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' --json '%s'", g_ls, chain);
    out = run(cmd, &st);
    assert_int_equal(st, 0);
    expect(out, "\"kind\":\"checkpoint chain\"");
    expect(out, "{\"id\":3,\"state\":\"complete\",\"kind\":\"delta\",\"changed\":1,"
                "\"data_bytes\":4096");
    expect(out, "{\"id\":4,\"state\":\"incomplete\"");
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' ls '%s'", g_ckpt, chain);
    out = run(cmd, &st);
    assert_int_equal(st, 0);
    expect(out, "newest restorable: 3");
    free(out);
    /* not a chain: metall-ls treats it as a datastore and fails */
    snprintf(cmd, sizeof cmd, "'%s' '%s' 2>&1", g_ls, tu_path(dir, "chain/base"));
    out = run(cmd, &st);
    assert_int_equal(st, 1);
    free(out);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: ckpt_tools METALL_LS METALL_CHECKPOINT\n");
        return 2;
    }
    g_ls = argv[1];
    g_ckpt = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chain_listing, tu_setup, tu_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
