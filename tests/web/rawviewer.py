"""A minimal thindesk-web viewer over a raw TLS socket, for tests that need
CAPS a browser would not send or messages a page never sends: it logs in
with the one-time link (POST /session), upgrades /ws with the cookie and the
page's own Origin, and reads and writes binary WebSocket frames. Standard
library only."""

import base64
import os
import re
import select
import socket
import ssl
import struct
import time
import urllib.parse


class RawViewer:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.origin = "https://%s:%d" % (self.host, self.port)
        token = re.match(r"t=(\w+)", u.fragment).group(1)
        status, head, _ = self.request("POST", "/session", body="t=" + token,
                                       headers={"Content-Type": "application/x-www-form-urlencoded"})
        if status != 204:
            raise AssertionError("login refused: %d" % status)
        m = re.search(r"^Set-Cookie: (__Host-thindesk=[^;]+)", head, re.M | re.I)
        self.cookie = m.group(1)
        self.sock = self.connect()
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET /ws HTTP/1.1\r\nHost: %s:%d\r\nOrigin: %s\r\nCookie: %s\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
                           % (self.host, self.port, self.origin, self.cookie, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise AssertionError("the upgrade was refused: %r" % head)
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise AssertionError("the upgrade was refused: %r" % head)
        self.buf = b""

    def connect(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx.wrap_socket(socket.create_connection((self.host, self.port), 10))

    def request(self, method, path, body="", headers=None):
        s = self.connect()
        h = {"Host": "%s:%d" % (self.host, self.port), "Origin": self.origin,
             "Content-Length": str(len(body)), "Connection": "close", **(headers or {})}
        s.sendall(("%s %s HTTP/1.1\r\n%s\r\n%s" % (method, path, "".join(
            "%s: %s\r\n" % kv for kv in h.items()), body)).encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        head, _, rest = data.partition(b"\r\n\r\n")
        return int(head.split()[1]), head.decode("latin-1"), rest

    def send(self, payload):
        """One masked binary frame."""
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            hdr = struct.pack("!BB", 0x82, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x82, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x82, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(hdr + mask + masked)

    def _fill(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0 or not (self.sock.pending() or select.select([self.sock], [], [], left)[0]):
                return False
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("the agent closed the socket")
            self.buf += chunk
        return True

    def recv(self, timeout):
        """(opcode, payload) of the next frame, or None after @timeout s."""
        deadline = time.monotonic() + timeout
        if not self._fill(2, deadline):
            return None
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7f, 2
        if n == 126:
            if not self._fill(4, deadline):
                return None
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            if not self._fill(10, deadline):
                return None
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        if not self._fill(off + n, deadline):
            return None
        payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
        return b0 & 0x0f, payload

    def messages(self, seconds):
        """Every binary message for @seconds (answers nothing but pings)."""
        out, end = [], time.monotonic() + seconds
        while time.monotonic() < end:
            f = self.recv(end - time.monotonic())
            if f is None:
                break
            op, payload = f
            if op == 2:
                out.append(payload)
            elif op == 8:
                raise EOFError("the agent closed the socket: %r" % payload[:2])
        return out

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
