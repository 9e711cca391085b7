"""Clipboard sharing on a real wlroots desktop, both ways: spice-gtk's
clipboard API (Python GI) on the client side, wl-copy and wl-paste (which
speak wlr-data-control themselves) in headless sway. Text with non-ASCII
characters on CLIPBOARD and PRIMARY, PNG images, and the size cap.
CTest label: wayland."""

import os
import subprocess
import time

import tdtest
from swaylib import SwayCase, WlrAgent
from test_clipboard import CLIPBOARD, NONE, PNG, PRIMARY, UTF8, ClipClient


class WaylandClipboardTest(SwayCase):
    TOOLS = ("wl-copy", "wl-paste")

    def session(self, args=()):
        self.agent = WlrAgent(self.sway, args)
        client = ClipClient(self, self.agent)
        return client

    def sel_args(self, sel):
        return ["--primary"] if sel == PRIMARY else []

    def desktop_copy(self, sel, data, mime=None):
        """wl-copy: it forks and holds the selection until someone takes it."""
        argv = ["wl-copy"] + self.sel_args(sel) + (["--type", mime] if mime else [])
        subprocess.run(self.sway.prefix() + argv, input=data, env=self.sway.env(),
                       cwd=self.sway.tmp, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True, timeout=30)

    def desktop_paste(self, client, sel, mime=None, timeout=30, list_types=False):
        """wl-paste while the client answers requests; returns (rc, bytes)."""
        argv = ["wl-paste"] + self.sel_args(sel)
        argv += ["--list-types"] if list_types else ["--no-newline"]
        if mime:
            argv += ["--type", mime]
        out = os.path.join(self.sway.tmp, "paste.out")
        with open(out, "wb") as f:
            p = subprocess.Popen(self.sway.prefix() + argv, env=self.sway.env(),
                                 cwd=self.sway.tmp, stdout=f, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + timeout
            while p.poll() is None and time.monotonic() < deadline:
                client.c.iterate(0.05)
            if p.poll() is None:
                p.kill()
                p.wait()
                raise AssertionError("wl-paste hung")
        with open(out, "rb") as f:
            return p.returncode, f.read()

    def test_text_both_ways_both_selections(self):
        client = self.session()
        for sel, name in ((CLIPBOARD, "clipboard"), (PRIMARY, "primary")):
            started = time.monotonic()
            text = ("client → sway %s: grüße ½ € ✓ 日本語" % name).encode()
            client.copy(sel, UTF8, text)
            self.assertEqual(self.desktop_paste(client, sel), (0, text))
            rc, types = self.desktop_paste(client, sel, list_types=True)
            self.assertEqual(rc, 0)
            for mime in ("text/plain;charset=utf-8", "UTF8_STRING", "text/plain"):
                self.assertIn(mime, types.decode().split(), types)

            text = ("sway → client %s: Ça marche — ünïcödé ✓" % name).encode()
            client.grabs.clear()
            self.desktop_copy(sel, text)
            self.assertTrue(client.wait_grab(sel, UTF8), "no grab from sway's %s" % name)
            self.assertEqual(client.paste(sel, UTF8), (UTF8, text))
            print("%s both ways in %.2f s" % (name, time.monotonic() - started))
        client.close()  # before the agent: it would wait for a display
        self.assertEqual(self.agent.stop(), 0, self.agent.stderr())

    def test_png_both_ways(self):
        tdtest.skip_unless_tools("convert")
        path = os.path.join(self.sway.tmp, "img.png")
        subprocess.run(["convert", "-size", "64x48", "gradient:red-blue", "-depth", "8",
                        "png24:" + path], check=True)
        with open(path, "rb") as f:
            png = f.read()
        client = self.session()
        client.copy(CLIPBOARD, PNG, png)
        self.assertEqual(self.desktop_paste(client, CLIPBOARD, mime="image/png"), (0, png))

        path2 = os.path.join(self.sway.tmp, "img2.png")
        subprocess.run(["convert", "-size", "32x40", "gradient:yellow-green", "-depth", "8",
                        "png24:" + path2], check=True)
        with open(path2, "rb") as f:
            back = f.read()
        client.grabs.clear()
        self.desktop_copy(CLIPBOARD, back, mime="image/png")
        self.assertTrue(client.wait_grab(CLIPBOARD, PNG), "no image grab from sway")
        self.assertEqual(client.paste(CLIPBOARD, PNG), (PNG, back))
        client.close()  # before the agent: it would wait for a display
        self.assertEqual(self.agent.stop(), 0, self.agent.stderr())

    def test_size_cap_refusal_is_told(self):
        client = self.session(["--clipboard-max-size=4096"])
        self.desktop_copy(CLIPBOARD, b"x" * 100000)
        self.assertTrue(client.wait_grab(CLIPBOARD, UTF8))
        self.assertEqual(client.paste(CLIPBOARD, UTF8), (NONE, b""))
        tdtest.wait_for(lambda: "larger than the limit" in self.agent.stderr(), 10,
                        what="the refusal in the agent's log")
        client.copy(CLIPBOARD, UTF8, b"y" * 10000)
        rc, got = self.desktop_paste(client, CLIPBOARD)
        self.assertNotEqual(got, b"y" * 10000)
        # small content still goes both ways
        client.copy(CLIPBOARD, UTF8, b"small")
        self.assertEqual(self.desktop_paste(client, CLIPBOARD), (0, b"small"))
        client.grabs.clear()
        self.desktop_copy(CLIPBOARD, b"tiny")
        self.assertTrue(client.wait_grab(CLIPBOARD, UTF8))
        self.assertEqual(client.paste(CLIPBOARD, UTF8), (UTF8, b"tiny"))
        client.close()  # before the agent: it would wait for a display
        self.assertEqual(self.agent.stop(), 0, self.agent.stderr())


if __name__ == "__main__":
    tdtest.main()
