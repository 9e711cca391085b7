#!/usr/bin/python3
"""Guest tier, display: the agent in a QEMU guest (Debian's kernel, fake
capture, no X) serves its frame to spicy-screenshot on the host through QEMU's
port forwarding, and the frame equals, pixel for pixel, what
display/fake-pattern.c draws."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guest  # noqa: E402


def read_ppm(path):
    """(width, height, RGB bytes) of a binary PPM with maxval 255."""
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pos += 1  # the single whitespace after maxval
    if fields[0] != b"P6" or fields[3] != b"255":
        raise AssertionError("%s: not a P6 PPM with maxval 255" % path)
    w, h = int(fields[1]), int(fields[2])
    pixels = data[pos:pos + w * h * 3]
    if len(pixels) != w * h * 3:
        raise AssertionError("%s: truncated" % path)
    return w, h, pixels


def differing_pixels(a, b):
    return sum(1 for i in range(0, len(a), 3) if a[i:i + 3] != b[i:i + 3])


class GuestDisplayTest(unittest.TestCase):
    def setUp(self):
        if not shutil.which("spicy-screenshot"):
            self.skipTest("spicy-screenshot is not installed (package spice-client-gtk)")
        self.tmp = tempfile.mkdtemp(prefix="thindesk-guest-display-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def screenshot(self, g, password, out):
        t = time.monotonic()
        p = subprocess.run(["spicy-screenshot", "-h", "127.0.0.1", "-p", str(g.port),
                            "-w", password, "-o", out],
                           capture_output=True, text=True, timeout=120)
        print("guest: spicy-screenshot took %.1f s" % (time.monotonic() - t), flush=True)
        return p

    def test_fake_frame_reaches_host_client_exactly(self):
        """One guest (each boot costs seconds under TCG): a wrong password gets
        nothing, the right one gets the fake backend's frame, pixel-exact."""
        size = "1280x720"
        want = os.path.join(self.tmp, "want.ppm")
        subprocess.run([os.path.join(guest.TOOLS, "fake-pattern-ppm"), "static", "0", size, want],
                       check=True)
        refused = os.path.join(self.tmp, "refused.ppm")
        got = os.path.join(self.tmp, "got.ppm")
        with guest.Guest("display", size=size) as g:
            # The agent listens on 0.0.0.0 in the guest: it must insist on its password.
            p = self.screenshot(g, g.password + "x", refused)
            self.assertNotEqual(p.returncode, 0, "a wrong password got a frame")
            self.assertFalse(os.path.exists(refused) and os.path.getsize(refused) > 0)
            p = self.screenshot(g, g.password, got)
            self.assertEqual(p.returncode, 0, "spicy-screenshot failed:\n" + p.stdout + p.stderr)
            g.wait_clients_gone()
            results = g.stop()
        self.assertEqual(results.get("agent-exit"), "0",
                         "the agent in the guest did not exit cleanly")
        # The guest ran Debian's stock kernel with the paths later scenarios use.
        with open(os.path.join(guest.IMAGE, "kernel-release")) as f:
            self.assertEqual(results.get("kernel"), f.read().strip())
        self.assertEqual(results.get("uinput"), "yes", "no /dev/uinput in the guest")
        self.assertEqual(results.get("vhci"), "yes", "no vhci_hcd attach file in the guest")
        gw, gh, gpx = read_ppm(got)
        ww, wh, wpx = read_ppm(want)
        self.assertEqual((gw, gh), (ww, wh), "frame size at the client")
        if gpx != wpx:
            self.fail("%d of %d pixels differ from the fake pattern" % (
                differing_pixels(gpx, wpx), ww * wh))


if __name__ == "__main__":
    guest.test_main()
