#!/usr/bin/python3
"""Benchmark (label bench, prints numbers, never fails on time): audio from
the guest to a real spice-gtk client through thindesk-agent.

- onset: a player in the guest writes silence to the sink "thindesk" in
  real time, then a tone. The tone starts in the guest when the sound server
  plays its first sample: write time + the stream latency libpulse reports.
  It starts at the client when the playback-data chunk with its first loud
  sample arrives. Between runs the desktop is silent long enough for the
  agent to stop the playback stream, so each run includes the stream start.
- CPU: the agent's user+system CPU during N seconds of continuous tone,
  against the same N seconds of silence (client connected) in the same run.

Usage: tests/bench/bench_audio.py [--runs=20] [--cpu-seconds=10]"""

import argparse
import ctypes
import os
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import tdtest  # noqa: E402
import soundserver  # noqa: E402
import audioclient  # noqa: E402

RATE = 48000
BLOCK = 480  # 10 ms


class _SampleSpec(ctypes.Structure):
    _fields_ = [("format", ctypes.c_int), ("rate", ctypes.c_uint32),
                ("channels", ctypes.c_uint8)]


class _BufferAttr(ctypes.Structure):
    _fields_ = [("maxlength", ctypes.c_uint32), ("tlength", ctypes.c_uint32),
                ("prebuf", ctypes.c_uint32), ("minreq", ctypes.c_uint32),
                ("fragsize", ctypes.c_uint32)]


class Player(threading.Thread):
    """Plays silence, or a tone when asked, into a sink in 10 ms blocks."""

    def __init__(self, sink):
        super().__init__(daemon=True)
        lib = ctypes.CDLL("libpulse-simple.so.0")
        lib.pa_simple_new.restype = ctypes.c_void_p
        lib.pa_simple_new.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int,
                                      ctypes.c_char_p, ctypes.c_char_p,
                                      ctypes.POINTER(_SampleSpec), ctypes.c_void_p,
                                      ctypes.POINTER(_BufferAttr),
                                      ctypes.POINTER(ctypes.c_int)]
        lib.pa_simple_write.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                                        ctypes.POINTER(ctypes.c_int)]
        lib.pa_simple_get_latency.restype = ctypes.c_uint64
        lib.pa_simple_get_latency.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
        lib.pa_simple_free.argtypes = [ctypes.c_void_p]
        self.lib = lib
        ss = _SampleSpec(3, RATE, 2)  # PA_SAMPLE_S16LE
        ms = 4 * RATE // 1000
        attr = _BufferAttr(0xffffffff, 20 * ms, 0xffffffff, 0xffffffff, 0xffffffff)
        err = ctypes.c_int(0)
        self.pa = lib.pa_simple_new(None, b"thindesk-bench", 1, sink.encode(), b"tone",
                                    ctypes.byref(ss), None, ctypes.byref(attr),
                                    ctypes.byref(err))
        if not self.pa:
            raise RuntimeError("pa_simple_new failed: %d" % err.value)
        self.silence = b"\0" * (4 * BLOCK)
        self.tone_blocks = 0
        self.tone_pos = 0
        self.lock = threading.Lock()
        self.onsets = []  # guest onset times, monotonic
        self.writes = []  # times the first tone block was handed to libpulse
        self.stop_flag = False

    def tone(self, seconds, freq=440):
        with self.lock:
            self.freq = freq
            self.tone_blocks = int(seconds * 100)
            self.tone_pos = 0
            self.onset_pending = True

    def run(self):
        err = ctypes.c_int(0)
        while not self.stop_flag:
            with self.lock:
                playing = self.tone_blocks > 0
                if playing:
                    data = soundserver.tone_frames(self.freq, BLOCK, self.tone_pos, 0.5)
                    self.tone_pos += BLOCK
                    self.tone_blocks -= 1
                    first = self.onset_pending
                    self.onset_pending = False
            if not playing:
                data, first = self.silence, False
            if first:
                latency = self.lib.pa_simple_get_latency(self.pa, ctypes.byref(err))
                now = time.monotonic()
                self.writes.append(now)
                self.onsets.append(now + latency / 1e6)
            if self.lib.pa_simple_write(self.pa, data, len(data), ctypes.byref(err)) < 0:
                raise RuntimeError("pa_simple_write failed: %d" % err.value)

    def close(self):
        self.stop_flag = True
        self.join(2)
        self.lib.pa_simple_free(self.pa)


