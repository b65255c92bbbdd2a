/*
 * adjlist_bench - LLNL Metall's adjacency-list benchmark, ported: the same
 * data structure and operations, over metall-c's C++ API, with DRAM
 * (std::allocator) and Boost.Interprocess managed_mapped_file as baselines
 * in one invocation.
 *
 * Data structure (as Metall's bench/data_structure/multithread_adjacency_list):
 * a boost::container::vector of 1024 "banks", each a boost::unordered_map
 * from a u64 vertex to a boost::container::vector<u64> of neighbours, all
 * through scoped_allocator_adaptor so the inner containers allocate from the
 * same heap; one std::mutex per bank. add(u, v) locks bank u % 1024 and
 * appends v to u's vector. OpenMP threads ingest R-MAT edges (Graph500
 * a=0.57 b=0.19 c=0.19, ids scrambled; each undirected edge is added in
 * both directions) in rounds of --batch directed edges: each round is
 * generated (not timed), then ingested (timed) with each thread adding its
 * share.
 *
 * Every system runs in its own child process (this program re-executed),
 * so each starts cold and its peak RSS is its own; the order of the systems
 * alternates between rounds. Per system the child reports: ingest, flush,
 * close, reopen (open + find), peak RSS (VmHWM), RSS split at the end of
 * ingest, live bytes, disk usage after close, and whether the reopened
 * structure holds exactly the generated edges.
 */
#include <metall/metall.hpp>

#include <boost/container/scoped_allocator.hpp>
#include <boost/container/vector.hpp>
#include <boost/unordered_map.hpp>

#ifdef ADJ_HAVE_BIP
#include <boost/interprocess/allocators/allocator.hpp>
#include <boost/interprocess/managed_mapped_file.hpp>
#endif

#include <omp.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <malloc.h>
#include <mutex>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vector>

extern "C" {
#include "rmat.h"
}

namespace mtl = metall; /* Metall's own API */

namespace {

/* ---- options ------------------------------------------------------------ */

struct options {
    unsigned scale = 17;
    unsigned edge_factor = 16;
    int threads = 2;
    std::vector<std::string> systems{"dram", "metall", "bip"};
    std::string csv;
    std::string dir = "/tmp/adjlist_bench";
    uint64_t batch = (uint64_t)1 << 20; /* directed edges per round */
    int repeat = 3;
    uint64_t seed = 123;
    std::string child; /* set in a child: the system to run */
    int result_fd = -1;
};

void usage(FILE *f)
{
    std::fprintf(f,
        "usage: adjlist_bench [--scale S] [--edge-factor E] [--threads T]\n"
        "         [--systems dram,metall,metall_noflush,bip] [--repeat R]\n"
        "         [--batch EDGES] [--dir DIR] [--seed N] [--csv FILE]\n"
        "LLNL Metall's adjacency-list benchmark (Boost unordered_map of vectors,\n"
        "1024 banks with a mutex each, OpenMP threads, R-MAT edges); one child\n"
        "process per system and round, the systems' order alternating.\n"
        "  metall          metall-c (metall.hpp), flush() then close\n"
        "  metall_noflush  metall-c, close without a flush first\n"
        "  dram            std::allocator (the floor)\n"
        "  bip             Boost.Interprocess managed_mapped_file\n");
}

std::vector<std::string> split(const std::string &s, char sep)
{
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, sep))
        if (!item.empty())
            out.push_back(item);
    return out;
}

bool parse(int argc, char **argv, options *o)
{
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        auto val = [&](void) -> const char * {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "adjlist_bench: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--scale") o->scale = (unsigned)std::strtoul(val(), nullptr, 10);
        else if (a == "--edge-factor") o->edge_factor = (unsigned)std::strtoul(val(), nullptr, 10);
        else if (a == "--threads") o->threads = std::atoi(val());
        else if (a == "--systems") o->systems = split(val(), ',');
        else if (a == "--csv") o->csv = val();
        else if (a == "--dir") o->dir = val();
        else if (a == "--batch") o->batch = std::strtoull(val(), nullptr, 10);
        else if (a == "--repeat") o->repeat = std::atoi(val());
        else if (a == "--seed") o->seed = std::strtoull(val(), nullptr, 10);
        else if (a == "--child") o->child = val();
        else if (a == "--result-fd") o->result_fd = std::atoi(val());
        else if (a == "--help" || a == "-h") { usage(stdout); std::exit(0); }
        else { usage(stderr); return false; }
    }
    if (o->scale < 4 || o->scale > 40 || o->threads < 1 || o->repeat < 1 || o->batch < 2) {
        std::fprintf(stderr, "adjlist_bench: option out of range\n");
        return false;
    }
    return true;
}

