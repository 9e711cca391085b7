#!/usr/bin/env bash
# Usage: run-with-pipewire.sh PROGRAM [ARGS...]
# Runs PROGRAM next to a private PipeWire: its own runtime directory, a D-Bus
# session bus (WirePlumber needs one) and WirePlumber (which links streams).
# Exits 77 (CTest: skipped) when they are not installed.
set -euo pipefail
for tool in dbus-daemon pipewire wireplumber; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP: $tool is not installed (apt-get install pipewire wireplumber dbus-daemon)"
        exit 77
    fi
done
dir=$(mktemp -d /tmp/thindesk-pw-XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
export XDG_RUNTIME_DIR=$dir PIPEWIRE_RUNTIME_DIR=$dir HOME=$dir
export XDG_CONFIG_HOME=$dir/config XDG_STATE_HOME=$dir/state
export DBUS_SESSION_BUS_ADDRESS=unix:path=$dir/bus
dbus-daemon --session --nofork --address="$DBUS_SESSION_BUS_ADDRESS" >"$dir/log" 2>&1 & pids+=($!)
for _ in $(seq 200); do [ -S "$dir/bus" ] && break; sleep 0.05; done
pipewire >>"$dir/log" 2>&1 & pids+=($!)
for _ in $(seq 400); do [ -S "$dir/pipewire-0" ] && break; sleep 0.05; done
wireplumber >>"$dir/log" 2>&1 & pids+=($!)
if ! [ -S "$dir/pipewire-0" ]; then
    echo "pipewire did not start:"; cat "$dir/log"; exit 1
fi
rc=0
"$@" || rc=$?
[ "$rc" -eq 0 ] || { echo "--- pipewire/wireplumber log"; tail -20 "$dir/log"; }
exit "$rc"
