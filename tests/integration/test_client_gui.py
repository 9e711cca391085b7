#!/usr/bin/python3
"""The thindesk client's windows on a second Xvfb, against the real agent:
the window shows the desktop pixel-exact, it reconnects on its own after the
agent restarts, and kiosk mode covers the screen, ignores Alt+F4 and leaves
only on the admin hotkey."""

import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402
import thindeskclient as tc  # noqa: E402


def desktop(x, colour="#336699"):
    x.check(["xsetroot", "-solid", colour])
    x.run(["xterm", "-geometry", "60x20+20+30", "-bg", "white", "-fg", "black",
           "-e", "sh", "-c", "ls -l /usr/bin | head -30; sleep 600"])
    time.sleep(1.5)


class GuiTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "import", "compare", "xterm", "xsetroot", "xdotool")
        self.tmp = tempfile.mkdtemp(prefix="thindesk-gui-")
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            tdtest.stop_process(c)

    def start(self, args, display):
        c = tc.start(args, display=display, tmp=self.tmp)
        self.clients.append(c)
        return c

    def window(self, display, c, timeout=20):
        def geo():
            if c.poll() is not None:
                raise AssertionError("client exited with %s: %s" % (c.returncode,
                                                                    tc.read(c.err_path)))
            return tc.window_geometry(display)
        return tdtest.wait_for(geo, timeout, what="client window")

    def shows(self, server_x, client_x, c, tag, timeout=20):
        """Waits until the client's window shows exactly the server's desktop."""
        src = os.path.join(self.tmp, tag + "-src.png")
        got = os.path.join(self.tmp, tag + "-got.png")
        tdtest.grab_root(server_x.display, src)
        w, h = server_x.size
        last = [None]

        def matches():
            g = self.window(client_x.display, c)
            x, y, ww, wh, _ = g
            if (ww, wh) != (w, h):
                last[0] = "window is %dx%d, desktop %dx%d" % (ww, wh, w, h)
                return False
            tc.grab_region(client_x.display, x, y, w, h, got)
            ae = tdtest.compare_ae(got, src)
            last[0] = "%d pixels differ" % ae
            return ae == 0
        try:
            tdtest.wait_for(matches, timeout, interval=0.3, what="client window to show the desktop")
        except AssertionError:
            self.fail("%s: %s\n%s" % (tag, last[0], tc.read(c.err_path)))

    def test_window_shows_desktop(self):
        with tdtest.Xvfb(1024, 768) as server_x, tdtest.Xvfb(1600, 1000) as client_x:
            desktop(server_x)
            with tdtest.Agent(server_x.display) as agent:
                pw = tc.password_file(self.tmp, agent.password)
                c = self.start(["--password-file=" + pw, "spice://127.0.0.1:%d" % agent.port],
                               client_x.display)
                self.shows(server_x, client_x, c, "window")
                self.assertEqual(tdtest.stop_process(c), 0, tc.read(c.err_path))

    def test_password_prompt(self):
        """Without a password the client asks for one, then shows the desktop."""
        with tdtest.Xvfb(800, 600) as server_x, tdtest.Xvfb(1280, 1000) as client_x:
            desktop(server_x)
            with tdtest.Agent(server_x.display, password="typed-pw") as agent:
                c = self.start(["spice://127.0.0.1:%d" % agent.port], client_x.display)
                env = client_x.env

                def dialog():
                    p = subprocess.run(["xdotool", "search", "--onlyvisible", "--name",
                                        "^Password$"], env=env, capture_output=True, text=True)
                    return p.stdout.split()
                wid = tdtest.wait_for(dialog, 20, what="password dialog")[0]
                self.assertIn("refused the password", tc.read(c.err_path))
                subprocess.run(["xdotool", "windowfocus", "--sync", wid], env=env, check=True)
                subprocess.run(["xdotool", "type", "--delay", "50", "typed-pw"], env=env,
                               check=True)
                subprocess.run(["xdotool", "key", "Return"], env=env, check=True)
                self.shows(server_x, client_x, c, "password")
                self.assertEqual(tdtest.stop_process(c), 0, tc.read(c.err_path))

    def test_reconnects_after_agent_restart(self):
        with tdtest.Xvfb(1024, 768) as server_x, tdtest.Xvfb(1600, 1000) as client_x:
            desktop(server_x)
            with tdtest.Agent(server_x.display) as agent:
                port = agent.port
                pw = tc.password_file(self.tmp, agent.password)
                c = self.start(["--password-file=" + pw, "--reconnect=always",
                                "spice://127.0.0.1:%d" % port], client_x.display)
                self.shows(server_x, client_x, c, "before")
            # The agent is gone (and stopped cleanly: checked on leaving the block).
            tdtest.wait_for(lambda: "reconnecting" in tc.read(c.err_path), 15,
                            what="client to notice and say it reconnects")
            self.assertIn("closed the connection", tc.read(c.err_path))
            # The desktop changes while the agent is away.
            server_x.check(["xsetroot", "-solid", "#884422"])
            time.sleep(3)
            self.assertIsNone(c.poll(), "client gave up: " + tc.read(c.err_path))
            with tdtest.Agent(server_x.display, port=port) as again:
                back = time.monotonic()  # the agent serves again
                tdtest.wait_for(lambda: "connected" in again.stderr(), 30,
                                what="client to reconnect")
                took = time.monotonic() - back
                self.assertLessEqual(took, 5.0, "reconnected %.1f s after the agent was back:\n%s"
                                     % (took, tc.read(c.err_path)))
                # ... and shows the desktop as it is now (loaded CI machines
                # need a while for the frame to cross and the grab to compare).
                self.shows(server_x, client_x, c, "after", timeout=30)
                self.assertEqual(tdtest.stop_process(c), 0, tc.read(c.err_path))

    def test_kiosk(self):
        with tdtest.Xvfb(1280, 720) as server_x, tdtest.Xvfb(1280, 720) as client_x:
            desktop(server_x)
            port = tdtest.free_port()
            pw = tc.password_file(self.tmp, "kiosk-pw")
            c = self.start(["--kiosk", "--password-file=" + pw, "--admin-hotkey=ctrl+shift+F9",
                            "spice://127.0.0.1:%d" % port], client_x.display)
            # No agent yet: a full-screen status page, and the client keeps trying.
            full = (0, 0, 1280, 720)
            try:
                tdtest.wait_for(lambda: self.window(client_x.display, c)[:4] == full, 20,
                                what="status page to cover the screen")
            except AssertionError:
                self.fail("status page at %s, screen %s" % (self.window(client_x.display, c)[:4],
                                                            full))
            tdtest.wait_for(lambda: "reconnecting" in tc.read(c.err_path), 15,
                            what="kiosk to say it reconnects")
            with tdtest.Agent(server_x.display, port=port, password="kiosk-pw"):
                self.shows(server_x, client_x, c, "kiosk")
                x, y, w, h, wid = self.window(client_x.display, c)
                self.assertEqual((x, y, w, h), (0, 0, 1280, 720))
                env = client_x.env
                subprocess.run(["xdotool", "mousemove", "640", "360"], env=env, check=True)
                subprocess.run(["xdotool", "key", "alt+F4"], env=env, check=True)
                subprocess.run(["xdotool", "key", "--window", wid, "alt+F4"], env=env,
                               check=True)
                time.sleep(2)
                self.assertIsNone(c.poll(), "Alt+F4 closed the kiosk")
                self.assertIsNotNone(tc.window_geometry(client_x.display))
                subprocess.run(["xdotool", "key", "ctrl+shift+F9"], env=env, check=True)
                rc = c.wait(15)
                self.assertEqual(rc, 0, tc.read(c.err_path))
                self.assertIn("admin hotkey", tc.read(c.err_path))


if __name__ == "__main__":
    tdtest.main()
