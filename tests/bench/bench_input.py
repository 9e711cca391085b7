#!/usr/bin/python3
"""Input latency: from the inputs channel's keyboard callback work (scancode
byte -> keymap decoder -> injector) to the injected event, median and p95
over 10,000 events, for the fake and xtest backends. For xtest the event
counts as injected when an X client receives it; the same-run reference is
raw XTEST requests from xcb to the same X client. uinput needs /dev/uinput
(the guest tier)."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import tdtest  # noqa: E402

TOOL = os.path.join(tdtest.BUILD, "tests", "bench", "input-latency")
N = int(os.environ.get("THINDESK_BENCH_INPUT_EVENTS", "10000"))


def run(args, env=None):
    p = subprocess.run([TOOL] + args + [str(N)], env=env, capture_output=True, text=True,
                       timeout=1200)
    if p.returncode != 0:
        raise SystemExit("input-latency failed: " + p.stderr)
    return p.stdout.strip().splitlines()


def main():
    lines = run(["fake"])
    with tdtest.Xvfb(1920, 1080) as x:
        lines += run(["xtest"], env=x.env)
    for line in lines:
        print(line)
    figures = {ln.split()[0]: dict(kv.split("=") for kv in ln.split()[1:]) for ln in lines}
    ours, ref = figures["xtest"], figures["xtest-reference-raw-xcb"]
    print("xtest median / raw-xcb median = %.2f" % (float(ours["median_us"]) /
                                                    float(ref["median_us"])))
    if not os.access("/dev/uinput", os.W_OK):
        print("uinput: not measured here (no writable /dev/uinput; see the guest tier)")


if __name__ == "__main__":
    main()
