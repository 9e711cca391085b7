#!/usr/bin/python3
"""remote-viewer, the stock SPICE client, shows the agent's desktop: started
on a second X server, its window holds the source display pixel for pixel."""

import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402


class RemoteViewerTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "remote-viewer", "import", "xterm", "xsetroot")
        self.tmp = tempfile.mkdtemp(prefix="thindesk-rv-")

    def test_window_shows_desktop(self):
        with tdtest.Xvfb(1024, 640) as src_x, tdtest.Xvfb(1600, 1000) as view_x:
            src_x.check(["xsetroot", "-solid", "#2a6f4e"])
            src_x.run(["xterm", "-geometry", "70x20+100+80", "-e", "sh", "-c",
                       "echo thindesk; seq 1 15; sleep 600"])
            time.sleep(1.5)
            with tdtest.Agent(src_x.display) as agent:
                vv = os.path.join(self.tmp, "c.vv")
                with open(vv, "w") as f:
                    f.write("[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=%d\npassword=%s\n"
                            % (agent.port, agent.password))
                viewer = view_x.run(["remote-viewer", vv])
                src = os.path.join(self.tmp, "src.ppm")
                shown = os.path.join(self.tmp, "shown.ppm")
                tdtest.grab_root(src_x.display, src)

                def found():
                    if viewer.poll() is not None:
                        raise AssertionError("remote-viewer exited with %s" % viewer.returncode)
                    tdtest.grab_root(view_x.display, shown)
                    return tdtest.find_subimage(shown, src)
                where = tdtest.wait_for(found, 30, interval=0.5,
                                        what="the desktop inside remote-viewer's window")
                self.assertIsNotNone(where)
                # A change on the desktop shows up in the window too.
                src_x.check(["xsetroot", "-solid", "#7a1f3e"])
                time.sleep(0.5)
                tdtest.grab_root(src_x.display, src)
                tdtest.wait_for(found, 20, interval=0.5, what="the change in remote-viewer")


if __name__ == "__main__":
    tdtest.main()
