/*
 * metall-check - validate a metall-c datastore file by file.
 *
 *   metall-check PATH [--quiet]
 *   metall-check --remove PATH     finish an interrupted removal
 *
 * Runs every check on its own, so one damaged file does not hide the
 * others, and reports each problem with the file it concerns:
 *
 *   datastore     identity file: magic, format version, checksums, geometry
 *   chunks        chunk directory: header, checksums, uuid, every entry and
 *                 slot bitmap (the library's own parser, src/mgmt.h)
 *   names         named-object directory: records, and that every object is
 *                 an allocated object of the chunk directory
 *   closed        the properly-closed mark (absent after a crash or while
 *                 the datastore is open for writing)
 *   segment       the block files the chunk directory needs: present,
 *                 regular, block_size bytes each
 *   lock          whether another process holds the datastore for writing
 *   description   the optional description text (a warning only)
 *   open          finally metall_open_read_only() itself, and
 *                 metall_consistent(): the verdict is the library's own
 *
 * Exit status: 0 when the datastore would open (read-only open succeeds and
 * it is consistent) and no problem was found; 1 otherwise (or on error);
 * 2 on a usage error.
 */
#include <metall/metall.h>

#include "checksum.h"
#include "chunk.h"
#include "layout.h"
#include "mgmt.h"
#include "named.h"
#include "os.h"
#include "types.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROG "metall-check"

/* Management files are small; refuse absurd sizes instead of reading them. */
#define MAX_MGMT_FILE ((uint64_t)1 << 40)

static void usage(FILE *f)
{
    fprintf(f,
            "usage: " PROG " [--quiet] [--] PATH\n"
            "       " PROG " --remove [--] PATH\n"
            "\n"
            "Validate the metall-c datastore at PATH: the identity file, the chunk\n"
            "and named-object directories, the properly-closed mark, the segment\n"
            "block files and the lock. Every check runs on its own and every problem\n"
            "is listed with the file it concerns, then a verdict line.\n"
            "\n"
            "options:\n"
            "  -q, --quiet  print only problems, warnings and the verdict\n"
            "  --remove     finish an interrupted removal: PATH was being removed\n"
            "               (metall_remove() or create with overwrite was killed; it\n"
            "               holds the mark 'removing'), or is the temporary directory\n"
            "               such a removal leaves (NAME.metall-tmp-*); nothing else is\n"
            "               removed\n"
            "  -h, --help   show this help\n"
            "\n"
            "exit status: 0 the datastore would open (read-only) and is consistent,\n"
            "1 it would not (or PATH is not a datastore), 2 usage error\n");
}

/* ---- report --------------------------------------------------------------- */

static bool quiet;
static unsigned problems, warnings;

static void report(const char *level, const char *what, const char *fmt, va_list ap)
{
    printf("  %-7s %-12s ", level, what);
    vprintf(fmt, ap);
    printf("\n");
}

