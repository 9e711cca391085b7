"""Helpers for the input tests: an X client that records key and button
events (x-input-tool record), physical key presses by keycode, LED state."""

import os
import queue
import subprocess
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
