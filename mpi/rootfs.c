/*
 * rootfs.c - marker, manifest and small file-tree helpers of an MPI
 * datastore root (see rootfs.h for the layout and its invariant).
 *
 * Marker and manifest are small text files so that people can read them;
 * each is written to a unique temporary file, fsync'ed and renamed, so
 * writers on several nodes sharing one ROOT (a parallel file system) each
 * replace it atomically with the same contents, and a reader never sees a
 * half-written one. The manifest ends with an FNV-1a checksum of the lines
 * before it.
 */
#include "rootfs.h"

#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define MM_FILE_MAX (64u << 20) /* refuse absurd manifests */

int mm_subdir(char *out, size_t size, const char *root, int rank)
{
    int n = snprintf(out, size, "%s/subdir-%d", root, rank);
    return (n < 0 || (size_t)n >= size) ? ENAMETOOLONG : 0;
}

int mm_expand(const char *tmpl, int rank, const char *host, int numa, char *out,
              size_t size)
{
    size_t o = 0;
    for (const char *p = tmpl; *p; p++) {
        char tmp[32];
        const char *add = tmp;
        if (*p != '%') {
            tmp[0] = *p;
            tmp[1] = '\0';
        } else {
            switch (*++p) {
            case 'r': snprintf(tmp, sizeof tmp, "%d", rank); break;
            case 'n': snprintf(tmp, sizeof tmp, "%d", numa); break;
            case 'h': add = host; break;
            case '%': strcpy(tmp, "%"); break;
            default: return EINVAL; /* also a trailing '%' */
            }
        }
        size_t n = strlen(add);
        if (o + n >= size)
            return ENAMETOOLONG;
        memcpy(out + o, add, n);
        o += n;
    }
    if (o >= size)
        return ENAMETOOLONG;
    out[o] = '\0';
    return 0;
}

/* Write dir/name atomically (fsutil.h); with noreplace, EEXIST when
 * dir/name exists (nothing replaced). */
static int write_file(const char *dir, const char *name, const char *text, size_t len,
                      bool noreplace)
{
    char path[PATH_MAX];
    int rc = fs_join(path, sizeof path, dir, name);
    return rc ? rc : fs_write_atomic(path, text, len, noreplace ? FS_NOREPLACE : 0);
}

static int write_atomic(const char *dir, const char *name, const char *text, size_t len)
{
    return write_file(dir, name, text, len, false);
}

static int read_text(const char *dir, const char *name, char **out)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return ENAMETOOLONG;
    FILE *f = fopen(path, "re");
    if (!f)
        return errno;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int rc = buf ? 0 : ENOMEM;
    while (!rc) {
        if (len + 1 >= cap) {
            if (cap >= MM_FILE_MAX) {
                rc = EFBIG;
                break;
            }
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                rc = ENOMEM;
                break;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - 1 - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                rc = EIO;
            break;
        }
    }
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    *out = buf;
    return 0;
}

int mm_write_marker(const char *root, int partitions, const char *tag, bool claim)
{
    char text[160];
    /* readers of format 1 stop after the partition count: the tag line is
     * an addition they ignore */
    int n = snprintf(text, sizeof text, "%s %d\npartitions %d\n", MM_MARKER_MAGIC,
                     MM_FORMAT_VERSION, partitions);
    if (tag)
        n += snprintf(text + n, sizeof text - (size_t)n, "tag %.16s\n", tag);
    return write_file(root, MM_MARKER_NAME, text, (size_t)n, claim);
}

int mm_read_marker_tag(const char *root, char tag[17])
{
    char *text;
    int rc = read_text(root, MM_MARKER_NAME, &text);
    if (rc)
        return rc;
    const char *t = strstr(text, "\ntag ");
    tag[0] = '\0';
    if (!t || sscanf(t, "\ntag %16[0-9a-f]", tag) != 1)
        rc = ENOENT;
    free(text);
    return rc;
}

