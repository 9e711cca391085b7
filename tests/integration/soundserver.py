"""A private PulseAudio for audio tests: its own runtime, state and socket
directory, so it never meets the machine's sound server. Works as root
(pulseaudio warns, then runs as a per-user daemon with -n and our own
config). Standard library only."""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import wave
import math
import struct

import tdtest


def skip_unless_pulseaudio():
    tdtest.skip_unless_tools("pulseaudio", "pactl", "paplay", "parecord")


class PulseAudio:
    """`env` points clients (pactl, paplay, the agent) at this server."""

    def __init__(self, directory=None):
        self.dir = directory or tempfile.mkdtemp(prefix="thindesk-pulse-")
        self.socket = os.path.join(self.dir, "native")
        self.log_path = os.path.join(self.dir, "pulseaudio.log")
        self.config = os.path.join(self.dir, "default.pa")
        with open(self.config, "w") as f:
            f.write("load-module module-native-protocol-unix socket=%s auth-anonymous=1\n"
                    % self.socket)
            # Something to fall back to, like a desktop's real sound card.
            f.write("load-module module-null-sink sink_name=speakers rate=48000 "
                    "sink_properties=device.description=speakers\n")
        self.env = dict(os.environ, PULSE_SERVER="unix:" + self.socket,
                        PULSE_RUNTIME_PATH=os.path.join(self.dir, "runtime"),
                        PULSE_STATE_PATH=os.path.join(self.dir, "state"),
                        HOME=self.dir)
        self.env.pop("DISPLAY", None)
        self.proc = None
        self.start()

    def start(self):
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            ["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "--system=false",
             "--use-pid-file=no", "--disallow-exit=yes", "-n", "-F", self.config,
             "--log-target=stderr", "--log-level=warning"],
            env=self.env, stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        tdtest.wait_for(lambda: self.proc.poll() is not None or self.pactl_ok("info"), 20,
                        what="pulseaudio to answer")
        if self.proc.poll() is not None:
            raise RuntimeError("pulseaudio exited:\n" + self.read_log())

    def kill(self):
        """Kills the server the hard way (like a crash)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.log.close()

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def pactl_ok(self, *args):
        p = subprocess.run(["pactl", *args], env=self.env, capture_output=True, timeout=10)
        return p.returncode == 0

    def pactl(self, *args):
        p = subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True,
                           timeout=10)
        if p.returncode != 0:
            raise AssertionError("pactl %s failed: %s" % (" ".join(args), p.stderr))
        return p.stdout

    def names(self, kind):
        """Names from `pactl list short sinks|sources`."""
        return [line.split("\t")[1] for line in self.pactl("list", "short", kind).splitlines()
                if "\t" in line]

    def default(self, kind):
        return self.pactl("get-default-" + kind).strip()

    def stop(self):
        if self.proc:
            tdtest.stop_process(self.proc)
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def skip_unless_pipewire():
    tdtest.skip_unless_tools("pipewire", "pipewire-pulse", "wireplumber", "dbus-daemon",
                             "pactl", "paplay")


class PipeWire(PulseAudio):
    """PipeWire with its pulse server and WirePlumber, private like
    PulseAudio above: its own runtime directory, D-Bus session bus (which
    WirePlumber needs) and state. A null sink "speakers" stands for the
    desktop's sound card, as in PulseAudio's configuration."""

    def start(self):
        rt = os.path.join(self.dir, "runtime")
        os.makedirs(rt, mode=0o700, exist_ok=True)
        bus = os.path.join(rt, "bus")
        self.env.update(XDG_RUNTIME_DIR=rt, PIPEWIRE_RUNTIME_DIR=rt,
                        PULSE_RUNTIME_PATH=os.path.join(rt, "pulse"),
                        XDG_CONFIG_HOME=os.path.join(self.dir, "config"),
                        XDG_STATE_HOME=os.path.join(self.dir, "state"),
                        DBUS_SESSION_BUS_ADDRESS="unix:path=" + bus,
                        PULSE_SERVER="unix:" + os.path.join(rt, "pulse", "native"))
        self.socket = os.path.join(rt, "pulse", "native")
        self.log = open(self.log_path, "a")
        self.procs = []

        def spawn(*argv):
            self.procs.append(subprocess.Popen(argv, env=self.env, stdout=self.log,
                                               stderr=self.log, stdin=subprocess.DEVNULL))

        if os.path.exists(bus):
            os.unlink(bus)
        spawn("dbus-daemon", "--session", "--nofork", "--address=unix:path=" + bus)
        tdtest.wait_for(lambda: os.path.exists(bus), 10, what="the D-Bus session bus")
        spawn("pipewire")
        tdtest.wait_for(lambda: os.path.exists(os.path.join(rt, "pipewire-0")), 20,
                        what="pipewire to listen")
        spawn("wireplumber")
        spawn("pipewire-pulse")
        self.proc = self.procs[-1]

        def up():
            dead = [p for p in self.procs if p.poll() is not None]
            if dead:
                raise RuntimeError("%s exited:\n%s" % (dead[0].args[0], self.read_log()))
            return self.pactl_ok("info") and "auto_null" in self.pactl("list", "short", "sinks")
        tdtest.wait_for(up, 30, what="PipeWire's pulse server and WirePlumber")
        if "speakers" not in self.names("sinks"):
            self.pactl("load-module", "module-null-sink", "sink_name=speakers",
                       "rate=48000", "sink_properties=device.description=speakers")
            self.pactl("set-default-sink", "speakers")
            tdtest.wait_for(lambda: self.default("sink") == "speakers", 10,
                            what="speakers to be the default sink")

    def kill(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                p.wait()
        self.log.close()

    def stop(self):
        for p in reversed(getattr(self, "procs", [])):
            tdtest.stop_process(p)
        if getattr(self, "procs", None):
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def write_tone(path, freq, seconds, amplitude=0.5, rate=48000, lead_silence=0.0):
    """A stereo S16 WAV: optional silence, then a sine of @freq Hz."""
    n_lead = int(lead_silence * rate)
    n = int(seconds * rate)
    frames = bytearray()
    frames += b"\0\0\0\0" * n_lead
    for i in range(n):
        v = int(amplitude * 32767 * math.sin(2 * math.pi * freq * i / rate))
        frames += struct.pack("<hh", v, v)
    with wave.open(path, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))


def tone_frames(freq, n, start, amplitude=0.5, rate=48000):
    """@n stereo S16 frames of a sine, continuing at frame @start."""
    out = bytearray()
    for i in range(start, start + n):
        v = int(amplitude * 32767 * math.sin(2 * math.pi * freq * i / rate))
        out += struct.pack("<hh", v, v)
    return bytes(out)
