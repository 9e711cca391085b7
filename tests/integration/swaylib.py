"""Fixtures for the Wayland tier: headless sway (pixman renderer) as an
unprivileged test user with its own XDG_RUNTIME_DIR, the agent inside that
session, and helpers to read grim's frames and the agent's metrics."""

import glob
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import tdtest

USER = "thindesk-test"
WIDTH, HEIGHT = 1280, 720


def ensure_user():
    """Returns (uid, gid) to run sway as, creating the test user as root."""
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    try:
        pw = pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                        "/usr/sbin/nologin", USER], check=True, capture_output=True)
        pw = pwd.getpwnam(USER)
    return pw.pw_uid, pw.pw_gid


def read_ppm_rgb(path):
    """(width, height, RGB bytes) of a binary PPM as grim writes it."""
    with open(path, "rb") as f:
        data = f.read()
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    if not m:
        raise AssertionError("%s is not a binary PPM" % path)
    return int(m.group(1)), int(m.group(2)), data[m.end():]


client_rgb = tdtest.client_rgb


scrape = tdtest.scrape_metrics


class Sway:
    """Headless sway with a known background, as the test user."""

    def __init__(self):
        self.uid, self.gid = ensure_user()
        self.tmp = tempfile.mkdtemp(prefix="thindesk-sway-")
        os.chmod(self.tmp, 0o755)
        self.runtime = os.path.join(self.tmp, "runtime")
        os.mkdir(self.runtime, 0o700)
        self.bg = [os.path.join(self.tmp, "bg%d.png" % i) for i in (1, 2)]
        # Pictures with edges and gradients: any misplaced row or swapped
        # channel shows as a difference.
        subprocess.run(["convert", "-size", "%dx%d" % (WIDTH, HEIGHT), "gradient:red-blue",
                        "-fill", "yellow", "-draw", "rectangle 100,100 300,200",
                        "-fill", "#00ff80", "-draw", "circle 900,500 1000,600", self.bg[0]],
                       check=True)
        subprocess.run(["convert", "-size", "%dx%d" % (WIDTH, HEIGHT), "gradient:#204060-#f0e0a0",
                        "-fill", "magenta", "-draw", "rectangle 640,0 700,719", self.bg[1]],
                       check=True)
        self.config = os.path.join(self.tmp, "sway.conf")
        with open(self.config, "w") as f:
            f.write("xwayland disable\n"
                    "default_border none\n"
                    "output HEADLESS-1 mode %dx%d bg %s fill\n" % (WIDTH, HEIGHT, self.bg[0]))
        for root, dirs, files in os.walk(self.tmp):
            for name in [root] + [os.path.join(root, n) for n in files]:
                os.chown(name, self.uid, self.gid)
        env = self.env()
        env.update({"WLR_BACKENDS": "headless", "WLR_RENDERER": "pixman",
                    "WLR_LIBINPUT_NO_DEVICES": "1"})
        env.pop("WAYLAND_DISPLAY")
        self.log = open(os.path.join(self.tmp, "sway.log"), "w")
        # Its own process group: sway and the swaybg it starts end together.
        self.proc = subprocess.Popen(self.prefix() + ["sway", "-c", self.config], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     cwd=self.tmp)
        try:
            self.display = tdtest.wait_for(self._socket, 15, what="sway's Wayland socket")
            # The background is drawn once swaybg is up: wait for two equal
            # reference frames that are not sway's plain grey.
            self.reference(self.bg[0])
        except BaseException:
            self.close()  # no caller holds us yet to do it
            raise

    def _socket(self):
        if self.proc.poll() is not None:
            raise AssertionError("sway exited with %s:\n%s" % (self.proc.returncode,
                                                              open(self.log.name).read()))
        for path in glob.glob(os.path.join(self.runtime, "wayland-*")):
            if not path.endswith(".lock"):
                # The file appears at bind(), a moment before listen():
                # ready only once a client can connect (else grim fails
                # with "failed to create display").
                import socket
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                    try:
                        sock.connect(path)
                    except OSError:
                        return None
                return os.path.basename(path)
        return None

    def prefix(self):
        if os.geteuid() != 0:
            return []
        return ["setpriv", "--reuid=%d" % self.uid, "--regid=%d" % self.gid, "--clear-groups"]

    def env(self):
        env = {"PATH": "/usr/bin:/bin", "HOME": self.tmp, "XDG_RUNTIME_DIR": self.runtime,
               "XDG_CONFIG_HOME": os.path.join(self.tmp, "config"), "LANG": "C.UTF-8"}
        for key in ("LSAN_OPTIONS", "ASAN_OPTIONS", "UBSAN_OPTIONS"):
            if key in os.environ:
                env[key] = os.environ[key]
        env["WAYLAND_DISPLAY"] = getattr(self, "display", None) or ""
        return env

    def run(self, argv, **kw):
        return subprocess.run(self.prefix() + argv, env=self.env(), capture_output=True,
                              text=True, cwd=self.tmp, **kw)

    def grim(self, name, cursor=True):
        """grim's frame, by default with the cursor drawn in as the agent
        serves it."""
        path = os.path.join(self.tmp, name)
        p = self.run(["grim"] + (["-c"] if cursor else []) + ["-t", "ppm", path])
        if p.returncode != 0:
            raise AssertionError("grim failed: %s" % p.stderr)
        return path

    def reference(self, background, timeout=10):
        """grim's frame once the screen shows @background and stands still."""
        want = os.path.basename(background)
        deadline = time.monotonic() + timeout
        last = None
        n = 0
        while time.monotonic() < deadline:
            n += 1
            path = self.grim("ref-%s-%d.ppm" % (want, n))
            pixels = read_ppm_rgb(path)[2]
            grey = len(set(pixels[i:i + 3] for i in range(0, len(pixels), 3 * 997))) <= 1
            if last is not None and pixels == last[1] and not grey:
                return path
            last = (path, pixels)
            time.sleep(0.15)
        raise AssertionError("sway's screen did not settle on %s" % want)

    def swaymsg(self, *args):
        sockets = glob.glob(os.path.join(self.runtime, "sway-ipc.*.sock"))
        p = self.run(["swaymsg", "-s", sockets[0]] + list(args))
        if p.returncode != 0:
            raise AssertionError("swaymsg %s failed: %s%s" % (args, p.stdout, p.stderr))
        return p.stdout

    def output_sizes(self):
        """{name: (width, height)} of the active outputs, from swaymsg -t get_outputs."""
        outputs = json.loads(self.swaymsg("-r", "-t", "get_outputs"))
        return {o["name"]: (o["current_mode"]["width"], o["current_mode"]["height"])
                for o in outputs if o.get("active")}

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def group_alive(self):
        """Processes still in sway's process group (sway, swaybg)."""
        p = subprocess.run(["pgrep", "-g", str(self.proc.pid)], capture_output=True, text=True)
        return p.stdout.split()

    def close(self):
        self.kill()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class WlrAgent(tdtest.AgentFiles):
    """thindesk-agent inside the sway session: WAYLAND_DISPLAY, no DISPLAY."""

    def __init__(self, sway, args=(), env=None):
        self.port = tdtest.free_port()
        self.metrics_port = tdtest.free_port()
        self.password = "s3cret-pw"
        pwfile = os.path.join(sway.tmp, "pw")
        with open(pwfile, "w") as f:
            f.write(self.password + "\n")
        os.chown(pwfile, sway.uid, sway.gid)
        argv = sway.prefix() + [tdtest.AGENT, "--listen=127.0.0.1:%d" % self.port,
                                "--tls-listen=off", "--password-file=" + pwfile, "--audio=off",
                                "--metrics=127.0.0.1:%d" % self.metrics_port] + list(args)
        self.out_path = os.path.join(sway.tmp, "agent.out")
        self.err_path = os.path.join(sway.tmp, "agent.err")
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen(argv, env=dict(sway.env(), **(env or {})),
                                         stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL, cwd=sway.tmp)
        self.wait_serving(30)

    def stop(self):
        return tdtest.stop_process(self.proc, timeout=10)


class SwayCase(unittest.TestCase):
    """A test with its own headless sway; the agent, if a test starts one
    as self.agent, is stopped and checked for sanitizer reports."""

    TOOLS = ()

    def setUp(self):
        tdtest.skip_unless_tools("sway", "swaybg", "grim", "swaymsg", "convert", "compare",
                                 "spicy-screenshot", "pgrep", *self.TOOLS)
        if os.geteuid() == 0:
            tdtest.skip_unless_tools("setpriv", "useradd")
        self.sway = Sway()
        self.addCleanup(self.cleanup)
        self.agent = None

    def cleanup(self):
        err = ""
        if self.agent:
            self.agent.stop()
            err = self.agent.stderr()
        self.sway.close()
        # Killed children take a moment to be reaped.
        try:
            tdtest.wait_for(lambda: not self.sway.group_alive(), 10,
                            what="sway and swaybg to be gone")
        except AssertionError:
            self.fail("left behind: %s" % self.sway.group_alive())
        if self.agent:
            self.assertIsNotNone(self.agent.proc.poll(), "the agent was left running")
            for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
                self.assertNotIn(marker, err, "sanitizer report from the agent")
