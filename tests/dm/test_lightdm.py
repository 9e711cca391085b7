"""The system service with a real display manager: Debian's LightDM with
lightdm-gtk-greeter on Xvfb (through a wrapper as xserver-command, see
SESSION.md section 10), a private system bus, a test user, and a test
session that shows a marker window.

thindesk-agent --system starts BEFORE lightdm and learns about the X server
through `thindesk-agent dm-hook` (display-setup-script, session-setup-script,
session-cleanup-script). One spice-gtk client connection (Python GI) sees the
greeter (its frame equals the greeter's root window exactly), is refused the
clipboard there, types the user name and password through the SPICE keyboard,
sees the marker session, gets the clipboard there, and after logout (the
session killed) sees the next greeter, which LightDM starts on a NEW Xvfb.

Needs root (LightDM, PAM, useradd). Label `dm`."""

import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import tdtest  # noqa: E402

TEST_USER = "thindesk-dm"
TEST_PASSWORD = "tdpass42"
MARKER_COLOR = (0x2e, 0x8b, 0x57)  # the session's root window (xsetroot)
PLACEHOLDER_COLOR = (0x2b, 0x3a, 0x4a)  # display/fake-pattern.c "waiting"
WIDTH, HEIGHT = 1024, 768

# Set-1 scancodes spice-gtk's key_press takes.
SCANCODES = {c: s for c, s in zip("qwertyuiop", range(0x10, 0x1a))}
SCANCODES.update({c: s for c, s in zip("asdfghjkl", range(0x1e, 0x27))})
SCANCODES.update({c: s for c, s in zip("zxcvbnm", range(0x2c, 0x33))})
SCANCODES.update({c: s for c, s in zip("1234567890", range(0x02, 0x0c))})
SCANCODES.update({"-": 0x0c, "\t": 0x0f, "\n": 0x1c})


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def free_display(start):
    for n in range(start, 1000):
        if not os.path.exists("/tmp/.X%d-lock" % n) and \
                not os.path.exists("/tmp/.X11-unix/X%d" % n):
            return n
    raise AssertionError("no free X display number")


def ppm_pixel(path, x, y):
    with open(path, "rb") as f:
        data = f.read()
    # P6\nW H\n255\n
    parts = data.split(b"\n", 3)
    w = int(parts[1].split()[0])
    o = (y * w + x) * 3
    return tuple(parts[3][o:o + 3])


