#!/usr/bin/python3
"""h264: our H.264 encoder (display/h264-encoder, OpenH264) against our MJPEG
(display/jpeg-encoder, TurboJPEG) and against the x264 command-line encoder,
all on the same clip in the same run.

The clip (tests/bench/h264-clip.c): 1920x1080 full-screen motion at 30
frames/s, THINDESK_BENCH_FRAMES frames (default 150, 5 s), a camera panning
across a desktop with windows, a photo and text, every pixel moving every
frame; generated deterministically, written once as raw I420 for x264.

1. Bytes at equal quality: our H.264 at each bitrate of THINDESK_BENCH_KBPS
   (default "6000,15000"); its PSNR (RGB, every frame, a frame the rate
   control skipped counts as the previous picture still on screen); then
   the lowest MJPEG quality (4:2:0) whose PSNR reaches it (on the first 20
   frames) and its bytes a frame. Target: at >= 35 dB, H.264 at most a
   tenth of MJPEG's bytes.
2. Encode CPU per frame: ours (process CPU of the encode calls, BGRX to
   I420 conversion included, its two threads) against x264 on the I420
   file with the same settings: the same bitrate, CBR with a VBV of one
   frame, no B frames, Baseline, no periodic IDR, two sliced threads,
   presets ultrafast, superfast and veryfast (x264's CPU from rusage,
   reading the file included). Decoded and measured by the same PSNR code.
   ffmpeg's libopenh264 encoder too when this ffmpeg has it. Target: within
   1.3x of the reference at the same settings."""

import os
import resource
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import tdtest  # noqa: E402

N = int(os.environ.get("THINDESK_BENCH_FRAMES", "150"))
KBPS = [int(k) for k in os.environ.get("THINDESK_BENCH_KBPS", "6000,15000").split(",")]
FPS = 30
W, H = 1920, 1080
MJPEG_FRAMES = 20
CLIP = benchlib.bench_bin("h264-clip")


def fields(line):
    return dict(kv.split("=", 1) for kv in line.split()[1:])


def clip(*args):
    p = subprocess.run([CLIP] + [str(a) for a in args], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit("h264-clip %s failed: %s" % (args[0], p.stderr))
    lines = p.stdout.strip().splitlines()
    return fields(lines[-1]) if lines else {}


def psnr(path):
    return float(clip("psnr", path, N)["psnr"])


def ours(kbps, tmp):
    out = os.path.join(tmp, "ours-%d.264" % kbps)
    r = clip("ours", N, kbps, FPS, out)
    return {"bytes": int(r["bytes"]), "cpu_ms": float(r["cpu_ms"]), "psnr": psnr(out),
            "skipped": int(r["skipped"])}


def mjpeg_at(target_db):
    """The lowest quality reaching @target_db, by bisection; None if even 100 does not."""
    cache = {}

    def at(q):
        if q not in cache:
            cache[q] = clip("mjpeg", MJPEG_FRAMES, q)
        return cache[q]
    if float(at(100)["psnr"]) < target_db:
        return None, at(100)
    lo, hi = 1, 100
    while lo < hi:
        mid = (lo + hi) // 2
        if float(at(mid)["psnr"]) >= target_db:
            hi = mid
        else:
            lo = mid + 1
    return lo, at(lo)


def timed(cmd):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, capture_output=True)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)


