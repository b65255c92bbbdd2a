/*
 * options.c - the library's options from the environment (options.h).
 */
#include "options.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct mc_options g_opts;
static pthread_once_t opts_once = PTHREAD_ONCE_INIT;

static bool env_bool(const char *name, bool dflt)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    return !(strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 ||
             strcasecmp(v, "off") == 0);
}

static void read_env(void)
{
    g_opts.populate = env_bool("METALLC_POPULATE", false);
    const char *pm = getenv("METALLC_PURGE");
    g_opts.purge_sync = pm && strcmp(pm, "sync") == 0;
    g_opts.prefault = !g_opts.purge_sync && env_bool("METALLC_PREFAULT", true);
    const char *pd = getenv("METALLC_PURGE_DELAY_MS");
    g_opts.purge_delay_ns = (pd && *pd ? (uint64_t)strtoull(pd, NULL, 10) : 500) * 1000000u;
    g_opts.snapshot_overcommit = env_bool("METALLC_SNAPSHOT_OVERCOMMIT", false);
    g_opts.unmap_sync = env_bool("METALLC_UNMAP_SYNC", false);
}

const struct mc_options *mc_options(void)
{
    pthread_once(&opts_once, read_env);
    return &g_opts;
}
