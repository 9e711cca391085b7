#!/usr/bin/python3
"""Window moves and scrolling are sent as copies of what the client already
shows: the client's frame stays pixel-exact and the display channel carries at
most a fifth of the bytes it carries with --copy-detection=off."""

import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402


def busy_background(x, tmp):
    """A noisy, incompressible picture as the root window's background."""
    bg = os.path.join(tmp, "bg.png")
    subprocess.run(["convert", "-size", "%dx%d" % x.size, "plasma:fractal", "-blur", "0x1",
                    bg], check=True, capture_output=True)
    # ImageMagick's display sets the background and exits 1 all the same.
    subprocess.run(["display", "-window", "root", bg], env=x.env, capture_output=True)


class MotionTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "xterm", "xdotool", "convert", "display")
        self.tmp = tempfile.mkdtemp(prefix="thindesk-motion-")

    def session(self, detect, scenario):
        """Runs @scenario(x, client) with one client connected; returns the
        display-channel bytes it caused, after checking the frame is exact."""
        import spiceclient
        with tdtest.Xvfb(1280, 720) as x:
            busy_background(x, self.tmp)
            ready = scenario.setup(x, self.tmp)
            with tdtest.Agent(x.display, args=["--copy-detection=" + detect]) as agent:
                c = spiceclient.Client(agent.port, agent.password)
                try:
                    self.assertTrue(c.wait(lambda: c.primary() is not None, 15))
                    c.iterate(1.0)
                    before = c.display_bytes()
                    scenario.run(x, c, ready)
                    src = os.path.join(self.tmp, "src-%s.ppm" % detect)
                    got = os.path.join(self.tmp, "got-%s.ppm" % detect)
                    tdtest.grab_root(x.display, src)

                    def exact():
                        c.save_ppm(got)
                        return tdtest.compare_ae(got, src) == 0
                    self.assertTrue(c.wait(exact, 20),
                                    "client frame differs from the display (detection %s)"
                                    % detect)
                    if os.environ.get("THINDESK_MOTION_STATS"):
                        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
                        import benchlib
                        print(detect, benchlib.agent_stats(agent))
                    return c.display_bytes() - before
                finally:
                    c.close()

    def compare(self, scenario):
        on = self.session("on", scenario)
        off = self.session("off", scenario)
        print("%s: %d bytes with copy detection, %d without (%.1f%%)"
              % (scenario.__name__, on, off, 100.0 * on / off))
        self.assertLessEqual(on * 5, off, "copy detection saved less than 4/5 of the bytes")

    def test_window_drag(self):
        class WindowDrag:
            @staticmethod
            def setup(x, tmp):
                x.run(["xterm", "-geometry", "80x24+20+30", "-bg", "#ffffe0", "-e", "sh", "-c",
                       "ls -l /usr/bin | head -30; sleep 600"])
                return tdtest.wait_for(lambda: subprocess.run(
                    ["xdotool", "search", "--sync", "--class", "xterm"], env=x.env,
                    capture_output=True, text=True).stdout.split(), 15)[0]

            @staticmethod
            def run(x, c, wid):
                time.sleep(0.5)
                for i in range(50):
                    subprocess.run(["xdotool", "windowmove", wid, str(20 + i * 12),
                                    str(30 + i * 5)], env=x.env)
                    c.iterate(0.016)
                c.iterate(0.5)
        self.compare(WindowDrag)

    def test_terminal_scroll(self):
        class TerminalScroll:
            @staticmethod
            def setup(x, tmp):
                go = os.path.join(tmp, "go")
                done = os.path.join(tmp, "done")
                for p in (go, done):
                    if os.path.exists(p):
                        os.unlink(p)
                # Lines come about every 10 ms, like a log being followed;
                # +j: no jump scrolling, every line scrolls the window.
                x.run(["xterm", "+j", "-geometry", "100x40+40+40", "-e", "sh", "-c",
                       "while [ ! -e %s ]; do sleep 0.1; done; i=0; while [ $i -lt 500 ]; do "
                       "i=$((i+1)); echo \"line $i: the quick brown fox jumps over the lazy "
                       "dog $((i*i))\"; sleep 0.01; done; touch %s; sleep 600" % (go, done)])
                time.sleep(1.5)
                return (go, done)

            @staticmethod
            def run(x, c, paths):
                go, done = paths
                open(go, "w").close()
                deadline = time.monotonic() + 60
                while not os.path.exists(done) and time.monotonic() < deadline:
                    c.iterate(0.05)
                c.iterate(0.5)
        self.compare(TerminalScroll)


if __name__ == "__main__":
    tdtest.main()
