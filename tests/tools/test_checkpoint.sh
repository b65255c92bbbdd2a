#!/bin/sh
# metall-checkpoint: --id takes digits only (an empty, signed, spaced or
# trailing-garbage value is a usage error, exit 2, nothing restored).
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

rm -rf "$d"
echo "ok"