/* ---- measurements -------------------------------------------------------- */

double now_s()
{
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* A field of /proc/self/status in kB, or -1. */
long status_kb(const char *field)
{
    std::ifstream f("/proc/self/status");
    std::string line;
    size_t n = std::strlen(field);
    while (std::getline(f, line))
        if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':')
            return std::strtol(line.c_str() + n + 1, nullptr, 10);
    return -1;
}

/* Bytes of disk under path (st_blocks * 512; files and directories). */
uint64_t disk_usage(const std::string &path)
{
    struct stat st;
    if (lstat(path.c_str(), &st) != 0)
        return 0;
    uint64_t sum = (uint64_t)st.st_blocks * 512;
    if (S_ISDIR(st.st_mode)) {
        std::string cmd = "find '" + path + "' -mindepth 1 -printf '%b\\n' 2>/dev/null";
        FILE *p = popen(cmd.c_str(), "r");
        if (p) {
            unsigned long long b;
            while (std::fscanf(p, "%llu", &b) == 1)
                sum += b * 512;
            pclose(p);
        }
    }
    return sum;
}

/* ---- the data structure (Metall's multithread_adjacency_list) ------------ */

struct mix_hash {
    std::size_t operator()(uint64_t k) const noexcept { return (std::size_t)graph_mix(k); }
};

constexpr std::size_t k_banks = 1024;

std::mutex &bank_mutex(std::size_t i)
{
    static std::mutex mutexes[k_banks];
    return mutexes[i];
}

template <class Alloc>
class adjacency_list {
    template <class T>
    using rebind = typename std::allocator_traits<Alloc>::template rebind_alloc<T>;
    using list_type = boost::container::vector<uint64_t, rebind<uint64_t>>;
    using table_alloc =
        boost::container::scoped_allocator_adaptor<rebind<std::pair<const uint64_t, list_type>>>;
    using table_type = boost::unordered_map<uint64_t, list_type, mix_hash,
                                            std::equal_to<uint64_t>, table_alloc>;
    using bank_alloc = boost::container::scoped_allocator_adaptor<rebind<table_type>>;
    using bank_vector = boost::container::vector<table_type, bank_alloc>;

    bank_vector banks_;

public:
    explicit adjacency_list(const Alloc &a) : banks_(k_banks, a) {}

    void add(uint64_t key, uint64_t value)
    {
        std::size_t b = key % k_banks;
        std::lock_guard<std::mutex> g(bank_mutex(b));
        banks_[b][key].emplace_back(value);
    }

    /* Edge count and the order-independent checksum of (key, value) pairs. */
    void summarize(uint64_t *edges, uint64_t *sum) const
    {
        uint64_t n = 0, s = 0;
        for (const auto &t : banks_)
            for (const auto &kv : t) {
                n += kv.second.size();
                for (uint64_t v : kv.second)
                    s += graph_mix(kv.first * 0x9e3779b97f4a7c15ULL + v);
            }
        *edges = n;
        *sum = s;
    }
};

/* ---- the workload --------------------------------------------------------- */

struct result {
    double ingest = 0, flush = -1, close = -1, reopen = -1;
    long hwm_kb = -1, anon_kb = -1, file_kb = -1;
    uint64_t live = 0, disk = 0;
    int verify_ok = 0;
};

/* Ingest every edge into adj in rounds; returns the generator's count and
 * checksum through *edges, *sum (the same as adjacency_list::summarize). */
