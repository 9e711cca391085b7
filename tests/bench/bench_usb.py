#!/usr/bin/python3
"""usb: MB/s reading spice-gtk's emulated USB CD through the agent's bridge
(usbredir -> USB/IP -> the fake kernel side reading every sector with
READ(10), one request in flight, as usb-storage does), against reading the
same ISO file locally in the same run with the same request size.
THINDESK_BENCH_USB_MB sets the ISO size (default 32), THINDESK_BENCH_RUNS the
number of runs (default 3)."""

import os
import re
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402,F401
from benchlib import tdtest  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from usbclient import UsbClient, make_iso  # noqa: E402

MB = int(os.environ.get("THINDESK_BENCH_USB_MB", "32"))
RUNS = int(os.environ.get("THINDESK_BENCH_RUNS", "3"))
CHUNK = 65536  # the fake kernel side's READ(10) size


def local_read(path):
    t0 = time.monotonic()
    n = 0
    with open(path, "rb", buffering=0) as f:
        while True:
            b = f.read(CHUNK)
            if not b:
                break
            n += len(b)
    return n / 1e6 / (time.monotonic() - t0)


def bridge_read(iso, size):
    args = ["--capture=fake", "--input=fake", "--usb-attach=fake", "--usb-channels=1"]
    with tdtest.Agent(args=args) as agent:
        client = UsbClient(agent.port, agent.password)
        client.share_cd(iso)
        pat = re.compile(r"read (\d+) bytes in ([\d.]+) s")
        m = client.wait(lambda: pat.search(agent.stderr()), 600)
        if not m:
            raise AssertionError("the fake kernel side never finished:\n" + agent.stderr())
        if int(m.group(1)) != size:
            raise AssertionError("read %s bytes of %d" % (m.group(1), size))
        client.disconnect()
        return int(m.group(1)) / 1e6 / float(m.group(2))


def main():
    tmp = tempfile.mkdtemp(prefix="thindesk-bench-usb-")
    try:
        iso = os.path.join(tmp, "cd.iso")
        size = len(make_iso(iso, MB * 1024 * 1024))
        local_read(iso)  # warm the page cache: spice-gtk reads it cached too
        bridge, local = [], []
        for _ in range(RUNS):
            bridge.append(bridge_read(iso, size))
            local.append(local_read(iso))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    mb, ml = statistics.median(bridge), statistics.median(local)
    print("usb benchmark: %.1f MB ISO shared by spice-gtk as a USB CD, %d runs, "
          "%d KiB reads" % (size / 1e6, RUNS, CHUNK // 1024))
    print("| path | MB/s median | min | max |")
    print("|---|---|---|---|")
    print("| through the bridge (spice-gtk -> usbredir -> USB/IP -> fake kernel) "
          "| %.1f | %.1f | %.1f |" % (mb, min(bridge), max(bridge)))
    print("| local read of the ISO (page cache) | %.0f | %.0f | %.0f |"
          % (ml, min(local), max(local)))
    print("ratio bridge/local: %.4f" % (mb / ml))


if __name__ == "__main__":
    main()