static void ok(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(const char *what, const char *fmt, ...)
{
    if (quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    report("ok", what, fmt, ap);
    va_end(ap);
}

static void problem(const char *what, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void problem(const char *what, const char *fmt, ...)
{
    problems++;
    va_list ap;
    va_start(ap, fmt);
    report("PROBLEM", what, fmt, ap);
    va_end(ap);
}

static void warn(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(const char *what, const char *fmt, ...)
{
    warnings++;
    va_list ap;
    va_start(ap, fmt);
    report("warning", what, fmt, ap);
    va_end(ap);
}

/* ---- what the checks learn and share -------------------------------------- */

struct state {
    const char *path;
    bool have_uuid;      /* uuid known (from the identity file, or failing that
                            from another file's header: only for comparisons) */
    bool uuid_trusted;   /* uuid from a valid identity file */
    uint8_t uuid[16];
    bool have_info;      /* geometry known (identity file valid) */
    struct mc_datastore_info info;
    metall_manager *m;   /* scratch manager holding the parsed directories */
    bool chunks_loaded;
    bool writer_active;  /* the lock is held for writing elsewhere */
};

static void file_path(const struct state *s, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", s->path, name);
}

/* Read a management file and check its header like the library does
 * (magic, header checksum, format, kind, payload size and checksum, and the
 * uuid when one is known). On success *buf is the file and *payload and *plen
 * its payload; on failure a message naming the problem is in why. */
static int read_mgmt(const struct state *s, const char *name, uint32_t kind, void **buf,
                     const char **payload, size_t *plen, uint8_t uuid_out[16], char *why,
                     size_t whylen)
{
    char f[PATH_MAX];
    file_path(s, name, f, sizeof f);
    int fd;
    int e = os_open_regular(f, O_RDONLY, 0, &fd); /* never blocks on a FIFO */
    if (e == EINVAL || e == ELOOP) {
        snprintf(why, whylen, "%s: not a regular file", f);
        return EBADMSG;
    }
    if (e) {
        snprintf(why, whylen, "%s: %s", f, e == ENOENT ? "missing" : strerror(e));
        return e;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_MGMT_FILE) {
        close(fd);
        snprintf(why, whylen, "%s: not a regular file of sane size", f);
        return EBADMSG;
    }
    size_t len = (size_t)st.st_size;
    char *b = malloc(len ? len : 1);
    if (!b) {
        close(fd);
        snprintf(why, whylen, "%s: out of memory (%zu bytes)", f, len);
        return ENOMEM;
    }
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, b + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    int rc = EBADMSG;
    struct mc_file_header h;
    if (got != len) {
        snprintf(why, whylen, "%s: read error", f);
        rc = EIO;
        goto fail;
    }
    if (len < sizeof h) {
        snprintf(why, whylen, "%s is truncated (%zu bytes, a header has %zu)", f, len,
                 sizeof h);
        goto fail;
    }
    memcpy(&h, b, sizeof h);
    if (memcmp(h.magic, MC_MAGIC, sizeof h.magic) != 0) {
        snprintf(why, whylen, "%s: bad magic: not a metall-c file", f);
        goto fail;
    }
    if (h.header_crc != mc_crc32c(0, &h, offsetof(struct mc_file_header, header_crc))) {
        snprintf(why, whylen, "%s: header checksum mismatch (damaged)", f);
        goto fail;
    }
    if (h.format_major < MC_FORMAT_MAJOR_OLDEST || h.format_major > MC_FORMAT_MAJOR) {
        snprintf(why, whylen,
                 "%s: format version %u.%u is not supported (this build reads %d.x to %d.x)", f,
                 h.format_major, h.format_minor, MC_FORMAT_MAJOR_OLDEST, MC_FORMAT_MAJOR);
        rc = ENOTSUP;
        goto fail;
    }
    if (h.kind != kind) {
        snprintf(why, whylen, "%s: wrong file kind %u (expected %u)", f, h.kind, kind);
        goto fail;
    }
    if (h.payload_size != len - sizeof h) {
        snprintf(why, whylen,
                 "%s is truncated or extended: %zu payload bytes, its header says %llu", f,
                 len - sizeof h, (unsigned long long)h.payload_size);
        goto fail;
    }
    if (h.payload_crc != mc_crc32c(0, b + sizeof h, len - sizeof h)) {
        snprintf(why, whylen, "%s: payload checksum mismatch (damaged)", f);
        goto fail;
    }
    if (s->have_uuid && memcmp(h.uuid, s->uuid, 16) != 0) {
        snprintf(why, whylen, "%s belongs to another datastore (uuid mismatch)", f);
        goto fail;
    }
    if (uuid_out)
        memcpy(uuid_out, h.uuid, 16);
    *buf = b;
    *payload = b + sizeof h;
    *plen = len - sizeof h;
    return 0;
fail:
    free(b);
    return rc;
}

/* ---- the checks ----------------------------------------------------------- */

static void check_identity(struct state *s)
{
    if (mgmt_read_datastore(s->path, s->uuid, &s->info) == 0) {
        s->have_uuid = s->uuid_trusted = s->have_info = true;
        s->info.creator[sizeof s->info.creator - 1] = '\0';
        char u[37];
        mgmt_uuid_string(s->uuid, u);
        ok(MC_FILE_DATASTORE_NAME, "uuid %s, created by metall-c %s, capacity %llu, block %llu",
           u, s->info.creator, (unsigned long long)s->info.capacity,
           (unsigned long long)s->info.block_size);
        return;
    }
    problem(MC_FILE_DATASTORE_NAME, "%s", metall_errmsg());
}

/* When the identity file is bad, borrow the uuid of another file's valid
 * header so the remaining files can still be compared with each other. */
static void borrow_uuid(struct state *s)
{
    static const struct {
        const char *name;
        uint32_t kind;
    } files[] = {{MC_FILE_CLOSED_NAME, MC_FILE_CLOSED},
                 {MC_FILE_CHUNKS_NAME, MC_FILE_CHUNKS},
                 {MC_FILE_NAMES_NAME, MC_FILE_NAMES}};
    for (size_t i = 0; i < sizeof files / sizeof *files && !s->have_uuid; i++) {
        void *b;
        const char *p;
        size_t n;
        char why[PATH_MAX + 256];
        if (read_mgmt(s, files[i].name, files[i].kind, &b, &p, &n, s->uuid, why,
                      sizeof why) == 0) {
            s->have_uuid = true;
            free(b);
        }
    }
}

/* A scratch manager that only holds the parsed chunk and named directories
 * (no segment is mapped), for the library's own parsers. */
static metall_manager *scratch_manager(struct state *s)
{
    size_t sz = (sizeof(metall_manager) + 63) & ~(size_t)63;
    metall_manager *m = aligned_alloc(64, sz);
    if (!m)
        return NULL;
    memset(m, 0, sz);
    m->path = strdup(s->path);
    m->lock_fd = -1;
    m->seg.capacity = (size_t)s->info.capacity;
    m->seg.block_size = (size_t)s->info.block_size;
    m->seg.path = m->path;
    memcpy(m->uuid, s->uuid, 16);
    if (!m->path || named_init(&m->named) || chunk_dir_init(m)) {
        named_destroy(&m->named);
        free(m->path);
        free(m);
        return NULL;
    }
    return m;
}

static void scratch_free(metall_manager *m)
{
    if (!m)
        return;
    chunk_dir_destroy(m);
    named_destroy(&m->named);
    free(m->path);
    free(m);
}

static void check_chunks(struct state *s)
{
    void *b;
    const char *p;
    size_t n;
    char why[PATH_MAX + 512];
    if (read_mgmt(s, MC_FILE_CHUNKS_NAME, MC_FILE_CHUNKS, &b, &p, &n, NULL, why, sizeof why)) {
        problem(MC_FILE_CHUNKS_NAME, "%s", why);
        return;
    }
    if (!s->have_info) {
        free(b);
        warn(MC_FILE_CHUNKS_NAME, "header valid; entries not checked (geometry unknown)");
        return;
    }
    s->m = scratch_manager(s);
    if (!s->m) {
        free(b);
        problem(MC_FILE_CHUNKS_NAME, "out of memory for the chunk directory");
        return;
    }
    char f[PATH_MAX];
    file_path(s, MC_FILE_CHUNKS_NAME, f, sizeof f);
    if (mgmt_parse_chunks(s->m, f, p, n) != 0) {
        problem(MC_FILE_CHUNKS_NAME, "%s", metall_errmsg());
    } else {
        s->chunks_loaded = true;
        ok(MC_FILE_CHUNKS_NAME, "%u chunks of 2 MiB in use or used", s->m->chunks.nchunks);
    }
    free(b);
}

/* The names file when the chunk directory is unusable: its records can
 * still be walked, only their targets cannot be checked. */
static void walk_names_only(const char *f, unsigned major, const char *p, size_t len)
{
    struct named_dir d;
    if (named_init(&d)) {
        problem(MC_FILE_NAMES_NAME, "%s: out of memory", f);
        return;
    }
    if (mgmt_parse_names_only(&d, f, major, p, len) != 0)
        problem(MC_FILE_NAMES_NAME, "%s", metall_errmsg());
    else
        warn(MC_FILE_NAMES_NAME,
             "%zu records well formed; their objects not checked (chunk directory unusable)",
             d.count);
    named_destroy(&d);
}

static void check_names(struct state *s)
{
    void *b;
    const char *p;
    size_t n;
    char why[PATH_MAX + 512];
    if (read_mgmt(s, MC_FILE_NAMES_NAME, MC_FILE_NAMES, &b, &p, &n, NULL, why, sizeof why)) {
        problem(MC_FILE_NAMES_NAME, "%s", why);
        return;
    }
    char f[PATH_MAX];
    file_path(s, MC_FILE_NAMES_NAME, f, sizeof f);
    unsigned major = ((const struct mc_file_header *)b)->format_major;
    if (!s->chunks_loaded)
        walk_names_only(f, major, p, n);
    else if (mgmt_parse_names(s->m, f, major, p, n) != 0)
        problem(MC_FILE_NAMES_NAME, "%s", metall_errmsg());
    else
        ok(MC_FILE_NAMES_NAME,
           "%zu named objects, %zu unique, %zu anonymous; each an allocated object",
           s->m->named.kind_count[METALL_OBJECT_NAMED],
           s->m->named.kind_count[METALL_OBJECT_UNIQUE],
           s->m->named.kind_count[METALL_OBJECT_ANONYMOUS]);
    free(b);
}

static void check_lock(struct state *s)
{
    char f[PATH_MAX];
    file_path(s, MC_FILE_LOCK_NAME, f, sizeof f);
    int fd;
    int e = os_open_regular(f, O_RDONLY, 0, &fd);
    if (e) {
        if (e == ENOENT)
            ok(MC_FILE_LOCK_NAME, "no lock file: not open (a writer creates it)");
        else if (e == EINVAL || e == ELOOP)
            problem(MC_FILE_LOCK_NAME, "%s is not a regular file", f);
        else
            warn(MC_FILE_LOCK_NAME, "%s: cannot open: %s", f, strerror(e));
        return;
    }
    /* A shared lock only conflicts with a writer's exclusive one, and is
     * what a read-only open takes: probing with it disturbs no reader. */
    if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            s->writer_active = true;
            problem(MC_FILE_LOCK_NAME, "%s is open for writing by another manager or process",
                    s->path);
        } else {
            warn(MC_FILE_LOCK_NAME, "%s: cannot lock: %s", f, strerror(errno));
        }
    } else {
        flock(fd, LOCK_UN);
        ok(MC_FILE_LOCK_NAME, "not open for writing");
    }
    close(fd);
}

static void check_closed(struct state *s)
{
    char f[PATH_MAX];
    file_path(s, MC_FILE_CLOSED_NAME, f, sizeof f);
    if (s->uuid_trusted) {
        if (mgmt_check_closed(s->path, s->uuid) == 0) {
            ok(MC_FILE_CLOSED_NAME, "properly-closed mark present");
            return;
        }
        if (errno != ENOTRECOVERABLE) {
            problem(MC_FILE_CLOSED_NAME, "%s", metall_errmsg());
            return;
        }
    } else {
        void *b;
        const char *p;
        size_t n;
        char why[PATH_MAX + 512];
        int rc = read_mgmt(s, MC_FILE_CLOSED_NAME, MC_FILE_CLOSED, &b, &p, &n, NULL, why,
                           sizeof why);
        if (rc == 0) {
            free(b);
            if (n == sizeof(struct mc_closed_info))
                ok(MC_FILE_CLOSED_NAME, "properly-closed mark present");
            else
                problem(MC_FILE_CLOSED_NAME, "%s: wrong size", f);
            return;
        }
        if (rc != ENOENT) {
            problem(MC_FILE_CLOSED_NAME, "%s", why);
            return;
        }
    }
    char r[PATH_MAX];
    struct stat st;
    file_path(s, MC_FILE_REMOVING_NAME, r, sizeof r);
    if (lstat(r, &st) == 0)
        problem(MC_FILE_REMOVING_NAME,
                "%s is partly removed (a metall_remove() or a create with overwrite was "
                "interrupted); finish the removal with: " PROG " --remove %s",
                s->path, s->path);
    else if (s->writer_active)
        problem(MC_FILE_CLOSED_NAME,
                "%s is absent: the datastore is open for writing now (close it first)", f);
    else
        problem(MC_FILE_CLOSED_NAME,
                "%s is absent: the datastore was not closed properly (a process died "
                "while it was open); restore it from a snapshot",
                f);
}

/* One block file: present, regular and block_size bytes. */
static bool check_block(const struct state *s, unsigned i, bool required)
{
    char name[64], f[PATH_MAX];
    snprintf(name, sizeof name, MC_BLOCK_FMT, i);
    file_path(s, name, f, sizeof f);
    struct stat st;
    if (stat(f, &st) != 0) {
        if (required)
            problem("segment", "%s: %s (the chunk directory uses it)", f,
                    errno == ENOENT ? "missing" : strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        problem("segment", "%s is not a regular file", f);
        return false;
    }
    if ((uint64_t)st.st_size != s->info.block_size) {
        if (required)
            problem("segment", "%s has %lld bytes, expected %llu", f, (long long)st.st_size,
                    (unsigned long long)s->info.block_size);
        else
            warn("segment", "%s (unused) has %lld bytes, expected %llu", f,
                 (long long)st.st_size, (unsigned long long)s->info.block_size);
        return false;
    }
    return true;
}

static void check_segment(struct state *s)
{
    if (!s->have_info) {
        warn("segment", "block files not checked (geometry unknown)");
        return;
    }
    unsigned need = 0;
    if (s->chunks_loaded) {
        uint64_t used = (uint64_t)s->m->chunks.nchunks << MC_CHUNK_SHIFT;
        need = (unsigned)((used + s->info.block_size - 1) / s->info.block_size);
    }
    unsigned before = problems, good = 0;
    for (unsigned i = 0; i < need; i++)
        good += check_block(s, i, true);
    /* blocks past the high-water mark (left by a grow or a copy) are not
     * mapped at open: a warning at most */
    unsigned extra = 0;
    for (unsigned i = need; i < s->info.capacity / s->info.block_size; i++) {
        char name[64], f[PATH_MAX];
        snprintf(name, sizeof name, MC_BLOCK_FMT, i);
        file_path(s, name, f, sizeof f);
        if (access(f, F_OK) != 0)
            break;
        check_block(s, i, false);
        extra++;
    }
    if (problems != before)
        return;
    if (!s->chunks_loaded)
        warn("segment", "%u block files present; which are needed is unknown (chunk "
                        "directory unusable)", extra);
    else
        ok("segment", "%u of %u block files present and %llu bytes each%s", good, need,
           (unsigned long long)s->info.block_size, extra ? " (plus unused ones)" : "");
}

static void check_description(const struct state *s)
{
    char f[PATH_MAX];
    file_path(s, MC_FILE_DESCRIPTION_NAME, f, sizeof f);
    struct stat st;
    if (stat(f, &st) != 0) {
        if (errno == ENOENT)
            ok(MC_FILE_DESCRIPTION_NAME, "none set");
        else
            warn(MC_FILE_DESCRIPTION_NAME, "%s: %s", f, strerror(errno));
        return;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > METALL_DESCRIPTION_MAX)
        warn(MC_FILE_DESCRIPTION_NAME, "%s is not a text of at most %d bytes", f,
             METALL_DESCRIPTION_MAX);
    else
        ok(MC_FILE_DESCRIPTION_NAME, "%lld bytes", (long long)st.st_size);
}

/* The library's verdict: what a user of the datastore will see. */
static bool check_open(const struct state *s)
{
    metall_manager *m = metall_open_read_only(s->path);
    if (!m) {
        /* already explained by a problem above unless our checks missed it */
        if (problems)
            printf("  %-7s %-12s %s\n", "fails", "open", metall_errmsg());
        else
            problem("open", "%s", metall_errmsg());
        return false;
    }
    metall_close(m);
    if (!metall_consistent(s->path)) {
        if (!problems)
            problem("open", "%s", metall_errmsg());
        return false;
    }
    ok("open", "metall_open_read_only() succeeds and the datastore is consistent");
    return true;
}

/* ---- main ------------------------------------------------------------------ */

/* Is the last component of path (trailing slashes ignored) named like the
 * library's temporaries? */
static bool tmp_named(const char *path)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (size_t n = strlen(p); n > 1 && p[n - 1] == '/'; n--)
        p[n - 1] = '\0';
    const char *base = strrchr(p, '/');
    return strstr(base ? base + 1 : p, MC_TMP_INFIX) != NULL;
}

/* --remove: finish what an interrupted removal left at path, and nothing
 * else. */
static int finish_removal(const char *path)
{
    char f[PATH_MAX];
    struct stat st;
    snprintf(f, sizeof f, "%s/%s", path, MC_FILE_REMOVING_NAME);
    if (lstat(f, &st) != 0 && !tmp_named(path)) {
        fprintf(stderr,
                PROG ": %s is not an interrupted removal (no %s mark, not a temporary "
                "directory); " PROG " --remove removes nothing else\n",
                path, MC_FILE_REMOVING_NAME);
        return 1;
    }
    if (!metall_remove(path)) {
        fprintf(stderr, PROG ": %s\n", metall_errmsg());
        return 1;
    }
    printf(PROG ": %s: removed (finished an interrupted removal)\n", path);
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    bool remove = false;
    bool options = true; /* until "--": a PATH may start with '-' after it */
    for (int i = 1; i < argc; i++) {
        if (options && !strcmp(argv[i], "--")) {
            options = false;
        } else if (!options) {
            if (path) {
                fprintf(stderr, PROG ": only one PATH, please ('%s' is extra)\n", argv[i]);
                usage(stderr);
                return 2;
            }
            path = argv[i];
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
            quiet = true;
        } else if (!strcmp(argv[i], "--remove")) {
            remove = true;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, PROG ": unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (!path) {
            path = argv[i];
        } else {
            fprintf(stderr, PROG ": only one PATH, please ('%s' is extra)\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, PROG ": missing PATH\n");
        usage(stderr);
        return 2;
    }
    if (remove)
        return finish_removal(path);

    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, PROG ": %s is not a directory, so not a metall-c datastore\n", path);
        return 1;
    }
    /* a directory without the identity file is not a datastore at all:
     * there is nothing to check file by file */
    char f[PATH_MAX];
    snprintf(f, sizeof f, "%s/%s", path, MC_FILE_DATASTORE_NAME);
    if (access(f, F_OK) != 0) {
        if (tmp_named(path))
            fprintf(stderr,
                    PROG ": %s is what an interrupted snapshot, copy or removal left, not a "
                    "datastore; if it is empty, " PROG " --remove deletes it (else "
                    "metall-leftovers --remove)\n",
                    path);
        else
            fprintf(stderr, PROG ": %s is not a metall-c datastore (no %s file)\n", path,
                    MC_FILE_DATASTORE_NAME);
        return 1;
    }

    struct state s = {.path = path};
    if (!quiet)
        printf(PROG ": %s\n", path);
    check_identity(&s);
    if (!s.have_uuid)
        borrow_uuid(&s);
    check_chunks(&s);
    check_names(&s);
    check_lock(&s);
    check_closed(&s);
    check_segment(&s);
    check_description(&s);
    scratch_free(s.m);
    bool opens = check_open(&s);

    if (opens && problems == 0)
        printf("verdict: OK: %s would open%s\n", path,
               warnings ? " (see the warnings above)" : "");
    else
        printf("verdict: BAD: %u problem%s; %s would not open\n", problems,
               problems == 1 ? "" : "s", path);
    return opens && problems == 0 ? 0 : 1;
}
