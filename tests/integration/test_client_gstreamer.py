#!/usr/bin/python3
"""thindesk with GStreamer plugins hidden (GST_PLUGIN_SYSTEM_PATH on an empty
folder, or on one without gstreamer1.0-plugins-good's autodetect plugin, and
a fresh registry): the windows say once, in one line per direction, which
element is missing and which package brings it, and still show the desktop
pixel-exact; headless runs, which play nothing through GStreamer, stay
silent. Nowhere a GLib critical or warning, and exit status 0."""

import glob
import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402
import thindeskclient as tc  # noqa: E402

PLUGINS = "/usr/lib/x86_64-linux-gnu/gstreamer-1.0"

NOTHING = [
    'thindesk: audio playback unavailable: GStreamer elements "appsrc", "audioconvert", '
    '"audioresample" missing (package gstreamer1.0-plugins-base); "queue" missing (package '
    'libgstreamer1.0-0); "autoaudiosink" missing (package gstreamer1.0-plugins-good)',
    'thindesk: audio recording unavailable: GStreamer elements "autoaudiosrc" missing (package '
    'gstreamer1.0-plugins-good); "queue" missing (package libgstreamer1.0-0); "audioconvert", '
    '"audioresample", "appsink" missing (package gstreamer1.0-plugins-base)',
]
NO_AUTODETECT = [
    'thindesk: audio playback unavailable: GStreamer element "autoaudiosink" missing '
    '(package gstreamer1.0-plugins-good)',
    'thindesk: audio recording unavailable: GStreamer element "autoaudiosrc" missing '
    '(package gstreamer1.0-plugins-good)',
]


def desktop(x):
    x.check(["xsetroot", "-solid", "#336699"])
    x.run(["xterm", "-geometry", "60x20+20+30", "-bg", "white", "-fg", "black",
           "-e", "sh", "-c", "ls -l /usr/bin | head -30; sleep 600"])
    time.sleep(1.5)


class GstreamerTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "import", "compare", "xterm", "xsetroot", "xdotool")
        if not os.path.exists(tc.CLIENT):
            self.fail("client not built: " + tc.CLIENT)
        if not os.path.exists(os.path.join(PLUGINS, "libgstautodetect.so")):
            raise unittest.SkipTest("gstreamer1.0-plugins-good is not installed")
        self.tmp = tempfile.mkdtemp(prefix="thindesk-gst-")
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            tdtest.stop_process(c)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def plugin_env(self, hide):
        """GStreamer sees only the system plugins not in @hide (None: none
        at all), with a registry of its own."""
        folder = os.path.join(self.tmp, "plugins")
        os.mkdir(folder)
        if hide is not None:
            for p in glob.glob(os.path.join(PLUGINS, "*.so")):
                if os.path.basename(p) not in hide:
                    os.symlink(p, os.path.join(folder, os.path.basename(p)))
        registry = os.path.join(self.tmp, "registry.bin")
        env = {"GST_PLUGIN_SYSTEM_PATH": folder, "GST_PLUGIN_SYSTEM_PATH_1_0": folder,
               "GST_REGISTRY": registry, "GST_REGISTRY_1_0": registry}
        for k in ("GST_PLUGIN_PATH", "GST_PLUGIN_PATH_1_0"):
            os.environ.pop(k, None)
        return env

    def assert_quiet(self, stderr, expected):
        lines = tc.messages(stderr)
        self.assertEqual(lines, expected, stderr)
        for bad in ("CRITICAL", "WARNING", "ERROR: AddressSanitizer", "runtime error:"):
            self.assertNotIn(bad, "\n".join(lines), stderr)

    def headless(self, hide):
        env = self.plugin_env(hide)
        with tdtest.Xvfb(1024, 768) as x:
            desktop(x)
            with tdtest.Agent(x.display) as agent:
                got = os.path.join(self.tmp, "got.png")
                src = os.path.join(self.tmp, "src.png")
                pw = tc.password_file(self.tmp, agent.password)
                p = tc.run(["--headless", "--password-file=" + pw, "--screenshot=" + got,
                            "spice://127.0.0.1:%d" % agent.port], env=env)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assert_quiet(p.stderr, [])
                tdtest.grab_root(x.display, src)
                self.assertEqual(tdtest.compare_ae(got, src), 0, "screenshot differs")

    def window(self, hide, expected):
        env = self.plugin_env(hide)
        with tdtest.Xvfb(1024, 768) as server_x, tdtest.Xvfb(1600, 1000) as client_x:
            desktop(server_x)
            with tdtest.Agent(server_x.display) as agent:
                pw = tc.password_file(self.tmp, agent.password)
                c = tc.start(["--password-file=" + pw, "spice://127.0.0.1:%d" % agent.port],
                             display=client_x.display, env=env, tmp=self.tmp)
                self.clients.append(c)
                src = os.path.join(self.tmp, "src.png")
                got = os.path.join(self.tmp, "got.png")
                tdtest.grab_root(server_x.display, src)
                w, h = server_x.size
                last = ["no window"]

                def shows():
                    if c.poll() is not None:
                        raise AssertionError("client exited with %s: %s"
                                             % (c.returncode, tc.read(c.err_path)))
                    g = tc.window_geometry(client_x.display)
                    if not g:
                        return False
                    x, y, ww, wh, _ = g
                    if (ww, wh) != (w, h):
                        last[0] = "window is %dx%d" % (ww, wh)
                        return False
                    tc.grab_region(client_x.display, x, y, w, h, got)
                    ae = tdtest.compare_ae(got, src)
                    last[0] = "%d pixels differ" % ae
                    return ae == 0
                try:
                    tdtest.wait_for(shows, 30, interval=0.3, what="window to show the desktop")
                except AssertionError:
                    self.fail("%s\n%s" % (last[0], tc.read(c.err_path)))
                # Past the agent's volume sync, which is what used to warn.
                time.sleep(2)
                self.assertEqual(tdtest.stop_process(c), 0, tc.read(c.err_path))
                self.assert_quiet(tc.read(c.err_path), expected)

    def test_headless_without_any_plugin(self):
        self.headless(hide=None)

    def test_headless_without_autodetect(self):
        self.headless(hide={"libgstautodetect.so"})

    def test_window_without_any_plugin(self):
        self.window(None, NOTHING)

    def test_window_without_autodetect(self):
        self.window({"libgstautodetect.so"}, NO_AUTODETECT)

    def test_window_with_every_plugin(self):
        self.window(set(), [])


if __name__ == "__main__":
    tdtest.main()
