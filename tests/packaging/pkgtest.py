"""Helpers for the packaging tests."""

import os
import re
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.environ.get("THINDESK_BUILD_DIR", os.path.join(SOURCE, "build"))
AGENT = os.path.join(BUILD, "agent", "thindesk-agent")
MAN_DIR = os.path.join(BUILD, "packaging", "man")


def need_tools(*tools):
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        print("SKIP: missing tools: " + ", ".join(missing))
        sys.exit(77)


def help_options(agent=AGENT):
    """Every --option that --help lists."""
    out = subprocess.run([agent, "--help"], capture_output=True, text=True, check=True).stdout
    return re.findall(r"^  --([a-z0-9-]+)", out, re.M)


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def cache_value(key):
    """A value from the build's CMakeCache.txt, or None."""
    with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith(key + ":"):
                return line.split("=", 1)[1].strip()
    return None


def build_deb(outdir):
    """Builds the .deb with cpack from the build's install rules into
    @outdir; returns its path. Raises AssertionError when it cannot."""
    prefix = cache_value("CMAKE_INSTALL_PREFIX")
    if prefix != "/usr":
        raise AssertionError("the build is configured with CMAKE_INSTALL_PREFIX=%s; the "
                             "package installs into /usr (reconfigure a fresh build dir)"
                             % prefix)
    p = run(["cpack", "-G", "DEB", "--config", os.path.join(BUILD, "CPackConfig.cmake"),
             "-B", outdir], cwd=BUILD, timeout=600)
    if p.returncode != 0:
        raise AssertionError("cpack failed:\n" + p.stdout + p.stderr)
    debs = [f for f in os.listdir(outdir) if f.endswith(".deb")]
    assert len(debs) == 1, debs
    return os.path.join(outdir, debs[0])


def main():
    unittest.main(verbosity=2)
