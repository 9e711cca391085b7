#!/usr/bin/python3
"""Clients resize the desktop through the agent channel: a real spice-gtk
client (Python GI) and remote-viewer send monitors configs, the agent lays out
the Xorg dummy server's outputs with RandR, and the frame the client holds
follows, pixel-exact."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402


def busy_desktop(x):
    x.check(["xsetroot", "-solid", "#336699"])
    x.run(["xterm", "-geometry", "80x24+20+30", "-bg", "white", "-fg", "black",
           "-e", "sh", "-c", "ls -l /usr/bin | head -40; sleep 600"])


def pointer(x):
    out = x.check(["xdotool", "getmouselocation", "--shell"]).stdout.decode()
    vals = dict(line.split("=", 1) for line in out.split())
    return (int(vals["X"]), int(vals["Y"]))


def frame_size(c):
    prim = c.primary()
    return prim[:2] if prim else None


class ResizeTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("xrandr", "xterm", "xsetroot", "import", "compare",
                                 "spicy-screenshot")
        self.tmp = tempfile.mkdtemp(prefix="thindesk-resize-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def connect(self, agent):
        """A spice-gtk client with the agent channel up; tests close it
        before the agent stops."""
        import spiceclient
        c = spiceclient.Client(agent.port, agent.password)
        self.addCleanup(c.close)
        self.assertTrue(c.wait(lambda: c.main is not None and
                               c.main.get_property("agent-connected"), 30),
                        "the client never saw the agent channel")
        self.assertTrue(c.wait(lambda: c.primary() is not None, 30), "no frame at the client")
        return c

    def send_monitors(self, c, monitors):
        """monitors: [(w, h, x, y)] for displays 0..n-1; the others off."""
        m = c.main
        for i in range(4):
            m.update_display_enabled(i, i < len(monitors), False)
        for i, (w, h, x, y) in enumerate(monitors):
            m.update_display(i, x, y, w, h, False)
        self.assertTrue(m.send_monitor_config())

    def wait_frame_matches(self, x, c, tag, timeout=30):
        """The client's frame equals the X screen, pixel for pixel."""
        src = os.path.join(self.tmp, tag + "-src.ppm")
        got = os.path.join(self.tmp, tag + "-got.ppm")
        deadline = time.monotonic() + timeout
        ae = None
        while time.monotonic() < deadline:
            c.iterate(0.3)
            tdtest.grab_root(x.display, src)
            c.save_ppm(got)
            if tdtest.image_size(got) == tdtest.image_size(src):
                ae = tdtest.compare_ae(got, src)
                if ae == 0:
                    return
        self.fail("%s: client frame differs from the X screen (%s pixels)" % (tag, ae))

    def test_client_sets_one_then_two_monitors(self):
        with tdtest.Xorg(1024, 768) as x:
            busy_desktop(x)
            time.sleep(1.5)
            with tdtest.Agent(x.display) as agent:
                c = self.connect(agent)
                self.assertEqual(c.primary()[:2], (1024, 768))

                self.send_monitors(c, [(1600, 900, 0, 0)])
                tdtest.wait_for(lambda: x.outputs() == ([("DUMMY0", 1600, 900, 0, 0)],
                                                        (1600, 900)), 30,
                                what="xrandr to show 1600x900")
                self.assertTrue(c.wait(lambda: frame_size(c) == (1600, 900), 30),
                                "client frame is %s" % (frame_size(c),))
                self.wait_frame_matches(x, c, "1600x900")

                self.send_monitors(c, [(1280, 720, 0, 0), (1024, 768, 1280, 0)])
                want = ([("DUMMY0", 1280, 720, 0, 0), ("DUMMY1", 1024, 768, 1280, 0)],
                        (2304, 768))
                tdtest.wait_for(lambda: x.outputs() == want, 30,
                                what="xrandr to show 1280x720 + 1024x768")
                self.assertTrue(c.wait(lambda: frame_size(c) == (2304, 768), 30),
                                "client frame is %s" % (frame_size(c),))
                self.assertTrue(c.wait(lambda: c.monitors() == [(0, 0, 0, 1280, 720),
                                                                (1, 1280, 0, 1024, 768)], 30),
                                "client monitors are %s" % c.monitors())
                self.wait_frame_matches(x, c, "two-monitors")

                # The pointer on the second monitor's window lands on the
                # second output: it comes through the agent channel with the
                # monitor's id, and the agent adds that monitor's origin.
                for display_id, (px, py), want in [(1, (100, 50), (1380, 50)),
                                                   (0, (10, 20), (10, 20)),
                                                   (1, (1000, 700), (2280, 700))]:
                    c.inputs.position(px, py, display_id, 0)
                    self.assertTrue(c.wait(lambda: pointer(x) == want, 20),
                                    "pointer at %s, not %s (monitor %d)"
                                    % (pointer(x), want, display_id))
                c.close()

                # A fresh client (spicy-screenshot) gets the new size, exact.
                got = os.path.join(self.tmp, "shot.ppm")
                src = os.path.join(self.tmp, "shot-src.ppm")
                rc, out = tdtest.spicy_screenshot(agent.port, agent.password, got)
                self.assertEqual(rc, 0, "spicy-screenshot failed: " + out)
                tdtest.grab_root(x.display, src)
                self.assertEqual(tdtest.image_size(got), (2304, 768))
                self.assertEqual(tdtest.compare_ae(got, src), 0)

                # Back to one monitor: the second output goes off.
                c = self.connect(agent)
                self.send_monitors(c, [(800, 600, 0, 0)])
                tdtest.wait_for(lambda: x.outputs() == ([("DUMMY0", 800, 600, 0, 0)],
                                                        (800, 600)), 30,
                                what="xrandr to show 800x600 only")
                self.assertTrue(c.wait(lambda: frame_size(c) == (800, 600), 30))
                self.assertTrue(c.wait(lambda: c.monitors() == [(0, 0, 0, 800, 600)], 30),
                                "client monitors are %s" % c.monitors())
                self.wait_frame_matches(x, c, "800x600")
                c.close()

    def test_resize_off_keeps_the_desktop(self):
        with tdtest.Xorg(1024, 768) as x:
            with tdtest.Agent(x.display, args=["--resize=off"]) as agent:
                c = self.connect(agent)
                self.send_monitors(c, [(1600, 900, 0, 0)])
                tdtest.wait_for(lambda: "--resize=off" in agent.stderr(), 30,
                                what="the agent to refuse the monitors config")
                c.iterate(1.0)
                self.assertEqual(x.outputs(), ([("DUMMY0", 1024, 768, 0, 0)], (1024, 768)))
                self.assertEqual(c.primary()[:2], (1024, 768))
                c.close()

    def test_bad_layout_is_refused_and_session_goes_on(self):
        """A layout beyond the X server's limits is refused; the next one works."""
        with tdtest.Xorg(1024, 768) as x:
            with tdtest.Agent(x.display) as agent:
                c = self.connect(agent)
                # 2 x 16384 is wider than the dummy server's 32767 maximum
                self.send_monitors(c, [(16384, 768, 0, 0), (16384, 768, 16384, 0)])
                tdtest.wait_for(lambda: "cannot set the client's monitors" in agent.stderr(),
                                30, what="the agent to refuse the layout")
                self.assertEqual(x.outputs(), ([("DUMMY0", 1024, 768, 0, 0)], (1024, 768)))
                self.send_monitors(c, [(1280, 720, 0, 0)])
                tdtest.wait_for(lambda: x.outputs() == ([("DUMMY0", 1280, 720, 0, 0)],
                                                        (1280, 720)), 30,
                                what="xrandr to show 1280x720")
                c.close()

    def test_remote_viewer_window_resize(self):
        tdtest.skip_unless_tools("remote-viewer", "xdotool", "Xvfb")
        with tdtest.Xorg(1024, 768) as x, tdtest.Xvfb(1920, 1200) as viewer:
            busy_desktop(x)
            with tdtest.Agent(x.display) as agent:
                vv = os.path.join(self.tmp, "c.vv")
                with open(vv, "w") as f:
                    f.write("[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=%d\npassword=%s\n"
                            % (agent.port, agent.password))
                rv = viewer.run(["remote-viewer", vv])

                def window():
                    p = subprocess.run(["xdotool", "search", "--onlyvisible", "--name",
                                        "thindesk"], env=viewer.env, capture_output=True,
                                       text=True)
                    return p.stdout.split()[0] if p.stdout.split() else None
                wid = tdtest.wait_for(window, 60, 0.2, what="the remote-viewer window")
                # resizes before the agent channel is up are not sent: wait for it
                tdtest.wait_for(lambda: "agent channel ready" in agent.stderr(), 60,
                                what="remote-viewer's agent channel")

                def guest_size():
                    outs, screen = x.outputs()
                    return outs[0][1:3] if len(outs) == 1 else None

                def window_size():
                    p = subprocess.run(["xdotool", "getwindowgeometry", wid], env=viewer.env,
                                       capture_output=True, text=True)
                    for line in p.stdout.splitlines():
                        if "Geometry:" in line:
                            return tuple(int(v) for v in line.split()[-1].split("x"))
                    return None

                sizes = []
                for w, h in [(1000, 700), (1300, 900)]:
                    # the guest follows: its size is the window minus the
                    # same chrome (menu, toolbar, border) each time. The
                    # window manager-less viewer may still be settling its
                    # first size: resize again until the window has ours.
                    def followed():
                        if window_size() != (w, h):
                            subprocess.run(["xdotool", "windowsize", wid, str(w), str(h)],
                                           env=viewer.env, check=True)
                            time.sleep(1)
                            return None
                        s = guest_size()
                        return s if s and w - 120 <= s[0] <= w and h - 160 <= s[1] <= h else None
                    got = tdtest.wait_for(followed, 60, 0.2,
                                          what="the guest to follow a %dx%d window" % (w, h))
                    sizes.append((w - got[0], h - got[1]))
                tdtest.stop_process(rv)
                self.assertEqual(sizes[0], sizes[1], "window chrome differs: %s" % sizes)


if __name__ == "__main__":
    tdtest.main()
