#!/usr/bin/env python3
"""Operations: the control socket (status, disconnect, set-password, events,
bad input) and the Prometheus metrics endpoint, driven while a real spice-gtk
client is connected to the agent serving a real X server."""

import json
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402


class ControlConn:
    """One connection to the control socket, reading JSON lines."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.sock.settimeout(0.2)
        self.buf = b""
        self.events = []

    def send_raw(self, data):
        self.sock.sendall(data)

    def _lines(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                yield json.loads(line)
                continue
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                return
            self.buf += chunk

    def reply(self, timeout=10):
        """The next reply; events seen meanwhile are kept in self.events."""
        for msg in self._lines(timeout):
            if "event" in msg:
                self.events.append(msg)
            else:
                return msg
        raise AssertionError("no reply from the control socket")

    def request(self, obj):
        self.send_raw((json.dumps(obj) + "\n").encode())
        return self.reply()

    def wait_event(self, name, timeout=20, pred=lambda e: True):
        for i, e in enumerate(self.events):
            if e["event"] == name and pred(e):
                return self.events.pop(i)
        for msg in self._lines(timeout):
            if "event" not in msg:
                raise AssertionError("unexpected reply %r while waiting for %s" % (msg, name))
            if msg["event"] == name and pred(msg):
                return msg
            self.events.append(msg)
        raise AssertionError("no %s event within %ss (got %r)" % (name, timeout, self.events))

    def close(self):
        self.sock.close()


def ctl(agent, *args, stdin=None, path=None):
    path = path or agent.control_path
    p = subprocess.run([tdtest.AGENT, "ctl", "--control-socket=" + path, *args],
                       capture_output=True, text=True, timeout=30, input=stdin)
    return p.returncode, p.stdout, p.stderr


class TestControlSocket(unittest.TestCase):
    def test_commands_and_events_with_a_client(self):
        import spiceclient
        from gi.repository import GObject, SpiceClientGLib as Spice
        with tdtest.Xvfb(1024, 768) as x:
            with tdtest.Agent(x.display) as agent:
                self.assertIn("control socket: " + agent.control_path, agent.stdout())
                st = os.stat(agent.control_path)
                self.assertEqual(st.st_mode & 0o777, 0o600)
                self.assertEqual(os.stat(os.path.dirname(agent.control_path)).st_mode & 0o777,
                                 0o700)

                ev = ControlConn(agent.control_path)
                self.assertEqual(ev.request({"command": "events", "id": 1}),
                                 {"ok": True, "id": 1})

                # Nobody connected yet.
                code, out, err = ctl(agent, "status")
                self.assertEqual(code, 0, err)
                status = json.loads(out)["status"]
                self.assertEqual(status["clients"], [])
                self.assertEqual(status["resolution"], {"width": 1024, "height": 768})
                self.assertEqual(status["listen"], "127.0.0.1:%d" % agent.port)
                self.assertEqual(status["paths"]["control_socket"], agent.control_path)
                self.assertTrue(status["paths"]["display"].endswith(x.display))
                self.assertNotIn("usb", status)  # only modules that register appear
                code, out, err = ctl(agent, "disconnect")
                self.assertEqual(code, 1)
                self.assertIn("no client is connected", err)

                c = spiceclient.Client(agent.port, agent.password)
                closed = []
                try:
                    self.assertTrue(c.wait(lambda: c.primary() is not None, 20))
                    GObject.Object.connect(
                        c.main, "channel-event",
                        lambda ch, e: closed.append(e) if e in (
                            Spice.ChannelEvent.CLOSED, Spice.ChannelEvent.ERROR_IO,
                            Spice.ChannelEvent.ERROR_LINK) else None)
                    connected = ev.wait_event("client-connected")
                    self.assertTrue(connected["address"].startswith("127.0.0.1:"))
                    self.assertRegex(connected["session_id"], r"^[0-9a-f]{32}$")

                    code, out, err = ctl(agent, "status")
                    self.assertEqual(code, 0, err)
                    clients = json.loads(out)["status"]["clients"]
                    self.assertEqual(len(clients), 1)
                    self.assertEqual(clients[0]["address"], connected["address"])
                    self.assertEqual(clients[0]["session_id"], connected["session_id"])

                    # Bad input on the events connection: an error reply each
                    # time, and the connection keeps working.
                    ev.send_raw(b"{bad json\n")
                    r = ev.reply()
                    self.assertFalse(r["ok"])
                    self.assertIn("malformed JSON", r["error"])
                    r = ev.request({"command": "frobnicate", "id": "x"})
                    self.assertEqual(r["id"], "x")
                    self.assertIn("unknown command 'frobnicate'", r["error"])
                    r = ev.request([1, 2])
                    self.assertIn("JSON object", r["error"])
                    ev.send_raw(b"\xff\xfe\n")
                    self.assertIn("UTF-8", ev.reply()["error"])
                    r = ev.request({"command": "set-password", "password": ""})
                    self.assertFalse(r["ok"])
                    r = ev.request({"command": "status", "id": 9})
                    self.assertTrue(r["ok"])
                    self.assertEqual(r["id"], 9)

                    # Resize under the client: an event with the new size.
                    subprocess.run(["xrandr", "--fb", "800x600"], env=x.env,
                                   capture_output=True)
                    resize = ev.wait_event("resize", pred=lambda e: e["width"] == 800)
                    self.assertEqual(resize["height"], 600)
                    code, out, err = ctl(agent, "status")
                    self.assertEqual(json.loads(out)["status"]["resolution"],
                                     {"width": 800, "height": 600})

                    # Disconnect from the command line: the client is dropped.
                    code, out, err = ctl(agent, "disconnect")
                    self.assertEqual(code, 0, err)
                    self.assertEqual(json.loads(out)["disconnected"], connected["address"])
                    gone = ev.wait_event("client-disconnected")
                    self.assertEqual(gone["session_id"], connected["session_id"])
                    self.assertTrue(c.wait(lambda: closed, 15), "the client was not disconnected")
                    code, out, err = ctl(agent, "status")
                    self.assertEqual(json.loads(out)["status"]["clients"], [])
                finally:
                    c.close()
                    ev.close()
                # The password still works after a disconnect.
                rc, out = tdtest.spicy_screenshot(agent.port, agent.password,
                                                  os.path.join(agent.tmp, "after.ppm"))
                self.assertEqual(rc, 0, out)

    def test_set_password_with_expiry(self):
        with tdtest.Xvfb(640, 480) as x:
            with tdtest.Agent(x.display) as agent:
                shot = os.path.join(agent.tmp, "s.ppm")
                code, out, err = ctl(agent, "set-password", "-", "6", stdin="fresh-one\n")
                self.assertEqual(code, 0, err)
                self.assertEqual(json.loads(out), {"ok": True, "expires": 6})
                set_at = time.monotonic()
                rc, out = tdtest.spicy_screenshot(agent.port, agent.password, shot)
                self.assertNotEqual(rc, 0, "the old password still works")
                rc, out = tdtest.spicy_screenshot(agent.port, "fresh-one", shot)
                self.assertEqual(rc, 0, out)
                self.assertLess(time.monotonic() - set_at, 6,
                                "machine too slow to check the expiry window")
                # The connection file now carries the new password.
                with open(os.path.join(agent.tmp, "thindesk", "connect.vv")) as f:
                    self.assertIn("password=fresh-one\n", f.read())
                time.sleep(max(0, 7 - (time.monotonic() - set_at)))
                rc, out = tdtest.spicy_screenshot(agent.port, "fresh-one", shot)
                self.assertNotEqual(rc, 0, "an expired password was accepted")
                # A new password without expiry lets clients in again.
                code, out, err = ctl(agent, "set-password", "another-one")
                self.assertEqual(code, 0, err)
                rc, out = tdtest.spicy_screenshot(agent.port, "another-one", shot)
                self.assertEqual(rc, 0, out)
                code, out, err = ctl(agent, "set-password", "x" * 61)
                self.assertEqual(code, 1)
                self.assertIn("1 to 60", err)

    def test_refuses_foreign_or_busy_socket(self):
        tmp = tempfile.mkdtemp(prefix="thindesk-ctl-")
        path = os.path.join(tmp, "control")
        if os.geteuid() == 0:
            # Someone else's file at the path.
            open(path, "w").close()
            os.chown(path, 65534, 65534)
            foreign = path
        else:
            foreign = "/control-of-root"  # its directory / belongs to root
        agent = tdtest.Agent(args=["--capture=fake", "--control-socket=" + foreign],
                             wait=False)
        try:
            self.assertEqual(agent.proc.wait(30), 1)
            self.assertRegex(agent.stderr(), r"refusing the control socket .*(owned by|directory)")
        finally:
            agent.check_exit = False
            agent.__exit__(None, None, None)
        if os.geteuid() == 0:
            os.unlink(path)

        # A socket another agent serves is not taken over; a stale one is.
        with tdtest.Agent(args=["--capture=fake", "--control-socket=" + path]) as first:
            second = tdtest.Agent(args=["--capture=fake", "--control-socket=" + path],
                                  wait=False)
            try:
                self.assertEqual(second.proc.wait(30), 1)
                self.assertIn("another thindesk-agent serves the control socket", second.stderr())
            finally:
                second.check_exit = False
                second.__exit__(None, None, None)
            code, out, err = ctl(first, "status", path=path)
            self.assertEqual(code, 0, err)
        self.assertFalse(os.path.exists(path), "the socket was not removed at exit")
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(path)
        stale.close()
        with tdtest.Agent(args=["--capture=fake", "--control-socket=" + path]) as third:
            code, out, err = ctl(third, "status", path=path)
            self.assertEqual(code, 0, err)
        os.rmdir(tmp)


# --- Prometheus text format, parsed strictly enough to catch mistakes ---

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"'
                    r'(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*)?\})? (\S+)$')


def parse_exposition(text):
    """Returns {family: {"type": t, "samples": {(name, labels): value}}}."""
    families = {}
    current = None
    assert text.endswith("\n"), "exposition must end with a newline"
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            families.setdefault(name, {"type": None, "samples": {}, "help": True})
            current = name
        elif line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ")
            assert typ in ("counter", "gauge", "histogram", "summary", "untyped"), line
            fam = families.setdefault(name, {"samples": {}})
            assert fam.get("type") is None, "two TYPE lines for " + name
            fam["type"] = typ
            current = name
        elif line.startswith("#") or not line:
            continue
        else:
            m = SAMPLE.match(line)
            assert m, "malformed sample line: %r" % line
            name, labels, value = m.group(1), m.group(3) or "", m.group(5)
            v = float(value)  # raises on garbage; +Inf/NaN allowed by float()
            fam = current
            assert fam and (name == fam or name in (fam + "_bucket", fam + "_sum",
                                                     fam + "_count")), \
                "sample %s outside its family %s" % (name, fam)
            families[fam]["samples"][(name, labels)] = v
    for name, fam in families.items():
        assert fam.get("type"), "no TYPE for " + name
        if fam["type"] == "counter":
            assert all(v >= 0 for v in fam["samples"].values()), name
        if fam["type"] == "histogram":
            buckets = sorted(((float(l.split('"')[1]), v) for (n, l), v in fam["samples"].items()
                              if n == name + "_bucket"), key=lambda b: b[0])
            assert buckets and math.isinf(buckets[-1][0]), "no +Inf bucket in " + name
            counts = [v for _, v in buckets]
            assert counts == sorted(counts), "buckets of %s not cumulative" % name
            assert counts[-1] == fam["samples"][(name + "_count", "")], name
    return families


def value(fams, name, labels=""):
    return fams[name]["samples"][(name, labels)]


def scrape(port, path="/metrics"):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
        assert r.status == 200
        ctype = r.headers["Content-Type"]
        assert ctype.startswith("text/plain; version=0.0.4"), ctype
        return r.read().decode()


class TestMetrics(unittest.TestCase):
    def test_scrape_during_session(self):
        import spiceclient
        mport = tdtest.free_port()
        with tdtest.Xvfb(800, 600) as x:
            with tdtest.Agent(x.display, args=["--metrics=127.0.0.1:%d" % mport]) as agent:
                self.assertIn("metrics: http://127.0.0.1:%d/metrics" % mport, agent.stdout())
                before = parse_exposition(scrape(mport))
                self.assertEqual(value(before, "thindesk_clients_connected"), 0)
                c = spiceclient.Client(agent.port, agent.password)
                try:
                    self.assertTrue(c.wait(lambda: c.primary() is not None, 20))
                    # Change the desktop so frames flow while we scrape.
                    for i in range(6):
                        x.check(["xsetroot", "-solid", "#%02x%02x40" % (i * 40, 255 - i * 40)])
                        c.iterate(0.3)
                    mid = parse_exposition(scrape(mport))

                    def grew():
                        x.check(["xsetroot", "-solid", "#123456"])
                        c.iterate(0.3)
                        now = parse_exposition(scrape(mport))
                        return now if value(now, "thindesk_frames_captured_total") > \
                            value(mid, "thindesk_frames_captured_total") else None
                    after = tdtest.wait_for(grew, 20, what="frame counters to increase")
                finally:
                    c.close()
                for name in ("thindesk_frames_captured_total", "thindesk_frames_sent_total",
                             "thindesk_pixels_captured_total", "thindesk_grab_seconds_count"):
                    fam = name[:-len("_count")] if name.endswith("_count") else name
                    got = after[fam]["samples"][(name, "")]
                    self.assertGreater(got, before[fam]["samples"][(name, "")], name)
                self.assertGreater(value(after, "thindesk_channel_bytes_total",
                                         'channel="display"'),
                                   value(before, "thindesk_channel_bytes_total",
                                         'channel="display"'))
                self.assertEqual(value(mid, "thindesk_clients_connected"), 1)
                self.assertEqual(value(after, "thindesk_client_connections_total"), 1)
                self.assertEqual(after["thindesk_grab_seconds"]["type"], "histogram")
                self.assertGreater(value(after, "process_resident_memory_bytes"), 1 << 20)
                self.assertGreaterEqual(value(after, "process_cpu_seconds_total"),
                                        value(before, "process_cpu_seconds_total"))
                tdtest.wait_for(lambda: value(parse_exposition(scrape(mport)),
                                              "thindesk_clients_connected") == 0, 15,
                                what="the client gone from the metrics")
                # Other paths and methods.
                with self.assertRaises(urllib.error.HTTPError) as cm:
                    scrape(mport, "/")
                self.assertEqual(cm.exception.code, 404)
                with socket.create_connection(("127.0.0.1", mport), timeout=10) as s:
                    s.sendall(b"garbage\r\n\r\n")
                    self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 400"))
                self.assertIsNone(agent.proc.poll())


if __name__ == "__main__":
    tdtest.main()
