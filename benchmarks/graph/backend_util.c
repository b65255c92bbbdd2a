/*
 * backend_util.c - file helpers shared by the backends: disk usage of a
 * store, recursive removal, mkdir -p.
 */
#define _GNU_SOURCE
#include "backend.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static size_t du_acc;

static int du_fn(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)p, (void)flag, (void)f;
    du_acc += (size_t)st->st_blocks * 512;
    return 0;
}

size_t graph_disk_bytes(const char *path)
{
    du_acc = 0;
    if (nftw(path, du_fn, 16, FTW_PHYS) != 0)
        return 0;
    return du_acc;
}

static int rm_fn(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st, (void)f;
    return flag == FTW_DP ? rmdir(p) : unlink(p);
}

void graph_rmtree(const char *path)
{
    nftw(path, rm_fn, 16, FTW_DEPTH | FTW_PHYS);
}

int graph_mkdirs(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}
