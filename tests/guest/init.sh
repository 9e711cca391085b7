#!/bin/sh
# /init of the guest tier's initramfs (busybox sh). It loads the modules,
# brings up the network, runs the scenario named on the kernel command line
# (thindesk.scenario=NAME) and powers off through isa-debug-exit.
#
# Protocol on the serial console (ttyS0), one line each:
#   guest -> host  THINDESK-BOOTED <uptime>        /init started
#   guest -> host  THINDESK-READY <scenario>       the agent listens
#   host -> guest  stop                            the host side is done
#   guest -> host  THINDESK-RESULT <key>=<value>   collected results
#   guest -> host  THINDESK-END <status>           then QEMU exits
# The QEMU exit status is 2 * status + 1 (isa-debug-exit).
export PATH=/usr/bin:/usr/sbin:/bin:/sbin
export HOME=/root XDG_RUNTIME_DIR=/run XDG_CONFIG_HOME=/root/.config

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm

say() { echo "$*" > /dev/console; }
say "THINDESK-BOOTED $(cut -d' ' -f1 /proc/uptime)"

param() {
    for w in $(cat /proc/cmdline); do
        case "$w" in "thindesk.$1="*) echo "${w#*=}"; return;; esac
    done
    echo "$2"
}
SCENARIO=$(param scenario none)
PORT=$(param port 5900)
SIZE=$(param size 1280x720)
TIMEOUT=$(param timeout 240)

# isa-debug-exit at port 0xf4: QEMU exits at once with status 2*value+1.
power_off() {
    say "THINDESK-END $1"
    sync
    printf "\\$(printf %o "$1")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
    # Without the device (never expected): the ordinary way.
    poweroff -f
}
fail() {
    say "THINDESK-RESULT error=$*"
    power_off 2
}

# A guest that nobody stops ends itself.
( sleep "$TIMEOUT"; say "THINDESK-RESULT error=guest timeout after ${TIMEOUT}s"; power_off 3 ) &

for m in virtio_pci virtio_net evdev uinput usbip-core vhci-hcd usb-storage sr_mod sd_mod; do
    modprobe "$m" || fail "modprobe $m failed"
done

# The kernel paths the scenarios need, for the host to check.
say "THINDESK-RESULT kernel=$(uname -r)"
[ -c /dev/uinput ] && say "THINDESK-RESULT uinput=yes"
[ -e /sys/devices/platform/vhci_hcd.0/attach ] && say "THINDESK-RESULT vhci=yes"

hostname guest
ip link set lo up
n=0
while [ ! -e /sys/class/net/eth0 ]; do
    n=$((n + 1))
    [ $n -gt 200 ] && fail "no eth0 (virtio_net)"
    usleep 50000
done
ip link set eth0 up || fail "eth0 up"
ip addr add 10.0.2.15/24 dev eth0 || fail "eth0 address"
ip route add default via 10.0.2.2 dev eth0 || fail "default route"

# The password comes on the command line of a throwaway guest.
param password "" > /run/password
chmod 600 /run/password

# Waits until something listens on TCP port $1 (hex in /proc/net/tcp, state 0A).
wait_listen() {
    hex=$(printf ':%04X' "$1")
    n=0
    while ! awk -v p="$hex" '$2 ~ p"$" && $4 == "0A" {f=1} END {exit !f}' /proc/net/tcp /proc/net/tcp6 2>/dev/null; do
        n=$((n + 1))
        if [ $n -gt 1200 ] || ! kill -0 "$2" 2>/dev/null; then
            return 1
        fi
        usleep 50000
    done
}

AGENT_PID=
start_agent() {
    # Its output goes to the console, so a failing run shows why.
    thindesk-agent --listen=0.0.0.0:"$PORT" --password-file=/run/password "$@" \
        > /dev/console 2>&1 < /dev/null &
    AGENT_PID=$!
    wait_listen "$PORT" "$AGENT_PID" || fail "the agent did not listen on port $PORT"
}

stop_agent() {
    kill -TERM "$AGENT_PID" 2>/dev/null
    n=0
    while kill -0 "$AGENT_PID" 2>/dev/null; do
        n=$((n + 1))
        [ $n -gt 200 ] && kill -KILL "$AGENT_PID"
        usleep 50000
    done
    wait "$AGENT_PID"
    say "THINDESK-RESULT agent-exit=$?"
}

wait_for_stop() {
    while read -r line < /dev/console; do
        case "$line" in *stop*) return 0;; esac
    done
}

case "$SCENARIO" in
display)
    start_agent --capture=fake --fake-script=static --fake-size="$SIZE"
    ;;
uinput)
    evdev-reader > /dev/console 2>&1 &
    READER_PID=$!
    start_agent --capture=fake --fake-script=static --fake-size="$SIZE" --input=uinput
    ;;
usb)
    # The root helper attaches sockets to vhci_hcd; the agent stays its client.
    mkdir -p /run/thindesk
    thindesk-usb-helper --socket=/run/thindesk/usb-helper.sock --allow-group= \
        > /dev/console 2>&1 < /dev/null &
    n=0
    while [ ! -S /run/thindesk/usb-helper.sock ]; do
        n=$((n + 1))
        [ $n -gt 200 ] && fail "the USB helper did not listen"
        usleep 50000
    done
    start_agent --capture=fake --fake-script=static --fake-size="$SIZE" --usb-attach=vhci
    # When the client's CD appears as a block device, hash what it reads.
    (
        n=0
        while [ ! -b /dev/sr0 ]; do
            n=$((n + 1))
            [ $n -gt 2400 ] && exit 0
            usleep 50000
        done
        say "THINDESK-RESULT cd-device=/dev/sr0"
        say "THINDESK-RESULT cd-sha256=$(dd if=/dev/sr0 bs=2048 2>/dev/null | sha256sum | cut -d' ' -f1)"
    ) &
    ;;
*)
    fail "unknown scenario '$SCENARIO'"
    ;;
esac

say "THINDESK-READY $SCENARIO $(cut -d' ' -f1 /proc/uptime)"
wait_for_stop
[ -n "$READER_PID" ] && kill "$READER_PID" 2>/dev/null
stop_agent
power_off 0
