/*
 * hook.h - named points inside multi-step operations (snapshot, copy,
 * remove, close, ...) where tests observe or interrupt the library: crash
 * tests kill the process at a chosen point (as PMDK's do), fault tests make
 * a step fail with a chosen errno. Programs never set the hook; a point
 * then costs one load and a branch, and none is on the allocation path.
 */
#ifndef METALLC_HOOK_H
#define METALLC_HOOK_H

/* Called at each point with its name ("snapshot:cut", ...) and the path
 * the step concerns; returns 0 to go on, or an errno that the step then
 * fails with (only where the point says it can fail). */
typedef int (*mc_hook_fn)(const char *point, const char *path);

/* Set by tests (linked to the static library), NULL otherwise. */
extern mc_hook_fn mc_test_hook;

static inline int mc_hook(const char *point, const char *path)
{
    mc_hook_fn f = __atomic_load_n(&mc_test_hook, __ATOMIC_ACQUIRE);
    return f ? f(point, path) : 0;
}

#endif