int mm_marker_identity(const char *root, char out[MM_IDENTITY_MAX])
{
    char tag[17];
    int rc = mm_read_marker_tag(root, tag);
    if (rc == 0) {
        snprintf(out, MM_IDENTITY_MAX, "tag %s", tag);
        return 0;
    }
    if (rc != ENOENT)
        return rc;
    /* a marker of an older version, without a tag: its inode and mtime,
     * the same from every client of one file system, unlike two copies */
    char p[PATH_MAX];
    struct stat st;
    int n = snprintf(p, sizeof p, "%s/%s", root, MM_MARKER_NAME);
    if (n < 0 || (size_t)n >= sizeof p)
        return ENAMETOOLONG;
    if (stat(p, &st) != 0)
        return errno;
    snprintf(out, MM_IDENTITY_MAX, "ino %llu %lld.%09ld", (unsigned long long)st.st_ino,
             (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
    return 0;
}

int mm_read_marker(const char *root, int *partitions, char *why, size_t whysize)
{
    char *text;
    int rc = read_text(root, MM_MARKER_NAME, &text);
    if (rc) {
        snprintf(why, whysize, "cannot read %s/%s: %s", root, MM_MARKER_NAME, strerror(rc));
        return rc;
    }
    char magic[32];
    int version = -1, parts = -1;
    if (sscanf(text, "%31s %d partitions %d", magic, &version, &parts) != 3 ||
        strcmp(magic, MM_MARKER_MAGIC) != 0 || parts <= 0) {
        snprintf(why, whysize, "%s/%s is damaged or not a metall-c MPI marker", root,
                 MM_MARKER_NAME);
        rc = EBADMSG;
    } else if (version != MM_FORMAT_VERSION) {
        snprintf(why, whysize, "%s/%s has format version %d; this library reads %d", root,
                 MM_MARKER_NAME, version, MM_FORMAT_VERSION);
        rc = ENOTSUP;
    } else {
        *partitions = parts;
    }
    free(text);
    return rc;
}

int mm_write_manifest(const char *root, const struct mm_manifest *m)
{
    int listed = 0;
    for (int r = 0; r < m->partitions; r++)
        listed += m->entries[r].uuid[0] != '\0';
    size_t cap = 160 + (size_t)listed * (64 + 37 + 24 + MM_HOST_MAX);
    char *text = malloc(cap);
    if (!text)
        return ENOMEM;
    /* a complete manifest keeps format 1, which older readers know */
    bool complete = listed == m->partitions;
    size_t o = (size_t)snprintf(text, cap, "%s %d\npartitions %d\n", MM_MANIFEST_MAGIC,
                                complete ? 1 : MM_MANIFEST_PARTIAL, m->partitions);
    if (!complete)
        o += (size_t)snprintf(text + o, cap - o, "entries %d\n", listed);
    for (int r = 0; r < m->partitions; r++) {
        const struct mm_entry *e = &m->entries[r];
        if (!e->uuid[0])
            continue;
        o += (size_t)snprintf(text + o, cap - o, "rank %d uuid %s bytes %" PRIu64 " host %s\n",
                              r, e->uuid, e->bytes, e->host[0] ? e->host : "-");
    }
    o += (size_t)snprintf(text + o, cap - o, "checksum %016" PRIx64 "\n", fs_fnv1a(text, o));
    int rc = write_atomic(root, MM_MANIFEST_NAME, text, o);
    free(text);
    return rc;
}

void mm_manifest_free(struct mm_manifest *m)
{
    free(m->entries);
    m->entries = NULL;
    m->partitions = 0;
}

static int parse_manifest(char *text, struct mm_manifest *m, char *why, size_t whysize)
{
    char magic[32];
    int version = -1, parts = -1, used = 0, listed;
    if (sscanf(text, "%31s %d partitions %d\n%n", magic, &version, &parts, &used) != 3 ||
        strcmp(magic, MM_MANIFEST_MAGIC) != 0 || parts <= 0 || used == 0)
        return snprintf(why, whysize, "not a metall-c MPI manifest"), EBADMSG;
    if (version != 1 && version != MM_MANIFEST_PARTIAL)
        return snprintf(why, whysize, "format version %d; this library reads 1 and %d",
                        version, MM_MANIFEST_PARTIAL),
               ENOTSUP;
    char *p = text + used;
    listed = parts;
    if (version == MM_MANIFEST_PARTIAL) {
        int n = 0;
        if (sscanf(p, "entries %d\n%n", &listed, &n) != 1 || n == 0 || listed < 0 ||
            listed > parts)
            return snprintf(why, whysize, "bad entry count"), EBADMSG;
        p += n;
    }
    char *sum = strstr(text, "checksum ");
    uint64_t want;
    if (!sum || (sum != text && sum[-1] != '\n') ||
        sscanf(sum, "checksum %" SCNx64, &want) != 1 ||
        want != fs_fnv1a(text, (size_t)(sum - text)))
        return snprintf(why, whysize, "bad or missing checksum (damaged or truncated)"),
               EBADMSG;
    m->entries = calloc((size_t)parts, sizeof *m->entries);
    if (!m->entries)
        return snprintf(why, whysize, "out of memory"), ENOMEM;
    m->partitions = parts;
    int prev = -1;
    for (int i = 0; i < listed; i++) {
        struct mm_entry e;
        int rank = -1, n = 0;
        memset(&e, 0, sizeof e);
        /* format 1 lists every rank in order; format 2 a subset, ascending */
        if (sscanf(p, "rank %d uuid %36s bytes %" SCNu64 " host %63s\n%n", &rank, e.uuid,
                   &e.bytes, e.host, &n) != 4 ||
            n == 0 || rank <= prev || rank >= parts || (version == 1 && rank != i)) {
            mm_manifest_free(m);
            return snprintf(why, whysize, "the line after rank %d is missing or damaged", prev),
                   EBADMSG;
        }
        if (strcmp(e.host, "-") == 0)
            e.host[0] = '\0';
        m->entries[rank] = e;
        prev = rank;
        p += n;
    }
    if (p != sum) {
        mm_manifest_free(m);
        return snprintf(why, whysize, "more entries than it says (%d)", listed), EBADMSG;
    }
    return 0;
}

int mm_read_manifest(const char *root, struct mm_manifest *m, char *why, size_t whysize)
{
    m->partitions = 0;
    m->entries = NULL;
    char *text;
    int rc = read_text(root, MM_MANIFEST_NAME, &text);
    if (rc) {
        snprintf(why, whysize, "cannot read %s/%s: %s", root, MM_MANIFEST_NAME, strerror(rc));
        return rc;
    }
    char detail[MM_WHY_MAX];
    rc = parse_manifest(text, m, detail, sizeof detail);
    free(text);
    if (rc)
        snprintf(why, whysize, "%s/%s: %s", root, MM_MANIFEST_NAME, detail);
    return rc;
}

int mm_placement_path(char *out, size_t size, const char *root, int rank)
{
    int n = snprintf(out, size, "%s/%s%d", root, MM_PLACEMENT_PREFIX, rank);
    return (n < 0 || (size_t)n >= size) ? ENAMETOOLONG : 0;
}

int mm_write_placement(const char *root, const struct mm_placement *p)
{
    char name[64];
    snprintf(name, sizeof name, "%s%d", MM_PLACEMENT_PREFIX, p->rank);
    size_t cap = 256 + sizeof *p;
    char *text = malloc(cap);
    if (!text)
        return ENOMEM;
    /* one value per line, to the end of the line: paths may hold spaces */
    int n = snprintf(text, cap,
                     "%s %d\nrank %d\nhost %s\ncpuset %s\nnuma_nodes %s\nnuma_node %d\n"
                     "policy %s\npath %s\n",
                     MM_PLACEMENT_MAGIC, MM_FORMAT_VERSION, p->rank, p->host[0] ? p->host : "?",
                     p->cpuset[0] ? p->cpuset : "?", p->nodes[0] ? p->nodes : "?", p->node,
                     p->policy[0] ? p->policy : "?", p->path);
    int rc = (n < 0 || (size_t)n >= cap) ? ENAMETOOLONG
                                         : write_atomic(root, name, text, (size_t)n);
    free(text);
    return rc;
}

/* Copy the value (to the end of the line) into out, truncating. */
static void take_value(const char *v, size_t len, char *out, size_t size)
{
    if (len >= size)
        len = size - 1;
    memcpy(out, v, len);
    out[len] = '\0';
}

int mm_read_placement(const char *root, int rank, struct mm_placement *p, char *why,
                      size_t whysize)
{
    char name[64];
    snprintf(name, sizeof name, "%s%d", MM_PLACEMENT_PREFIX, rank);
    memset(p, 0, sizeof *p);
    p->rank = -1;
    p->node = -1;
    char *text;
    int rc = read_text(root, name, &text);
    if (rc) {
        snprintf(why, whysize, "cannot read %s/%s: %s", root, name, strerror(rc));
        return rc;
    }
    char magic[32];
    int version = -1;
    if (sscanf(text, "%31s %d", magic, &version) != 2 || strcmp(magic, MM_PLACEMENT_MAGIC) != 0) {
        snprintf(why, whysize, "%s/%s is not a placement report", root, name);
        free(text);
        return EBADMSG;
    }
    snprintf(p->host, sizeof p->host, "?");
    snprintf(p->cpuset, sizeof p->cpuset, "?");
    snprintf(p->nodes, sizeof p->nodes, "?");
    snprintf(p->policy, sizeof p->policy, "?");
    snprintf(p->path, sizeof p->path, "?");
    for (char *line = strchr(text, '\n'); line && line[1]; line = strchr(line, '\n')) {
        line++;
        size_t len = strcspn(line, "\n"), klen = strcspn(line, " \n");
        const char *v = line + klen + (line[klen] == ' ');
        size_t vlen = len - (size_t)(v - line);
#define KEY(k) (klen == sizeof(k) - 1 && strncmp(line, k, klen) == 0)
        if (KEY("rank"))
            p->rank = atoi(v);
        else if (KEY("numa_node"))
            p->node = atoi(v);
        else if (KEY("host"))
            take_value(v, vlen, p->host, sizeof p->host);
        else if (KEY("cpuset"))
            take_value(v, vlen, p->cpuset, sizeof p->cpuset);
        else if (KEY("numa_nodes"))
            take_value(v, vlen, p->nodes, sizeof p->nodes);
        else if (KEY("policy"))
            take_value(v, vlen, p->policy, sizeof p->policy);
        else if (KEY("path"))
            take_value(v, vlen, p->path, sizeof p->path);
#undef KEY
    }
    free(text);
    if (p->rank != rank) {
        snprintf(why, whysize, "%s/%s names rank %d", root, name, p->rank);
        return EBADMSG;
    }
    return 0;
}

/* Append a field, tabs and newlines made spaces. */
static size_t put_field(char *out, size_t size, size_t o, const char *v, bool last)
{
    for (const char *c = v && *v ? v : "?"; *c && o + 2 < size; c++)
        out[o++] = (*c == '\t' || *c == '\n') ? ' ' : *c;
    if (o + 1 < size)
        out[o++] = last ? '\0' : '\t';
    out[o < size ? o : size - 1] = '\0';
    return o;
}

void mm_placement_serialize(const struct mm_placement *p, char *out, size_t size)
{
    char rank[16], node[16];
    snprintf(rank, sizeof rank, "%d", p->rank);
    snprintf(node, sizeof node, "%d", p->node);
    size_t o = 0;
    const char *f[] = {rank, p->host, p->cpuset, p->nodes, node, p->policy, p->path};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        o = put_field(out, size, o, f[i], i + 1 == sizeof f / sizeof *f);
}

int mm_placement_parse(const char *line, struct mm_placement *p)
{
    memset(p, 0, sizeof *p);
    const char *f[7];
    size_t len[7];
    const char *c = line;
    for (int i = 0; i < 7; i++) {
        f[i] = c;
        len[i] = strcspn(c, i < 6 ? "\t\n" : "\n");
        c += len[i];
        if (i < 6 && *c++ != '\t')
            return EBADMSG;
    }
    char num[16];
    take_value(f[0], len[0], num, sizeof num);
    p->rank = atoi(num);
    take_value(f[4], len[4], num, sizeof num);
    p->node = atoi(num);
    take_value(f[1], len[1], p->host, sizeof p->host);
    take_value(f[2], len[2], p->cpuset, sizeof p->cpuset);
    take_value(f[3], len[3], p->nodes, sizeof p->nodes);
    take_value(f[5], len[5], p->policy, sizeof p->policy);
    take_value(f[6], len[6], p->path, sizeof p->path);
    return 0;
}

int mm_write_placements(const char *root, char *const *lines, int partitions)
{
    size_t cap = 64;
    for (int r = 0; r < partitions; r++)
        cap += lines[r] ? strlen(lines[r]) + 1 : 0;
    char *text = malloc(cap);
    if (!text)
        return ENOMEM;
    size_t o = (size_t)snprintf(text, cap, "%s 2\n", MM_PLACEMENT_MAGIC);
    for (int r = 0; r < partitions; r++)
        if (lines[r])
            o += (size_t)snprintf(text + o, cap - o, "%s\n", lines[r]);
    int rc = write_atomic(root, MM_PLACEMENTS_NAME, text, o);
    free(text);
    return rc;
}

void mm_free_placements(char **lines, int partitions)
{
    if (!lines)
        return;
    for (int r = 0; r < partitions; r++)
        free(lines[r]);
    free(lines);
}

int mm_read_placements(const char *root, int partitions, char ***out)
{
    *out = NULL;
    char *text;
    int rc = read_text(root, MM_PLACEMENTS_NAME, &text);
    if (rc)
        return rc;
    char magic[32];
    int version = 0;
    char **lines = calloc((size_t)partitions, sizeof *lines);
    if (!lines) {
        free(text);
        return ENOMEM;
    }
    if (sscanf(text, "%31s %d", magic, &version) != 2 ||
        strcmp(magic, MM_PLACEMENT_MAGIC) != 0 || version != 2) {
        free(text);
        free(lines);
        return EBADMSG;
    }
    for (char *l = strchr(text, '\n'); l && l[1]; l = strchr(l, '\n')) {
        l++;
        size_t n = strcspn(l, "\n");
        int r = atoi(l);
        if (r >= 0 && r < partitions && !lines[r] && (lines[r] = malloc(n + 1))) {
            memcpy(lines[r], l, n);
            lines[r][n] = '\0';
        }
    }
    free(text);
    *out = lines;
    return 0;
}

void mm_placement_format(const struct mm_placement *p, char *out, size_t size)
{
    snprintf(out, size, "rank %d on %s: cpuset %s, NUMA node(s) %s, policy %s, datastore %s",
             p->rank, p->host, p->cpuset, p->nodes, p->policy, p->path);
}

int mm_mkdir_p(const char *path)
{
    int rc = fs_mkdir_p(path);
    return rc ? rc : mm_is_dir(path);
}

int mm_remove_tree(const char *path)
{
    return fs_remove_tree(path);
}

int mm_disk_usage(const char *path, uint64_t *bytes)
{
    return fs_disk_usage(path, bytes);
}

int mm_unlink(const char *path)
{
    return (unlink(path) != 0 && errno != ENOENT) ? errno : 0;
}

int mm_is_dir(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno;
    return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

/* name ends in INFIX + what the writer appends: PID-HEX8 (core) or HEX16 */
static bool ends_with_tag(const char *name, const char *infix, bool pid)
{
    const char *t = strstr(name, infix);
    if (!t || t == name)
        return false;
    t += strlen(infix);
    if (pid) {
        size_t d = strspn(t, "0123456789");
        if (d == 0 || t[d] != '-')
            return false;
        t += d + 1;
        return strlen(t) == 8 && strspn(t, "0123456789abcdef") == 8;
    }
    return strlen(t) == 16 && strspn(t, "0123456789abcdef") == 16;
}

/* ".NAME.tmp-PID-HEX8", NAME one of the files write_file() writes or a
 * checkpoint chain root's global manifest (mpi/checkpoint.c); and the fixed
 * name that manifest's writer used before, "metall_mpi_chain.tmp" */
static bool is_file_tmp(const char *name)
{
    static const char *const ours[] = {MM_MARKER_NAME, MM_MANIFEST_NAME, MM_PLACEMENT_PREFIX,
                                       "metall_mpi_chain"};
    if (strcmp(name, "metall_mpi_chain.tmp") == 0)
        return true;
    if (name[0] != '.' || !ends_with_tag(name, ".tmp-", true))
        return false;
    for (size_t i = 0; i < sizeof ours / sizeof *ours; i++)
        if (strncmp(name + 1, ours[i], strlen(ours[i])) == 0)
            return true;
    return false;
}

enum mm_leftover mm_leftover_kind(const char *name)
{
    if (ends_with_tag(name, MM_TMP_INFIX, false))
        return MM_LEFTOVER_MPI_TMP;
    if (ends_with_tag(name, ".metall-tmp-", true))
        return MM_LEFTOVER_CORE_TMP;
    if (is_file_tmp(name))
        return MM_LEFTOVER_FILE_TMP;
    return MM_LEFTOVER_NONE;
}

/* "PREFIX<digits>" exactly */
static bool is_numbered(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(name, prefix, n) != 0)
        return false;
    size_t d = strspn(name + n, "0123456789");
    return d > 0 && name[n + d] == '\0';
}

enum mm_root_entry mm_root_entry_kind(const char *name)
{
    if (strcmp(name, MM_MARKER_NAME) == 0 || strcmp(name, MM_MANIFEST_NAME) == 0 ||
        strcmp(name, MM_PLACEMENTS_NAME) == 0)
        return MM_ENTRY_ROOT_FILE;
    if (is_numbered(name, "subdir-"))
        return MM_ENTRY_SUBDIR;
    if (is_numbered(name, MM_PLACEMENT_PREFIX))
        return MM_ENTRY_PLACEMENT;
    enum mm_leftover k = mm_leftover_kind(name);
    if (k == MM_LEFTOVER_FILE_TMP || (k == MM_LEFTOVER_CORE_TMP && strncmp(name, "subdir-", 7) == 0))
        return MM_ENTRY_LEFTOVER;
    return MM_ENTRY_OTHER;
}

int mm_root_is_ours(const char *root, bool *ours)
{
    DIR *d = opendir(root);
    if (!d)
        return errno;
    struct dirent *de;
    int n = 0;
    *ours = true;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        n++;
        if (mm_root_entry_kind(de->d_name) == MM_ENTRY_OTHER)
            *ours = false;
    }
    closedir(d);
    if (n == 0)
        *ours = false; /* an empty directory is nobody's datastore */
    return 0;
}
