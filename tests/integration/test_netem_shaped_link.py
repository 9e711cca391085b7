#!/usr/bin/python3
"""A shaped link (label netem, needs root): the SPICE client in its own
network namespace, joined to the agent's by a veth pair whose agent side
sends at most 10 Mbit/s. With sch_netem in the kernel: `netem rate 10mbit
delay 30ms` (and 30 ms back); without it (this project's build machine
has no sch_netem) `tbf rate 10mbit` with a 300 ms queue, and no added delay:
the test says which it used.

A video plays full screen (x-workload "keys": a 1280x720 moving picture at
30 frames/s) through --video=stream with --video-bitrate=auto, for each
codec the agent offers (MJPEG; H.264 once --video-codec exists). The
client, a spice-gtk session in the namespace, keeps its clock on the
agent's audio (as remote-viewer does while sound plays, client latency 0),
presses a key every 200-400 ms and times until the 64x64 block x-workload
redraws on every key press shows the new count: key-to-pixel latency
through the whole path (inputs channel, XTEST, X, capture, encode, the
shaped link, decode). Asserted: p95 under 150 ms; the bytes the agent
encoded a second and those the client received stay within the link's
rate; the agent's own estimate of the queue in front of the client is
small at the end."""

import json
import os
import random
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tdtest  # noqa: E402

W, H = 1280, 720
RATE_MBIT = 10
PRESSES = int(os.environ.get("THINDESK_SHAPED_PRESSES", "40"))
SCANCODE_A = 0x1e
NS = "tdshaped%d" % os.getpid()
VETH_AGENT, VETH_CLIENT = "tdsa%d" % (os.getpid() % 100000), "tdsc%d" % (os.getpid() % 100000)
AGENT_IP, CLIENT_IP = "10.213.7.1", "10.213.7.2"


def client_main(port, password):
    """Runs inside the namespace: connects, presses keys, prints JSON."""
    import ctypes
    import spiceclient
    from gi.repository import GObject
    c = spiceclient.Client(port, password, host=AGENT_IP)
    state = {"clock": False, "level": None, "last": 0.0}

    def on_data(channel, data, size):
        if time.monotonic() - state["last"] >= 1.0:
            state["last"] = time.monotonic()
            channel.set_delay(0)
            state["clock"] = True

    def on_channel(session, channel):
        if isinstance(channel, spiceclient.Spice.PlaybackChannel):
            GObject.Object.connect(channel, "playback-data", on_data)
    GObject.Object.connect(c.session, "channel-new", on_channel)

    def level(p, x, y):
        ptr = ctypes.cast(p.data, ctypes.c_void_p).value + y * p.stride + x * 4
        v = ctypes.string_at(ptr, 3)
        return int(round((sum(v) / 3 - 8) / 16)) & 15

    def on_invalidate(channel, x, y, w, h):
        if x > 32 or y > 32 or x + w <= 32 or y + h <= 32:
            return
        p = spiceclient._Primary()
        if spiceclient._lib.spice_display_channel_get_primary(
                spiceclient._gpointer(c.display), 0, ctypes.byref(p)) and p.data:
            state["level"] = level(p, 32, 32)

    if not c.wait(lambda: c.display is not None and c.inputs is not None, 30):
        raise SystemExit("no display or inputs channel")
    GObject.Object.connect(c.display, "display-invalidate", on_invalidate)
    if not c.wait(lambda: state["clock"] and state["level"] is not None, 30):
        raise SystemExit("no frames or no playback clock (clock %s)" % state["clock"])
    c.iterate(4.0)  # the bitrate settles on the link
    rng = random.Random(19)
    lat, missed = [], 0
    b0, t0 = c.display_bytes(), time.monotonic()
    for _ in range(PRESSES):
        c.iterate(rng.uniform(0.2, 0.4))
        count = state["level"]  # a late earlier press has shown by now, or is missed
        want = (count + 1) % 16
        start = time.monotonic()
        c.inputs.key_press(SCANCODE_A)
        c.inputs.key_release(SCANCODE_A)
        if c.wait(lambda: state["level"] == want, 3.0):
            lat.append((time.monotonic() - start) * 1000)
        else:
            missed += 1
    t1, b1 = time.monotonic(), c.display_bytes()
    print(json.dumps({"lat": lat, "missed": missed, "mbit": (b1 - b0) * 8 / (t1 - t0) / 1e6,
                      "seconds": t1 - t0}), flush=True)
    c.close()


