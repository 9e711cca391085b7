#!/usr/bin/env python3
"""The user unit's SystemCallFilter= still lets the agent work: every system
call the agent makes while serving a real X server to a real client, with the
control socket and metrics in use, belongs to the unit's allowed set (as
systemd-analyze expands it). A user manager cannot run on every build
machine, so the filter is checked against an strace of the real agent."""

import os
import re
import subprocess
import sys
import tempfile
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402

UNIT = os.path.join(tdtest.BUILD, "packaging", "thindesk-agent.service")


def expand(group, seen=None):
    seen = seen if seen is not None else set()
    if group in seen:
        return set()
    seen.add(group)
    p = subprocess.run(["systemd-analyze", "syscall-filter", group], capture_output=True,
                       text=True, check=True)
    names = set()
    for line in p.stdout.splitlines()[1:]:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        names |= expand(line, seen) if line.startswith("@") else {line}
    return names


class TestHardening(unittest.TestCase):
    def test_syscall_filter_covers_a_session(self):
        tdtest.skip_unless_tools("strace", "systemd-analyze", "spicy-screenshot")
        # systemd adds up SystemCallFilter= lines: an allow list, then lines
        # starting with "~" that take their groups away again.
        groups = []
        with open(UNIT) as f:
            for line in f:
                if line.startswith("SystemCallFilter="):
                    groups.append(line.split("=", 1)[1].strip())
        self.assertTrue(groups, "the unit has no SystemCallFilter=")
        allowed, denied = set(), set()
        for value in groups:
            deny = value.startswith("~")
            for g in value.lstrip("~").split():
                (denied if deny else allowed).update(expand(g))
        allowed -= denied
        self.assertGreater(len(allowed), 100)
        tmp = tempfile.mkdtemp(prefix="thindesk-strace-")
        trace = os.path.join(tmp, "trace")
        port, mport, tport = tdtest.free_port(), tdtest.free_port(), tdtest.free_port()
        with tdtest.Xvfb(800, 600) as x:
            env = dict(os.environ, XDG_RUNTIME_DIR=tmp, XDG_CONFIG_HOME=tmp)
            env.pop("DISPLAY", None)
            with open(os.path.join(tmp, "out"), "w") as out:
                proc = subprocess.Popen(
                    ["strace", "-f", "-qq", "-o", trace, tdtest.AGENT, "--display=" + x.display,
                     "--listen=127.0.0.1:%d" % port, "--disable-ticketing",
                     "--metrics=127.0.0.1:%d" % mport, "--tls-listen=127.0.0.1:%d" % tport],
                    stdout=out, stderr=subprocess.STDOUT, env=env)
            try:
                tdtest.wait_for(lambda: "serving" in open(os.path.join(tmp, "out")).read(), 60,
                                what="the agent under strace")
                for colour in ("red", "blue"):
                    x.check(["xsetroot", "-solid", colour])
                    rc, out = tdtest.spicy_screenshot(port, None, os.path.join(tmp, "s.ppm"), 60)
                    self.assertEqual(rc, 0, out)
                p = subprocess.run([tdtest.AGENT, "ctl", "--control-socket=" +
                                    os.path.join(tmp, "thindesk", "control"), "status"],
                                   capture_output=True, text=True, timeout=30)
                self.assertEqual(p.returncode, 0, p.stderr)
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport,
                                            timeout=30) as r:
                    self.assertIn(b"thindesk_frames_captured_total", r.read())
            finally:
                # SIGTERM to the agent itself (strace passes it on and exits).
                agent_pids = subprocess.run(["pgrep", "-P", str(proc.pid)],
                                            capture_output=True, text=True).stdout.split()
                for pid in agent_pids:
                    os.kill(int(pid), 15)
                proc.wait(30)
        with open(trace) as f:
            used = set(re.findall(r"^\d+ +([a-z_0-9]+)\(", f.read(), re.M))
        self.assertGreater(len(used), 20, "strace saw too little")
        self.assertEqual(sorted(used - allowed), [],
                         "system calls outside SystemCallFilter=%s" % " / ".join(groups))
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    tdtest.main()
