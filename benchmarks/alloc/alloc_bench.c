/*
 * alloc_bench.c - allocation micro-benchmark of metall-c against glibc
 * malloc, jemalloc, PMDK libpmemobj and Boost.Interprocess, side by side:
 * same workloads, same seed, same size streams, medians of --repeat runs.
 *
 * Every measurement runs in a fresh child process (this program
 * re-executed with --child): each allocator starts from a cold heap and a
 * fresh datastore/pool, none inherits pages that an earlier run faulted in,
 * and the child's environment can differ per system (LD_PRELOAD of
 * jemalloc, PMEM_IS_PMEM_FORCE for libpmemobj; see sys_libc.inc and
 * sys_pmemobj.c). Runs are interleaved (repetition, then workload, then
 * system) so that a noisy period of the shared machine hits all systems, and
 * sync() runs before each one so that none pays for its predecessor's I/O.
 */
#define _GNU_SOURCE
#include "bench.h"
#include "git_commit.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- systems ------------------------------------------------------------ */

typedef struct sys_entry {
    const char *name;
    const bench_system *sys; /* NULL: not built */
    const char *missing;     /* why it is not built */
} sys_entry;

static const sys_entry all_systems[] = {
    {"metall", &bench_sys_metall, NULL},
    {"malloc", &bench_sys_malloc, NULL},
#ifdef ALLOC_BENCH_JEMALLOC_SO
    {"jemalloc", &bench_sys_jemalloc, NULL},
#else
    {"jemalloc", NULL, "jemalloc not found at build time (pkg-config jemalloc)"},
#endif
#ifdef ALLOC_BENCH_HAVE_PMEMOBJ
    {"pmemobj", &bench_sys_pmemobj, NULL},
#else
    {"pmemobj", NULL, "libpmemobj not found at build time (pkg-config libpmemobj)"},
#endif
#ifdef ALLOC_BENCH_HAVE_BIP
    {"bip", &bench_sys_bip, NULL},
#else
    {"bip", NULL, "boost/interprocess/managed_mapped_file.hpp not found at build time"},
#endif
};
enum { NSYS_ALL = sizeof all_systems / sizeof all_systems[0] };

static const sys_entry *find_system(const char *name)
{
    for (unsigned i = 0; i < NSYS_ALL; i++)
        if (strcmp(all_systems[i].name, name) == 0)
            return &all_systems[i];
    return NULL;
}

/* ---- options ------------------------------------------------------------ */

typedef struct options {
    size_t n;
    unsigned repeat;
    unsigned threads;
    uint64_t seed;
    const char *dir;
    const char *csv;
    bool pmem_force;
    bool wl_alloc, wl_write, wl_mixed, wl_realloc, wl_threads;
    const sys_entry *sys[NSYS_ALL];
    unsigned nsys;
    /* child mode */
    const char *child;
    int workload;
    int result_fd;
} options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: alloc_bench [options]\n"
            "  --systems LIST    comma-separated, of metall,malloc,jemalloc,pmemobj,bip\n"
            "                    (default: all; those not built are skipped with a message)\n"
            "  --workloads LIST  of alloc,write,mixed,realloc,threads (default: all)\n"
            "  --n N             objects of W1/W2 (default 10000000); W3 does N/10,\n"
            "                    W4 grows N/1000 objects\n"
            "  --repeat R        runs per measurement; medians are reported (default 5)\n"
            "  --threads T       W5 runs W1 with 1..T threads (default 2)\n"
            "  --seed S          seed of the size streams (default 42)\n"
            "  --dir DIR         where datastores, pools and files are created\n"
            "                    (default /tmp/alloc_bench_ds)\n"
            "  --csv FILE        append one line per (system, workload, threads)\n"
            "  --pmemobj-no-force  do not set PMEM_IS_PMEM_FORCE=1 for libpmemobj\n"
            "                    (then it msyncs per operation: very slow)\n"
            "  --help\n");
}

