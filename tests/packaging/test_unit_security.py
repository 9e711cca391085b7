#!/usr/bin/env python3
"""Every systemd service unit the package installs (found in a `cmake
--install` of the build, not in a list kept by hand) scores at most 5.0 in
`systemd-analyze security --offline=true` (systemd 252), system units with
the system manager's view, user units with --user's."""

import os
import re
import shutil
import tempfile
import unittest

import pkgtest

LIMIT = 5.0


class UnitSecurity(unittest.TestCase):
    def setUp(self):
        pkgtest.need_tools("systemd-analyze", "cmake")
        self.tmp = tempfile.mkdtemp(prefix="thindesk-unitsec-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.root = os.path.join(self.tmp, "root")
        p = pkgtest.run(["cmake", "--install", pkgtest.BUILD, "--prefix", "/usr",
                         "--component", "Unspecified"],
                        env=dict(os.environ, DESTDIR=self.root), timeout=300)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def units(self, kind):
        found = []
        for top in ("usr/lib/systemd", "lib/systemd"):
            d = os.path.join(self.root, top, kind)
            if os.path.isdir(d):
                found += [os.path.join(d, f) for f in sorted(os.listdir(d))
                          if f.endswith(".service") and os.path.join(d, f) not in found]
        return found

    def score(self, unit, user):
        rt = os.path.join(self.tmp, "runtime")
        os.makedirs(rt, 0o700, exist_ok=True)
        argv = ["systemd-analyze"] + (["--user"] if user else []) + \
            ["security", "--offline=true", unit]
        p = pkgtest.run(argv, cwd=self.tmp, env=dict(os.environ, XDG_RUNTIME_DIR=rt))
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", p.stdout + p.stderr)
        self.assertIsNotNone(m, " ".join(argv) + ":\n" + p.stdout + p.stderr)
        return float(m.group(1)), p.stdout

    def test_every_shipped_service_scores_at_most_5(self):
        system, user = self.units("system"), self.units("user")
        names = [os.path.basename(u) for u in system + user]
        # The check is about what is shipped: these are in the package.
        for expected in ("thindesk-agent-system.service", "thindesk-usb-helper.service",
                         "thindesk-agent.service", "thindesk-session.service"):
            self.assertIn(expected, names)
        for unit, is_user in [(u, False) for u in system] + [(u, True) for u in user]:
            with self.subTest(unit=os.path.basename(unit)):
                score, report = self.score(unit, is_user)
                print("systemd-analyze%s security --offline=true %s: %.1f"
                      % (" --user" if is_user else "", os.path.basename(unit), score),
                      flush=True)
                self.assertLessEqual(score, LIMIT, report)

    def test_the_check_sees_a_weak_unit(self):
        weak = os.path.join(self.tmp, "weak.service")
        with open(weak, "w") as f:
            f.write("[Service]\nExecStart=/bin/true\n")
        score, _ = self.score(weak, False)
        self.assertGreater(score, LIMIT)


if __name__ == "__main__":
    pkgtest.main()
