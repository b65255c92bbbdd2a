/*
 * metall-ls - show what a metall-c datastore holds.
 *
 *   metall-ls PATH [--json]
 *
 * Prints the datastore's description, uuid, format version, the library
 * version that created it, its geometry (capacity, block size), statistics
 * (allocated, segment and on-disk bytes, named objects), whether it is
 * consistent, and every named object with its length and description.
 *
 * The datastore is opened read-only, so metall-ls can run beside readers and
 * never changes anything. A datastore that is not consistent (a crash while
 * it was open, or open for writing right now) cannot be opened: metall-ls
 * then prints what can be read without opening it (uuid, description,
 * geometry), says why it cannot open it, and exits 1.
 *
 * PATH may also be a checkpoint chain (metall_checkpoint) or an MPI chain
 * root (metall_mpi_checkpoint): then every checkpoint is listed with its
 * id, state (complete, merged into the base, incomplete), kind, changed
 * pieces and bytes (chain_view.h).
 *
 * Exit status: 0 success, 1 error (message on stderr), 2 usage error.
 */
#include <metall/metall.h>

#include "chain_view.h"
#include "layout.h"
#include "mgmt.h"
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG "metall-ls"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: " PROG " [--json] [--] PATH\n"
            "\n"
            "Show the contents of the metall-c datastore at PATH: description, uuid,\n"
            "format version, creator version, geometry, statistics, consistency and\n"
            "the named objects with their lengths and descriptions. The datastore is\n"
            "opened read-only and never modified.\n"
            "PATH may also be a checkpoint chain or an MPI chain root: every checkpoint\n"
            "is listed (id, complete / merged / incomplete, kind, changed pieces, bytes).\n"
            "\n"
            "options:\n"
            "  --json     print one JSON object instead of text\n"
            "  -h, --help show this help\n"
            "\n"
            "exit status: 0 ok, 1 error (e.g. the datastore is not consistent:\n"
            "crashed or open for writing), 2 usage error\n");
}

/* ---- output helpers ------------------------------------------------------- */

/* Print s as a JSON string: quotes, backslashes and control characters are
 * escaped; valid UTF-8 passes through, any other byte becomes \u00XX (its
 * Latin-1 reading) so the output is always valid JSON. */
static void json_string(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', f);
    while (*p) {
        unsigned c = *p;
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc((int)c, f);
            p++;
        } else if (c == '\n') {
            fputs("\\n", f), p++;
        } else if (c == '\t') {
            fputs("\\t", f), p++;
        } else if (c == '\r') {
            fputs("\\r", f), p++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\u%04x", c), p++;
        } else if (c < 0x80) {
            fputc((int)c, f), p++;
        } else {
            /* length of a well-formed UTF-8 sequence starting here, or 0 */
            int n = 0;
            if (c >= 0xc2 && c <= 0xdf)
                n = 2;
            else if (c >= 0xe0 && c <= 0xef)
                n = 3;
            else if (c >= 0xf0 && c <= 0xf4)
                n = 4;
            for (int i = 1; i < n; i++)
                if ((p[i] & 0xc0) != 0x80)
                    n = 0;
            /* reject overlong forms and surrogates */
            if (n == 3 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0)))
                n = 0;
            if (n == 4 && ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90)))
                n = 0;
            if (n) {
                fwrite(p, 1, (size_t)n, f);
                p += n;
            } else {
                fprintf(f, "\\u%04x", c);
                p++;
            }
        }
    }
    fputc('"', f);
}

/* Print s for a terminal: printable bytes as they are, others as C escapes,
 * so a name with a newline or an escape sequence cannot garble the listing. */
static void text_string(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p == '\\')
            fputs("\\\\", f);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
}

/* "1.5 GiB" for a byte count. */
static const char *human(uint64_t bytes, char buf[32])
{
    static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024.0 && u < 6) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, 32, "%llu B", (unsigned long long)bytes);
    else
        snprintf(buf, 32, "%.1f %s", v, unit[u]);
    return buf;
}

/* ---- what can be read without opening ------------------------------------- */

struct outside {
    bool have_uuid, have_info, have_format, have_desc;
    char uuid[37];
    struct mc_datastore_info info;
    unsigned format_major, format_minor;
    char *desc; /* METALL_DESCRIPTION_MAX + 1 bytes */
};

/* The format version sits in the identity file's header; mgmt_read_datastore
 * only checks it, so read the header bytes ourselves. */
static bool read_format(const char *path, unsigned *major, unsigned *minor)
{
    char f[PATH_MAX];
    if (snprintf(f, sizeof f, "%s/%s", path, MC_FILE_DATASTORE_NAME) >= (int)sizeof f)
        return false;
    int fd;
    if (os_open_regular(f, O_RDONLY, 0, &fd)) /* never blocks on a FIFO */
        return false;
    struct mc_file_header h;
    ssize_t r = read(fd, &h, sizeof h);
    close(fd);
    if (r != (ssize_t)sizeof h || memcmp(h.magic, MC_MAGIC, sizeof h.magic) != 0)
        return false;
    *major = h.format_major;
    *minor = h.format_minor;
    return true;
}

