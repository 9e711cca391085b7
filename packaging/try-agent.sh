#!/usr/bin/env bash
# Installs what the agent needs, builds it, and runs it. Without a desktop
# ($DISPLAY unset) it starts a virtual one and prints how to connect.
# Usage: packaging/try-agent.sh [thindesk-agent options]
set -euo pipefail
cd "$(dirname "$0")/.."

tests/install-deps.sh run
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
exec build/agent/thindesk-agent "$@"
