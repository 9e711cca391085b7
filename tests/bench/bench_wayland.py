#!/usr/bin/python3
"""wayland: the Wayland capture backends against the X11 one, in one run, at
1280x720:

- headless sway (pixman renderer, as an unprivileged user), --capture=wlr;
- headless mutter (--virtual-monitor, private D-Bus, PipeWire, WirePlumber),
  --capture=mutter;
- Xvfb, --capture=x11 (the reference).

On each: agent CPU with no client and with one idle client (target 0), then
full-screen motion: tests/bench/gtk-animator.py (GTK 3, fullscreen, a new
picture over the whole window on every frame-clock tick, ~60/s) shown by
the compositor, a real spice-gtk client (GI) counting the frames it gets.
Printed: frames/s drawn, captured, sent and delivered, agent CPU per frame,
and the ratio of each Wayland backend's CPU per frame to X11's (target:
<= 1.5). The same animator under GDK_BACKEND=x11 on Xvfb is the X11
workload, so the pictures match.

THINDESK_BENCH_SECONDS: motion length (default 10); THINDESK_BENCH_IDLE_SECONDS:
each idle part (default 10); THINDESK_BENCH_BACKENDS: a comma list of x11, wlr,
mutter (default all three)."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import tdtest  # noqa: E402

SECONDS = float(os.environ.get("THINDESK_BENCH_SECONDS", "10"))
IDLE_SECONDS = float(os.environ.get("THINDESK_BENCH_IDLE_SECONDS", "10"))
BACKENDS = os.environ.get("THINDESK_BENCH_BACKENDS", "x11,wlr,mutter").split(",")
W, H = 1280, 720
PYTHON = "/usr/bin/python3"
ANIMATOR = os.path.join(benchlib.HERE, "gtk-animator.py")
GTK_ENV = {"NO_AT_BRIDGE": "1", "GSETTINGS_BACKEND": "memory"}


class AreaClient(benchlib.CountingClient):
    """Counts delivered frames as screens' worth of updated area: the mutter
    backend hands spice-server the changed 64x64 tiles, so one frame can come
    as many small updates. Every pixel of the workload changes each frame, so
    a screen's worth of area is one frame."""

    def __init__(self, port, password):
        self.area = 0
        super().__init__(port, password, W * H)

    def _on_invalidate(self, channel, x, y, w, h):
        self.area += w * h
        while self.area >= self.screen_area:
            self.area -= self.screen_area
            self.frames += 1


class Animator:
    """gtk-animator.py in the session; argv_prefix/env say where."""

    def __init__(self, popen, out_path):
        self.out_path = out_path
        self.proc = popen(stdin=subprocess.PIPE, stdout=open(out_path, "w"))
        tdtest.wait_for(lambda: self._check() and self.lines("ready "), 60,
                        what="the animator's first picture")
        self.size = tuple(int(v) for v in self.lines("ready ")[0].split()[1:3])

    def _check(self):
        if self.proc.poll() is not None:
            raise AssertionError("the animator exited with %s: %s"
                                 % (self.proc.returncode, open(self.out_path).read()))
        return True

    def lines(self, prefix):
        with open(self.out_path) as f:
            return [l for l in f.read().splitlines() if l.startswith(prefix)]

    def send(self, word):
        self.proc.stdin.write(word.encode() + b"\n")
        self.proc.stdin.flush()

    def stop(self):
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        tdtest.stop_process(self.proc)


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def counters(agent):
    m = tdtest.scrape_metrics(agent.metrics_port)
    return {"cpu": benchlib.cpu_seconds(agent.proc.pid),
            "captured": m["thindesk_frames_captured_total"],
            "sent": m["thindesk_frames_sent_total"]}


def idle(agent, client, seconds):
    c0 = counters(agent)
    if client:
        client.pump(seconds)
    else:
        time.sleep(seconds)
    c1 = counters(agent)
    return {"cpu_pct": (c1["cpu"] - c0["cpu"]) / seconds * 100,
            "captured": c1["captured"] - c0["captured"], "sent": c1["sent"] - c0["sent"]}