static bool parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return false;
    *out = (size_t)v;
    return true;
}

static bool parse_systems(options *o, const char *list)
{
    char *copy = strdup(list), *save = NULL;
    o->nsys = 0;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        const sys_entry *e = find_system(t);
        if (!e) {
            fprintf(stderr, "alloc_bench: unknown system '%s'\n", t);
            free(copy);
            return false;
        }
        bool dup = false;
        for (unsigned i = 0; i < o->nsys; i++)
            dup |= o->sys[i] == e;
        if (!dup)
            o->sys[o->nsys++] = e;
    }
    free(copy);
    return o->nsys > 0;
}

static bool parse_workloads(options *o, const char *list)
{
    char *copy = strdup(list), *save = NULL;
    o->wl_alloc = o->wl_write = o->wl_mixed = o->wl_realloc = o->wl_threads = false;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!strcmp(t, "alloc"))
            o->wl_alloc = true;
        else if (!strcmp(t, "write"))
            o->wl_write = true;
        else if (!strcmp(t, "mixed"))
            o->wl_mixed = true;
        else if (!strcmp(t, "realloc"))
            o->wl_realloc = true;
        else if (!strcmp(t, "threads"))
            o->wl_threads = true;
        else {
            fprintf(stderr, "alloc_bench: unknown workload '%s'\n", t);
            free(copy);
            return false;
        }
    }
    free(copy);
    return true;
}

