#!/usr/bin/python3
"""Clipboard through the thindesk GUI client, both ways, between two real X
servers: text copied with xclip on the client's X server pastes (xclip -o,
a real selection request) on the agent's X server, and the other way round,
including non-ASCII text, a large text and a second copy replacing the
first."""

import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402
import thindeskclient as tc  # noqa: E402


class ClientClipboardTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "xclip", "xdotool")
        if not os.path.exists(tc.CLIENT):
            self.fail("client not built: " + tc.CLIENT)
        self.tmp = tempfile.mkdtemp(prefix="thindesk-client-clip-")
        self.owners = []  # xclip processes serving a selection
        self.client = None

    def tearDown(self):
        for p in self.owners:
            tdtest.stop_process(p)
        tdtest.stop_process(self.client)

    def copy(self, x, text):
        """Makes @text the CLIPBOARD of X server @x (xclip stays to serve it)."""
        p = subprocess.Popen(["xclip", "-i", "-selection", "clipboard", "-quiet"], env=x.env,
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        p.stdin.write(text.encode())
        p.stdin.close()
        self.owners.append(p)

    def wait_paste(self, x, text, what, timeout=30):
        last = [None]

        def pasted():
            if self.client.poll() is not None:
                raise AssertionError("client exited with %s: %s" % (
                    self.client.returncode, tc.read(self.client.err_path)))
            try:
                p = subprocess.run(["xclip", "-o", "-selection", "clipboard", "-t",
                                    "UTF8_STRING"], env=x.env, capture_output=True,
                                   timeout=10)
            except subprocess.TimeoutExpired:
                return False
            last[0] = p.stdout.decode(errors="replace")
            return p.returncode == 0 and last[0] == text
        try:
            tdtest.wait_for(pasted, timeout, interval=0.3, what=what)
        except AssertionError:
            shown = last[0] if last[0] is None or len(last[0]) < 200 else last[0][:200] + "..."
            self.fail("%s: pasted %r\n%s" % (what, shown, tc.read(self.client.err_path)))

    def wait_clipboard_ready(self, client_x, server_x, timeout=60):
        """Waits until the client shares its clipboard. spice-gtk ignores a
        clipboard change it sees before the agent's capabilities reached it,
        and nothing outside tells when they did: copy short probes until one
        arrives. The transfers the test asserts come after, each copied once."""
        deadline = time.monotonic() + timeout
        n = 0
        while True:
            n += 1
            probe = "probe %d" % n
            self.copy(client_x, probe)
            try:
                self.wait_paste(server_x, probe, "probe", timeout=3)
                return
            except AssertionError:
                if time.monotonic() > deadline:
                    raise

    def test_text_both_ways(self):
        with tdtest.Xvfb(1024, 768) as server_x, tdtest.Xvfb(1280, 1000) as client_x:
            with tdtest.Agent(server_x.display) as agent:
                pw = tc.password_file(self.tmp, agent.password)
                self.client = tc.start(["--password-file=" + pw,
                                        "spice://127.0.0.1:%d" % agent.port],
                                       display=client_x.display, tmp=self.tmp)
                tdtest.wait_for(lambda: "agent channel ready" in agent.stderr(), 30,
                                what="the client's agent channel")
                tdtest.wait_for(lambda: tc.window_geometry(client_x.display), 30,
                                what="the client's window")

                self.wait_clipboard_ready(client_x, server_x)

                text = "copied on the thin client: Grüße, 日本語, ☃\nsecond line\n"
                self.copy(client_x, text)
                self.wait_paste(server_x, text, "client copy pasted in the desktop")

                text = "copied in the desktop: naïve café ✓\n"
                self.copy(server_x, text)
                self.wait_paste(client_x, text, "desktop copy pasted on the client")

                # A large text, and a new copy replacing the last one.
                big = "".join("line %06d of a long clipboard text\n" % i for i in range(6000))
                self.copy(client_x, big)
                self.wait_paste(server_x, big, "large client copy pasted in the desktop")
                self.copy(server_x, "the last word")
                self.wait_paste(client_x, "the last word", "a second desktop copy")
                self.assertEqual(tc.messages(tc.read(self.client.err_path)), [])
                self.assertEqual(tdtest.stop_process(self.client), 0,
                                 tc.read(self.client.err_path))


if __name__ == "__main__":
    tdtest.main()