class MonitorTap(threading.Thread):
    """parec on a monitor with 5 ms latency: times when sound appears there."""

    def __init__(self, env, source):
        super().__init__(daemon=True)
        import subprocess
        self.proc = subprocess.Popen(["parec", "--device=" + source, "--format=s16le",
                                      "--rate=48000", "--channels=2", "--latency-msec=5"],
                                     env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.loud = []  # monotonic times of reads with a loud sample
        self.start()

    def run(self):
        while True:
            data = os.read(self.proc.stdout.fileno(), 960)
            if not data:
                return
            if audioclient.onset_index(audioclient.mono(data), 1000) is not None:
                self.loud.append(time.monotonic())

    def first_after(self, since):
        return next((t for t in self.loud if t >= since), None)

    def close(self):
        tdtest.stop_process(self.proc)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def client_onset(client, since):
    """Arrival time of the first chunk after @since with a loud sample."""
    for t, data in client.chunks:
        if t >= since and audioclient.onset_index(audioclient.mono(data), 1000) is not None:
            return t
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--cpu-seconds", type=float, default=10.0)
    args = ap.parse_args()
    try:
        tdtest.skip_unless_tools("pulseaudio", "pactl")
    except Exception as e:  # unittest.SkipTest
        print("SKIP: %s" % e)
        return 77
    with soundserver.PulseAudio() as pa:
        os.environ["PULSE_SERVER"] = pa.env["PULSE_SERVER"]
        agent = tdtest.Agent(args=["--capture=fake"], env={"PULSE_SERVER": pa.env["PULSE_SERVER"]})
        try:
            tdtest.wait_for(lambda: "sound server ready" in agent.stderr(), 20,
                            what="the agent's sound set-up")
            client = audioclient.AudioClient(agent.port, agent.password)
            if not client.wait(lambda: client.playback, 30):
                raise AssertionError("no playback channel")
            player = Player("thindesk")
            player.start()
            client.iterate(1.5)

            latencies, from_write, cold = [], [], 0
            for _ in range(args.runs):
                starts = len(client.playback_starts)
                since = time.monotonic()
                player.tone(0.3)
                if not client.wait(lambda: client_onset(client, since), 10):
                    raise AssertionError("the tone never reached the client")
                arrived = client_onset(client, since)
                latencies.append((arrived - player.onsets[-1]) * 1000)
                from_write.append((arrived - player.writes[-1]) * 1000)
                cold += len(client.playback_starts) > starts
                client.wait(lambda: False, 1.6)  # the agent stops the stream after 1 s silence
                client.chunks.clear()

            # Cold: a new paplay stream each run, so the agent also uncorks
            # its monitor stream. Reference: a 5 ms parec on the same monitor.
            player.close()
            client.iterate(1.5)
            wav = os.path.join(pa.dir, "tone.wav")
            soundserver.write_tone(wav, 440, 0.3, 0.5)
            tap = MonitorTap(pa.env, "thindesk.monitor")
            client.iterate(0.5)
            cold_lat = []
            import subprocess
            for _ in range(args.runs):
                since = time.monotonic()
                # Popen, not run: the client must keep iterating to timestamp chunks.
                paplay = subprocess.Popen(["paplay", "--device=thindesk", wav], env=pa.env)
                if not client.wait(lambda: client_onset(client, since) and tap.first_after(since), 10):
                    raise AssertionError("the cold tone never reached the client")
                client.wait(lambda: paplay.poll() is not None, 10)
                cold_lat.append((client_onset(client, since) - tap.first_after(since)) * 1000)
                client.wait(lambda: False, 1.6)
                client.chunks.clear()
            tap.close()
            n = args.cpu_seconds
            client.iterate(1.5)
            c0 = cpu_seconds(agent.proc.pid)
            client.iterate(n)
            no_stream = cpu_seconds(agent.proc.pid) - c0
            player = Player("thindesk")
            player.start()

            client.iterate(1.5)
            c0 = cpu_seconds(agent.proc.pid)
            client.iterate(n)
            idle = cpu_seconds(agent.proc.pid) - c0
            player.tone(n + 1.0)
            client.iterate(0.5)
            c0 = cpu_seconds(agent.proc.pid)
            received0 = sum(len(d) for _, d in client.chunks)
            client.iterate(n)
            busy = cpu_seconds(agent.proc.pid) - c0
            received = (sum(len(d) for _, d in client.chunks) - received0) / 4 / RATE
            player.close()
            client.close()
        finally:
            agent.stop()

    lat = sorted(latencies)
    print("audio onset guest->client over %d runs (%d started a stopped stream): "
          "median %.1f ms, min %.1f, p95 %.1f, max %.1f"
          % (len(lat), cold, statistics.median(lat), lat[0], lat[int(0.95 * (len(lat) - 1))],
             lat[-1]))
    w = sorted(from_write)
    print("  (from the player's write call, including the guest stream's own buffer: "
          "median %.1f ms, min %.1f, max %.1f)" % (statistics.median(w), w[0], w[-1]))
    c = sorted(cold_lat)
    print("cold onset (new paplay stream each run, agent monitor stream corked before), "
          "client minus a 5 ms parec on the same monitor: median %.1f ms, min %.1f, max %.1f"
          % (statistics.median(c), c[0], c[-1]))
    print("agent CPU: %.2f ms per second of audio (tone %.1f s: %.3f s CPU; "
          "client received %.1f s) vs %.2f ms/s while a guest stream plays silence and "
          "%.2f ms/s with no guest stream (client connected, same run)"
          % (busy / n * 1000, n, busy, received, idle / n * 1000, no_stream / n * 1000))
    return 0


if __name__ == "__main__":
    sys.exit(main())
