"""Clipboard sharing on a real GNOME compositor, both ways: headless mutter 43
(as in test_wayland_mutter), a GTK 3 Wayland client (gtk-clipboard.py) that
copies and pastes with GtkClipboard, and a real SPICE client (spice-gtk's
clipboard API through GI). The agent goes through the clipboard methods of
its Mutter remote-desktop session. Text with non-ASCII characters, and PNG
images (pixels compared: GTK decodes and re-encodes them). Mutter shares no
PRIMARY selection. CTest label: wayland."""

import os
import subprocess
import time
import unittest

import tdtest
from test_clipboard import CLIPBOARD, PNG, UTF8, ClipClient
from test_wayland_mutter import PYTHON, Gnome, MutterAgent, gtk_usable

GTK_CLIENT = os.path.join(tdtest.HERE, "gtk-clipboard.py")


class GtkClipboard:
    """gtk-clipboard.py on mutter, driven through its stdin."""

    def __init__(self, gnome):
        self.out_path = os.path.join(gnome.tmp, "gtkclip.out")
        self.out = open(self.out_path, "w")
        self.proc = gnome.spawn(PYTHON, GTK_CLIENT, stdout=self.out, stdin=subprocess.PIPE,
                                extra_env={"GDK_BACKEND": "wayland"})

    def lines(self):
        with open(self.out_path) as f:
            return f.read().splitlines()

    def wait_line(self, pred, timeout, what, client=None, after=0):
        def found():
            if client:
                client.iterate(0.05)
            if self.proc.poll() is not None:
                raise AssertionError("the GTK client exited: %s" % "\n".join(self.lines()))
            return [l for l in self.lines()[after:] if pred(l)]
        return tdtest.wait_for(found, timeout, what=what)[0]

    def command(self, line, answer, client, timeout=30):
        """Sends @line; returns the first new output line starting with one
        of the words in @answer, iterating the SPICE client meanwhile."""
        start = len(self.lines())
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        return self.wait_line(lambda l: l.split()[0] in answer, timeout,
                              "the GTK client's answer to %s" % line.split()[0], client=client,
                              after=start)

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            tdtest.stop_process(self.proc, timeout=10)
        self.out.close()


def png_pixels(path_or_bytes):
    """(width, height, RGBA bytes) of a PNG, decoded with gdk-pixbuf."""
    import gi
    gi.require_version("GdkPixbuf", "2.0")
    from gi.repository import GdkPixbuf
    if isinstance(path_or_bytes, bytes):
        loader = GdkPixbuf.PixbufLoader.new_with_type("png")
        loader.write(path_or_bytes)
        loader.close()
        pb = loader.get_pixbuf()
    else:
        pb = GdkPixbuf.Pixbuf.new_from_file(path_or_bytes)
    if not pb.get_has_alpha():
        pb = pb.add_alpha(False, 0, 0, 0)
    w, h, stride = pb.get_width(), pb.get_height(), pb.get_rowstride()
    data = pb.get_pixels()
    return w, h, b"".join(data[y * stride:y * stride + w * 4] for y in range(h))


class MutterClipboardTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("mutter", "pipewire", "wireplumber", "dbus-daemon", "gdbus",
                                 "convert")
        why = gtk_usable()
        if why:
            self.skipTest(why)
        self.gnome = Gnome()
        self.agent = None
        self.gtk = None
        self.addCleanup(self.cleanup)

    def cleanup(self):
        err = ""
        if self.gtk:
            self.gtk.close()
        if self.agent:
            self.agent.stop()
            err = self.agent.stderr()
        self.gnome.close()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            self.assertNotIn(marker, err, "sanitizer report from the agent")

    def session(self):
        self.gtk = GtkClipboard(self.gnome)
        self.agent = MutterAgent(self.gnome)
        client = ClipClient(self, self.agent)
        # The clipboard needs the remote-desktop session (it opens with the
        # display) and the GTK client needs the keyboard focus, which comes
        # with the session's virtual keyboard.
        tdtest.wait_for(lambda: client.c.iterate(0.1) or
                        "remote-desktop session started" in self.agent.stderr(), 60,
                        what="the Mutter remote-desktop session")
        self.gtk.wait_line(lambda l: l == "ready", 60, "the GTK client to be focused",
                           client=client.c)
        return client

    def make_png(self, name, size, gradient):
        path = os.path.join(self.gnome.tmp, name)
        subprocess.run(["convert", "-size", size, "gradient:" + gradient, "-depth", "8",
                        "png24:" + path], check=True)
        with open(path, "rb") as f:
            return path, f.read()

    def test_text_and_images_both_ways(self):
        client = self.session()
        started = time.monotonic()

        # SPICE client -> GNOME: the GTK client pastes what the client copied.
        text = "client → GNOME: grüße ½ € ✓ 日本語".encode()
        client.copy(CLIPBOARD, UTF8, text)
        # The grab reaches mutter asynchronously: ask until GTK sees it.
        targets = []
        deadline = time.monotonic() + 30
        while "text/plain;charset=utf-8" not in targets and time.monotonic() < deadline:
            targets = self.gtk.command("targets", ("targets",), client.c).split()[1:]
        for mime in ("text/plain;charset=utf-8", "UTF8_STRING", "text/plain"):
            self.assertIn(mime, targets)
        self.assertEqual(self.gtk.command("paste-text", ("text", "text-none"), client.c),
                         "text " + text.hex())

        # GNOME -> SPICE client: the client pastes what the GTK client copied.
        text = "GNOME → client: Ça marche — ünïcödé ✓".encode()
        client.grabs.clear()
        self.gtk.command("copy-text " + text.hex(), ("copied",), client.c)
        self.assertTrue(client.wait_grab(CLIPBOARD, UTF8), "no grab from GNOME's clipboard")
        self.assertEqual(client.paste(CLIPBOARD, UTF8), (UTF8, text))
        print("text both ways in %.2f s" % (time.monotonic() - started))

        # Images: PNG from the client, pixels exact at the GTK client.
        path, png = self.make_png("img.png", "64x48", "red-blue")
        client.copy(CLIPBOARD, PNG, png)
        out = os.path.join(self.gnome.tmp, "pasted.png")
        self.assertEqual(self.gtk.command("paste-image " + out, ("image", "image-none"),
                                          client.c), "image 64 48")
        self.assertEqual(png_pixels(out), png_pixels(path))

        # And from the GTK client: the client gets a PNG with the same pixels.
        path2, _ = self.make_png("img2.png", "32x40", "yellow-green")
        client.grabs.clear()
        self.gtk.command("copy-image " + path2, ("copied",), client.c)
        self.assertTrue(client.wait_grab(CLIPBOARD, PNG), "no image grab from GNOME")
        typ, data = client.paste(CLIPBOARD, PNG)
        self.assertEqual(typ, PNG)
        self.assertEqual(png_pixels(data), png_pixels(path2))
        print("text and images both ways in %.2f s" % (time.monotonic() - started))

        # Text once more after the images: ownership went back and forth.
        text = "again: client → GNOME ✓".encode()
        client.copy(CLIPBOARD, UTF8, text)
        self.assertEqual(self.gtk.command("paste-text", ("text", "text-none"), client.c),
                         "text " + text.hex())
        client.close()
        self.assertEqual(self.agent.stop(), 0, self.agent.stderr())
        self.assertNotIn("clipboard: mutter refused", self.agent.stderr())


if __name__ == "__main__":
    tdtest.main()
