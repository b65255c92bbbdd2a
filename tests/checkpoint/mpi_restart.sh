#!/bin/sh
# The README's restart workflow with mpi/examples/mpi_restart: checkpoint
# every 3 iterations into a chain, the last rank is killed in the middle of
# the checkpoint at iteration 9, the run is started again, finds its
# datastore not consistent, restores the newest complete checkpoint
# (iteration 6: the one at 9 was never completed on every rank) and
# finishes with every value correct.
# usage: mpi_restart.sh MPIEXEC_AND_FLAGS... -- EXAMPLE RANKS
set -eu
run=""
while [ "$1" != "--" ]; do run="$run $1"; shift; done
shift
example=$1 ranks=$2
base=${METALLC_TEST_TMPDIR:-/tmp}
mkdir -p "$base"
dir=$(mktemp -d "$base/mpi-restart-XXXXXX")
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAILED: $*"; exit 1; }
if $run -n "$ranks" "$example" "$dir/nvme/%h/app" "$dir/pfs/chain" 12 3 9 >"$dir/out1" 2>&1; then
    fail "the run with a rank killed mid-checkpoint succeeded: $(cat "$dir/out1")"
fi
grep -q "ids 1 2$" "$dir/pfs/chain/metall_mpi_chain" || fail "manifest: $(cat "$dir/pfs/chain/metall_mpi_chain")"
$run -n "$ranks" "$example" "$dir/nvme/%h/app" "$dir/pfs/chain" 12 3 >"$dir/out2" 2>&1 \
    || fail "restart: $(cat "$dir/out2")"
grep -q "finished 12 iterations, values correct (restarted from the chain at iteration 6)" "$dir/out2" \
    || fail "restart output: $(cat "$dir/out2")"
grep -q "ids 3 4$" "$dir/pfs/chain/metall_mpi_chain" || fail "manifest after: $(cat "$dir/pfs/chain/metall_mpi_chain")"
echo "mpi restart cycle passed"
