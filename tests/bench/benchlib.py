"""Shared pieces of the benchmarks: process CPU, agent counters, a counting
spice-gtk client."""

import os
import re
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import tdtest  # noqa: E402,F401

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User + system CPU seconds of a process (all its threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def agent_stats(agent):
    """Asks the agent for its counters (SIGUSR1) and parses the log line."""
    before = agent.stderr().count("stats:")
    agent.proc.send_signal(signal.SIGUSR1)
    tdtest.wait_for(lambda: agent.stderr().count("stats:") > before, 5, what="agent stats")
    line = [l for l in agent.stderr().splitlines() if "stats:" in l][-1]
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


def bench_bin(name):
    return os.path.join(tdtest.BUILD, "tests", "bench", name)


class CountingClient:
    """A spice-gtk client that counts display updates and bytes."""

    def __init__(self, port, password, screen_area):
        import spiceclient
        from gi.repository import GObject
        self.c = spiceclient.Client(port, password)
        self.frames = 0
        self.screen_area = screen_area
        ok = self.c.wait(lambda: self.c.display is not None, 15)
        if not ok:
            raise AssertionError("client has no display channel")
        GObject.Object.connect(self.c.display, "display-invalidate", self._on_invalidate)
        self.c.wait(lambda: self.c.primary() is not None, 15)

    def _on_invalidate(self, channel, x, y, w, h):
        # A frame is an update covering most of the screen.
        if w * h * 2 >= self.screen_area:
            self.frames += 1

    def pump(self, seconds):
        self.c.iterate(seconds)

    def bytes(self):
        return self.c.display_bytes()

    def close(self):
        self.c.close()
