/*
 * unmapper.c - the background unmapper (unmapper.h).
 *
 * One detached thread per process, started when a region is queued and
 * none runs, exiting when the queue is empty. It drops a region's pages in
 * slices, then unmaps it: a long zap under the process's mmap lock would
 * make other threads' mappings (a reopen's) wait behind it.
 *
 * Invariant (under mu): every queued region is still mapped; a region being
 * unmapped (busy, after its pages were zapped slice by slice) is off the
 * queue. fork waits for the step in progress, so a child's inherited queue
 * is exactly what is mapped in it: the child may unmap it (mc_unmap_drain)
 * without ever unmapping something mapped there since.
 */
#include "unmapper.h"

#include "hook.h"
#include "options.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>

struct region {
    char *addr;
    size_t len;
    size_t zapped; /* [addr, addr+zapped) has no page-table entries left */
    struct region *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
/* busy, running or forking dropped */
static pthread_cond_t idle_cv = PTHREAD_COND_INITIALIZER;
static struct region *head, *tail;
static bool running; /* the thread exists (in this process) */
static bool busy;    /* it is unmapping a slice taken off the queue */
static bool forking; /* a fork waits for the slice: take no other */

/* The next step (mu held): drop the PTEs of the head region's next slice
 * (*zap), or, all dropped, take the region off the queue to unmap it. */
static void take_step(char **a, size_t *n, bool *zap)
{
    struct region *r = head;
    *zap = r->zapped < r->len;
    if (*zap) {
        *a = r->addr + r->zapped;
        *n = r->len - r->zapped < MC_UNMAP_SLICE ? r->len - r->zapped : MC_UNMAP_SLICE;
        r->zapped += *n;
        return;
    }
    *a = r->addr;
    *n = r->len;
    head = r->next;
    if (!head)
        tail = NULL;
    free(r);
}

static void *unmapper_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    while (head) {
        if (forking) {
            pthread_cond_wait(&idle_cv, &mu);
            continue;
        }
        char *a;
        size_t n;
        bool zap;
        take_step(&a, &n, &zap);
        busy = true;
        pthread_mutex_unlock(&mu);
        (void)mc_hook("unmap:slice", NULL);
        /* MADV_DONTNEED zaps under the mmap lock held for reading, so other
         * threads' page faults go on; the munmap of the emptied region then
         * takes the lock for writing only briefly. Neither can fail on a
         * range we mapped (the data is synced: the page cache keeps it). */
        if (zap)
            (void)madvise(a, n, MADV_DONTNEED);
        else
            (void)munmap(a, n);
        pthread_mutex_lock(&mu);
        busy = false;
        pthread_cond_broadcast(&idle_cv);
    }
    running = false;
    pthread_cond_broadcast(&idle_cv);
    pthread_mutex_unlock(&mu);
    return NULL;
}

/* Start the thread, detached, with every signal blocked: it must never run
 * an application's handler (mu held). */
static bool start_thread(void)
{
    pthread_attr_t attr;
    if (pthread_attr_init(&attr))
        return false;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t t;
    int rc = pthread_create(&t, &attr, unmapper_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return rc == 0;
}

void mc_unmap_deferred(void *addr, size_t len, size_t mapped, size_t touched)
{
    char *a = addr;
    if (mapped > len)
        mapped = len;
    struct region *r = NULL;
    if (mapped == 0 || touched < MC_UNMAP_SYNC_BELOW || mc_options()->unmap_sync ||
        !(r = malloc(sizeof *r))) {
        (void)munmap(a, len);
        return;
    }
    if (len > mapped) /* never mapped: costs nothing, frees the address space now */
        (void)munmap(a + mapped, len - mapped);
    *r = (struct region){a, mapped, 0, NULL};
    pthread_mutex_lock(&mu);
    if (!running && !(running = start_thread())) {
        pthread_mutex_unlock(&mu);
        free(r);
        (void)munmap(a, mapped);
        return;
    }
    if (tail)
        tail->next = r;
    else
        head = r;
    tail = r;
    pthread_mutex_unlock(&mu);
}

bool mc_unmap_drain(void)
{
    pthread_mutex_lock(&mu);
    bool pending = head || busy;
    if (pending)
        (void)mc_hook("unmap:drain", NULL);
    if (!running) { /* a forked child's inherited queue: nobody else unmaps it */
        while (head) {
            struct region *r = head;
            head = r->next;
            (void)munmap(r->addr, r->len);
            free(r);
        }
        tail = NULL;
    }
    while (running)
        pthread_cond_wait(&idle_cv, &mu);
    pthread_mutex_unlock(&mu);
    return pending;
}

void mc_unmap_fork_prepare(void)
{
    pthread_mutex_lock(&mu);
    forking = true;
    if (busy)
        (void)mc_hook("unmap:fork", NULL);
    while (busy) /* at most one slice */
        pthread_cond_wait(&idle_cv, &mu);
}

void mc_unmap_fork_parent(void)
{
    forking = false;
    pthread_cond_broadcast(&idle_cv);
    pthread_mutex_unlock(&mu);
}

void mc_unmap_fork_child(void)
{
    running = false; /* the thread stayed in the parent */
    busy = false;
    forking = false;
    pthread_cond_init(&idle_cv, NULL); /* the parent's waiters are not here */
    pthread_mutex_unlock(&mu);
}
