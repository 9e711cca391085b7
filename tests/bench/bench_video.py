#!/usr/bin/python3
"""video: the --video=stream path at 1920x1080 (THINDESK_BENCH_SECONDS each
part, default 10). References in the same run:

1. encoder cost: the agent's jpeg_encoder, one thread, on x-workload's "full"
   frames (jpeg-parallel "serial"), against tjbench on the same frame, same
   quality (85), subsampling (4:2:0) and pixel format (BGRX). tjbench reports
   wall-clock throughput; on a shared machine its CPU share is measured too
   and its cost per frame is given both ways.
2. two cores: alternating frames (jpeg-pool) against horizontal slices.
3. full motion through a real spice-gtk client, at the default frame-rate cap
   (60) and at 240: frames drawn, frames
   received, agent CPU per frame (whole process), encode CPU per frame.
4. glass-to-glass proxy: x-workload "marker" draws numbered frames; the
   client reads the number from the frames it receives: time from drawn to
   received, median and p95, for --video=stream against the desktop path
   with spice-server's video detection on (--streaming-video=all) and off.
   The stream runs without a sound server (spice-gtk's clock stays 400 ms
   behind the server's) and with one, where the agent keeps the playback
   channel running and the client sets its clock from the playback packets
   minus its audio latency (0 ms: the floor; 130 ms: what remote-viewer's
   pulsesink reported on this machine)."""

import ctypes
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import tdtest  # noqa: E402

SECONDS = float(os.environ.get("THINDESK_BENCH_SECONDS", "10"))
W, H = 1920, 1080
Q = 85


def write_full_frame(path, n=0):
    """x-workload's "full" frame n as a binary PPM (tjbench's input)."""
    row = bytearray(W * 3)
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (W, H))
        for y in range(H):
            for x in range(W):
                row[x * 3] = (x + n * 7) & 0xff
                row[x * 3 + 1] = (y + n * 3) & 0xff
                row[x * 3 + 2] = (x ^ y ^ n) & 0xff
            f.write(row)


