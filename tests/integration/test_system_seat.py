"""thindesk-agent --system following logind (python3-dbusmock's logind
template on a private bus standing in for the system bus) across X servers of
different sizes, on one spice-gtk connection: the placeholder before any
session, a greeter on one Xvfb, a GDM-style login onto a second, larger
Xvfb (the primary surface is recreated at the new size, input follows), lock
and unlock, and the seat without an active session."""

import os
import subprocess
import tempfile
import shutil
import time
import unittest

import tdtest

PLACEHOLDER_COLOR = (0x2b, 0x3a, 0x4a)


def ppm_pixel(path, x, y):
    with open(path, "rb") as f:
        data = f.read()
    parts = data.split(b"\n", 3)
    w = int(parts[1].split()[0])
    o = (y * w + x) * 3
    return tuple(parts[3][o:o + 3])


class Logind:
    """dbusmock's logind on a private bus; `address` is that bus."""

    def __init__(self):
        import dbus
        self.bus_proc = subprocess.Popen(["dbus-daemon", "--session", "--nofork",
                                          "--print-address=1"], stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL)
        self.address = self.bus_proc.stdout.readline().decode().strip()
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address)
        self.mock = subprocess.Popen(["/usr/bin/python3", "-m", "dbusmock", "--system",
                                      "--template", "logind"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.bus = dbus.bus.BusConnection(self.address)
        tdtest.wait_for(lambda: self.bus.name_has_owner("org.freedesktop.login1"), 20,
                        what="dbusmock's logind")
        self.dbus = dbus
        self.call("/org/freedesktop/login1", "org.freedesktop.DBus.Mock", "AddSeat", "seat0")

    def call(self, path, iface, method, *args):
        obj = self.bus.get_object("org.freedesktop.login1", path)
        return obj.get_dbus_method(method, iface)(*args)

    def add_session(self, sid, klass, display, user, uid):
        d = self.dbus
        self.call("/org/freedesktop/login1", "org.freedesktop.DBus.Mock", "AddObject",
                  "/org/freedesktop/login1/session/" + sid, "org.freedesktop.login1.Session",
                  d.Dictionary({"Id": sid, "Class": klass, "Type": "x11", "Display": display,
                                "Name": user, "LockedHint": False, "Active": True,
                                "User": d.Struct((d.UInt32(uid),
                                                  d.ObjectPath("/org/freedesktop/login1/user/%d"
                                                               % uid)))},
                               signature="sv"),
                  d.Array([], signature="(ssss)"))

    def activate(self, sid):
        d = self.dbus
        path = "/org/freedesktop/login1/session/" + sid if sid else "/"
        self.call("/org/freedesktop/login1/seat/seat0", "org.freedesktop.DBus.Properties", "Set",
                  "org.freedesktop.login1.Seat", "ActiveSession",
                  d.Struct((sid or "", d.ObjectPath(path))))

    def set_locked(self, sid, locked):
        self.call("/org/freedesktop/login1/session/" + sid, "org.freedesktop.DBus.Mock",
                  "UpdateProperties", "org.freedesktop.login1.Session",
                  self.dbus.Dictionary({"LockedHint": locked}, signature="sv"))

    def stop(self):
        tdtest.stop_process(self.mock)
        tdtest.stop_process(self.bus_proc)
        self.bus_proc.stdout.close()


def assert_helper_clean(test, proc):
    """Stops a thindesk-session started with stdout=PIPE (stderr into it) and
    checks its output for sanitizer reports (the sanitizer pass)."""
    tdtest.stop_process(proc)
    out = proc.stdout.read()
    proc.stdout.close()
    out = out.decode(errors="replace") if isinstance(out, bytes) else out
    for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
        test.assertNotIn(marker, out)


class SystemSeat(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "dbus-daemon", "xdotool", "import", "compare")
        try:
            import dbusmock  # noqa: F401
        except ImportError:
            self.skipTest("python3-dbusmock is not installed")
        self.tmp = tempfile.mkdtemp(prefix="thindesk-sysseat-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def frame_equals(self, c, x, what):
        got, want = os.path.join(self.tmp, "got.ppm"), os.path.join(self.tmp, "want.png")
        deadline = time.monotonic() + 30
        last = None
        while time.monotonic() < deadline:
            c.iterate(0.3)
            if not c.primary():
                continue
            c.save_ppm(got)
            tdtest.grab_root(x.display, want)
            last = tdtest.compare_ae(got, want) if tdtest.image_size(got) == x.size else "size"
            if last == 0:
                return
        self.fail("%s: the client's frame never equalled %s's root (%s)" % (what, x.display, last))

    def test_follows_logind_across_x_servers(self):
        import spiceclient
        logind = Logind()
        self.addCleanup(logind.stop)
        with tdtest.Xvfb(800, 600) as greeter_x, tdtest.Xvfb(1024, 768) as user_x:
            greeter_x.check(["xsetroot", "-solid", "#336699"])
            user_x.check(["xsetroot", "-solid", "#996633"])
            user_x.run(["xterm", "-geometry", "40x10+50+50"])
            with tdtest.Agent(args=["--system", "--seat-source=logind", "--input=xtest",
                                    "--usb-channels=0",
                                    "--session-socket=" + os.path.join(self.tmp, "s.sock")],
                              env={"DISPLAY": "", "DBUS_SYSTEM_BUS_ADDRESS": logind.address}) \
                    as agent:
                c = spiceclient.Client(agent.port, agent.password)
                try:
                    self.assertTrue(c.wait(lambda: c.primary() is not None, 30))
                    got = os.path.join(self.tmp, "placeholder.ppm")
                    c.save_ppm(got)
                    self.assertEqual(ppm_pixel(got, 1, 1), PLACEHOLDER_COLOR)

                    # The greeter on the first X server.
                    logind.add_session("c1", "greeter", greeter_x.display, "lightdm", 110)
                    logind.activate("c1")
                    self.frame_equals(c, greeter_x, "greeter")
                    self.assertTrue(c.wait(lambda: [m[3:] for m in c.monitors()]
                                           == [(800, 600)], 10), c.monitors())
                    self.assertIn("state: greeter lightdm on %s: display and input only"
                                  % greeter_x.display, agent.stderr())

                    # GDM-style login: the user's session has its own server.
                    t0 = time.monotonic()
                    logind.add_session("c2", "user", user_x.display, "alice", 1000)
                    logind.activate("c2")
                    self.frame_equals(c, user_x, "user session")
                    print("re-attached to the larger server in %.2f s"
                          % (time.monotonic() - t0), flush=True)
                    self.assertEqual(c.display.get_property("width"), 1024)
                    # The client's monitor is the new server's whole screen.
                    self.assertTrue(c.wait(lambda: [m[3:] for m in c.monitors()]
                                           == [(1024, 768)], 10), c.monitors())
                    # Input follows: the pointer moves on the new server.
                    self.assertTrue(c.wait(lambda: c.inputs is not None, 10))
                    for _ in range(20):
                        c.inputs.position(321, 234, 0, 0)
                        c.iterate(0.1)
                        loc = user_x.check(["xdotool", "getmouselocation", "--shell"]).stdout
                        if b"X=321\n" in loc and b"Y=234\n" in loc:
                            break
                    self.assertIn(b"X=321\n", loc)
                    self.assertIn(b"Y=234\n", loc)

                    # Lock and unlock: same server, fewer features.
                    logind.set_locked("c2", True)
                    self.assertTrue(c.wait(lambda: "state: locked alice on %s" % user_x.display
                                           in agent.stderr(), 10))
                    logind.set_locked("c2", False)
                    self.assertTrue(c.wait(lambda: agent.stderr().count(
                        "state: user alice on %s" % user_x.display) >= 2, 10))
                    self.frame_equals(c, user_x, "after unlock")

                    # The seat without an active session: the placeholder.
                    logind.activate(None)
                    self.assertTrue(c.wait(lambda: "state: none" in agent.stderr().split(
                        "state: locked")[-1], 10))
                    c.iterate(1.0)
                    c.save_ppm(got)
                    self.assertEqual(ppm_pixel(got, 1, 1), PLACEHOLDER_COLOR)

                    # One connection throughout.
                    self.assertEqual(c.errors, [])
                    self.assertEqual(agent.stderr().count(" connected (session"), 1)
                    self.assertEqual(agent.stderr().count(" disconnected (session"), 0)
                finally:
                    c.close()

    def test_session_helper_takes_file_transfers_as_the_user(self):
        """thindesk-session of the active user connects over session.sock
        (SO_PEERCRED decides: another uid and a second helper are refused),
        and a file a spice-gtk client sends lands in that user's Downloads,
        owned by the user: the root service only wrote into the descriptor
        the helper created."""
        import spiceclient
        from gi.repository import Gio
        uid, other = 4242, 4343
        os.chmod(self.tmp, 0o755)
        home = os.path.join(self.tmp, "home-alice")
        os.mkdir(home, 0o700)
        os.chown(home, uid, uid)
        sock = os.path.join(self.tmp, "session.sock")
        helper_bin = os.path.join(tdtest.BUILD, "agent", "thindesk-session")
        env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"))

        def helper(as_uid, *extra):
            p = subprocess.Popen(["setpriv", "--reuid=%d" % as_uid, "--regid=%d" % as_uid,
                                  "--clear-groups", helper_bin, "--socket=" + sock, *extra],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True)
            self.addCleanup(tdtest.stop_process, p)
            return p

        logind = Logind()
        self.addCleanup(logind.stop)
        with tdtest.Xvfb(640, 480) as x:
            logind.add_session("g", "greeter", x.display, "lightdm", 110)
            logind.add_session("u", "user", x.display, "alice", uid)
            args = ["--system", "--seat-source=logind", "--input=xtest", "--usb-channels=0",
                    "--session-socket=" + sock]
            with tdtest.Agent(args=args, env={"DISPLAY": "",
                                              "DBUS_SYSTEM_BUS_ADDRESS": logind.address}) \
                    as agent:
                tdtest.wait_for(lambda: os.path.exists(sock), 15, what="session.sock")
                logind.activate("u")
                tdtest.wait_for(lambda: "state: user alice on " + x.display in agent.stderr(),
                                15, what="the user state")

                # Another user's helper is refused, with a log line.
                p = helper(other, "--once")
                out = p.communicate(timeout=15)[0]
                self.assertEqual(p.returncode, 1, out)
                self.assertIn("refused by the system service: uid %d is not the active "
                              "session's user (alice, uid %d)" % (other, uid), out)
                self.assertIn("session: refused a session helper from uid %d" % other,
                              agent.stderr())

                # The active user's helper is accepted.
                h = helper(uid)
                tdtest.wait_for(lambda: "session: helper of alice (uid %d, pid %d) connected"
                                % (uid, h.pid) in agent.stderr(), 15, what="the helper")
                # A second helper for the same session is refused.
                p = helper(uid, "--once")
                out = p.communicate(timeout=15)[0]
                self.assertEqual(p.returncode, 1, out)
                self.assertIn("a helper is already connected for this session", out)

                c = spiceclient.Client(agent.port, agent.password)
                self.addCleanup(c.close)
                self.assertTrue(c.wait_agent_caps(
                    [spiceclient.VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS]),
                    "the agent channel or its capabilities never came")

                def send(path):
                    result = {}

                    def done(channel, res, data=None):
                        try:
                            result["ok"] = channel.file_copy_finish(res)
                        except Exception as e:  # GLib.Error
                            result["error"] = str(e)
                    c.main.file_copy_async([Gio.File.new_for_path(path)],
                                           Gio.FileCopyFlags.NONE, None, None, None, done, None)
                    self.assertTrue(c.wait(lambda: result, 60), "the transfer never finished")
                    return result.get("error")

                src = os.path.join(self.tmp, "report.bin")
                data = os.urandom(1024 * 1024 + 5)
                with open(src, "wb") as f:
                    f.write(data)
                self.assertIsNone(send(src))
                landed = os.path.join(home, "Downloads", "report.bin")
                with open(landed, "rb") as f:
                    self.assertEqual(f.read(), data)
                st = os.stat(landed)
                self.assertEqual((st.st_uid, st.st_gid), (uid, uid))
                self.assertEqual(os.stat(os.path.dirname(landed)).st_uid, uid)
                # The same name again: a new file next to it.
                with open(src, "wb") as f:
                    f.write(b"second")
                self.assertIsNone(send(src))
                with open(os.path.join(home, "Downloads", "report (1).bin"), "rb") as f:
                    self.assertEqual(f.read(), b"second")
                self.assertEqual(sorted(os.listdir(os.path.join(home, "Downloads"))),
                                 ["report (1).bin", "report.bin"])

                # Back at the greeter the helper is dropped and transfers refused.
                logind.activate("g")
                tdtest.wait_for(lambda: "session: helper of uid %d (pid %d) dropped" % (uid, h.pid)
                                in agent.stderr(), 15, what="the helper dropped")
                self.assertIsNotNone(send(src))
                self.assertEqual(len(os.listdir(os.path.join(home, "Downloads"))), 2)
                c.close()
                assert_helper_clean(self, h)

    def test_session_helper_relays_sound_and_microphone(self):
        """Sound under --system: thindesk-session (as the user) records the
        session's sound server and relays it, so a spice-gtk client hears a
        440 Hz tone played in the session; and the client's microphone (1 kHz)
        reaches an application recording thindesk-mic in the session. The
        service itself has no sound server connection (it is root; the sound
        server is the user's)."""
        import soundserver
        soundserver.skip_unless_pulseaudio()
        import audioclient
        uid = 4242
        os.chmod(self.tmp, 0o755)
        home = os.path.join(self.tmp, "home-alice")
        os.mkdir(home, 0o700)
        os.chown(home, uid, uid)
        padir = os.path.join(self.tmp, "pulse")
        os.mkdir(padir, 0o755)
        sock = os.path.join(self.tmp, "session.sock")
        logind = Logind()
        self.addCleanup(logind.stop)
        with soundserver.PulseAudio(padir) as pa, tdtest.Xvfb(640, 480) as x:
            os.chmod(pa.socket, 0o777)
            logind.add_session("u", "user", x.display, "alice", uid)
            args = ["--system", "--seat-source=logind", "--input=xtest", "--usb-channels=0",
                    "--session-socket=" + sock]
            # The service gets no PULSE_SERVER: it must not need one.
            env = {"DISPLAY": "", "DBUS_SYSTEM_BUS_ADDRESS": logind.address,
                   "PULSE_SERVER": "unix:/nonexistent"}
            with tdtest.Agent(args=args, env=env) as agent:
                tdtest.wait_for(lambda: os.path.exists(sock), 15, what="session.sock")
                logind.activate("u")
                tdtest.wait_for(lambda: "state: user alice on " + x.display in agent.stderr(),
                                15, what="the user state")
                henv = dict(os.environ, HOME=home, PULSE_SERVER="unix:" + pa.socket,
                            PULSE_RUNTIME_PATH=os.path.join(home, ".pulse-runtime"),
                            XDG_CONFIG_HOME=os.path.join(home, ".config"))
                h = subprocess.Popen(["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid,
                                      "--clear-groups",
                                      os.path.join(tdtest.BUILD, "agent", "thindesk-session"),
                                      "--socket=" + sock], env=henv,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                self.addCleanup(tdtest.stop_process, h)
                tdtest.wait_for(lambda: "session helper connected" in agent.stderr(), 15,
                                what="the helper")
                # The helper made the session's default sink, as the per-user agent does.
                tdtest.wait_for(lambda: pa.default("sink") == "thindesk", 15,
                                what="the thindesk sink as the default")
                c = audioclient.AudioClient(agent.port, agent.password)
                self.addCleanup(c.close)
                self.assertTrue(c.wait(lambda: c.playback is not None, 30),
                                "the client got no playback channel")
                tone = os.path.join(self.tmp, "tone.wav")
                soundserver.write_tone(tone, 440, 3.0, 0.5)
                t0 = time.monotonic()
                p = subprocess.Popen(["paplay", tone], env=pa.env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
                self.addCleanup(tdtest.stop_process, p)
                need = 48000

                def enough():
                    smp = audioclient.mono(c.pcm(t0))
                    start = audioclient.onset_index(smp)
                    return start is not None and len(smp) - start >= need + 48000 // 5
                self.assertTrue(c.wait(enough, 30), "the client received no second of sound "
                                "(%d frames)" % (len(c.pcm(t0)) // 4))
                smp = audioclient.mono(c.pcm(t0))
                start = audioclient.onset_index(smp) + 4800
                got = audioclient.dominant_frequency(smp[start:start + need])
                self.assertLessEqual(abs(got - 440), 5, "dominant frequency %.1f Hz" % got)
                print("440 Hz tone through the session helper: client got %.1f Hz" % got,
                      flush=True)

                # The microphone: an application in the session records from
                # thindesk-mic, the client's microphone opens, its 1 kHz arrives.
                self.assertIsNone(c.record_format, "the client's microphone opened for nobody")
                out = os.path.join(self.tmp, "mic.raw")
                with open(out, "wb") as f:
                    rec = subprocess.Popen(["parec", "--device=thindesk-mic", "--format=s16le",
                                            "--rate=48000", "--channels=2",
                                            "--latency-msec=20"], env=pa.env, stdout=f,
                                           stderr=subprocess.DEVNULL)
                    self.addCleanup(tdtest.stop_process, rec)
                    self.assertTrue(c.wait(lambda: c.record_format, 20), "no record-start")
                    sent, start, block = 0, time.monotonic(), 480
                    while time.monotonic() - start < 3.0:
                        due = int((time.monotonic() - start) * 48000)
                        while sent + block <= due:
                            c.send_mic(soundserver.tone_frames(1000, block, sent, 0.5, 48000))
                            sent += block
                        c.iterate(0.003)
                    tdtest.stop_process(rec)
                with open(out, "rb") as f:
                    smp = audioclient.mono(f.read())
                start = audioclient.onset_index(smp)
                self.assertIsNotNone(start, "parec recorded only silence from thindesk-mic")
                tone = smp[start + 4800:start + 4800 + 48000]
                self.assertGreaterEqual(len(tone), 24000, "too little microphone sound")
                got = audioclient.dominant_frequency(tone)
                self.assertLessEqual(abs(got - 1000), 5, "microphone: dominant %.1f Hz" % got)
                print("1 kHz microphone through the session helper: session recorded %.1f Hz"
                      % got, flush=True)
                # Nobody records any more: the client's microphone closes.
                self.assertTrue(c.wait(lambda: c.record_stops >= 1, 15), "no record-stop")
                self.assertNotIn("pulse", agent.stderr().lower().replace("pulse_", ""))
                c.close()
                assert_helper_clean(self, h)

    def test_on_disconnect_locks_or_ends_the_session(self):
        """--on-disconnect: when the client leaves the user's session the
        service calls logind's LockSession (the default) or TerminateSession
        (logout) on that session; nothing calls neither; a client leaving the
        greeter locks nothing."""
        import spiceclient
        logind = Logind()
        self.addCleanup(logind.stop)

        def calls():
            return [(str(c[1]), [str(x) for x in c[2]]) for c in logind.call(
                "/org/freedesktop/login1", "org.freedesktop.DBus.Mock", "GetCalls")
                if str(c[1]) in ("LockSession", "TerminateSession")]

        with tdtest.Xvfb(640, 480) as x:
            logind.add_session("g", "greeter", x.display, "lightdm", 110)
            logind.add_session("u", "user", x.display, "alice", 1000)
            for mode, want in ((None, ("LockSession", ["u"])),
                               ("nothing", None),
                               ("logout", ("TerminateSession", ["u"]))):
                logind.call("/org/freedesktop/login1", "org.freedesktop.DBus.Mock",
                            "ClearCalls")
                args = ["--system", "--seat-source=logind", "--input=xtest", "--usb-channels=0",
                        "--session-socket=" + os.path.join(self.tmp, "s.sock")]
                if mode:
                    args.append("--on-disconnect=" + mode)
                with tdtest.Agent(args=args, env={"DISPLAY": "",
                                                  "DBUS_SYSTEM_BUS_ADDRESS": logind.address}) \
                        as agent:
                    # At the greeter a client comes and goes: nothing to lock.
                    logind.activate("g")
                    tdtest.wait_for(lambda: "state: greeter" in agent.stderr(), 15,
                                    what="the greeter state")
                    c = spiceclient.Client(agent.port, agent.password)
                    self.assertTrue(c.wait(lambda: c.primary() is not None, 30))
                    c.close()
                    tdtest.wait_for(lambda: " disconnected (session" in agent.stderr(), 15,
                                    what="the disconnect")
                    logind.activate("u")
                    tdtest.wait_for(lambda: "state: user alice" in agent.stderr(), 15,
                                    what="the user state")
                    self.assertEqual(calls(), [])
                    c = spiceclient.Client(agent.port, agent.password)
                    self.assertTrue(c.wait(lambda: c.primary() is not None, 30))
                    c.close()
                    tdtest.wait_for(lambda: agent.stderr().count(" disconnected (session") == 2,
                                    15, what="the second disconnect")
                    if want:
                        tdtest.wait_for(lambda: calls() == [want], 10,
                                        what="%s(%s)" % want)
                        self.assertIn("on disconnect: ", agent.stderr())
                    else:
                        time.sleep(1.0)
                        self.assertEqual(calls(), [])
                        self.assertNotIn("on disconnect: ", agent.stderr())

    def test_usb_refused_on_the_login_screen(self):
        from usbclient import UsbClient, make_iso
        iso = os.path.join(self.tmp, "cd.iso")
        make_iso(iso)
        logind = Logind()
        self.addCleanup(logind.stop)
        with tdtest.Xvfb(640, 480) as x:
            args = ["--system", "--seat-source=logind", "--input=xtest", "--usb-attach=fake",
                    "--usb-channels=1", "--session-socket=" + os.path.join(self.tmp, "s.sock")]
            env = {"DISPLAY": "", "DBUS_SYSTEM_BUS_ADDRESS": logind.address}
            logind.add_session("g", "greeter", x.display, "lightdm", 110)
            logind.add_session("u", "user", x.display, "alice", 1000)
            with tdtest.Agent(args=args, env=env) as agent:
                logind.activate("g")
                tdtest.wait_for(lambda: "state: greeter lightdm on " + x.display
                                in agent.stderr(), 15, what="the greeter state")
                c = UsbClient(agent.port, agent.password)
                c.share_cd(iso)
                c.wait(lambda: "attached to the fake kernel side" in agent.stderr(), 8)
                self.assertNotIn("attached to the fake kernel side", agent.stderr())
                c.disconnect()

                # In the user's session a client's CD gets through.
                logind.activate("u")
                tdtest.wait_for(lambda: "state: user alice on " + x.display in agent.stderr(),
                                15, what="the user state")
                c = UsbClient(agent.port, agent.password)
                c.share_cd(iso)
                self.assertTrue(c.wait(lambda: "attached to the fake kernel side"
                                       in agent.stderr(), 60), agent.stderr())
                c.disconnect()


if __name__ == "__main__":
    tdtest.main()
