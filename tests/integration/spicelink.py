"""The SPICE link handshake on a raw socket: fast connect/authenticate/close
cycles for fault and soak tests, with control over how the connection ends
(a normal close, or a TCP reset). Written from the protocol headers
(spice/protocol.h); standard library plus python3-cryptography for the
RSA-OAEP ticket."""

import socket
import struct

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

MAGIC = b"REDQ"
MAJOR, MINOR = 2, 2
CHANNEL_MAIN = 1
PUBKEY_BYTES = 162
CAP_AUTH_SELECTION, CAP_AUTH_SPICE, CAP_MINI_HEADER = 0, 1, 3


def _recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("server closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def reset(sock):
    """Closes with SO_LINGER 0: the peer sees a TCP reset."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def login(port, password, host="127.0.0.1", timeout=30, keep=False):
    """Links a main channel and sends the password. Returns (result, sock):
    result 0 is SPICE_LINK_ERR_OK. The socket is closed unless keep."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        caps = (1 << CAP_AUTH_SELECTION) | (1 << CAP_AUTH_SPICE) | (1 << CAP_MINI_HEADER)
        # SpiceLinkMess: connection_id, channel_type, channel_id,
        # num_common_caps, num_channel_caps, caps_offset; then the caps.
        mess = struct.pack("<IBBIII", 0, CHANNEL_MAIN, 0, 1, 0, 18) + struct.pack("<I", caps)
        sock.sendall(MAGIC + struct.pack("<III", MAJOR, MINOR, len(mess)) + mess)
        magic, major, minor, size = struct.unpack("<4sIII", _recv_exact(sock, 16))
        if magic != MAGIC or major != MAJOR:
            raise ConnectionError("not a SPICE server (magic %r, version %d)" % (magic, major))
        reply = _recv_exact(sock, size)
        error = struct.unpack_from("<I", reply)[0]
        if error:
            return error, None
        pub = serialization.load_der_public_key(reply[4:4 + PUBKEY_BYTES])
        ticket = pub.encrypt((password or "").encode() + b"\0",
                             padding.OAEP(mgf=padding.MGF1(hashes.SHA1()),
                                          algorithm=hashes.SHA1(), label=None))
        # SpiceLinkAuthMechanism and the ticket in one segment (no Nagle wait)
        sock.sendall(struct.pack("<I", CAP_AUTH_SPICE) + ticket)
        result = struct.unpack("<I", _recv_exact(sock, 4))[0]
        if keep:
            return result, sock
        return result, None
    finally:
        if not keep:
            sock.close()
