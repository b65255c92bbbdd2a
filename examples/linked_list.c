/*
 * linked_list.c - a pointer-based structure inside a datastore.
 *
 *   linked_list [DIR]     (default DIR: /tmp/metallc-example-list-PID)
 *
 * The datastore is made at DIR/datastore; DIR is created if missing and
 * removed at the end if this run created it.
 *
 * The heap may be mapped at a different address each time it is opened, so
 * an ordinary pointer stored in it would point to the wrong place in the
 * next run. metall-c offers two ways to store links that survive a move:
 *
 *   metall_rptr           a self-relative pointer (like Boost's offset_ptr):
 *                         it stores "target minus my own address", which
 *                         stays right wherever the heap is mapped;
 *                         metall_rptr_set() / metall_rptr_get();
 *   offsets               metall_offset_of(m, ptr) gives the distance from
 *                         the heap's start; metall_ptr_at(m, off) turns it
 *                         back into a pointer for this mapping.
 *
 * This example builds a singly linked list with rptr links and an index of
 * every 100th node as offsets, closes the datastore, makes sure the old
 * address range is taken so the heap *must* move, reopens and walks both.
 */
#include <metall/metall.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define NODES 1000
#define EVERY 100

struct node {
    uint64_t value;
    metall_rptr next; /* NULL (zero) at the end of the list */
};

struct list {
    metall_rptr head;
    uint64_t length;
    uint64_t index[NODES / EVERY]; /* offsets of nodes 0, 100, 200, ... */
};

static int fail(const char *what)
{
    fprintf(stderr, "linked_list: %s: %s\n", what, metall_errmsg());
    return 1;
}

/* Build the list 0 -> 1 -> ... -> NODES-1 under the name "list". */
static int build(const char *path, void **old_addr)
{
    metall_manager *m = metall_create(path);
    if (!m)
        return fail("create");
    struct list *l = metall_named_malloc(m, "list", sizeof *l);
    if (!l) {
        metall_close(m);
        return fail("named_malloc");
    }
    l->head.off = 0; /* an empty list: NULL */
    l->length = 0;
    metall_rptr *tail = &l->head; /* the link to fill next */
    for (uint64_t i = 0; i < NODES; i++) {
        struct node *n = metall_malloc(m, sizeof *n);
        if (!n) {
            metall_close(m);
            return fail("malloc");
        }
        n->value = i;
        n->next.off = 0;
        metall_rptr_set(tail, n); /* link it in, relative to the link itself */
        tail = &n->next;
        if (i % EVERY == 0)
            l->index[i / EVERY] = metall_offset_of(m, n); /* remember as an offset */
        l->length++;
    }
    *old_addr = l;
    if (!metall_close(m))
        return fail("close");
    return 0;
}

/* Reopen and walk the list through the rptr links and through the index. */
static int walk(const char *path, void *old_addr)
{
    metall_manager *m = metall_open_read_only(path); /* reading is enough */
    if (!m)
        return fail("open");
    struct list *l = metall_find(m, "list");
    if (!l) {
        metall_close(m);
        return fail("find");
    }
    printf("linked_list: the list header was at %p, after reopening it is at %p\n", old_addr,
           (void *)l);
    uint64_t count = 0, sum = 0, bad = 0;
    for (struct node *n = metall_rptr_get(&l->head); n; n = metall_rptr_get(&n->next)) {
        bad += n->value != count;
        sum += n->value;
        count++;
    }
    for (int k = 0; k < NODES / EVERY; k++) {
        const struct node *n = metall_ptr_at(m, l->index[k]);
        bad += n->value != (uint64_t)k * EVERY;
    }
    metall_close(m);
    uint64_t want = (uint64_t)NODES * (NODES - 1) / 2;
    printf("linked_list: walked %llu nodes (sum %llu), checked %d indexed nodes: %s\n",
           (unsigned long long)count, (unsigned long long)sum, NODES / EVERY,
           count == NODES && sum == want && !bad ? "ok" : "MISMATCH");
    return count == NODES && sum == want && !bad ? 0 : 1;
}

int main(int argc, char **argv)
{
    char dir[4000], path[4096];
    if (argc > 1)
        snprintf(dir, sizeof dir, "%s", argv[1]);
    else
        snprintf(dir, sizeof dir, "/tmp/metallc-example-list-%d", (int)getpid());
    bool made_dir = mkdir(dir, 0755) == 0;
    if (!made_dir && errno != EEXIST) {
        perror(dir);
        return 1;
    }
    snprintf(path, sizeof path, "%s/datastore", dir);

    void *old_addr = NULL;
    int rc = build(path, &old_addr);
    if (rc) {
        metall_remove(path);
        if (made_dir)
            rmdir(dir);
        return rc;
    }
    /* Occupy the page where the list header used to be, so the heap cannot
     * be mapped at the same address again: the links must cope with it. */
    long page = sysconf(_SC_PAGESIZE);
    void *blocker = mmap((void *)((uintptr_t)old_addr & ~(uintptr_t)(page - 1)), (size_t)page,
                         PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    rc = walk(path, old_addr);
    if (blocker != MAP_FAILED)
        munmap(blocker, (size_t)page);
    if (!metall_remove(path))
        return fail("remove");
    if (made_dir)
        rmdir(dir);
    return rc;
}
