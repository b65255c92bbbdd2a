/*
 * test_checkpoint.c - incremental checkpoints and restore (core): every
 * checkpoint id restores byte for byte (compared with a snapshot taken at
 * the same cut), deltas hold only the changed pieces, retention merges old
 * deltas, async checkpoints hold the cut while the heap changes after it,
 * damaged or foreign chains fail with messages.
 */
#include "ckpt_util.h"

#include <sys/mman.h>
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

static metall_manager *make(const char *dir, unsigned char **data, size_t size)
{
    metall_options o = {.capacity = (size_t)64 << 20};
    metall_manager *m = metall_create_ex(tu_path(dir, "ds"), &o);
    assert_non_null(m);
    *data = metall_named_malloc(m, "data", size);
    assert_non_null(*data);
    tu_fill(*data, size, 1);
    return m;
}

static void snap(metall_manager *m, const char *dir, int64_t id)
{
    char name[32];
    snprintf(name, sizeof name, "snap-%lld", (long long)id);
    assert_true(metall_snapshot(m, tu_path(dir, name)));
}

static void check_restore(const char *dir, int64_t id)
{
    char s[32], r[32];
    snprintf(s, sizeof s, "snap-%lld", (long long)id);
    snprintf(r, sizeof r, "rest-%lld", (long long)id);
    if (!metall_restore(tu_path(dir, "chain"), id, tu_path(dir, r)))
        fail_msg("restore %lld: %s", (long long)id, metall_errmsg());
    assert_true(cu_same(tu_path(dir, s), tu_path(dir, r)));
    metall_manager *m = metall_open(tu_path(dir, r));
    assert_non_null(m);
    assert_true(metall_close(m));
}