template <class List>
double ingest(const options &o, List *adj, uint64_t *edges, uint64_t *sum)
{
    rmat g;
    rmat_init(&g, o.scale, o.seed);
    const uint64_t undirected = (uint64_t)o.edge_factor << o.scale;
    const uint64_t per_round = std::max<uint64_t>(1, o.batch / 2);
    std::vector<std::vector<std::pair<uint64_t, uint64_t>>> input(o.threads);
    uint64_t n = 0, s = 0;
    double t = 0;
    for (uint64_t first = 0; first < undirected; first += per_round) {
        uint64_t last = std::min(undirected, first + per_round);
#pragma omp parallel num_threads(o.threads) reduction(+ : n, s)
        {
            int me = omp_get_thread_num(), nt = omp_get_num_threads();
            auto &mine = input[me];
            mine.clear();
            uint64_t span = last - first;
            uint64_t lo = first + span * me / nt, hi = first + span * (me + 1) / nt;
            for (uint64_t k = lo; k < hi; k++) {
                uint64_t u, v;
                rmat_edge(&g, k, &u, &v);
                mine.emplace_back(u, v);
                mine.emplace_back(v, u);
                s += graph_mix(u * 0x9e3779b97f4a7c15ULL + v) +
                     graph_mix(v * 0x9e3779b97f4a7c15ULL + u);
                n += 2;
            }
        }
        double t0 = now_s();
#pragma omp parallel num_threads(o.threads)
        {
            for (const auto &e : input[omp_get_thread_num()])
                adj->add(e.first, e.second);
        }
        t += now_s() - t0;
    }
    *edges = n;
    *sum = s;
    return t;
}

void rss_now(result *r)
{
    r->anon_kb = status_kb("RssAnon");
    r->file_kb = status_kb("RssFile") + status_kb("RssShmem");
}

int run_dram(const options &o, result *r)
{
    using alloc_t = std::allocator<std::byte>;
    using list_t = adjacency_list<alloc_t>;
    auto *adj = new list_t(alloc_t());
    uint64_t n, s, n2, s2;
    r->ingest = ingest(o, adj, &n, &s);
    rss_now(r);
    r->live = mallinfo2().uordblks;
    adj->summarize(&n2, &s2);
    r->verify_ok = n == n2 && s == s2;
    delete adj;
    return 0;
}

using metall_alloc = decltype(std::declval<mtl::manager &>().get_allocator<std::byte>());
using metall_list = adjacency_list<metall_alloc>;

int run_metall(const options &o, result *r, bool do_flush)
{
    std::string path = o.dir + "/metall";
    mtl::manager::remove(path.c_str());
    uint64_t n, s;
    {
        auto *mgr = new mtl::manager(mtl::create_only, path.c_str());
        auto *adj = mgr->construct<metall_list>("adj_list")(mgr->get_allocator<std::byte>());
        r->ingest = ingest(o, adj, &n, &s);
        rss_now(r);
        metall_stats st;
        if (metall_get_stats(mgr->get_c_manager(), &st))
            r->live = st.allocated_bytes;
        if (do_flush) {
            double t0 = now_s();
            mgr->flush();
            r->flush = now_s() - t0;
        }
        double t0 = now_s();
        delete mgr;
        r->close = now_s() - t0;
    }
    r->hwm_kb = status_kb("VmHWM");
    r->disk = disk_usage(path);
    double t0 = now_s();
    mtl::manager mgr(mtl::open_only, path.c_str());
    auto *adj = mgr.find<metall_list>("adj_list").first;
    r->reopen = now_s() - t0;
    uint64_t n2 = 0, s2 = 0;
    if (adj)
        adj->summarize(&n2, &s2);
    r->verify_ok = adj && n == n2 && s == s2;
    return 0;
}

#ifdef ADJ_HAVE_BIP
namespace bip = boost::interprocess;
using bip_alloc = bip::allocator<std::byte, bip::managed_mapped_file::segment_manager>;
using bip_list = adjacency_list<bip_alloc>;

int run_bip(const options &o, result *r)
{
    std::string path = o.dir + "/bip.file";
    std::remove(path.c_str());
    /* a fixed-size file (it cannot grow while mapped): 4x the payload, sparse */
    uint64_t payload = ((uint64_t)o.edge_factor << o.scale) * 2 * 8;
    std::size_t size = (std::size_t)(payload * 4 + ((uint64_t)256 << 20));
    uint64_t n, s;
    {
        auto *mf = new bip::managed_mapped_file(bip::create_only, path.c_str(), size);
        auto *adj = mf->construct<bip_list>("adj_list")(mf->get_allocator<std::byte>());
        r->ingest = ingest(o, adj, &n, &s);
        rss_now(r);
        r->live = mf->get_size() - mf->get_free_memory();
        double t0 = now_s();
        mf->flush(); /* as Metall's benchmark: msync(MS_ASYNC) */
        r->flush = now_s() - t0;
        t0 = now_s();
        delete mf;
        r->close = now_s() - t0;
    }
    r->hwm_kb = status_kb("VmHWM");
    r->disk = disk_usage(path);
    double t0 = now_s();
    bip::managed_mapped_file mf(bip::open_only, path.c_str());
    auto *adj = mf.find<bip_list>("adj_list").first;
    r->reopen = now_s() - t0;
    uint64_t n2 = 0, s2 = 0;
    if (adj)
        adj->summarize(&n2, &s2);
    r->verify_ok = adj && n == n2 && s == s2;
    return 0;
}
#endif

