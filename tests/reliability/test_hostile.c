/*
 * test_hostile.c - a hostile datastore never makes a call block: a FIFO (or
 * a symlink to one, or a directory) in place of any file of a datastore
 * makes every function and both tools return, with an error where the
 * datastore cannot be used.
 *
 * Each call runs in its own child process. A call that blocks is told from
 * a slow one by the state of the child's threads, never by a clock
 * (rel_child.h): asleep in an untimed wait without waking up is a hang.
 *
 * Usage: rel_hostile [METALL_CHECK METALL_LS]  (the tools, if built)
 */
#include "rel_common.h"
#include "rel_child.h"

#include <signal.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static char g_root[4096], g_good[4200];
static const char *g_check, *g_ls;
static pid_t g_parent;

enum call {
    C_OPEN, C_OPEN_RO, C_CONSISTENT, C_COPY, C_DESCRIPTION, C_UUID, C_REMOVE,
    C_CREATE_OVERWRITE, C_CHECK, C_LS, NCALLS
};
static const char *const call_name[NCALLS] = {
    "metall_open", "metall_open_read_only", "metall_consistent", "metall_copy",
    "metall_get_description", "metall_get_uuid", "metall_remove",
    "metall_create_ex(overwrite)", "metall-check", "metall-ls",
};

/* In the child: make the call; exit 0 if it succeeded, 1 if it failed. */
static void child_call(enum call c, const char *ds, const char *scratch)
{
    rel_child_init(g_parent);
    char buf[64], uuid[37];
    bool ok = false;
    switch (c) {
    case C_OPEN:
    case C_OPEN_RO: {
        metall_manager *m = c == C_OPEN ? metall_open(ds) : metall_open_read_only(ds);
        ok = m != NULL;
        if (m)
            metall_close(m);
        break;
    }
    case C_CONSISTENT: ok = metall_consistent(ds); break;
    case C_COPY: ok = metall_copy(ds, scratch); break;
    case C_DESCRIPTION: ok = metall_get_description(ds, buf, sizeof buf); break;
    case C_UUID: ok = metall_get_uuid(ds, uuid); break;
    case C_REMOVE: ok = metall_remove(ds); break;
    case C_CREATE_OVERWRITE: {
        metall_options o = {.overwrite = true};
        metall_manager *m = metall_create_ex(ds, &o);
        ok = m != NULL;
        if (m)
            metall_close(m);
        break;
    }
    case C_CHECK:
    case C_LS: {
        const char *tool = c == C_CHECK ? g_check : g_ls;
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(tool, tool, ds, (char *)NULL); /* PDEATHSIG stays set */
        _exit(3);
    }
    default: break;
    }
    _exit(ok ? 0 : 1);
}

/* A copy of the good datastore with `file` replaced by what make() puts
 * there; every call on it in its own child. Returns the number of hangs. */
static int try_all(const char *file, const char *kind, int (*make)(const char *))
{
    int hangs = 0;
    for (int c = 0; c < NCALLS; c++) {
        if ((c == C_CHECK && !g_check) || (c == C_LS && !g_ls))
            continue;
        char ds[4400], f[4600], scratch[4400];
        snprintf(ds, sizeof ds, "%s/h", g_root);
        snprintf(scratch, sizeof scratch, "%s/copy", g_root);
        rel_rm_tree(ds);
        rel_rm_tree(scratch);
        assert_true(metall_copy(g_good, ds));
        snprintf(f, sizeof f, "%s/%s", ds, file);
        unlink(f);
        assert_int_equal(make(f), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            child_call((enum call)c, ds, scratch);
        int st = 0;
        if (rel_wait_child(pid, &st, call_name[c])) {
            fprintf(stderr, "HANG: %s with %s as a %s\n", call_name[c], file, kind);
            hangs++;
            continue;
        }
        if (!WIFEXITED(st))
            fail_msg("%s with %s as a %s: died by signal %d", call_name[c], file, kind,
                     WTERMSIG(st));
        int code = WEXITSTATUS(st);
        /* what must fail: opening and copying a datastore with a hostile
         * management or segment file, and the tools' verdict on it */
        bool needed = strcmp(file, "description") != 0 && strcmp(file, "lock") != 0;
        if ((c == C_OPEN || c == C_OPEN_RO || c == C_COPY || c == C_CHECK) && needed &&
            code == 0)
            fail_msg("%s with %s as a %s succeeded", call_name[c], file, kind);
    }
    return hangs;
}

static int make_fifo(const char *f) { return mkfifo(f, 0644); }
static int make_dir(const char *f) { return mkdir(f, 0755); }
static int make_link_to_fifo(const char *f)
{
    char target[4400];
    snprintf(target, sizeof target, "%s/a-fifo", g_root);
    unlink(target);
    if (mkfifo(target, 0644))
        return -1;
    return symlink(target, f);
}

static const char *const files[] = {
    "datastore", "chunks", "names", "closed", "lock", "description", "segment/block-000000",
};

static void test_never_blocks(void **state)
{
    (void)state;
    int hangs = 0;
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        hangs += try_all(files[i], "FIFO", make_fifo);
        hangs += try_all(files[i], "symlink to a FIFO", make_link_to_fifo);
        hangs += try_all(files[i], "directory", make_dir);
    }
    if (hangs)
        fail_msg("%d calls blocked", hangs);
}

static int setup(void **state)
{
    (void)state;
    if (rel_mkdtemp(g_root, sizeof g_root, "hostile"))
        return -1;
    snprintf(g_good, sizeof g_good, "%s/good", g_root);
    metall_manager *m = metall_create(g_good);
    if (!m)
        return -1;
    void *p = metall_named_malloc(m, "x", 1000);
    bool ok = p && metall_set_description(m, "hello") && metall_close(m);
    return ok ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    rel_rm_tree(g_root);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 2) {
        g_check = argv[1];
        g_ls = argv[2];
    }
    g_parent = getpid();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_never_blocks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
