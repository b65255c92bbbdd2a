#!/bin/sh
# metall-leftovers: finds, lists and removes what interrupted operations
# left (core and MPI temporaries), keeps everything else, and reports
# errors with a message and a non-zero exit.
#   test_leftovers.sh TOOL SCRATCH
set -u
tool=$1 d=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$d" && mkdir -p "$d" || fail "cannot make $d"

# leftovers
mkdir -p "$d/a/ds.metall-tmp-123-0badcafe/segment" "$d/pfs/snap.metall-mpi-tmp-00112233aabbccdd/subdir-0"
head -c 65536 /dev/zero > "$d/a/ds.metall-tmp-123-0badcafe/segment/block-000000"
echo "metall-c-mpi 1" > "$d/pfs/snap.metall-mpi-tmp-00112233aabbccdd/metall_mpi"
mkdir -p "$d/root/subdir-0"
echo x > "$d/root/.metall_mpi_manifest.tmp-77-0123abcd"
mkdir -p "$d/root/subdir-1.metall-tmp-9-deadbeef"
# an MPI checkpoint chain root's global manifest being written (and the
# fixed temporary name its writer used before)
mkdir -p "$d/chain/subdir-0"
echo x > "$d/chain/.metall_mpi_chain.tmp-4242-00c0ffee"
echo x > "$d/chain/metall_mpi_chain.tmp"
# look-alikes that must stay
mkdir -p "$d/keep/ds.metall-tmp-xyz" "$d/keep/ds.metall-mpi-tmp-short"
echo x > "$d/keep/notes.tmp-1-2" && echo x > "$d/keep/.bashrc.tmp-77-0123abcd"
echo x > "$d/keep/file.metall-tmp-1-0badcafe"   # a file, not a directory
echo x > "$d/keep/metall_mpi_chain" && echo x > "$d/keep/metall_mpi_chain.tmpx"
echo x > "$d/keep/.metall_mpi_chain.tmp-1-2"

out=$("$tool" "$d") || fail "listing exited $?"
echo "$out"
n=$(echo "$out" | grep -c -- '-tmp ')
[ "$n" -eq 6 ] || fail "expected 6 leftovers, listed $n"
echo "$out" | grep -q "^core-tmp .*$d/a/ds.metall-tmp-123-0badcafe\$" || fail "core temporary not listed"
echo "$out" | grep -q "^mpi-tmp .*snap.metall-mpi-tmp-00112233aabbccdd\$" || fail "MPI temporary not listed"
echo "$out" | grep -q "^file-tmp .*\.metall_mpi_manifest.tmp-77-0123abcd\$" || fail "file temporary not listed"
echo "$out" | grep -q "^file-tmp .*$d/chain/\.metall_mpi_chain.tmp-4242-00c0ffee\$" || fail "chain manifest temporary not listed"
echo "$out" | grep -q "^file-tmp .*$d/chain/metall_mpi_chain.tmp\$" || fail "old chain manifest temporary not listed"
echo "$out" | grep -q "keep" && fail "a look-alike was listed"
echo "$out" | tail -1 | grep -q "^6 leftovers" || fail "bad summary"

# dry run deletes nothing
"$tool" --remove --dry-run "$d" > /dev/null || fail "dry run exited $?"
[ -d "$d/a/ds.metall-tmp-123-0badcafe" ] || fail "dry run removed something"
# min-age keeps fresh ones
out=$("$tool" --remove --min-age 3600 "$d") || fail "min-age exited $?"
[ -d "$d/a/ds.metall-tmp-123-0badcafe" ] || fail "--min-age removed a fresh leftover"
# a temporary whose top directory is old but which is still written below
# (a running snapshot fills its segment files) is fresh
mkdir -p "$d/busy/ds.metall-tmp-5-0badcafe/segment"
echo x > "$d/busy/ds.metall-tmp-5-0badcafe/segment/block-000001"
touch -d '2 days ago' "$d/busy/ds.metall-tmp-5-0badcafe/segment" "$d/busy/ds.metall-tmp-5-0badcafe"
"$tool" --remove --min-age 3600 "$d/busy" > /dev/null || fail "min-age (busy) exited $?"
[ -d "$d/busy/ds.metall-tmp-5-0badcafe" ] || fail "--min-age removed a temporary still written below"
rm -rf "$d/busy"
# an empty or missing age is a usage error, not 0 (which removes fresh ones)
"$tool" --remove --min-age "" "$d" 2> /dev/null; [ $? -eq 2 ] || fail "--min-age '' did not exit 2"
"$tool" --remove --min-age " 5" "$d" 2> /dev/null; [ $? -eq 2 ] || fail "--min-age ' 5' did not exit 2"
"$tool" --remove --min-age 2> /dev/null; [ $? -eq 2 ] || fail "--min-age without a value did not exit 2"
[ -d "$d/a/ds.metall-tmp-123-0badcafe" ] || fail "a bad --min-age removed a leftover"

