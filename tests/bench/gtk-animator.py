"""Full-screen motion for the Wayland benchmark: a GTK 3 window the size of
the screen that, while animating, paints a new picture on every tick of
GTK's frame clock (the compositor's frame callbacks on Wayland, GDK's
60 Hz timer on X11), so the same program is the workload on sway, on
mutter and on Xvfb.

The picture is a 256x256 tile repeated over the window (red = x, green = y,
blue = (3x ^ 5y) & 255, the tile's own coordinates) shifted by (7, 3) pixels
each frame: the red channel of every pixel changes every frame, and painting
it is one cairo fill with a repeating pattern (cheap for the client).

  gtk-animator.py [WIDTH HEIGHT]
stdin:  "go" starts animating, "stop" stops (the last picture stays).
stdout: "ready W H" once the first picture is shown; "drawn N" after stop
        (frames painted since go).
Run with Debian's /usr/bin/python3 (python3-gi, python3-gi-cairo,
gir1.2-gtk-3.0); GDK_BACKEND picks wayland or x11."""

import os
import sys

import cairo
import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import GLib, Gtk  # noqa: E402

TILE = 256
STEP = (7, 3)


def make_tile():
    stride = cairo.ImageSurface.format_stride_for_width(cairo.FORMAT_RGB24, TILE)
    data = bytearray(stride * TILE)
    for y in range(TILE):
        row = y * stride
        for x in range(TILE):
            i = row + x * 4
            # Native-endian xRGB words: B, G, R, x in memory on little-endian.
            data[i] = (x * 3 ^ y * 5) & 0xff
            data[i + 1] = y
            data[i + 2] = x
    surface = cairo.ImageSurface.create_for_data(data, cairo.FORMAT_RGB24, TILE, TILE, stride)
    pattern = cairo.SurfacePattern(surface)
    pattern.set_extend(cairo.EXTEND_REPEAT)
    pattern.set_filter(cairo.FILTER_NEAREST)
    return surface, pattern


def say(*words):
    print(*words, flush=True)


class Animator:
    def __init__(self, width, height):
        self.n = 0
        self.drawn = 0
        self.animating = False
        self.announced = False
        self.surface, self.pattern = make_tile()
        self.win = Gtk.Window(title="thindesk animator")
        self.win.set_decorated(False)
        # Wayland compositors size a fullscreen window; a bare Xvfb has no
        # window manager, so the size and place are also asked directly.
        self.win.set_default_size(width, height)
        self.win.move(0, 0)
        self.area = Gtk.DrawingArea()
        self.area.set_size_request(width, height)
        self.area.connect("draw", self.on_draw)
        self.win.add(self.area)
        self.win.connect("destroy", Gtk.main_quit)
        self.win.fullscreen()
        self.win.show_all()
        self.area.add_tick_callback(self.on_tick)
        GLib.io_add_watch(GLib.IOChannel.unix_new(sys.stdin.fileno()),
                          GLib.PRIORITY_DEFAULT, GLib.IOCondition.IN | GLib.IOCondition.HUP,
                          self.on_stdin)

    def on_draw(self, widget, cr):
        dx, dy = (self.n * STEP[0]) % TILE, (self.n * STEP[1]) % TILE
        m = cairo.Matrix()
        m.translate(dx, dy)
        self.pattern.set_matrix(m)
        cr.set_source(self.pattern)
        cr.paint()
        if self.animating:
            self.drawn += 1
        w, h = widget.get_allocated_width(), widget.get_allocated_height()
        if not self.announced and w > 1 and h > 1:
            self.announced = True
            GLib.idle_add(lambda: say("ready", w, h) and False)
        return True

    def on_tick(self, widget, clock):
        if self.animating:
            self.n += 1
            widget.queue_draw()
        return GLib.SOURCE_CONTINUE

    def on_stdin(self, channel, cond):
        data = os.read(sys.stdin.fileno(), 4096)
        if not data:
            Gtk.main_quit()
            return False
        for word in data.decode().split():
            if word == "go":
                self.drawn = 0
                self.animating = True
                self.area.queue_draw()
            elif word == "stop":
                self.animating = False
                say("drawn", self.drawn)
        return True


def main():
    width, height = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) > 2 else (1280, 720)
    Animator(width, height)
    Gtk.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
