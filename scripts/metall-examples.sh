#!/usr/bin/env bash
# metall-examples.sh: do LLNL Metall's own example programs build and run
# unchanged on metall-c, and print what they print on Metall?
#
#   scripts/metall-examples.sh METALL_DIR [BOOST_INCLUDE_DIR]
#
# METALL_DIR: a checkout of LLNL Metall (v0.30: 28 programs in example/,
# example/container/, example/json/). Its sources are only read.
# BOOST_INCLUDE_DIR: Boost >= 1.80 headers, which Metall needs (default: the
# Boost 1.81 that `scripts/test.sh boost181` unpacks into build-boost181/).
# Environment:
#   METALLC_PREFIX  an installed metall-c (default: `cmake --install build`
#                   into WORK/prefix; build/ must be built, with MPI)
#   WORK            scratch directory (default: build-metall-examples/)
#   JOBS            parallel compiles (default: 2)
#   RUN_ONLY=1      do not compile: run the binaries WORK holds from a previous run
#
# Every program is compiled as it is, three times: against metall-c's
# installed headers + libmetallc (mpicxx + libmetallc_mpi for mpi_*) with the
# system's Boost ("ours") and with BOOST_INCLUDE_DIR ("ours-B"), and against
# Metall's headers with BOOST_INCLUDE_DIR ("metall"). All with
# g++ -std=c++17 -O2 -DNDEBUG (Metall's examples are built with NDEBUG).
# Each build runs all programs in alphabetical order (json_create before
# json_open, mpi_create before mpi_open, each pair sharing its datastore) in
# one working directory, with a private /tmp (the examples use fixed paths
# such as /tmp/dir; a mount namespace keeps the real /tmp untouched), MPI
# programs with `mpirun -n 2`. It compares stdout and the exit status with
# Metall's (the two ranks' lines of an MPI program sorted, as their order is
# up to the scheduler); stderr holds the logs, which differ by design.
# Prints one table row per program; exit status 0 iff every program built
# and printed what Metall's build printed. Needs no network; not part of
# the test suite (it needs a Metall checkout).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
metall="$(cd "${1:?usage: $0 METALL_DIR [BOOST_INCLUDE_DIR]}" && pwd)"
boost="${2:-$here/build-boost181/boost/usr/include}"
work="$(mkdir -p "${WORK:-$here/build-metall-examples}" && cd "${WORK:-$here/build-metall-examples}" && pwd)"
jobs="${JOBS:-2}"

die() { echo "metall-examples: $*" >&2; exit 2; }
[ -d "$metall/example" ] && [ -f "$metall/include/metall/metall.hpp" ] ||
  die "$metall is not a Metall checkout (no example/ or include/metall/metall.hpp)"
[ -f "$boost/boost/version.hpp" ] ||
  die "no Boost headers in $boost (run scripts/test.sh boost181 once, or pass Boost >= 1.80's include dir)"
