#!/usr/bin/python3
"""idle: a static 1920x1080 desktop for 30 s, with no client and with one
client connected. Frames sent must be 0 and the agent's CPU near zero.
Reference: zero. THINDESK_BENCH_SECONDS shortens the run."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import tdtest  # noqa: E402

SECONDS = float(os.environ.get("THINDESK_BENCH_SECONDS", "30"))


def measure(agent, client=None):
    s0, c0 = benchlib.agent_stats(agent), benchlib.cpu_seconds(agent.proc.pid)
    b0 = client.bytes() if client else 0
    if client:
        client.pump(SECONDS)
    else:
        time.sleep(SECONDS)
    s1, c1 = benchlib.agent_stats(agent), benchlib.cpu_seconds(agent.proc.pid)
    b1 = client.bytes() if client else 0
    return {"frames": s1["grabs"] - s0["grabs"], "cpu_pct": (c1 - c0) / SECONDS * 100,
            "bytes": b1 - b0}


def main():
    with tdtest.Xvfb(1920, 1080) as x:
        x.check(["xsetroot", "-solid", "#30405a"])
        x.run(["xterm", "-geometry", "100x30+100+100", "-e", "sh", "-c",
               "ls -l /usr/bin | head -25; sleep 100000"])
        time.sleep(2)
        with tdtest.Agent(x.display) as agent:
            idle_none = measure(agent)
            client = benchlib.CountingClient(agent.port, agent.password, 1920 * 1080)
            client.pump(2)  # the first full frame, then quiet
            idle_one = measure(agent, client)
            client.close()
    print("idle benchmark, 1920x1080 static desktop, %.0f s each" % SECONDS)
    print("| clients | frames sent | bytes to client | agent CPU (% of a core) |")
    print("|---|---|---|---|")
    print("| none | %d | - | %.3f |" % (idle_none["frames"], idle_none["cpu_pct"]))
    print("| one | %d | %d | %.3f |" % (idle_one["frames"], idle_one["bytes"], idle_one["cpu_pct"]))
    ok = (idle_none["frames"] == 0 and idle_one["frames"] == 0 and idle_none["cpu_pct"] < 0.5
          and idle_one["cpu_pct"] < 0.5)
    print("target (0 frames, < 0.5%% CPU): %s" % ("met" if ok else "NOT met"))


if __name__ == "__main__":
    main()
