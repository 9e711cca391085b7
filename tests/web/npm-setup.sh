#!/bin/sh
# Installs the browser tier's test-only npm dependencies (package-lock.json)
# into a cache outside the clone, keyed by the lock file's hash, and prints
# the node_modules directory. `npm ci` runs only when that cache is missing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
hash=$(sha256sum "$here/package-lock.json" | cut -c1-16)
root=${THINDESK_TEST_CACHE:-/var/cache/thindesk-tests}
dir="$root/npm-$hash"
if [ ! -f "$dir/.done" ]; then
    mkdir -p "$root"
    tmp=$(mktemp -d "$root/npm-$hash.XXXXXX")
    cp "$here/package.json" "$here/package-lock.json" "$tmp/"
    (cd "$tmp" && npm ci --no-audit --no-fund --loglevel=error >&2)
    touch "$tmp/.done"
    # Another run may have finished first: keep whichever is there.
    mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
fi
echo "$dir/node_modules"
