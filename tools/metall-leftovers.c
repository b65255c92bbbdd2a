/*
 * metall-leftovers - list, and with --remove delete, what interrupted
 * operations of metall-c left under a directory: temporaries of core
 * snapshots and copies (DST.metall-tmp-PID-HEX), of MPI snapshots and
 * copies (DST.metall-mpi-tmp-HEX) and of MPI marker, manifest or placement
 * files and checkpoint chain manifests (.NAME.tmp-PID-HEX; an older
 * writer's metall_mpi_chain.tmp). Not an MPI program. A running snapshot's
 * temporary looks the same as an abandoned one: run it when no job writes
 * under DIR, or keep recent ones with --min-age.
 */
#include "rootfs.h"
#include "tool_args.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEPTH 64
#define MAX_DEPTH_S "64"

struct opts {
    bool remove, dry_run, quiet;
    long min_age; /* seconds; younger leftovers are kept */
};

struct tally {
    unsigned found, removed, kept, failed;
    unsigned unexamined; /* entries that could not be looked at */
    uint64_t bytes;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: metall-leftovers [--remove] [--dry-run] [--min-age SECONDS] [-q] DIR...\n"
            "\n"
            "Lists what interrupted metall-c operations left under each DIR (searched\n"
            "recursively, symlinks not followed):\n"
            "  core-tmp  DST.metall-tmp-PID-HEX      a core snapshot or copy\n"
            "  mpi-tmp   DST.metall-mpi-tmp-HEX      an MPI snapshot or copy\n"
            "  file-tmp  .NAME.tmp-PID-HEX           an MPI marker, manifest or placement file,\n"
            "                                        or an MPI checkpoint chain's manifest\n"
            "One line per leftover: KIND BYTES PATH, then a summary line.\n"
            "\n"
            "  --remove        delete them\n"
            "  --dry-run       with --remove: say what would be deleted, delete nothing\n"
            "  --min-age S     skip leftovers with anything in them modified less than S\n"
            "                  seconds ago (an operation may still be writing them); default 0\n"
            "  -q, --quiet     only the summary and errors\n"
            "  -h, --help      this text\n"
            "\n"
            "A running snapshot's temporary looks like an abandoned one: remove only when\n"
            "no job writes under DIR. Exit status: 0 done (also when nothing was found),\n"
            "1 a directory or an entry could not be read (it may hide leftovers) or a\n"
            "leftover could not be removed, 2 usage.\n");
}

static const char *kind_name(enum mm_leftover k)
{
    switch (k) {
    case MM_LEFTOVER_MPI_TMP: return "mpi-tmp";
    case MM_LEFTOVER_CORE_TMP: return "core-tmp";
    case MM_LEFTOVER_FILE_TMP: return "file-tmp";
    default: return "?";
    }
}

static time_t newest_seen;

static int note_mtime(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)path;
    (void)flag;
    (void)ftw;
    if (sb->st_mtime > newest_seen)
        newest_seen = sb->st_mtime;
    return 0;
}

/* The newest modification below path (itself included): a running
 * snapshot writes its segment files, not its top directory. */
static time_t newest_mtime(const char *path, const struct stat *st)
{
    newest_seen = st->st_mtime;
    if (S_ISDIR(st->st_mode) && nftw(path, note_mtime, 16, FTW_PHYS) != 0)
        return time(NULL); /* unreadable: take it as fresh */
    return newest_seen;
}

static void handle(const char *path, const struct stat *st, enum mm_leftover k,
                   const struct opts *o, struct tally *t)
{
    uint64_t bytes = (uint64_t)st->st_blocks * 512u;
    if (S_ISDIR(st->st_mode))
        mm_disk_usage(path, &bytes);
    if (o->min_age > 0 && time(NULL) - newest_mtime(path, st) < o->min_age) {
        t->kept++;
        if (!o->quiet)
            printf("%-9s %12" PRIu64 " %s (kept: younger than %ld s)\n", kind_name(k), bytes,
                   path, o->min_age);
        return;
    }
    t->found++;
    t->bytes += bytes;
    if (!o->remove) {
        if (!o->quiet)
            printf("%-9s %12" PRIu64 " %s\n", kind_name(k), bytes, path);
        return;
    }
    if (o->dry_run) {
        if (!o->quiet)
            printf("would remove %-9s %12" PRIu64 " %s\n", kind_name(k), bytes, path);
        return;
    }
    int rc = mm_remove_tree(path);
    if (rc && rc != ENOENT) {
        fprintf(stderr, "metall-leftovers: cannot remove %s: %s\n", path, strerror(rc));
        t->failed++;
        return;
    }
    t->removed++;
    if (!o->quiet)
        printf("removed %-9s %12" PRIu64 " %s\n", kind_name(k), bytes, path);
}

