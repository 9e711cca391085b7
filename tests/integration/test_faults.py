#!/usr/bin/python3
"""Faults: a client that vanishes mid-frame with a TCP reset, a client that
stops reading, and 1,000 connect/disconnect cycles. The agent keeps serving,
frees what it held (no sanitizer report at exit under ASan; resident memory
after 1,000 cycles within 10% of after 10 in a non-ASan build), and the next
client gets a correct full frame (spicy-screenshot equals import)."""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402

# A spice-gtk client in a child process: connects, waits until the display
# channel has read THRESHOLD bytes (a frame is streaming), then either resets
# every socket it has (SO_LINGER 0, then exit) or stops itself (SIGSTOP: a
# client that no longer reads).
CLIENT = r"""
import os, signal, socket, struct, sys, spiceclient
port, password, threshold, mode = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
c = spiceclient.Client(port, password)
ok = c.wait(lambda: c.display_bytes() >= threshold or c.errors, 60)
print("READ", c.display_bytes(), c.errors, flush=True)
if mode == "reset":
    for fd in os.listdir("/proc/self/fd"):
        try:
            s = socket.socket(fileno=int(fd))
        except OSError:
            continue
        try:
            if s.family in (socket.AF_INET, socket.AF_INET6):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        finally:
            s.detach()
    os._exit(0)
os.kill(os.getpid(), signal.SIGSTOP)
c.wait(lambda: False, 600)
"""


def asan_build():
    cache = os.path.join(tdtest.BUILD, "CMakeCache.txt")
    try:
        with open(cache) as f:
            return bool(re.search(r"^THINDESK_SANITIZE:STRING=.*address", f.read(), re.M))
    except OSError:
        return False


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


class FaultTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "spicy-screenshot", "import", "compare", "xsetroot")
        self.tmp = tempfile.mkdtemp(prefix="thindesk-faults-")
        self.x = tdtest.Xvfb(1024, 768)
        # Random noise on the whole root window: a big, hardly compressible frame.
        noise = os.path.join(self.tmp, "noise.xbm")
        data = os.urandom(1024 * 768 // 8)
        with open(noise, "w") as f:
            f.write("#define n_width 1024\n#define n_height 768\n"
                    "static unsigned char n_bits[] = {\n")
            f.write(",".join("0x%02x" % b for b in data))
            f.write("};\n")
        self.x.check(["xsetroot", "-bitmap", noise, "-fg", "#d0a050", "-bg", "#103070"])
        self.children = []

    def tearDown(self):
        for p in self.children:
            if p.poll() is None:
                p.send_signal(signal.SIGCONT)
                p.kill()
                p.wait()
        self.x.stop()

    def client(self, agent, threshold, mode):
        p = subprocess.Popen(["/usr/bin/python3", "-c", CLIENT, str(agent.port), agent.password,
                              str(threshold), mode], cwd=tdtest.HERE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
        self.children.append(p)
        return p

    def assert_full_frame(self, agent, timeout=60):
        got = os.path.join(self.tmp, "got.ppm")
        src = os.path.join(self.tmp, "src.png")
        if os.path.exists(got):
            os.unlink(got)
        rc, text = tdtest.spicy_screenshot(agent.port, agent.password, got, timeout=timeout)
        self.assertEqual(rc, 0, text)
        tdtest.grab_root(self.x.display, src)
        self.assertEqual(tdtest.compare_ae(got, src), 0, "the frame differs from the display")

    def test_client_reset_mid_frame(self):
        with tdtest.Agent(self.x.display) as agent:
            for _ in range(3):
                p = self.client(agent, 200000, "reset")
                out, _ = p.communicate(timeout=90)
                m = re.search(r"READ (\d+)", out)
                self.assertIsNotNone(m, out)
                self.assertGreaterEqual(int(m.group(1)), 200000, out)
                tdtest.wait_for(lambda: agent.stderr().count("disconnected") >= 1, 30,
                                what="the agent to see the reset client go")
            self.assertIsNone(agent.proc.poll(), "the agent died")
            self.assert_full_frame(agent)

    def test_client_stops_reading(self):
        # Keep the desktop changing so the stopped client's socket fills up.
        churn = self.x.run(["xterm", "-geometry", "120x40+0+0", "-e", "sh", "-c",
                            "while :; do head -c 4000 /dev/urandom | od -x; done"])
        with tdtest.Agent(self.x.display) as agent:
            p = self.client(agent, 500000, "stop")
            tdtest.wait_for(lambda: p.poll() is None and
                            open("/proc/%d/stat" % p.pid).read().split()[2] == "T", 90,
                            what="the client to stop itself")
            time.sleep(5)  # its socket buffers fill while the desktop changes
            # The main loop still answers.
            agent.proc.send_signal(signal.SIGUSR1)
            tdtest.wait_for(lambda: "stats:" in agent.stderr(), 10,
                            what="the agent's stats while a client does not read")
            # A new client takes over (SPICE serves one at a time) and gets frames.
            got = os.path.join(self.tmp, "busy.ppm")
            rc, text = tdtest.spicy_screenshot(agent.port, agent.password, got, timeout=90)
            self.assertEqual(rc, 0, text)
            churn.kill()
            churn.wait()
            time.sleep(1)
            self.assert_full_frame(agent)
            p.send_signal(signal.SIGCONT)
            p.kill()
            p.wait()
            self.assert_full_frame(agent)

    def test_thousand_connect_cycles(self):
        try:
            import spicelink
        except ImportError as e:
            self.skipTest("python3-cryptography missing: %s" % e)
        with tdtest.Agent(self.x.display) as agent:
            self.assert_full_frame(agent)
            pid = agent.proc.pid

            def cycles(n):
                for i in range(n):
                    result, sock = spicelink.login(agent.port, agent.password, keep=True)
                    self.assertEqual(result, 0)
                    if i % 2:
                        spicelink.reset(sock)
                    else:
                        sock.close()

            cycles(10)
            time.sleep(1)
            rss10, fds10 = rss_kb(pid), fd_count(pid)
            t0 = time.monotonic()
            cycles(990)
            took = time.monotonic() - t0
            time.sleep(1)
            rss1000, fds1000 = rss_kb(pid), fd_count(pid)
            print("cycles: RSS after 10 %d kB, after 1000 %d kB (%+.1f%%); fds %d -> %d; "
                  "990 cycles in %.1f s" % (rss10, rss1000, 100.0 * (rss1000 - rss10) / rss10,
                                            fds10, fds1000, took))
            self.assertLessEqual(fds1000, fds10, "file descriptors leak")
            if asan_build():
                print("RSS bound not checked under ASan (its quarantine holds freed memory); "
                      "leaks are checked by LeakSanitizer when the agent exits")
            else:
                self.assertLessEqual(rss1000, rss10 * 1.10, "memory grew by more than 10%")
            self.assertIsNone(agent.proc.poll(), "the agent died")
            self.assert_full_frame(agent)


if __name__ == "__main__":
    tdtest.main()
