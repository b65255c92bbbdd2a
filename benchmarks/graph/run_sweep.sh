#!/bin/sh
# run_sweep.sh - run graph_bench over scales and rank counts, then plot
# million edges/s per system and the build time ratio to malloc (PNG).
#
#   benchmarks/graph/run_sweep.sh [-b BUILD] [-d DATASTORE_DIR] [-o OUT]
#       [-s "16 18 20"] [-n "1 2"] [-e EDGE_FACTOR] [-y SYSTEMS] [-r REPEATS]
#
# Results: OUT/graph_bench.csv (all rows, appended), OUT/graph_bench.log
# (stdout with the "# ..." detail lines, stderr progress), OUT/graph_bench.png.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD:-$here/../../build}
dir=${TMPDIR:-/tmp}/graph_bench_sweep
out=$PWD/graph_bench_out
scales="16 18 20"
ranks="1 2"
ef=16
systems=metall,malloc,pmemobj,bip
repeats=1
while getopts b:d:o:s:n:e:y:r:h opt; do
    case $opt in
    b) build=$OPTARG ;;
    d) dir=$OPTARG ;;
    o) out=$OPTARG ;;
    s) scales=$OPTARG ;;
    n) ranks=$OPTARG ;;
    e) ef=$OPTARG ;;
    y) systems=$OPTARG ;;
    r) repeats=$OPTARG ;;
    *) sed -n '2,10p' "$0"; exit 2 ;;
    esac
done
bench=$build/benchmarks/graph/graph_bench
[ -x "$bench" ] || { echo "run_sweep.sh: $bench not found (build first, or -b BUILD)" >&2; exit 2; }
mkdir -p "$out"
csv=$out/graph_bench.csv
log=$out/graph_bench.log

# root in a container or CI: Open MPI refuses without these
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpiexec=${MPIEXEC:-mpiexec}
mpiflags=${MPIEXEC_FLAGS:---oversubscribe}
[ "$(id -u)" = 0 ] && mpiflags="$mpiflags --allow-run-as-root"

for s in $scales; do
    for np in $ranks; do
        i=0
        while [ $i -lt "$repeats" ]; do
            echo "== scale $s, $np ranks, edge factor $ef (run $((i + 1))/$repeats)" | tee -a "$log" >&2
            # shellcheck disable=SC2086
            $mpiexec $mpiflags -n "$np" "$bench" --scale "$s" --edge-factor "$ef" \
                --datastore "$dir" --systems "$systems" --csv "$csv" >>"$log" 2>&1 ||
                echo "run_sweep.sh: graph_bench failed (scale $s, $np ranks): see $log" >&2
            i=$((i + 1))
        done
    done
done
rm -rf "$dir"
"$here/plot.sh" "$csv" "$out/graph_bench.png"
echo "run_sweep.sh: $csv, $out/graph_bench.png" >&2
