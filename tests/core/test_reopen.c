/*
 * test_reopen.c - data written before close is found by another process,
 * also when the heap must be mapped at another address: the child occupies
 * the old base (MAP_FIXED_NOREPLACE) before opening, then follows a linked
 * list built with metall_rptr and with offsets.
 *
 * The child is this program re-executed (/proc/self/exe child MODE PATH), so
 * it is a fresh process with its own address-space layout.
 */
#include "test_util.h"
#include "unmapper.h"

#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define MiB ((size_t)1 << 20)
#define NNODES 1000

struct lnode {
    metall_rptr next;   /* self-relative link */
    uint64_t next_off;  /* the same link as an offset from the heap base */
    uint64_t val;
    uint64_t len;       /* payload bytes */
    unsigned char payload[];
};

struct root {
    metall_rptr head;
    uint64_t head_off;
    metall_rptr tail;
    uint64_t count;
    uint64_t old_base;  /* heap base of the run that last closed */
    uint64_t generation;
};

static size_t payload_len(uint64_t i)
{
    return i % 100 == 99 ? (size_t)(1536 << 10) : (size_t)(i % 50) * 24;
}

/* Append node i to the list (both link kinds). */
static bool append(metall_manager *m, struct root *r, uint64_t i)
{
    size_t pl = payload_len(i);
    struct lnode *n = metall_malloc(m, sizeof *n + pl);
    if (!n)
        return false;
    n->val = i;
    n->len = pl;
    tu_fill(n->payload, pl, i);
    metall_rptr_set(&n->next, NULL);
    n->next_off = 0;
    struct lnode *t = metall_rptr_get(&r->tail);
    if (t) {
        metall_rptr_set(&t->next, n);
        t->next_off = metall_offset_of(m, n);
    } else {
        metall_rptr_set(&r->head, n);
        r->head_off = metall_offset_of(m, n);
    }
    metall_rptr_set(&r->tail, n);
    r->count++;
    return true;
}

/* Walk the list by rptr and by offset; both must give 0..count-1 intact. */
static bool verify(metall_manager *m, const struct root *r, uint64_t count)
{
    if (r->count != count)
        return fprintf(stderr, "count %llu, expected %llu\n", (unsigned long long)r->count,
                       (unsigned long long)count),
               false;
    const struct lnode *n = metall_rptr_get(&r->head);
    if (n != metall_ptr_at(m, r->head_off))
        return fprintf(stderr, "head: rptr and offset disagree\n"), false;
    uint64_t i = 0;
    for (; n; n = metall_rptr_get(&n->next), i++) {
        if (n->val != i || n->len != payload_len(i) || !tu_check(n->payload, n->len, i))
            return fprintf(stderr, "node %llu damaged\n", (unsigned long long)i), false;
        if (metall_rptr_get(&n->next) != metall_ptr_at(m, n->next_off))
            return fprintf(stderr, "node %llu: rptr and offset disagree\n",
                           (unsigned long long)i),
                   false;
        if (metall_usable_size(m, n) < sizeof *n + n->len)
            return fprintf(stderr, "node %llu: usable size too small\n", (unsigned long long)i),
                   false;
    }
    if (i != count)
        return fprintf(stderr, "walked %llu nodes, expected %llu\n", (unsigned long long)i,
                       (unsigned long long)count),
               false;
    return true;
}

static uintptr_t heap_base(metall_manager *m, void *p)
{
    return (uintptr_t)p - metall_offset_of(m, p);
}

/* ---- child side ------------------------------------------------------------ */

static int child_main(const char *mode, const char *path)
{
    bool moved = strcmp(mode, "moved") == 0;
    if (moved) {
        /* learn the old base without keeping the datastore open */
        metall_manager *ro = metall_open_read_only(path);
        CHILD_CHECK(ro);
        struct root *r = metall_find(ro, "root");
        CHILD_CHECK(r);
        uintptr_t old = (uintptr_t)r->old_base;
        CHILD_CHECK(metall_close(ro));
        /* occupy the old base so the heap cannot go back there */
        void *q = mmap((void *)old, 2 * MiB, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        CHILD_CHECK(q != MAP_FAILED || errno == EEXIST);
        CHILD_CHECK(q == MAP_FAILED || q == (void *)old);
    }
    metall_manager *m = metall_open(path);
    CHILD_CHECK(m);
    struct root *r = metall_find(m, "root");
    CHILD_CHECK(r);
    uintptr_t base = heap_base(m, r);
    if (moved)
        CHILD_CHECK(base != (uintptr_t)r->old_base);
    CHILD_CHECK(verify(m, r, NNODES));
    size_t len = 0;
    const unsigned char *blob = metall_named_find(m, "blob", &len);
    CHILD_CHECK(blob && len == 5 * MiB && tu_check(blob, len, 77));
    metall_stats st;
    CHILD_CHECK(metall_get_stats(m, &st));
    CHILD_CHECK(st.named_objects == 2);
    /* write in this process; the parent verifies after our close */
    for (uint64_t i = NNODES; i < NNODES + 100; i++)
        CHILD_CHECK(append(m, r, i));
    r->old_base = base;
    r->generation++;
    CHILD_CHECK(metall_close(m));
    return 0;
}

static int run_child(const char *mode, const char *path)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl("/proc/self/exe", "test_reopen", "child", mode, path, (char *)NULL);
        _exit(127);
    }
    return tu_wait(pid);
}

/* ---- parent side ------------------------------------------------------------ */

