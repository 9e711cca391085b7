"""Helpers for the input tests: an X client that records key and button
events (x-input-tool record), physical key presses by keycode, LED state."""

import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time

import tdtest

TOOL = os.path.join(tdtest.BUILD, "tests", "integration", "x-input-tool")


class Recorder:
    """x-input-tool record on an X display: a focused window that logs every
    KeyPress/KeyRelease/ButtonPress/ButtonRelease it receives."""

    def __init__(self, x, geometry=None):
        argv = [TOOL, "record"] + ([str(v) for v in geometry] if geometry else [])
        self.proc = subprocess.Popen(argv, env=x.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        x.children.append(self.proc)
        self.lines = queue.Queue()
        self.events = []
        threading.Thread(target=self._read, daemon=True).start()
        first = self.lines.get(timeout=20)
        if first != "ready":
            raise AssertionError("recorder did not start: %r" % first)

    def _read(self):
        with self.proc.stdout:
            for line in self.proc.stdout:
                self.lines.put(line.strip())

    def _drain(self):
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return
            self.events.append(tuple(line.split()))

    def wait_count(self, n, timeout=30, client=None):
        """Waits for @n events; keeps @client's GLib loop running meanwhile."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._drain()
            if len(self.events) >= n:
                return self.events
            if client:
                client.iterate(0.02)
            else:
                time.sleep(0.02)
        self._drain()
        return self.events

    def take(self):
        self._drain()
        ev, self.events = self.events, []
        return ev


def keys(x, *args):
    """Presses physical keys by X keycode: keys(x, "tap", 38, "press", 50)."""
    subprocess.run([TOOL, "keys"] + [str(a) for a in args], env=x.env, check=True, timeout=30)


def led_mask(x):
    p = subprocess.run([TOOL, "leds"], env=x.env, check=True, capture_output=True, text=True)
    return int(p.stdout.strip())


def mouse_location(x):
    p = subprocess.run(["xdotool", "getmouselocation", "--shell"], env=x.env, check=True,
                       capture_output=True, text=True)
    vals = dict(line.split("=", 1) for line in p.stdout.split())
    return int(vals["X"]), int(vals["Y"])


XORG_DUMMY_CONF = """\
Section "ServerFlags"
  Option "AutoAddDevices" "false"
  Option "AutoEnableDevices" "false"
  Option "DontVTSwitch" "true"
EndSection
Section "Device"
  Identifier "dummy"
  Driver "dummy"
  VideoRam 256000
EndSection
Section "Monitor"
  Identifier "monitor"
  HorizSync 5.0-1000.0
  VertRefresh 5.0-200.0
EndSection
Section "Screen"
  Identifier "screen"
  Device "dummy"
  Monitor "monitor"
  DefaultDepth 24
  SubSection "Display"
    Depth 24
    Virtual %d %d
  EndSubSection
EndSection
"""


def xorg_dummy_available():
    return (os.path.exists("/usr/lib/xorg/modules/drivers/dummy_drv.so")
            and shutil.which("Xorg") is not None)


class XorgDummy(tdtest.Xvfb):
    """Xorg with the dummy video driver: unlike Xvfb it honours setxkbmap.
    A free display number is chosen by the server (-displayfd)."""

    def __init__(self, width=1280, height=800):
        self.size = (width, height)
        self.tmp = tempfile.mkdtemp(prefix="thindesk-xorg-")
        conf = os.path.join(self.tmp, "xorg.conf")
        with open(conf, "w") as f:
            f.write(XORG_DUMMY_CONF % (width, height))
        self.log = os.path.join(self.tmp, "xorg.log")
        self.children = []
        self.proc, self.display = tdtest.start_x_server(
            ["Xorg", "-noreset", "-nolisten", "tcp", "-config", conf, "-logfile", self.log], 30)
        if not self.display:
            self.stop()
            raise RuntimeError("Xorg (dummy) did not start; see " + self.log)
        self.env = dict(os.environ, DISPLAY=self.display)

    def stop(self):
        super().stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
