/*
 * fuzz_harness.c - see fuzz_harness.h.
 *
 * A pristine datastore is built once per process (under /dev/shm when it
 * exists: the target writes a file per input) and a working copy is made
 * with metall_copy(); each input replaces one file of the working copy,
 * which is opened (read-only, and optionally for writing), and the file is
 * restored afterwards.
 */
#include "fuzz_harness.h"

#include "checksum.h"
#include "layout.h"

#include <metall/metall.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const kFiles[4] = {MC_FILE_DATASTORE_NAME, MC_FILE_CHUNKS_NAME,
                                      MC_FILE_NAMES_NAME, MC_FILE_CLOSED_NAME};

static char g_dir[512], g_pristine[600], g_work[600];
static unsigned char *g_orig[4];
static size_t g_orig_len[4];
static int g_ready; /* 0: not yet, 1: ready, -1: setup failed */

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void cleanup(void)
{
    if (g_dir[0])
        nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int read_file(const char *path, unsigned char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *buf = malloc(n > 0 ? (size_t)n : 1);
    size_t got = n > 0 ? fread(*buf, 1, (size_t)n, f) : 0;
    fclose(f);
    *len = got;
    return n >= 0 && got == (size_t)n ? 0 : -1;
}

static int write_file(const char *dir, const char *name, const void *buf, size_t len)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = len ? fwrite(buf, 1, len, f) : 0;
    return fclose(f) == 0 && w == len ? 0 : -1;
}

static int build_pristine(void)
{
    metall_options o = {.capacity = (size_t)64 << 20};
    metall_manager *m = metall_create_ex(g_pristine, &o);
    if (!m)
        return -1;
    /* no tiny classes: their slot bitmaps would make the chunks file (and
     * so every input) tens of KiB */
    static const size_t sizes[] = {200, 3000, 70000, (size_t)1 << 20, ((size_t)3 << 20) + 1};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        char name[32];
        snprintf(name, sizeof name, "obj%zu", i);
        char *p = metall_named_malloc(m, name, sizes[i]);
        if (!p)
            return -1;
        memset(p, (int)i + 1, sizes[i]);
        if (i % 2 && !metall_named_set_description(m, name, "a description"))
            return -1;
        if (!metall_malloc(m, sizes[i] / 2 + 1)) /* unnamed neighbours */
            return -1;
    }
    return metall_close(m) ? 0 : -1;
}

static void fixup(unsigned char *f, size_t len);

/* Give every management file of the pristine datastore a fixed uuid and
 * fixed times, so that the seed corpus matches the pristine datastore of
 * every later run. */
static int normalise(void)
{
    static const uint8_t uuid[16] = {0x6d, 0x65, 0x74, 0x61, 0x6c, 0x6c, 0x63, 0x2d,
                                     0x66, 0x75, 0x7a, 0x7a, 0x73, 0x65, 0x65, 0x64};
    for (int k = 0; k < 4; k++) {
        char path[700];
        unsigned char *b;
        size_t len;
        snprintf(path, sizeof path, "%s/%s", g_pristine, kFiles[k]);
        if (read_file(path, &b, &len) || len < sizeof(struct mc_file_header) + 8) {
            free(b);
            return -1;
        }
        memcpy(b + offsetof(struct mc_file_header, uuid), uuid, 16);
        size_t time_off = k == 0 ? offsetof(struct mc_datastore_info, created_unix)
                          : k == 3 ? offsetof(struct mc_closed_info, closed_unix)
                                   : (size_t)-1;
        if (time_off != (size_t)-1)
            memset(b + sizeof(struct mc_file_header) + time_off, 0, 8);
        fixup(b, len);
        int rc = write_file(g_pristine, kFiles[k], b, len);
        free(b);
        if (rc)
            return -1;
    }
    return 0;
}

/* libFuzzer may end the process without running atexit handlers: remove
 * the directories of earlier runs whose process is gone. */
static void remove_stale(const char *base)
{
    DIR *d = opendir(base);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        int pid;
        if (sscanf(de->d_name, "metallc-fuzz-%d-", &pid) != 1 || pid <= 0)
            continue;
        if (kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        char path[600];
        snprintf(path, sizeof path, "%s/%.100s", base, de->d_name);
        nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    closedir(d);
}

static int setup(void)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    remove_stale(base);
    snprintf(g_dir, sizeof g_dir, "%s/metallc-fuzz-%d-XXXXXX", base, (int)getpid());
    if (!mkdtemp(g_dir)) {
        g_dir[0] = '\0';
        return -1;
    }
    atexit(cleanup);
    snprintf(g_pristine, sizeof g_pristine, "%s/pristine", g_dir);
    snprintf(g_work, sizeof g_work, "%s/work", g_dir);
    if (build_pristine() || normalise() || !metall_copy(g_pristine, g_work)) {
        fprintf(stderr, "fuzz harness: setup failed: %s\n", metall_errmsg());
        return -1;
    }
    for (int k = 0; k < 4; k++) {
        char path[700];
        snprintf(path, sizeof path, "%s/%s", g_pristine, kFiles[k]);
        if (read_file(path, &g_orig[k], &g_orig_len[k]))
            return -1;
    }
    return 0;
}

