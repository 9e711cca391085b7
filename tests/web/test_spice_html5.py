"""Compatibility: Debian's spice-html5 (0.3.0, /usr/share/spice-html5) in
chromium against the agent's SPICE port through spice-server's own WebSocket
support on the plain port. spice-html5 decodes LZ, QUIC and JPEG but not GLZ
or LZ4. It announces no LZ4 capability, so with image-compression=lz4
spice-server sends it LZ; and it asks for a GLZ dictionary window of 0, so
with glz or auto_glz spice-server's GLZ encoder refuses every image (larger
than the dictionary) and falls back to LZ too. Every setting must draw the
desktop exactly, with no "Unable to interpret bitmap" in the console."""

import base64
import functools
import http.server
import os
import subprocess
import tempfile
import threading
import time
import unittest

import webtest
from webtest import tdtest

SPICE_HTML5 = "/usr/share/spice-html5"
X_WORKLOAD = os.path.join(tdtest.BUILD, "tests", "bench", "x-workload")
W, H = 640, 480
BITMAP_ERROR = "Unable to interpret bitmap"
# Every image-compression value the agent accepts.
COMPRESSIONS = ("auto_glz", "auto_lz", "quic", "glz", "lz", "lz4", "off")

CANVAS_JS = """(() => {
  const c = [...document.querySelectorAll('canvas')].find((e) => e.width === %d && e.height === %d);
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let bin = '';
  for (let i = 0; i < d.length; i += 0x8000) bin += String.fromCharCode.apply(null, d.subarray(i, i + 0x8000));
  return btoa(bin);
})()""" % (W, H)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


class SpiceHtml5Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        webtest.skip_unless_browser()
        if not os.path.isfile(os.path.join(SPICE_HTML5, "spice_auto.html")):
            raise unittest.SkipTest("spice-html5 is not installed")
        if not os.access(X_WORKLOAD, os.X_OK):
            raise unittest.SkipTest("x-workload not built")
        cls.tmp = tempfile.mkdtemp(prefix="thindesk-spice-html5-")
        handler = functools.partial(Quiet, directory=SPICE_HTML5)
        cls.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=cls.httpd.serve_forever, daemon=True).start()
        cls.x = tdtest.Xvfb(W, H)
        # A still, detailed screen: a patterned window over a patterned root
        # (the drag workload, one step every 1000 s).
        cls.scene = subprocess.Popen([X_WORKLOAD, "drag", "0.001", "600"], env=cls.x.env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        cls.b = webtest.Browser()

    @classmethod
    def tearDownClass(cls):
        cls.b.stop()
        tdtest.stop_process(cls.scene)
        cls.x.stop()
        cls.httpd.shutdown()
        cls.httpd.server_close()

    def connect(self, compression, page):
        """The agent with @compression and spice-html5 connected to it; the
        page's canvas (RGB) once it stopped changing, and its console."""
        agent = tdtest.Agent(display=self.x.display, args=[
            "--image-compression=" + compression, "--audio=off", "--usb-channels=0"])
        self.addCleanup(agent.__exit__, None, None, None)
        url = "http://127.0.0.1:%d/spice_auto.html?host=127.0.0.1&port=%d&password=%s" % (
            self.httpd.server_address[1], agent.port, agent.password)
        self.b.open(page, url)
        self.addCleanup(self.b.cmd, cmd="close", page=page)
        try:
            self.b.wait(page, "[...document.querySelectorAll('canvas')].some("
                        "(c) => c.width === %d && c.height === %d)" % (W, H), 20)
        except AssertionError:
            raise AssertionError("spice-html5 (%s) drew no %dx%d canvas; console: %s; agent: %s"
                                 % (compression, W, H, self.b.log(page), agent.stderr()[-2000:]))
        # spice-server sends the first frame at once; give late tiles time.
        last, deadline = None, time.monotonic() + 10
        while time.monotonic() < deadline:
            time.sleep(0.5)
            rgba = base64.b64decode(self.b.eval(page, CANVAS_JS))
            if rgba == last:
                break
            last = rgba
        rgb = bytearray(len(last) // 4 * 3)
        rgb[0::3], rgb[1::3], rgb[2::3] = last[0::4], last[1::4], last[2::4]
        return bytes(rgb), self.b.log(page)

    def check_exact(self, compression):
        canvas, log = self.connect(compression, compression)
        root = webtest.root_rgb(self.x.display, os.path.join(self.tmp, "root.rgb"))
        self.assertGreater(len(set(canvas[i:i + 3] for i in range(0, len(canvas), 3 * 97))), 8,
                           "the canvas is blank")
        self.assertEqual([l for l in log if BITMAP_ERROR in l or "FIXME" in l], [])
        self.assertEqual(webtest.differing_pixels(canvas, root), 0,
                         "spice-html5's canvas differs from the X root")

    def test_lz4_setting_draws_the_desktop_exactly(self):
        self.check_exact("lz4")

    def test_every_image_compression_draws_the_desktop_exactly(self):
        # GLZ included: spice-server falls back to LZ for spice-html5.
        for compression in COMPRESSIONS:
            if compression != "lz4":
                with self.subTest(compression=compression):
                    self.check_exact(compression)

if __name__ == "__main__":
    tdtest.main()