def tjbench(ppm):
    """Returns (wall ms per frame, cpu ms per frame, MB per frame)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(["tjbench", ppm, str(Q), "-bgrx", "-subsamp", "420", "-benchtime",
                        "3", "-warmup", "1", "-quiet", "-nowrite"], capture_output=True,
                       text=True, check=True)
    wall = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    line = [l for l in p.stdout.splitlines() if l.startswith("BGRX")][-1].split()
    # BGRX (TD) 4:2:0 85 1920 1080 CompPerf(Mpix/s) CompRatio DecompPerf
    comp_mpix, ratio = float(line[6]), float(line[7])
    wall_ms = W * H / (comp_mpix * 1e6) * 1000
    share = cpu / wall  # tjbench is single-threaded: its share of a core
    return wall_ms, wall_ms * min(share, 1.0), W * H * 3 / ratio / 1e6


def jpeg_parallel(frames=120):
    out = subprocess.run([benchlib.bench_bin("jpeg-parallel"), str(W), str(H), str(frames),
                          str(Q)], capture_output=True, text=True, check=True).stdout
    rows = {}
    for line in out.splitlines():
        mode, fps, lat, cpu = line.split()
        rows[mode] = (float(fps), float(lat), float(cpu))
    return rows


def video_stats(agent):
    before = agent.stderr().count("video stats:")
    agent.proc.send_signal(10)
    tdtest.wait_for(lambda: agent.stderr().count("video stats:") > before, 5, what="stats")
    line = [l for l in agent.stderr().splitlines() if "video stats:" in l][-1]
    return {k: int(v) for k, v in
            (kv.split("=") for kv in line.split("video stats:")[1].split())}


def full_motion(x, max_fps):
    with tdtest.Agent(x.display, args=["--video=stream", "--video-max-fps=%d" % max_fps]) as agent:
        client = benchlib.CountingClient(agent.port, agent.password, W * H)
        try:
            s0 = video_stats(agent)
            c0 = benchlib.cpu_seconds(agent.proc.pid)
            f0 = client.frames
            wl = subprocess.Popen([benchlib.bench_bin("x-workload"), "full", "0", str(SECONDS)],
                                  env=x.env, stdout=subprocess.PIPE, text=True)
            t0 = time.monotonic()
            while wl.poll() is None:
                client.pump(0.05)
            client.pump(0.5)
            elapsed = time.monotonic() - t0
            drawn = int(wl.stdout.read().strip() or 0)
            s1 = video_stats(agent)
            c1 = benchlib.cpu_seconds(agent.proc.pid)
            frames = client.frames - f0
        finally:
            client.close()
    grabs = max(s1["grabs"] - s0["grabs"], 1)
    return {
        "drawn_fps": drawn / SECONDS,
        "client_fps": frames / elapsed,
        "sent_fps": (s1["sent"] - s0["sent"]) / elapsed,
        "cpu_ms": (c1 - c0) * 1000 / grabs,
        "encode_ms": (s1["encode_cpu_us"] - s0["encode_cpu_us"]) / 1000 / grabs,
        "kb": (s1["jpeg_bytes"] - s0["jpeg_bytes"]) / 1024 / grabs,
        "quality": s1["quality"],
    }


class MarkerClient:
    """Reads the frame number x-workload "marker" put into each received frame."""

    def __init__(self, port, password, audio_delay=None):
        import spiceclient
        from gi.repository import GObject
        self.sc = spiceclient
        self.c = spiceclient.Client(port, password)
        self.seen = []  # (time, number mod 256)
        self.clock_set = False
        if audio_delay is not None:
            # What spice-gtk's GStreamer audio backend does once a second
            # while sound plays (spice_playback_channel_set_delay with its
            # pipeline's latency): this client has no audio output.
            last = [0.0]

            def on_data(channel, data, size):
                if time.monotonic() - last[0] >= 1.0:
                    last[0] = time.monotonic()
                    channel.set_delay(audio_delay)
                    self.clock_set = True

            def on_channel(session, channel):
                if isinstance(channel, spiceclient.Spice.PlaybackChannel):
                    GObject.Object.connect(channel, "playback-data", on_data)
            GObject.Object.connect(self.c.session, "channel-new", on_channel)
        if not self.c.wait(lambda: self.c.display is not None, 20):
            raise AssertionError("no display channel")
        GObject.Object.connect(self.c.display, "display-invalidate", self._on_invalidate)
        self.c.wait(lambda: self.c.primary() is not None, 20)

    def _level(self, p, x, y):
        ptr = ctypes.cast(p.data, ctypes.c_void_p).value + y * p.stride + x * 4
        v = ctypes.string_at(ptr, 3)
        return int(round((sum(v) / 3 - 8) / 16)) & 15

    def _on_invalidate(self, channel, x, y, w, h):
        if x > 0 or y > 0 or w < 128 or h < 64:
            return
        p = self.sc._Primary()
        if not self.sc._lib.spice_display_channel_get_primary(
                self.sc._gpointer(self.c.display), 0, ctypes.byref(p)) or not p.data:
            return
        n = self._level(p, 32, 32) + 16 * self._level(p, 96, 32)
        if not self.seen or self.seen[-1][1] != n:
            self.seen.append((time.monotonic(), n))


def glass_to_glass(x, args, audio_delay=None):
    if audio_delay is None:
        return marker_latency(x, args, None, None)
    import soundserver
    with soundserver.PulseAudio() as pa:
        return marker_latency(x, args, {"PULSE_SERVER": pa.env["PULSE_SERVER"]}, audio_delay)


def marker_latency(x, args, env, audio_delay):
    with tdtest.Agent(x.display, args=args, env=env) as agent:
        if env:
            tdtest.wait_for(lambda: "sound server ready" in agent.stderr(), 30,
                            what="the agent's sound server")
        client = MarkerClient(agent.port, agent.password, audio_delay)
        if audio_delay is not None and not client.c.wait(lambda: client.clock_set, 20):
            raise AssertionError("no playback reached the client")
        try:
            wl = subprocess.Popen([benchlib.bench_bin("x-workload"), "marker", "30",
                                   str(SECONDS)], env=x.env, stdout=subprocess.PIPE, text=True)
            while wl.poll() is None:
                client.c.iterate(0.01)
            client.c.iterate(1.5)
            drawn = []
            for line in wl.stdout.read().splitlines():
                parts = line.split()
                if len(parts) == 2:
                    drawn.append((int(parts[0]), float(parts[1])))
        finally:
            client.c.close()
    lat = []
    seen = client.seen
    j = 0
    for n, t in drawn:
        while j < len(seen) and seen[j][0] < t:
            j += 1
        for k in range(j, len(seen)):
            if seen[k][1] == n % 256:
                if seen[k][0] - t < 5.0:
                    lat.append((seen[k][0] - t) * 1000)
                break
    if not lat:
        return None
    lat.sort()
    return {"n": len(lat), "drawn": len(drawn), "median": statistics.median(lat),
            "p95": lat[min(len(lat) - 1, int(len(lat) * 0.95))]}


def main():
    tdtest.skip_unless_tools("Xvfb", "tjbench", "pulseaudio")
    tmp = tempfile.mkdtemp(prefix="thindesk-bench-video-")
    ppm = os.path.join(tmp, "full0.ppm")
    write_full_frame(ppm)
    tj_wall, tj_cpu, tj_mb = tjbench(ppm)
    par = jpeg_parallel()
    with tdtest.Xvfb(W, H) as x:
        # The default cap (60), and a high one: what the machine can do.
        motions = [(fps, full_motion(x, fps)) for fps in (60, 240)]
        g2g = {}
        for name, args, delay in (
                ("stream, no sound server (client clock 400 ms behind)", ["--video=stream"],
                 None),
                ("stream, audio clock, client audio latency 0 ms", ["--video=stream"], 0),
                ("stream, audio clock, client audio latency 130 ms", ["--video=stream"], 130),
                ("desktop, video detection on", ["--video=desktop", "--streaming-video=all"],
                 None),
                ("desktop, video detection off", ["--video=desktop"], None)):
            g2g[name] = glass_to_glass(x, args, delay)
    ours_cpu = par["serial"][2]
    print("video, %dx%d, quality %d 4:2:0, %.0f s per part, %d CPUs, load %.1f"
          % (W, H, Q, SECONDS, os.cpu_count(), os.getloadavg()[0]))
    print()
    print("| encoder, one thread, same frame | ms/frame |")
    print("|---|---|")
    print("| tjbench (wall) | %.2f |" % tj_wall)
    print("| tjbench (CPU share-corrected) | %.2f |" % tj_cpu)
    print("| thindesk jpeg_encoder (CPU, jpeg-parallel serial) | %.2f |" % ours_cpu)
    print("| ratio thindesk / tjbench (CPU) | %.2f |" % (ours_cpu / tj_cpu))
    print()
    print("| two cores | frames/s | latency ms/frame | CPU ms/frame |")
    print("|---|---|---|---|")
    for mode in ("serial", "frames", "slices"):
        fps, lat, cpu = par[mode]
        print("| %s | %.1f | %.2f | %.2f |" % (mode, fps, lat, cpu))
    print()
    print("| full motion (x-workload full, as fast as it draws) | "
          + " | ".join("--video-max-fps=%d" % fps for fps, _ in motions) + " |")
    print("|---" * (len(motions) + 1) + "|")
    rows = (("drawn fps", "drawn_fps", "%.1f"),
            ("frames sent by the agent /s", "sent_fps", "%.1f"),
            ("frames received by spice-gtk /s", "client_fps", "%.1f"),
            ("agent CPU ms/frame (whole process)", "cpu_ms", "%.2f"),
            ("encode CPU ms/frame (workers)", "encode_ms", "%.2f"),
            ("KB/frame", "kb", "%.0f"),
            ("quality at the end (rate control)", "quality", "%d"))
    for label, key, fmt in rows:
        print("| %s | " % label + " | ".join(fmt % m[key] for _, m in motions) + " |")
    print("| encode CPU / tjbench CPU | "
          + " | ".join("%.2f" % (m["encode_ms"] / tj_cpu) for _, m in motions) + " |")
    print()
    print("| glass-to-glass proxy (marker at 30 fps) | frames measured | median ms | p95 ms |")
    print("|---|---|---|---|")
    for name, r in g2g.items():
        if r:
            print("| %s | %d of %d | %.1f | %.1f |" % (name, r["n"], r["drawn"], r["median"],
                                                   r["p95"]))
        else:
            print("| %s | 0 | - | - |" % name)


if __name__ == "__main__":
    main()
