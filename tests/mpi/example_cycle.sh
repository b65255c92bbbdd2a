#!/bin/sh
# The README's checkpoint/restart cycle with the example program, and
# metall-mpi-ls on its results: create on per-host roots, snapshot, crash,
# the crashed datastore refuses to open, restore, verify; a snapshot whose
# manifest is missing lists as invalid.
# usage: example_cycle.sh MPIEXEC_AND_FLAGS... -- EXAMPLE LS RANKS
set -eu
run=""
while [ "$1" != "--" ]; do run="$run $1"; shift; done
shift
example=$1 ls=$2 ranks=$3
base=${METALLC_TEST_TMPDIR:-/tmp}
mkdir -p "$base"
dir=$(mktemp -d "$base/mpi-example-XXXXXX")
trap 'rm -rf "$dir"' EXIT
mpirun() { $run -n "$ranks" "$@"; }
fail() { echo "FAILED: $*"; exit 1; }

mpirun "$example" create "$dir/nvme/%h/app" 10000 local >"$dir/out"
[ "$(grep -c "^placement: rank .* policy local, datastore $dir/nvme/" "$dir/out")" = "$ranks" ] \
    || fail "placement at create: $(cat "$dir/out")"
[ "$(mpirun "$example" placement "$dir/nvme/%h/app" | grep -c "^placement: rank ")" = "$ranks" ] \
    || fail "placement command"
"$ls" "$dir/nvme/$(hostname)/app" | grep -q "^placement (recorded at create)" \
    || fail "metall-mpi-ls placement section"
mpirun "$example" update "$dir/nvme/%h/app"
mpirun "$example" snapshot "$dir/nvme/%h/app" "$dir/pfs/ckpt-1"
"$ls" --complete "$dir/pfs/ckpt-1" >"$dir/out" || fail "metall-mpi-ls of a good snapshot"
grep -q "^placement: not recorded" "$dir/out" || fail "a snapshot has no placement"
mpirun "$example" crash "$dir/nvme/%h/app" || true
if mpirun "$example" verify "$dir/nvme/%h/app" 2>"$dir/err"; then
    fail "a crashed datastore opened"
fi
grep -q "rank 0 (.*was not closed properly" "$dir/err" || fail "message: $(cat "$dir/err")"
mpirun "$example" restore "$dir/pfs/ckpt-1" "$dir/nvme/%h/restored"
mpirun "$example" verify "$dir/nvme/%h/restored" | grep -q "step 1, all values correct" \
    || fail "restored values"
# an interrupted snapshot (no manifest) is not valid
rm "$dir/pfs/ckpt-1/metall_mpi_manifest"
if "$ls" "$dir/pfs/ckpt-1"; then fail "metall-mpi-ls accepted a root without manifest"; fi
if mpirun "$example" verify "$dir/pfs/ckpt-1" 2>/dev/null; then fail "opened without manifest"; fi
"$ls" --help | grep -q "usage: metall-mpi-ls" || fail "--help"
if "$ls" 2>/dev/null; then fail "no argument accepted"; fi
echo "example cycle passed"
