#!/usr/bin/python3
"""One client window per guest monitor: the agent on Xorg with the dummy
driver drives two RandR outputs, the thindesk GUI client on a second X server
opens one window for each (SpiceDisplay on channel 0, monitor 0 and 1), each
the size of its monitor and showing exactly that monitor's part of the
desktop; when the guest goes back to one monitor the second window closes."""

import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402
import thindeskclient as tc  # noqa: E402


def windows(display):
    """{title: (x, y, w, h)} of the client's mapped windows."""
    env = dict(os.environ, DISPLAY=display)
    ids = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^thindesk"], env=env,
                         capture_output=True, text=True).stdout.split()
    found = {}
    for wid in ids:
        name = subprocess.run(["xdotool", "getwindowname", wid], env=env, capture_output=True,
                              text=True).stdout.strip()
        g = subprocess.run(["xdotool", "getwindowgeometry", "--shell", wid], env=env,
                           capture_output=True, text=True).stdout
        v = dict(line.split("=", 1) for line in g.split() if "=" in line)
        if name and "X" in v:
            found[name] = (int(v["X"]), int(v["Y"]), int(v["WIDTH"]), int(v["HEIGHT"]))
    return found


FIRST = "thindesk - 127.0.0.1"
SECOND = "thindesk - 127.0.0.1 (monitor 2)"


class MonitorsTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "import", "compare", "xterm", "xsetroot", "xdotool")
        self.tmp = tempfile.mkdtemp(prefix="thindesk-monitors-")
        self.client = None

    def tearDown(self):
        tdtest.stop_process(self.client)

    def wait_windows(self, client_x, expected, timeout=30):
        last = [None]

        def check():
            if self.client.poll() is not None:
                raise AssertionError("client exited with %s: %s" % (
                    self.client.returncode, tc.read(self.client.err_path)))
            last[0] = windows(client_x.display)
            return {k: v[2:] for k, v in last[0].items()} == expected
        try:
            tdtest.wait_for(check, timeout, interval=0.3, what="the client's windows")
        except AssertionError:
            self.fail("windows %s, expected sizes %s\n%s" % (last[0], expected,
                                                            tc.read(self.client.err_path)))
        return last[0]

    def shows(self, server_x, client_x, title, monitor, tag, timeout=30):
        """The window @title shows the guest's @monitor (x, y, w, h) exactly."""
        mx, my, mw, mh = monitor
        src = os.path.join(self.tmp, tag + "-src.png")
        got = os.path.join(self.tmp, tag + "-got.png")
        last = [None]

        def matches():
            tc.grab_region(server_x.display, mx, my, mw, mh, src)
            x, y, w, h = windows(client_x.display)[title]
            if (w, h) != (mw, mh):
                last[0] = "window is %dx%d" % (w, h)
                return False
            tc.grab_region(client_x.display, x, y, w, h, got)
            last[0] = "%d pixels differ" % tdtest.compare_ae(got, src)
            return last[0].startswith("0 ")
        try:
            tdtest.wait_for(matches, timeout, interval=0.5, what=tag)
        except AssertionError:
            self.fail("%s: %s\n%s" % (tag, last[0], tc.read(self.client.err_path)))

    def test_one_window_per_monitor(self):
        with tdtest.Xorg(1024, 768) as x, tdtest.Xvfb(1920, 1200) as client_x:
            x.set_layout([(800, 600, 0, 0), (640, 480, 800, 0)])
            x.check(["xsetroot", "-solid", "#336699"])
            # One xterm on each monitor, and one across the seam.
            x.run(["xterm", "-geometry", "50x20+20+30", "-bg", "white", "-fg", "black", "-e",
                   "sh", "-c", "ls -l /usr/bin | head -30; sleep 600"])
            x.run(["xterm", "-geometry", "40x12+900+100", "-bg", "#ffffe0", "-e", "sh", "-c",
                   "seq 1 20; sleep 600"])
            x.run(["xterm", "-geometry", "30x5+700+400", "-bg", "#e0ffe0", "-e", "sh", "-c",
                   "echo across the seam; sleep 600"])
            time.sleep(1.5)
            with tdtest.Agent(x.display) as agent:
                pw = tc.password_file(self.tmp, agent.password)
                self.client = tc.start(["--password-file=" + pw,
                                        "spice://127.0.0.1:%d" % agent.port],
                                       display=client_x.display, tmp=self.tmp)
                got = self.wait_windows(client_x, {FIRST: (800, 600), SECOND: (640, 480)})
                # Without a window manager the client lays its windows out as
                # the guest's monitors are: side by side.
                self.assertEqual(got[FIRST][:2], (0, 0), got)
                self.assertEqual(got[SECOND][:2], (800, 0), got)
                self.shows(x, client_x, FIRST, (0, 0, 800, 600), "monitor-1")
                self.shows(x, client_x, SECOND, (800, 0, 640, 480), "monitor-2")

                # Back to one monitor: its window follows, the other closes.
                x.set_layout([(1024, 768, 0, 0)])
                self.wait_windows(client_x, {FIRST: (1024, 768)})
                self.shows(x, client_x, FIRST, (0, 0, 1024, 768), "one-monitor")
                # And two again: the second window comes back.
                x.set_layout([(800, 600, 0, 0), (640, 480, 800, 0)])
                self.wait_windows(client_x, {FIRST: (800, 600), SECOND: (640, 480)})
                self.shows(x, client_x, SECOND, (800, 0, 640, 480), "monitor-2-again")
                self.assertEqual(tdtest.stop_process(self.client), 0,
                                 tc.read(self.client.err_path))


if __name__ == "__main__":
    tdtest.main()
