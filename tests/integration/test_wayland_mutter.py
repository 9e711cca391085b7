"""thindesk-agent on a real GNOME compositor: headless mutter 43 (software
rendering) in a private D-Bus session with PipeWire and WirePlumber, as
gnome-remote-desktop's CI runs it. A GTK 3 client (gtk-pattern.py) shows a
known pattern full screen and logs the keys and clicks it gets; a real SPICE
client (spice-gtk through GI) must see exactly that pattern, its keys and
clicks must reach the GTK client, and a still screen must cost no frames.

mutter runs as root here (unlike sway it does not refuse), with its own
XDG_RUNTIME_DIR. CTest label: wayland."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import tdtest

WIDTH, HEIGHT = 1280, 720
PYTHON = "/usr/bin/python3"
GTK_CLIENT = os.path.join(tdtest.HERE, "gtk-pattern.py")
MOUSE_MODE_CLIENT = 2
BUTTON_LEFT = 1  # SPICE_MOUSE_BUTTON_LEFT
MASK_LEFT = 1
CAPS = 4  # SPICE_INPUTS_CAPS_LOCK
SESSION_IFACE = "org.gnome.Mutter.RemoteDesktop.Session"


scrape = tdtest.scrape_metrics


def gtk_usable():
    """None when GTK 3 with cairo can be imported by Debian's python3, else why not."""
    if not os.path.exists(PYTHON):
        return "no " + PYTHON
    p = subprocess.run([PYTHON, "-c", "import gi; gi.require_version('Gtk', '3.0'); "
                        "import cairo; from gi.repository import Gtk; gi.require_foreign('cairo')"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return "GTK 3 with cairo is not importable (python3-gi-cairo, gir1.2-gtk-3.0): " + \
            p.stderr.strip().splitlines()[-1]
    return None


client_rgb = tdtest.client_rgb


def psnr(a, b):
    import math
    se = sum((x - y) * (x - y) for x, y in zip(a, b))
    if se == 0:
        return float("inf")
    return 10 * math.log10(255.0 * 255.0 / (se / len(a)))


class Gnome:
    """dbus-daemon + pipewire + wireplumber + headless mutter, all private."""

    def __init__(self, virtual_monitor=True):
        """@virtual_monitor False: mutter starts with no monitor at all, as a
        pooled VM's may, and the agent records a virtual one of its own."""
        self.tmp = tempfile.mkdtemp(prefix="thindesk-mutter-")
        self.runtime = os.path.join(self.tmp, "runtime")
        os.mkdir(self.runtime, 0o700)
        self.bus = os.path.join(self.runtime, "bus")
        self.display = "thindesk-mutter-0"
        self.log_path = os.path.join(self.tmp, "session.log")
        self.log = open(self.log_path, "w")
        self.procs = []
        self.spawn("dbus-daemon", "--session", "--nofork", "--address=unix:path=" + self.bus)
        tdtest.wait_for(lambda: self.check_alive() and os.path.exists(self.bus), 20,
                        what="the D-Bus session bus")
        self.spawn("pipewire")
        tdtest.wait_for(lambda: self.check_alive() and
                        os.path.exists(os.path.join(self.runtime, "pipewire-0")), 30,
                        what="pipewire to listen")
        self.spawn("wireplumber")
        monitor = ["--virtual-monitor", "%dx%d" % (WIDTH, HEIGHT)] if virtual_monitor else []
        self.mutter = self.spawn("mutter", "--headless", "--wayland", "--no-x11",
                                 "--wayland-display=" + self.display, *monitor)
        tdtest.wait_for(lambda: self.check_alive() and self.has_name("org.gnome.Mutter.ScreenCast")
                        and os.path.exists(os.path.join(self.runtime, self.display)), 60,
                        what="mutter on the session bus")

    def restart_pipewire(self):
        """Kills pipewire and wireplumber (as a crash would) and starts them again."""
        # wireplumber may quit by itself as soon as pipewire is gone: forget
        # both either way, or check_alive would count that exit as a failure.
        for p in list(self.procs):
            if p.args[0] in ("pipewire", "wireplumber"):
                if p.poll() is None:
                    p.kill()
                p.wait()
                self.procs.remove(p)
        self.spawn("pipewire")
        tdtest.wait_for(lambda: self.check_alive() and
                        os.path.exists(os.path.join(self.runtime, "pipewire-0")), 30,
                        what="pipewire to listen again")
        self.spawn("wireplumber")

    def env(self):
        env = {"PATH": "/usr/bin:/bin", "HOME": self.tmp, "XDG_RUNTIME_DIR": self.runtime,
               "XDG_CONFIG_HOME": os.path.join(self.tmp, "config"),
               "XDG_STATE_HOME": os.path.join(self.tmp, "state"),
               "DBUS_SESSION_BUS_ADDRESS": "unix:path=" + self.bus,
               "GSETTINGS_BACKEND": "memory", "NO_AT_BRIDGE": "1", "LANG": "C.UTF-8",
               "WAYLAND_DISPLAY": self.display, "XDG_CURRENT_DESKTOP": "GNOME",
               "XDG_SESSION_TYPE": "wayland"}
        for key in ("LSAN_OPTIONS", "ASAN_OPTIONS", "UBSAN_OPTIONS"):
            if key in os.environ:
                env[key] = os.environ[key]
        return env

    def spawn(self, *argv, **kw):
        env = self.env()
        env.update(kw.pop("extra_env", {}))
        p = subprocess.Popen(argv, env=env, stdout=kw.pop("stdout", self.log),
                             stderr=kw.pop("stderr", self.log),
                             stdin=kw.pop("stdin", subprocess.DEVNULL), cwd=self.tmp, **kw)
        self.procs.append(p)
        return p

    def check_alive(self):
        for p in self.procs:
            if p.poll() is not None and p.args[0] in ("dbus-daemon", "pipewire", "wireplumber",
                                                      "mutter"):
                raise AssertionError("%s exited with %s:\n%s" % (p.args[0], p.returncode,
                                                                 self.read_log()))
        return True

    def has_name(self, name):
        p = subprocess.run(["gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                            "--object-path", "/org/freedesktop/DBus", "--method",
                            "org.freedesktop.DBus.NameHasOwner", name],
                           env=self.env(), capture_output=True, text=True, timeout=20)
        return p.returncode == 0 and "true" in p.stdout

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()[-4000:]

    def close(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                tdtest.stop_process(p, timeout=10)
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class GtkPattern:
    """gtk-pattern.py full screen on mutter; lines it printed in self.lines."""

    def __init__(self, gnome, client=None):
        self.out_path = os.path.join(gnome.tmp, "gtk.out")
        self.out = open(self.out_path, "w")
        self.proc = gnome.spawn(PYTHON, GTK_CLIENT, stdout=self.out,
                                extra_env={"GDK_BACKEND": "wayland"})
        self.wait_line(lambda l: l.startswith("ready "), 60, "the GTK client to paint",
                       client=client)

    def lines(self):
        with open(self.out_path) as f:
            return f.read().splitlines()

    def wait_line(self, pred, timeout, what, client=None):
        def found():
            if client:
                client.iterate(0.05)
            if self.proc.poll() is not None:
                raise AssertionError("the GTK client exited: %s" % "\n".join(self.lines()))
            return [l for l in self.lines() if pred(l)]
        return tdtest.wait_for(found, timeout, what=what)


class LocalKeyboard:
    """A remote-desktop session of the test's own on mutter's bus: keys
    pressed there are like keys of the desktop's local keyboard."""

    def __init__(self, gnome):
        from gi.repository import Gio
        self.Gio = Gio
        self.bus = Gio.DBusConnection.new_for_address_sync(
            "unix:path=" + gnome.bus, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        self.path = self.call("/org/gnome/Mutter/RemoteDesktop", "org.gnome.Mutter.RemoteDesktop",
                              "CreateSession", None)[0]
        self.call(self.path, SESSION_IFACE, "Start", None)
        # Mutter drops the first key of a new session's keyboard.
        self.tap(42)

    def call(self, path, iface, method, args):
        from gi.repository import GLib
        reply = self.bus.call_sync("org.gnome.Mutter.RemoteDesktop", path, iface, method,
                                   GLib.Variant(*args) if args else None, None,
                                   self.Gio.DBusCallFlags.NONE, 20000, None)
        return reply.unpack() if reply else ()

    def tap(self, code):
        for down in (True, False):
            self.call(self.path, SESSION_IFACE, "NotifyKeyboardKeycode", ("(ub)", (code, down)))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.call(self.path, SESSION_IFACE, "Stop", None)
        self.bus.close_sync(None)


class MutterAgent(tdtest.AgentFiles):
    def __init__(self, gnome, args=()):
        self.port = tdtest.free_port()
        self.metrics_port = tdtest.free_port()
        self.password = "s3cret-pw"
        pwfile = os.path.join(gnome.tmp, "pw")
        with open(pwfile, "w") as f:
            f.write(self.password + "\n")
        argv = [tdtest.AGENT, "--listen=127.0.0.1:%d" % self.port, "--tls-listen=off",
                "--password-file=" + pwfile, "--audio=off",
                "--metrics=127.0.0.1:%d" % self.metrics_port] + list(args)
        self.out_path = os.path.join(gnome.tmp, "agent.out")
        self.err_path = os.path.join(gnome.tmp, "agent.err")
        self.out = open(self.out_path, "w")
        self.err = open(self.err_path, "w")
        self.proc = gnome.spawn(*argv, stdout=self.out, stderr=self.err)
        self.wait_serving(60)

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        return tdtest.stop_process(self.proc, timeout=15)


class WaylandMutterTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("mutter", "pipewire", "wireplumber", "dbus-daemon", "gdbus")
        why = gtk_usable()
        if why:
            self.skipTest(why)
        import spiceclient
        self.spiceclient = spiceclient
        self.gnome = Gnome()
        self.agent = None
        self.addCleanup(self.cleanup)

    def cleanup(self):
        err = ""
        if self.agent:
            self.agent.stop()
            err = self.agent.stderr()
        self.gnome.close()
        if self.agent:
            for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
                self.assertNotIn(marker, err, "sanitizer report from the agent")

    def connect(self):
        c = self.spiceclient.Client(self.agent.port, self.agent.password)
        ok = c.wait(lambda: c.inputs is not None and c.inputs in c.opened and c.main is not None
                    and c.main.get_property("mouse-mode") == MOUSE_MODE_CLIENT, 60)
        if not ok:
            c.close()
            raise AssertionError("the inputs channel did not open in client mouse mode")
        return c

    def toggle_caps(self, c, on):
        c.inputs.key_press(0x3a)
        c.iterate(0.05)
        c.inputs.key_release(0x3a)
        self.assertTrue(c.wait(lambda: bool(c.inputs.get_property("key-modifiers") & CAPS) == on,
                               20),
                        "Caps Lock %s did not reach the client's LEDs" % ("on" if on else "off"))

    def test_gnome_pattern_input_idle(self):
        gtk = GtkPattern(self.gnome)
        ready = gtk.lines()[0].split()
        self.assertEqual((int(ready[1]), int(ready[2])), (WIDTH, HEIGHT),
                         "the GTK window is not full screen")
        self.agent = MutterAgent(self.gnome)
        out = self.agent.stdout()
        self.assertRegex(out, r"(?m)^thindesk-agent: capture: mutter \(XDG_CURRENT_DESKTOP=GNOME "
                         r"and org\.gnome\.Mutter\.ScreenCast is on the session bus\)$")
        self.assertRegex(out, r"(?m)^thindesk-agent: input: mutter ")
        self.assertIn("serving GNOME desktop on Wayland display %s (%dx%d)"
                      % (self.gnome.display, WIDTH, HEIGHT), out)
        # Unattended: no remote-desktop session (no sharing indicator) until
        # a client connects; the size came from the monitor configuration.
        self.assertNotIn("remote-desktop session started", self.agent.stderr())

        want = pattern_from_file()

        c = self.connect()
        try:
            started = time.monotonic()
            exact = c.wait(lambda: (client_rgb(c) or (0, 0, b""))[2] == want, 60)
            got = client_rgb(c)
            self.assertIsNotNone(got, "the client has no frame")
            self.assertEqual(got[:2], (WIDTH, HEIGHT))
            if not exact:
                value = psnr(got[2], want)
                self.assertGreaterEqual(value, 45.0, "the client's frame is %.1f dB from the "
                                        "GTK client's pattern; agent:\n%s"
                                        % (value, self.agent.stderr()[-8000:]))
                print("pattern at the client: %.1f dB (not exact)" % value)
            else:
                print("pattern at the client: exact after %.2f s" % (time.monotonic() - started))
            self.assertTrue(exact, "the client's frame differs from the GTK pattern")

            # A still screen: nothing captured, nothing sent, for 10 s.
            c.iterate(1.5)
            before = self.agent.frames()
            cpu_before = self.agent.cpu_seconds()
            c.iterate(10.0)
            after = self.agent.frames()
            cpu = self.agent.cpu_seconds() - cpu_before
            self.assertEqual(after[1], before[1], "frames were sent while the screen stood still")
            self.assertEqual(after[0], before[0],
                             "frames were captured while the screen stood still")
            print("idle 10 s: captured %d, sent %d frames in total, none while idle; "
                  "agent CPU %.2f s" % (after[0], after[1], cpu))

            # Keys, by scancode (SPICE's set 1): a, b, Shift+1 (exclam), Return.
            for code, down in [(0x1e, 1), (0x1e, 0), (0x30, 1), (0x30, 0), (0x2a, 1),
                               (0x02, 1), (0x02, 0), (0x2a, 0), (0x1c, 1), (0x1c, 0)]:
                if down:
                    c.inputs.key_press(code)
                else:
                    c.inputs.key_release(code)
                c.iterate(0.02)
            gtk.wait_line(lambda l: l == "key Return", 30, "keys at the GTK client", client=c)
            keys = [l.split()[1] for l in gtk.lines() if l.startswith("key ")]
            typed = [k for k in keys if k not in ("Shift_L",)]
            self.assertEqual(typed, ["a", "b", "exclam", "Return"], keys)

            # A click at a known place.
            c.inputs.position(321, 234, 0, 0)
            c.iterate(0.3)
            c.inputs.button_press(BUTTON_LEFT, MASK_LEFT)
            c.iterate(0.05)
            c.inputs.button_release(BUTTON_LEFT, 0)
            clicks = gtk.wait_line(lambda l: l.startswith("button "), 30,
                                   "a click at the GTK client", client=c)
            self.assertEqual(clicks[0], "button 1 321 234")

            # The pointer's shape came as cursor metadata, to the cursor channel.
            self.assertTrue(c.wait(lambda: c.cursor_shapes, 15),
                            "no cursor shape reached the client")
            print("cursor shapes at the client: %s" % c.cursor_shapes[:3])

            # Caps Lock pressed on the desktop's side (a second remote-desktop
            # session stands for the local keyboard): mutter's CapsLockState
            # reaches the client's LEDs. spice-server saw no lock key here, so
            # only the agent can have told it.
            with LocalKeyboard(self.gnome) as local:
                for on in (True, False):
                    local.tap(58)  # KEY_CAPSLOCK
                    self.assertTrue(
                        c.wait(lambda: bool(c.inputs.get_property("key-modifiers") & CAPS) == on,
                               20),
                        "Caps Lock %s on the desktop did not reach the client's LEDs"
                        % ("on" if on else "off"))

            # Caps Lock from the client: mutter applies it.
            self.toggle_caps(c, True)
            # A key still held when the client leaves is released.
            c.inputs.key_press(0x2e)  # c
            gtk.wait_line(lambda l: l == "key C", 30, "the held key at the GTK client", client=c)
            self.assertNotIn("keyup C", gtk.lines())
        finally:
            c.close()
        gtk.wait_line(lambda l: l == "keyup C", 30, "the held key to be released on leave")

        # The last client left: the remote-desktop session (and GNOME's
        # sharing indicator) goes with it.
        tdtest.wait_for(lambda: self.agent.stderr().count("remote-desktop session closed") >= 1,
                        20, what="the agent to close the Mutter session")
        self.assertEqual(self.agent.stop(), 0, self.agent.stderr())
        # Every event, the releases on leave included, was taken.
        self.assertNotIn("mutter refused", self.agent.stderr())


    def test_pipewire_restart(self):
        gtk = GtkPattern(self.gnome)
        self.agent = MutterAgent(self.gnome)
        c = self.connect()
        try:
            want = [pattern_from_file(0), pattern_from_file(1)]
            shows = lambda phase: (client_rgb(c) or (0, 0, b""))[2] == want[phase]  # noqa: E731
            self.assertTrue(c.wait(lambda: shows(0), 60), "no exact first frame")
            # The screen changes (space flips the pattern): exact again.
            c.inputs.key_press(0x39)
            c.inputs.key_release(0x39)
            self.assertTrue(c.wait(lambda: shows(1), 30), "the changed screen is not exact")
            # PipeWire and WirePlumber restart under the running session.
            started = lambda: self.agent.stderr().count("remote-desktop session started")  # noqa: E731
            sessions = started()
            self.gnome.restart_pipewire()
            tdtest.wait_for(lambda: c.iterate(0.1) or
                            "PipeWire is back" in self.agent.stderr() or
                            self.agent.proc.poll() is not None, 60,
                            what="the agent to reconnect to PipeWire")
            self.assertIsNone(self.agent.proc.poll(), self.agent.stderr())
            tdtest.wait_for(lambda: c.iterate(0.1) or started() > sessions, 60,
                            what="a new remote-desktop session")
            # Frames flow again: the next change is exact at the same client.
            c.inputs.key_press(0x39)
            c.inputs.key_release(0x39)
            self.assertTrue(c.wait(lambda: shows(0), 60),
                            "no new frames after PipeWire restarted:\n" + self.agent.stderr())
        finally:
            c.close()
        self.assertEqual(self.agent.stop(), 0, self.agent.stderr())

    def test_mutter_quitting_ends_the_agent(self):
        self.agent = MutterAgent(self.gnome)
        self.gnome.mutter.send_signal(signal.SIGTERM)
        try:
            code = self.agent.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.fail("the agent outlived mutter:\n" + self.agent.stderr())
        self.assertEqual(code, 1, self.agent.stderr())
        self.assertRegex(self.agent.stderr(), r"GNOME screen cast: mutter left the session bus")
        self.gnome.procs.remove(self.gnome.mutter)


def pattern_from_file(phase=0):
    """The RGB bytes gtk-pattern.py paints at WIDTH x HEIGHT, from its own
    pattern_rgb (without importing GTK here)."""
    import importlib.util
    import sys
    import types
    fake_gi = types.ModuleType("gi")
    fake_gi.require_version = lambda *a: None
    repo = types.ModuleType("gi.repository")
    repo.Gdk = repo.GLib = repo.Gtk = None
    saved = {k: sys.modules.get(k) for k in ("gi", "gi.repository")}
    sys.modules["gi"], sys.modules["gi.repository"] = fake_gi, repo
    try:
        spec = importlib.util.spec_from_file_location("gtk_pattern", GTK_CLIENT)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    return mod.pattern_rgb(WIDTH, HEIGHT, phase)


class MutterErrorsTest(unittest.TestCase):
    """Asking for mutter where there is none: one line, exit 1."""

    def run_agent(self, args, env_extra):
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        with tempfile.TemporaryDirectory() as tmp:
            env.update(XDG_RUNTIME_DIR=tmp, XDG_CONFIG_HOME=tmp, HOME=tmp)
            env.update(env_extra)
            return subprocess.run([tdtest.AGENT, "--listen=127.0.0.1:%d" % tdtest.free_port(),
                                   "--tls-listen=off", "--disable-ticketing", "--audio=off"]
                                  + args, env=env, capture_output=True, text=True, timeout=60)

    def assert_one_line(self, p, pattern):
        self.assertEqual(p.returncode, 1, p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertRegex(lines[0], pattern)
        self.assertNotIn("serving", p.stdout)

    def test_mutter_without_wayland(self):
        p = self.run_agent(["--capture=mutter"], {})
        self.assert_one_line(p, r"^thindesk-agent: --capture=mutter needs a GNOME Wayland "
                             r"session, but WAYLAND_DISPLAY is not set")

    def test_mutter_without_bus(self):
        tdtest.skip_unless_tools("dbus-daemon")
        with tempfile.TemporaryDirectory() as tmp:
            bus = os.path.join(tmp, "bus")
            d = subprocess.Popen(["dbus-daemon", "--session", "--nofork",
                                  "--address=unix:path=" + bus], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            try:
                tdtest.wait_for(lambda: os.path.exists(bus), 20, what="a D-Bus session bus")
                p = self.run_agent(["--capture=mutter"], {
                    "WAYLAND_DISPLAY": "wayland-9", "XDG_CURRENT_DESKTOP": "GNOME",
                    "DBUS_SESSION_BUS_ADDRESS": "unix:path=" + bus})
            finally:
                tdtest.stop_process(d)
        self.assert_one_line(p, r"^thindesk-agent: --capture=mutter cannot work here: "
                             r"org\.gnome\.Mutter\.ScreenCast is not on the session bus")

    def test_input_mutter_needs_capture_mutter(self):
        p = self.run_agent(["--capture=fake", "--input=mutter"], {})
        self.assert_one_line(p, r"^thindesk-agent: --input=mutter needs --capture=mutter")


if __name__ == "__main__":
    tdtest.main()
