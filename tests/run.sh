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

# The same unit and integration tests once more against an AddressSanitizer +
# UndefinedBehaviorSanitizer build: any report fails the test that saw it.
if [ "${THINDESK_SANITIZE_PASS:-1}" = 1 ]; then
    asan=${build}-asan
    cmake -S . -B "$asan" -DTHINDESK_WERROR=ON -DCMAKE_BUILD_TYPE=Debug \
        -DTHINDESK_SANITIZE=address,undefined
    cmake --build "$asan" -j"$(nproc)"
    LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
        ctest --test-dir "$asan" -L 'unit|integration' --output-on-failure --timeout 1200 "$@"
fi