def measure(agent, animator, compositor_pid):
    """Idle with no client, idle with one, then SECONDS of motion."""
    r = {"load_before": loadavg()}
    time.sleep(2)  # the animator's first picture is captured and settled
    r["idle_none"] = idle(agent, None, IDLE_SECONDS)
    client = AreaClient(agent.port, agent.password)
    try:
        client.pump(3)  # the first full frame, then quiet
        r["idle_one"] = idle(agent, client, IDLE_SECONDS)
        c0, f0, b0 = counters(agent), client.frames, client.bytes()
        comp0 = benchlib.cpu_seconds(compositor_pid)
        t0 = time.monotonic()
        animator.send("go")
        client.pump(SECONDS)
        animator.send("stop")
        client.pump(0.5)  # the last frames arrive
        elapsed = time.monotonic() - t0
        c1, f1, b1 = counters(agent), client.frames, client.bytes()
        comp1 = benchlib.cpu_seconds(compositor_pid)
        drawn = int(tdtest.wait_for(lambda: animator.lines("drawn "), 10,
                                    what="the animator's count")[-1].split()[1])
    finally:
        client.close()
    cpu = c1["cpu"] - c0["cpu"]
    delivered = f1 - f0
    r.update({
        "drawn_fps": drawn / SECONDS,
        "captured_fps": (c1["captured"] - c0["captured"]) / elapsed,
        "sent_fps": (c1["sent"] - c0["sent"]) / elapsed,
        "client_fps": delivered / elapsed,
        "cpu_s": cpu,
        "ms_per_delivered": cpu * 1000 / max(delivered, 1),
        "ms_per_captured": cpu * 1000 / max(c1["captured"] - c0["captured"], 1),
        "kb_frame": (b1 - b0) / 1024 / max(delivered, 1),
        "compositor_cpu_s": comp1 - comp0,
        "load_after": loadavg(),
    })
    return r


def run_x11():
    with tdtest.Xvfb(W, H) as x:
        env = dict(x.env, GDK_BACKEND="x11", **GTK_ENV)
        tmp = tempfile.mkdtemp(prefix="thindesk-bench-wl-x11-")
        anim = Animator(lambda **kw: subprocess.Popen([PYTHON, ANIMATOR, str(W), str(H)],
                                                      env=env, **kw),
                        os.path.join(tmp, "animator.out"))
        try:
            port = tdtest.free_port()
            with tdtest.Agent(x.display, args=["--capture=x11", "--audio=off",
                                               "--metrics=127.0.0.1:%d" % port]) as agent:
                agent.metrics_port = port
                try:
                    return dict(measure(agent, anim, x.proc.pid), size=anim.size)
                finally:
                    agent.stop()
        finally:
            anim.stop()
            shutil.rmtree(tmp, ignore_errors=True)


def run_wlr():
    import swaylib
    sway = swaylib.Sway()
    anim = agent = None
    try:
        env = dict(sway.env(), GDK_BACKEND="wayland", **GTK_ENV)
        anim = Animator(lambda **kw: subprocess.Popen(
            sway.prefix() + [PYTHON, ANIMATOR, str(W), str(H)], env=env, cwd=sway.tmp, **kw),
            os.path.join(sway.tmp, "animator.out"))
        agent = swaylib.WlrAgent(sway, args=["--capture=wlr"])
        return dict(measure(agent, anim, sway.proc.pid), size=anim.size)
    finally:
        if agent:
            agent.stop()
        if anim:
            anim.stop()
        sway.close()
        tdtest.wait_for(lambda: not sway.group_alive(), 10, what="sway and swaybg to end")


