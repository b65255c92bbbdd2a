#!/usr/bin/env bash
# Build and run the test suite (everything but the long `slow` runs).
#   scripts/test.sh                 # normal build (build/)
#   scripts/test.sh asan            # AddressSanitizer + UBSan build (build-asan/)
#   scripts/test.sh tsan            # ThreadSanitizer build, thread tests (build-tsan/)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-normal}"
jobs="$(nproc)"
case "$mode" in
  normal) dir=build;      flags=();                     select=(-LE slow) ;;
  asan)   dir=build-asan; flags=(-DMETALLC_SANITIZE=ON -DMETALLC_BUILD_BENCHMARKS=OFF); select=(-LE 'slow|fuzz') ;;
  tsan)   dir=build-tsan; flags=(-DMETALLC_TSAN=ON -DMETALLC_USE_MPI=OFF -DMETALLC_BUILD_BENCHMARKS=OFF); select=(-L tsan) ;;
  *) echo "usage: $0 [normal|asan|tsan]" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${flags[@]}" >/dev/null
cmake --build "$dir" -j"$jobs"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"
cd "$dir"
ctest --output-on-failure -j"$jobs" "${select[@]}"
