"""A GTK 3 client for the GNOME clipboard test: a fullscreen window (so that
mutter gives it the keyboard focus a Wayland client needs to use the
clipboard) that copies and pastes on commands read from stdin, one a line:
  copy-text HEX        -> copied
  paste-text           -> text HEX | text-none
  copy-image PATH      -> copied
  paste-image PATH     -> image W H (saved as PNG at PATH) | image-none
  targets              -> targets T1 T2 ...
  key                  (prints "key NAME" for every key it gets)
It prints "ready" once it has been drawn and has the focus. Run with Debian's
/usr/bin/python3 (python3-gi, gir1.2-gtk-3.0) and GDK_BACKEND=wayland."""

import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
gi.require_version("GdkPixbuf", "2.0")
from gi.repository import Gdk, GdkPixbuf, GLib, Gtk  # noqa: E402


def say(*words):
    print(*words, flush=True)


class App:
    def __init__(self):
        self.win = Gtk.Window(title="thindesk clipboard")
        self.win.set_decorated(False)
        self.win.connect("destroy", Gtk.main_quit)
        self.win.connect("key-press-event",
                         lambda w, e: say("key", Gdk.keyval_name(e.keyval)) or True)
        self.win.connect("draw", self.on_draw)
        self.win.connect("focus-in-event", self.on_focus)
        self.drawn = self.focused = self.announced = False
        self.clip = Gtk.Clipboard.get(Gdk.SELECTION_CLIPBOARD)
        self.win.fullscreen()
        self.win.show_all()
        GLib.io_add_watch(GLib.IOChannel.unix_new(sys.stdin.fileno()), GLib.PRIORITY_DEFAULT,
                          GLib.IOCondition.IN | GLib.IOCondition.HUP, self.on_stdin)

    def announce(self):
        if self.drawn and self.focused and not self.announced:
            self.announced = True
            say("ready")

    def on_draw(self, widget, cr):
        cr.set_source_rgb(0.2, 0.3, 0.4)
        cr.paint()
        if not self.drawn:
            self.drawn = True
            GLib.idle_add(lambda: self.announce() and False)
        return False

    def on_focus(self, widget, event):
        self.focused = True
        GLib.idle_add(lambda: self.announce() and False)
        return False

    def on_stdin(self, channel, cond):
        line = sys.stdin.readline()
        if not line:
            Gtk.main_quit()
            return False
        words = line.split()
        if not words:
            return True
        cmd, args = words[0], words[1:]
        if cmd == "copy-text":
            self.clip.set_text(bytes.fromhex(args[0]).decode(), -1)
            self.clip.store()
            say("copied")
        elif cmd == "paste-text":
            self.clip.request_text(
                lambda c, text, d: say("text", text.encode().hex()) if text is not None
                else say("text-none"), None)
        elif cmd == "copy-image":
            self.clip.set_image(GdkPixbuf.Pixbuf.new_from_file(args[0]))
            say("copied")
        elif cmd == "paste-image":
            path = args[0]

            def got(c, pixbuf, d):
                if pixbuf is None:
                    say("image-none")
                    return
                pixbuf.savev(path, "png", [], [])
                say("image", pixbuf.get_width(), pixbuf.get_height())
            self.clip.request_image(got, None)
        elif cmd == "targets":
            self.clip.request_targets(
                lambda c, atoms, n, d: say("targets", *[a.name() for a in (atoms or [])]),
                None)
        return True


def main():
    App()
    Gtk.main()


if __name__ == "__main__":
    sys.exit(main())
