"""The GNOME desktop follows the SPICE client's window: headless mutter 43
started without a monitor (as a pooled VM's may be), so the agent records a
virtual monitor of its own, whose size mutter takes from the screen-cast
stream's format. The client's monitors config asks 1024x768: mutter's monitor
becomes that size (DisplayConfig says so), the GTK pattern client (full
screen) redraws at that size, and the client's frame equals the pattern
exactly. And with mutter's own fixed-size monitor (--virtual-monitor), the
agent says once that it cannot, and keeps the size. CTest label: wayland."""

import unittest

import tdtest
from test_wayland_mutter import (HEIGHT, WIDTH, Gnome, GtkPattern, MutterAgent, client_rgb,
                                 gtk_usable)
import test_wayland_mutter


def pattern(width, height):
    saved = test_wayland_mutter.WIDTH, test_wayland_mutter.HEIGHT
    test_wayland_mutter.WIDTH, test_wayland_mutter.HEIGHT = width, height
    try:
        return test_wayland_mutter.pattern_from_file(0)
    finally:
        test_wayland_mutter.WIDTH, test_wayland_mutter.HEIGHT = saved


def monitor_sizes(gnome):
    """{connector: (w, h)} of the current modes, from mutter's DisplayConfig."""
    from gi.repository import Gio
    bus = Gio.DBusConnection.new_for_address_sync(
        "unix:path=" + gnome.bus, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
        Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
    try:
        state = bus.call_sync("org.gnome.Mutter.DisplayConfig", "/org/gnome/Mutter/DisplayConfig",
                              "org.gnome.Mutter.DisplayConfig", "GetCurrentState", None, None,
                              Gio.DBusCallFlags.NONE, 20000, None).unpack()
    finally:
        bus.close_sync(None)
    sizes = {}
    for spec, modes, _props in state[1]:
        for mode in modes:
            if mode[6].get("is-current"):
                sizes[spec[0]] = (mode[1], mode[2])
    return sizes


class MutterResizeTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("mutter", "pipewire", "wireplumber", "dbus-daemon", "gdbus")
        why = gtk_usable()
        if why:
            self.skipTest(why)
        import spiceclient
        self.spiceclient = spiceclient
        self.agent = None
        self.gnome = None

    def tearDown(self):
        err = ""
        if self.agent:
            self.agent.stop()
            err = self.agent.stderr()
        if self.gnome:
            self.gnome.close()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            self.assertNotIn(marker, err, "sanitizer report from the agent")

    def connect(self):
        c = self.spiceclient.Client(self.agent.port, self.agent.password)
        self.addCleanup(c.close)
        self.assertTrue(c.wait(lambda: c.main is not None and
                               c.main.get_property("agent-connected"), 60),
                        "the client never saw the agent channel")
        self.assertTrue(c.wait(lambda: c.primary() is not None, 60), "no frame at the client")
        return c

    def ask_size(self, c, width, height):
        m = c.main
        for i in range(4):
            m.update_display_enabled(i, i == 0, False)
        m.update_display(0, 0, 0, width, height, False)
        self.assertTrue(m.send_monitor_config())

    def test_virtual_monitor_follows_the_client(self):
        self.gnome = Gnome(virtual_monitor=False)
        self.agent = MutterAgent(self.gnome)
        c = self.connect()
        # The agent's virtual monitor is the desktop's only one while the
        # client is there; the GTK client goes full screen on it.
        tdtest.wait_for(lambda: c.iterate(0.1) or len(monitor_sizes(self.gnome)) == 1, 30,
                        what="the agent's virtual monitor")
        self.assertEqual(list(monitor_sizes(self.gnome).values()), [(WIDTH, HEIGHT)])
        # The window maps (and mutter animates it) while the client watches.
        GtkPattern(self.gnome, client=c)
        self.assertTrue(c.wait(lambda: (client_rgb(c) or (0, 0, b""))[2] ==
                               pattern(WIDTH, HEIGHT), 30),
                        "the client's frame differs from the GTK pattern at %dx%d"
                        % (WIDTH, HEIGHT))
        for want in [(1024, 768), (1600, 900)]:
            self.ask_size(c, *want)
            tdtest.wait_for(lambda: c.iterate(0.1) or
                            list(monitor_sizes(self.gnome).values()) == [want], 30,
                            what="mutter's monitor to become %dx%d" % want)
            self.assertTrue(c.wait(lambda: c.primary() is not None and
                                   c.primary()[:2] == want, 30),
                            "the client's display is not %dx%d" % want)
            self.assertTrue(c.wait(lambda: (client_rgb(c) or (0, 0, b""))[2] ==
                                   pattern(*want), 30),
                            "the client's frame differs from the GTK pattern at %dx%d" % want)
            print("%dx%d: mutter's monitor, the client's display and the pattern exact" % want)
        self.assertIn("asking mutter for a 1024x768 virtual monitor", self.agent.stderr())
        c.close()
        self.assertEqual(self.agent.stop(), 0, self.agent.stderr())

    def test_fixed_monitor_keeps_its_size(self):
        self.gnome = Gnome()
        self.agent = MutterAgent(self.gnome)
        c = self.connect()
        for size in [(1024, 768), (800, 600)]:
            self.ask_size(c, *size)
            c.iterate(1.5)
        err = self.agent.stderr()
        self.assertEqual(err.count("not resizing the desktop for the client: GNOME's screen is "
                                   "a monitor of fixed size"), 1, err)
        self.assertEqual(monitor_sizes(self.gnome), {"Meta-0": (WIDTH, HEIGHT)})
        self.assertEqual(c.primary()[:2], (WIDTH, HEIGHT))
        c.close()
        self.assertEqual(self.agent.stop(), 0, self.agent.stderr())


if __name__ == "__main__":
    tdtest.main()
