#!/usr/bin/python3
"""soak: the agent's resident memory, open file descriptors and threads over
a scripted session with periodic reconnects (30 minutes by default;
THINDESK_BENCH_SECONDS shortens it). Each round: a spice-gtk client connects,
watches a terminal that keeps printing for ~15 s and leaves; then 20 raw
SPICE logins connect and go (half of them with a TCP reset) and one wrong
password is tried. Prints one row a minute (or per round when shorter) and
the growth from the first minute to the end; it never fails on numbers."""

import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import tdtest  # noqa: E402

SECONDS = float(os.environ.get("THINDESK_BENCH_SECONDS", "1800"))

CLIENT = r"""
import sys, spiceclient
c = spiceclient.Client(int(sys.argv[1]), sys.argv[2])
got = c.wait(lambda: c.primary() is not None, 30)
c.iterate(float(sys.argv[3]))
print("FRAME" if got else "NOFRAME", c.display_bytes())
c.close()
"""


def status(pid):
    with open("/proc/%d/status" % pid) as f:
        text = f.read()
    rss = int(re.search(r"VmRSS:\s+(\d+)", text).group(1))
    threads = int(re.search(r"Threads:\s+(\d+)", text).group(1))
    fds = len(os.listdir("/proc/%d/fd" % pid))
    return rss, fds, threads


def main():
    tdtest.skip_unless_tools("Xvfb", "xterm")
    import spicelink
    x = tdtest.Xvfb(1280, 720)
    try:
        x.run(["xterm", "-geometry", "100x40+0+0", "-e", "sh", "-c",
               "while :; do date; ls -l /usr/bin | head -40; sleep 0.3; done"])
        time.sleep(1)
        with tdtest.Agent(x.display) as agent:
            pid = agent.proc.pid
            start = time.monotonic()
            rows = []
            rounds = frames = logins = 0
            next_row = 0.0
            row_every = 60.0 if SECONDS >= 600 else 20.0
            print("%8s %7s %10s %5s %8s %7s %7s" % ("time s", "rounds", "RSS kB", "fds",
                                                     "threads", "frames", "logins"))
            while time.monotonic() - start < SECONDS:
                p = subprocess.run(["/usr/bin/python3", "-c", CLIENT, str(agent.port),
                                    agent.password, "15"], cwd=os.path.join(HERE, "..",
                                                                             "integration"),
                                   capture_output=True, text=True, timeout=120)
                frames += p.stdout.startswith("FRAME")
                for i in range(20):
                    result, sock = spicelink.login(agent.port, agent.password, keep=True)
                    logins += result == 0
                    if i % 2:
                        spicelink.reset(sock)
                    else:
                        sock.close()
                spicelink.login(agent.port, "wrong-password")
                rounds += 1
                elapsed = time.monotonic() - start
                if elapsed >= next_row:
                    rss, fds, threads = status(pid)
                    rows.append((elapsed, rss, fds, threads))
                    print("%8.0f %7d %10d %5d %8d %7d %7d" % (elapsed, rounds, rss, fds, threads,
                                                              frames, logins), flush=True)
                    next_row += row_every
            rss, fds, threads = status(pid)
            elapsed = time.monotonic() - start
            rows.append((elapsed, rss, fds, threads))
            print("%8.0f %7d %10d %5d %8d %7d %7d" % (elapsed, rounds, rss, fds, threads,
                                                      frames, logins))
            base = rows[1] if len(rows) > 2 else rows[0]
            print("growth from %.0f s to %.0f s: RSS %+d kB (%+.1f%%), fds %+d, threads %+d; "
                  "%d rounds, %d of %d client sessions got a frame, %d raw logins" %
                  (base[0], elapsed, rss - base[1], 100.0 * (rss - base[1]) / base[1],
                   fds - base[2], threads - base[3], rounds, frames, rounds, logins))
    finally:
        x.stop()


if __name__ == "__main__":
    main()
