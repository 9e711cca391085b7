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


# Main channel message types (spice/enums.h) and the agent protocol
# (spice/vd_agent.h) for AgentLink.
MSG_MAIN_INIT = 103
MSGC_MAIN_AGENT_START = 106
MSGC_MAIN_AGENT_DATA = 107
VD_AGENT_PROTOCOL = 1


class AgentLink:
    """A linked main channel (mini headers) that talks to the guest agent
    the way a client does: SPICE_MSGC_MAIN_AGENT_START, then agent messages
    as SPICE_MSGC_MAIN_AGENT_DATA. For sending what spice-gtk offers no API
    for, malformed messages included."""

    def __init__(self, port, password, host="127.0.0.1"):
        result, self.sock = login(port, password, host, keep=True)
        if result != 0:
            raise ConnectionError("link refused: error %d" % result)
        while self._recv()[0] != MSG_MAIN_INIT:
            pass
        self._send(MSGC_MAIN_AGENT_START, struct.pack("<I", 10))

    def _recv(self):
        mtype, size = struct.unpack("<HI", _recv_exact(self.sock, 6))
        return mtype, _recv_exact(self.sock, size)

    def _send(self, mtype, payload):
        self.sock.sendall(struct.pack("<HI", mtype, len(payload)) + payload)

    def send_agent(self, vd_type, data):
        """One VDAgentMessage of @vd_type (at most 2048 bytes of @data)."""
        msg = struct.pack("<IIQI", VD_AGENT_PROTOCOL, vd_type, 0, len(data)) + data
        self._send(MSGC_MAIN_AGENT_DATA, msg)

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None