bv=$(sed -n 's/^#define BOOST_VERSION \([0-9]*\).*/\1/p' "$boost/boost/version.hpp")
[ "$bv" -ge 108000 ] || die "Metall needs Boost >= 1.80; $boost has $bv"
bname="$((bv / 100000)).$((bv / 100 % 1000))"
sysbv=$(echo '#include <boost/version.hpp>
BOOST_VERSION' | g++ -E -P -x c++ - 2>/dev/null | tail -1)
sysname="$((sysbv / 100000)).$((sysbv / 100 % 1000))"

prefix="${METALLC_PREFIX:-}"
if [ -z "$prefix" ]; then
  prefix="$work/prefix"
  [ -f "$here/build/CMakeCache.txt" ] || die "build/ is not configured: build metall-c first (scripts/test.sh)"
  cmake --install "$here/build" --prefix "$prefix" >/dev/null
fi
[ -f "$prefix/include/metall/metall.hpp" ] || die "no metall-c headers in $prefix/include"
libdir=$(dirname "$(ls "$prefix"/lib*/libmetallc.so "$prefix"/lib/*/libmetallc.so 2>/dev/null | head -1)")
[ -f "$libdir/libmetallc.so" ] || die "no libmetallc.so under $prefix"

mapfile -t sources < <(cd "$metall/example" && ls ./*.cpp container/*.cpp json/*.cpp | sed 's|^\./||' | sort)
names=()
for s in "${sources[@]}"; do names+=("$(basename "$s" .cpp)"); done
echo "Metall checkout: $metall (${#sources[@]} example programs)"
echo "metall-c: $prefix; Boost: system $sysname (ours), $bname from $boost (ours-$bname, metall)"

# compile VARIANT SOURCE: one program; the log is kept beside the binary.
compile() {
  local v=$1 src=$2 n cxx=g++ inc libs defs=()
  n=$(basename "$src" .cpp)
  case $n in mpi_*) cxx=mpicxx ;; esac
  case $n in custom_logger) defs=(-DMETALL_LOGGER_EXTERN_C=1) ;; esac # as Metall's CMake does
  case $v in
    ours)     inc=(-I"$prefix/include") ;;
    ours-*)   inc=(-isystem "$boost" -I"$prefix/include") ;;
    metall)   inc=(-I"$metall/include" -isystem "$boost") ;;
  esac
  if [ "$v" = metall ]; then libs=(-pthread)
  else
    libs=(-L"$libdir" -Wl,-rpath,"$libdir" -lmetallc -pthread)
    case $n in mpi_*) libs=(-L"$libdir" -Wl,-rpath,"$libdir" -lmetallc_mpi -lmetallc -pthread) ;; esac
  fi
  mkdir -p "$work/$v/bin"
  if "$cxx" -std=c++17 -O2 -DNDEBUG -Wall "${defs[@]}" "${inc[@]}" "$metall/example/$src" \
       -o "$work/$v/bin/$n" "${libs[@]}" >"$work/$v/bin/$n.log" 2>&1; then :
  else rm -f "$work/$v/bin/$n"; fi
}
export -f compile
export work prefix boost metall libdir

variants=(ours "ours-$bname" metall)
if [ "${RUN_ONLY:-0}" != 1 ]; then
  for v in "${variants[@]}"; do
    rm -rf "${work:?}/$v"; mkdir -p "$work/$v/bin"
    printf '%s\n' "${sources[@]}" | xargs -P "$jobs" -I{} bash -c 'compile "$0" "$1"' "$v" {}
  done
fi

# In a private mount namespace: /tmp is WORK/VARIANT/tmp, then every program
# runs once in WORK/VARIANT/cwd; stdout + "exit=N" per program.
cat >"$work/run-in-ns.sh" <<'EOF'
set -u
bin=$1; out=$2; tmp=$3; cwd=$4; shift 4
mount --bind "$tmp" /tmp || exit 1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
cd "$cwd" || exit 1
for n in "$@"; do
  [ -x "$bin/$n" ] || { echo "not built" >"$out/$n.out"; continue; }
  case $n in
    mpi_*) timeout 300 mpirun -n 2 "$bin/$n" >"$out/$n.raw" 2>"$out/$n.err"; rc=$?
           sort "$out/$n.raw" >"$out/$n.out" ;;
    *)     timeout 300 "$bin/$n" >"$out/$n.out" 2>"$out/$n.err"; rc=$? ;;
  esac
  echo "exit=$rc" >>"$out/$n.out"
done
EOF
run_variant() {
  local v=$1 ns=(unshare -m)
  [ "$(id -u)" = 0 ] || ns=(unshare -r -m)
  rm -rf "${work:?}/$v/out" "$work/$v/tmp" "$work/$v/cwd"
  mkdir -p "$work/$v/out" "$work/$v/tmp" "$work/$v/cwd"
  "${ns[@]}" bash "$work/run-in-ns.sh" "$work/$v/bin" "$work/$v/out" "$work/$v/tmp" \
      "$work/$v/cwd" "${names[@]}" ||
    die "cannot run the examples with a private /tmp (unshare -m, mount --bind)"
}
for v in "${variants[@]}"; do run_variant "$v"; done

# the table
built() { [ -x "$work/$1/bin/$2" ] && echo yes || echo no; }
exitof() { sed -n 's/^exit=//p' "$work/$1/out/$2.out" 2>/dev/null || echo -; }
ok=0; bad=0
printf '\n| program | builds: ours (Boost %s) / ours (Boost %s) / Metall | exit: ours / ours-%s / Metall | stdout identical to Metall'"'"'s: ours / ours-%s |\n|---|---|---|---|\n' \
  "$sysname" "$bname" "$bname" "$bname"
for i in "${!names[@]}"; do
  n=${names[$i]}; same=()
  for v in ours "ours-$bname"; do
    if [ "$(built "$v" "$n")" = yes ] && [ "$(built metall "$n")" = yes ] &&
       cmp -s "$work/$v/out/$n.out" "$work/metall/out/$n.out"; then same+=(yes)
    else same+=(no); fi
  done
  printf '| %s | %s / %s / %s | %s / %s / %s | %s / %s |\n' "${sources[$i]%.cpp}" \
    "$(built ours "$n")" "$(built "ours-$bname" "$n")" "$(built metall "$n")" \
    "$(exitof ours "$n")" "$(exitof "ours-$bname" "$n")" "$(exitof metall "$n")" "${same[0]}" "${same[1]}"
  if [ "${same[*]}" = "yes yes" ]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
done
echo
echo "$ok of ${#names[@]} programs build on metall-c with both Boosts and print what they print on Metall (stdout and exit status)."
if [ "$bad" -gt 0 ]; then
  echo "differences: diff $work/metall/out/NAME.out $work/ours/out/NAME.out; compile logs: $work/*/bin/NAME.log"
fi
echo "stderr (logs) of each run: $work/<build>/out/NAME.err"
[ "$bad" -eq 0 ]
