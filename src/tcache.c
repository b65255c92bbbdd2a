/*
 * tcache.c - per-thread caches of free slots.
 *
 * Each thread that allocates from a writable manager gets one struct
 * tcache for it (taken from the manager's list, so memory stays bounded by
 * the number of live threads). The thread remembers its caches in TLS by
 * manager id; ids are never reused, so an entry of a closed manager simply
 * never matches again and is never dereferenced.
 *
 * Lifetime: a thread's exit (pthread key destructor) flushes its caches of
 * managers that are still open, under the registry lock, so it cannot race
 * with metall_close(), which first unregisters the manager under the same
 * lock and then flushes and frees all caches.
 *
 * fork: a manager belongs to the process that opened it (m->pid). The
 * atfork handlers hold the registry lock across fork() (so a child never
 * inherits it held), and in the child forget the forking thread's caches
 * (so the fast paths fall through to slow paths that refuse a foreign
 * manager with EPERM) and close the child's copies of the lock files (so
 * a long-lived child does not keep its parent's datastores locked).
 */
#include "tcache.h"

#include "bin.h"
#include "error.h"
#include "hook.h"
#include "options.h"
#include "sizeclass.h"
#include "unmapper.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TL_ENTRIES 8

__thread struct tl_entry mc_tl_last __attribute__((tls_model("initial-exec")));
static __thread struct tl_entry tl_all[TL_ENTRIES];
static __thread unsigned tl_evict;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static metall_manager *registry;
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static _Atomic pid_t g_pid; /* this process, kept current by the atfork child handler */

static size_t total_cap(void)
{
    size_t n = 0;
    for (unsigned c = 0; c < MC_NCLASSES; c++)
        n += mc_classes[c].tcache_cap;
    return n;
}

void tcache_flush(struct tcache *tc)
{
    for (unsigned c = 0; c < MC_NCLASSES; c++) {
        struct tbin *b = &tc->bins[c];
        if (b->count) {
            bin_free_batch(tc->m, c, b->slots, b->count);
            __atomic_store_n(&b->count, 0, __ATOMIC_RELAXED); /* stats read it */
        }
    }
}

/* Is a manager with this id still open? registry_lock held. */
static metall_manager *registry_find(uint64_t id)
{
    for (metall_manager *m = registry; m; m = m->reg_next)
        if (m->id == id)
            return m;
    return NULL;
}

/* Give an entry's cache back to its manager, if that is still open. */
static void release_entry(struct tl_entry *e)
{
    if (!e->id)
        return;
    pthread_mutex_lock(&registry_lock);
    metall_manager *m = registry_find(e->id);
    if (m) {
        pthread_mutex_lock(&m->tc_lock);
        tcache_flush(e->tc);
        e->tc->owned = false;
        __atomic_store_n(&m->nthreads, m->nthreads - 1, __ATOMIC_RELAXED);
        pthread_mutex_unlock(&m->tc_lock);
    }
    pthread_mutex_unlock(&registry_lock);
    if (mc_tl_last.id == e->id)
        mc_tl_last = (struct tl_entry){0, NULL};
    *e = (struct tl_entry){0, NULL};
}

static void thread_exit(void *arg)
{
    (void)arg;
    for (unsigned i = 0; i < TL_ENTRIES; i++)
        release_entry(&tl_all[i]);
}

static void make_key(void)
{
    pthread_key_create(&exit_key, thread_exit);
}

static void fork_prepare(void)
{
    /* one-time initialisers must not be in progress in another thread
     * when it forks: the child would wait for them forever */
    pthread_once(&exit_once, make_key);
    (void)mc_options();
    mc_unmap_fork_prepare();
    pthread_mutex_lock(&registry_lock);
}

static void fork_parent(void)
{
    pthread_mutex_unlock(&registry_lock);
    mc_unmap_fork_parent();
}

static void fork_child(void)
{
    atomic_store(&g_pid, getpid());
    for (unsigned i = 0; i < TL_ENTRIES; i++)
        tl_all[i] = (struct tl_entry){0, NULL};
    mc_tl_last = (struct tl_entry){0, NULL};
    for (metall_manager *m = registry; m; m = m->reg_next) {
        if (m->lock_fd >= 0)
            close(m->lock_fd); /* the parent's reference keeps its lock */
        m->lock_fd = -1;
    }
    pthread_mutex_unlock(&registry_lock);
    mc_unmap_fork_child();
}

