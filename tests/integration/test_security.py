#!/usr/bin/python3
"""Security by default: passwords required, generated when not given, and no
password-less listening on a network address."""

import os
import re
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402


class AuthTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "spicy-screenshot")
        self.x = tdtest.Xvfb(640, 480)
        self.tmp = tempfile.mkdtemp(prefix="thindesk-auth-")
        self.out = os.path.join(self.tmp, "shot.ppm")

    def tearDown(self):
        self.x.stop()

    def shot(self, agent, password):
        if os.path.exists(self.out):
            os.unlink(self.out)
        rc, text = tdtest.spicy_screenshot(agent.port, password, self.out, timeout=20)
        return rc == 0 and os.path.exists(self.out), text

    def test_right_password_accepted_wrong_rejected(self):
        with tdtest.Agent(self.x.display, password="correct-horse") as agent:
            ok, text = self.shot(agent, "correct-horse")
            self.assertTrue(ok, text)
            ok, _ = self.shot(agent, "wrong-horse")
            self.assertFalse(ok, "a wrong password was accepted")
            ok, _ = self.shot(agent, None)
            self.assertFalse(ok, "no password was accepted")
            # The agent keeps serving after refusals.
            ok, text = self.shot(agent, "correct-horse")
            self.assertTrue(ok, text)
            # A password the admin chose is never printed.
            self.assertNotIn("correct-horse", agent.stdout() + agent.stderr())

    def test_generated_password_is_printed_and_required(self):
        with tdtest.Agent(self.x.display, password=None) as agent:
            m = tdtest.wait_for(lambda: re.search(r"password: (\S+)", agent.stdout()), 10,
                                what="the printed password")
            pw = m.group(1)
            self.assertGreaterEqual(len(pw), 16)
            self.assertTrue(pw.isalnum())
            ok, text = self.shot(agent, pw)
            self.assertTrue(ok, text)
            ok, _ = self.shot(agent, None)
            self.assertFalse(ok)
            # A ready-to-use connection file, readable only by its owner.
            m = re.search(r"remote-viewer (\S+\.vv)", agent.stdout())
            self.assertIsNotNone(m, agent.stdout())
            vv = m.group(1)
            self.assertEqual(os.stat(vv).st_mode & 0o777, 0o600)
            with open(vv) as f:
                text = f.read()
            self.assertIn("password=" + pw, text)
            self.assertIn("port=%d" % agent.port, text)
        self.assertFalse(os.path.exists(vv), "the .vv file outlived the agent")

    def test_two_generated_passwords_differ(self):
        pws = []
        for _ in range(2):
            with tdtest.Agent(self.x.display, password=None) as agent:
                m = tdtest.wait_for(lambda: re.search(r"password: (\S+)", agent.stdout()), 10)
                pws.append(m.group(1))
        self.assertNotEqual(pws[0], pws[1])

    def test_disable_ticketing_on_loopback(self):
        with tdtest.Agent(self.x.display, password=None, args=["--disable-ticketing"]) as agent:
            ok, text = self.shot(agent, None)
            self.assertTrue(ok, text)

    def test_disable_ticketing_refused_on_network_address(self):
        port = tdtest.free_port()
        p = subprocess.run([tdtest.AGENT, "--display=" + self.x.display, "--disable-ticketing",
                            "--listen=0.0.0.0:%d" % port], capture_output=True, text=True,
                           timeout=20)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("refusing --disable-ticketing on 0.0.0.0", p.stderr)
        self.assertFalse(tdtest.port_open(port))


if __name__ == "__main__":
    tdtest.main()
