"""Helpers for the browser tier: Debian's chromium driven by playwright-core
(driver.js, npm dependencies from npm-setup.sh), and pixel comparisons of the
page's canvas with the X root. Every process started here is stopped when its
context ends."""

import json
import math
import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import tdtest  # noqa: E402

CHROMIUM = os.environ.get("THINDESK_CHROMIUM", "/usr/bin/chromium")


def node_modules():
    """The cached node_modules with playwright-core (npm ci on first use)."""
    p = subprocess.run([os.path.join(HERE, "npm-setup.sh")], capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError("npm ci for the browser tests failed:\n" + p.stderr)
    return p.stdout.strip()


def skip_unless_browser():
    tdtest.skip_unless_tools("node", "npm", "Xvfb", "import", "curl")
    if not os.access(CHROMIUM, os.X_OK):
        raise unittest.SkipTest("no chromium at " + CHROMIUM)


class Browser:
    """One headless chromium; pages by name, each in its own context."""

    def __init__(self, args=(), env=None):
        """@args: more chromium switches; @env: changes to its environment."""
        env = dict(os.environ, NODE_PATH=node_modules(), **(env or {}),
                   THINDESK_CHROMIUM_ARGS=json.dumps(list(args)))
        self.proc = subprocess.Popen(["node", os.path.join(HERE, "driver.js")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env=env)
        hello = self.proc.stdout.readline()
        if not hello:
            raise AssertionError("the chromium driver did not start")
        self.version = json.loads(hello).get("version")

    def cmd(self, **c):
        self.proc.stdin.write(json.dumps(c) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("the chromium driver died during %s" % c.get("cmd"))
        r = json.loads(line)
        if not r.get("ok"):
            raise AssertionError("%s failed: %s" % (c.get("cmd"), r.get("error")))
        return r

    def open(self, page, url, init=None, viewport=None):
        """@init: JS run before the page's own scripts and in its workers."""
        c = {"cmd": "open", "page": page, "url": url}
        if init:
            c["init"] = init
        if viewport:
            c["viewport"] = {"width": viewport[0], "height": viewport[1]}
        return self.cmd(**c)

    def weval(self, page, expr):
        """The value of @expr in the page's first worker."""
        return self.cmd(cmd="weval", page=page, expr=expr)["value"]

    def wait(self, page, expr, timeout=10.0):
        return self.cmd(cmd="wait", page=page, expr=expr, timeout=int(timeout * 1000))

    def eval(self, page, expr):
        return self.cmd(cmd="eval", page=page, expr=expr).get("value")  # undefined: None

    def wait_open(self, page, timeout=10.0):
        self.wait(page, "window.thindesk && window.thindesk.state === 'open'", timeout)

    def snapshot(self, page, path):
        """Writes the canvas as raw RGBA to @path; returns the reply."""
        return self.cmd(cmd="snapshot", page=page, file=path)

    def log(self, page):
        return self.cmd(cmd="log", page=page)["log"]

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        tdtest.stop_process(self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def login_url(agent):
    """The one-time link the agent's banner printed."""
    m = re.search(r"browser: open (https://\S+)", agent.stdout())
    if not m:
        raise AssertionError("no browser link in the banner:\n" + agent.stdout())
    return m.group(1)


def ctl_web_url(agent, seconds=None):
    argv = [tdtest.AGENT, "ctl", "--control-socket=" + agent.control_path, "web-url"]
    if seconds:
        argv.append(str(seconds))
    p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    if p.returncode != 0 or not p.stdout.startswith("https://"):
        raise AssertionError("ctl web-url failed: %s %s" % (p.stdout, p.stderr))
    return p.stdout.strip()


def root_rgb(display, path):
    """The X root as raw RGB, 8 bits a channel."""
    subprocess.run(["import", "-display", display, "-window", "root", "-depth", "8",
                    "rgb:" + path], check=True, capture_output=True)
    with open(path, "rb") as f:
        return f.read()


def canvas_rgb(path):
    with open(path, "rb") as f:
        rgba = f.read()
    out = bytearray(len(rgba) // 4 * 3)
    out[0::3] = rgba[0::4]
    out[1::3] = rgba[1::4]
    out[2::3] = rgba[2::4]
    return bytes(out)


def differing_pixels(a, b):
    if len(a) != len(b):
        raise AssertionError("sizes differ: %d and %d bytes" % (len(a), len(b)))
    return sum(1 for i in range(0, len(a), 3) if a[i:i + 3] != b[i:i + 3])


def psnr(a, b):
    if len(a) != len(b):
        raise AssertionError("sizes differ: %d and %d bytes" % (len(a), len(b)))
    se = sum((x - y) * (x - y) for x, y in zip(a, b))
    if se == 0:
        return math.inf
    return 10 * math.log10(255 * 255 * len(a) / se)
