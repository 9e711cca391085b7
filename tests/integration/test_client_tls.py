#!/usr/bin/python3
"""thindesk over TLS.

Against the real agent (its self-signed certificate, TLS port only): the
client verifies it with --ca-file/--host-subject or with the agent's own .vv
file and gets the exact frame; without a CA it pins the key on first use in
$XDG_CONFIG_HOME/thindesk/known_hosts, connects again, and refuses with a
clear message and exit code 12 once the agent's certificate is regenerated.

Against a TLS server in Python that is not SPICE: the pinning details (file
mode, the key that lands in known_hosts, a damaged known_hosts file)."""

import base64
import hashlib
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402
import thindeskclient as tc  # noqa: E402


def make_cert(tmp, name):
    key, cert = os.path.join(tmp, name + ".key"), os.path.join(tmp, name + ".pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1"], check=True,
                   capture_output=True)
    spki = subprocess.run("openssl x509 -in %s -pubkey -noout | openssl pkey -pubin -outform DER"
                          % cert, shell=True, check=True, capture_output=True).stdout
    return key, cert, "sha256:" + hashlib.sha256(spki).hexdigest()


class TlsServer:
    """Accepts TLS connections with the current certificate, then hangs up."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.ctx = None
        threading.Thread(target=self.serve, daemon=True).start()

    def use(self, key, cert):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.ctx = ctx

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                with self.ctx.wrap_socket(conn, server_side=True) as s:
                    s.settimeout(2)
                    s.recv(64)
                    s.sendall(b"not SPICE" * 4)
            except (OSError, ssl.SSLError):
                pass
            finally:
                conn.close()

    def close(self):
        self.sock.close()


class TlsPinTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("openssl")
        self.tmp = tempfile.mkdtemp(prefix="thindesk-tls-")
        self.kh = os.path.join(self.tmp, "cfg", "known_hosts")
        self.server = TlsServer()

    def tearDown(self):
        self.server.close()

    def connect(self):
        return tc.run(["--headless", "--timeout=10", "--known-hosts=" + self.kh,
                       "--screenshot=" + os.path.join(self.tmp, "x.png"),
                       "spice://127.0.0.1?tls-port=%d" % self.server.port], timeout=60)

    def test_pin_on_first_use_then_refuse_change(self):
        key1, cert1, fp1 = make_cert(self.tmp, "one")
        key2, cert2, fp2 = make_cert(self.tmp, "two")
        self.server.use(key1, cert1)

        p = self.connect()
        self.assertIn("first connection, pinned the server key " + fp1, p.stderr)
        self.assertIn("127.0.0.1 %d %s" % (self.server.port, fp1), tc.read(self.kh))
        self.assertEqual(os.stat(self.kh).st_mode & 0o777, 0o600)
        # spice-gtk accepted the pinned key: the session failed only because the
        # peer is not SPICE (15), not in TLS verification (12).
        self.assertEqual(p.returncode, 15, p.stderr)

        p = self.connect()
        self.assertEqual(p.returncode, 15, p.stderr)
        self.assertNotIn("pinned the server key", p.stderr)

        self.server.use(key2, cert2)
        p = self.connect()
        self.assertEqual(p.returncode, 12, p.stderr)
        lines = tc.messages(p.stderr)
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn("the server key changed (pinned %s, now %s)" % (fp1, fp2), lines[0])
        self.assertIn(self.kh, lines[0])
        self.assertIn(fp1, tc.read(self.kh), "a refused key must not replace the pin")

    def test_damaged_known_hosts_is_refused(self):
        key1, cert1, _ = make_cert(self.tmp, "one")
        self.server.use(key1, cert1)
        os.makedirs(os.path.dirname(self.kh))
        with open(self.kh, "w") as f:
            f.write("127.0.0.1 %d sha256:nothex\n" % self.server.port)
        p = self.connect()
        self.assertEqual(p.returncode, 12, p.stderr)
        self.assertIn("malformed line", p.stderr)


def spki(cert):
    return subprocess.run("openssl x509 -in %s -pubkey -noout | openssl pkey -pubin -outform DER"
                          % cert, shell=True, check=True, capture_output=True).stdout


def spki_fingerprint(cert):
    return "sha256:" + hashlib.sha256(spki(cert)).hexdigest()


FAILED_ATTEMPT = "failed connection attempt from"
DELAYED = "delaying a connection from"


def banner_value(agent, label):
    m = tdtest.wait_for(lambda: re.search(label + r": (.+)", agent.stdout()), 10,
                        what=label + " in the banner")
    return m.group(1).strip()


class AgentTlsBase(unittest.TestCase):
    """The client against thindesk-agent's TLS port (no plain port open)."""

    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "openssl", "import", "compare", "xterm", "xsetroot")
        if not os.path.exists(tc.CLIENT):
            self.fail("client not built: " + tc.CLIENT)
        self.tmp = tempfile.mkdtemp(prefix="thindesk-tls-agent-")
        self.x = tdtest.Xvfb(1024, 768)
        self.x.check(["xsetroot", "-solid", "#2a6f4e"])
        self.x.run(["xterm", "-geometry", "60x12+40+50", "-bg", "white", "-fg", "black", "-e",
                    "sh", "-c", "echo thindesk over TLS; seq 1 8; sleep 600"])
        tdtest.wait_for(lambda: subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--class", "xterm"], env=self.x.env,
            capture_output=True).returncode == 0, 15, what="the xterm on the agent's display")
        time.sleep(1)  # let the xterm draw its text

    def tearDown(self):
        self.x.stop()

    def shot(self, args, env=None, name="got.png"):
        """Runs a headless screenshot; returns (process, path)."""
        got = os.path.join(self.tmp, name)
        if os.path.exists(got):
            os.unlink(got)
        p = tc.run(["--headless", "--timeout=30", "--screenshot=" + got, *args], timeout=90,
                   env=env)
        return p, got

    def assert_exact(self, got):
        src = os.path.join(self.tmp, "src.png")
        tdtest.grab_root(self.x.display, src)
        self.assertEqual(tdtest.image_size(got), (1024, 768))
        self.assertEqual(tdtest.compare_ae(got, src), 0, "the screenshot differs from the display")

    def one_line(self, p):
        lines = tc.messages(p.stderr)
        self.assertEqual(len(lines), 1, "one clear message expected: %r" % p.stderr)
        return lines[0]


