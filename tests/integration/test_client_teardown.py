#!/usr/bin/python3
"""thindesk --headless --screenshot, 300 times in a row against one agent on
Xvfb: every run exits 0 (no signal), writes its screenshot and prints
nothing on standard error (in a sanitizer build: no sanitizer report). The
client once read freed state from a spice-gtk signal while it closed the
connection at exit, about one run in ten."""

import os
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402
import thindeskclient as tc  # noqa: E402

RUNS = int(os.environ.get("THINDESK_TEARDOWN_RUNS", "300"))
SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def png_size(path):
    """(width, height) from a PNG's IHDR, or None if it is not a PNG."""
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


class TeardownTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "import", "compare", "xterm", "xsetroot")
        if not os.path.exists(tc.CLIENT):
            self.fail("client not built: " + tc.CLIENT)
        self.tmp = tempfile.mkdtemp(prefix="thindesk-teardown-")

    def test_many_screenshots_exit_cleanly(self):
        w, h = 800, 600
        with tdtest.Xvfb(w, h) as x:
            x.check(["xsetroot", "-solid", "#336699"])
            x.run(["xterm", "-geometry", "60x15+20+30", "-bg", "white", "-fg", "black",
                   "-e", "sh", "-c", "ls -l /usr/bin | head -20; sleep 3600"])
            time.sleep(1.5)
            with tdtest.Agent(x.display) as agent:
                vv = os.path.join(self.tmp, "connect.vv")
                with open(vv, "w") as f:
                    f.write("[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=%d\npassword=%s\n"
                            % (agent.port, agent.password))
                env = tc.client_env()
                # Sanitizer builds: whole stacks on every malloc (for the leak
                # suppressions) cost a second a run. Every run is checked for
                # memory errors; leaks in the first runs and every 25th.
                quick = dict(env, ASAN_OPTIONS=env["ASAN_OPTIONS"] +
                             ":fast_unwind_on_malloc=1:detect_leaks=0")
                failures = []
                start = time.monotonic()
                for i in range(RUNS):
                    got = os.path.join(self.tmp, "d.png")
                    if os.path.exists(got):
                        os.unlink(got)
                    p = subprocess.run([tc.CLIENT, "--headless", "--screenshot=" + got, vv],
                                       capture_output=True, text=True, timeout=60,
                                       env=env if i < 5 or i % 25 == 0 else quick,
                                       stdin=subprocess.DEVNULL)
                    why = []
                    if p.returncode < 0:
                        why.append("killed by signal %d" % -p.returncode)
                    elif p.returncode != 0:
                        why.append("exit status %d" % p.returncode)
                    if any(r in p.stderr for r in SANITIZER_REPORTS):
                        why.append("sanitizer report")
                    if tc.messages(p.stderr):
                        why.append("stderr not empty")
                    if not os.path.exists(got) or png_size(got) != (w, h):
                        why.append("no %dx%d screenshot" % (w, h))
                    if why:
                        failures.append("run %d: %s\n%s" % (i + 1, ", ".join(why), p.stderr))
                    elif i == 0:
                        # The first one pixel-exact, as test_client_headless does.
                        src = os.path.join(self.tmp, "src.png")
                        tdtest.grab_root(x.display, src)
                        self.assertEqual(tdtest.compare_ae(got, src), 0,
                                         "screenshot differs from the display")
                elapsed = time.monotonic() - start
                print("%d runs in %.1f s (%.0f ms each), %d failed"
                      % (RUNS, elapsed, 1000 * elapsed / RUNS, len(failures)), flush=True)
                self.assertEqual(failures, [], "%d of %d runs failed; first ones:\n%s"
                                 % (len(failures), RUNS, "\n".join(failures[:5])))


if __name__ == "__main__":
    tdtest.main()
