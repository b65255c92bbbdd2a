#!/bin/sh
# The README's restart workflow with mpi/examples/mpi_restart: checkpoint
# every 3 iterations into a chain, the last rank is killed in the middle of
# the checkpoint at iteration 9, the run is started again, finds its
# datastore not consistent, restores the newest complete checkpoint
# (iteration 6: the one at 9 was never completed on every rank) and
# finishes with every value correct.
# Then metall-checkpoint, metall-mpi-ls and metall-ls list the chain root
# (complete ids, every rank's chain, the ids the manifest lists) and
# metall-checkpoint restores rank 0's part.
# usage: mpi_restart.sh MPIEXEC_AND_FLAGS... -- EXAMPLE RANKS TOOL MPI_LS LS
set -eu
run=""
while [ "$1" != "--" ]; do run="$run $1"; shift; done
shift
example=$1 ranks=$2 tool=$3 mpils=$4 ls=$5
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
"$tool" ls "$dir/pfs/chain" >"$dir/ls" || fail "metall-checkpoint ls: $(cat "$dir/ls")"
grep -q "complete (global manifest): 3 4$" "$dir/ls" || fail "ls global manifest: $(cat "$dir/ls")"
[ "$(grep -c "^rank [0-9]*:$" "$dir/ls")" = "$ranks" ] || fail "ls ranks: $(cat "$dir/ls")"
grep -Eq "^ +4  complete +delta .*  listed$" "$dir/ls" || fail "ls rows: $(cat "$dir/ls")"
"$mpils" "$dir/pfs/chain" >"$dir/mpils" || fail "metall-mpi-ls: $(cat "$dir/mpils")"
grep -q "complete (global manifest): 3 4$" "$dir/mpils" || fail "metall-mpi-ls: $(cat "$dir/mpils")"
grep -q "^$ranks of $ranks ranks' chains on this host$" "$dir/mpils" || fail "mpi-ls: $(cat "$dir/mpils")"
"$ls" --json "$dir/pfs/chain" >"$dir/lsjson" || fail "metall-ls --json: $(cat "$dir/lsjson")"
grep -q '"complete_ids":\[3,4\]' "$dir/lsjson" || fail "metall-ls --json: $(cat "$dir/lsjson")"
grep -q '{"id":4,"state":"complete","kind":"delta"' "$dir/lsjson" || fail "json rows: $(cat "$dir/lsjson")"
"$tool" restore "$dir/pfs/chain/subdir-0" --id 3 "$dir/r0" | grep -q "restored checkpoint 3" \
    || fail "metall-checkpoint restore"
[ -f "$dir/r0/closed" ] || fail "restored datastore not closed"
if "$tool" restore "$dir/pfs/chain/subdir-0" --id 1 "$dir/r1" 2>"$dir/err"; then
    fail "restored a merged checkpoint"
fi
grep -q "merged away" "$dir/err" || fail "message: $(cat "$dir/err")"
if "$tool" bogus 2>/dev/null; then fail "usage error accepted"; fi
"$tool" --help | grep -q "usage: metall-checkpoint" || fail "--help"
echo "mpi restart cycle passed"
