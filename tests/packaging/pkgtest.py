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


def main():
    unittest.main(verbosity=2)
