#!/usr/bin/env python3
"""The Debian package: cpack builds it from the install rules; its file list,
its dependencies (from dpkg-shlibdeps, checked against the libraries the
binary really loads) and lintian are checked; it installs with dpkg -i, works
from /usr (version, man, unit, drop-in config), and a purge leaves no file
behind. This installs into the real system: run serially, purged always."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkgtest  # noqa: E402

EXPECTED_FILES = {
    "/etc/thindesk/agent.conf",
    "/etc/xdg/autostart/thindesk-agent.desktop",
    "/usr/bin/thindesk",
    "/usr/bin/thindesk-agent",
    "/usr/libexec/thindesk/thindesk-usb-helper",
    "/usr/lib/systemd/system/thindesk-usb-helper.service",
    "/usr/lib/systemd/system/thindesk-usb-helper.socket",
    "/usr/lib/sysusers.d/thindesk.conf",
    "/usr/lib/systemd/user/thindesk-agent.service",
    "/usr/share/doc/thindesk/changelog.Debian.gz",
    "/usr/share/doc/thindesk/copyright",
    "/usr/share/lintian/overrides/thindesk",
    "/usr/share/man/man1/thindesk.1.gz",
    "/usr/share/man/man1/thindesk-agent.1.gz",
    "/usr/share/man/man5/thindesk-agent.conf.5.gz",
    "/usr/share/man/man8/thindesk-usb-helper.8.gz",
    "/usr/lib/udev/rules.d/60-thindesk-uinput.rules",
    "/usr/lib/systemd/system/thindesk-agent-system.service",
    "/usr/share/lightdm/lightdm.conf.d/60-thindesk.conf",
    "/usr/bin/thindesk-session",
    "/usr/lib/systemd/user/thindesk-session.service",
    "/etc/xdg/autostart/thindesk-session.desktop",
    "/usr/share/man/man1/thindesk-session.1.gz",
}
SOCKET_LINK = "/etc/systemd/system/sockets.target.wants/thindesk-usb-helper.socket"
# Lintian tags that stay, each explained in packaging/LINTIAN.md.
EXPLAINED_TAGS = {"initial-upload-closes-no-bugs", "binary-has-unneeded-section",
                  "systemd-service-file-missing-install-key",
                  "package-supports-alternative-init-but-no-init.d-script"}


def dpkg(*args):
    """dpkg, waiting while another process (apt on this shared machine) holds
    its lock."""
    deadline = time.monotonic() + 600
    while True:
        p = pkgtest.run(["dpkg", *args], timeout=300)
        if p.returncode == 0 or "lock" not in p.stderr or time.monotonic() > deadline:
            return p
        time.sleep(2)


def installed(pkg):
    p = pkgtest.run(["dpkg-query", "-W", "-f=${Status}", pkg])
    return p.returncode == 0 and "install ok installed" in p.stdout


class TestDeb(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        pkgtest.need_tools("cpack", "dpkg-deb", "dpkg-shlibdeps", "lintian")
        cls.tmp = tempfile.mkdtemp(prefix="thindesk-deb-")
        try:
            cls.deb = pkgtest.build_deb(cls.tmp)
        except BaseException:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def field(self, name):
        return pkgtest.run(["dpkg-deb", "-f", self.deb, name], check=True).stdout.strip()

    def test_1_contents(self):
        p = pkgtest.run(["dpkg-deb", "-c", self.deb], check=True)
        files = set()
        for line in p.stdout.splitlines():
            mode, path = line.split()[0], line.split()[5]
            if not mode.startswith("d"):
                files.add(path[1:])
        self.assertEqual(files, EXPECTED_FILES)
        self.assertEqual(self.field("Package"), "thindesk")
        self.assertRegex(self.field("Version"), r"^\d+\.\d+\.\d+-\d+$")
        conffiles = pkgtest.run(["dpkg-deb", "--ctrl-tarfile", self.deb], check=True,
                                encoding="latin-1")
        self.assertIn("conffiles", conffiles.stdout)

    def test_2_depends_match_what_the_binary_loads(self):
        depends = self.field("Depends")
        pkgs = {d.strip().split(" ")[0] for d in depends.split(",")}
        # Every library the agent loads belongs to a package in Depends.
        p = pkgtest.run(["objdump", "-p", pkgtest.AGENT], check=True)
        needed = re.findall(r"NEEDED\s+(\S+)", p.stdout)
        self.assertTrue(needed)
        ldd = pkgtest.run(["ldd", pkgtest.AGENT], check=True).stdout
        for lib in needed:
            m = re.search(r"^\s*%s => (\S+)" % re.escape(lib), ldd, re.M)
            self.assertTrue(m, "ldd does not resolve " + lib)
            real = os.path.realpath(m.group(1))
            owner = pkgtest.run(["dpkg", "-S", real])
            if owner.returncode != 0:  # merged /usr: try the other spelling
                alt = real[4:] if real.startswith("/usr/") else "/usr" + real
                owner = pkgtest.run(["dpkg", "-S", alt], check=True)
            pkg = owner.stdout.split(":")[0]
            self.assertIn(pkg, pkgs, "%s (from %s) missing in Depends: %s" % (pkg, lib, depends))
        for must in ("libspice-server1", "libglib2.0-0", "libsystemd0", "libjson-glib-1.0-0"):
            self.assertIn(must, pkgs)
        self.assertIn("(>=", depends, "versions come from dpkg-shlibdeps")

    def test_3_lintian(self):
        p = pkgtest.run(["lintian", "--pedantic", "-I", "--show-overrides", self.deb],
                        timeout=600)
        tags = []
        for line in p.stdout.splitlines():
            m = re.match(r"^([EWIPXO]): thindesk[^:]*: (\S+)", line)
            if m:
                tags.append((m.group(1), m.group(2)))
        unexplained = [t for t in tags if t[0] != "O" or t[1] not in EXPLAINED_TAGS]
        self.assertEqual(unexplained, [], "lintian:\n" + p.stdout)
        with open(os.path.join(pkgtest.SOURCE, "packaging", "LINTIAN.md")) as f:
            doc = f.read()
        for tag in EXPLAINED_TAGS:
            self.assertIn(tag, doc)

    def test_4_install_use_purge(self):
        if os.geteuid() != 0:
            print("SKIP: dpkg -i needs root")
            raise unittest.SkipTest("dpkg -i needs root")
        self.assertFalse(installed("thindesk"), "thindesk is already installed on this machine")
        self.assertFalse(os.path.exists("/etc/thindesk"), "/etc/thindesk exists already")
        groups = ("thindesk-usb", "thindesk-input")
        had = {g for g in groups if pkgtest.run(["getent", "group", g]).returncode == 0}
        try:
            p = dpkg("-i", self.deb)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertTrue(installed("thindesk"))
            listed = set(pkgtest.run(["dpkg", "-L", "thindesk"], check=True).stdout.split())
            self.assertTrue(EXPECTED_FILES <= listed)
            for f in EXPECTED_FILES:
                self.assertTrue(os.path.exists(f), f)

            p = pkgtest.run(["/usr/bin/thindesk-agent", "--version"], check=True)
            self.assertRegex(p.stdout, r"^thindesk-agent \d")
            p = pkgtest.run(["man", "-w", "thindesk-agent"])
            self.assertEqual(p.stdout.strip(), "/usr/share/man/man1/thindesk-agent.1.gz")
            p = pkgtest.run(["man", "-w", "5", "thindesk-agent.conf"])
            self.assertEqual(p.stdout.strip(), "/usr/share/man/man5/thindesk-agent.conf.5.gz")
            p = pkgtest.run(["man", "-w", "8", "thindesk-usb-helper"])
            self.assertEqual(p.stdout.strip(), "/usr/share/man/man8/thindesk-usb-helper.8.gz")

            # The postinst made the groups and enabled the USB helper's socket.
            for group in groups:
                p = pkgtest.run(["getent", "group", group])
                self.assertEqual(p.returncode, 0, "the postinst did not create group " + group)
            self.assertEqual(os.path.realpath(SOCKET_LINK),
                             "/usr/lib/systemd/system/thindesk-usb-helper.socket",
                             "the postinst did not enable thindesk-usb-helper.socket")

            rt = tempfile.mkdtemp(prefix="thindesk-rt-", dir=self.tmp)
            os.chmod(rt, 0o700)
            p = pkgtest.run(["systemd-analyze", "--user", "verify",
                             "/usr/lib/systemd/user/thindesk-agent.service"],
                            env=dict(os.environ, XDG_RUNTIME_DIR=rt))
            self.assertEqual((p.returncode, (p.stdout + p.stderr).strip()), (0, ""))

            # A drop-in next to the packaged config, overridden on the command line.
            os.makedirs("/etc/thindesk/agent.conf.d")
            dropin = "/etc/thindesk/agent.conf.d/50-test.conf"
            with open(dropin, "w") as f:
                f.write("[agent]\nlisten=127.0.0.1:5999\nmax-fps=24\n")
            try:
                env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(self.tmp, "cfg"),
                           DISPLAY=":99")
                p = pkgtest.run(["/usr/bin/thindesk-agent", "--check-config", "--max-fps=30"],
                                env=env)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertRegex(p.stdout, r"(?m)^listen=127\.0\.0\.1:5999\s+# from %s$"
                                 % re.escape(dropin))
                self.assertRegex(p.stdout, r"(?m)^max-fps=30\s+# from command line$")
                self.assertRegex(p.stdout, r"(?m)^image-compression=auto_glz\s+# from default$")
                with open(dropin, "w") as f:
                    f.write("[agent]\nmax-fps=fast\n")
                p = pkgtest.run(["/usr/bin/thindesk-agent", "--check-config"], env=env)
                self.assertEqual(p.returncode, 1)
                self.assertIn("config file %s line 2: invalid value 'fast'" % dropin, p.stderr)
            finally:
                os.unlink(dropin)
                os.rmdir("/etc/thindesk/agent.conf.d")
        finally:
            p = dpkg("--purge", "thindesk")
            # Purging keeps the groups (as Debian packages do); this machine
            # gets back what it had.
            for group in set(groups) - had:
                pkgtest.run(["groupdel", group])
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertFalse(installed("thindesk"))
        left = [f for f in EXPECTED_FILES | {SOCKET_LINK} if os.path.lexists(f)]
        self.assertEqual(left, [], "files left after purge")
        for d in ("/etc/thindesk", "/usr/share/doc/thindesk", "/usr/share/lintian/overrides/thindesk"):
            self.assertFalse(os.path.lexists(d), d + " left after purge")


if __name__ == "__main__":
    pkgtest.main()
