"""Shared helpers for thindesk's integration tests: real X servers, the real
agent, real SPICE clients. Standard library only (GI tests import gi
themselves). Every process started here is stopped when its context ends."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("THINDESK_BUILD_DIR", os.path.join(HERE, "..", "..", "build"))
LSAN_SUPP = os.path.join(HERE, "..", "lsan.supp")
AGENT = os.environ.get("THINDESK_AGENT", os.path.join(BUILD, "agent", "thindesk-agent"))


def skip_unless_tools(*tools):
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        raise unittest.SkipTest("missing tools: " + ", ".join(missing))


_ports_given = set()


def free_port():
    # The kernel may hand out the same free port twice in a row: a test that
    # asks for two (plain and TLS) must get two different ones.
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _ports_given:
            _ports_given.add(port)
            return port


def wait_for(predicate, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def start_x_server(argv, timeout):
    """Starts the X server @argv (["Xvfb", options...]) with -displayfd, so it
    picks a free display number itself. Returns (process, ":N"), or
    (process, None) when it named no display within @timeout seconds."""
    import select
    r, w = os.pipe()
    proc = subprocess.Popen([argv[0], "-displayfd", str(w), *argv[1:]], pass_fds=(w,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([r], [], [], left)[0]:
            break
        chunk = os.read(r, 16)
        if not chunk:
            break
        data += chunk
    os.close(r)
    return proc, (":" + data.decode().strip()) if data.strip() else None


class Xvfb:
    """A private Xvfb; `display` is its name (":N")."""

    def __init__(self, width=1280, height=720, depth=24, extra=()):
        self.size = (width, height)
        self.proc, self.display = start_x_server(
            ["Xvfb", "-screen", "0", "%dx%dx%d" % (width, height, depth),
             "-nolisten", "tcp", "-noreset", *extra], 15)
        if not self.display:
            self.stop()
            raise RuntimeError("Xvfb did not start")
        self.env = dict(os.environ, DISPLAY=self.display)
        self.children = []

    def run(self, argv, **kw):
        """Starts an X client on this display; stopped with the server."""
        p = subprocess.Popen(argv, env=self.env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, **kw)
        self.children.append(p)
        return p

    def check(self, argv, **kw):
        return subprocess.run(argv, env=self.env, check=True, capture_output=True, **kw)

    def stop(self):
        for p in getattr(self, "children", []):
            stop_process(p)
        stop_process(self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


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
  HorizSync 5.0 - 1000.0
  VertRefresh 5.0 - 200.0
EndSection
Section "Screen"
  Identifier "screen"
  Device "dummy"
  Monitor "monitor"
  DefaultDepth 24
  SubSection "Display"
    Depth 24
    Virtual 3840 2160
  EndSubSection
EndSection
"""


class Xorg(Xvfb):
    """Xorg with the dummy video driver: RandR can grow the screen and drive
    16 outputs. Starts at width x height on its first output. Raises
    unittest.SkipTest when this machine cannot run it."""

    def __init__(self, width=1024, height=768):
        skip_unless_tools("Xorg", "xrandr")
        if not os.path.exists("/usr/lib/xorg/modules/drivers/dummy_drv.so"):
            raise unittest.SkipTest("the Xorg dummy driver is not installed "
                                    "(xserver-xorg-video-dummy)")
        self.tmp = tempfile.mkdtemp(prefix="thindesk-xorg-")
        conf = os.path.join(self.tmp, "xorg.conf")
        with open(conf, "w") as f:
            f.write(XORG_DUMMY_CONF)
        self.log = os.path.join(self.tmp, "xorg.log")
        self.children = []
        self.proc, self.display = start_x_server(
            ["Xorg", "-noreset", "-nolisten", "tcp", "-config", conf, "-logfile", self.log], 30)
        if not self.display:
            self.stop()
            raise unittest.SkipTest("Xorg with the dummy driver did not start here")
        self.env = dict(os.environ, DISPLAY=self.display)
        self.set_layout([(width, height, 0, 0)])
        self.size = (width, height)

    def set_layout(self, monitors):
        """monitors: [(w, h, x, y)], output i shows monitor i."""
        argv = ["xrandr"]
        fb_w = max(x + w for w, h, x, y in monitors)
        fb_h = max(y + h for w, h, x, y in monitors)
        for i in range(16):
            name = "DUMMY%d" % i
            if i < len(monitors):
                w, h, x, y = monitors[i]
                mode = "%dx%d" % (w, h)
                subprocess.run(["xrandr", "--addmode", name, mode], env=self.env,
                               capture_output=True)
                argv += ["--output", name, "--mode", mode, "--pos", "%dx%d" % (x, y)]
            else:
                argv += ["--output", name, "--off"]
        self.check(argv + ["--fb", "%dx%d" % (fb_w, fb_h)])

    def outputs(self):
        """Active outputs as [(name, w, h, x, y)] and the screen size."""
        import re
        out = self.check(["xrandr"]).stdout.decode()
        screen = re.search(r"current (\d+) x (\d+)", out)
        active = re.findall(r"^(\S+) connected (?:primary )?(\d+)x(\d+)\+(\d+)\+(\d+)",
                            out, re.M)
        return ([(n, int(w), int(h), int(x), int(y)) for n, w, h, x, y in active],
                (int(screen.group(1)), int(screen.group(2))))

    def stop(self):
        super().stop()
        shutil.rmtree(getattr(self, "tmp", ""), ignore_errors=True)


