#!/usr/bin/python3
"""thindesk --headless against the real agent on Xvfb: pixel-exact
screenshots, .vv files, scripted keys reaching an xterm, and one clear
message with a distinct exit code for every way a connection fails."""

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402
import thindeskclient as tc  # noqa: E402


def busy_desktop(x):
    x.check(["xsetroot", "-solid", "#336699"])
    x.run(["xterm", "-geometry", "80x24+20+30", "-bg", "white", "-fg", "black",
           "-e", "sh", "-c", "ls -l /usr/bin | head -40; sleep 600"])
    x.run(["xterm", "-geometry", "60x10+500+300", "-bg", "#ffffe0", "-e", "sh", "-c",
           "seq 1 30; sleep 600"])
    time.sleep(1.5)


class HeadlessTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "import", "compare", "xterm", "xsetroot")
        if not os.path.exists(tc.CLIENT):
            self.fail("client not built: " + tc.CLIENT)
        self.tmp = tempfile.mkdtemp(prefix="thindesk-headless-")

    def one_line(self, p):
        lines = tc.messages(p.stderr)
        self.assertEqual(len(lines), 1, "one clear message expected: %r" % p.stderr)
        return lines[0]

    def screenshot_matches(self, w, h):
        with tdtest.Xvfb(w, h) as x:
            busy_desktop(x)
            with tdtest.Agent(x.display) as agent:
                got = os.path.join(self.tmp, "got-%d.png" % w)
                src = os.path.join(self.tmp, "src-%d.png" % w)
                pw = tc.password_file(self.tmp, agent.password)
                p = tc.run(["--headless", "--password-file=" + pw, "--screenshot=" + got,
                            "spice://127.0.0.1:%d" % agent.port])
                self.assertEqual(p.returncode, 0, p.stderr)
                tdtest.grab_root(x.display, src)
                self.assertEqual(tdtest.image_size(got), (w, h))
                self.assertEqual(tdtest.compare_ae(got, src), 0, "screenshot differs from display")

    def test_screenshot_1280x720_exact(self):
        self.screenshot_matches(1280, 720)

    def test_screenshot_1920x1080_exact(self):
        self.screenshot_matches(1920, 1080)

    def test_vv_file_with_password_is_deleted(self):
        with tdtest.Xvfb(1024, 768) as x:
            busy_desktop(x)
            with tdtest.Agent(x.display) as agent:
                vv = os.path.join(self.tmp, "desk.vv")
                with open(vv, "w") as f:
                    f.write("[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=%d\npassword=%s\n"
                            "title=Pool desk\ndelete-this-file=1\nzoom=100\n"
                            % (agent.port, agent.password))
                got = os.path.join(self.tmp, "vv.png")
                src = os.path.join(self.tmp, "vv-src.png")
                p = tc.run(["--headless", "--screenshot=" + got, vv])
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertFalse(os.path.exists(vv), "delete-this-file=1 left the file")
                self.assertIn("ignoring unknown key 'zoom'", p.stderr)
                tdtest.grab_root(x.display, src)
                self.assertEqual(tdtest.compare_ae(got, src), 0)

    def test_stats_json_lines(self):
        import json
        with tdtest.Xvfb(800, 600) as x:
            with tdtest.Agent(x.display) as agent:
                pw = tc.password_file(self.tmp, agent.password)
                p = tc.run(["--headless", "--password-file=" + pw, "--stats", "--duration=6",
                            "spice://127.0.0.1:%d" % agent.port])
                self.assertEqual(p.returncode, 0, p.stderr)
                lines = [json.loads(l) for l in p.stdout.splitlines()]
                self.assertGreaterEqual(len(lines), 2, p.stdout)
                last = lines[-1]
                self.assertTrue(last["connected"])
                self.assertGreaterEqual(last["frames"], 1)
                self.assertGreater(last["bytes"]["display"], 0)
                self.assertIn("fps", last)
                self.assertIsNotNone(last["rtt_ms"])

    def test_send_keys_reach_xterm(self):
        tdtest.skip_unless_tools("xdotool")
        if not tc.input_injection_merged():
            raise unittest.SkipTest("the agent has no input injection yet (input/ has no "
                                    "sources; it comes with the input branch)")
        out = os.path.join(self.tmp, "typed.txt")
        with tdtest.Xvfb(1024, 768) as x:
            x.run(["xterm", "-geometry", "80x24+0+0", "-name", "typing", "-e", "sh", "-c",
                   "stty -echo; cat > %s" % out])
            wid = tdtest.wait_for(lambda: subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--classname", "typing"], env=x.env,
                capture_output=True, text=True).stdout.split(), 15, what="xterm window")[0]
            subprocess.run(["xdotool", "mousemove", "100", "100"], env=x.env, check=True)
            subprocess.run(["xdotool", "windowfocus", "--sync", wid], env=x.env, check=True)
            with tdtest.Agent(x.display) as agent:
                pw = tc.password_file(self.tmp, agent.password)
                p = tc.run(["--headless", "--password-file=" + pw,
                            "--send-keys=Hello, thindesk! a+b=C_d{Return}",
                            "spice://127.0.0.1:%d" % agent.port])
                self.assertEqual(p.returncode, 0, p.stderr)

                def typed():
                    return os.path.exists(out) and tc.read(out) == "Hello, thindesk! a+b=C_d\n"
                try:
                    tdtest.wait_for(typed, 15, what="typed text in the xterm")
                except AssertionError:
                    got = tc.read(out) if os.path.exists(out) else None
                    self.fail("xterm received %r\n%s" % (got, agent.stderr()))

    # --- failures: one message, one distinct exit code each ---

    def test_wrong_password(self):
        with tdtest.Xvfb(640, 480) as x:
            with tdtest.Agent(x.display) as agent:
                pw = tc.password_file(self.tmp, "not-" + agent.password)
                p = tc.run(["--headless", "--password-file=" + pw, "--screenshot=x.png",
                            "spice://127.0.0.1:%d" % agent.port])
                self.assertEqual(p.returncode, 11, p.stderr)
                self.assertIn("refused the password", self.one_line(p))

    def test_unreachable(self):
        port = tdtest.free_port()
        p = tc.run(["--headless", "--screenshot=x.png", "spice://127.0.0.1:%d" % port])
        self.assertEqual(p.returncode, 10, p.stderr)
        self.assertIn("cannot connect to 127.0.0.1:%d" % port, self.one_line(p))

    def test_silent_server_times_out(self):
        """A port that accepts but never answers: no hang, exit 10 after --timeout."""
        with socket.socket() as srv:
            srv.bind(("127.0.0.1", 0))
            srv.listen(4)
            port = srv.getsockname()[1]
            t0 = time.monotonic()
            p = tc.run(["--headless", "--timeout=3", "--screenshot=x.png",
                        "spice://127.0.0.1:%d" % port], timeout=30)
            self.assertLess(time.monotonic() - t0, 20)
            self.assertEqual(p.returncode, 10, p.stderr)
            self.assertIn("no answer within 3 seconds", self.one_line(p))

    def test_not_spice(self):
        """A server that answers with something else: exit 15."""
        with socket.socket() as srv:
            srv.bind(("127.0.0.1", 0))
            srv.listen(4)
            port = srv.getsockname()[1]

            def serve():
                conn, _ = srv.accept()
                conn.recv(1024)
                conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n" + b"x" * 64)
                conn.close()
            threading.Thread(target=serve, daemon=True).start()
            p = tc.run(["--headless", "--timeout=10", "--screenshot=x.png",
                        "spice://127.0.0.1:%d" % port], timeout=30)
            self.assertEqual(p.returncode, 15, p.stderr)
            self.one_line(p)

    def test_server_gone(self):
        with tdtest.Xvfb(640, 480) as x:
            with tdtest.Agent(x.display) as agent:
                pw = tc.password_file(self.tmp, agent.password)
                c = tc.start(["--headless", "--password-file=" + pw, "--stats",
                              "spice://127.0.0.1:%d" % agent.port], tmp=self.tmp)
                tdtest.wait_for(lambda: '"connected":true' in tc.read(c.out_path), 20,
                                what="client connected")
            # The agent stopped (cleanly: checked on leaving the block).
            rc = c.wait(15)
            self.assertEqual(rc, 13, tc.read(c.err_path))
            err = tc.messages(tc.read(c.err_path))
            self.assertEqual(len(err), 1, err)
            self.assertIn("closed the connection", err[0])

    def test_bad_command_lines_and_files(self):
        p = tc.run(["--headless", "--colour=blue", "spice://127.0.0.1:1"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown option '--colour'", self.one_line(p))
        p = tc.run(["--headless", "--send-keys={Nope}", "spice://127.0.0.1:1"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown key name 'Nope'", self.one_line(p))
        bad = os.path.join(self.tmp, "bad.vv")
        for text in ["", "garbage\x00", "[virt-viewer]\ntype=vnc\nhost=h\nport=1\n",
                     "[virt-viewer]\ntype=spice\nhost=h\nport=eleven\n"]:
            with open(bad, "w") as f:
                f.write(text)
            p = tc.run(["--headless", bad])
            self.assertEqual(p.returncode, 3, "%r: %s" % (text, p.stderr))
            self.assertIn("bad.vv", self.one_line(p))
        p = tc.run(["--headless", os.path.join(self.tmp, "missing.vv")])
        self.assertEqual(p.returncode, 3)
        self.one_line(p)

    def test_help_is_man_page_ready(self):
        p = tc.run(["--help"])
        self.assertEqual(p.returncode, 0)
        for s in ["Usage: thindesk", "--headless", "--kiosk", "--admin-hotkey", "--reconnect",
                  "--share-cd", "--usb-redirect", "Exit status:", "Examples:"]:
            self.assertIn(s, p.stdout)
        if subprocess.run(["which", "help2man"], capture_output=True).returncode == 0:
            m = subprocess.run(["help2man", "--no-info", tc.CLIENT], capture_output=True,
                               text=True)
            self.assertEqual(m.returncode, 0, m.stderr)


if __name__ == "__main__":
    tdtest.main()
