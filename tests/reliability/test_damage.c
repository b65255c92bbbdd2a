/*
 * test_damage.c - damaged datastores, systematically.
 *
 * A pristine datastore (small, large and named objects with descriptions)
 * is built once. For every management file and every kind of damage
 * (truncation, a bit flip in every region, appended garbage, a file from
 * another datastore, deletion) and for the segment block file, a copy of
 * the pristine datastore is damaged and then opened for writing and
 * read-only: both must fail with a sensible errno and a message naming the
 * damaged file, must not crash, and must not destroy the evidence (the
 * closed mark stays). All cases run even when one fails, so a run reports
 * every bad case at once.
 */
#include "rel_common.h"

#include "layout.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define NSMALL 60
#define NLARGE 3
#define NNAMED 12

static char g_root[4096];
static char g_pristine[4200];
static char g_foreign[4200]; /* another datastore: its files have another uuid */
static int g_case;          /* counter for case directory names */

struct index {
    uint64_t off[NSMALL + NLARGE];
    uint64_t size[NSMALL + NLARGE];
    uint64_t sum[NSMALL + NLARGE];
};

static size_t obj_size(int i)
{
    if (i >= NSMALL)
        return ((size_t)(i - NSMALL) + 2) * (1u << 20) + 12345; /* large: runs of chunks */
    static const size_t sizes[] = {1, 8, 16, 24, 100, 500, 1000, 4000, 33000, 200000};
    return sizes[i % 10] + (size_t)i;
}

static int build(const char *path, uint64_t seed)
{
    metall_options o = {.capacity = (size_t)64 << 20};
    metall_manager *m = metall_create_ex(path, &o);
    if (!m)
        return -1;
    struct index *ix = metall_named_malloc(m, "index", sizeof *ix);
    if (!ix)
        return -1;
    for (int i = 0; i < NSMALL + NLARGE; i++) {
        size_t n = obj_size(i);
        void *p = metall_malloc(m, n);
        if (!p)
            return -1;
        rel_fill(p, n, seed + (uint64_t)i);
        ix->off[i] = metall_offset_of(m, p);
        ix->size[i] = n;
        ix->sum[i] = rel_sum(p, n);
    }
    /* free a few so that the slot bitmaps have holes */
    for (int i = 0; i < NSMALL; i += 7) {
        metall_free(m, metall_ptr_at(m, ix->off[i]));
        ix->off[i] = 0;
    }
    for (int i = 0; i < NNAMED; i++) {
        char name[64], desc[128];
        snprintf(name, sizeof name, "named-object-%02d", i);
        snprintf(desc, sizeof desc, "description of object %d: %s", i,
                 i % 2 ? "odd" : "even, and a little longer");
        size_t n = i == 3 ? (size_t)3 << 20 : 64 + (size_t)i * 100;
        void *p = metall_named_malloc(m, name, n);
        if (!p || !metall_named_set_description(m, name, desc))
            return -1;
        rel_fill(p, n, seed + 1000 + (uint64_t)i);
    }
    if (!metall_set_description(m, "pristine datastore of test_damage"))
        return -1;
    return metall_close(m) ? 0 : -1;
}

/* Open and check every object of a datastore built by build(). */
static int verify(const char *path, uint64_t seed)
{
    metall_manager *m = metall_open_read_only(path);
    if (!m)
        return -1;
    int bad = 0;
    size_t len = 0;
    struct index *ix = metall_named_find(m, "index", &len);
    if (!ix || len != sizeof *ix)
        bad++;
    for (int i = 0; ix && i < NSMALL + NLARGE; i++)
        if (ix->off[i] && rel_sum(metall_ptr_at(m, ix->off[i]), ix->size[i]) != ix->sum[i])
            bad++;
    for (int i = 0; i < NNAMED; i++) {
        char name[64], desc[128];
        snprintf(name, sizeof name, "named-object-%02d", i);
        void *p = metall_named_find(m, name, &len);
        if (!p || !metall_named_get_description(m, name, desc, sizeof desc) || !desc[0]) {
            bad++;
            continue;
        }
        unsigned char *want = malloc(len);
        rel_fill(want, len, seed + 1000 + (uint64_t)i);
        bad += memcmp(want, p, len) != 0;
        free(want);
    }
    if (metall_named_count(m) != NNAMED + 1)
        bad++;
    metall_close(m);
    return bad ? -1 : 0;
}