static uint64_t delta_bytes(const char *dir, int64_t id)
{
    char f[128];
    snprintf(f, sizeof f, "chain/" MC_CHAIN_CKPT_FMT "/data", (long long)id);
    struct stat st;
    return stat(tu_path(dir, f), &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Every id restores exactly; a delta holds the changed pieces only. */
static void test_every_id(void **state)
{
    const char *dir = *state;
    char chain[PATH_MAX];
    snprintf(chain, sizeof chain, "%s/chain", dir);
    unsigned char *d;
    size_t size = 24 * MiB;
    metall_manager *m = make(dir, &d, size);
    metall_checkpoint_options o = {.keep = 100};
    TU_FAILS(metall_checkpoint_latest(chain) == -1, ENOENT, chain);
    assert_true(metall_checkpoint(m, chain, &o));
    cu_check_method(m, true);
    snap(m, dir, 1);
    assert_int_equal(metall_checkpoint_latest(chain), 1);
    uint64_t seed = 7;
    for (int64_t id = 2; id <= 6; id++) {
        cu_scribble(d, size, 50, &seed);           /* at most 50 pieces change */
        if (id == 3) {                             /* objects come and go */
            void *p = metall_malloc(m, 3 * MiB);
            assert_non_null(p);
            memset(p, 0x5a, 3 * MiB);
            void *q = metall_malloc(m, 100);
            memset(q, 1, 100);
            metall_free(m, p);
        }
        if (id == 5)
            memset(d, 0, 2 * MiB);                 /* zero pieces */
        assert_true(metall_checkpoint(m, chain, &o));
        cu_check_method(m, false);
        struct mc_ckpt_stats st = cu_stats(m);
        /* tracked: the written pages were read, not the heap's 6144+ (a few
         * more than the 50 written may be: the library's own stores) */
        if ((st.method == MC_CKPT_REFLINK || st.method == MC_CKPT_WP) && id != 3 && id != 5)
            if (st.read_pieces < st.changed || st.read_pieces > 600)
                fail_msg("checkpoint %lld: %llu pieces read, %llu changed", (long long)id,
                         (unsigned long long)st.read_pieces, (unsigned long long)st.changed);
        snap(m, dir, id);
        assert_int_equal(metall_checkpoint_latest(chain), id);
        if (id != 3 && id != 5)
            assert_true(delta_bytes(dir, id) <= 50 * 4096);
    }
    assert_true(metall_checkpoint_wait(m));
    for (int64_t id = 1; id <= 6; id++)
        check_restore(dir, id);
    /* the newest by -1 */
    if (!metall_restore(chain, -1, tu_path(dir, "newest")))
        fail_msg("restore -1: %s", metall_errmsg());
    assert_true(cu_same(tu_path(dir, "snap-6"), tu_path(dir, "newest")));
    assert_true(metall_close(m));
    /* a reopened datastore continues the chain (the hashes come from it) */
    m = metall_open(tu_path(dir, "ds"));
    d = metall_find(m, "data");
    d[12345] ^= 1;
    assert_true(metall_checkpoint(m, chain, &o));
    cu_check_method(m, true); /* a new manager: its generation is rebuilt */
    assert_int_equal(metall_checkpoint_latest(chain), 7);
    assert_int_equal(delta_bytes(dir, 7), 4096);
    snap(m, dir, 7);
    assert_true(metall_close(m));
    check_restore(dir, 7);
}

/* keep: only the newest `keep` stay restorable; they restore exactly. */
static void test_retention(void **state)
{
    const char *dir = *state;
    char chain[PATH_MAX];
    snprintf(chain, sizeof chain, "%s/chain", dir);
    unsigned char *d;
    size_t size = 8 * MiB;
    metall_manager *m = make(dir, &d, size);
    metall_checkpoint_options o = {.keep = 2};
    uint64_t seed = 3;
    for (int64_t id = 1; id <= 5; id++) {
        cu_scribble(d, size, 30, &seed);
        assert_true(metall_checkpoint(m, chain, &o));
        snap(m, dir, id);
    }
    assert_true(metall_checkpoint_wait(m));
    assert_true(metall_close(m));
    assert_int_equal(metall_checkpoint_latest(chain), 5);
    for (int64_t id = 1; id <= 3; id++)
        TU_FAILS(!metall_restore(chain, id, tu_path(dir, "x")), ENOENT, "merged");
    check_restore(dir, 4);
    check_restore(dir, 5);
    assert_false(tu_exists(tu_path(dir, "chain/ckpt-0000000002")));
}

/* async: the checkpoint holds the cut, not what is written after it. */
static void test_async(void **state)
{
    const char *dir = *state;
    char chain[PATH_MAX];
    snprintf(chain, sizeof chain, "%s/chain", dir);
    unsigned char *d;
    size_t size = 16 * MiB;
    metall_manager *m = make(dir, &d, size);
    metall_checkpoint_options o = {.keep = 10, .async = true};
    assert_true(metall_checkpoint(m, chain, &o)); /* the first: written at once */
    uint64_t seed = 11;
    for (int64_t id = 2; id <= 4; id++) {
        cu_scribble(d, size, 200, &seed);
        snap(m, dir, id);
        assert_true(metall_checkpoint(m, chain, &o));
        memset(d, (int)id, size);                   /* after the cut */
        void *p = metall_malloc(m, 5 * MiB);         /* allocation goes on */
        assert_non_null(p);
        metall_free(m, p);
        if (id == 3)
            assert_true(metall_checkpoint_wait(m));
    }
    assert_true(metall_close(m)); /* waits for the last one */
    for (int64_t id = 2; id <= 4; id++)
        check_restore(dir, id);
}

/* Pieces written with the bytes they held, or changed and changed back
 * before the cut, are not in the delta (written tracking lists them; the
 * hashes of their copies, taken after an async cut returned, drop them),
 * and the pieces kept between the dropped ones restore exactly. */
static void test_same_bytes(void **state)
{
    const char *dir = *state;
    char chain[PATH_MAX];
    snprintf(chain, sizeof chain, "%s/chain", dir);
    unsigned char *d;
    size_t size = 8 * MiB, pages = size / 4096;
    metall_manager *m = make(dir, &d, size);
    metall_checkpoint_options o = {.keep = 10, .async = true};
    assert_true(metall_checkpoint(m, chain, &o));
    assert_true(metall_checkpoint_wait(m));
    for (size_t k = 1; k < pages; k += 3) { /* the same bytes stored */
        volatile unsigned char *b = d + k * 4096 + 100;
        *b = *b;
    }
    for (size_t k = 2; k < pages; k += 7) { /* changed back */
        d[k * 4096] ^= 0xff;
        d[k * 4096] ^= 0xff;
    }
    d[10 * 4096 + 5] ^= 1; /* changed, among dropped ones */
    d[1000 * 4096 + 5] ^= 1;
    d[1500 * 4096 + 5] ^= 1;
    memset(d + 700 * 4096, 0, 4096); /* zero now */
    snap(m, dir, 2);
    assert_true(metall_checkpoint(m, chain, &o));
    memset(d, 0x33, size); /* after the cut: not in checkpoint 2 */
    assert_true(metall_checkpoint_wait(m));
    cu_check_method(m, false);
    struct mc_ckpt_stats st = cu_stats(m);
    if (st.method == MC_CKPT_WP && st.read_pieces < pages / 3)
        fail_msg("%llu pieces read: the stores of the same bytes were not tracked",
                 (unsigned long long)st.read_pieces);
    assert_int_equal(st.changed, 4);
    assert_int_equal(delta_bytes(dir, 2), 3 * 4096);
    assert_true(metall_close(m));
    check_restore(dir, 2);
}

#include "hook.h"

static metall_manager *g_hook_m;
static unsigned char *g_hook_obj;

/* At the cut: an object from chunks the cut saw free, written at once. */
static int alloc_at_cut(const char *point, const char *path)
{
    (void)path;
    if (strcmp(point, "checkpoint:cut") == 0 && g_hook_m && !g_hook_obj) {
        g_hook_obj = metall_malloc(g_hook_m, 4 * MiB);
        if (g_hook_obj)
            tu_fill(g_hook_obj, 4 * MiB, 9);
    }
    return 0;
}

/* Changes that are not plain stores of the program between two cuts:
 * chunks punched and handed out again zeroed (calloc stores nothing),
 * a page written and paged out, a read() into the heap (the kernel
 * stores), an object allocated from chunks the cut saw free and written
 * before the changes were looked for. Each checkpoint restores exactly. */
static void test_unseen_stores(void **state)
{
    const char *dir = *state;
    char chain[PATH_MAX];
    snprintf(chain, sizeof chain, "%s/chain", dir);
    unsigned char *d;
    metall_manager *m = make(dir, &d, 4 * MiB);
    unsigned char *x = metall_malloc(m, 8 * MiB);
    assert_non_null(x);
    tu_fill(x, 8 * MiB, 3);
    metall_checkpoint_options o = {.keep = 100};
    assert_true(metall_checkpoint(m, chain, &o));
    cu_check_method(m, true);
    snap(m, dir, 1);
    /* 2: punched and handed out again, zeroed, without a store */
    metall_free(m, x);
    assert_true(metall_flush(m)); /* the freed chunks are punched */
    unsigned char *y = metall_calloc(m, 1, 8 * MiB);
    assert_ptr_equal(y, x); /* the same chunks (else this case is not made) */
    assert_true(cu_all_zero((const char *)y, 8 * MiB));
    assert_true(metall_checkpoint(m, chain, &o));
    cu_check_method(m, false);
    snap(m, dir, 2);
    /* 3: a page written and paged out; a read() into the heap */
    d[5 * 4096 + 7] ^= 0x55;
    assert_int_equal(msync(d + 5 * 4096, 4096, MS_SYNC), 0);
    (void)madvise(d + 5 * 4096, 4096, MADV_PAGEOUT); /* best effort */
    tu_write_file(tu_path(dir, "src"), "0123456789");
    int fd = open(tu_path(dir, "src"), O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, d + 9 * 4096 + 1, 10), 10);
    close(fd);
    assert_true(metall_checkpoint(m, chain, &o));
    cu_check_method(m, false);
    snap(m, dir, 3);
    /* 4: y freed; at the cut of 4, an object from its chunks (free for
     * the cut: 4 records them as zeros) is written; 5 must have it */
    metall_free(m, y);
    g_hook_m = m;
    mc_test_hook = alloc_at_cut;
    assert_true(metall_checkpoint(m, chain, &o));
    mc_test_hook = NULL;
    assert_non_null(g_hook_obj);
    assert_true(metall_checkpoint(m, chain, &o));
    cu_check_method(m, false);
    snap(m, dir, 5);
    assert_true(metall_close(m));
    g_hook_m = NULL;
    g_hook_obj = NULL;
    for (int64_t id = 1; id <= 3; id++)
        check_restore(dir, id);
    check_restore(dir, 5);
}

static void test_errors(void **state)
{
    const char *dir = *state;
    char chain[PATH_MAX];
    snprintf(chain, sizeof chain, "%s/chain", dir);
    unsigned char *d;
    metall_manager *m = make(dir, &d, MiB);
    assert_true(metall_checkpoint(m, chain, NULL));
    assert_true(metall_checkpoint(m, chain, NULL));
    /* another datastore's chain */
    metall_manager *o = metall_create(tu_path(dir, "other"));
    assert_non_null(o);
    TU_FAILS(!metall_checkpoint(o, chain, NULL), EINVAL, "another datastore");
    /* a directory that is not a chain */
    assert_int_equal(mkdir(tu_path(dir, "plain"), 0755), 0);
    tu_write_file(tu_path(dir, "plain/f"), "x");
    TU_FAILS(!metall_checkpoint(o, tu_path(dir, "plain"), NULL), EINVAL, "plain");
    TU_FAILS(metall_checkpoint_latest(tu_path(dir, "plain")) == -1, EINVAL, "plain");
    assert_true(metall_close(o));
    /* restore onto an existing path; of an unknown id */
    TU_FAILS(!metall_restore(chain, -1, tu_path(dir, "plain")), EEXIST, "plain");
    TU_FAILS(!metall_restore(chain, 9, tu_path(dir, "r9")), ENOENT, "9");
    /* a damaged piece in a delta */
    d[100] ^= 0xff;
    assert_true(metall_checkpoint(m, chain, NULL));
    assert_true(metall_close(m));
    int fd = open(tu_path(dir, "chain/ckpt-0000000003/data"), O_RDWR);
    assert_true(fd >= 0);
    char c = 0;
    assert_int_equal(pwrite(fd, &c, 1, 7), 1);
    close(fd);
    TU_FAILS(!metall_restore(chain, 3, tu_path(dir, "r3")), EBADMSG, "hash");
    assert_false(tu_exists(tu_path(dir, "r3")));
    assert_true(metall_restore(chain, 2, tu_path(dir, "r2")));
    /* an incomplete checkpoint is not taken for complete */
    assert_int_equal(unlink(tu_path(dir, "chain/ckpt-0000000003/manifest")), 0);
    assert_int_equal(metall_checkpoint_latest(chain), 2);
    TU_FAILS(!metall_restore(chain, 3, tu_path(dir, "r3")), ENOENT, "not complete");
    TU_FAILS(!metall_checkpoint(NULL, chain, NULL), EINVAL, NULL);
}

#include "chain.h"

/* The SIMD and portable piece hashes agree; zeros hash to 0; a swap of two
 * words or one bit changes the hash. */
static void test_hash(void **state)
{
    (void)state;
    size_t len = 64 << 10;
    unsigned char *p = calloc(1, len);
    assert_int_equal(mc_piece_hash(p, 4096), 0);
    assert_int_equal(mc_piece_hash(p, len), 0);
    uint64_t seed = 5;
    for (int r = 0; r < 200; r++) {
        size_t n = (size_t)4096 << (r % 5);
        cu_scribble(p, n, 1 + r, &seed);
        uint64_t h = mc_piece_hash(p, n);
        assert_int_equal(h, mc_piece_hash_portable(p, n));
        assert_true(h != 0);
        uint64_t w[2];
        memcpy(w, p + 8 * (r % 7), 16);
        if (w[0] != w[1]) { /* swap two words */
            uint64_t x[2] = {w[1], w[0]};
            memcpy(p + 8 * (r % 7), x, 16);
            assert_true(mc_piece_hash(p, n) != h);
            memcpy(p + 8 * (r % 7), w, 16);
        }
        p[tu_rand(&seed) % n] ^= (unsigned char)(1u << (r % 8));
        assert_true(mc_piece_hash(p, n) != h);
    }
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash),
        cmocka_unit_test_setup_teardown(test_every_id, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_retention, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_async, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_same_bytes, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_unseen_stores, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_errors, tu_setup, tu_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