def sh(*argv, check=True):
    p = subprocess.run(list(argv), capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError("%s: %s" % (" ".join(argv), p.stderr.strip()))
    return p


def has_netem():
    probe = NS + "p"
    sh("ip", "netns", "add", probe)
    try:
        sh("ip", "netns", "exec", probe, "ip", "link", "set", "lo", "up")
        return sh("ip", "netns", "exec", probe, "tc", "qdisc", "add", "dev", "lo", "root",
                  "netem", "delay", "1ms", check=False).returncode == 0
    finally:
        sh("ip", "netns", "del", probe, check=False)


def link_up():
    """Creates the namespace and the shaped veth pair; returns what shapes it."""
    netem = has_netem()
    sh("ip", "netns", "add", NS)
    sh("ip", "link", "add", VETH_AGENT, "type", "veth", "peer", "name", VETH_CLIENT)
    sh("ip", "link", "set", VETH_CLIENT, "netns", NS)
    sh("ip", "addr", "add", AGENT_IP + "/30", "dev", VETH_AGENT)
    sh("ip", "link", "set", VETH_AGENT, "up")
    sh("ip", "netns", "exec", NS, "ip", "addr", "add", CLIENT_IP + "/30", "dev", VETH_CLIENT)
    sh("ip", "netns", "exec", NS, "ip", "link", "set", VETH_CLIENT, "up")
    sh("ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up")
    if netem:
        sh("tc", "qdisc", "add", "dev", VETH_AGENT, "root", "netem", "rate", "%dmbit" % RATE_MBIT,
           "delay", "30ms", "limit", "1000")
        sh("ip", "netns", "exec", NS, "tc", "qdisc", "add", "dev", VETH_CLIENT, "root", "netem",
           "delay", "30ms")
        return "netem rate %dmbit delay 30ms (30 ms back)" % RATE_MBIT
    sh("tc", "qdisc", "add", "dev", VETH_AGENT, "root", "tbf", "rate", "%dmbit" % RATE_MBIT,
       "burst", "32kb", "latency", "300ms")
    return "tbf rate %dmbit, 300 ms queue (no sch_netem in this kernel: no added delay)" % RATE_MBIT


def link_down():
    sh("ip", "link", "del", VETH_AGENT, check=False)
    sh("ip", "netns", "del", NS, check=False)


def video_stats(agent):
    before = agent.stderr().count("video stats:")
    agent.proc.send_signal(10)
    tdtest.wait_for(lambda: agent.stderr().count("video stats:") > before, 5, what="stats")
    line = [l for l in agent.stderr().splitlines() if "video stats:" in l][-1]
    return {k: int(v) for k, v in (kv.split("=") for kv in line.split("video stats:")[1].split())}


def run_codec(x, codec_args, env):
    port = tdtest.free_port()
    args = ["--listen=%s:%d" % (AGENT_IP, port), "--allow-plain", "--video=stream",
            "--video-bitrate=auto", "--input=xtest"] + codec_args
    with tdtest.Agent(x.display, args=args, env=env) as agent:
        tdtest.wait_for(lambda: "sound server ready" in agent.stderr(), 30,
                        what="the agent's sound server")
        wl = x.run([os.path.join(tdtest.BUILD, "tests", "bench", "x-workload"), "keys", "30",
                    "600"])
        client = subprocess.Popen(["ip", "netns", "exec", NS, sys.executable,
                                   os.path.abspath(__file__), "--client", str(port),
                                   agent.password], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        try:
            # the client's timed part starts after its connection and a 4 s
            # warm-up: take the agent's counters at about that moment
            time.sleep(6)
            s0, t0 = video_stats(agent), time.monotonic()
            out, err = client.communicate(timeout=240)
            s1, t1 = video_stats(agent), time.monotonic()
        finally:
            tdtest.stop_process(client)
            tdtest.stop_process(wl)
        if client.returncode != 0:
            raise AssertionError("client failed: %s\n%s" % (client.returncode, err[-3000:]))
    r = json.loads(out.strip().splitlines()[-1])
    r["agent_mbit"] = (s1["jpeg_bytes"] - s0["jpeg_bytes"]) * 8 / (t1 - t0) / 1e6
    r["end"] = s1
    return r


def main():
    if "--client" in sys.argv:
        i = sys.argv.index("--client")
        client_main(int(sys.argv[i + 1]), sys.argv[i + 2])
        return
    if os.geteuid() != 0:
        print("SKIP: needs root (network namespaces, tc)")
        sys.exit(77)
    tdtest.skip_unless_tools("Xvfb", "ip", "tc", "pulseaudio")
    help_text = subprocess.run([tdtest.AGENT, "--help"], capture_output=True, text=True).stdout
    codecs = [("mjpeg", [])]
    if "--video-codec" in help_text:
        codecs = [("mjpeg", ["--video-codec=mjpeg"]), ("h264", ["--video-codec=h264"])]
    import soundserver
    try:
        shaping = link_up()
        print("link:", shaping, flush=True)
        with tdtest.Xvfb(W, H) as x, soundserver.PulseAudio() as pa:
            env = {"PULSE_SERVER": pa.env["PULSE_SERVER"]}
            failures = []
            for name, extra in codecs:
                r = run_codec(x, extra, env)
                lat = sorted(r["lat"])
                p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))] if lat else float("inf")
                print("%s: %d presses measured, %d missed; key-to-pixel median %.1f ms, p95 %.1f "
                      "ms; client received %.2f Mbit/s, agent encoded %.2f Mbit/s; agent at the "
                      "end: %d kbit/s, %d fps, quality %d, link estimate %d kbit/s, queue %.1f ms"
                      % (name, len(lat), r["missed"], statistics.median(lat) if lat else -1, p95,
                         r["mbit"], r["agent_mbit"], r["end"]["kbps"], r["end"]["fps"],
                         r["end"]["quality"], r["end"]["link_kbps"],
                         r["end"]["queue_delay_us"] / 1000), flush=True)
                if r["missed"] > PRESSES // 20:
                    failures.append("%s: %d key presses never showed" % (name, r["missed"]))
                if p95 >= 150:
                    failures.append("%s: key-to-pixel p95 %.1f ms (>= 150)" % (name, p95))
                if r["mbit"] > RATE_MBIT or r["agent_mbit"] > RATE_MBIT * 1.02:
                    failures.append("%s: above the link's rate (client %.2f, agent %.2f Mbit/s)"
                                    % (name, r["mbit"], r["agent_mbit"]))
                if r["end"]["queue_delay_us"] > 100 * 1000:
                    failures.append("%s: a queue of %.0f ms in front of the client"
                                    % (name, r["end"]["queue_delay_us"] / 1000))
            if failures:
                raise AssertionError("; ".join(failures))
    finally:
        link_down()
    print("ok")


if __name__ == "__main__":
    main()
