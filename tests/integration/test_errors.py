#!/usr/bin/python3
"""Bad input and faults: one clear message, a non-zero exit (2 for usage),
no crash, nothing left running. Also the demo mode's virtual desktop."""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402


def run_agent(*args, env=None, timeout=30):
    e = dict(os.environ)
    e["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="thindesk-cfg-")
    if env:
        e.update(env)
    return subprocess.run([tdtest.AGENT, *args], capture_output=True, text=True, timeout=timeout,
                          env=e, stdin=subprocess.DEVNULL)


def xvfb_children(pid):
    """Xvfb processes started by process @pid."""
    p = subprocess.run(["pgrep", "-P", str(pid), "Xvfb"], capture_output=True, text=True)
    return set(p.stdout.split())


def alive(pids):
    return {p for p in pids if os.path.exists("/proc/%s" % p)}


class UsageErrorsTest(unittest.TestCase):
    def check_usage(self, args, needle):
        p = run_agent(*args)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(needle, p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, "one clear message: " + p.stderr)

    def test_unknown_option(self):
        self.check_usage(["--colour=blue"], "unknown option '--colour'")

    def test_bad_values(self):
        self.check_usage(["--listen=somewhere"], "invalid value 'somewhere' for listen")
        self.check_usage(["--image-compression=png"], "invalid value 'png' for image-compression")
        self.check_usage(["--zlib-glz-wan-compression=maybe"], "zlib-glz-wan-compression")
        self.check_usage(["--capture=screen"], "unknown capture backend 'screen'")

    def test_help_and_version(self):
        p = run_agent("--help")
        self.assertEqual(p.returncode, 0)
        for opt in ["--display", "--listen", "--password-file", "--generate-password",
                    "--disable-ticketing", "--config", "--capture", "--image-compression",
                    "--jpeg-wan-compression", "--zlib-glz-wan-compression", "--virtual-desktop"]:
            self.assertIn(opt, p.stdout)
        p = run_agent("--version")
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^thindesk-agent \d+\.\d+")


class RuntimeErrorsTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb")
        self.tmp = tempfile.mkdtemp(prefix="thindesk-err-")

    def test_unreadable_config(self):
        bad = os.path.join(self.tmp, "bad.conf")
        with open(bad, "w") as f:
            f.write("[agent]\nlisten = 127.0.0.1:notaport\n")
        p = run_agent("--config=" + bad)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(bad, p.stderr)
        p = run_agent("--config=" + os.path.join(self.tmp, "missing.conf"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("missing.conf", p.stderr)

    def test_unreadable_password_file(self):
        with tdtest.Xvfb(320, 240) as x:
            p = run_agent("--display=" + x.display,
                          "--password-file=" + os.path.join(self.tmp, "nope"))
            self.assertEqual(p.returncode, 1)
            self.assertIn("cannot read password file", p.stderr)

    def test_port_in_use(self):
        with tdtest.Xvfb(320, 240) as x, socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            port = s.getsockname()[1]
            p = run_agent("--display=" + x.display, "--listen=127.0.0.1:%d" % port,
                          "--generate-password")
            self.assertEqual(p.returncode, 1)
            self.assertIn("cannot listen on 127.0.0.1:%d: Address already in use" % port,
                          p.stderr)

    def test_display_unreachable(self):
        p = run_agent("--display=:987", "--listen=127.0.0.1:%d" % tdtest.free_port())
        self.assertEqual(p.returncode, 1)
        self.assertIn("cannot open X display :987", p.stderr)

    def test_x_server_killed_under_running_agent(self):
        x = tdtest.Xvfb(640, 480)
        try:
            agent = tdtest.Agent(x.display)
            agent.check_exit = False
            # A client is connected so that capture is live.
            out = os.path.join(self.tmp, "shot.ppm")
            rc, text = tdtest.spicy_screenshot(agent.port, agent.password, out)
            self.assertEqual(rc, 0, text)
            x.proc.kill()
            code = agent.proc.wait(20)
            self.assertEqual(code, 1, "exit code %s (negative = killed by a signal)" % code)
            err = agent.stderr()
            self.assertIn("X display %s: connection to the X server was lost" % x.display, err)
            self.assertFalse(tdtest.port_open(agent.port))
        finally:
            x.stop()

    def test_x_server_killed_while_idle(self):
        """No client: capture is paused, but the agent still notices."""
        x = tdtest.Xvfb(640, 480)
        try:
            agent = tdtest.Agent(x.display)
            agent.check_exit = False
            x.proc.kill()
            code = agent.proc.wait(20)
            self.assertEqual(code, 1)
            self.assertIn("connection to the X server was lost", agent.stderr())
        finally:
            x.stop()


class VirtualDesktopTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "xterm", "spicy-screenshot")

    def test_demo_mode_without_display(self):
        with tdtest.Agent(None, password=None, env={"DISPLAY": ""}) as agent:
            out = agent.stdout()
            self.assertRegex(out, r"serving X display :\d+ \(1280x720\) at spice://127\.0\.0\.1:%d"
                             % agent.port)
            pw = re.search(r"password: (\S+)", out).group(1)
            self.assertRegex(out, r"connect with: remote-viewer \S+\.vv")
            started = xvfb_children(agent.proc.pid)
            self.assertEqual(len(started), 1, "expected one Xvfb of our own")
            shot = os.path.join(agent.tmp, "shot.ppm")
            rc, text = tdtest.spicy_screenshot(agent.port, pw, shot)
            self.assertEqual(rc, 0, text)
            self.assertEqual(tdtest.image_size(shot), (1280, 720))
            code = agent.stop()
            self.assertEqual(code, 0)
        tdtest.wait_for(lambda: not alive(started), 10, what="the agent's Xvfb to stop")

    def test_virtual_desktop_cleanup_on_failure(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            port = s.getsockname()[1]
            p = run_agent("--virtual-desktop=800x600", "--listen=127.0.0.1:%d" % port,
                          "--log-level=debug", env={"DISPLAY": ""})
        self.assertEqual(p.returncode, 1)
        self.assertIn("Address already in use", p.stderr)
        m = re.search(r"started a virtual desktop on (:\d+)", p.stderr)
        self.assertIsNotNone(m, p.stderr)
        # Nobody serves that display any more.
        gone = subprocess.run(["xdpyinfo", "-display", m.group(1)], capture_output=True)
        self.assertNotEqual(gone.returncode, 0, "the virtual desktop outlived the agent")

    def test_virtual_desktop_given_size(self):
        with tdtest.Agent(None, password=None, args=["--virtual-desktop=800x600"],
                          env={"DISPLAY": ""}) as agent:
            self.assertIn("(800x600)", agent.stdout())


if __name__ == "__main__":
    tdtest.main()
