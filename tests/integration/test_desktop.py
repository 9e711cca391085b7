#!/usr/bin/python3
"""The agent serves a real X desktop to stock SPICE clients, pixel-exact."""

import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402


def busy_desktop(x):
    """Puts something on the screen that is not a flat colour."""
    x.check(["xsetroot", "-solid", "#336699"])
    x.run(["xterm", "-geometry", "80x24+20+30", "-bg", "white", "-fg", "black",
           "-e", "sh", "-c", "ls -l /usr/bin | head -40; sleep 600"])
    x.run(["xterm", "-geometry", "60x10+500+300", "-bg", "#ffffe0", "-e", "sh", "-c",
           "seq 1 30; sleep 600"])


def window_ids(x, name):
    p = subprocess.run(["xdotool", "search", "--class", name], env=x.env, capture_output=True,
                       text=True)
    return p.stdout.split()


class DesktopTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "spicy-screenshot", "import", "compare", "xterm",
                                 "xsetroot", "xdotool")
        self.tmp = tempfile.mkdtemp(prefix="thindesk-desktop-")

    def assert_screenshot_matches(self, x, agent, tag):
        got = os.path.join(self.tmp, tag + "-got.ppm")
        src = os.path.join(self.tmp, tag + "-src.ppm")
        rc, out = tdtest.spicy_screenshot(agent.port, agent.password, got)
        self.assertEqual(rc, 0, "spicy-screenshot failed: " + out)
        tdtest.grab_root(x.display, src)
        self.assertEqual(tdtest.image_size(got), x.size)
        self.assertEqual(tdtest.compare_ae(got, src), 0, "client frame differs from the display")

    def check_size(self, w, h):
        with tdtest.Xvfb(w, h) as x:
            busy_desktop(x)
            time.sleep(1.5)  # let the terminals draw, then the desktop is frozen
            with tdtest.Agent(x.display) as agent:
                self.assert_screenshot_matches(x, agent, "%dx%d" % (w, h))
                # Change the desktop: a new background and a moved window.
                x.check(["xsetroot", "-solid", "#884422"])
                for wid in window_ids(x, "xterm")[:1]:
                    subprocess.run(["xdotool", "windowmove", wid, "300", "200"], env=x.env)
                time.sleep(1.0)
                self.assert_screenshot_matches(x, agent, "%dx%d-changed" % (w, h))

    def test_1280x720_exact(self):
        self.check_size(1280, 720)

    def test_1920x1080_exact(self):
        self.check_size(1920, 1080)

    def test_live_updates_reach_connected_client(self):
        """One client stays connected while the desktop changes: the damage
        path (not a reconnect) must bring its frame back to pixel-exact."""
        import spiceclient
        with tdtest.Xvfb(1280, 720) as x:
            busy_desktop(x)
            time.sleep(1.5)
            with tdtest.Agent(x.display) as agent:
                c = spiceclient.Client(agent.port, agent.password)
                try:
                    self.assertTrue(c.wait(lambda: c.primary() is not None, 15),
                                    "no frame at the client")
                    src = os.path.join(self.tmp, "live-src.ppm")
                    got = os.path.join(self.tmp, "live-got.ppm")
                    for step, colour in enumerate(["#112233", "#445566", "#aa3300"]):
                        x.check(["xsetroot", "-solid", colour])
                        wids = window_ids(x, "xterm")
                        if wids:
                            subprocess.run(["xdotool", "windowmove", wids[0], str(40 + 90 * step),
                                            str(60 + 50 * step)], env=x.env)
                        time.sleep(0.3)
                        tdtest.grab_root(x.display, src)

                        def matches():
                            c.save_ppm(got)
                            return tdtest.compare_ae(got, src) == 0
                        self.assertTrue(c.wait(matches, 10),
                                        "step %d: frame never matched the display" % step)
                finally:
                    c.close()

    def test_randr_resize_recreates_surface(self):
        """The X screen changes size under a connected client: the surface is
        recreated at the new size and no stale frame remains."""
        import spiceclient
        with tdtest.Xvfb(1280, 720) as x:
            busy_desktop(x)
            time.sleep(1.0)
            with tdtest.Agent(x.display) as agent:
                c = spiceclient.Client(agent.port, agent.password)
                src = os.path.join(self.tmp, "resize-src.ppm")
                got = os.path.join(self.tmp, "resize-got.ppm")
                try:
                    self.assertTrue(c.wait(lambda: c.primary() is not None, 15))
                    for (w, h) in [(1024, 600), (800, 600), (1280, 720)]:
                        # Xvfb resizes its framebuffer with --fb (its CRTC may
                        # complain about the size; the screen changes anyway).
                        subprocess.run(["xrandr", "--fb", "%dx%d" % (w, h)], env=x.env,
                                       capture_output=True)
                        x.check(["xsetroot", "-solid", "#%02x6040" % (w // 8 % 256)])
                        time.sleep(0.3)

                        def follows():
                            prim = c.primary()
                            if not prim or prim[:2] != (w, h):
                                return False
                            tdtest.grab_root(x.display, src)
                            if tdtest.image_size(src) != (w, h):
                                return False
                            c.save_ppm(got)
                            return tdtest.compare_ae(got, src) == 0
                        self.assertTrue(c.wait(follows, 15),
                                        "client did not follow the resize to %dx%d" % (w, h))
                    self.assertIsNone(agent.proc.poll(), "the agent died during resizes")
                finally:
                    c.close()
                self.assert_screenshot_matches(x, agent, "after-resize")

    def test_cursor_shape_reaches_client(self):
        import spiceclient
        with tdtest.Xvfb(1024, 768) as x:
            with tdtest.Agent(x.display) as agent:
                c = spiceclient.Client(agent.port, agent.password)
                try:
                    self.assertTrue(c.wait(lambda: c.cursor_shapes, 15), "no cursor-set")
                    w, h, hx, hy = c.cursor_shapes[-1]
                    self.assertGreater(w, 0)
                    self.assertGreater(h, 0)
                    self.assertLess(hx, w)
                    self.assertLess(hy, h)
                    # A window with another cursor under the pointer changes the shape.
                    x.run(["xterm", "-geometry", "200x80+0+0"])
                    time.sleep(1.0)
                    subprocess.run(["xdotool", "mousemove", "200", "200"], env=x.env)
                    n = len(c.cursor_shapes)
                    self.assertTrue(c.wait(lambda: len(c.cursor_shapes) > n, 10),
                                    "cursor change did not reach the client")
                finally:
                    c.close()


if __name__ == "__main__":
    tdtest.main()
