#!/usr/bin/env bash
# Installs every Debian package thindesk needs to build, run and test.
# Usage: tests/install-deps.sh [build|run|test]   (default: test = everything)
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake pkg-config
  libglib2.0-dev libspice-server-dev libspice-protocol-dev
  libpixman-1-dev
  libxcb1-dev libxcb-shm0-dev libxcb-damage0-dev libxcb-xfixes0-dev
  libxcb-xtest0-dev libxcb-randr0-dev
  # video: display/jpeg-encoder.c
  libturbojpeg0-dev
  # client/: the thindesk endpoint client (spice-gtk display widget, audio, USB)
  libspice-client-gtk-3.0-dev libssl-dev
  # client/gst-check.c: which GStreamer elements spice-gtk's audio can have
  libgstreamer1.0-dev
  # packaging: journal logging, control socket, .deb dependencies (dpkg-shlibdeps)
  libsystemd-dev libjson-glib-dev dpkg-dev file
  libgdk-pixbuf-2.0-dev  # agent channel: clipboard images other than PNG
  # display/capture-wlr.c: libwayland-client and wayland-scanner (libwayland-bin)
  libwayland-dev
  # input/injector-wlr.c: the session's XKB keymap and its state
  libxkbcommon-dev xkb-data
  # display/capture-mutter.c: GNOME's screen cast is a PipeWire stream
  libpipewire-0.3-dev
  # input: uinput injector, X LED state through XKB
  libevdev-dev libxcb-xkb-dev
  # security: TLS key and self-signed certificate (OpenSSL's libcrypto)
  libssl-dev
  # audio: agent/pulse-*.c talk to PulseAudio or PipeWire's pulse server
  libpulse-dev
  # usb: the usbredir guest side (usb/)
  libusbredirparser-dev
  # browser client (agent/web/): libsoup 3's HTTPS server, zlib for PNG tiles
  libsoup-3.0-dev zlib1g-dev
)
RUN_PKGS=(
  # --virtual-desktop: Xvfb, a window manager (windows to move, a menu with a
  # terminal), an xterm
  xvfb openbox xterm x11-utils
  # client: spice-gtk's GStreamer audio (playback: appsrc, audioconvert,
  # audioresample, volume from -base, autoaudiosink from -good; record:
  # autoaudiosrc, appsink) and the video decoders it advertises (VP8 from
  # -good, H.264 from -libav; MJPEG is built in). With --no-install-recommends
  # none of these come with spice-client-gtk.
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-libav
  # browser client: GIO's TLS backend, which libsoup's HTTPS server needs
  glib-networking
)
TEST_PKGS=(
  spice-client-gtk virt-viewer xdotool x11-xserver-utils imagemagick
  python3 python3-gi gir1.2-spiceclientglib-2.0 gir1.2-glib-2.0
  procps psmisc iproute2
  # packaging: systemd-analyze verify, man -l, lintian, dpkg -i of the .deb
  systemd man-db groff-base lintian desktop-file-utils strace
  # video: tjbench reference, libFuzzer for the stream parser
  libjpeg-turbo-progs clang
  # guest tier (tests/guest): QEMU, a static busybox for the initramfs, kmod
  # (depmod/modprobe on the kernel package's modules, fetched at test time)
  qemu-system-x86 busybox-static kmod
  # input: layout tests need an X server that honours setxkbmap
  xserver-xorg-core xserver-xorg-video-dummy
  # wayland tests: headless sway (pixman), its background, grim's reference frames;
  # wev logs the keysyms and pointer events a Wayland client receives;
  # wl-copy/wl-paste are the clipboard's other end
  sway swaybg grim wev wl-clipboard
  # security: openssl s_client/x509 check TLS versions, ciphers, fingerprints;
  # python3-cryptography encrypts the ticket of raw SPICE link handshakes
  openssl python3-cryptography
  # audio: a real sound server, paplay/parec/pactl
  pulseaudio pulseaudio-utils
  # audio: the same tests against PipeWire's pulse server (WirePlumber needs
  # a D-Bus session bus, which the test starts)
  pipewire pipewire-pulse wireplumber dbus-daemon
  # GNOME on Wayland (display/capture-mutter.c, input/injector-mutter.c):
  # headless mutter, and a GTK 3 client (cairo through GI) drawing a pattern
  mutter python3-gi-cairo gir1.2-gtk-3.0
  # usb: libFuzzer targets (tests/fuzz), the ISO shared as an emulated CD
  clang genisoimage
  # agent channel: fuzz targets (libFuzzer), clipboard peers
  clang xclip xsel
  # packaging: a fresh minbase root from Debian's archive, into which
  # tests/packaging/test_freshroot.py installs the .deb
  mmdebstrap
  # --system: the seat follower's unit test runs python3-dbusmock's logind
  # template on a private bus; the `dm` test runs Debian's LightDM with
  # lightdm-gtk-greeter on Xvfb and compares with xwd (x11-apps)
  python3-dbusmock dbus-daemon lightdm lightdm-gtk-greeter x11-apps
  # web tier (tests/web): Debian's chromium driven headless by npm
  # playwright-core (node 20 and npm come with the CI image: Debian's nodejs
  # is 18, too old for playwright-core, and its npm conflicts), curl for the
  # HTTP security checks
  chromium curl
)

what=${1:-test}
pkgs=("${BUILD_PKGS[@]}" "${RUN_PKGS[@]}")
[ "$what" = test ] && pkgs+=("${TEST_PKGS[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
