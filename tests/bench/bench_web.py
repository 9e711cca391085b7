#!/usr/bin/python3
"""web: the thindesk browser client against the stock browser clients, in
one run, on one 1280x720 Xvfb, each in Debian's chromium (playwright-core):
  - noVNC (Debian novnc 1.3.0 through websockify 0.10) on x11vnc;
  - spice-html5 (Debian 0.3.0) on the agent's SPICE port (spice-server's own
    WebSocket support on the plain port, image-compression=lz4 as the README
    says; spice-server sends spice-html5 LZ, it announces no LZ4);
  - thindesk's web client on the agent's --web-listen port.
The same probe (web-probe.js) runs in every page and worker: it reads the
marker pixels after each draw call onto the visible canvas. Workloads are
x-workload's (tests/bench/x-workload.c):
  latency  key: the page dispatches a key press (playwright's keyboard), the
           workload flips a 64x64 block on KeyPress; key-to-pixel = the first
           draw that shows the flip minus the page's keydown time.
  fps      marker at 60 fps: distinct workload frames drawn in the page a second.
  drag     drag at 30 fps: server-to-page bytes (TCP, `ss` on the server's
           port, WebSocket framing and TLS included) per drag step, up to 1.5 s
           after the drag (lossless refresh included).
  idle     key (a still screen), a connected page: server process CPU, 10 s.
Targets for thindesk on loopback: key-to-pixel p50 <= 30 ms, p95 <= 60 ms.
A reference that cannot be driven prints why instead of a number."""

import functools
import http.server
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
import webtest  # noqa: E402
from webtest import tdtest  # noqa: E402
import benchlib  # noqa: E402

W, H = 1280, 720
HERE = os.path.dirname(os.path.abspath(__file__))
X_WORKLOAD = os.path.join(tdtest.BUILD, "tests", "bench", "x-workload")
PROBE = open(os.path.join(HERE, "web-probe.js")).read()
NOVNC = "/usr/share/novnc"
SPICE_HTML5 = "/usr/share/spice-html5"
PRESSES = int(os.environ.get("THINDESK_BENCH_PRESSES", "40"))
IDLE_S = 10.0
FPS_S = 12.0
DRAG_S = 10.0