int run_child(const options &o)
{
    result r;
    mkdir(o.dir.c_str(), 0755);
    try {
        if (o.child == "dram")
            run_dram(o, &r);
        else if (o.child == "metall" || o.child == "metall_noflush")
            run_metall(o, &r, o.child == "metall");
#ifdef ADJ_HAVE_BIP
        else if (o.child == "bip")
            run_bip(o, &r);
#endif
        else
            return 3; /* not built */
    } catch (const std::exception &e) {
        std::fprintf(stderr, "adjlist_bench: %s: %s\n", o.child.c_str(), e.what());
        return 1;
    }
    if (r.hwm_kb < 0)
        r.hwm_kb = status_kb("VmHWM");
    char line[512];
    int len = std::snprintf(line, sizeof line,
                            "%.6f %.6f %.6f %.6f %ld %ld %ld %llu %llu %d\n", r.ingest,
                            r.flush, r.close, r.reopen, r.hwm_kb, r.anon_kb, r.file_kb,
                            (unsigned long long)r.live, (unsigned long long)r.disk,
                            r.verify_ok);
    if (write(o.result_fd, line, (size_t)len) != len)
        return 1;
    return r.verify_ok ? 0 : 1;
}

/* ---- the parent: children, medians, table --------------------------------- */

bool run_one(const options &o, const std::string &sys, char **argv, result *r, int *status)
{
    int fds[2];
    if (pipe(fds) != 0)
        return false;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        std::vector<std::string> args = {
            "adjlist_bench", "--child", sys, "--result-fd", std::to_string(fds[1]),
            "--scale", std::to_string(o.scale), "--edge-factor", std::to_string(o.edge_factor),
            "--threads", std::to_string(o.threads), "--batch", std::to_string(o.batch),
            "--dir", o.dir, "--seed", std::to_string(o.seed)};
        std::vector<char *> av;
        for (auto &a : args)
            av.push_back(const_cast<char *>(a.c_str()));
        av.push_back(nullptr);
        execv("/proc/self/exe", av.data());
        (void)argv;
        _exit(127);
    }
    close(fds[1]);
    std::string out;
    char buf[512];
    ssize_t k;
    while ((k = read(fds[0], buf, sizeof buf)) > 0)
        out.append(buf, (size_t)k);
    close(fds[0]);
    waitpid(pid, status, 0);
    unsigned long long live, disk;
    return std::sscanf(out.c_str(), "%lf %lf %lf %lf %ld %ld %ld %llu %llu %d", &r->ingest,
                       &r->flush, &r->close, &r->reopen, &r->hwm_kb, &r->anon_kb,
                       &r->file_kb, &live, &disk, &r->verify_ok) == 10 &&
           (r->live = live, r->disk = disk, true);
}