class AgentTlsTest(AgentTlsBase):

    def test_ca_file_host_subject_and_vv_file(self):
        with tdtest.Agent(self.x.display, args=["--listen=off"]) as agent:
            self.assertFalse(tdtest.port_open(agent.port), "a plain port is open")
            subject = banner_value(agent, "host-subject")
            pw = tc.password_file(self.tmp, agent.password)
            url = "spice://127.0.0.1?tls-port=%d" % agent.tls_port
            p, got = self.shot(["--password-file=" + pw, "--ca-file=" + agent.ca_file,
                                "--host-subject=" + subject, url])
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(tc.messages(p.stderr), [], "verified TLS needs no pin or message")
            self.assert_exact(got)
            tdtest.wait_for(lambda: "connected over TLS" in agent.stderr(), 10,
                            what="the agent to log a client over TLS")

            # The agent's own .vv file: ca=, host-subject=, tls-port=, password=.
            vv = re.search(r"remote-viewer (\S+\.vv)", agent.stdout()).group(1)
            with open(vv) as f:
                text = f.read()
            self.assertIn("tls-port=%d\n" % agent.tls_port, text)
            self.assertIn("host-subject=%s\n" % subject, text)
            copy = os.path.join(self.tmp, "agent.vv")
            with open(copy, "w") as f:
                f.write(text)
            cfg = os.path.join(self.tmp, "vv-config")
            p, got = self.shot([copy], env={"XDG_CONFIG_HOME": cfg}, name="vv.png")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertFalse(os.path.exists(os.path.join(cfg, "thindesk", "known_hosts")),
                             "a CA-verified server must not be pinned")
            self.assert_exact(got)

            # Verification is real: a wrong subject is refused with exit 12.
            p, got = self.shot(["--password-file=" + pw, "--ca-file=" + agent.ca_file,
                                "--host-subject=O=thindesk,CN=impostor", url], name="bad.png")
            self.assertEqual(p.returncode, 12, p.stderr)
            line = self.one_line(p)
            self.assertIn("certificate did not verify: subject 'O=thindesk,CN=impostor' "
                          "verification failed", line)
            self.assertFalse(os.path.exists(got))
            # And so is a CA that did not sign the agent's certificate.
            _, other, _ = make_cert(self.tmp, "other")
            p, got = self.shot(["--password-file=" + pw, "--ca-file=" + other,
                                "--host-subject=" + subject, url], name="bad.png")
            self.assertEqual(p.returncode, 12, p.stderr)
            line = self.one_line(p)
            self.assertIn("certificate did not verify: Error in server certificate verification",
                          line)

    def test_trust_on_first_use_then_regenerated_certificate_is_refused(self):
        tls_port = tdtest.free_port()
        args = ["--listen=off", "--tls-listen=127.0.0.1:%d" % tls_port]
        cfg = os.path.join(self.tmp, "client-config")
        env = {"XDG_CONFIG_HOME": cfg}
        kh = os.path.join(cfg, "thindesk", "known_hosts")
        url = "spice://127.0.0.1?tls-port=%d" % tls_port
        first_identity = {"XDG_CONFIG_HOME": os.path.join(self.tmp, "agent-one")}
        with tdtest.Agent(self.x.display, args=args, env=first_identity) as agent:
            pw = tc.password_file(self.tmp, agent.password)
            fp = spki_fingerprint(os.path.join(agent.tls_dir, "server-cert.pem"))
            p, got = self.shot(["--password-file=" + pw, url], env=env)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(tc.messages(p.stderr), [
                "thindesk: 127.0.0.1:%d: first connection, pinned the server key %s in %s"
                % (tls_port, fp, kh)])
            self.assertEqual(tc.read(kh).splitlines()[-1], "127.0.0.1 %d %s %s" % (
                tls_port, fp, base64.b64encode(
                    spki(os.path.join(agent.tls_dir, "server-cert.pem"))).decode()))
            self.assertEqual(os.stat(kh).st_mode & 0o777, 0o600)
            self.assert_exact(got)
            # Second connection: the pin matches, nothing is said, same frame.
            for i in range(2):
                p, got = self.shot(["--password-file=" + pw, url], env=env, name="again.png")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(tc.messages(p.stderr), [])
                self.assert_exact(got)
            self.assertIn("connected over TLS", agent.stderr())
        pinned = tc.read(kh)

        # The agent is reinstalled: a fresh config dir, a new self-signed
        # certificate, the same address and TLS port.
        second_identity = {"XDG_CONFIG_HOME": os.path.join(self.tmp, "agent-two")}
        with tdtest.Agent(self.x.display, args=args, env=second_identity) as agent:
            new_fp = spki_fingerprint(os.path.join(agent.tls_dir, "server-cert.pem"))
            self.assertNotEqual(new_fp, fp)
            pw = tc.password_file(self.tmp, agent.password)
            p, got = self.shot(["--password-file=" + pw, url], env=env, name="changed.png")
            self.assertEqual(p.returncode, 12, p.stderr)
            line = self.one_line(p)
            self.assertIn("127.0.0.1:%d: the server key changed (pinned %s, now %s)"
                          % (tls_port, fp, new_fp), line)
            self.assertIn("delete line 2 of " + kh, line)
            self.assertFalse(os.path.exists(got))
            self.assertEqual(tc.read(kh), pinned, "a refused key must not replace the pin")
            # The password never reached the impostor: no session was opened.
            self.assertNotIn("connected over TLS", agent.stderr())
            self.assertNotIn("client-connected", agent.stderr())


