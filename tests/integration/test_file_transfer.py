#!/usr/bin/python3
"""Files sent by a real spice-gtk client (MainChannel.file_copy_async, what
remote-viewer does on drag and drop) land in the agent's folder intact,
never overwrite, and are refused when file transfer is off."""

import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402


class FileTransferTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb")
        self.tmp = tempfile.mkdtemp(prefix="thindesk-xfer-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.dest = os.path.join(self.tmp, "Downloads")

    def start(self, args):
        import spiceclient
        x = tdtest.Xvfb(800, 600)
        self.addCleanup(x.stop)
        agent = tdtest.Agent(x.display, args=["--file-transfer-dir=" + self.dest] + args)
        self.addCleanup(agent.__exit__, None, None, None)
        c = spiceclient.Client(agent.port, agent.password)
        self.addCleanup(c.close)  # before the agent stops
        cap = (spiceclient.VD_AGENT_CAP_FILE_XFER_DISABLED if "--file-transfer=off" in args
               else spiceclient.VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS)
        self.assertTrue(c.wait_agent_caps([cap]),
                        "the agent channel or its capabilities never came")
        return agent, c

    def send(self, c, path, timeout=120):
        """Returns None on success, else the error message."""
        from gi.repository import Gio
        result = {}

        def done(channel, res, data=None):
            try:
                result["ok"] = channel.file_copy_finish(res)
            except Exception as e:  # GLib.Error
                result["error"] = str(e)
        c.main.file_copy_async([Gio.File.new_for_path(path)], Gio.FileCopyFlags.NONE, None,
                               None, None, done, None)
        self.assertTrue(c.wait(lambda: result, timeout), "the transfer never finished")
        return result.get("error")

    def test_file_lands_intact_and_never_overwrites(self):
        agent, c = self.start([])
        src = os.path.join(self.tmp, "report.bin")
        data = os.urandom(3 * 1024 * 1024 + 17)
        with open(src, "wb") as f:
            f.write(data)
        self.assertIsNone(self.send(c, src))
        with open(os.path.join(self.dest, "report.bin"), "rb") as f:
            self.assertEqual(f.read(), data)
        # the same name again: a new file, the first one untouched
        with open(src, "wb") as f:
            f.write(b"second version")
        self.assertIsNone(self.send(c, src))
        with open(os.path.join(self.dest, "report (1).bin"), "rb") as f:
            self.assertEqual(f.read(), b"second version")
        with open(os.path.join(self.dest, "report.bin"), "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertEqual(sorted(os.listdir(self.dest)), ["report (1).bin", "report.bin"])

    def test_disabled_is_refused(self):
        agent, c = self.start(["--file-transfer=off"])
        src = os.path.join(self.tmp, "x.txt")
        with open(src, "w") as f:
            f.write("nope")
        self.assertIsNotNone(self.send(c, src, timeout=30))
        self.assertFalse(os.path.exists(os.path.join(self.dest, "x.txt")))


if __name__ == "__main__":
    tdtest.main()