def x264(kbps, preset, yuv, tmp):
    out = os.path.join(tmp, "x264-%s-%d.264" % (preset, kbps))
    cpu = timed(["x264", "--quiet", "--input-res", "%dx%d" % (W, H), "--fps", str(FPS),
                 "--input-csp", "i420", "--preset", preset, "--tune", "zerolatency",
                 "--profile", "baseline", "--bframes", "0", "--bitrate", str(kbps),
                 "--vbv-maxrate", str(kbps), "--vbv-bufsize", str(max(kbps // FPS, 1)),
                 "--keyint", "infinite", "--threads", "2", "--sliced-threads", "-o", out, yuv])
    return {"bytes": os.path.getsize(out), "cpu_ms": cpu * 1000 / N, "psnr": psnr(out)}


def has_ffmpeg_openh264():
    try:
        p = subprocess.run(["ffmpeg", "-hide_banner", "-encoders"], capture_output=True,
                           text=True)
    except FileNotFoundError:
        return False
    return " libopenh264 " in p.stdout


def ffmpeg_openh264(kbps, yuv, tmp):
    out = os.path.join(tmp, "ffopenh264-%d.264" % kbps)
    cpu = timed(["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p",
                 "-s", "%dx%d" % (W, H), "-r", str(FPS), "-i", yuv, "-c:v", "libopenh264",
                 "-b:v", "%dk" % kbps, "-maxrate", "%dk" % kbps, "-rc_mode", "bitrate",
                 "-g", "0", "-slices", "2", "-threads", "2", "-f", "h264", out])
    return {"bytes": os.path.getsize(out), "cpu_ms": cpu * 1000 / N, "psnr": psnr(out)}


def mbit(nbytes):
    return nbytes * 8 / (N / FPS) / 1e6


def main():
    tdtest.skip_unless_tools("x264")
    tmp = tempfile.mkdtemp(prefix="thindesk-bench-h264-")
    yuv = os.path.join(tmp, "clip.yuv")
    clip("i420", yuv, N)
    rows = []
    for kbps in KBPS:
        o = ours(kbps, tmp)
        q, m = mjpeg_at(o["psnr"])
        refs = [("x264 --preset %s" % p, x264(kbps, p, yuv, tmp))
                for p in ("ultrafast", "superfast", "veryfast")]
        if has_ffmpeg_openh264():
            refs.append(("ffmpeg -c:v libopenh264", ffmpeg_openh264(kbps, yuv, tmp)))
        rows.append((kbps, o, q, m, refs))
    os.remove(yuv)

    print("h264, %dx%d at %d frames/s, %d frames (full-screen pan), %d CPUs, load %.1f"
          % (W, H, FPS, N, os.cpu_count(), os.getloadavg()[0]))
    if not has_ffmpeg_openh264():
        print("ffmpeg -c:v libopenh264: not measured (this ffmpeg has no libopenh264 encoder)")
    print()
    print("| target kbit/s | encoder | Mbit/s | KB/frame | PSNR dB | skipped | encode CPU ms/frame"
          " | ours / it (CPU) |")
    print("|---|---|---|---|---|---|---|---|")
    for kbps, o, q, m, refs in rows:
        print("| %d | thindesk H.264 (OpenH264) | %.2f | %.1f | %.2f | %d | %.2f | 1.00 |" % (
            kbps, mbit(o["bytes"]), o["bytes"] / N / 1024, o["psnr"], o["skipped"],
            o["cpu_ms"]))
        for name, r in refs:
            print("| %d | %s | %.2f | %.1f | %.2f | - | %.2f | %.2f |" % (
                kbps, name, mbit(r["bytes"]), r["bytes"] / N / 1024, r["psnr"], r["cpu_ms"],
                o["cpu_ms"] / r["cpu_ms"]))
    print()
    print("| target kbit/s | H.264 PSNR dB | H.264 KB/frame | MJPEG quality at equal PSNR "
          "| MJPEG PSNR dB | MJPEG KB/frame | MJPEG encode CPU ms/frame | H.264 / MJPEG bytes |")
    print("|---|---|---|---|---|---|---|---|")
    for kbps, o, q, m, refs in rows:
        mj = int(m["bytes"]) / int(m["frames"])
        print("| %d | %.2f | %.1f | %s | %s | %.1f | %s | %s |" % (
            kbps, o["psnr"], o["bytes"] / N / 1024,
            q if q else "none (100 reaches %s dB)" % m["psnr"], m["psnr"], mj / 1024,
            m["cpu_ms"], "%.3f (1/%.0f)" % (o["bytes"] / N / mj, mj * N / o["bytes"])
            if q else "-"))


if __name__ == "__main__":
    main()
