#!/bin/sh
# Runs a libFuzzer target for a few seconds on a scratch copy of its corpus
# (the tree's corpus is only read), then replays the tree's corpus.
# Usage: run-fuzz.sh TARGET CORPUS_DIR SECONDS
set -eu
target=$1 corpus=$2 seconds=$3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$target" -max_total_time="$seconds" -rss_limit_mb=1024 -max_len=65536 \
  -artifact_prefix="$scratch/" "$scratch" "$corpus"
# replay: every saved input must pass on its own
"$target" -runs=0 "$corpus"
