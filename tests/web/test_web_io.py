"""The browser client's input, clipboard and resize end to end: Debian's
chromium headless through playwright-core, the agent on Xorg with the dummy
driver (setxkbmap and RandR work there; Xvfb ignores setxkbmap).

- keys typed in the page (physical keys by KeyboardEvent.code) give an xterm
  on the desktop exactly the text the same physical keys give when pressed on
  the desktop itself (XTEST keycodes), under the us, de and gb layouts, AltGr
  and dead keys included;
- a click in the page lands on the desktop pixel under it (on a scaled
  canvas), right button and wheel included;
- lock keys both ways; losing focus lets go of held keys and buttons;
  --view-only ignores it all;
- the clipboard both ways with xclip, text and a PNG image;
- page.setViewportSize() resizes the desktop within 1 s, and the canvas
  follows."""

import base64
import os
import subprocess
import sys
import tempfile
import time
import unittest

import webtest
from webtest import tdtest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import inputlib  # noqa: E402
import test_layouts  # noqa: E402

# X keycodes (evdev + 8) of test_layouts.SEQUENCE -> KeyboardEvent.code.
CODE_OF_KEYCODE = {
    10: "Digit1", 11: "Digit2", 12: "Digit3", 13: "Digit4", 14: "Digit5", 15: "Digit6",
    16: "Digit7", 17: "Digit8", 18: "Digit9", 19: "Digit0", 20: "Minus", 21: "Equal",
    24: "KeyQ", 25: "KeyW", 26: "KeyE", 27: "KeyR", 28: "KeyT", 29: "KeyY", 30: "KeyU",
    31: "KeyI", 32: "KeyO", 33: "KeyP", 34: "BracketLeft", 35: "BracketRight", 36: "Enter",
    38: "KeyA", 39: "KeyS", 40: "KeyD", 47: "Semicolon", 48: "Quote", 49: "Backquote",
    50: "ShiftLeft", 51: "Backslash", 52: "KeyZ", 53: "KeyX", 54: "KeyC", 58: "KeyM",
    59: "Comma", 60: "Period", 61: "Slash", 94: "IntlBackslash", 108: "AltRight",
}

# Characters each layout must show (so equal-but-wrong cannot pass).
MUST_CONTAIN = {
    "us": test_layouts.MUST_CONTAIN["us"],
    "de": test_layouts.MUST_CONTAIN["de"],
    "gb": ["qwertyuiop", "asd", "zxc", "£", "\"", "#", "\\", "[", "]"],
}

DESK_W, DESK_H = 1024, 768


def xclip_out(x, target):
    p = subprocess.run(["xclip", "-selection", "clipboard", "-o", "-t", target], env=x.env,
                       capture_output=True, timeout=10)
    return p.stdout if p.returncode == 0 else None


def tiny_png(path):
    """A 7x5 PNG with distinct pixels, written with ImageMagick."""
    subprocess.run(["convert", "-size", "7x5", "gradient:red-blue", "-strip", "png24:" + path],
                   check=True, capture_output=True)
    with open(path, "rb") as f:
        return f.read()


class WebIoTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        webtest.skip_unless_browser()
        tdtest.skip_unless_tools("xterm", "xdotool", "setxkbmap", "xclip", "convert", "xrandr")
        if not os.path.exists(inputlib.TOOL):
            raise unittest.SkipTest("x-input-tool not built")
        cls.tmp = tempfile.mkdtemp(prefix="thindesk-webio-")

    def start(self, *args, viewport=None):
        self.x = tdtest.Xorg(DESK_W, DESK_H)
        self.addCleanup(self.x.stop)
        self.web_port = tdtest.free_port()
        self.agent = tdtest.Agent(display=self.x.display,
                                  args=["--web-listen=127.0.0.1:%d" % self.web_port,
                                        "--input=xtest", "--audio=off", "--usb-channels=0",
                                        *args])
        self.agent.__enter__()
        self.addCleanup(self.agent.__exit__, None, None, None)
        self.b = webtest.Browser()
        self.addCleanup(self.b.stop)
        self.b.cmd(cmd="open", page="p", url=webtest.login_url(self.agent),
                   viewport=viewport or {"width": 1200, "height": 900})
        self.b.wait_open("p", 20)

    def call(self, target, method, *args):
        return self.b.cmd(cmd="call", page="p", target=target, method=method, args=list(args))

    def key(self, code, down):
        self.b.cmd(cmd="key", page="p", code=code, down=down)

    def type_in_page(self, seq):
        for mod, keycode in seq:
            if mod:
                self.key(CODE_OF_KEYCODE[mod], True)
            self.key(CODE_OF_KEYCODE[keycode], True)
            self.key(CODE_OF_KEYCODE[keycode], False)
            if mod:
                self.key(CODE_OF_KEYCODE[mod], False)

    def focus_canvas(self):
        # A click on the canvas focuses it (and sends a harmless click to the
        # desktop's root window).
        self.b.eval("p", "document.getElementById('screen').focus(), true")

    def test_layouts_us_de_gb(self):
        self.start("--clipboard=off", "--resize=off")
        self.focus_canvas()
        for layout in ("us", "de", "gb"):
            with self.subTest(layout=layout):
                self.x.check(["setxkbmap", "-rules", "evdev", "-model", "pc105",
                              "-layout", layout])
                local = test_layouts.Terminal(self.x, self.tmp, "local-" + layout)
                inputlib.keys(self.x, *test_layouts.keys_args(
                    test_layouts.SEQUENCE + [(None, test_layouts.RETURN)]))
                tdtest.wait_for(lambda: local.lines(), 20, what="the local line")
                want = local.lines()[-1]
                local.close()
                for s in MUST_CONTAIN[layout]:
                    self.assertIn(s, want, "local %s text %r lacks %r" % (layout, want, s))

                remote = test_layouts.Terminal(self.x, self.tmp, "web-" + layout)
                # A probe line proves the path is up before the measured one.
                self.type_in_page([(None, 53), (None, test_layouts.RETURN)])
                tdtest.wait_for(lambda: len(remote.lines()) >= 1, 20, what="the probe line")
                before = len(remote.lines())
                self.type_in_page(test_layouts.SEQUENCE + [(None, test_layouts.RETURN)])
                tdtest.wait_for(lambda: len(remote.lines()) > before, 20,
                                what="the line typed in the page")
                got = remote.lines()[-1]
                remote.close()
                self.assertEqual(got, want, "layout %s: text typed in the page differs from "
                                 "the same keys typed locally" % layout)
                sys.stderr.write("layout %s: %s\n" % (layout, got))

    def test_lock_keys_reach_the_page(self):
        """Caps Lock pressed in the page locks the desktop's caps, and the
        desktop's LED change comes back to the page (its status line)."""
        self.start("--clipboard=off", "--resize=off")
        self.focus_canvas()
        leds = lambda: int(subprocess.run([inputlib.TOOL, "leds"], env=self.x.env,
                                          capture_output=True, text=True).stdout)
        self.assertEqual(leds() & 1, 0)
        self.key("CapsLock", True)
        self.key("CapsLock", False)
        tdtest.wait_for(lambda: leds() & 1, 5, what="the desktop's caps lock on")
        self.b.wait("p", "document.getElementById('status').textContent.includes('Caps Lock')", 5)
        self.key("CapsLock", True)
        self.key("CapsLock", False)
        tdtest.wait_for(lambda: not leds() & 1, 5, what="the desktop's caps lock off")
        self.b.wait("p", "!document.getElementById('status').textContent.includes('Caps Lock')", 5)

    def test_page_lock_keys_sync_to_desktop(self):
        """When the page gets focus, its lock keys (read from its next key
        event) are made the desktop's: Caps Lock on here turns it on there,
        and off again."""
        self.start("--clipboard=off", "--resize=off")
        self.focus_canvas()
        leds = lambda: int(subprocess.run([inputlib.TOOL, "leds"], env=self.x.env,
                                          capture_output=True, text=True).stdout)
        self.assertEqual(leds() & 1, 0)
        for caps in ("true", "false"):
            self.b.eval("p", """(() => {
                window.dispatchEvent(new Event('focus'));
                for (const type of ['keydown', 'keyup'])
                  window.dispatchEvent(new KeyboardEvent(type, {code: 'ShiftLeft',
                    key: 'Shift', modifierCapsLock: %s, bubbles: true}));
                return true; })()""" % caps)
            want = 1 if caps == "true" else 0
            tdtest.wait_for(lambda: leds() & 1 == want, 5,
                            what="the desktop's caps lock %s" % ("on" if want else "off"))

    def test_blur_releases_held_keys_and_buttons(self):
        """A key and a button held in the page are let go on the desktop when
        the page loses focus (the page never sees their release)."""
        self.start("--clipboard=off", "--resize=off")
        rec = inputlib.Recorder(self.x, (0, 0, DESK_W, DESK_H))
        left, top, w, h = self.canvas_box()
        self.call("mouse", "move", left + 40.5 * w / DESK_W, top + 30.5 * h / DESK_H)
        self.call("mouse", "down")
        self.key("ShiftLeft", True)
        rec.wait_count(2, 10)
        self.assertEqual(sorted(rec.take()), [("button-press", "1", "40", "30"),
                                              ("key-press", "50")])
        self.b.eval("p", "window.dispatchEvent(new Event('blur')), true")
        rec.wait_count(2, 10)
        self.assertEqual(sorted(e[:2] for e in rec.take()), [("button-release", "1"),
                                                             ("key-release", "50")])

    def test_full_screen_locks_the_keyboard(self):
        """Full screen asks for the Keyboard Lock (Esc, Alt+Tab, Ctrl+W to the
        desktop) and gives it back on leaving. Headless chromium has no
        system keys to capture, so the call itself is what is checked."""
        self.start("--clipboard=off", "--resize=off")
        self.b.eval("p", """(() => { window.__lock = [];
            navigator.keyboard.lock = () => { window.__lock.push('lock'); return Promise.resolve(); };
            navigator.keyboard.unlock = () => { window.__lock.push('unlock'); };
            return true; })()""")
        self.call("page", "click", "#fullscreen")
        self.b.wait("p", "document.fullscreenElement !== null && window.__lock.join() === 'lock'", 5)
        self.b.eval("p", "document.exitFullscreen().then(() => true)")
        self.b.wait("p", "window.__lock.join() === 'lock,unlock'", 5)

    def test_view_only_ignores_input(self):
        self.start("--clipboard=off", "--resize=off", "--view-only",
                   viewport={"width": 1200, "height": 900})
        self.assertEqual(self.b.eval("p", "window.thindesk.hello & 1"), 1)
        rec = inputlib.Recorder(self.x, (0, 0, DESK_W, DESK_H))
        left, top, w, h = self.canvas_box()
        self.call("mouse", "click", left + 100, top + 100)
        self.call("mouse", "wheel", 0, 120)
        for code in ("KeyA", "Enter", "CapsLock"):
            self.key(code, True)
            self.key(code, False)
        # Then a click on the desktop itself: once it is recorded, anything
        # the page sent before it would have been too.
        self.x.check(["xdotool", "mousemove", "5", "6", "click", "2"])
        rec.wait_count(2, 10)
        time.sleep(0.5)  # and a late one would show up meanwhile
        self.assertEqual(rec.take(), [("button-press", "2", "5", "6"),
                                      ("button-release", "2", "5", "6")])

    def canvas_box(self):
        return self.b.eval("p", "(() => { const r = document.getElementById('screen')"
                                ".getBoundingClientRect(); return [r.left, r.top, r.width,"
                                " r.height]; })()")

    def test_click_lands_where_clicked(self):
        # The page smaller than the desktop: the canvas is scaled down.
        metrics_port = tdtest.free_port()
        self.start("--clipboard=off", "--resize=off", "--metrics=127.0.0.1:%d" % metrics_port,
                   viewport={"width": 700, "height": 560})
        rec = inputlib.Recorder(self.x, (0, 0, DESK_W, DESK_H))
        left, top, w, h = self.canvas_box()
        self.assertLess(w, DESK_W - 1, "the canvas is not scaled")
        for dx, dy in ((123, 456), (900, 50), (17, 700)):
            px = left + (dx + 0.5) * w / DESK_W
            py = top + (dy + 0.5) * h / DESK_H
            self.call("mouse", "click", px, py)
            rec.wait_count(2, 10)
            # One desktop pixel is less than a page pixel here: the exact pixel.
            self.assertEqual(rec.take(), [("button-press", "1", str(dx), str(dy)),
                                          ("button-release", "1", str(dx), str(dy))])
        # The right button, and one wheel notch down (X buttons 3 and 5).
        px, py = left + 300.5 * w / DESK_W, top + 200.5 * h / DESK_H
        self.call("mouse", "click", px, py, {"button": "right"})
        rec.wait_count(2, 10)
        self.assertEqual(rec.take(), [("button-press", "3", "300", "200"),
                                      ("button-release", "3", "300", "200")])
        self.call("mouse", "wheel", 0, 120)
        rec.wait_count(2, 10)
        self.assertEqual(rec.take(), [("button-press", "5", "300", "200"),
                                      ("button-release", "5", "300", "200")])
        # Nothing here came near the rate limit; the counters are exported.
        m = tdtest.scrape_metrics(metrics_port)
        self.assertEqual(m["thindesk_web_input_dropped_total"], 0)
        self.assertEqual(m["thindesk_web_unknown_keys_total"], 0)

    def test_clipboard_both_ways(self):
        self.start("--resize=off")
        self.call("context", "grantPermissions", ["clipboard-read", "clipboard-write"])
        self.focus_canvas()
        # desktop -> page: text
        p = subprocess.Popen(["xclip", "-selection", "clipboard", "-i"], env=self.x.env,
                             stdin=subprocess.PIPE)
        p.communicate("from the desktop: grüße €".encode())
        self.addCleanup(tdtest.stop_process, p)
        tdtest.wait_for(lambda: self.b.eval("p", "navigator.clipboard.readText()")
                        == "from the desktop: grüße €", 10, what="the desktop's text in the page")
        # page -> desktop: text, picked up on the next click in the page
        self.b.eval("p", "navigator.clipboard.writeText('from the page: ½ ünïcode').then(() => true)")
        self.call("mouse", "click", 5, 40)
        tdtest.wait_for(lambda: xclip_out(self.x, "UTF8_STRING") == "from the page: ½ ünïcode".encode(),
                        10, what="the page's text on the desktop")
        # desktop -> page: an image
        png = tiny_png(os.path.join(self.tmp, "d.png"))
        p2 = subprocess.Popen(["xclip", "-selection", "clipboard", "-t", "image/png", "-i",
                               os.path.join(self.tmp, "d.png")], env=self.x.env)
        self.addCleanup(tdtest.stop_process, p2)
        got = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            got = self.b.eval("p", """(async () => {
                const items = await navigator.clipboard.read();
                for (const it of items) if (it.types.includes('image/png')) {
                  const b = new Uint8Array(await (await it.getType('image/png')).arrayBuffer());
                  let s = ''; for (const x of b) s += String.fromCharCode(x); return btoa(s);
                }
                return null; })()""")
            if got:
                break
            time.sleep(0.2)
        self.assertIsNotNone(got, "no image reached the page's clipboard")
        # Chromium re-encodes images it writes: compare the pixels.
        with open(os.path.join(self.tmp, "page.png"), "wb") as f:
            f.write(base64.b64decode(got))
        self.assertEqual(self.pixels(os.path.join(self.tmp, "page.png")),
                         self.pixels(os.path.join(self.tmp, "d.png")))
        # page -> desktop: an image
        self.b.eval("p", """(async () => {
            const c = new OffscreenCanvas(3, 2); const g = c.getContext('2d');
            g.fillStyle = '#ff0000'; g.fillRect(0, 0, 3, 2);
            g.fillStyle = '#00ff00'; g.fillRect(1, 0, 1, 2);
            const blob = await c.convertToBlob({type: 'image/png'});
            await navigator.clipboard.write([new ClipboardItem({'image/png': blob})]);
            return true; })()""")
        self.call("mouse", "click", 5, 40)
        want = bytes([255, 0, 0, 0, 255, 0, 255, 0, 0] * 2)
        tdtest.wait_for(lambda: self.desktop_image() == want, 10,
                        what="the page's image on the desktop")

    def desktop_image(self):
        data = xclip_out(self.x, "image/png")
        if not data or data[:8] != b"\x89PNG\r\n\x1a\n":
            return None
        path = os.path.join(self.tmp, "desk.png")
        with open(path, "wb") as f:
            f.write(data)
        return self.pixels(path)

    def pixels(self, path):
        return subprocess.run(["convert", path, "-depth", "8", "rgb:-"], check=True,
                              capture_output=True).stdout

    def test_viewport_resizes_desktop(self):
        self.start("--clipboard=off", viewport={"width": 1000, "height": 700})
        for w, h in ((900, 640), (1280, 800), (800, 600)):
            t0 = time.monotonic()
            self.call("page", "setViewportSize", {"width": w, "height": h})
            stage = self.b.eval("p", "(() => { const r = document.getElementById('stage')"
                                     ".getBoundingClientRect(); return [Math.round(r.width *"
                                     " devicePixelRatio), Math.round(r.height * devicePixelRatio)];"
                                     " })()")
            want = tuple(stage)
            tdtest.wait_for(lambda: self.x.outputs()[1] == want, 1.0, interval=0.02,
                            what="the desktop at %dx%d within 1 s" % want)
            took = time.monotonic() - t0
            self.b.wait("p", "(() => { const c = document.getElementById('screen');"
                             " const r = c.getBoundingClientRect();"
                             " return window.thindesk.state === 'open' &&"
                             " Math.round(r.width * devicePixelRatio) === %d &&"
                             " Math.round(r.height * devicePixelRatio) === %d; })()" % want, 5)
            sys.stderr.write("viewport %dx%d: desktop %dx%d after %.0f ms\n"
                             % (w, h, want[0], want[1], took * 1000))


if __name__ == "__main__":
    unittest.main()