static int parse_options(int argc, char **argv, options *o)
{
    enum { O_SYSTEMS = 256, O_WORKLOADS, O_N, O_REPEAT, O_THREADS, O_SEED, O_DIR, O_CSV,
           O_NOFORCE, O_HELP, O_CHILD, O_WID, O_RFD };
    static const struct option longopts[] = {
        {"systems", required_argument, NULL, O_SYSTEMS},
        {"workloads", required_argument, NULL, O_WORKLOADS},
        {"n", required_argument, NULL, O_N},
        {"repeat", required_argument, NULL, O_REPEAT},
        {"threads", required_argument, NULL, O_THREADS},
        {"seed", required_argument, NULL, O_SEED},
        {"dir", required_argument, NULL, O_DIR},
        {"csv", required_argument, NULL, O_CSV},
        {"pmemobj-no-force", no_argument, NULL, O_NOFORCE},
        {"help", no_argument, NULL, O_HELP},
        {"child", required_argument, NULL, O_CHILD}, /* internal */
        {"workload-id", required_argument, NULL, O_WID},
        {"result-fd", required_argument, NULL, O_RFD},
        {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->n = 10000000;
    o->repeat = 5;
    o->threads = 2;
    o->seed = 42;
    o->dir = "/tmp/alloc_bench_ds";
    o->pmem_force = true;
    o->wl_alloc = o->wl_write = o->wl_mixed = o->wl_realloc = o->wl_threads = true;
    o->result_fd = -1;
    for (unsigned i = 0; i < NSYS_ALL; i++)
        o->sys[o->nsys++] = &all_systems[i];

    int c;
    size_t v;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case O_SYSTEMS:
            if (!parse_systems(o, optarg))
                return 2;
            break;
        case O_WORKLOADS:
            if (!parse_workloads(o, optarg))
                return 2;
            break;
        case O_N:
            if (!parse_size(optarg, &o->n) || o->n < 1000) {
                fprintf(stderr, "alloc_bench: --n must be an integer >= 1000\n");
                return 2;
            }
            break;
        case O_REPEAT:
            if (!parse_size(optarg, &v) || v < 1 || v > 1000) {
                fprintf(stderr, "alloc_bench: --repeat must be 1..1000\n");
                return 2;
            }
            o->repeat = (unsigned)v;
            break;
        case O_THREADS:
            if (!parse_size(optarg, &v) || v < 1 || v > 256) {
                fprintf(stderr, "alloc_bench: --threads must be 1..256\n");
                return 2;
            }
            o->threads = (unsigned)v;
            break;
        case O_SEED:
            if (!parse_size(optarg, &v)) {
                fprintf(stderr, "alloc_bench: --seed must be an unsigned integer\n");
                return 2;
            }
            o->seed = v;
            break;
        case O_DIR:
            o->dir = optarg;
            break;
        case O_CSV:
            o->csv = optarg;
            break;
        case O_NOFORCE:
            o->pmem_force = false;
            break;
        case O_HELP:
            usage(stdout);
            exit(0);
        case O_CHILD:
            o->child = optarg;
            break;
        case O_WID:
            o->workload = atoi(optarg);
            break;
        case O_RFD:
            o->result_fd = atoi(optarg);
            break;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "alloc_bench: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    return 0;
}

/* ---- child: one measurement --------------------------------------------- */

/* On a VM with free page reporting (virtio-balloon), memory left free for a
 * couple of seconds is handed back to the host, and the next first touch of
 * it costs ~10x more. Whichever system runs first after an idle moment would
 * pay that. So every child first touches and frees as much memory as the
 * largest workload uses (untimed), and all systems start from warm memory. */
static void warm_memory(size_t bytes, const char *dir)
{
    char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
        for (size_t i = 0; i < bytes; i += 4096)
            p[i] = 1;
        munmap(p, bytes);
    }
    /* the same through the page cache, which file-backed heaps use */
    char path[4096];
    snprintf(path, sizeof path, "%s/warm-%ld", dir, (long)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return;
    unlink(path);
    if (ftruncate(fd, (off_t)bytes) == 0) {
        p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p != MAP_FAILED) {
            for (size_t i = 0; i < bytes; i += 4096)
                p[i] = 1;
            munmap(p, bytes);
        }
    }
    close(fd); /* the pages go back to the free lists, warm */
}

static int child_main(const options *o)
{
    const sys_entry *e = find_system(o->child);
    if (!e || !e->sys || o->result_fd < 0) {
        fprintf(stderr, "alloc_bench: bad --child invocation\n");
        return 2;
    }
    bench_params p = {o->n, o->seed, o->dir, (workload_id)o->workload, o->threads};
    mkdir(o->dir, 0755);
    warm_memory((size_t)o->n * 192 + ((size_t)256 << 20), o->dir); /* > W1/W2 peak: ~140 B/object */
    bench_result r;
    if (e->sys->run(&p, &r) != 0)
        return 1;
    FILE *f = fdopen(o->result_fd, "w");
    if (!f)
        return 1;
    fprintf(f, "%d %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64 "\n",
            r.nphases, r.ns[0], r.ops[0], r.ns[1], r.ops[1], r.disk_peak, r.disk_after_free);
    return fclose(f) == 0 ? 0 : 1;
}

/* ---- parent: run the children ------------------------------------------- */

static char self_exe[PATH_MAX];

static int run_child(const options *o, const sys_entry *e, workload_id w, unsigned threads,
                     bench_result *out)
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror("alloc_bench: pipe");
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("alloc_bench: fork");
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        char n[32], seed[32], wid[8], th[8], fd[8];
        snprintf(n, sizeof n, "%zu", o->n);
        snprintf(seed, sizeof seed, "%" PRIu64, o->seed);
        snprintf(wid, sizeof wid, "%d", (int)w);
        snprintf(th, sizeof th, "%u", threads);
        snprintf(fd, sizeof fd, "%d", fds[1]);
#ifdef ALLOC_BENCH_JEMALLOC_SO
        if (!strcmp(e->name, "jemalloc"))
            setenv("LD_PRELOAD", ALLOC_BENCH_JEMALLOC_SO, 1);
#endif
        if (!strcmp(e->name, "pmemobj") && o->pmem_force)
            setenv("PMEM_IS_PMEM_FORCE", "1", 1);
        char *argv[] = {self_exe, "--child", (char *)e->name, "--workload-id", wid,
                        "--threads", th, "--n", n, "--seed", seed,
                        "--dir", (char *)o->dir, "--result-fd", fd, NULL};
        execv(self_exe, argv);
        perror("alloc_bench: execv");
        _exit(127);
    }
    close(fds[1]);
    char buf[512];
    size_t len = 0;
    ssize_t k;
    while ((k = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)k;
    buf[len] = '\0';
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFSIGNALED(status))
            fprintf(stderr, "alloc_bench: %s child killed by signal %d\n", e->name,
                    WTERMSIG(status));
        return -1;
    }
    memset(out, 0, sizeof *out);
    if (sscanf(buf, "%d %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNd64 " %" SCNd64,
               &out->nphases, &out->ns[0], &out->ops[0], &out->ns[1], &out->ops[1],
               &out->disk_peak, &out->disk_after_free) != 7) {
        fprintf(stderr, "alloc_bench: %s child returned no result\n", e->name);
        return -1;
    }
    return 0;
}