# remove
"$tool" --remove "$d" || fail "remove exited $?"
[ ! -e "$d/a/ds.metall-tmp-123-0badcafe" ] || fail "core temporary left"
[ ! -e "$d/pfs/snap.metall-mpi-tmp-00112233aabbccdd" ] || fail "MPI temporary left"
[ ! -e "$d/root/.metall_mpi_manifest.tmp-77-0123abcd" ] || fail "file temporary left"
[ ! -e "$d/root/subdir-1.metall-tmp-9-deadbeef" ] || fail "subdir temporary left"
[ ! -e "$d/chain/.metall_mpi_chain.tmp-4242-00c0ffee" ] && [ ! -e "$d/chain/metall_mpi_chain.tmp" ] \
  || fail "chain manifest temporary left"
[ -d "$d/chain/subdir-0" ] || fail "removed a chain"
[ -d "$d/root/subdir-0" ] && [ -d "$d/keep/ds.metall-tmp-xyz" ] && [ -f "$d/keep/notes.tmp-1-2" ] \
  && [ -f "$d/keep/file.metall-tmp-1-0badcafe" ] && [ -f "$d/keep/metall_mpi_chain" ] \
  && [ -f "$d/keep/metall_mpi_chain.tmpx" ] && [ -f "$d/keep/.metall_mpi_chain.tmp-1-2" ] \
  || fail "removed something that is not a leftover"
out=$("$tool" "$d") || fail "second listing exited $?"
echo "$out" | tail -1 | grep -q "^0 leftovers" || fail "leftovers after remove: $out"

# errors and help
"$tool" "$d/missing" 2> "$d/err" && fail "a missing directory exited 0"
grep -q "missing" "$d/err" || fail "no message naming the missing directory"
"$tool" --bogus "$d" 2> /dev/null; [ $? -eq 2 ] || fail "unknown option did not exit 2"
"$tool" 2> /dev/null; [ $? -eq 2 ] || fail "no directory did not exit 2"
"$tool" --help | grep -q "usage: metall-leftovers" || fail "--help"

# an entry that cannot be examined may be a leftover: it is reported (path
# and cause) and the exit status is 1, not a clean "0 leftovers"
mkdir -p "$d/deep" || fail "mkdir deep"
c=$(printf '%0200d' 0) c10=""
for i in 1 2 3 4 5 6 7 8 9 10; do c10="$c10$c/"; done
# two relative steps of 10 names (2010 bytes each), the last one beyond PATH_MAX
(cd "$d/deep" && mkdir -p "$c10" && cd "$c10" && mkdir -p "$c10$c") \
  || fail "cannot make a path longer than PATH_MAX"
"$tool" "$d/deep" > "$d/out" 2> "$d/err"; rc=$?
[ $rc -eq 1 ] || fail "an entry beyond PATH_MAX: exit $rc, not 1"
grep -q "cannot examine $d/deep/.*$c: File name too long" "$d/err" || fail "no message: $(cat "$d/err")"
tail -1 "$d/out" | grep -q "1 entry could not be examined" || fail "summary: $(cat "$d/out")"
rm -rf "$d/deep"
# lstat refused (a readable directory without search permission), as a user
# that permissions bind (root's are not checked)
mkdir -p "$d/perm/locked/x.metall-tmp-1-0badcafe" && chmod 0644 "$d/perm/locked"
as=""
[ "$(id -u)" -ne 0 ] || as="setpriv --reuid=65534 --regid=65534 --clear-groups"
if $as ls "$d/perm/locked" > /dev/null 2>&1 && ! $as stat "$d/perm/locked/x.metall-tmp-1-0badcafe" > /dev/null 2>&1; then
  $as "$tool" "$d/perm" > "$d/out" 2> "$d/err"; rc=$?
  [ $rc -eq 1 ] || fail "an entry lstat refuses: exit $rc, not 1"
  grep -q "cannot examine $d/perm/locked/x.metall-tmp-1-0badcafe: Permission denied" "$d/err" \
    || fail "no message: $(cat "$d/err")"
else
  echo "(permission case skipped: no unprivileged user to run as)"
fi
chmod 0755 "$d/perm/locked"
rm -rf "$d"
echo "ok"