static void fixup(unsigned char *f, size_t len)
{
    if (len < sizeof(struct mc_file_header))
        return;
    struct mc_file_header h;
    memcpy(&h, f, sizeof h);
    h.payload_size = len - sizeof h;
    h.payload_crc = mc_crc32c(0, f + sizeof h, len - sizeof h);
    h.header_crc = mc_crc32c(0, &h, offsetof(struct mc_file_header, header_crc));
    memcpy(f, &h, sizeof h);
}

struct walk {
    unsigned sum;
};

/* Touch the first and last byte of every named object: a name that points
 * outside the mapped heap must have been refused at open. */
static int touch(const char *name, void *ptr, size_t length, void *ctx)
{
    struct walk *w = ctx;
    w->sum += (unsigned char)name[0];
    if (length) {
        w->sum += ((volatile unsigned char *)ptr)[0];
        w->sum += ((volatile unsigned char *)ptr)[length - 1];
    }
    return 0;
}

static int open_and_walk(bool writer)
{
    metall_manager *m = writer ? metall_open(g_work) : metall_open_read_only(g_work);
    if (!m)
        return 0;
    struct walk w = {0};
    metall_named_foreach(m, touch, &w);
    if (writer) {
        /* the loaded directories must also work for allocation */
        void *p = metall_malloc(m, 100);
        void *q = metall_malloc(m, (size_t)3 << 20);
        metall_free(m, p);
        metall_free(m, q);
    }
    metall_close(m);
    return 1;
}

/* One distinct function per file kind: gives each kind its own coverage,
 * so libFuzzer keeps a seed of every kind instead of merging them all
 * (every pristine seed opens along the same path). */
static volatile int g_sink;
__attribute__((noinline)) static void kind_datastore(void) { g_sink = 1; }
__attribute__((noinline)) static void kind_chunks(void) { g_sink = 2; }
__attribute__((noinline)) static void kind_names(void) { g_sink = 3; }
__attribute__((noinline)) static void kind_closed(void) { g_sink = 4; }

int fuzz_one(const uint8_t *data, size_t size)
{
    if (!g_ready)
        g_ready = setup() ? -1 : 1;
    if (g_ready < 0)
        abort(); /* the harness itself is broken: say so loudly */
    if (size < 2)
        return 0;
    int k = data[0] % 4;
    unsigned flags = data[1];
    switch (k) {
    case 0: kind_datastore(); break;
    case 1: kind_chunks(); break;
    case 2: kind_names(); break;
    default: kind_closed(); break;
    }
    size_t len = size - 2;
    unsigned char *f = malloc(len ? len : 1);
    if (len)
        memcpy(f, data + 2, len);
    if (flags & FUZZ_FIXUP)
        fixup(f, len);
    int opened = 0;
    if (write_file(g_work, kFiles[k], f, len) == 0) {
        opened = open_and_walk(false);
        if (flags & FUZZ_WRITER)
            opened |= open_and_walk(true);
    }
    free(f);
    /* restore every management file (a writer's close rewrites them) */
    for (int i = 0; i < 4; i++)
        if (write_file(g_work, kFiles[i], g_orig[i], g_orig_len[i]))
            abort();
    return opened;
}

int fuzz_make_corpus(const char *dir)
{
    if (!g_ready)
        g_ready = setup() ? -1 : 1;
    if (g_ready < 0)
        return -1;
    static const unsigned flag_sets[] = {0, FUZZ_FIXUP, FUZZ_FIXUP | FUZZ_WRITER};
    int n = 0;
    for (int k = 0; k < 4; k++)
        for (size_t j = 0; j < sizeof flag_sets / sizeof *flag_sets; j++) {
            size_t len = g_orig_len[k] + 2;
            unsigned char *b = malloc(len);
            b[0] = (unsigned char)k;
            b[1] = (unsigned char)flag_sets[j];
            memcpy(b + 2, g_orig[k], g_orig_len[k]);
            char name[64];
            snprintf(name, sizeof name, "seed-%s-%u", kFiles[k], flag_sets[j]);
            int rc = write_file(dir, name, b, len);
            free(b);
            if (rc)
                return -1;
            n++;
        }
    return n;
}