/* Gather what does not need an open manager. Returns false (with errno and
 * metall_errmsg() set) when PATH is not a readable datastore at all. */
static bool read_outside(const char *path, struct outside *o)
{
    o->desc = calloc(1, METALL_DESCRIPTION_MAX + 1);
    if (!o->desc)
        return false;
    o->have_desc = metall_get_description(path, o->desc, METALL_DESCRIPTION_MAX + 1);
    o->have_format = read_format(path, &o->format_major, &o->format_minor);
    uint8_t raw[16];
    if (mgmt_read_datastore(path, raw, &o->info) == 0) {
        o->have_info = true;
        o->info.creator[sizeof o->info.creator - 1] = '\0';
    }
    /* last, so that its message is the one left for the caller */
    o->have_uuid = metall_get_uuid(path, o->uuid);
    if (o->have_uuid)
        return true;
    /* a damaged identity file or another format version of a real
     * datastore: show what we have; a missing path or a foreign directory:
     * plain error */
    return errno == EBADMSG || errno == ENOTSUP;
}

/* ---- what needs an open manager ------------------------------------------- */

struct named {
    char *name;
    size_t length;
    uint64_t offset;
    char *desc;
};

struct inside {
    metall_stats stats;
    struct named *obj;
    size_t nobj, cap;
    const metall_manager *m;
};

static int collect(const char *name, void *ptr, size_t length, void *ctx)
{
    struct inside *in = ctx;
    if (in->nobj == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 64;
        struct named *n = realloc(in->obj, cap * sizeof *n);
        if (!n)
            return ENOMEM;
        in->obj = n;
        in->cap = cap;
    }
    struct named *e = &in->obj[in->nobj];
    e->name = strdup(name);
    if (!e->name)
        return ENOMEM;
    e->length = length;
    e->offset = metall_offset_of(in->m, ptr);
    e->desc = NULL;
    in->nobj++;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct named *)a)->name, ((const struct named *)b)->name);
}

/* Stats and named objects (sorted by name, so the listing is stable). */
static bool read_inside(metall_manager *m, struct inside *in)
{
    in->m = m;
    if (!metall_get_stats(m, &in->stats))
        return false;
    int rc = metall_named_foreach(m, collect, in);
    if (rc != 0) {
        if (rc > 0)
            errno = rc;
        return false;
    }
    qsort(in->obj, in->nobj, sizeof *in->obj, by_name);
    /* descriptions after the walk: foreach holds the directory's lock */
    char *buf = malloc(METALL_DESCRIPTION_MAX + 1);
    if (!buf)
        return false;
    for (size_t i = 0; i < in->nobj; i++) {
        if (!metall_named_get_description(m, in->obj[i].name, buf, METALL_DESCRIPTION_MAX + 1))
            buf[0] = '\0';
        in->obj[i].desc = strdup(buf);
        if (!in->obj[i].desc) {
            free(buf);
            return false;
        }
    }
    free(buf);
    return true;
}

static void free_inside(struct inside *in)
{
    for (size_t i = 0; i < in->nobj; i++) {
        free(in->obj[i].name);
        free(in->obj[i].desc);
    }
    free(in->obj);
}

/* ---- printing ------------------------------------------------------------- */

static void print_text(const char *path, const struct outside *o, const struct inside *in,
                       const char *why)
{
    char h[32];
    printf("datastore     ");
    text_string(stdout, path);
    printf("\ndescription   ");
    if (o->have_desc && o->desc[0])
        text_string(stdout, o->desc);
    else
        printf(o->have_desc ? "(none)" : "(unreadable)");
    printf("\nuuid          %s\n", o->have_uuid ? o->uuid : "(unreadable)");
    if (o->have_format)
        printf("format        %u.%u\n", o->format_major, o->format_minor);
    if (o->have_info) {
        time_t t = (time_t)o->info.created_unix;
        struct tm tm;
        char when[64] = "?";
        if (gmtime_r(&t, &tm))
            strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
        printf("created by    metall-c %s on %s\n", o->info.creator, when);
        printf("capacity      %s (%llu bytes)\n", human(o->info.capacity, h),
               (unsigned long long)o->info.capacity);
        printf("block size    %s\n", human(o->info.block_size, h));
    }
    if (why) {
        printf("consistent    no: ");
        text_string(stdout, why);
        printf("\n");
        return;
    }
    printf("consistent    yes (closed properly, not open for writing)\n");
    printf("allocated     %s (%zu bytes)\n", human(in->stats.allocated_bytes, h),
           in->stats.allocated_bytes);
    printf("segment       %s\n", human(in->stats.segment_bytes, h));
    printf("on disk       %s (%zu bytes)\n", human(in->stats.file_bytes, h),
           in->stats.file_bytes);
    printf("named objects %zu\n", in->stats.named_objects);
    /* a table: names padded to the longest (up to 32 columns) */
    int w = 4;
    for (size_t i = 0; i < in->nobj; i++) {
        size_t n = strlen(in->obj[i].name);
        if (n > (size_t)w)
            w = n > 32 ? 32 : (int)n;
    }
    if (in->nobj)
        printf("  %-*s %14s  %s\n", w, "NAME", "LENGTH", "DESCRIPTION");
    for (size_t i = 0; i < in->nobj; i++) {
        const struct named *e = &in->obj[i];
        printf("  ");
        text_string(stdout, e->name);
        size_t n = strlen(e->name);
        printf("%*s %8zu bytes", n < (size_t)w ? w - (int)n : 0, "", e->length);
        if (e->desc[0]) {
            printf("  \"");
            text_string(stdout, e->desc);
            printf("\"");
        }
        printf("\n");
    }
}

