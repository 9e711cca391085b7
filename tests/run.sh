#!/usr/bin/env bash
# Installs what the tests need, builds with warnings as errors, and runs every
# test tier but the benchmarks (the web tier, chromium, included), then the unit, integration, wayland and dm tests
# once more under AddressSanitizer + UndefinedBehaviorSanitizer. This is what CI runs
# (.ci/run). Both passes always run; the exit status is non-zero if either
# failed (a build failure counts as a failed pass).
# Usage: tests/run.sh [extra ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

tests/install-deps.sh test

start=$(date +%s)
build=${THINDESK_TEST_BUILD:-build-test}
asan=${build}-asan
logdir=$build-logs
mkdir -p "$logdir"

# Runs one pass: configure, build, ctest. $1 is the pass's name, $2 its build
# folder, $3 its ctest label arguments (one string), the rest cmake options.
run_pass() {
    local name=$1 dir=$2 labels=$3
    shift 3
    local log=$logdir/$name.log
    echo "tests/run.sh: pass $name: building in $dir"
    if ! cmake -S . -B "$dir" -DTHINDESK_WERROR=ON "$@" >"$log" 2>&1 ||
        ! cmake --build "$dir" -j"$(nproc)" >>"$log" 2>&1; then
        tail -n 60 "$log"
        echo "tests/run.sh: pass $name: build failed (whole log: $log)" >"$logdir/$name.summary"
        return 1
    fi
    local rc=0
    # shellcheck disable=SC2086
    ctest --test-dir "$dir" $labels --output-on-failure --timeout 1200 "${ctest_args[@]}" 2>&1 |
        tee -a "$log" || rc=$?
    local line
    line=$(grep -E '^[0-9]+% tests passed' "$log" | tail -n 1 || true)
    echo "tests/run.sh: pass $name: ${line:-no ctest summary}" >"$logdir/$name.summary"
    # Totals over both passes for the closing line.
    if [[ $line =~ ([0-9]+)\ tests\ failed\ out\ of\ ([0-9]+) ]]; then
        failed_total=$((failed_total + BASH_REMATCH[1]))
        passed_total=$((passed_total + BASH_REMATCH[2] - BASH_REMATCH[1]))
    fi
    return "$rc"
}

ctest_args=("$@")
status=0 passed_total=0 failed_total=0
run_pass main "$build" "-LE bench" -DCMAKE_BUILD_TYPE=RelWithDebInfo || status=1

# The same unit and integration tests once more against a sanitizer build: any
# report fails the test that saw it. It runs even when the first pass failed.
sanitize=${THINDESK_SANITIZE_PASS:-1}
if [ "$sanitize" = 1 ]; then
    LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
        run_pass sanitizers "$asan" "-L unit|integration|dm" -DCMAKE_BUILD_TYPE=Debug \
        -DTHINDESK_SANITIZE=address,undefined || status=1
fi

echo
cat "$logdir/main.summary"
if [ "$sanitize" = 1 ]; then
    cat "$logdir/sanitizers.summary"
else
    echo "tests/run.sh: pass sanitizers: not run (THINDESK_SANITIZE_PASS=$sanitize)"
fi
echo "tests/run.sh: $(( ($(date +%s) - start) / 60 )) min $(( ($(date +%s) - start) % 60 )) s in all;" \
    "$([ "$status" = 0 ] && echo 'every pass succeeded' || echo 'FAILED')"
echo "total: $passed_total passed, $failed_total failed"
exit "$status"
