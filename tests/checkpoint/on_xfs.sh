#!/bin/sh
# Run checkpoint tests with METALLC_CKPT_DETECT=$DETECT on a loop-mounted
# XFS (reflink=1), made for the run and removed after it whatever happens.
# Exit 77 (ctest: skipped) when not root or when mounting is not allowed.
# usage: on_xfs.sh DETECT TEST [ARGS] [-- TEST [ARGS]]...
set -u
detect=$1
shift
base=${METALLC_TEST_TMPDIR:-/tmp}
mkdir -p "$base"
if [ "$(id -u)" != 0 ]; then echo "skipped: loop-mounting XFS needs root"; exit 77; fi
dir=$(mktemp -d "$base/on-xfs-XXXXXX") || exit 1
mounted=no
cleanup() {
    if [ $mounted = yes ]; then umount "$dir/mnt" 2>/dev/null || umount -l "$dir/mnt"; fi
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir "$dir/mnt"
if ! { truncate -s 1G "$dir/xfs.img" && mkfs.xfs -q -m reflink=1 "$dir/xfs.img" >/dev/null 2>&1 &&
       mount -o loop "$dir/xfs.img" "$dir/mnt" 2>/dev/null; }; then
    echo "skipped: cannot make or loop-mount an XFS image (reflink=1)"
    exit 77
fi
mounted=yes
rc=0
while [ $# -gt 0 ]; do
    cmd=""
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do cmd="$cmd $1"; shift; done
    [ $# -gt 0 ] && shift
    echo "== METALLC_CKPT_DETECT=$detect$cmd (on XFS)"
    METALLC_CKPT_DETECT=$detect METALLC_TEST_TMPDIR="$dir/mnt" $cmd || rc=1
done
exit $rc
