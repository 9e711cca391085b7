"""A real SPICE client for tests: spice-gtk's GLib library through Python GI.

Run with Debian's /usr/bin/python3. It keeps one connection open, so tests can
watch a desktop change without reconnecting, read the frame the client holds
(through spice_display_channel_get_primary via ctypes, which GI cannot call),
and read the cursor shape the cursor channel received."""

import ctypes
import time

import gi

gi.require_version("SpiceClientGLib", "2.0")
from gi.repository import GLib, GObject, SpiceClientGLib as Spice  # noqa: E402


class _Primary(ctypes.Structure):
    _fields_ = [("format", ctypes.c_int), ("width", ctypes.c_int), ("height", ctypes.c_int),
                ("stride", ctypes.c_int), ("shmid", ctypes.c_int),
                ("data", ctypes.POINTER(ctypes.c_uint8)), ("marked", ctypes.c_int)]


_lib = ctypes.CDLL("libspice-client-glib-2.0.so.8")
_lib.spice_display_channel_get_primary.argtypes = [ctypes.c_void_p, ctypes.c_uint32,
                                                   ctypes.POINTER(_Primary)]
_lib.spice_display_channel_get_primary.restype = ctypes.c_int
ctypes.pythonapi.PyCapsule_GetPointer.restype = ctypes.c_void_p
ctypes.pythonapi.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


class _MonitorConfig(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint), ("surface_id", ctypes.c_uint), ("x", ctypes.c_uint),
                ("y", ctypes.c_uint), ("width", ctypes.c_uint), ("height", ctypes.c_uint)]


class _GArray(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("len", ctypes.c_uint)]


_gobject = ctypes.CDLL("libgobject-2.0.so.0")
_glib = ctypes.CDLL("libglib-2.0.so.0")
_gobject.g_object_get.restype = None
_glib.g_array_unref.argtypes = [ctypes.c_void_p]


def _gpointer(obj):
    return ctypes.pythonapi.PyCapsule_GetPointer(obj.__gpointer__, None)


# spice-protocol's vd_agent.h
VD_AGENT_CAP_CLIPBOARD_BY_DEMAND = 5
VD_AGENT_CAP_CLIPBOARD_SELECTION = 6
VD_AGENT_CAP_FILE_XFER_DISABLED = 13
VD_AGENT_CAP_FILE_XFER_DETAILED_ERRORS = 14