def percentile(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def tcp_bytes_sent(port):
    """Bytes the sockets bound to local @port have sent (all connections)."""
    out = subprocess.run(["ss", "-tinH", "state", "established", "( sport = :%d )" % port],
                         capture_output=True, text=True, check=True).stdout
    sent = re.findall(r"bytes_sent:(\d+)", out) or re.findall(r"bytes_acked:(\d+)", out)
    return sum(int(v) for v in sent)


class StaticServer:
    """A plain HTTP server for a directory (spice-html5's files), in a thread."""

    def __init__(self, root):
        handler = functools.partial(Quiet, directory=root)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


class Client:
    """One web client under test: its server side, its page, its probe."""

    name = ""
    in_worker = False

    def __init__(self, x, browser):
        self.x, self.b, self.page = x, browser, self.name
        self.procs = []
        self.cleanups = []

    def probe(self, expr):
        if self.in_worker:
            return self.b.weval(self.page, expr)
        return self.b.eval(self.page, expr)

    def keys(self):
        return self.b.eval(self.page, "__probe.keys")

    def reset(self):
        self.b.eval(self.page, "__probe.keys = []; __probe.marks = []; 0")
        if self.in_worker:
            self.b.weval(self.page, "__probe.marks = []; 0")

    def marks(self):
        return self.probe("__probe.marks")

    def stop(self):
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as e:  # keep stopping the rest
                print("  cleanup: %s" % e, file=sys.stderr)


class Thindesk(Client):
    name = "thindesk"
    in_worker = True

    def start(self):
        self.web_port = tdtest.free_port()
        self.agent = tdtest.Agent(display=self.x.display, args=[
            "--web-listen=127.0.0.1:%d" % self.web_port, "--audio=off", "--usb-channels=0",
            "--resize=false"])
        self.cleanups.append(lambda: self.agent.__exit__(None, None, None))
        self.server_pid, self.port = self.agent.proc.pid, self.web_port
        self.b.open(self.page, webtest.login_url(self.agent), init=PROBE, viewport=(W + 40, H + 80))
        self.cleanups.append(lambda: self.b.cmd(cmd="close", page=self.page))
        self.b.wait_open(self.page, 20)
        tdtest.wait_for(lambda: self.b.weval(self.page, "typeof __probe") == "object", 10,
                        what="the probe in the worker")

    def counters(self):
        return self.b.eval(self.page, "window.thindesk.counters()")


class NoVNC(Client):
    name = "noVNC"

    def start(self):
        vnc_port, self.port = tdtest.free_port(), tdtest.free_port()
        vnc = subprocess.Popen(["x11vnc", "-display", self.x.display, "-rfbport", str(vnc_port),
                                "-localhost", "-nopw", "-forever", "-shared", "-quiet"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.cleanups.append(lambda: tdtest.stop_process(vnc))
        tdtest.wait_for(lambda: tdtest.port_open(vnc_port), 20, what="x11vnc")
        ws = subprocess.Popen(["websockify", "--web", NOVNC, "127.0.0.1:%d" % self.port,
                               "127.0.0.1:%d" % vnc_port],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
        self.cleanups.append(lambda: stop_group(ws))
        tdtest.wait_for(lambda: tdtest.port_open(self.port), 20, what="websockify")
        self.server_pid, self.proxy_pid = vnc.pid, ws.pid
        self.b.open(self.page, "http://127.0.0.1:%d/vnc_lite.html?host=127.0.0.1&port=%d"
                    % (self.port, self.port), init=PROBE, viewport=(W + 40, H + 80))
        self.cleanups.append(lambda: self.b.cmd(cmd="close", page=self.page))
        self.b.wait(self.page, "[...document.querySelectorAll('canvas')].some("
                    "(c) => c.width === %d && c.height === %d)" % (W, H), 20)


class SpiceHtml5(Client):
    name = "spice-html5"

    def start(self):
        self.agent = tdtest.Agent(display=self.x.display, args=[
            "--image-compression=lz4", "--audio=off", "--usb-channels=0", "--resize=false"])
        self.cleanups.append(lambda: self.agent.__exit__(None, None, None))
        self.server_pid, self.port = self.agent.proc.pid, self.agent.port
        web = StaticServer(SPICE_HTML5)
        self.cleanups.append(web.stop)
        self.b.open(self.page, "http://127.0.0.1:%d/spice_auto.html?host=127.0.0.1&port=%d"
                    "&password=%s" % (web.port, self.agent.port, self.agent.password),
                    init=PROBE, viewport=(W + 40, H + 80))
        self.cleanups.append(lambda: self.b.cmd(cmd="close", page=self.page))
        self.b.wait(self.page, "[...document.querySelectorAll('canvas')].some("
                    "(c) => c.width === %d && c.height === %d)" % (W, H), 20)

    def bitmap_errors(self):
        return sum("Unable to interpret bitmap" in l for l in self.b.log(self.page))


def stop_group(p):
    """Stops @p and the children it forked (websockify forks one a connection,
    and those ignore SIGTERM)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            break
        try:
            p.wait(3)
        except subprocess.TimeoutExpired:
            pass
        time.sleep(0.3)
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def workload(x, *args):
    return subprocess.Popen([X_WORKLOAD, *map(str, args)], env=x.env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)


def finish(p):
    out, _ = p.communicate(timeout=60)
    return out


def is_white(mark):
    return mark[1] > 128


def measure_latency(c):
    """Key-to-pixel latencies (ms) of PRESSES key presses, and the misses."""
    c.b.cmd(cmd="call", page=c.page, target="mouse", method="click", args=[W // 2, H // 2])
    time.sleep(0.5)
    c.reset()
    for _ in range(PRESSES):
        c.b.cmd(cmd="call", page=c.page, target="keyboard", method="press", args=["a"])
        time.sleep(0.2)
    time.sleep(0.5)
    keys, marks = c.keys(), c.marks()
    lat, missed = [], 0
    state = None
    transitions = []
    for m in marks:
        if is_white(m) != state:
            state = is_white(m)
            transitions.append(m[0])
    for i, t0 in enumerate(keys):
        t_next = keys[i + 1] if i + 1 < len(keys) else float("inf")
        hit = [t for t in transitions if t0 < t < t_next]
        if hit:
            lat.append(hit[0] - t0)
        else:
            missed += 1
    return lat, missed, len(keys)


def frame_number(m):
    d = [min(15, max(0, int(round((v - 8) / 16.0)))) for v in m[1:]]
    return d[0] + 16 * d[1]


def measure_fps(c):
    c.reset()
    p = workload(c.x, "marker", 60, FPS_S)
    out = finish(p)
    drawn = int(out.strip().splitlines()[-1]) / FPS_S
    marks = c.marks()
    if len(marks) < 2:
        return 0.0, drawn
    t_start, t_end = marks[0][0] + 1000, marks[-1][0]
    shown, last = 0, None
    for m in marks:
        n = frame_number(m)
        if n != last and t_start <= m[0] <= t_end:
            shown += 1
        last = n
    return shown / max(1e-3, (t_end - t_start) / 1000.0), drawn


def measure_drag(c):
    """Bytes per drag step, the steps, and (thindesk) the client's counters."""
    counters = getattr(c, "counters", lambda: None)
    c0 = counters()
    before = tcp_bytes_sent(c.port)
    p = workload(c.x, "drag", 30, DRAG_S)
    steps = int(finish(p).strip().splitlines()[-1])
    time.sleep(1.5)
    sent = tcp_bytes_sent(c.port) - before
    c1 = counters()
    detail = None
    if c0 and c1:
        detail = {k: c1[k] - c0[k] for k in ("frames", "copies", "png", "jpeg", "deflate")}
    return sent / max(1, steps), steps, detail


def measure_idle(c):
    pids = [c.server_pid] + ([c.proxy_pid] if hasattr(c, "proxy_pid") else [])
    before = [benchlib.cpu_seconds(p) for p in pids]
    t0 = time.monotonic()
    time.sleep(IDLE_S)
    dt = time.monotonic() - t0
    return [100.0 * (benchlib.cpu_seconds(p) - b) / dt for p, b in zip(pids, before)]


def run_client(cls, x, b):
    c = cls(x, b)
    r = {}
    try:
        keyw = workload(x, "key", 0, 600)
        c.cleanups.append(lambda: tdtest.stop_process(keyw))
        time.sleep(0.5)
        try:
            c.start()
        except Exception as e:
            return {"error": "could not connect: %s" % str(e).splitlines()[0]}
        time.sleep(3)
        cpu = measure_idle(c)
        r["idle_cpu"] = cpu[0]
        if len(cpu) > 1:
            r["proxy_cpu"] = cpu[1]
        lat, missed, sent = measure_latency(c)
        r["lat"], r["missed"], r["presses"] = lat, missed, sent
        tdtest.stop_process(keyw)
        r["fps"], r["drawn_fps"] = measure_fps(c)
        r["drag_bytes"], r["drag_steps"], r["drag_detail"] = measure_drag(c)
        if isinstance(c, SpiceHtml5):
            r["bitmap_errors"] = c.bitmap_errors()
        return r
    finally:
        c.stop()


def fmt_lat(r):
    if not r.get("lat"):
        return "no key reached the page's canvas (%d of %d presses missed)" % (
            r.get("missed", 0), r.get("presses", 0))
    return "p50 %.1f ms  p95 %.1f ms  (n=%d, missed %d; slowest %s)" % (
        percentile(r["lat"], 50), percentile(r["lat"], 95), len(r["lat"]), r["missed"],
        " ".join("%.0f" % v for v in sorted(r["lat"])[-4:]))


def ratio(a, b):
    return "%.2fx" % (a / b) if a is not None and b else "n/a"


def main():
    webtest.skip_unless_browser()
    tdtest.skip_unless_tools("x11vnc", "websockify", "ss")
    for d in (NOVNC, SPICE_HTML5):
        if not os.path.isdir(d):
            print("SKIP: %s is not installed" % d)
            return 77
    x = tdtest.Xvfb(W, H)
    results = {}
    try:
        with webtest.Browser() as b:
            print("chromium %s, Xvfb %dx%d, %d key presses a client" % (b.version, W, H, PRESSES),
                  flush=True)
            for cls in (Thindesk, NoVNC, SpiceHtml5):
                print("-- %s" % cls.name, flush=True)
                try:
                    r = run_client(cls, x, b)
                except Exception as e:
                    r = {"error": "%s: %s" % (type(e).__name__, str(e).splitlines()[0])}
                results[cls.name] = r
                if "error" in r:
                    print("  cannot be driven: %s" % r["error"], flush=True)
                    continue
                print("  key-to-pixel  %s" % fmt_lat(r))
                print("  motion        %.1f frames/s shown in the page (workload drew %.1f/s)"
                      % (r["fps"], r["drawn_fps"]))
                print("  window drag   %.0f bytes/step over %d steps%s" % (
                    r["drag_bytes"], r["drag_steps"],
                    ("  (page: %s)" % r["drag_detail"]) if r["drag_detail"] else ""))
                extra = ("  (websockify %.2f %%)" % r["proxy_cpu"]) if "proxy_cpu" in r else ""
                print("  idle server   %.2f %% of a core%s" % (r["idle_cpu"], extra))
                if "bitmap_errors" in r:
                    print("  console       %d \"Unable to interpret bitmap\" lines"
                          % r["bitmap_errors"])
                sys.stdout.flush()
    finally:
        x.stop()

    t = results.get("thindesk", {})
    print("\nratios (thindesk / reference, same run):")
    for ref in ("noVNC", "spice-html5"):
        r = results.get(ref, {})
        if "error" in r or "error" in t:
            print("  vs %-12s n/a (%s)" % (ref, r.get("error") or t.get("error")))
            continue
        p50 = lambda q: percentile(q["lat"], 50) if q.get("lat") else None  # noqa: E731
        p95 = lambda q: percentile(q["lat"], 95) if q.get("lat") else None  # noqa: E731
        print("  vs %-12s latency p50 %s, p95 %s; fps %s; drag bytes/step %s; idle CPU %s" % (
            ref, ratio(p50(t), p50(r)), ratio(p95(t), p95(r)), ratio(t["fps"], r["fps"]),
            ratio(t["drag_bytes"], r["drag_bytes"]),
            ratio(t["idle_cpu"], r["idle_cpu"]) if r["idle_cpu"] > 0 else
            "%.2f%% vs 0 (no ticks)" % t["idle_cpu"]))
    if t.get("lat"):
        ok = percentile(t["lat"], 50) <= 30 and percentile(t["lat"], 95) <= 60
        print("thindesk key-to-pixel target (p50 <= 30 ms, p95 <= 60 ms): %s"
              % ("met" if ok else "NOT met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