def stop_process(p, timeout=5):
    if p is None or p.poll() is not None:
        return p.returncode if p else None
    p.send_signal(signal.SIGTERM)
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait()


def scrape_metrics(port):
    """The agent's Prometheus text from --metrics=127.0.0.1:PORT, as a dict of
    sample name (with its labels) to value."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        text = r.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


class AgentFiles:
    """What every agent fixture shares: an agent process self.proc writing to
    self.out_path and self.err_path (and, if it has one, serving metrics on
    self.metrics_port)."""

    def wait_serving(self, timeout=30):
        # The banner is printed once the agent is ready for clients.
        wait_for(lambda: self.proc.poll() is not None or "serving" in self.stdout(), timeout,
                 what="agent to start serving")
        if self.proc.poll() is not None:
            raise AssertionError("agent exited with %s:\n%s" % (self.proc.returncode,
                                                                self.stderr()))

    def stdout(self):
        with open(self.out_path) as f:
            return f.read()

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def frames(self):
        """(frames captured, frames sent) so far."""
        m = scrape_metrics(self.metrics_port)
        return m["thindesk_frames_captured_total"], m["thindesk_frames_sent_total"]


class Agent(AgentFiles):
    """thindesk-agent on a free loopback port with a known password."""

    def __init__(self, display=None, args=(), password="s3cret-pw", port=None, env=None,
                 wait=True, stderr=None):
        self.check_exit = True  # set False when a test ends the agent another way
        self.port = port or free_port()
        self.password = password
        self.tmp = tempfile.mkdtemp(prefix="thindesk-test-")
        argv = [AGENT, "--listen=127.0.0.1:%d" % self.port]
        # TLS is on by default (next to the plain port): give it a free port
        # of its own unless the test chose one.
        self.tls_port = None
        if not any(a.startswith("--tls-listen") for a in args):
            self.tls_port = free_port()
            argv.append("--tls-listen=127.0.0.1:%d" % self.tls_port)
        if display:
            argv.append("--display=" + display)
        if password is not None:
            pwfile = os.path.join(self.tmp, "pw")
            with open(pwfile, "w") as f:
                f.write(password + "\n")
            argv.append("--password-file=" + pwfile)
        argv += list(args)
        self.argv = argv
        self.out_path = os.path.join(self.tmp, "stdout")
        self.err_path = os.path.join(self.tmp, "stderr")
        e = dict(os.environ)
        # Its own runtime directory: the .vv file and the control socket.
        e["XDG_RUNTIME_DIR"] = self.tmp
        self.control_path = os.path.join(self.tmp, "thindesk", "control")
        e.setdefault("LSAN_OPTIONS", "suppressions=" + LSAN_SUPP)
        e.setdefault("ASAN_OPTIONS", "fast_unwind_on_malloc=0")
        e["XDG_CONFIG_HOME"] = os.path.join(self.tmp, "config")
        if env:
            e.update(env)
        # The self-signed certificate the agent creates at first start.
        self.tls_dir = os.path.join(e["XDG_CONFIG_HOME"], "thindesk", "tls")
        self.ca_file = os.path.join(self.tls_dir, "ca-cert.pem")
        # @stderr: a file descriptor to use instead of the stderr file.
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=err if stderr is None else stderr,
                                         env=e, stdin=subprocess.DEVNULL)
        if wait:
            self.wait_serving()

    def stop(self):
        code = stop_process(self.proc, timeout=10)
        return code

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        code = self.stop()
        err = self.stderr()
        if exc[0] is not None:
            sys.stderr.write("--- agent stderr ---\n" + err)
        shutil.rmtree(self.tmp, ignore_errors=True)
        if exc[0] is None:
            # Every agent a test starts must stop cleanly: exit 0 on SIGTERM,
            # and no sanitizer report (ASan/UBSan builds run the same tests).
            for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
                if marker in err:
                    raise AssertionError("sanitizer report from the agent:\n" + err)
            if code not in (0, None) and self.proc.returncode is not None and self.check_exit:
                raise AssertionError("agent exited with %s on SIGTERM:\n%s" % (code, err))


def spicy_screenshot(port, password, out, timeout=30):
    """Runs spicy-screenshot; returns (returncode, output)."""
    argv = ["spicy-screenshot", "-h", "127.0.0.1", "-p", str(port), "-o", out]
    if password is not None:
        argv += ["-w", password]
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return (-1, "timeout")
    return (p.returncode, p.stdout + p.stderr)


def grab_root(display, out):
    """The source display's pixels, as ImageMagick sees them."""
    subprocess.run(["import", "-display", display, "-window", "root", out], check=True,
                   capture_output=True)