static int setup(void **state)
{
    (void)state;
    if (rel_mkdtemp(g_root, sizeof g_root, "damage"))
        return -1;
    rel_path(g_pristine, sizeof g_pristine, g_root, "pristine");
    rel_path(g_foreign, sizeof g_foreign, g_root, "foreign");
    if (build(g_pristine, 1) || build(g_foreign, 2)) {
        fprintf(stderr, "cannot build the pristine datastores: %s\n", metall_errmsg());
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rel_rm_tree(g_root);
    return 0;
}

/* ---- one damage case ------------------------------------------------------ */

enum damage { TRUNCATE, FLIP, APPEND, FOREIGN, DELETE };

struct dcase {
    const char *file;  /* relative to the datastore */
    enum damage kind;
    long arg;          /* TRUNCATE: length; FLIP: byte; APPEND: bytes */
    int bit;
};

static void describe(const struct dcase *c, char *out, size_t n)
{
    static const char *k[] = {"truncate to", "flip bit in byte", "append bytes:", "foreign",
                              "delete"};
    if (c->kind == FLIP)
        snprintf(out, n, "%s: %s %ld, bit %d", c->file, k[c->kind], c->arg, c->bit);
    else
        snprintf(out, n, "%s: %s %ld", c->file, k[c->kind], c->arg);
}

static int apply(const struct dcase *c, const char *dir)
{
    char f[4400];
    rel_path(f, sizeof f, dir, c->file);
    switch (c->kind) {
    case TRUNCATE:
        return truncate(f, c->arg);
    case FLIP:
        return rel_flip_bit(f, c->arg, c->bit);
    case APPEND: {
        unsigned char *g = malloc((size_t)c->arg);
        rel_fill(g, (size_t)c->arg, 77);
        int rc = rel_append(f, g, (size_t)c->arg);
        free(g);
        return rc;
    }
    case FOREIGN: {
        char src[4400];
        unsigned char *b;
        size_t n;
        rel_path(src, sizeof src, g_foreign, c->file);
        if (rel_read_all(src, &b, &n))
            return -1;
        int rc = rel_write_all(f, b, n);
        free(b);
        return rc;
    }
    case DELETE:
        return unlink(f);
    }
    return -1;
}

static bool errno_ok(int e)
{
    return e == EBADMSG || e == EINVAL || e == ENOTRECOVERABLE || e == ENOTSUP;
}

/* The message must name the damaged file (or say what its absence means). */
static bool msg_ok(const struct dcase *c, const char *msg)
{
    if (c->kind == DELETE && strcmp(c->file, MC_FILE_CLOSED_NAME) == 0)
        return strstr(msg, "not closed properly") != NULL;
    if (c->kind == DELETE && strcmp(c->file, MC_FILE_DATASTORE_NAME) == 0)
        return strstr(msg, "not a metall-c datastore") != NULL;
    const char *base = strrchr(c->file, '/');
    base = base ? base + 1 : c->file;
    char want[256];
    snprintf(want, sizeof want, "/%s", base);
    return strstr(msg, want) != NULL;
}

static int g_failures;

/* The working copy of the current file kind (made by metall_copy) and the
 * pristine bytes of the file damaged in it: each case restores them first.
 * Restoring one file instead of copying the whole datastore per case keeps
 * the test fast (no fsync per case). */
static char g_work[4400];

static int restore(const char *file)
{
    if (strncmp(file, MC_SEGMENT_DIR "/", strlen(MC_SEGMENT_DIR) + 1) == 0) {
        /* a block file is large and sparse: copy the datastore afresh */
        rel_rm_tree(g_work);
        return metall_copy(g_pristine, g_work) ? 0 : -1;
    }
    char src[4400], dst[4400];
    unsigned char *b;
    size_t n;
    rel_path(src, sizeof src, g_pristine, file);
    rel_path(dst, sizeof dst, g_work, file);
    if (rel_read_all(src, &b, &n))
        return -1;
    int rc = rel_write_all(dst, b, n);
    free(b);
    return rc;
}

static void run_case(const struct dcase *c)
{
    char what[256], closed[4500];
    const char *dir = g_work;
    describe(c, what, sizeof what);
    if (restore(c->file) || restore(MC_FILE_CLOSED_NAME)) {
        fprintf(stderr, "FAIL %s: cannot restore the working copy\n", what);
        g_failures++;
        return;
    }
    if (apply(c, dir) != 0) {
        fprintf(stderr, "FAIL %s: cannot apply the damage: %s\n", what, strerror(errno));
        g_failures++;
        rel_rm_tree(dir);
        return;
    }
    rel_path(closed, sizeof closed, dir, MC_FILE_CLOSED_NAME);
    bool had_closed = access(closed, F_OK) == 0;
    for (int ro = 0; ro < 2; ro++) {
        errno = 0;
        metall_manager *m = ro ? metall_open_read_only(dir) : metall_open(dir);
        int e = errno;
        const char *how = ro ? "open_read_only" : "open";
        if (m) {
            /* a core bug: a damaged datastore must never open */
            fprintf(stderr, "FAIL %s: %s SUCCEEDED on a damaged datastore\n", what, how);
            g_failures++;
            metall_close(m);
            continue;
        }
        const char *msg = metall_errmsg();
        if (!errno_ok(e) || !msg_ok(c, msg)) {
            fprintf(stderr, "FAIL %s: %s: errno %d (%s), message \"%s\"\n", what, how, e,
                    strerror(e), msg);
            g_failures++;
        }
        if (had_closed && access(closed, F_OK) != 0) {
            fprintf(stderr, "FAIL %s: a failed %s removed the closed mark\n", what, how);
            g_failures++;
        }
    }
}

static void begin_kind(void)
{
    snprintf(g_work, sizeof g_work, "%s/c%05d", g_root, g_case++);
    assert_true(metall_copy(g_pristine, g_work));
}

/* After the last case of a kind, the restored working copy is whole again:
 * it opens and verifies, so the failures above were the damage's doing. */
static void end_kind(const char *file)
{
    assert_int_equal(restore(file), 0);
    assert_int_equal(restore(MC_FILE_CLOSED_NAME), 0);
    assert_int_equal(verify(g_work, 1), 0);
    rel_rm_tree(g_work);
}

/* Truncations, bit flips over every region, garbage, foreign, deletion. */
static int damage_file(const char *file, bool foreign)
{
    char f[4400];
    rel_path(f, sizeof f, g_pristine, file);
    long size = rel_file_size(f);
    assert_true(size >= 48);
    int before = g_failures, cases = 0;
    begin_kind();
    long lens[] = {0, 1, 47, 48, size / 2, size - 1};
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
        if (i > 0 && lens[i] == lens[i - 1])
            continue;
        struct dcase c = {file, TRUNCATE, lens[i], 0};
        run_case(&c);
        cases++;
    }
    /* every header byte, every payload byte of a small payload, else the
     * payload's start and end bytes and 200 spread over its middle */
    for (long pos = 0; pos < size; pos++) {
        long pl = pos - 48, plen = size - 48;
        bool take = pos < 48 || plen <= 512 || pl < 64 || pl >= plen - 64 ||
                    pl % (plen / 200 + 1) == 0;
        if (!take)
            continue;
        struct dcase c = {file, FLIP, pos, (int)(pos * 5 % 8)};
        run_case(&c);
        cases++;
    }
    long app[] = {1, 8, 4096};
    for (size_t i = 0; i < 3; i++) {
        struct dcase c = {file, APPEND, app[i], 0};
        run_case(&c);
        cases++;
    }
    if (foreign) {
        struct dcase c = {file, FOREIGN, 0, 0};
        run_case(&c);
        cases++;
    }
    struct dcase d = {file, DELETE, 0, 0};
    run_case(&d);
    cases++;
    end_kind(file);
    fprintf(stderr, "%s: %d cases, %d failed\n", file, cases, g_failures - before);
    return g_failures - before;
}

