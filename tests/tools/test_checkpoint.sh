#!/bin/sh
# metall-checkpoint: --id takes digits only (an empty, signed, spaced or
# trailing-garbage value is a usage error, exit 2, nothing restored); ls of
# an MPI chain root names the ranks whose chain is missing, still lists the
# others, and fails (unless --local: a node-local root).
#   test_checkpoint.sh TOOL FIXTURE SCRATCH
set -u
tool=$1 fixture=$2 d=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$d" && mkdir -p "$d" || fail "cannot make $d"

"$fixture" chain "$d/ds" "$d/chain" 2 || fail "fixture chain"
for v in "" " 1" "+1" "-1" "1x" "0x1" "abc" "99999999999999999999"; do
  "$tool" restore "$d/chain" --id "$v" "$d/dst" > "$d/out" 2> "$d/err"; rc=$?
  [ $rc -eq 2 ] || fail "--id '$v': exit $rc, not 2: $(cat "$d/out" "$d/err")"
  grep -q -- "--id wants a checkpoint id (digits), not '$v'" "$d/err" \
    || fail "--id '$v': message: $(cat "$d/err")"
  [ ! -e "$d/dst" ] || fail "--id '$v' restored something"
done
"$tool" restore "$d/chain" --id 2> /dev/null; [ $? -eq 2 ] || fail "--id without a value/DST"
[ ! -e "$d/--id" ] || fail "'restore CHAIN --id' restored into a directory named --id"
"$tool" restore "$d/chain" --id 1 "$d/dst" | grep -q "restored checkpoint 1" || fail "--id 1"
[ -f "$d/dst/closed" ] || fail "--id 1: nothing restored"
"$tool" restore "$d/chain" "$d/dst2" > /dev/null || fail "restore the newest"

# an MPI chain root of 4 ranks, complete, then with ranks 1 and 2 lost
"$fixture" mpiroot "$d/root" 4 || fail "fixture mpiroot"
"$tool" ls "$d/root" > "$d/out" 2> "$d/err" || fail "ls of a complete root: $(cat "$d/out" "$d/err")"
[ "$(grep -c "^rank [0-9]:$" "$d/out")" -eq 4 ] || fail "ls ranks: $(cat "$d/out")"
[ ! -s "$d/err" ] || fail "complete root: stderr $(cat "$d/err")"
rm -rf "$d/root/subdir-1" "$d/root/subdir-2"
"$tool" ls "$d/root" > "$d/out" 2> "$d/err"; rc=$?
[ $rc -eq 1 ] || fail "ls with ranks 1, 2 missing: exit $rc, not 1"
grep -q "^rank 0:$" "$d/out" && grep -q "^rank 3:$" "$d/out" || fail "present ranks not listed: $(cat "$d/out")"
[ "$(grep -c "^ *1  complete " "$d/out")" -eq 2 ] || fail "present ranks' chains not listed: $(cat "$d/out")"
grep -q "^rank 1: MISSING" "$d/out" && grep -q "^rank 2: MISSING" "$d/out" || fail "missing ranks: $(cat "$d/out")"
grep -q "^2 of 4 ranks' chains on this host$" "$d/out" || fail "summary: $(cat "$d/out")"
grep -q "incomplete: 2 of 4 ranks' chains are not here: 1-2$" "$d/err" || fail "stderr: $(cat "$d/err")"
"$tool" ls --local "$d/root" > "$d/out" 2> "$d/err" || fail "ls --local of a node-local root: exit $?"
grep -q "^rank 3:$" "$d/out" || fail "--local: $(cat "$d/out")"
# a subdir-RANK that is not a chain is an error even with --local
mkdir "$d/root/subdir-1"
"$tool" ls --local "$d/root" > "$d/out" 2> "$d/err" && fail "ls --local with a subdir that is no chain: exit 0"
grep -q "subdir-1" "$d/err" || fail "no message naming subdir-1: $(cat "$d/err")"
rm -rf "$d/root/subdir-0" "$d/root/subdir-1" "$d/root/subdir-3"
"$tool" ls --local "$d/root" > "$d/out" 2> "$d/err" && fail "ls --local with no rank's chain: exit 0"
grep -q "no rank's chain is on this host" "$d/err" || fail "no rank: $(cat "$d/err")"

rm -rf "$d"
echo "ok"