def compare_ae(a, b):
    """Number of differing pixels between two images (compare -metric AE)."""
    p = subprocess.run(["compare", "-metric", "AE", a, b, "null:"], capture_output=True,
                       text=True)
    text = p.stderr.strip().split()[0] if p.stderr.strip() else "nan"
    try:
        return int(float(text))
    except ValueError:
        raise AssertionError("compare failed: %s" % p.stderr)


def image_size(path):
    p = subprocess.run(["identify", "-format", "%w %h", path], capture_output=True, text=True,
                       check=True)
    w, h = p.stdout.split()
    return int(w), int(h)


def main():
    """unittest.main with CTest's convention: every skipped test says
    SKIP: reason on a line of its own; exit 77 (CTest: skipped) when nothing
    ran, 1 on failure, 0 when something ran and passed."""
    prog = unittest.main(verbosity=2, exit=False)
    r = prog.result
    for test, reason in r.skipped:
        print("SKIP: %s: %s" % (test.id(), reason), flush=True)
    if not r.wasSuccessful():
        sys.exit(1)
    if r.testsRun and len(r.skipped) == r.testsRun:
        sys.exit(77)
    sys.exit(0)


def read_ppm(path):
    """Returns (width, height, rows) of any image, as 8-bit RGB rows (bytes)."""
    p = subprocess.run(["convert", path, "-depth", "8", "ppm:-"], capture_output=True,
                       check=True)
    data = p.stdout
    # P6\nW H\n255\n (ImageMagick writes no comments)
    parts = data.split(b"\n", 3)
    w, h = map(int, parts[1].split())
    pix = parts[3]
    return w, h, [pix[y * w * 3:(y + 1) * w * 3] for y in range(h)]


def find_subimage(big_path, small_path):
    """Where the whole of small_path appears exactly inside big_path: (x, y),
    or None. Searches by the small image's most varied row."""
    bw, bh, big = read_ppm(big_path)
    sw, sh, small = read_ppm(small_path)
    key = max(range(sh), key=lambda r: len(set(small[r][i:i + 3] for i in range(0, sw * 3, 3))))
    for by in range(bh):
        start = 0
        while True:
            i = big[by].find(small[key], start)
            if i < 0:
                break
            start = i + 1
            if i % 3:
                continue
            x, y = i // 3, by - key
            if y < 0 or y + sh > bh:
                continue
            if all(big[y + r][x * 3:(x + sw) * 3] == small[r] for r in range(sh)):
                return (x, y)
    return None


def client_rgb(client):
    """A spice-gtk client's frame (its BGRx primary surface) as (width, height,
    RGB bytes), or None before it has one."""
    prim = client.primary()
    if not prim:
        return None
    w, h, stride, data = prim
    rgb = bytearray(w * h * 3)
    for y in range(h):
        row = data[y * stride:y * stride + w * 4]
        o = y * w * 3
        rgb[o:o + w * 3:3] = row[2::4]
        rgb[o + 1:o + w * 3:3] = row[1::4]
        rgb[o + 2:o + w * 3:3] = row[0::4]
    return w, h, bytes(rgb)
