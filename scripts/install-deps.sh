#!/usr/bin/env bash
# Install what metall-c needs to build, test and benchmark on Debian 12 /
# Ubuntu: compilers, CMake, cmocka, Open MPI, hwloc, and the benchmark
# baselines (jemalloc, PMDK libpmemobj, Boost.Interprocess).
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential cmake pkg-config git python3 \
  libcmocka-dev libopenmpi-dev openmpi-bin libhwloc-dev hwloc \
  libjemalloc-dev libpmemobj-dev libboost-dev \
  xfsprogs clang libclang-rt-14-dev doxygen gnuplot-nox strace >/dev/null
echo "metall-c: dependencies installed"