static void build(const char *p)
{
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    struct root *r = metall_named_malloc(m, "root", sizeof *r);
    assert_non_null(r);
    memset(r, 0, sizeof *r);
    for (uint64_t i = 0; i < NNODES; i++)
        assert_true(append(m, r, i));
    unsigned char *blob = metall_named_malloc(m, "blob", 5 * MiB);
    assert_non_null(blob);
    tu_fill(blob, 5 * MiB, 77);
    r->old_base = heap_base(m, r);
    assert_true(verify(m, r, NNODES));
    assert_true(metall_close(m));
}

static void reopen_and_check(const char *p, uint64_t gen)
{
    metall_manager *m = metall_open(p);
    assert_non_null(m);
    struct root *r = metall_find(m, "root");
    assert_non_null(r);
    assert_int_equal(r->generation, gen);
    assert_true(verify(m, r, NNODES + 100));
    assert_true(metall_close(m));
}

static void test_other_process(void **state)
{
    const char *p = tu_path(*state, "ds");
    build(p);
    tu_assert_child_ok(run_child("same", p));
    assert_true(metall_consistent(p));
    reopen_and_check(p, 1);
}

static void test_moved_heap(void **state)
{
    const char *p = tu_path(*state, "ds");
    build(p);
    tu_assert_child_ok(run_child("moved", p));
    reopen_and_check(p, 1);
}

/* In this process too: keep the old base occupied, reopen, follow. */
static void test_moved_same_process(void **state)
{
    const char *p = tu_path(*state, "ds");
    build(p);
    metall_manager *m = metall_open(p);
    assert_non_null(m);
    struct root *r = metall_find(m, "root");
    uintptr_t b1 = heap_base(m, r);
    /* a second datastore opened meanwhile takes address space too */
    assert_true(metall_close(m));
    mc_unmap_drain(); /* close may leave the old range to the background unmapper */
    void *q = mmap((void *)b1, 2 * MiB, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    assert_ptr_equal(q, (void *)b1);
    m = metall_open(p);
    assert_non_null(m);
    r = metall_find(m, "root");
    assert_non_null(r);
    assert_true(heap_base(m, r) != b1);
    assert_true(verify(m, r, NNODES));
    assert_true(metall_close(m));
    munmap(q, 2 * MiB);
}

/* The allocator's state survives close/open: objects allocated in earlier
 * runs are never handed out again while live, over several cycles with
 * frees in between (slot bitmaps, chunk runs, the free map). */
#define NCYC 5
#define PER 600

struct rec {
    uint64_t off, size, tag;
};

static size_t cyc_size(uint64_t i)
{
    static const size_t s[] = {8, 24, 100, 1000, 4000, 30000, 200000, 1 << 20, 3 << 20};
    size_t k = i % 9;
    return k >= 7 && i % 27 != k ? 64 : s[k]; /* few large ones */
}

static void test_alloc_state_persists(void **state)
{
    const char *p = tu_path(*state, "ds");
    metall_manager *m = metall_create(p);
    assert_non_null(m);
    struct rec *t = metall_named_malloc(m, "table", NCYC * PER * sizeof *t);
    assert_non_null(t);
    memset(t, 0, NCYC * PER * sizeof *t);
    assert_true(metall_close(m));
    uint64_t tag = 1;
    for (int c = 0; c < NCYC; c++) {
        m = metall_open(p);
        assert_non_null(m);
        t = metall_find(m, "table");
        assert_non_null(t);
        /* everything live from earlier runs is intact */
        for (int i = 0; i < c * PER; i++)
            if (t[i].off)
                assert_true(tu_check(metall_ptr_at(m, t[i].off), t[i].size, t[i].tag));
        /* new objects do not overlap them */
        for (int i = c * PER; i < (c + 1) * PER; i++) {
            size_t sz = cyc_size((uint64_t)i);
            void *q = metall_malloc(m, sz);
            assert_non_null(q);
            tu_fill(q, sz, tag);
            t[i] = (struct rec){metall_offset_of(m, q), sz, tag++};
        }
        /* free every third live object, of any run */
        for (int i = c; i < (c + 1) * PER; i += 3) {
            if (t[i].off) {
                metall_free(m, metall_ptr_at(m, t[i].off));
                t[i].off = 0;
            }
        }
        for (int i = 0; i < (c + 1) * PER; i++)
            if (t[i].off)
                assert_true(tu_check(metall_ptr_at(m, t[i].off), t[i].size, t[i].tag));
        assert_true(metall_close(m));
    }
    /* the allocated bytes after reopen are those of the live objects */
    m = metall_open(p);
    assert_non_null(m);
    t = metall_find(m, "table");
    size_t live = metall_usable_size(m, t);
    for (int i = 0; i < NCYC * PER; i++)
        if (t[i].off) {
            assert_true(tu_check(metall_ptr_at(m, t[i].off), t[i].size, t[i].tag));
            live += metall_usable_size(m, metall_ptr_at(m, t[i].off));
        }
    metall_stats st;
    assert_true(metall_get_stats(m, &st));
    assert_int_equal(st.allocated_bytes, live);
    assert_true(metall_close(m));
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "child") == 0)
        return child_main(argv[2], argv[3]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_other_process, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_moved_heap, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_moved_same_process, tu_setup, tu_teardown),
        cmocka_unit_test_setup_teardown(test_alloc_state_persists, tu_setup, tu_teardown),
    };
    return cmocka_run_group_tests_name("core_reopen", tests, NULL, NULL);
}
