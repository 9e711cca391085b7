#!/usr/bin/python3
"""Trust on first use for TLS servers without a CA, against a real TLS peer.

The agent serves no TLS yet (another issue adds it), so the peer here is a
TLS server in Python that is not SPICE: it proves the pinning (the key that
lands in known_hosts, refusal when it changes, spice-gtk accepting the pinned
key) but not a whole TLS SPICE session. That live test waits for agent TLS."""

import hashlib
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
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


if __name__ == "__main__":
    tdtest.main()