class AgentPinnedKeyTest(AgentTlsBase):
    """A pinned key costs the agent nothing: no failed attempt, no backoff."""

    def setUp(self):
        super().setUp()
        self.tls_port = tdtest.free_port()
        self.args = ["--listen=off", "--tls-listen=127.0.0.1:%d" % self.tls_port]
        self.cfg = os.path.join(self.tmp, "client-config")
        self.kh = os.path.join(self.cfg, "thindesk", "known_hosts")
        self.url = "spice://127.0.0.1?tls-port=%d" % self.tls_port

    def connect_quietly(self, agent, pw, times):
        """@times sessions with the pin: each exact, silent and undelayed."""
        before = agent.stderr().count(" disconnected (session ")
        for i in range(times):
            start = time.monotonic()
            p, got = self.shot(["--password-file=" + pw, self.url],
                               env={"XDG_CONFIG_HOME": self.cfg}, name="pinned%d.png" % i)
            took = time.monotonic() - start
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(tc.messages(p.stderr), [])
            self.assert_exact(got)
            # A held-back connection waits at least 1 s; the log says so.
            self.assertNotIn(DELAYED, agent.stderr())
            # The agent has seen the whole session end before the next.
            tdtest.wait_for(lambda: agent.stderr().count(" disconnected (session ") == before + i + 1,
                            10, what="the agent to log the end of session %d" % (i + 1))
            print("pinned session %d: %.2f s" % (i + 1, took))

    def test_pinned_key_is_not_a_failed_attempt(self):
        with tdtest.Agent(self.x.display, args=self.args) as agent:
            pw = tc.password_file(self.tmp, agent.password)
            cert = os.path.join(agent.tls_dir, "server-cert.pem")
            fp = spki_fingerprint(cert)
            p, got = self.shot(["--password-file=" + pw, self.url],
                               env={"XDG_CONFIG_HOME": self.cfg})
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("pinned the server key " + fp, p.stderr)
            # The whole key is pinned with its fingerprint.
            self.assertEqual(tc.read(self.kh).splitlines()[-1], "127.0.0.1 %d %s %s" % (
                self.tls_port, fp, base64.b64encode(spki(cert)).decode()))
            # First use: the client's one look at the key is a TLS connection
            # without a SPICE link, which the agent counts once.
            tdtest.wait_for(lambda: FAILED_ATTEMPT in agent.stderr(), 10,
                            what="the agent to count the first-use key check")
            first_use = agent.stderr().count(FAILED_ATTEMPT)
            self.assertEqual(first_use, 1, agent.stderr())

            # With the pin: five sessions, and then one more, none delayed:
            # the old extra handshake would have been held back by the fifth.
            self.connect_quietly(agent, pw, 6)
            self.assertEqual(agent.stderr().count(FAILED_ATTEMPT), first_use, agent.stderr())
            self.assertEqual(agent.stderr().count("connected over TLS"), 7, agent.stderr())

    def test_prepinned_key_reaches_the_agent_only_as_sessions(self):
        with tdtest.Agent(self.x.display, args=self.args) as agent:
            pw = tc.password_file(self.tmp, agent.password)
            cert = os.path.join(agent.tls_dir, "server-cert.pem")
            os.makedirs(os.path.dirname(self.kh))
            with open(self.kh, "w") as f:
                f.write("127.0.0.1 %d %s %s\n" % (self.tls_port, spki_fingerprint(cert),
                                                  base64.b64encode(spki(cert)).decode()))
            self.connect_quietly(agent, pw, 5)
            self.assertNotIn(FAILED_ATTEMPT, agent.stderr())

    def test_old_fingerprint_line_takes_the_whole_key_once(self):
        with tdtest.Agent(self.x.display, args=self.args) as agent:
            pw = tc.password_file(self.tmp, agent.password)
            cert = os.path.join(agent.tls_dir, "server-cert.pem")
            fp = spki_fingerprint(cert)
            os.makedirs(os.path.dirname(self.kh))
            with open(self.kh, "w") as f:
                f.write("# written by an older thindesk\nother.example 5901 %s\n"
                        "127.0.0.1 %d %s\n" % ("sha256:" + "0" * 64, self.tls_port, fp))
            p, got = self.shot(["--password-file=" + pw, self.url],
                               env={"XDG_CONFIG_HOME": self.cfg})
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(tc.messages(p.stderr), [], "the old pin matched: nothing to say")
            self.assert_exact(got)
            lines = tc.read(self.kh).splitlines()
            self.assertIn("other.example 5901 sha256:" + "0" * 64, lines)
            self.assertIn("127.0.0.1 %d %s %s" % (self.tls_port, fp,
                                                   base64.b64encode(spki(cert)).decode()), lines)
            self.assertEqual(os.stat(self.kh).st_mode & 0o777, 0o600)
            tdtest.wait_for(lambda: FAILED_ATTEMPT in agent.stderr(), 10,
                            what="the agent to count the one key check")
            self.assertEqual(agent.stderr().count(FAILED_ATTEMPT), 1, agent.stderr())
            self.connect_quietly(agent, pw, 4)
            self.assertEqual(agent.stderr().count(FAILED_ATTEMPT), 1, agent.stderr())

    def test_old_fingerprint_line_still_refuses_a_changed_key(self):
        with tdtest.Agent(self.x.display, args=self.args) as agent:
            pw = tc.password_file(self.tmp, agent.password)
            fp = spki_fingerprint(os.path.join(agent.tls_dir, "server-cert.pem"))
            old = "sha256:" + "ab" * 32
            os.makedirs(os.path.dirname(self.kh))
            with open(self.kh, "w") as f:
                f.write("127.0.0.1 %d %s\n" % (self.tls_port, old))
            p, got = self.shot(["--password-file=" + pw, self.url],
                               env={"XDG_CONFIG_HOME": self.cfg})
            self.assertEqual(p.returncode, 12, p.stderr)
            line = self.one_line(p)
            self.assertIn("the server key changed (pinned %s, now %s)" % (old, fp), line)
            self.assertIn("delete line 1 of " + self.kh, line)
            self.assertEqual(tc.read(self.kh), "127.0.0.1 %d %s\n" % (self.tls_port, old))
            self.assertNotIn("connected over TLS", agent.stderr())


if __name__ == "__main__":
    tdtest.main()
