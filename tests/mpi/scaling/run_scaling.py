#!/usr/bin/env python3
"""The MPI scaling test (label slow): runs scaling.c under mpiexec at each
rank count, every rank under strace, and checks that what each rank does
per collective does not grow with the rank count.

Per operation and rank it counts
  mpi_calls, mpi_bytes   MPI calls and bytes delivered to the rank (PMPI)
  fs_calls               file-system system calls on paths under the shared
                         scratch directory (strace -f -y: paths and fds)
  root_calls, root_bytes of them, those on the shared paths: a root
                         directory itself and the files directly in it
                         (marker, manifest, placement), as opposed to a
                         rank's own ROOT/subdir-N; bytes read or written
                         there
Rank 0 is the single writer (reader) of a shared root: its bytes may grow
with P; every other rank's counts, and rank 0's call counts, must not.

usage: run_scaling.py --prog SCALING --dir SCRATCH --np 1,2,4 [--table FILE]
                      [--ops OP,OP...] [--assert-metrics M,M...] [--no-assert]
                      -- MPIEXEC [FLAGS...]
(--ops: the operations the program marks; default those of scaling.c)
"""
import argparse
import collections
import os
import re
import shutil
import subprocess
import sys

OPS = ["create", "close", "open", "snapshot", "close2", "consistent", "partitions", "copy",
       "remove"]
MARK = re.compile(r'access\("/metallc-scaling-mark/(\w+)/(begin|end)"')
CALL = re.compile(r'^(?:\d+\s+)?(\w+)\((.*)$')
RET = re.compile(r'=\s+(-?\d+)')


def is_shared(rel):
    """A root directory itself, or a file directly in it other than the
    subdir-N entries (each rank's own): marker, manifest, placement."""
    parts = rel.rstrip("/").split("/")
    return len(parts) == 1 or (len(parts) == 2 and not parts[1].startswith("subdir-"))


def parse_trace(path, scratch):
    """{op: {fs_calls, root_calls, root_bytes}} of one rank's strace file."""
    out = {op: collections.Counter() for op in OPS}
    op = None
    pre = scratch.rstrip("/") + "/"
    with open(path, errors="replace") as f:
        for line in f:
            m = MARK.search(line)
            if m:
                op = m.group(1) if m.group(2) == "begin" else None
                continue
            if op is None or "resumed>" in line:
                continue
            m = CALL.match(line)
            if not m:
                continue
            name, args = m.group(1), m.group(2)
            paths = re.findall(r'"(/[^"]*)"', args) + re.findall(r'<(/[^>]*)>', args)
            mine = [p for p in paths if p.startswith(pre)]
            if not mine:
                continue
            c = out[op]
            c["fs_calls"] += 1
            if any(is_shared(p[len(pre):]) for p in mine):
                c["root_calls"] += 1
                if name in ("read", "write", "pread64", "pwrite64"):
                    r = RET.search(line.rsplit(")", 1)[-1])
                    if r and int(r.group(1)) > 0:
                        c["root_bytes"] += int(r.group(1))
    return out


def run(np_, args, mpiexec):
    scratch = os.path.join(args.dir, "np%d" % np_)
    traces = os.path.join(args.dir, "trace-np%d" % np_)
    for d in (scratch, traces):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    scratch = os.path.realpath(scratch)
    wrap = ('exec strace -f --seccomp-bpf -y -qq -e trace=%%file,%%desc,fsync,fdatasync '
            '-o %s/r${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-0}} "$0" "$@"' % traces)
    cmd = mpiexec + ["-n", str(np_), "sh", "-c", wrap, args.prog, scratch]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=1800)
    if p.returncode != 0:
        sys.stderr.write(p.stdout + p.stderr)
        raise SystemExit("scaling program failed at np=%d" % np_)
    rows = {}  # (op, rank) -> Counter
    for line in p.stdout.splitlines():
        f = line.split()
        if len(f) == 6 and f[0] == "mpi":
            rows[(f[1], int(f[2]))] = collections.Counter(mpi_calls=int(f[3]),
                                                          mpi_bytes=int(f[4]))
    for r in range(np_):
        for op, c in parse_trace(os.path.join(traces, "r%d" % r), scratch).items():
            rows.setdefault((op, r), collections.Counter()).update(c)
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(traces, ignore_errors=True)
    return rows


METRICS = ["mpi_calls", "mpi_bytes", "fs_calls", "root_calls", "root_bytes"]


def summarize(np_, rows):
    """{op: {metric: (max over ranks > 0, rank 0)}}"""
    s = {}
    for op in OPS:
        s[op] = {}
        for m in METRICS:
            others = [rows.get((op, r), {}).get(m, 0) for r in range(1, np_)]
            s[op][m] = (max(others) if others else None, rows.get((op, 0), {}).get(m, 0))
    return s


def table(results):
    lines = ["| op | np | MPI calls (others / rank 0) | MPI bytes in (others / rank 0) | "
             "FS calls (others / rank 0) | root calls (others / rank 0) | "
             "root bytes (others / rank 0) |",
             "|---|---:|---|---|---|---|---|"]
    for op in OPS:
        for np_, s in results:
            cells = []
            for m in METRICS:
                o, z = s[op][m]
                cells.append("%s / %d" % ("-" if o is None else o, z))
            lines.append("| %s | %d | %s |" % (op, np_, " | ".join(cells)))
    return "\n".join(lines)


def check(results, metrics=None):
    """Flat in P: every rank's calls, and the others' bytes, at each np
    against np=2 (the first with a rank other than 0); only `metrics` when
    given."""
    base = dict(results).get(2)
    bad = []
    if base is None:
        return bad
    for np_, s in results:
        if np_ <= 2:
            continue
        for op in OPS:
            for m in METRICS:
                if metrics and m not in metrics:
                    continue
                o, z = s[op][m]
                bo, bz = base[op][m]
                # calls: a few of slack (the system's own); bytes: 10% (rank
                # numbers in placement lines get longer: O(log P))
                slack = 4 if m in ("fs_calls", "root_calls") else 0
                if m.endswith("bytes"):
                    slack = bo // 10
                if o > bo + slack:
                    bad.append("%s %s: ranks > 0 do %d at np=%d, %d at np=2" % (op, m, o, np_, bo))
                if not m.endswith("bytes") and z > bz + slack:
                    bad.append("%s %s: rank 0 does %d at np=%d, %d at np=2" % (op, m, z, np_, bz))
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prog", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--np", default="1,2,4,8,16,32")
    ap.add_argument("--table")
    ap.add_argument("--no-assert", action="store_true")
    ap.add_argument("--ops", help="the operations the program marks (comma-separated)")
    ap.add_argument("--assert-metrics", help="assert only these metrics (comma-separated; "
                    "e.g. without fs_calls when background threads of the library make "
                    "file-system calls at times that vary)")
    ap.add_argument("mpiexec", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    mpiexec = [a for a in args.mpiexec if a != "--"]
    if args.ops:
        OPS[:] = args.ops.split(",")
    if not shutil.which("strace"):
        print("strace not found: skipping the scaling test")
        return 0
    results = []
    for n in [int(x) for x in args.np.split(",")]:
        results.append((n, summarize(n, run(n, args, mpiexec))))
        print("np=%d done" % n, flush=True)
    t = table(results)
    print(t)
    if args.table:
        with open(args.table, "w") as f:
            f.write(t + "\n")
    bad = check(results, args.assert_metrics.split(",") if args.assert_metrics else None)
    for b in bad:
        print("GROWS WITH P: " + b)
    if bad and not args.no_assert:
        return 1
    print("per-rank counts are flat in P" if not bad else "(not asserted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
