#!/usr/bin/env bash
# Dependencies point down: agent -> display, input, usb. Siblings never include
# each other or agent/, and only agent/ includes spice-server's headers.
set -u
root=${1:-$(dirname "$0")/..}
cd "$root" || exit 2
fail=0
check() { # folder, forbidden include pattern, reason
    local hits
    hits=$(grep -rnE "#include *[<\"]($2)" "$1" --include='*.c' --include='*.h' 2>/dev/null)
    if [ -n "$hits" ]; then
        echo "layering: $3:"
        echo "$hits"
        fail=1
    fi
}
spice='spice\.h|spice-server/|spice-qxl|spice-core\.h|spice-char\.h|spice-input\.h|spice-audio\.h'
for dir in display input usb client; do
    check "$dir" "$spice" "$dir/ must not include spice-server headers (only agent/ may)"
    check "$dir" "agent/" "$dir/ must not include agent/"
done
check display "input/|usb/|client/" "display/ must not include its siblings"
check input "display/|usb/|client/" "input/ must not include its siblings"
check usb "display/|input/|client/" "usb/ must not include its siblings"
check client "display/|input/|agent/" "client/ may use only usb/"
check agent "client/" "agent/ must not include client/"
if [ $fail -eq 0 ]; then
    echo "layering: ok"
fi
exit $fail
