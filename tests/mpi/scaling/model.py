#!/usr/bin/env python3
"""Cost model of the MPI layer's collectives at large rank counts, from the
per-rank counts that run_scaling.py measured (its --table output):

  python3 model.py before.md after.md [P ...]

Per operation and rank count P it extrapolates each per-rank count from
np=2 and np=32 (linear in P: what grows, grows like the manifest) and
prints, for the job as a whole:
  shared ops   calls on shared paths (a root directory and the files in it:
               one directory, one metadata server): (P-1) x others + the
               writer, + (nodes-1) x a node leader's marker read (after)
               or x the writer's extra work (before: every node's leader
               repeated it)
  all ops      every file-system call under the roots, the ranks' own
               subdir-N included (parallel across metadata servers only
               where the file system spreads directories)
  t(shared), t(all)   at MDS ops/s
  MPI in/rank  bytes delivered to a rank other than the writer
  MPI total    bytes delivered to all ranks
  file bytes   bytes read and written on shared files, all ranks
Assumptions (change them here): 64 ranks per node, 50,000 metadata
operations/s per metadata server, 6 calls for a node leader's marker read.
"""
import sys

RANKS_PER_NODE = 64
MDS_OPS = 50_000
LEADER_MARKER_CALLS = 6


def load(path):
    t = {}
    for line in open(path):
        f = [x.strip() for x in line.strip().strip("|").split("|")]
        if len(f) != 7 or not f[1].isdigit():
            continue
        vals = []
        for cell in f[2:]:
            o, z = [x.strip() for x in cell.split("/")]
            vals.append((None if o == "-" else int(o), int(z)))
        t[(f[0], int(f[1]))] = dict(zip(["calls", "bytes", "fs", "root", "rbytes"], vals))
    return t


def at(t, op, m, which, p):
    """metric m of `which` (0 others, 1 writer) extrapolated to p: linear
    when it grew by more than 10% from np=2 to 32, else the np=32 value
    (a few more digits in rank numbers are not a trend)"""
    a, b = t[(op, 2)][m][which], t[(op, 32)][m][which]
    if b <= a * 1.1:
        return b
    return a + (b - a) * (p - 2) / 30.0


def model(t, op, p, before):
    nodes = max(1, p // RANKS_PER_NODE)
    o_root, w_root = at(t, op, "root", 0, p), at(t, op, "root", 1, p)
    extra = (w_root - o_root) if before else LEADER_MARKER_CALLS
    shared = (p - 1) * o_root + w_root + (nodes - 1) * max(extra, 0)
    allops = (p - 1) * at(t, op, "fs", 0, p) + at(t, op, "fs", 1, p) + (nodes - 1) * max(extra, 0)
    mpi_o, mpi_w = at(t, op, "bytes", 0, p), at(t, op, "bytes", 1, p)
    fb = (p - 1) * at(t, op, "rbytes", 0, p) + at(t, op, "rbytes", 1, p)
    if before:  # every node's leader wrote what the writer wrote
        fb += (nodes - 1) * max(at(t, op, "rbytes", 1, p) - at(t, op, "rbytes", 0, p), 0)
    return shared, allops, mpi_o, (p - 1) * mpi_o + mpi_w, fb


def human(n, unit=""):
    for s, d in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= d:
            return "%.1f %s%s" % (n / d, s, unit)
    return "%.0f %s" % (n, unit)


def main():
    before, after = load(sys.argv[1]), load(sys.argv[2])
    ps = [int(x) for x in sys.argv[3:]] or [1000, 10000]
    ops = []
    for (op, n) in after:
        if op not in ops:
            ops.append(op)
    print("| op | P | | shared ops | t(shared) | all FS ops | t(all) | MPI in/rank | "
          "MPI total | shared-file bytes |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for op in ops:
        for p in ps:
            for name, t in (("before", before), ("after", after)):
                s, a, mo, mt, fb = model(t, op, p, name == "before")
                print("| %s | %d | %s | %s | %.2f s | %s | %.2f s | %s | %s | %s |" % (
                    op, p, name, human(s), s / MDS_OPS, human(a), a / MDS_OPS,
                    human(mo, "B"), human(mt, "B"), human(fb, "B")))


if __name__ == "__main__":
    main()