def run_mutter():
    import test_wayland_mutter as tm
    gnome = tm.Gnome()
    anim = agent = None
    try:
        anim = Animator(lambda **kw: gnome.spawn(PYTHON, ANIMATOR, str(W), str(H),
                                                 extra_env=dict(GTK_ENV, GDK_BACKEND="wayland"),
                                                 **kw),
                        os.path.join(gnome.tmp, "animator.out"))
        agent = tm.MutterAgent(gnome, args=["--capture=mutter"])
        return dict(measure(agent, anim, gnome.mutter.pid), size=anim.size)
    finally:
        if agent:
            agent.stop()
        if anim:
            anim.stop()
        gnome.close()


RUNS = {"x11": ("X11 on Xvfb", run_x11), "wlr": ("wlr on headless sway", run_wlr),
        "mutter": ("mutter on headless mutter", run_mutter)}


def main():
    # ctest's timeout sends SIGTERM: unwind, so every finally stops its processes.
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    results = {}
    for name in BACKENDS:
        label, fn = RUNS[name]
        try:
            results[name] = fn()
        except Exception as e:  # one backend failing still reports the others
            print("%s: FAILED: %s" % (label, e))
    print("wayland benchmark, %dx%d, idle %.0f s each, motion %.0f s; load average %s at the "
          "end" % (W, H, IDLE_SECONDS, SECONDS, loadavg()))
    print("workload: tests/bench/gtk-animator.py (GTK 3 window fullscreen, a 256x256 tile "
          "pattern shifted by (7, 3) px on every frame-clock tick: every pixel changes each "
          "frame), GDK_BACKEND=wayland on sway and mutter, GDK_BACKEND=x11 on Xvfb; client: "
          "spice-gtk via GI, frames = screens' worth of updated area")
    print("| backend | window | idle, no client: agent CPU % / frames sent | idle, one client: "
          "agent CPU % / frames sent | drawn fps | captured fps | sent fps | client fps "
          "| agent CPU ms/delivered frame | agent CPU ms/captured frame | KB/frame "
          "| compositor CPU s | load before → after |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in BACKENDS:
        if name not in results:
            print("| %s | failed | | | | | | | | | | | |" % RUNS[name][0])
            continue
        r = results[name]
        print("| %s | %dx%d | %.3f / %d | %.3f / %d | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f "
              "| %.0f | %.2f | %s → %s |" % (
                  RUNS[name][0], r["size"][0], r["size"][1],
                  r["idle_none"]["cpu_pct"], r["idle_none"]["sent"],
                  r["idle_one"]["cpu_pct"], r["idle_one"]["sent"],
                  r["drawn_fps"], r["captured_fps"], r["sent_fps"], r["client_fps"],
                  r["ms_per_delivered"], r["ms_per_captured"], r["kb_frame"],
                  r["compositor_cpu_s"], r["load_before"], r["load_after"]))
    for name in BACKENDS:
        r = results.get(name)
        if not r:
            continue
        idle_ok = all(r[k]["sent"] == 0 and r[k]["captured"] == 0 and r[k]["cpu_pct"] < 0.5
                      for k in ("idle_none", "idle_one"))
        print("%s idle target (0 frames, < 0.5%% CPU): %s" % (RUNS[name][0],
                                                              "met" if idle_ok else "NOT met"))
    ref = results.get("x11")
    for name in BACKENDS:
        r = results.get(name)
        if name == "x11" or not r:
            continue
        if not ref:
            print("%s: no X11 reference in this run, no ratio" % RUNS[name][0])
            continue
        per_del = r["ms_per_delivered"] / ref["ms_per_delivered"]
        per_cap = r["ms_per_captured"] / ref["ms_per_captured"]
        fps = r["client_fps"] / max(ref["client_fps"], 1e-9)
        print("%s / X11: CPU per delivered frame %.2fx, per captured frame %.2fx, client fps "
              "%.2fx; target (CPU per frame <= 1.5x): %s" % (
                  RUNS[name][0], per_del, per_cap, fps, "met" if per_del <= 1.5 else "NOT met"))
    return 0 if len(results) == len(BACKENDS) else 1


if __name__ == "__main__":
    sys.exit(main())
