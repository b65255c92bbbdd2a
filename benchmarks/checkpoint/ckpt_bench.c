/*
 * ckpt_bench - incremental checkpoints against full snapshots, side by side
 * in one invocation (MPI, one datastore per rank).
 *
 *   mpirun -n P ckpt_bench --ds ROOT --chain CHAIN --snap DIR
 *                          [--heap-mb 4096] [--change-pct 1] [--deltas 10] [--reps 3]
 *                          [--snap-every 4]
 *
 * Every rank fills a heap of --heap-mb with random data, then:
 *  - the first (full) checkpoint into CHAIN;
 *  - --deltas times: --change-pct of the heap's 4 KiB pages, chosen at
 *    random, get a write (timed: "stores", where write tracking costs the
 *    program a fault per page); then a checkpoint, alternately synchronous
 *    and asynchronous (async: the time metall_mpi_checkpoint() blocks, and
 *    the wait); bytes written to the chain per checkpoint vs the changed
 *    bytes; before every --snap-every-th delta, the baseline: a full
 *    metall_mpi_snapshot to DIR (the chain's file system), kept until the
 *    end (deleting one made the next fsync on that file system slow);
 *  - restore of the newest checkpoint (after --deltas deltas) into ROOT's
 *    file system vs metall_mpi_copy of a full snapshot to the same place,
 *    each from a cold page cache (POSIX_FADV_DONTNEED on its sources).
 * Times are the slowest rank's; medians over repetitions; ratios printed;
 * also the CPU time of the calling thread in the checkpoint call (what a
 * loaded machine does not inflate).
 * How the changes are found: METALLC_CKPT_DETECT (docs/checkpoint.md).
 * CSV lines start with "csv,".
 */
#include <metall/metall_mpi.h>