class Client:
    def __init__(self, port, password=None, host="127.0.0.1", tls_port=None, ca_file=None,
                 host_subject=None, secure_channels=None):
        """port None: TLS only (tls_port). ca_file and host_subject pin the
        server's certificate the way remote-viewer's ca= and host-subject= do
        (spice-gtk then accepts a certificate whose subject or host name
        matches)."""
        self.session = Spice.Session()
        self.session.set_property("host", host)
        if port is not None:
            self.session.set_property("port", str(port))
        if tls_port is not None:
            self.session.set_property("tls-port", str(tls_port))
        if ca_file is not None:
            self.session.set_property("ca-file", ca_file)
        if host_subject is not None:
            self.session.set_property("cert-subject", host_subject)
        if secure_channels is not None:
            self.session.set_property("secure-channels", secure_channels)
        if password is not None:
            self.session.set_property("password", password)
        # No USB manager here: without one spice-gtk's usbredir channels only
        # log criticals (USB tests use usbclient.UsbClient).
        self.session.set_property("enable-usbredir", False)
        self.display = None
        self.cursor = None
        self.inputs = None
        self.main = None
        self.cursor_shapes = []
        self.errors = []
        self.marked = False
        self.channels = []
        self.opened = []
        GObject.Object.connect(self.session, "channel-new", self._on_channel)
        self.session.connect()

    def _on_channel(self, session, channel):
        self.channels.append(channel)
        GObject.Object.connect(channel, "channel-event", self._on_event)
        if isinstance(channel, Spice.DisplayChannel):
            # Display 0 is the desktop. With --video=stream a second display
            # channel exists only for spice-server's mouse mode and never
            # gets a surface (agent/spice-client-mouse.h).
            if channel.get_property("channel-id") == 0:
                self.display = channel
            GObject.Object.connect(channel, "display-mark", self._on_mark)
        elif isinstance(channel, Spice.CursorChannel):
            self.cursor = channel
            GObject.Object.connect(channel, "cursor-set", self._on_cursor)
        elif isinstance(channel, Spice.InputsChannel):
            self.inputs = channel
        elif isinstance(channel, Spice.MainChannel):
            self.main = channel
        channel.connect()

    def _on_event(self, channel, event):
        if event == Spice.ChannelEvent.OPENED:
            self.opened.append(channel)
        if event in (Spice.ChannelEvent.ERROR_AUTH, Spice.ChannelEvent.ERROR_CONNECT,
                     Spice.ChannelEvent.ERROR_IO, Spice.ChannelEvent.ERROR_LINK,
                     Spice.ChannelEvent.ERROR_TLS):
            self.errors.append(event)

    def _on_mark(self, channel, mark):
        self.marked = mark != 0

    def _on_cursor(self, channel, width, height, hot_x, hot_y, rgba):
        self.cursor_shapes.append((width, height, hot_x, hot_y))

    def iterate(self, seconds):
        ctx = GLib.MainContext.default()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            while ctx.pending():
                ctx.iteration(False)
            time.sleep(0.002)

    def wait(self, predicate, timeout=15.0):
        ctx = GLib.MainContext.default()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while ctx.pending():
                ctx.iteration(False)
            value = predicate()
            if value:
                return value
            time.sleep(0.005)
        return predicate()

    def wait_agent_caps(self, caps, timeout=30.0):
        """Waits until the agent channel is up and the agent announced every
        capability in @caps (spice-protocol's VD_AGENT_CAP_* numbers): they
        follow the channel, and spice-gtk refuses clipboard grabs, for one,
        until they are there."""
        return self.wait(lambda: self.main is not None
                         and self.main.get_property("agent-connected")
                         and all(self.main.agent_test_capability(c) for c in caps), timeout)

    def primary(self):
        """Returns (width, height, stride, bytes) of the client's frame, or None."""
        if not self.display:
            return None
        p = _Primary()
        if not _lib.spice_display_channel_get_primary(_gpointer(self.display), 0,
                                                      ctypes.byref(p)):
            return None
        if not p.data or p.width <= 0:
            return None
        return (p.width, p.height, p.stride, ctypes.string_at(p.data, p.stride * p.height))

    def has_surface(self, channel):
        """Whether a display channel has a primary surface."""
        p = _Primary()
        return bool(_lib.spice_display_channel_get_primary(_gpointer(channel), 0,
                                                           ctypes.byref(p)) and p.data)

    def monitors(self, channel=None):
        """A display channel's monitors (display 0 unless given) as
        [(id, x, y, w, h)] (the "monitors" property, which GI cannot read)."""
        channel = channel or self.display
        if not channel:
            return []
        arr = ctypes.c_void_p()
        _gobject.g_object_get(ctypes.c_void_p(_gpointer(channel)), b"monitors",
                              ctypes.byref(arr), None)
        if not arr.value:
            return []
        ga = _GArray.from_address(arr.value)
        mons = (_MonitorConfig * ga.len).from_address(ga.data) if ga.len else []
        result = [(m.id, m.x, m.y, m.width, m.height) for m in mons]
        _glib.g_array_unref(arr)
        return result

    def save_ppm(self, path):
        """Writes the client's frame (BGRX) as a binary PPM; returns (w, h)."""
        prim = self.primary()
        if not prim:
            raise AssertionError("the client has no frame")
        w, h, stride, data = prim
        rgb = bytearray(w * h * 3)
        for y in range(h):
            row = data[y * stride:y * stride + w * 4]
            o = y * w * 3
            rgb[o:o + w * 3:3] = row[2::4]
            rgb[o + 1:o + w * 3:3] = row[1::4]
            rgb[o + 2:o + w * 3:3] = row[0::4]
        with open(path, "wb") as f:
            f.write(b"P6\n%d %d\n255\n" % (w, h))
            f.write(rgb)
        return (w, h)

    def display_bytes(self):
        total = 0
        for ch in self.channels:
            if isinstance(ch, Spice.DisplayChannel):
                total += ch.get_property("total-read-bytes")
        return total

    def close(self):
        # spice-server 0.15.1 frees a display channel client that disconnects
        # while the server waits for its init message, then reads it (see
        # README, "Known problems"): like a real client, leave only once the
        # display channel is up (it has its surface), unless it never comes.
        if self.display is not None:
            self.wait(lambda: self.primary() is not None, 10)
        self.session.disconnect()
        self.iterate(0.2)
