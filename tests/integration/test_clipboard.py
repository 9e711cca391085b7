#!/usr/bin/python3
"""Clipboard sharing through the agent channel, both ways, against real
peers: spice-gtk's clipboard API (Python GI) on the client side, xclip in the
guest's X server (Xvfb)."""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402

CLIPBOARD, PRIMARY = 0, 1
NONE, UTF8, PNG = 0, 1, 2
SELECTION_NAMES = {CLIPBOARD: "clipboard", PRIMARY: "primary"}


class ClipClient:
    """A spice-gtk client that records the guest's grabs and data and
    answers the guest's requests with what it offers."""

    def __init__(self, test, agent, clipboard=True):
        import spiceclient
        from gi.repository import GObject
        self.c = spiceclient.Client(agent.port, agent.password)
        test.addCleanup(self.c.close)
        self.grabs = []      # (selection, [types])
        self.received = []   # (selection, type, bytes)
        self.requests = []   # (selection, type)
        self.offer = {}      # (selection, type) -> bytes
        self.m = None
        # Without a clipboard the agent still announces file transfer: that
        # shows its capabilities have come.
        caps = ([spiceclient.VD_AGENT_CAP_CLIPBOARD_BY_DEMAND,
                 spiceclient.VD_AGENT_CAP_CLIPBOARD_SELECTION] if clipboard
                else [spiceclient.VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS])
        test.assertTrue(self.c.wait_agent_caps(caps),
                        "the agent channel or its capabilities never came")
        self.m = self.c.main
        GObject.Object.connect(self.m, "main-clipboard-selection-grab", self._on_grab)
        GObject.Object.connect(self.m, "main-clipboard-selection", self._on_data)
        GObject.Object.connect(self.m, "main-clipboard-selection-request", self._on_request)

    def _on_grab(self, ch, sel, types, n):
        self.grabs.append((sel, list(types)))

    def _on_data(self, ch, sel, typ, data, size):
        self.received.append((sel, typ, bytes(data) if data else b""))

    def _on_request(self, ch, sel, typ):
        self.requests.append((sel, typ))
        data = self.offer.get((sel, typ))
        if data is None:
            return False
        ch.clipboard_selection_notify(sel, typ, data)
        return True

    def copy(self, sel, typ, data):
        """The client's user copies @data: grab @sel offering @typ."""
        self.offer = {(sel, typ): data}
        self.m.clipboard_selection_grab(sel, [typ])
        self.c.iterate(0.3)

    def wait_grab(self, sel, typ, timeout=20):
        return self.c.wait(lambda: any(s == sel and typ in t for s, t in self.grabs), timeout)

    def paste(self, sel, typ, timeout=60):
        """Asks the guest for @sel as @typ; returns (type, bytes)."""
        self.received.clear()
        self.m.clipboard_selection_request(sel, typ)
        if not self.c.wait(lambda: self.received, timeout):
            raise AssertionError("no clipboard answer from the guest")
        s, t, data = self.received[0]
        return t, data

    def close(self):
        self.c.close()


class ClipboardTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "xclip", "convert")
        self.tmp = tempfile.mkdtemp(prefix="thindesk-clip-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def guest_paste(self, x, client, sel, target=None, timeout=60):
        """xclip -o in the guest while the client serves requests; returns
        (returncode, bytes)."""
        out = os.path.join(self.tmp, "paste.out")
        argv = ["xclip", "-o", "-selection", SELECTION_NAMES[sel]]
        if target:
            argv += ["-t", target]
        with open(out, "wb") as f:
            p = subprocess.Popen(argv, env=x.env, stdout=f, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + timeout
            while p.poll() is None and time.monotonic() < deadline:
                client.c.iterate(0.05)
            if p.poll() is None:
                p.kill()
                p.wait()
                raise AssertionError("xclip -o hung")
        with open(out, "rb") as f:
            return p.returncode, f.read()

    def guest_copy(self, x, sel, data, target=None):
        """xclip -i in the guest: it owns @sel until someone else takes it."""
        argv = ["xclip", "-i", "-selection", SELECTION_NAMES[sel]]
        if target:
            argv += ["-t", target]
        path = os.path.join(self.tmp, "copy.in")
        with open(path, "wb") as f:
            f.write(data)
        argv.append(path)
        subprocess.run(argv, env=x.env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def png(self):
        path = os.path.join(self.tmp, "img.png")
        subprocess.run(["convert", "-size", "64x48", "gradient:red-blue", "-depth", "8",
                        "png24:" + path],
                       check=True)
        with open(path, "rb") as f:
            return f.read()

    def session(self, args=()):
        x = tdtest.Xvfb(1024, 768)
        self.addCleanup(x.stop)
        agent = tdtest.Agent(x.display, args=list(args))
        self.addCleanup(agent.__exit__, None, None, None)
        client = ClipClient(self, agent, clipboard="--clipboard=off" not in args)
        # the client leaves before the agent stops
        self.addCleanup(client.close)
        return x, agent, client

    def test_text_both_ways_both_selections(self):
        x, agent, client = self.session()
        for sel in (CLIPBOARD, PRIMARY):
            text = ("client → guest %s: grüße ✓" % SELECTION_NAMES[sel]).encode()
            client.copy(sel, UTF8, text)
            rc, got = self.guest_paste(x, client, sel)
            self.assertEqual((rc, got), (0, text))

            text = ("guest → client %s: ½ € ✓" % SELECTION_NAMES[sel]).encode()
            self.guest_copy(x, sel, text)
            self.assertTrue(client.wait_grab(sel, UTF8), "no grab from the guest")
            self.assertEqual(client.paste(sel, UTF8), (UTF8, text))

    def test_ten_mib_round_trip(self):
        """10 MiB each way, both through INCR: ours to xclip, xsel's to us."""
        tdtest.skip_unless_tools("xsel")
        x, agent, client = self.session(["--log-level=debug"])
        big = (b"0123456789abcdefghijklmnopqrstuvwxyz\n" * 300000)[:10 * 1024 * 1024]
        self.assertEqual(len(big), 10 * 1024 * 1024)
        client.copy(CLIPBOARD, UTF8, big)
        rc, got = self.guest_paste(x, client, CLIPBOARD, timeout=120)
        self.assertEqual(rc, 0)
        self.assertEqual(hashlib.sha256(got).hexdigest(), hashlib.sha256(big).hexdigest())

        self.assertIn("INCR transfer of %d bytes" % len(big), agent.stderr())

        back = big[::-1]
        # xsel sends anything above 256 KiB with INCR (xclip would use one
        # big request on a server with BIG-REQUESTS)
        subprocess.run(["xsel", "--clipboard", "--input"], input=back, env=x.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.assertTrue(client.wait_grab(CLIPBOARD, UTF8))
        t, got = client.paste(CLIPBOARD, UTF8, timeout=120)
        self.assertEqual(t, UTF8)
        self.assertEqual(len(got), len(back))
        self.assertEqual(hashlib.sha256(got).hexdigest(), hashlib.sha256(back).hexdigest())
        self.assertIn("INCR read of selection 0", agent.stderr())

    def test_png_both_ways(self):
        x, agent, client = self.session()
        img = self.png()
        client.copy(CLIPBOARD, PNG, img)
        rc, targets = self.guest_paste(x, client, CLIPBOARD, target="TARGETS")
        self.assertIn(b"image/png", targets)
        rc, got = self.guest_paste(x, client, CLIPBOARD, target="image/png")
        self.assertEqual((rc, got), (0, img))

        img2 = img[::-1]  # any bytes: the guest owner labels them image/png
        self.guest_copy(x, CLIPBOARD, img2, target="image/png")
        self.assertTrue(client.wait_grab(CLIPBOARD, PNG))
        self.assertEqual(client.paste(CLIPBOARD, PNG), (PNG, img2))

    def same_pixels(self, a_bytes, b_bytes):
        a = os.path.join(self.tmp, "a.img")
        b = os.path.join(self.tmp, "b.img")
        with open(a, "wb") as f:
            f.write(a_bytes)
        with open(b, "wb") as f:
            f.write(b_bytes)
        return tdtest.compare_ae(a, b) == 0

    def test_images_converted_to_and_from_png(self):
        """X applications that offer or want BMP get PNG converted for them."""
        x, agent, client = self.session()
        img = self.png()
        client.copy(CLIPBOARD, PNG, img)
        rc, bmp = self.guest_paste(x, client, CLIPBOARD, target="image/bmp")
        self.assertEqual(rc, 0)
        self.assertEqual(bmp[:2], b"BM")
        self.assertTrue(self.same_pixels(bmp, img), "the BMP differs from the client's PNG")

        bmp_path = os.path.join(self.tmp, "guest.bmp")
        subprocess.run(["convert", "-size", "40x30", "gradient:green-yellow", "bmp3:" + bmp_path],
                       check=True)
        with open(bmp_path, "rb") as f:
            guest_bmp = f.read()
        self.guest_copy(x, CLIPBOARD, guest_bmp, target="image/bmp")
        self.assertTrue(client.wait_grab(CLIPBOARD, PNG), "no PNG offered for a BMP")
        t, got = client.paste(CLIPBOARD, PNG)
        self.assertEqual(t, PNG)
        self.assertEqual(got[:8], b"\x89PNG\r\n\x1a\n")
        self.assertTrue(self.same_pixels(got, guest_bmp), "the PNG differs from the guest's BMP")

    def test_policy_to_client(self):
        x, agent, client = self.session(["--clipboard=to-client"])
        client.copy(CLIPBOARD, UTF8, b"must not arrive")
        rc, got = self.guest_paste(x, client, CLIPBOARD)
        self.assertNotEqual(got, b"must not arrive")
        self.assertEqual(client.requests, [])
        self.guest_copy(x, CLIPBOARD, b"allowed out")
        self.assertTrue(client.wait_grab(CLIPBOARD, UTF8))
        self.assertEqual(client.paste(CLIPBOARD, UTF8), (UTF8, b"allowed out"))

    def test_policy_to_guest(self):
        x, agent, client = self.session(["--clipboard=to-guest"])
        self.guest_copy(x, CLIPBOARD, b"must stay in the guest")
        self.assertFalse(client.wait_grab(CLIPBOARD, UTF8, timeout=3))
        # asking anyway is refused, and the client is told so
        self.assertEqual(client.paste(CLIPBOARD, UTF8), (NONE, b""))
        client.copy(CLIPBOARD, UTF8, b"allowed in")
        self.assertEqual(self.guest_paste(x, client, CLIPBOARD), (0, b"allowed in"))

    def test_policy_off(self):
        x, agent, client = self.session(["--clipboard=off"])
        self.assertFalse(client.m.agent_test_capability(5))  # CLIPBOARD_BY_DEMAND
        self.guest_copy(x, CLIPBOARD, b"nothing shared")
        self.assertFalse(client.wait_grab(CLIPBOARD, UTF8, timeout=3))

    def test_size_cap_refusal_is_told(self):
        x, agent, client = self.session(["--clipboard-max-size=4096"])
        self.guest_copy(x, CLIPBOARD, b"x" * 10000)
        self.assertTrue(client.wait_grab(CLIPBOARD, UTF8))
        self.assertEqual(client.paste(CLIPBOARD, UTF8), (NONE, b""))
        tdtest.wait_for(lambda: "larger than the limit" in agent.stderr(), 10,
                        what="the refusal in the agent's log")
        client.copy(CLIPBOARD, UTF8, b"y" * 10000)
        rc, got = self.guest_paste(x, client, CLIPBOARD)
        self.assertNotEqual(got, b"y" * 10000)
        # small content still goes both ways
        client.copy(CLIPBOARD, UTF8, b"small")
        self.assertEqual(self.guest_paste(x, client, CLIPBOARD), (0, b"small"))


if __name__ == "__main__":
    tdtest.main()
