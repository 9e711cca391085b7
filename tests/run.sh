#!/usr/bin/env bash
# Installs what the tests need, builds with warnings as errors, and runs every
# test tier but the benchmarks. This is what CI runs (.ci/run).
# Usage: tests/run.sh [extra ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

tests/install-deps.sh test

build=${THINDESK_TEST_BUILD:-build-test}
cmake -S . -B "$build" -DTHINDESK_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" -LE bench --output-on-failure --timeout 1200 "$@"