/* ---- results -------------------------------------------------------------- */

typedef struct bench_case {
    workload_id w;
    unsigned threads;
} bench_case;

typedef struct cell {
    unsigned nok;          /* successful runs */
    bench_result *runs;    /* [repeat] */
    bool failed;
} cell;

static double median(double *v, unsigned n)
{
    for (unsigned i = 1; i < n; i++) /* insertion sort: n is small */
        for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Median/min/max ns per op of phase @p ph of a cell; false if no data. */
static bool cell_stat(const cell *c, int ph, double *med, double *mn, double *mx)
{
    if (!c || c->nok == 0 || c->failed || c->runs[0].nphases <= ph)
        return false;
    double v[1000];
    for (unsigned i = 0; i < c->nok; i++)
        v[i] = (double)c->runs[i].ns[ph] / (double)(c->runs[i].ops[ph] ? c->runs[i].ops[ph] : 1);
    *med = median(v, c->nok);
    if (mn)
        *mn = v[0];
    if (mx)
        *mx = v[c->nok - 1];
    return true;
}

static bool cell_disk(const cell *c, double *peak, double *after)
{
    if (!c || c->nok == 0 || c->failed || c->runs[0].disk_peak < 0)
        return false;
    double a[1000], b[1000];
    for (unsigned i = 0; i < c->nok; i++) {
        a[i] = (double)c->runs[i].disk_peak;
        b[i] = (double)c->runs[i].disk_after_free;
    }
    *peak = median(a, c->nok);
    *after = median(b, c->nok);
    return true;
}

static const char *phase_name(workload_id w, int ph)
{
    switch (w) {
    case W_ALLOC:
        return ph ? "free" : "alloc";
    case W_WRITE:
        return ph ? "free_written" : "alloc+write";
    case W_MIXED:
        return "mixed";
    case W_REALLOC:
        return "realloc";
    }
    return "?";
}

static const char *phase_label(workload_id w, int ph)
{
    switch (w) {
    case W_ALLOC:
        return ph ? "W1f free" : "W1  alloc";
    case W_WRITE:
        return ph ? "W2f free (written)" : "W2  alloc+write";
    case W_MIXED:
        return "W3  mixed";
    case W_REALLOC:
        return "W4  realloc";
    }
    return "?";
}

typedef struct table {
    const options *o;
    bench_case cases[8 + 256];
    unsigned ncases;
    cell *cells; /* [ncases][nsys] */
    int jem;     /* index of jemalloc among o->sys, or -1 */
    int met;     /* index of metall, or -1 */
    int pmo;     /* index of pmemobj, or -1 */
} table;

static cell *cell_at(const table *t, unsigned ci, int si)
{
    return si < 0 ? NULL : &t->cells[ci * t->o->nsys + (unsigned)si];
}

static int case_index(const table *t, workload_id w, unsigned threads)
{
    for (unsigned i = 0; i < t->ncases; i++)
        if (t->cases[i].w == w && t->cases[i].threads == threads)
            return (int)i;
    return -1;
}

static void print_ns_table(const table *t)
{
    const options *o = t->o;
    printf("\nMedian ns per operation of %u run(s) (in parentheses: ratio to jemalloc)\n",
           o->repeat);
    printf("%-20s", "workload");
    for (unsigned s = 0; s < o->nsys; s++)
        printf(" %18s", o->sys[s]->name);
    printf("\n");
    for (unsigned ci = 0; ci < t->ncases; ci++) {
        if (t->cases[ci].threads != 1)
            continue;
        int nph = t->cases[ci].w == W_ALLOC || t->cases[ci].w == W_WRITE ? 2 : 1;
        for (int ph = 0; ph < nph; ph++) {
            printf("%-20s", phase_label(t->cases[ci].w, ph));
            double ref = 0, med;
            if (!cell_stat(cell_at(t, ci, t->jem), ph, &ref, NULL, NULL))
                ref = 0;
            for (unsigned s = 0; s < o->nsys; s++) {
                char b[40];
                if (!o->sys[s]->sys)
                    snprintf(b, sizeof b, "not built");
                else if (!cell_stat(cell_at(t, ci, (int)s), ph, &med, NULL, NULL))
                    snprintf(b, sizeof b, "FAILED");
                else if (ref > 0)
                    snprintf(b, sizeof b, "%.1f (%.2fx)", med, med / ref);
                else
                    snprintf(b, sizeof b, "%.1f", med);
                printf(" %18s", b);
            }
            printf("\n");
        }
    }
}

static void print_thread_table(const table *t)
{
    const options *o = t->o;
    if (!o->wl_threads || o->threads < 2)
        return;
    printf("\nW5 threads: W1 split over T threads, each with its own stream of N/T sizes\n"
           "(median Mops/s; in parentheses: speedup over 1 thread)\n");
    printf("%-20s", "phase, threads");
    for (unsigned s = 0; s < o->nsys; s++)
        printf(" %18s", o->sys[s]->name);
    printf("\n");
    int c1 = case_index(t, W_ALLOC, 1);
    for (int ph = 0; ph < 2; ph++)
        for (unsigned T = 1; T <= o->threads; T++) {
            int ci = case_index(t, W_ALLOC, T);
            char label[32];
            snprintf(label, sizeof label, "%s T=%u", ph ? "free" : "alloc", T);
            printf("%-20s", label);
            for (unsigned s = 0; s < o->nsys; s++) {
                double med, base;
                char b[40];
                if (!o->sys[s]->sys)
                    snprintf(b, sizeof b, "not built");
                else if (ci < 0 || !cell_stat(cell_at(t, (unsigned)ci, (int)s), ph, &med, NULL, NULL))
                    snprintf(b, sizeof b, "FAILED");
                else if (c1 >= 0 && cell_stat(cell_at(t, (unsigned)c1, (int)s), ph, &base, NULL, NULL))
                    snprintf(b, sizeof b, "%.1f (%.2fx)", 1e3 / med, base / med);
                else
                    snprintf(b, sizeof b, "%.1f", 1e3 / med);
                printf(" %18s", b);
            }
            printf("\n");
        }
}

static void print_disk_table(const table *t)
{
    const options *o = t->o;
    bool any = false;
    printf("\nDisk usage of the heap's files (sum of st_blocks*512; median): peak = after the\n"
           "alloc phase, then after freeing everything (before close)\n");
    printf("%-10s %-18s %14s %14s %10s\n", "system", "workload", "peak MiB", "after free MiB",
           "after/peak");
    for (unsigned ci = 0; ci < t->ncases; ci++) {
        if (t->cases[ci].threads != 1 || (t->cases[ci].w != W_ALLOC && t->cases[ci].w != W_WRITE))
            continue;
        for (unsigned s = 0; s < o->nsys; s++) {
            double peak, after;
            if (!o->sys[s]->sys || !cell_disk(cell_at(t, ci, (int)s), &peak, &after))
                continue;
            any = true;
            printf("%-10s %-18s %14.1f %14.1f %9.2f%%\n", o->sys[s]->name,
                   phase_label(t->cases[ci].w, 0), peak / 1048576.0, after / 1048576.0,
                   peak > 0 ? 100.0 * after / peak : 0.0);
        }
    }
    if (!any)
        printf("(no file-backed system measured)\n");
}

/* The targets of issue 3, evaluated on the medians. */
static void print_targets(const table *t)
{
    const options *o = t->o;
    if (t->met < 0)
        return;
    printf("\nTargets (issue 3), metall-c %s:\n", ALLOC_BENCH_GIT_COMMIT);
    int c1 = case_index(t, W_ALLOC, 1), c2 = case_index(t, W_WRITE, 1);
    double m, r;
    struct {
        int ci, ph;
        double limit;
        const char *what;
    } vsje[] = {{c1, 0, 1.3, "W1 alloc within 1.3x of jemalloc"},
                {c1, 1, 1.3, "W1 free within 1.3x of jemalloc"},
                {c2, 0, 2.0, "W2 alloc+write within 2x of jemalloc"},
                {c2, 1, 2.0, "W2 free (written) within 2x of jemalloc"}};
    for (unsigned i = 0; i < 4; i++) {
        if (vsje[i].ci < 0 || !cell_stat(cell_at(t, (unsigned)vsje[i].ci, t->met), vsje[i].ph, &m, NULL, NULL) ||
            !cell_stat(cell_at(t, (unsigned)vsje[i].ci, t->jem), vsje[i].ph, &r, NULL, NULL))
            printf("  [n/a    ] %s\n", vsje[i].what);
        else
            printf("  [%s] %s: %.2fx\n", m / r <= vsje[i].limit ? "met    " : "NOT met",
                   vsje[i].what, m / r);
    }
    for (unsigned i = 0; i < 4; i++) {
        char what[96];
        snprintf(what, sizeof what, "%s at least 20x faster than libpmemobj",
                 phase_label((workload_id)(i < 2 ? W_ALLOC : W_WRITE), (int)(i % 2)));
        if (vsje[i].ci < 0 || !cell_stat(cell_at(t, (unsigned)vsje[i].ci, t->met), vsje[i].ph, &m, NULL, NULL) ||
            !cell_stat(cell_at(t, (unsigned)vsje[i].ci, t->pmo), vsje[i].ph, &r, NULL, NULL))
            printf("  [n/a    ] %s\n", what);
        else
            printf("  [%s] %s: %.1fx\n", r / m >= 20 ? "met    " : "NOT met", what, r / m);
    }
    int cT = o->wl_threads ? case_index(t, W_ALLOC, 2) : -1;
    for (int ph = 0; ph < 2; ph++) {
        char what[96];
        snprintf(what, sizeof what, "W5 %s: 2 threads >= 1.7x the throughput of 1",
                 ph ? "free" : "alloc");
        double b;
        if (cT < 0 || c1 < 0 || !cell_stat(cell_at(t, (unsigned)cT, t->met), ph, &m, NULL, NULL) ||
            !cell_stat(cell_at(t, (unsigned)c1, t->met), ph, &b, NULL, NULL))
            printf("  [n/a    ] %s\n", what);
        else
            printf("  [%s] %s: %.2fx\n", b / m >= 1.7 ? "met    " : "NOT met", what, b / m);
    }
    double peak, after;
    if (c1 >= 0 && cell_disk(cell_at(t, (unsigned)c1, t->met), &peak, &after) && peak > 0)
        printf("  [%s] disk after freeing everything < 5%% of the peak (W1): %.2f%%\n",
               after < 0.05 * peak ? "met    " : "NOT met", 100 * after / peak);
    else
        printf("  [n/a    ] disk after freeing everything < 5%% of the peak (W1)\n");
}

static void write_csv(const table *t)
{
    const options *o = t->o;
    FILE *f = fopen(o->csv, "a");
    if (!f) {
        fprintf(stderr, "alloc_bench: cannot open %s: %s\n", o->csv, strerror(errno));
        return;
    }
    fseek(f, 0, SEEK_END);
    if (ftell(f) == 0)
        fprintf(f, "system,workload,threads,ops,repeats,ns_per_op,ns_per_op_min,ns_per_op_max,"
                   "mops_per_s,ratio_to_jemalloc,disk_peak_bytes,disk_after_free_bytes,commit\n");
    for (unsigned ci = 0; ci < t->ncases; ci++) {
        int nph = t->cases[ci].w == W_ALLOC || t->cases[ci].w == W_WRITE ? 2 : 1;
        for (int ph = 0; ph < nph; ph++)
            for (unsigned s = 0; s < o->nsys; s++) {
                const cell *c = cell_at(t, ci, (int)s);
                double med, mn, mx, ref, peak, after;
                if (!o->sys[s]->sys || !cell_stat(c, ph, &med, &mn, &mx))
                    continue;
                fprintf(f, "%s,%s,%u,%" PRIu64 ",%u,%.2f,%.2f,%.2f,%.3f,", o->sys[s]->name,
                        phase_name(t->cases[ci].w, ph), t->cases[ci].threads,
                        c->runs[0].ops[ph], c->nok, med, mn, mx, 1e3 / med);
                if (cell_stat(cell_at(t, ci, t->jem), ph, &ref, NULL, NULL))
                    fprintf(f, "%.3f,", med / ref);
                else
                    fprintf(f, ",");
                if (ph == 0 && cell_disk(c, &peak, &after))
                    fprintf(f, "%.0f,%.0f,", peak, after);
                else
                    fprintf(f, ",,");
                fprintf(f, "%s\n", ALLOC_BENCH_GIT_COMMIT);
            }
    }
    if (fclose(f) != 0)
        fprintf(stderr, "alloc_bench: writing %s: %s\n", o->csv, strerror(errno));
}

/* The machine is shared: the load average says how much to trust a run. */
static void print_load(const char *when)
{
    double la[3];
    if (getloadavg(la, 3) == 3)
        printf("load average %s: %.2f %.2f %.2f (%ld CPUs online)\n", when, la[0], la[1], la[2],
               sysconf(_SC_NPROCESSORS_ONLN));
}

int main(int argc, char **argv)
{
    options o;
    int rc = parse_options(argc, argv, &o);
    if (rc)
        return rc;
    if (o.child)
        return child_main(&o);

    ssize_t k = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (k <= 0) {
        perror("alloc_bench: readlink /proc/self/exe");
        return 1;
    }
    self_exe[k] = '\0';
    if (mkdir(o.dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "alloc_bench: cannot create %s: %s\n", o.dir, strerror(errno));
        return 1;
    }

    table t;
    memset(&t, 0, sizeof t);
    t.o = &o;
    t.jem = t.met = t.pmo = -1;
    for (unsigned s = 0; s < o.nsys; s++) {
        if (!o.sys[s]->sys) {
            fprintf(stderr, "alloc_bench: skipping %s: %s\n", o.sys[s]->name, o.sys[s]->missing);
            continue;
        }
        if (!strcmp(o.sys[s]->name, "jemalloc"))
            t.jem = (int)s;
        if (!strcmp(o.sys[s]->name, "metall"))
            t.met = (int)s;
        if (!strcmp(o.sys[s]->name, "pmemobj"))
            t.pmo = (int)s;
    }
    /* W5 with one thread is W1 itself (same code path, thread 0's stream is
     * W1's stream), so it is run once as W1 whenever either is asked for. */
    if (o.wl_alloc || o.wl_threads)
        t.cases[t.ncases++] = (bench_case){W_ALLOC, 1};
    if (o.wl_write)
        t.cases[t.ncases++] = (bench_case){W_WRITE, 1};
    if (o.wl_mixed)
        t.cases[t.ncases++] = (bench_case){W_MIXED, 1};
    if (o.wl_realloc)
        t.cases[t.ncases++] = (bench_case){W_REALLOC, 1};
    if (o.wl_threads)
        for (unsigned T = 2; T <= o.threads; T++)
            t.cases[t.ncases++] = (bench_case){W_ALLOC, T};
    t.cells = calloc((size_t)t.ncases * o.nsys, sizeof *t.cells);
    for (unsigned i = 0; i < t.ncases * o.nsys; i++)
        t.cells[i].runs = calloc(o.repeat, sizeof(bench_result));

    printf("alloc_bench: metall-c %s, n=%zu, repeat=%u, seed=%" PRIu64 ", threads=1..%u, dir=%s%s\n",
           ALLOC_BENCH_GIT_COMMIT, o.n, o.repeat, o.seed, o.threads, o.dir,
           o.pmem_force ? ", pmemobj with PMEM_IS_PMEM_FORCE=1" : "");
    print_load("at start");
    fflush(stdout);

    unsigned total = 0, done = 0;
    for (unsigned s = 0; s < o.nsys; s++)
        total += o.sys[s]->sys ? t.ncases * o.repeat : 0;
    int failures = 0;
    for (unsigned r = 0; r < o.repeat; r++)
        for (unsigned ci = 0; ci < t.ncases; ci++)
            for (unsigned k = 0; k < o.nsys; k++) {
                /* rotate the order each repetition: on this VM, whoever
                 * runs right after memory was freed gets warm pages, the
                 * next one may get pages the host took back (~10x dearer
                 * first touch); rotating spreads that over all systems */
                unsigned s = (k + r) % o.nsys;
                cell *c = cell_at(&t, ci, (int)s);
                if (!o.sys[s]->sys || c->failed)
                    continue;
                bench_result res;
                done++;
                /* Untimed: write back and commit what earlier runs left
                 * (dirty pages, deleted files whose blocks ext4 discards),
                 * so that a run does not pay for its predecessor's I/O. */
                sync();
                if (run_child(&o, o.sys[s], t.cases[ci].w, t.cases[ci].threads, &res) != 0) {
                    fprintf(stderr, "alloc_bench: [%u/%u] %s %s T=%u FAILED\n", done, total,
                            o.sys[s]->name, phase_name(t.cases[ci].w, 0), t.cases[ci].threads);
                    c->failed = true; /* its later repetitions are skipped */
                    failures++;
                    continue;
                }
                c->runs[c->nok++] = res;
                fprintf(stderr, "alloc_bench: [%u/%u] rep %u %-8s %-12s T=%u:", done, total, r + 1,
                        o.sys[s]->name, phase_name(t.cases[ci].w, 0), t.cases[ci].threads);
                for (int ph = 0; ph < res.nphases; ph++)
                    fprintf(stderr, " %s %.1f ns/op", phase_name(t.cases[ci].w, ph),
                            (double)res.ns[ph] / (double)(res.ops[ph] ? res.ops[ph] : 1));
                fprintf(stderr, "\n");
            }

    print_load("at end");
    print_ns_table(&t);
    print_thread_table(&t);
    print_disk_table(&t);
    print_targets(&t);
    if (o.csv)
        write_csv(&t);
    for (unsigned i = 0; i < t.ncases * o.nsys; i++)
        free(t.cells[i].runs);
    free(t.cells);
    if (failures) {
        fprintf(stderr, "alloc_bench: %d measurement(s) failed\n", failures);
        return 1;
    }
    return 0;
}