double median(std::vector<double> v)
{
    if (v.empty())
        return -1;
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string load_avg()
{
    std::ifstream f("/proc/loadavg");
    std::string a, b, c;
    f >> a >> b >> c;
    return a + " " + b + " " + c;
}

std::string fmt(double v, const char *f)
{
    if (v < 0)
        return "-";
    char b[64];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

int run_parent(const options &o, char **argv)
{
    std::printf("adjlist_bench: scale %u, edge factor %u (%llu directed edges), %d threads, "
                "batch %llu, %d rounds, dir %s\n",
                o.scale, o.edge_factor,
                (unsigned long long)(((uint64_t)o.edge_factor << o.scale) * 2), o.threads,
                (unsigned long long)o.batch, o.repeat, o.dir.c_str());
    std::printf("load average at start: %s\n", load_avg().c_str());
    std::fflush(stdout);
    std::vector<std::vector<result>> res(o.systems.size());
    std::vector<bool> skipped(o.systems.size(), false);
    bool all_ok = true;
    FILE *csv = nullptr;
    if (!o.csv.empty()) {
        struct stat st;
        bool fresh = stat(o.csv.c_str(), &st) != 0 || st.st_size == 0;
        csv = std::fopen(o.csv.c_str(), "a");
        if (csv && fresh)
            std::fprintf(csv, "system,scale,edge_factor,threads,round,ingest_s,flush_s,"
                              "close_s,reopen_s,peak_rss_kb,rss_anon_kb,rss_file_kb,"
                              "live_bytes,disk_bytes,verify_ok\n");
    }
    for (int round = 0; round < o.repeat; round++) {
        size_t ns = o.systems.size();
        for (size_t j = 0; j < ns; j++) {
            /* alternate: forward in even rounds, backward in odd ones */
            size_t i = round % 2 ? ns - 1 - j : j;
            if (skipped[i])
                continue;
            const std::string &sys = o.systems[i];
            std::fprintf(stderr, "round %d: %s ...\n", round + 1, sys.c_str());
            result r;
            int status = 0;
            if (!run_one(o, sys, argv, &r, &status)) {
                if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
                    std::printf("%s: not built (library not found), skipped\n", sys.c_str());
                    skipped[i] = true;
                } else {
                    std::printf("%s: round %d failed (status %d)\n", sys.c_str(), round + 1,
                                status);
                    all_ok = false;
                }
                continue;
            }
            all_ok = all_ok && r.verify_ok;
            res[i].push_back(r);
            if (csv)
                std::fprintf(csv, "%s,%u,%u,%d,%d,%.6f,%.6f,%.6f,%.6f,%ld,%ld,%ld,%llu,%llu,%d\n",
                             sys.c_str(), o.scale, o.edge_factor, o.threads, round + 1,
                             r.ingest, r.flush, r.close, r.reopen, r.hwm_kb, r.anon_kb,
                             r.file_kb, (unsigned long long)r.live,
                             (unsigned long long)r.disk, r.verify_ok);
        }
    }
    if (csv)
        std::fclose(csv);
    std::printf("load average at end: %s\n\n", load_avg().c_str());
    std::printf("medians of %d rounds (ratio: ingest / dram's)\n", o.repeat);
    std::printf("%-15s %9s %6s %9s %9s %10s %9s %9s %9s %8s %8s %s\n", "system", "ingest_s",
                "ratio", "flush_s", "close_s", "reopen_ms", "peak_MB", "anon_MB", "file_MB",
                "live_MB", "du_MB", "verify");
    double dram_ingest = -1;
    for (size_t i = 0; i < o.systems.size(); i++)
        if (o.systems[i] == "dram" && !res[i].empty()) {
            std::vector<double> v;
            for (auto &r : res[i])
                v.push_back(r.ingest);
            dram_ingest = median(v);
        }
    for (size_t i = 0; i < o.systems.size(); i++) {
        if (res[i].empty())
            continue;
        auto med = [&](auto get) {
            std::vector<double> v;
            for (auto &r : res[i])
                v.push_back(get(r));
            return median(v);
        };
        double ing = med([](const result &r) { return r.ingest; });
        bool ok = true;
        for (auto &r : res[i])
            ok = ok && r.verify_ok;
        bool persistent = o.systems[i] != "dram";
        std::printf("%-15s %9.3f %6s %9s %9s %10s %9.1f %9.1f %9.1f %8.1f %8s %s\n",
                    o.systems[i].c_str(), ing,
                    dram_ingest > 0 ? fmt(ing / dram_ingest, "%.3f").c_str() : "-",
                    fmt(med([](const result &r) { return r.flush; }), "%.4f").c_str(),
                    fmt(med([](const result &r) { return r.close; }), "%.4f").c_str(),
                    fmt(med([](const result &r) { return r.reopen * 1e3; }), "%.2f").c_str(),
                    med([](const result &r) { return (double)r.hwm_kb / 1024; }),
                    med([](const result &r) { return (double)r.anon_kb / 1024; }),
                    med([](const result &r) { return (double)r.file_kb / 1024; }),
                    med([](const result &r) { return (double)r.live / 1048576.0; }),
                    persistent ? fmt(med([](const result &r) { return (double)r.disk / 1048576.0; }), "%.1f").c_str() : "-",
                    ok ? "ok" : "FAILED");
    }
    return all_ok ? 0 : 1;
}

} // namespace

int main(int argc, char **argv)
{
    options o;
    if (!parse(argc, argv, &o))
        return 2;
    if (!o.child.empty())
        return run_child(o);
    return run_parent(o, argv);
}