static void test_pristine_verifies(void **state)
{
    (void)state;
    assert_int_equal(verify(g_pristine, 1), 0);
    assert_int_equal(verify(g_foreign, 2), 0);
    /* a copy is a faithful datastore: the copy/verify path used below works */
    char dir[4400];
    snprintf(dir, sizeof dir, "%s/copy-ok", g_root);
    assert_true(metall_copy(g_pristine, dir));
    assert_int_equal(verify(dir, 1), 0);
    metall_manager *m = metall_open(dir);
    assert_non_null(m);
    assert_true(metall_close(m));
    assert_int_equal(verify(dir, 1), 0);
    rel_rm_tree(dir);
}

static void test_damaged_datastore_file(void **state)
{
    (void)state;
    assert_int_equal(damage_file(MC_FILE_DATASTORE_NAME, false), 0);
}

static void test_damaged_chunks_file(void **state)
{
    (void)state;
    assert_int_equal(damage_file(MC_FILE_CHUNKS_NAME, true), 0);
}

static void test_damaged_names_file(void **state)
{
    (void)state;
    assert_int_equal(damage_file(MC_FILE_NAMES_NAME, true), 0);
}

static void test_damaged_closed_file(void **state)
{
    (void)state;
    assert_int_equal(damage_file(MC_FILE_CLOSED_NAME, true), 0);
}

