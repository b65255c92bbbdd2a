/*
 * backend.h - the small allocator interface through which graph_bench runs
 * the same adjacency-list code over every system (metall, malloc, pmemobj,
 * bip). A backend is one rank's store: create it, allocate the graph's
 * root object in it, hand out a metall_container_alloc for the containers,
 * close it, reopen it and find the root again.
 *
 * create/open/close may be collective over MPI_COMM_WORLD (every rank calls
 * them together); they return NULL/false with a message in `err`.
 */
#ifndef GRAPH_BACKEND_H
#define GRAPH_BACKEND_H

#include <metall/array.h>

#include <stdbool.h>
#include <stddef.h>

struct graph_store;

struct graph_backend {
    const char *name;
    bool persistent;  /* false: close/reopen are no-ops (DRAM) */
    /* Why the backend is absent from this build, or NULL if present. */
    const char *absent;
    /* New store of this rank under dir/<name>. bytes_hint: expected live
     * bytes of this rank (for backends that must size a pool up front). */
    struct graph_store *(*create)(const char *dir, int rank, int nranks, size_t bytes_hint,
                                  char *err, size_t errlen);
    struct graph_store *(*open)(const char *dir, int rank, int nranks, char *err,
                                size_t errlen);
    bool (*close)(struct graph_store *s, char *err, size_t errlen);
    /* The root object ("graph"), zeroed, / found again after open. */
    void *(*root_alloc)(struct graph_store *s, size_t size);
    void *(*root_find)(struct graph_store *s);
    metall_container_alloc (*alloc)(struct graph_store *s);
    /* Bytes the allocator counts as allocated (0 if it cannot tell). */
    size_t (*heap_bytes)(struct graph_store *s);
    /* Copy the closed or open store elsewhere (NULL if unsupported). */
    bool (*snapshot)(struct graph_store *s, const char *dst_dir, char *err, size_t errlen);
    /* Delete this rank's files (collective like create). */
    void (*remove)(const char *dir, int rank, int nranks);
    /* This rank's files, for disk usage: fills path, returns false if none. */
    bool (*path)(const char *dir, int rank, char *path, size_t len);
};

extern const struct graph_backend graph_backend_metall;
extern const struct graph_backend graph_backend_malloc;
extern const struct graph_backend graph_backend_pmemobj;
extern const struct graph_backend graph_backend_bip;

/* Bytes on disk (allocated blocks) of a file or directory tree. */
size_t graph_disk_bytes(const char *path);
/* rm -rf of a path this program created. */
void graph_rmtree(const char *path);
/* mkdir -p */
int graph_mkdirs(const char *path);

#endif
