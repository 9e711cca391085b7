#!/usr/bin/env python3
"""systemd-analyze verify on the user unit (clean: no warnings at all), and
the XDG autostart entry is valid and starts the same program."""

import configparser
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkgtest  # noqa: E402

UNIT = os.path.join(pkgtest.BUILD, "packaging", "thindesk-agent.service")
DESKTOP = os.path.join(pkgtest.BUILD, "packaging", "thindesk-agent.desktop")


def read_ini(path):
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    cp.optionxform = str
    cp.read(path)
    return cp


class TestUnits(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="thindesk-units-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_user_service_verifies_clean(self):
        pkgtest.need_tools("systemd-analyze")
        unit = read_ini(UNIT)
        exec_start = unit["Service"]["ExecStart"]
        self.assertTrue(exec_start.endswith("/bin/thindesk-agent"), exec_start)
        self.assertEqual(unit["Unit"]["PartOf"], "graphical-session.target")
        self.assertEqual(unit["Install"]["WantedBy"], "graphical-session.target")
        self.assertEqual(unit["Service"]["Restart"], "on-failure")
        self.assertEqual(unit["Service"]["NoNewPrivileges"], "yes")
        # The binary is not installed here: point ExecStart at the build's.
        with open(UNIT) as f:
            text = f.read().replace("ExecStart=" + exec_start, "ExecStart=" + pkgtest.AGENT)
        copy = os.path.join(self.tmp, "thindesk-agent.service")
        with open(copy, "w") as f:
            f.write(text)
        rt = os.path.join(self.tmp, "runtime")
        os.mkdir(rt, 0o700)
        env = dict(os.environ, XDG_RUNTIME_DIR=rt, MANPATH=pkgtest.MAN_DIR,
                   SYSTEMD_LOG_LEVEL="notice")
        p = pkgtest.run(["systemd-analyze", "--user", "verify", copy], env=env, cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual((p.stdout + p.stderr).strip(), "", "systemd-analyze verify complained")

        # The check is real: a broken unit is reported.
        bad = os.path.join(self.tmp, "bad.service")
        with open(bad, "w") as f:
            f.write(text.replace("Restart=on-failure", "Restart=sometimes"))
        p = pkgtest.run(["systemd-analyze", "--user", "verify", bad], env=env, cwd=self.tmp)
        self.assertIn("sometimes", p.stdout + p.stderr)

    def test_usb_helper_system_units_verify_clean(self):
        """The USB helper's socket-activated root units (from usb/)."""
        pkgtest.need_tools("systemd-analyze")
        helper = os.path.join(pkgtest.BUILD, "usb", "thindesk-usb-helper")
        src = os.path.join(pkgtest.SOURCE, "packaging", "systemd")
        copies = []
        for name in ("thindesk-usb-helper.socket", "thindesk-usb-helper.service"):
            with open(os.path.join(src, name)) as f:
                text = f.read().replace("/usr/libexec/thindesk/thindesk-usb-helper", helper)
            copies.append(os.path.join(self.tmp, name))
            with open(copies[-1], "w") as f:
                f.write(text)
        # MANPATH: verify also checks that Documentation=man:... resolves.
        p = pkgtest.run(["systemd-analyze", "verify", *copies], cwd=self.tmp,
                        env=dict(os.environ, SYSTEMD_LOG_LEVEL="notice",
                                 MANPATH=pkgtest.MAN_DIR))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual((p.stdout + p.stderr).strip(), "", "systemd-analyze verify complained")

    def test_session_helper_unit_and_autostart_entry(self):
        """thindesk-session (the system service's helper in each session)."""
        pkgtest.need_tools("systemd-analyze", "desktop-file-validate")
        unit_path = os.path.join(pkgtest.BUILD, "packaging", "thindesk-session.service")
        desktop = os.path.join(pkgtest.BUILD, "packaging", "thindesk-session.desktop")
        unit = read_ini(unit_path)
        exec_start = unit["Service"]["ExecStart"]
        self.assertTrue(exec_start.endswith("/bin/thindesk-session"), exec_start)
        self.assertEqual(unit["Unit"]["PartOf"], "graphical-session.target")
        self.assertEqual(unit["Install"]["WantedBy"], "graphical-session.target")
        self.assertEqual(unit["Unit"]["ConditionPathExists"], "/run/thindesk/session.sock")
        helper = os.path.join(pkgtest.BUILD, "agent", "thindesk-session")
        with open(unit_path) as f:
            text = f.read().replace("ExecStart=" + exec_start, "ExecStart=" + helper)
        copy = os.path.join(self.tmp, "thindesk-session.service")
        with open(copy, "w") as f:
            f.write(text)
        rt = os.path.join(self.tmp, "runtime")
        os.mkdir(rt, 0o700)
        env = dict(os.environ, XDG_RUNTIME_DIR=rt, MANPATH=pkgtest.MAN_DIR,
                   SYSTEMD_LOG_LEVEL="notice")
        p = pkgtest.run(["systemd-analyze", "--user", "verify", copy], env=env, cwd=self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual((p.stdout + p.stderr).strip(), "", "systemd-analyze verify complained")
        entry = read_ini(desktop)["Desktop Entry"]
        self.assertEqual(entry["Exec"], exec_start)
        self.assertEqual(entry["X-systemd-skip"], "true")
        p = pkgtest.run(["desktop-file-validate", desktop])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stdout.strip(), "", p.stdout)
        # Where no system service runs, the autostarted helper just exits.
        p = pkgtest.run([helper, "--socket=" + os.path.join(self.tmp, "absent.sock")],
                        timeout=10)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("no system service here", p.stderr)

    def test_autostart_entry(self):
        entry = read_ini(DESKTOP)["Desktop Entry"]
        self.assertEqual(entry["Type"], "Application")
        self.assertEqual(entry["Exec"], read_ini(UNIT)["Service"]["ExecStart"])
        # Under systemd the unit starts the agent, not the autostart entry.
        self.assertEqual(entry["X-systemd-skip"], "true")
        self.assertEqual(entry["X-GNOME-HiddenUnderSystemd"], "true")
        pkgtest.need_tools("desktop-file-validate")
        p = pkgtest.run(["desktop-file-validate", DESKTOP])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stdout.strip(), "", p.stdout)


if __name__ == "__main__":
    pkgtest.main()
