#!/usr/bin/python3
"""frame-throughput: 1920x1080 workloads "full" (every pixel changes) and
"scroll" through the desktop path, per image codec: frames/s received by a real
spice-gtk client, agent CPU ms per frame (whole process, spice-server's
compression included), the agent's own work per frame (collect damage, grab,
hand-off) and bytes per frame. Reference in the same run: the raw
xcb_shm_get_image rate of the whole screen.
THINDESK_BENCH_SECONDS sets each workload's length (default 10)."""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import tdtest  # noqa: E402

SECONDS = float(os.environ.get("THINDESK_BENCH_SECONDS", "10"))
CODECS = os.environ.get("THINDESK_BENCH_CODECS", "lz4,lz,quic,auto_glz").split(",")
W, H = 1920, 1080


def run_workload(x, agent, client, mode):
    s0 = benchlib.agent_stats(agent)
    c0 = benchlib.cpu_seconds(agent.proc.pid)
    f0, b0 = client.frames, client.bytes()
    wl = subprocess.Popen([benchlib.bench_bin("x-workload"), mode, "0", str(SECONDS)],
                          env=x.env, stdout=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    while wl.poll() is None:
        client.pump(0.05)
    client.pump(0.5)  # let the last frames arrive
    elapsed = time.monotonic() - t0
    drawn = int(wl.stdout.read().strip() or 0)
    s1 = benchlib.agent_stats(agent)
    c1 = benchlib.cpu_seconds(agent.proc.pid)
    frames = client.frames - f0
    grabs = s1["grabs"] - s0["grabs"]
    return {
        "drawn_fps": drawn / SECONDS,
        "client_fps": frames / elapsed,
        "cpu_ms": (c1 - c0) * 1000 / max(grabs, 1),
        "own_ms": (s1["grab_cpu_us"] - s0["grab_cpu_us"]) / 1000 / max(grabs, 1),
        "wall_ms": (s1["grab_us"] - s0["grab_us"]) / 1000 / max(grabs, 1),
        "kb": (client.bytes() - b0) / 1024 / max(frames, 1),
        "grabs": grabs,
    }


def main():
    rows = []
    with tdtest.Xvfb(W, H) as x:
        ref = subprocess.run([benchlib.bench_bin("shm-grab-rate"), "3"], env=x.env,
                             capture_output=True, text=True, check=True).stdout.split()
        ref_fps, ref_ms = float(ref[0]), float(ref[1])
        for codec in CODECS:
            with tdtest.Agent(x.display, args=["--image-compression=" + codec,
                                               "--max-fps=240"]) as agent:
                client = benchlib.CountingClient(agent.port, agent.password, W * H)
                try:
                    for mode in ("full", "scroll"):
                        r = run_workload(x, agent, client, mode)
                        rows.append((codec, mode, r))
                finally:
                    client.close()
    print("frame-throughput, %dx%d, %.0f s per workload, --max-fps=240" % (W, H, SECONDS))
    print("reference: xcb_shm_get_image of the whole screen: %.0f grabs/s, %.2f ms each"
          % (ref_fps, ref_ms))
    print("agent own = CPU of the main thread collecting damage, grabbing and handing over;")
    print("own wall = the same in wall time, waiting for the X server included")
    print("| codec | workload | drawn fps | client fps | agent CPU ms/frame | agent own ms/frame "
          "| own wall ms/frame | own wall / raw grab | KB/frame |")
    print("|---|---|---|---|---|---|---|---|---|")
    for codec, mode, r in rows:
        print("| %s | %s | %.1f | %.1f | %.2f | %.2f | %.2f | %.2f | %.0f |" % (
            codec, mode, r["drawn_fps"], r["client_fps"], r["cpu_ms"], r["own_ms"],
            r["wall_ms"], r["wall_ms"] / ref_ms, r["kb"]))


if __name__ == "__main__":
    main()