class LightDM(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root (LightDM, PAM, a test user)")
        tdtest.skip_unless_tools("lightdm", "lightdm-gtk-greeter", "Xvfb", "dbus-daemon", "xwd",
                                 "convert", "compare", "xclip", "xwininfo", "xsetroot", "xterm",
                                 "useradd", "chpasswd")
        self.tmp = tempfile.mkdtemp(prefix="thindesk-dm-")
        os.chmod(self.tmp, 0o755)
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.procs = []
        self.ensure_user()

    def ensure_user(self):
        """The test user, created once and reused (idempotent)."""
        try:
            pwd.getpwnam(TEST_USER)
        except KeyError:
            subprocess.run(["useradd", "-m", "-s", "/bin/sh", TEST_USER], check=True)
        subprocess.run(["chpasswd"], input="%s:%s\n" % (TEST_USER, TEST_PASSWORD), text=True,
                       check=True)
        self.uid = pwd.getpwnam(TEST_USER).pw_uid

    def spawn(self, argv, log, env=None):
        f = open(os.path.join(self.tmp, log), "w")
        p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, env=env,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        f.close()
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in reversed(self.procs):
            tdtest.stop_process(p, timeout=10)
        self.kill_user_processes()

    def kill_user_processes(self):
        """The test user's processes: only our session runs as that user."""
        out = subprocess.run(["pgrep", "-u", str(self.uid)], capture_output=True, text=True)
        for pid in out.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass

    def read(self, name):
        with open(os.path.join(self.tmp, name)) as f:
            return f.read()

    def setup_lightdm(self, hook_socket):
        t = self.tmp
        # A private system bus: the greeter needs one; the machine's (if
        # any) stays untouched.
        bus_socket = os.path.join(t, "system_bus_socket")
        write(os.path.join(t, "bus.conf"), """<!DOCTYPE busconfig PUBLIC
 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
""" % bus_socket)
        self.spawn(["dbus-daemon", "--config-file=" + os.path.join(t, "bus.conf"), "--nofork"],
                   "dbus.log")
        tdtest.wait_for(lambda: os.path.exists(bus_socket), 10, what="the private system bus")
        os.chmod(bus_socket, 0o777)
        bus_address = "unix:path=" + bus_socket
        self.bus_address = bus_address
        # The greeter, pointed at that bus.
        os.makedirs(os.path.join(t, "greeters"))
        write(os.path.join(t, "greeter.sh"),
              "#!/bin/sh\nexport DBUS_SYSTEM_BUS_ADDRESS=%s\nexec /usr/sbin/lightdm-gtk-greeter\n"
              % bus_address, 0o755)
        write(os.path.join(t, "greeters", "thindesk-test-greeter.desktop"),
              "[Desktop Entry]\nName=thindesk test greeter\nType=Application\nExec=%s\n"
              % os.path.join(t, "greeter.sh"))
        # The test session: a coloured root window and a titled xterm.
        os.makedirs(os.path.join(t, "sessions"))
        write(os.path.join(t, "session.sh"),
              "#!/bin/sh\nxsetroot -solid '#%02x%02x%02x'\n"
              "exec xterm -T thindesk-marker -geometry 40x6+200+200\n" % MARKER_COLOR, 0o755)
        # The greeter lists sessions from the system's /usr/share/xsessions
        # (liblightdm reads only the system configuration, not -c) and asks
        # for Debian's lightdm-xsession; our LightDM looks that name up in
        # the test's sessions-directory, so the test session carries it.
        write(os.path.join(t, "sessions", "lightdm-xsession.desktop"),
              "[Desktop Entry]\nName=thindesk test session\nType=Application\nExec=%s\n"
              % os.path.join(t, "session.sh"))
        # Xvfb as the X server: LightDM appends vtN -novtswitch, which Xvfb
        # refuses. Each start is recorded.
        write(os.path.join(t, "xserver.sh"), """#!/bin/sh
echo $$ >> %s
args=
for a in "$@"; do
  case "$a" in vt[0-9]*|-novtswitch) ;; *) args="$args $a" ;; esac
done
exec Xvfb $args -screen 0 %dx%dx24
""" % (os.path.join(t, "xservers"), WIDTH, HEIGHT), 0o755)
        self.display_number = free_display(180 + os.getpid() % 300)
        agent = tdtest.AGENT
        hook = "%s dm-hook %%s --socket=%s" % (agent, hook_socket)
        write(os.path.join(t, "lightdm.conf"), """[LightDM]
dbus-service=false
minimum-display-number=%d
sessions-directory=%s
greeters-directory=%s
[Seat:*]
xserver-command=%s
greeter-session=thindesk-test-greeter
greeter-hide-users=true
user-session=lightdm-xsession
display-setup-script=%s
session-setup-script=%s
session-cleanup-script=%s
""" % (self.display_number, os.path.join(t, "sessions"), os.path.join(t, "greeters"),
            os.path.join(t, "xserver.sh"), hook % "display-setup", hook % "session-setup",
            hook % "session-cleanup"))
        for d in ("run", "cache", "log"):
            os.makedirs(os.path.join(t, d))
        self.cookie = os.path.join(t, "run", "root", ":%d" % self.display_number)
        self.display = ":%d" % self.display_number

    def start_lightdm(self):
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "XAUTHORITY")}
        # LightDM's session child (PAM, the greeter) needs a system bus.
        env["DBUS_SYSTEM_BUS_ADDRESS"] = self.bus_address
        t = self.tmp
        return self.spawn(["lightdm", "-d", "-c", os.path.join(t, "lightdm.conf"),
                           "--run-dir", os.path.join(t, "run"), "--cache-dir",
                           os.path.join(t, "cache"), "--log-dir", os.path.join(t, "log")],
                          "lightdm.out", env=env)

    def xenv(self):
        e = dict(os.environ)
        e["DISPLAY"] = self.display
        e["XAUTHORITY"] = self.cookie
        return e

    def grab_root(self, out):
        xwd = out + ".xwd"
        r = subprocess.run(["xwd", "-root", "-silent", "-out", xwd], env=self.xenv(),
                           capture_output=True)
        if r.returncode != 0:
            return False
        return subprocess.run(["convert", xwd, out], capture_output=True).returncode == 0

    def assert_frame_equals_root(self, client, what, timeout=60):
        """The client's frame equals the X root window exactly (taken while
        the screen holds still: root before and after agree)."""
        deadline = time.monotonic() + timeout
        a, b, got = (os.path.join(self.tmp, n) for n in ("root-a.ppm", "root-b.ppm", "got.ppm"))
        last = "no frame"
        while time.monotonic() < deadline:
            client.iterate(0.3)
            if not self.grab_root(a):
                last = "cannot read the root window"
                continue
            client.iterate(0.3)
            prim = client.primary()
            if not prim:
                last = "the client has no frame"
                continue
            client.save_ppm(got)
            if not self.grab_root(b):
                continue
            if tdtest.compare_ae(a, b) != 0:
                last = "the screen is still changing"
                continue
            ae = tdtest.compare_ae(a, got)
            if ae == 0:
                return
            last = "%d pixels differ" % ae
        self.fail("%s: the client's frame never equalled the root window (%s)" % (what, last))

    def type_text(self, client, text):
        for ch in text:
            code = SCANCODES[ch]
            client.inputs.key_press(code)
            client.iterate(0.03)
            client.inputs.key_release(code)
            client.iterate(0.03)

    def greeters_connected(self):
        """How many greeters connected to our LightDM so far."""
        path = os.path.join(self.tmp, "log", "lightdm.log")
        if not os.path.exists(path):
            return 0
        return self.read("log/lightdm.log").count("Greeter connected")

    def marker_window(self):
        r = subprocess.run(["xwininfo", "-name", "thindesk-marker"], env=self.xenv(),
                           capture_output=True, text=True)
        return r.returncode == 0 and "Map State: IsViewable" in r.stdout

    def x_clipboard_owned(self):
        r = subprocess.run(["xclip", "-o", "-selection", "clipboard"], env=self.xenv(),
                           capture_output=True, timeout=5)
        return r.returncode == 0

    def test_greeter_login_logout_on_one_connection(self):
        import spiceclient
        from gi.repository import GObject
        t0 = time.monotonic()
        hook_socket = os.path.join(self.tmp, "dm-hook.sock")
        self.setup_lightdm(hook_socket)
        # The agent sees the same system bus: no logind on it, so it follows
        # the display manager's hooks (--seat-source=auto).
        env = {"DISPLAY": "", "DBUS_SYSTEM_BUS_ADDRESS": self.bus_address}
        with tdtest.Agent(args=["--system", "--seat-source=auto",
                                "--dm-hook-socket=" + hook_socket, "--input=xtest",
                                "--session-socket=" + os.path.join(self.tmp, "session.sock"),
                                "--usb-channels=0"], env=env) as agent:
            try:
                self._run(agent, spiceclient, GObject, t0)
            except BaseException:
                for name in ("dbus.log", "lightdm.out", "log/lightdm.log", "log/x-0.log",
                             "log/seat0-greeter.log"):
                    path = os.path.join(self.tmp, name)
                    if os.path.exists(path):
                        sys.stderr.write("--- %s ---\n%s\n" % (name, self.read(name)[-6000:]))
                raise
            finally:
                # LightDM, its X servers and greeter, the bus, the session.
                self.stop_all()

    def _run(self, agent, spiceclient, GObject, t0):
        # Before any display manager: the placeholder, never a dead channel.
        shot = os.path.join(self.tmp, "placeholder.ppm")
        rc, out = tdtest.spicy_screenshot(agent.port, agent.password, shot)
        self.assertEqual(rc, 0, out)
        self.assertEqual(tdtest.image_size(shot), (1024, 768))
        self.assertEqual(ppm_pixel(shot, 2, 2), PLACEHOLDER_COLOR)

        self.start_lightdm()
        tdtest.wait_for(lambda: "state: greeter on " + self.display in agent.stderr(), 60,
                        what="the agent to attach to the greeter's X server")
        tdtest.wait_for(lambda: self.greeters_connected() >= 1, 60, what="lightdm-gtk-greeter")
        first_server = self.read("xservers").split()
        print("greeter attached after %.1f s" % (time.monotonic() - t0), flush=True)

        c = spiceclient.Client(agent.port, agent.password)
        try:
            self.assertTrue(c.wait(lambda: c.primary() is not None and c.inputs is not None, 30),
                            "no frame at the client")
            # Let the greeter finish drawing (it maps its window after start).
            c.iterate(3)
            self.assert_frame_equals_root(c, "greeter")
            w, h, _, _ = c.primary()
            self.assertEqual((w, h), (WIDTH, HEIGHT))

            # The clipboard is refused in the greeter: nothing takes it.
            self.assertTrue(c.wait_agent_caps([spiceclient.VD_AGENT_CAP_CLIPBOARD_BY_DEMAND]))
            requests = []

            def on_request(ch, sel, typ):
                requests.append((sel, typ))
                ch.clipboard_selection_notify(sel, typ, b"from-the-client")
                return True
            GObject.Object.connect(c.main, "main-clipboard-selection-request", on_request)
            c.main.clipboard_selection_grab(0, [1])
            c.iterate(1.5)
            self.assertFalse(self.x_clipboard_owned(),
                             "the greeter's X server got a clipboard from the client")
            c.iterate(0.5)
            self.assertEqual(requests, [])

            # Log in through the SPICE keyboard (XTEST into the greeter).
            t_login = time.monotonic()
            self.type_text(c, TEST_USER.replace("-", "-") + "\t")
            c.iterate(1.0)
            self.type_text(c, TEST_PASSWORD + "\n")
            self.assertTrue(c.wait(self.marker_window, 90), "the marker window never appeared")
            self.assertTrue(c.wait(lambda: "state: user %s on %s" % (TEST_USER, self.display)
                                   in agent.stderr(), 30), "the agent never saw the user session")
            print("logged in after %.1f s" % (time.monotonic() - t_login), flush=True)
            # The marker, on the same connection.
            self.assertTrue(c.wait(lambda: c.primary() is not None, 10))
            c.iterate(1.0)
            self.assert_frame_equals_root(c, "user session")
            got = os.path.join(self.tmp, "session.ppm")
            c.save_ppm(got)
            self.assertEqual(ppm_pixel(got, 2, 2), MARKER_COLOR)
            self.assertEqual(c.errors, [])

            # In the user's session the same client's clipboard is taken.
            c.main.clipboard_selection_grab(0, [1])
            c.iterate(0.5)
            p = subprocess.Popen(["xclip", "-o", "-selection", "clipboard"], env=self.xenv(),
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 20
            while p.poll() is None and time.monotonic() < deadline:
                c.iterate(0.05)
            if p.poll() is None:
                p.kill()
            self.assertEqual(p.stdout.read(), b"from-the-client")
            self.assertTrue(requests, "the agent never asked the client for its clipboard")

            # Log out: the session ends; LightDM starts a new X server.
            self.kill_user_processes()
            self.assertTrue(c.wait(lambda: len(self.read("xservers").split()) > len(first_server)
                                   and self.greeters_connected() >= 2, 60),
                            "no new greeter after logout")
            self.assertTrue(c.wait(lambda: agent.stderr().count("seat: attaching to: " + self.display)
                                   >= 2, 60), "the agent did not re-attach to the new X server")
            c.iterate(3)
            self.assert_frame_equals_root(c, "greeter after logout")
            self.assertFalse(self.x_clipboard_owned())
            # One connection throughout.
            err = agent.stderr()
            self.assertEqual(c.errors, [])
            self.assertEqual(err.count(" connected (session"), 2, err)  # spicy-screenshot + c
            self.assertEqual(err.count(" disconnected (session"), 1, err)  # spicy-screenshot
            print("".join(l + "\n" for l in err.splitlines()
                          if "state:" in l or "attaching" in l or "dm-hook:" in l), flush=True)
        finally:
            c.close()


if __name__ == "__main__":
    tdtest.main()
