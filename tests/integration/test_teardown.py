#!/usr/bin/python3
"""The agent stops on SIGTERM in the middle of its work, with a real client
connected: exit status 0 and no sanitizer report (tdtest.Agent checks both
when the agent leaves its block; the ASan+UBSan build runs the same test).

Teardown is where state goes away while sources of the main loop may still
fire: here the frame pump has a grab scheduled, the metrics histogram it
records into exists, and the sound server does not answer, so that the
agent's own teardown runs the main context for a while waiting for it."""

import os
import signal
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soundserver  # noqa: E402
import tdtest  # noqa: E402
import thindeskclient as tc  # noqa: E402


class TeardownTest(unittest.TestCase):
    def setUp(self):
        if not os.path.exists(tc.CLIENT):
            self.fail("client not built: " + tc.CLIENT)
        self.tmp = tempfile.mkdtemp(prefix="thindesk-teardown-")

    def client(self, agent):
        """A headless thindesk that stays connected; returns it once its
        first frame is in."""
        pw = tc.password_file(self.tmp, agent.password)
        c = tc.start(["--headless", "--password-file=" + pw, "--stats", "--duration=120",
                      "spice://127.0.0.1:%d" % agent.port], tmp=self.tmp)
        self.addCleanup(lambda: (c.poll() is None and c.kill(), c.wait()))
        tdtest.wait_for(lambda: '"connected":true' in tc.read(c.out_path), 30,
                        what="the client's first frame")
        return c

    def test_sigterm_while_grabbing_with_a_stuck_sound_server(self):
        soundserver.skip_unless_pulseaudio()
        with soundserver.PulseAudio() as pa:
            # Motion at 60 fps, grabs at 5: a grab is nearly always scheduled.
            args = ["--capture=fake", "--fake-script=full", "--fake-fps=60", "--max-fps=5",
                    "--metrics=127.0.0.1:%d" % tdtest.free_port()]
            with tdtest.Agent(args=args, env={"PULSE_SERVER": pa.env["PULSE_SERVER"]}) as agent:
                tdtest.wait_for(lambda: "sound server ready" in agent.stderr(), 20,
                                what="the agent's sound devices")
                self.client(agent)
                time.sleep(1)  # some grabs, recorded in the histogram
                # The sound server hangs: the agent waits for it (2 s at
                # most) to unload its modules, running its main loop.
                pa.proc.send_signal(signal.SIGSTOP)
                try:
                    start = time.monotonic()
                    code = agent.stop()
                    took = time.monotonic() - start
                finally:
                    pa.proc.send_signal(signal.SIGCONT)
                self.assertEqual(code, 0, agent.stderr())
                self.assertLess(took, 15, "the agent took %.1f s to stop" % took)
                for marker in ("ERROR: AddressSanitizer", "runtime error:"):
                    self.assertNotIn(marker, agent.stderr())

    def test_sigterm_with_a_connection_held_back(self):
        """Connections that wait out the backoff after failed attempts are
        the agent's own (a socket and a timer each): stopping frees them."""
        with tdtest.Agent(args=["--capture=fake"]) as agent:
            for i in range(4):  # not SPICE: each counts as a failed attempt
                with socket.create_connection(("127.0.0.1", agent.port)) as s:
                    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                    s.recv(64)
            tdtest.wait_for(lambda: "4 in a row" in agent.stderr(), 10,
                            what="the agent to count four failed attempts")
            held = [socket.create_connection(("127.0.0.1", agent.port)) for _ in range(2)]
            tdtest.wait_for(lambda: agent.stderr().count("delaying a connection from") == 2, 10,
                            what="the agent to hold two connections back")
            self.assertEqual(agent.stop(), 0, agent.stderr())
            for s in held:
                s.close()


if __name__ == "__main__":
    tdtest.main()