/* A core datastore holds no leftovers of interest below it (its own
 * temporary files are its business): do not descend. */
static bool is_core_datastore(const char *dir)
{
    char p[PATH_MAX];
    int n = snprintf(p, sizeof p, "%s/datastore", dir);
    struct stat st;
    return n > 0 && (size_t)n < sizeof p && lstat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* An entry walk() cannot look at may be a leftover: say so, and count it
 * (exit status 1), rather than report a clean directory. */
static void not_examined(const char *dir, const char *name, const char *why, struct tally *t)
{
    fprintf(stderr, "metall-leftovers: cannot examine %s/%s: %s\n", dir, name, why);
    t->unexamined++;
}

static int walk(const char *dir, int depth, const struct opts *o, struct tally *t)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "metall-leftovers: cannot read %s: %s\n", dir, strerror(errno));
        return 1;
    }
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char p[PATH_MAX];
        struct stat st;
        int n = snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (n < 0 || (size_t)n >= sizeof p) {
            not_examined(dir, de->d_name, strerror(ENAMETOOLONG), t);
            continue;
        }
        if (lstat(p, &st) != 0) {
            if (errno != ENOENT) /* ENOENT: gone since readdir, nothing left */
                not_examined(dir, de->d_name, strerror(errno), t);
            continue;
        }
        enum mm_leftover k = mm_leftover_kind(de->d_name);
        if (k != MM_LEFTOVER_NONE && (k == MM_LEFTOVER_FILE_TMP) == S_ISREG(st.st_mode))
            handle(p, &st, k, o, t);
        else if (S_ISDIR(st.st_mode) && depth >= MAX_DEPTH)
            not_examined(dir, de->d_name, "more than " MAX_DEPTH_S " directories deep", t);
        else if (S_ISDIR(st.st_mode) && !is_core_datastore(p))
            rc |= walk(p, depth + 1, o, t);
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o = {0};
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return usage(stdout), 0;
        else if (!strcmp(a, "--remove"))
            o.remove = true;
        else if (!strcmp(a, "--dry-run"))
            o.dry_run = true;
        else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
            o.quiet = true;
        else if (!strcmp(a, "--min-age")) {
            /* digits only: an empty value (an unset shell variable) must
             * not mean "remove even what a running job is writing" */
            long long age;
            if (!tool_parse_count("metall-leftovers", "--min-age", "seconds",
                                  i + 1 < argc ? argv[++i] : NULL, LONG_MAX, &age))
                return 2;
            o.min_age = (long)age;
        } else if (!strcmp(a, "--")) {
            i++;
            break;
        } else {
            fprintf(stderr, "metall-leftovers: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "metall-leftovers: no directory given\n");
        usage(stderr);
        return 2;
    }
    if (o.dry_run && !o.remove)
        o.remove = true; /* --dry-run alone: what --remove would do */
    struct tally t = {0};
    int rc = 0;
    for (; i < argc; i++) {
        struct stat st = {0};
        errno = 0;
        if (stat(argv[i], &st) != 0 || !S_ISDIR(st.st_mode)) {
            const char *why = errno ? strerror(errno) : "not a directory";
            if (errno == 0 || S_ISREG(st.st_mode))
                why = "not a directory";
            fprintf(stderr, "metall-leftovers: %s: %s\n", argv[i], why);
            rc = 1;
            continue;
        }
        rc |= walk(argv[i], 0, &o, &t);
    }
    printf("%u leftover%s, %" PRIu64 " bytes%s", t.found, t.found == 1 ? "" : "s", t.bytes,
           o.remove ? (o.dry_run ? ", none removed (dry run)" : "") : "");
    if (o.remove && !o.dry_run)
        printf(", %u removed", t.removed);
    if (t.kept)
        printf(", %u younger ones kept", t.kept);
    if (t.failed)
        printf(", %u could not be removed", t.failed);
    if (t.unexamined)
        printf(", %u entr%s could not be examined", t.unexamined, t.unexamined == 1 ? "y" : "ies");
    printf("\n");
    return rc || t.failed || t.unexamined ? 1 : 0;
}