static void print_json(const char *path, const struct outside *o, const struct inside *in,
                       const char *why)
{
    printf("{\"path\":");
    json_string(stdout, path);
    printf(",\"uuid\":");
    if (o->have_uuid)
        json_string(stdout, o->uuid);
    else
        printf("null");
    printf(",\"description\":");
    if (o->have_desc)
        json_string(stdout, o->desc);
    else
        printf("null");
    if (o->have_format)
        printf(",\"format_version\":\"%u.%u\"", o->format_major, o->format_minor);
    if (o->have_info) {
        printf(",\"creator_version\":");
        json_string(stdout, o->info.creator);
        printf(",\"created_unix\":%llu,\"capacity\":%llu,\"block_size\":%llu,"
               "\"chunk_size\":%llu",
               (unsigned long long)o->info.created_unix, (unsigned long long)o->info.capacity,
               (unsigned long long)o->info.block_size, (unsigned long long)o->info.chunk_size);
    }
    printf(",\"consistent\":%s", why ? "false" : "true");
    if (why) {
        printf(",\"error\":");
        json_string(stdout, why);
        printf("}\n");
        return;
    }
    printf(",\"stats\":{\"allocated_bytes\":%zu,\"segment_bytes\":%zu,\"file_bytes\":%zu,"
           "\"named_objects\":%zu}",
           in->stats.allocated_bytes, in->stats.segment_bytes, in->stats.file_bytes,
           in->stats.named_objects);
    printf(",\"named_objects\":[");
    for (size_t i = 0; i < in->nobj; i++) {
        const struct named *e = &in->obj[i];
        printf("%s{\"name\":", i ? "," : "");
        json_string(stdout, e->name);
        printf(",\"length\":%zu,\"offset\":%llu,\"description\":", e->length,
               (unsigned long long)e->offset);
        json_string(stdout, e->desc);
        printf("}");
    }
    printf("]}\n");
}

/* ---- main ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
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
        } else if (!strcmp(argv[i], "--json")) {
            json = true;
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

    if (cv_is_mpi_chain_root(path) || cv_is_chain(path)) {
        int rc = cv_is_mpi_chain_root(path) ? cv_print_mpi_root(PROG, path, json, false)
                                            : cv_print_chain(PROG, path, "", json, NULL);
        if (json && !cv_is_mpi_chain_root(path))
            putchar('\n');
        return rc;
    }

    struct outside o = {0};
    if (!read_outside(path, &o)) {
        fprintf(stderr, PROG ": %s\n", metall_errmsg()[0] ? metall_errmsg() : strerror(errno));
        free(o.desc);
        return 1;
    }

    /* The reason it cannot be opened, if any. metall_consistent() tells a
     * crash from "open for writing now"; the read-only open then catches a
     * damaged management file. */
    char why[2048] = "";
    metall_manager *m = NULL;
    struct inside in = {0};
    if (!o.have_uuid) {
        snprintf(why, sizeof why, "%s", metall_errmsg());
    } else if (!metall_consistent(path)) {
        snprintf(why, sizeof why, "%s", metall_errmsg());
    } else if (!(m = metall_open_read_only(path))) {
        snprintf(why, sizeof why, "%s", metall_errmsg());
    } else if (!read_inside(m, &in)) {
        snprintf(why, sizeof why, "%s: cannot list it: %s", path,
                 metall_errmsg()[0] ? metall_errmsg() : strerror(errno));
    }
    if (why[0] == '\0' && m == NULL)
        snprintf(why, sizeof why, "%s: cannot be opened", path);

    if (json)
        print_json(path, &o, &in, why[0] ? why : NULL);
    else
        print_text(path, &o, &in, why[0] ? why : NULL);
    fflush(stdout);
    if (why[0])
        fprintf(stderr, PROG ": cannot open %s read-only: %s\n", path, why);

    free_inside(&in);
    if (m)
        metall_close(m);
    free(o.desc);
    return why[0] ? 1 : 0;
}