static void install_fork_handlers(void)
{
    atomic_store(&g_pid, getpid());
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

pid_t mc_process_id(void)
{
    pthread_once(&fork_once, install_fork_handlers);
    return atomic_load_explicit(&g_pid, memory_order_relaxed);
}

int mc_check_owner(const metall_manager *m)
{
    if (MC_LIKELY(m->pid == mc_process_id()))
        return 0;
    return mc_fail(EPERM,
                   "%s: this manager was opened by process %d, not by this one (%d): a "
                   "forked child must not use its parent's manager; open the datastore "
                   "itself once the parent has closed it",
                   m->path, (int)m->pid, (int)mc_process_id());
}

void tcache_register(metall_manager *m)
{
    pthread_once(&exit_once, make_key);
    m->pid = mc_process_id();
    pthread_mutex_lock(&registry_lock);
    (void)mc_hook("registry:locked", m->path);
    m->reg_next = registry;
    registry = m;
    pthread_mutex_unlock(&registry_lock);
}

void tcache_forget(metall_manager *m)
{
    pthread_mutex_lock(&registry_lock);
    for (metall_manager **p = &registry; *p; p = &(*p)->reg_next) {
        if (*p == m) {
            *p = m->reg_next;
            break;
        }
    }
    pthread_mutex_unlock(&registry_lock);
}

static struct tcache *tcache_new(metall_manager *m)
{
    size_t cap = total_cap();
    struct tcache *tc = calloc(1, sizeof *tc + cap * sizeof(void *));
    if (!tc)
        return NULL;
    void **s = tc->storage;
    for (unsigned c = 0; c < MC_NCLASSES; c++) {
        tc->bins[c].cap = mc_classes[c].tcache_cap;
        tc->bins[c].slots = s;
        s += tc->bins[c].cap;
    }
    tc->m = m;
    tc->arena = atomic_fetch_add(&m->next_arena, 1) % m->narenas;
    return tc;
}

struct tcache *tcache_get_slow(metall_manager *m)
{
    if (m->read_only || m->pid != mc_process_id())
        return NULL; /* the slow paths report a foreign manager */
    for (unsigned i = 0; i < TL_ENTRIES; i++) {
        if (tl_all[i].id == m->id) {
            mc_tl_last = tl_all[i];
            return tl_all[i].tc;
        }
    }
    pthread_mutex_lock(&m->tc_lock);
    struct tcache *tc = m->tcaches;
    while (tc && tc->owned)
        tc = tc->next;
    if (!tc && (tc = tcache_new(m))) {
        tc->next = m->tcaches;
        m->tcaches = tc;
    }
    if (tc) {
        tc->owned = true;
        __atomic_store_n(&m->nthreads, m->nthreads + 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&m->tc_lock);
    if (!tc)
        return NULL;
    unsigned slot = TL_ENTRIES;
    for (unsigned i = 0; i < TL_ENTRIES; i++)
        if (!tl_all[i].id) {
            slot = i;
            break;
        }
    if (slot == TL_ENTRIES) { /* many managers in one thread: evict one */
        slot = tl_evict++ % TL_ENTRIES;
        release_entry(&tl_all[slot]);
    }
    tl_all[slot] = (struct tl_entry){m->id, tc};
    mc_tl_last = tl_all[slot];
    /* the key is created when this copy of the library registers a
     * manager; make sure of it even if m came from another copy */
    pthread_once(&exit_once, make_key);
    pthread_setspecific(exit_key, (void *)1);
    return tc;
}

void tcache_flush_mine(metall_manager *m)
{
    for (unsigned i = 0; i < TL_ENTRIES; i++)
        if (tl_all[i].id == m->id)
            tcache_flush(tl_all[i].tc);
}

void tcache_destroy_all(metall_manager *m)
{
    tcache_forget(m);
    /* forget this thread's entries so their TLS slots are reusable */
    for (unsigned i = 0; i < TL_ENTRIES; i++)
        if (tl_all[i].id == m->id)
            tl_all[i] = (struct tl_entry){0, NULL};
    if (mc_tl_last.id == m->id)
        mc_tl_last = (struct tl_entry){0, NULL};
    pthread_mutex_lock(&m->tc_lock);
    struct tcache *tc = m->tcaches;
    while (tc) {
        struct tcache *next = tc->next;
        tcache_flush(tc);
        free(tc);
        tc = next;
    }
    m->tcaches = NULL;
    pthread_mutex_unlock(&m->tc_lock);
}

void tcache_count(metall_manager *m, uint64_t counts[MC_NCLASSES])
{
    memset(counts, 0, sizeof(uint64_t) * MC_NCLASSES);
    pthread_mutex_lock(&m->tc_lock);
    for (struct tcache *tc = m->tcaches; tc; tc = tc->next)
        for (unsigned c = 0; c < MC_NCLASSES; c++)
            counts[c] += __atomic_load_n(&tc->bins[c].count, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&m->tc_lock);
}
