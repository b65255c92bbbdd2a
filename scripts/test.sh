#!/usr/bin/env bash
# Build and run the test suite (everything but the long `slow` runs).
#   scripts/test.sh                 # normal build (build/)
#   scripts/test.sh asan            # AddressSanitizer + UBSan build (build-asan/)
#   scripts/test.sh tsan            # ThreadSanitizer build, thread tests (build-tsan/)
#   scripts/test.sh fuzz            # clang + libFuzzer: fuzz the management files for 60 s
#   scripts/test.sh nohwloc         # a build without hwloc: NUMA policies give ENOTSUP
#   scripts/test.sh boost181        # the C++ and JSON tests against Boost 1.81 (Debian's libboost1.81-dev,
#                                   # fetched with apt-get download, unpacked beside the build)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-normal}"
jobs="$(nproc)"
target=()
case "$mode" in
  normal) dir=build;      flags=();                     select=(-LE slow) ;;
  asan)   dir=build-asan; flags=(-DMETALLC_SANITIZE=ON -DMETALLC_BUILD_BENCHMARKS=OFF); select=(-LE 'slow|fuzz') ;;
  tsan)   dir=build-tsan; flags=(-DMETALLC_TSAN=ON -DMETALLC_USE_MPI=OFF -DMETALLC_BUILD_BENCHMARKS=OFF); select=(-L tsan) ;;
  fuzz)   dir=build-fuzz; export CC=clang CXX=clang++
          flags=(-DMETALLC_FUZZ=ON -DMETALLC_USE_MPI=OFF -DMETALLC_BUILD_BENCHMARKS=OFF
                 -DMETALLC_BUILD_TOOLS=OFF -DMETALLC_BUILD_EXAMPLES=OFF)
          target=(--target fuzz_mgmt fuzz_replay); select=(-L fuzz) ;;
  nohwloc) dir=build-nohwloc
          flags=(-DMETALLC_USE_HWLOC=OFF -DMETALLC_USE_MPI=OFF -DMETALLC_BUILD_BENCHMARKS=OFF
                 -DMETALLC_BUILD_TOOLS=OFF -DMETALLC_BUILD_EXAMPLES=OFF)
          target=(--target test_numa); select=(-R test_numa) ;;
  boost181) dir=build-boost181
          boost="$PWD/$dir/boost/usr/include"
          if [ ! -f "$boost/boost/version.hpp" ]; then
            mkdir -p "$dir/deb"
            (cd "$dir/deb" && apt-get download libboost1.81-dev >/dev/null)
            dpkg -x "$dir"/deb/libboost1.81-dev_*.deb "$dir/boost"
          fi
          flags=(-DMETALLC_BOOST_INCLUDE_DIR="$boost" -DMETALLC_USE_MPI=OFF
                 -DMETALLC_BUILD_BENCHMARKS=OFF -DMETALLC_BUILD_TOOLS=OFF -DMETALLC_BUILD_EXAMPLES=OFF)
          target=(--target test_cxx_offset_ptr test_cxx_manager test_cxx_objects test_cxx_utility
                  test_cxx_reopen test_cxx_threads test_json_value test_json_text test_json_graph
                  test_json_datastore test_json_boost)
          select=(-R 'test_cxx|cxx_header|test_json|json_header') ;;
  *) echo "usage: $0 [normal|asan|tsan|fuzz|nohwloc|boost181]" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${flags[@]}" >/dev/null
cmake --build "$dir" -j"$jobs" "${target[@]}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"
cd "$dir"
ctest --output-on-failure -j"$jobs" "${select[@]}"
