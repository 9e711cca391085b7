#!/usr/bin/env python3
"""Journal logging against a real systemd-journald.

The test re-runs itself in a private mount namespace (unshare -m, as root)
with a tmpfs over /run, starts Debian's systemd-journald there, and starts the
agent the way systemd does: standard error is a stream connection to
journald and JOURNAL_STREAM names it. A real SPICE client connects and leaves;
journalctl must then show the agent's structured entries (CLIENT_ADDRESS,
SESSION_ID, EVENT) sent through the native protocol, not as stderr lines.
Nothing outside the namespace is touched."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402

JOURNALD = "/lib/systemd/systemd-journald"
INSIDE = "THINDESK_JOURNAL_TEST_INSIDE"


def journal_stream(identifier):
    """A stdout-stream connection to journald, as systemd makes for a unit."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect("/run/systemd/journal/stdout")
    s.shutdown(socket.SHUT_RD)
    # identifier, unit id, priority, level prefix, syslog, kmsg, console
    s.sendall(("%s\n\n6\n0\n0\n0\n0\n" % identifier).encode())
    return s


class TestJournal(unittest.TestCase):
    def test_structured_entries_in_the_journal(self):
        if os.environ.get(INSIDE) != "1":
            if os.geteuid() != 0:
                raise unittest.SkipTest("needs root for a private mount namespace")
            tdtest.skip_unless_tools("unshare", "journalctl", "spicy-screenshot")
            if not os.access(JOURNALD, os.X_OK):
                raise unittest.SkipTest("no " + JOURNALD)
            probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                                   capture_output=True)
            if probe.returncode != 0:
                raise unittest.SkipTest("cannot create a mount namespace: %s"
                                        % probe.stderr.decode().strip())
            env = dict(os.environ, **{INSIDE: "1"})
            p = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable,
                                os.path.abspath(__file__), "-v"], env=env,
                               capture_output=True, text=True, timeout=600)
            sys.stderr.write(p.stdout + p.stderr)
            self.assertEqual(p.returncode, 0, "the test inside the namespace failed")
            self.assertIn("OK", p.stderr)
            return
        self.run_inside()

    def run_inside(self):
        # Private /run and journal directory: journald writes nothing outside.
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run"], check=True)
        if os.path.isdir("/var/log/journal"):
            subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/var/log/journal"], check=True)
        os.makedirs("/run/systemd/journal", exist_ok=True)
        journald = subprocess.Popen([JOURNALD], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        try:
            tdtest.wait_for(lambda: os.path.exists("/run/systemd/journal/stdout"), 20,
                            what="journald's sockets")
            stream = journal_stream("thindesk-agent")
            st = os.fstat(stream.fileno())
            env = {"JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino)}
            agent = tdtest.Agent(args=["--capture=fake"], env=env, stderr=stream.fileno())
            with agent:
                rc, out = tdtest.spicy_screenshot(agent.port, agent.password,
                                                  os.path.join(agent.tmp, "s.ppm"))
                self.assertEqual(rc, 0, out)

                def entries():
                    p = subprocess.run(["journalctl", "-D", "/run/log/journal", "-o", "json",
                                        "SYSLOG_IDENTIFIER=thindesk-agent"],
                                       capture_output=True, text=True)
                    return [json.loads(line) for line in p.stdout.splitlines() if line]

                def events():
                    got = {e.get("EVENT"): e for e in entries() if e.get("EVENT")}
                    return got if "client-disconnected" in got else None
                ev = tdtest.wait_for(events, 30, interval=0.3,
                                     what="client events in the journal")
            stream.close()
            conn, gone = ev["client-connected"], ev["client-disconnected"]
            self.assertTrue(conn["CLIENT_ADDRESS"].startswith("127.0.0.1:"), conn)
            self.assertEqual(conn["CLIENT_ADDRESS"], gone["CLIENT_ADDRESS"])
            self.assertRegex(conn["SESSION_ID"], r"^[0-9a-f]{32}$")
            self.assertEqual(conn["SESSION_ID"], gone["SESSION_ID"])
            self.assertIn("connected", conn["MESSAGE"])
            self.assertEqual(conn["PRIORITY"], "5")  # notice: g_message
            # Sent as structured entries, not as lines on the stream.
            self.assertEqual(conn["_TRANSPORT"], "journal")
            self.assertEqual(conn["GLIB_DOMAIN"], "thindesk-agent")
            stdout_lines = [e for e in entries() if e.get("_TRANSPORT") == "stdout"]
            self.assertEqual(stdout_lines, [], "messages went to the stream as text")
        finally:
            journald.terminate()
            journald.wait(10)


if __name__ == "__main__":
    tdtest.main()
