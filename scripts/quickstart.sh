#!/usr/bin/env bash
# One command from a fresh clone: install dependencies, build, and run the
# demo (create a datastore, close it, reopen it in a second process and
# read the data back).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
DS="${1:-${TMPDIR:-/tmp}/metall-demo-$$}"
build/examples/demo "$DS"