#include "checkpoint.h" /* metall_internal_checkpoint_stats: where the time went */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int rank, nranks;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double slowest(double t)
{
    double r = 0;
    MPI_Allreduce(&t, &r, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return r;
}

static double sum_all(double v)
{
    double r = 0;
    MPI_Allreduce(&v, &r, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    return r;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmpd);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what)
{
    if (rank == 0)
        fprintf(stderr, "ckpt_bench: %s: %s\n", what, metall_errmsg());
    MPI_Abort(MPI_COMM_WORLD, 1);
}

static uint64_t g_du;
static int du_cb(const char *p, const struct stat *st, int type, struct FTW *f)
{
    (void)p;
    (void)f;
    if (type == FTW_F)
        g_du += (uint64_t)st->st_blocks * 512;
    return 0;
}

static uint64_t du(const char *path)
{
    g_du = 0;
    nftw(path, du_cb, 16, FTW_PHYS);
    return g_du;
}

static int evict_cb(const char *p, const struct stat *st, int type, struct FTW *f)
{
    (void)st;
    (void)f;
    int fd = type == FTW_F ? open(p, O_RDONLY) : -1;
    if (fd >= 0) {
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        close(fd);
    }
    return 0;
}

/* Drop what the page cache holds of path's files (written back already):
 * a restore after a failure reads a cold chain, a copy a cold snapshot. */
static void evict(const char *path)
{
    nftw(path, evict_cb, 16, FTW_PHYS);
}

static void rmtree(const char *path)
{
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        die("rm");
}

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* This rank's part of an MPI root (ROOT/subdir-RANK). */
static const char *rc_dir_of(const char *root)
{
    static char p[4200];
    snprintf(p, sizeof p, "%s/subdir-%d", root, rank);
    return p;
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    const char *ds = NULL, *chain = NULL, *snapdir = NULL;
    size_t heap_mb = 4096;
    double pct = 1;
    int deltas = 10, reps = 3, snap_every = 4;
    static struct option lo[] = {{"ds", 1, 0, 'd'},      {"chain", 1, 0, 'c'},
                                 {"snap", 1, 0, 's'},    {"heap-mb", 1, 0, 'm'},
                                 {"change-pct", 1, 0, 'p'}, {"deltas", 1, 0, 'n'},
                                 {"reps", 1, 0, 'r'},    {"snap-every", 1, 0, 'e'},
                                 {0, 0, 0, 0}};
    for (int o; (o = getopt_long(argc, argv, "", lo, NULL)) != -1;) {
        switch (o) {
        case 'd': ds = optarg; break;
        case 'c': chain = optarg; break;
        case 's': snapdir = optarg; break;
        case 'm': heap_mb = strtoull(optarg, NULL, 10); break;
        case 'p': pct = atof(optarg); break;
        case 'n': deltas = atoi(optarg); break;
        case 'r': reps = atoi(optarg); break;
        case 'e': snap_every = atoi(optarg) > 0 ? atoi(optarg) : 1; break;
        default: MPI_Abort(MPI_COMM_WORLD, 2);
        }
    }
    if (!ds || !chain || !snapdir) {
        if (rank == 0)
            fprintf(stderr, "usage: ckpt_bench --ds ROOT --chain CHAIN --snap DIR [...]\n");
        MPI_Finalize();
        return 2;
    }
    metall_mpi_options mo = {.overwrite = true};
    metall_mpi *h = metall_mpi_create(ds, MPI_COMM_WORLD, &mo);
    if (!h)
        die("create");
    metall_manager *m = metall_mpi_local(h);
    size_t heap = heap_mb << 20, obj = (size_t)64 << 20, nobj = (heap + obj - 1) / obj;
    char **o = malloc(nobj * sizeof *o);
    uint64_t seed = 0x9e3779b97f4a7c15ull ^ (uint64_t)rank;
    for (size_t i = 0; i < nobj; i++) {
        o[i] = metall_malloc(m, obj);
        if (!o[i])
            die("malloc");
        uint64_t *w = (uint64_t *)o[i];
        for (size_t k = 0; k < obj / 8; k++)
            w[k] = rnd(&seed);
    }
    if (rank == 0)
        fprintf(stderr, "filled %zu MiB per rank, %d ranks\n", heap_mb, nranks);
    size_t pages = nobj * obj / 4096, nchange = (size_t)((double)pages * pct / 100);
    char path[4096];
    int nsnap = 0;
    double *snap_t = calloc((size_t)deltas + 1, sizeof(double));
    /* the first checkpoint: full */
    metall_checkpoint_options co = {.keep = (unsigned)deltas + 2};
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = now();
    if (!metall_mpi_checkpoint(h, chain, &co, NULL))
        die("first checkpoint");
    double first_t = slowest(now() - t0);
    double *sync_t = calloc((size_t)deltas, sizeof(double)), *blk_t = calloc((size_t)deltas, sizeof(double));
    double *async_t = calloc((size_t)deltas, sizeof(double)), *ratio = calloc((size_t)deltas, sizeof(double));
    double *sync_cpu = calloc((size_t)deltas, sizeof(double)), *blk_cpu = calloc((size_t)deltas, sizeof(double));
    int ns = 0, na = 0;
    unsigned char *seen = calloc(pages, 1);
    double *wr_t = calloc((size_t)deltas, sizeof(double));
    for (int k = 0; k < deltas; k++) {
        if (k % snap_every == 0) { /* the baseline, between the checkpoints: a full snapshot */
            snprintf(path, sizeof path, "%s/snap-%d", snapdir, nsnap);
            MPI_Barrier(MPI_COMM_WORLD);
            double t = now();
            if (!metall_mpi_snapshot(h, path))
                die("snapshot");
            snap_t[nsnap] = slowest(now() - t);
            if (rank == 0)
                printf("csv,snapshot,%d,%.4f\n", nsnap + 1, snap_t[nsnap]);
            nsnap++;
            MPI_Barrier(MPI_COMM_WORLD);
        }
        memset(seen, 0, pages);
        size_t uniq = 0;
        double tw = now(); /* the program's stores (and, when tracked, their faults) */
        for (size_t c = 0; c < nchange; c++) {
            size_t p = rnd(&seed) % pages;
            uniq += !seen[p];
            seen[p] = 1;
            uint64_t *w = (uint64_t *)(o[p / (obj / 4096)] + (p % (obj / 4096)) * 4096);
            w[rnd(&seed) % 512] ^= rnd(&seed) | 1;
        }
        wr_t[k] = slowest(now() - tw);
        char rc_dir[4200];
        snprintf(rc_dir, sizeof rc_dir, "%s/subdir-%d", chain, rank);
        uint64_t before = du(rc_dir);
        MPI_Barrier(MPI_COMM_WORLD);
        bool async = k % 2 == 1;
        co.async = async;
        metall_mpi_request *req = NULL;
        double t = now(), c0 = cpu_now();
        if (!metall_mpi_checkpoint(h, chain, &co, async ? &req : NULL))
            die("checkpoint");
        double tb = now() - t, cb = slowest(cpu_now() - c0); /* CPU: load-independent */
        if (async && !metall_mpi_checkpoint_wait(req))
            die("wait");
        double tt = slowest(now() - t);
        tb = slowest(tb);
        if (!metall_checkpoint_wait(m)) /* the merge (nothing to merge with this keep) */
            die("merge");
        uint64_t after = du(rc_dir);
        double written = sum_all((double)(after - before)), changed = sum_all((double)uniq * 4096);
        ratio[k] = written / changed;
        if (async) {
            blk_cpu[na] = cb;
            blk_t[na] = tb;
            async_t[na++] = tt;
        } else {
            sync_cpu[ns] = cb;
            sync_t[ns++] = tt;
        }
        struct mc_ckpt_stats st;
        if (!metall_internal_checkpoint_stats(m, &st))
            die("stats");
        if (rank == 0)
            printf("csv,delta,%d,%s,%.4f,%.4f,%.0f,%.0f,%.3f,cpu,%.4f,stores,%.4f,method,%d,"
                   "open,%.4f,images,%.4f,flush,%.4f,map,%.4f,scan,%.4f,collect,%.3f,write,%.3f,"
                   "runs,%llu,read,%llu,map_cpu,%.4f,scan_cpu,%.4f,minflt,%llu,majflt,%llu\n",
                   k + 1, async ? "async" : "sync", tb, tt, written, changed, ratio[k], cb, wr_t[k],
                   st.method, st.open_s, st.images_s, st.flush_s, st.map_s, st.scan_s,
                   st.collect_s, st.write_s,
                   (unsigned long long)st.runs, (unsigned long long)st.read_pieces, st.map_cpu_s,
                   st.scan_cpu_s, (unsigned long long)st.minflt, (unsigned long long)st.majflt);
    }
    /* restore of the newest vs a full copy, alternately */
    double *rest_t = calloc((size_t)reps, sizeof(double)), *copy_t = calloc((size_t)reps, sizeof(double));
    char snap_last[4096];
    snprintf(snap_last, sizeof snap_last, "%s/snap-%d", snapdir, nsnap - 1);
    for (int r = 0; r < reps; r++) {
        char dst[4200];
        snprintf(dst, sizeof dst, "%s-restored", ds);
        evict(rc_dir_of(chain));
        MPI_Barrier(MPI_COMM_WORLD);
        double t = now();
        if (!metall_mpi_restore(chain, -1, dst, MPI_COMM_WORLD))
            die("restore");
        rest_t[r] = slowest(now() - t);
        if (!metall_mpi_remove(dst, MPI_COMM_WORLD))
            die("remove");
        evict(rc_dir_of(snap_last));
        MPI_Barrier(MPI_COMM_WORLD);
        t = now();
        if (!metall_mpi_copy(snap_last, dst, MPI_COMM_WORLD))
            die("copy");
        copy_t[r] = slowest(now() - t);
        if (!metall_mpi_remove(dst, MPI_COMM_WORLD))
            die("remove");
    }
    struct mc_ckpt_stats st;
    if (!metall_internal_checkpoint_stats(m, &st))
        die("stats");
    double ms = median(snap_t, nsnap), mc = median(sync_t, ns), mb = median(blk_t, na),
           ma = median(async_t, na), mr = median(rest_t, reps), mcp = median(copy_t, reps),
           mratio = median(ratio, deltas), mw = median(wr_t, deltas),
           msc = median(sync_cpu, ns), mbc = median(blk_cpu, na);
    if (rank == 0) {
        printf("csv,summary,ranks,%d,heap_mb,%zu,change_pct,%.2f,method,%d,snapshot_s,%.3f,"
               "first_ckpt_s,%.3f,sync_ckpt_s,%.4f,async_blocked_s,%.4f,async_total_s,%.4f,"
               "restore_s,%.3f,copy_s,%.3f,written_over_changed,%.3f,stores_s,%.4f,"
               "sync_cpu_s,%.4f,async_blocked_cpu_s,%.4f\n",
               nranks, heap_mb, pct, st.method, ms, first_t, mc, mb, ma, mr, mcp, mratio, mw, msc,
               mbc);
        printf("ratios: snapshot/sync checkpoint %.1fx (goal >= 20x); async blocked/sync %.1f%% "
               "(goal <= 10%%); written/changed %.3f (goal <= 1.2); restore newest after %d deltas / "
               "full copy %.2f (goal <= 1.5)\n",
               ms / mc, 100 * mb / mc, mratio, deltas, mr / mcp);
        printf("CPU time of the calling thread (not slowed by other load): async blocked / sync "
               "%.1f%%\n", 100 * mbc / msc);
    }
    metall_mpi_close(h);
    MPI_Finalize();
    return 0;
}