static void test_damaged_segment(void **state)
{
    (void)state;
    char f[4400], blk[64];
    snprintf(blk, sizeof blk, MC_BLOCK_FMT, 0u);
    rel_path(f, sizeof f, g_pristine, blk);
    long size = rel_file_size(f);
    assert_true(size > 0);
    int before = g_failures;
    begin_kind();
    struct dcase cases[] = {
        {blk, DELETE, 0, 0},          {blk, TRUNCATE, 0, 0},
        {blk, TRUNCATE, 4096, 0},     {blk, TRUNCATE, size / 2, 0},
        {blk, TRUNCATE, size - 1, 0}, {blk, APPEND, 4096, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        run_case(&cases[i]);
    end_kind(blk);
    /* the whole segment directory gone */
    char dir[4400], seg[4500];
    snprintf(dir, sizeof dir, "%s/c%05d", g_root, g_case++);
    assert_true(metall_copy(g_pristine, dir));
    rel_path(seg, sizeof seg, dir, MC_SEGMENT_DIR);
    assert_int_equal(rel_rm_tree(seg), 0);
    errno = 0;
    assert_null(metall_open(dir));
    assert_int_equal(errno, EBADMSG);
    assert_non_null(strstr(metall_errmsg(), "block-000000"));
    assert_null(metall_open_read_only(dir));
    assert_int_equal(errno, EBADMSG);
    rel_rm_tree(dir);
    assert_int_equal(g_failures - before, 0);
}

/* The pristine datastore itself was never harmed by all of the above. */
static void test_pristine_still_verifies(void **state)
{
    (void)state;
    assert_true(metall_consistent(g_pristine));
    assert_int_equal(verify(g_pristine, 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pristine_verifies),
        cmocka_unit_test(test_damaged_datastore_file),
        cmocka_unit_test(test_damaged_chunks_file),
        cmocka_unit_test(test_damaged_names_file),
        cmocka_unit_test(test_damaged_closed_file),
        cmocka_unit_test(test_damaged_segment),
        cmocka_unit_test(test_pristine_still_verifies),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
