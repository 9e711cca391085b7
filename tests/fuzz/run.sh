#!/usr/bin/env bash
# Usage: run.sh SRC_ROOT BUILD_DIR TARGET [SECONDS]
# Builds the libFuzzer targets with clang, replays the in-tree corpus of
# TARGET, then fuzzes it for SECONDS (new inputs go to a scratch corpus).
set -euo pipefail
src=$1 build=$2 target=$3 seconds=${4:-5}
if ! command -v clang >/dev/null; then
    echo "SKIP: clang is not installed (apt-get install clang)"
    exit 77
fi
fuzzdir=$build/fuzz
CC=clang cmake -S "$src/tests/fuzz" -B "$fuzzdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$fuzzdir" --target "$target" -j2 >/dev/null
corpus=$src/tests/fuzz/corpus/${target#fuzz-}
scratch=$fuzzdir/scratch-$target
rm -rf "$scratch" && mkdir -p "$scratch"
echo "replaying $(ls "$corpus" | wc -l) corpus inputs"
"$fuzzdir/$target" -runs=0 "$corpus"
echo "fuzzing for ${seconds}s"
"$fuzzdir/$target" -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 "$scratch" "$corpus"
