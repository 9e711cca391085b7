#!/usr/bin/python3
"""motion: an 800x600 photo window dragged at 62.5 steps/s for 10 s over a
1080p gradient, and a terminal scrolling, with --copy-detection on and off in
the same run: agent CPU seconds (whole process), frames/s at the client, KB
per frame and per step. Target: moves at <= 20 KB a step, lossless, with agent
CPU no higher than with detection off. THINDESK_BENCH_SECONDS sets the length."""

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import tdtest  # noqa: E402

SECONDS = float(os.environ.get("THINDESK_BENCH_SECONDS", "10"))
W, H = 1920, 1080


def drag(x, client, wid):
    steps = int(SECONDS * 62.5)
    t0 = time.monotonic()
    for i in range(steps):
        px = 100 + int(900 * abs((i % 200) - 100) / 100)
        py = 100 + int(300 * abs((i % 120) - 60) / 60)
        subprocess.run(["xdotool", "windowmove", wid, str(px), str(py)], env=x.env)
        client.pump(max(0.0, t0 + (i + 1) / 62.5 - time.monotonic()))
    return steps


def scroll(x, client, tmp):
    go = os.path.join(tmp, "go")
    open(go, "w").close()
    client.pump(SECONDS)
    return 0


def measure(mode, scenario):
    tmp = tempfile.mkdtemp(prefix="thindesk-bench-motion-")
    with tdtest.Xvfb(W, H) as x:
        bg = os.path.join(tmp, "bg.png")
        subprocess.run(["convert", "-size", "%dx%d" % (W, H), "gradient:#203060-#e0c080", bg],
                       check=True)
        subprocess.run(["display", "-window", "root", bg], env=x.env, capture_output=True)
        if scenario == "drag":
            photo = os.path.join(tmp, "photo.png")
            subprocess.run(["convert", "-size", "800x600", "plasma:fractal", "-blur", "0x2",
                            photo], check=True)
            x.run(["display", "-geometry", "+100+100", photo])
            wid = tdtest.wait_for(lambda: subprocess.run(
                ["xdotool", "search", "--name", "ImageMagick"], env=x.env, capture_output=True,
                text=True).stdout.split(), 20)[0]
        else:
            go = os.path.join(tmp, "go")
            x.run(["xterm", "+j", "-geometry", "120x50+200+100", "-e", "sh", "-c",
                   "while [ ! -e %s ]; do sleep 0.1; done; i=0; while true; do i=$((i+1)); "
                   "echo \"line $i: the quick brown fox jumps over the lazy dog $((i*i))\"; "
                   "sleep 0.01; done" % go])
        time.sleep(2)
        with tdtest.Agent(x.display, args=["--copy-detection=" + mode]) as agent:
            client = benchlib.CountingClient(agent.port, agent.password, 1)
            try:
                client.pump(1.0)
                c0, b0, f0 = benchlib.cpu_seconds(agent.proc.pid), client.bytes(), client.frames
                t0 = time.monotonic()
                steps = drag(x, client, wid) if scenario == "drag" else scroll(x, client, tmp)
                client.pump(0.5)
                elapsed = time.monotonic() - t0
                cpu = benchlib.cpu_seconds(agent.proc.pid) - c0
                nbytes = client.bytes() - b0
                frames = client.frames - f0
                # Lossless: the client's frame equals the display at the end.
                src, got = os.path.join(tmp, "src.ppm"), os.path.join(tmp, "got.ppm")
                if scenario == "scroll":
                    x.check(["xdotool", "search", "--class", "xterm", "windowunmap"])
                    client.pump(1.0)
                tdtest.grab_root(x.display, src)
                client.c.wait(lambda: (client.c.save_ppm(got) and
                                       tdtest.compare_ae(got, src) == 0), 10)
                exact = tdtest.compare_ae(got, src) == 0
            finally:
                client.close()
    return {"cpu": cpu, "fps": frames / elapsed, "steps_s": steps / elapsed, "kb_frame": nbytes / 1024 / max(frames, 1),
            "kb_step": nbytes / 1024 / steps if steps else 0, "exact": exact}


def main():
    rows = []
    for scenario in ("drag", "scroll"):
        for mode in ("on", "off"):
            rows.append((scenario, mode, measure(mode, scenario)))
    print("motion, %dx%d, %.0f s per run (drag: 800x600 photo at 62.5 steps/s over a gradient;"
          " scroll: a terminal printing a line every ~10 ms)" % (W, H, SECONDS))
    print("| scenario | copy detection | moves/s done | agent CPU s | client updates/s "
          "| KB/update | KB/step | exact at end |")
    print("|---|---|---|---|---|---|---|---|")
    for scenario, mode, r in rows:
        print("| %s | %s | %s | %.2f | %.1f | %.1f | %s | %s |" % (
            scenario, mode, "%.1f" % r["steps_s"] if scenario == "drag" else "-",
            r["cpu"], r["fps"], r["kb_frame"],
            "%.1f" % r["kb_step"] if scenario == "drag" else "-", "yes" if r["exact"] else "NO"))


if __name__ == "__main__":
    main()
