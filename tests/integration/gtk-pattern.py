"""A GTK 3 client for the GNOME tests: a fullscreen window that paints a
known pattern (solid 1280x720-scaled blocks, see pattern_rgb) once and then
stands still, and prints every key and button it receives on stdout:
  ready W H
  key NAME       (space also flips the pattern to its negative and back)
  keyup NAME
  button N X Y
Run with Debian's /usr/bin/python3 (python3-gi, gir1.2-gtk-3.0) and
GDK_BACKEND=wayland."""

import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk, GLib, Gtk  # noqa: E402

BLOCK = 40


def block_rgb(bx, by, phase=0):
    """The colour of block (bx, by) as 0..255 (R, G, B): every block differs
    from its neighbours in every channel, so shifts and swaps show. Phase 1
    (after the space key) is the negative."""
    rgb = ((bx * 37 + by * 11) % 256, (bx * 5 + by * 71 + 64) % 256, (bx * 113 ^ by * 29) % 256)
    return tuple(255 - c for c in rgb) if phase else rgb


def pattern_rgb(width, height, phase=0):
    """The bytes (RGB, row-major) the window shows at @width x @height."""
    rows = []
    for y in range(height):
        row = bytearray()
        by = y // BLOCK
        for bx in range((width + BLOCK - 1) // BLOCK):
            n = min(BLOCK, width - bx * BLOCK)
            row += bytes(block_rgb(bx, by, phase)) * n
        rows.append(bytes(row))
    return b"".join(rows)


def say(*words):
    print(*words, flush=True)


def on_draw(widget, cr):
    w, h = widget.get_allocated_width(), widget.get_allocated_height()
    for by in range((h + BLOCK - 1) // BLOCK):
        for bx in range((w + BLOCK - 1) // BLOCK):
            r, g, b = block_rgb(bx, by, getattr(widget, "phase", 0))
            cr.set_source_rgb(r / 255.0, g / 255.0, b / 255.0)
            cr.rectangle(bx * BLOCK, by * BLOCK, BLOCK, BLOCK)
            cr.fill()
    if not getattr(widget, "announced", False) and w > 1 and h > 1:
        widget.announced = True
        GLib.idle_add(lambda: say("ready", w, h) and False)
    return True


def main():
    win = Gtk.Window(title="thindesk pattern")
    win.set_decorated(False)
    area = Gtk.DrawingArea()
    area.set_can_focus(True)
    area.add_events(Gdk.EventMask.KEY_PRESS_MASK | Gdk.EventMask.KEY_RELEASE_MASK |
                    Gdk.EventMask.BUTTON_PRESS_MASK)
    area.connect("draw", on_draw)
    def on_key(w, e):
        name = Gdk.keyval_name(e.keyval)
        say("key", name)
        if name == "space":
            area.phase = 1 - getattr(area, "phase", 0)
            area.queue_draw()
        return True

    win.connect("key-press-event", on_key)
    win.connect("key-release-event",
                lambda w, e: say("keyup", Gdk.keyval_name(e.keyval)) or True)
    area.connect("button-press-event",
                 lambda w, e: say("button", e.button, int(e.x), int(e.y)) or True)
    win.connect("destroy", Gtk.main_quit)
    win.add(area)
    win.fullscreen()
    win.show_all()
    area.grab_focus()
    Gtk.main()


if __name__ == "__main__":
    sys.exit(main())
