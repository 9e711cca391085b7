#!/bin/sh
# run-fuzz.sh TARGET CORPUS WORKDIR SECONDS: fuzzes from a copy of the
# in-tree corpus (new inputs stay in WORKDIR), failing on any crash, leak or
# sanitizer report.
set -eu
target=$1 corpus=$2 work=$3 seconds=$4
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$corpus"/* "$work/corpus/"
exec "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
    -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$work/corpus"
