"""The system service's unit (thindesk-agent --system) and LightDM's drop-in:
systemd-analyze verify is clean, the sandbox scores at most 5.0 in
systemd-analyze security, and the drop-in runs the hooks of the agent the
unit starts."""

import configparser
import os
import re
import shutil
import tempfile
import unittest

import pkgtest

UNIT = os.path.join(pkgtest.BUILD, "packaging", "thindesk-agent-system.service")
DROPIN = os.path.join(pkgtest.BUILD, "packaging", "60-thindesk.conf")


def read_ini(path):
    p = configparser.ConfigParser(strict=False, interpolation=None)
    p.optionxform = str
    p.read(path)
    return p


class SystemUnit(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="thindesk-sysunit-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        # The unit names the installed agent: point it at the built one.
        with open(UNIT) as f:
            text = f.read()
        self.installed = read_ini(UNIT)["Service"]["ExecStart"].split()[0]
        self.copy = os.path.join(self.tmp, "thindesk-agent-system.service")
        with open(self.copy, "w") as f:
            f.write(text.replace(self.installed, pkgtest.AGENT))

    def test_verify_clean(self):
        pkgtest.need_tools("systemd-analyze")
        p = pkgtest.run(["systemd-analyze", "verify", self.copy], cwd=self.tmp,
                        env=dict(os.environ, SYSTEMD_LOG_LEVEL="notice",
                                 MANPATH=pkgtest.MAN_DIR))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual((p.stdout + p.stderr).strip(), "", "systemd-analyze verify complained")

    def test_security_score(self):
        pkgtest.need_tools("systemd-analyze")
        p = pkgtest.run(["systemd-analyze", "security", "--offline=true", self.copy],
                        cwd=self.tmp)
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", p.stdout + p.stderr)
        self.assertIsNotNone(m, p.stdout + p.stderr)
        print("systemd-analyze security: %s" % m.group(1), flush=True)
        self.assertLessEqual(float(m.group(1)), 5.0, p.stdout)

    def test_system_mode_and_wanted_by(self):
        unit = read_ini(UNIT)
        self.assertIn("--system", unit["Service"]["ExecStart"].split())
        self.assertEqual(unit["Install"]["WantedBy"], "graphical.target")

    def test_lightdm_dropin_runs_the_hooks(self):
        seat = read_ini(DROPIN)["Seat:*"]
        for key, event in (("display-setup-script", "display-setup"),
                           ("session-setup-script", "session-setup"),
                           ("session-cleanup-script", "session-cleanup")):
            self.assertEqual(seat[key].split(), [self.installed, "dm-hook", event])


if __name__ == "__main__":
    pkgtest.main()
