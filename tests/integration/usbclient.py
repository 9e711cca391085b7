"""A real SPICE client that redirects USB: spice-gtk's UsbDeviceManager through
Python GI, sharing a file as spice-gtk's emulated USB CD (vendor 2b23,
product cdcd). Run with Debian's /usr/bin/python3."""

import os
import subprocess
import time

import gi

gi.require_version("SpiceClientGLib", "2.0")
from gi.repository import GLib, GObject, SpiceClientGLib as Spice  # noqa: E402


def make_iso(path, size=3 * 1024 * 1024, seed=1):
    """An ISO 9660 image with a random file (genisoimage), or, without
    genisoimage, a raw file of whole 2048-byte sectors. Returns its bytes."""
    tmpdir = path + ".d"
    os.makedirs(tmpdir, exist_ok=True)
    data = os.urandom(size)
    with open(os.path.join(tmpdir, "data.bin"), "wb") as f:
        f.write(data)
    try:
        subprocess.run(["genisoimage", "-quiet", "-R", "-o", path, tmpdir], check=True,
                       capture_output=True)
    except FileNotFoundError:
        with open(path, "wb") as f:
            f.write(data[: len(data) // 2048 * 2048])
    with open(path, "rb") as f:
        return f.read()


class UsbClient:
    def __init__(self, port, password):
        self.session = Spice.Session()
        self.session.set_property("host", "127.0.0.1")
        self.session.set_property("port", str(port))
        self.session.set_property("password", password)
        self.session.set_property("enable-usbredir", True)
        self.usb_channels = []
        self.devices = []
        self.errors = []
        self.results = []
        GObject.Object.connect(self.session, "channel-new", self._on_channel)
        self.session.connect()
        self.manager = None

    def _on_channel(self, session, channel):
        if isinstance(channel, Spice.UsbredirChannel):
            self.usb_channels.append(channel)
        channel.connect()

    def wait(self, predicate, timeout=30.0):
        """Runs the GLib main loop (blocking in poll, so USB traffic is served
        as soon as it arrives) until @predicate is true or @timeout passes."""
        value = predicate()
        if value:
            return value
        loop = GLib.MainLoop()
        deadline = time.monotonic() + timeout

        def check():
            if predicate() or time.monotonic() >= deadline:
                loop.quit()
                return False
            return True

        GLib.timeout_add(20, check)
        loop.run()
        return predicate()

    def share_cd(self, path, timeout=30.0):
        """Creates the emulated CD for @path and starts redirecting it."""
        if not self.wait(lambda: self.usb_channels, timeout):
            raise AssertionError("the server offered no usbredir channel")
        self.manager = Spice.UsbDeviceManager.get(self.session)
        GObject.Object.connect(self.manager, "device-added",
                               lambda m, d: self.devices.append(d))
        GObject.Object.connect(self.manager, "device-error",
                               lambda m, d, e: self.errors.append(e.message))
        if not self.manager.create_shared_cd_device(path):
            raise AssertionError("spice-gtk could not create a shared CD for " + path)
        if not self.wait(lambda: self.devices, timeout):
            raise AssertionError("spice-gtk never added the shared CD")
        device = self.devices[-1]

        def done(manager, result, data=None):
            try:
                self.results.append(manager.connect_device_finish(result))
            except GLib.Error as e:
                self.results.append(e)

        self.manager.connect_device_async(device, None, done, None)
        return device

    def disconnect(self):
        self.session.disconnect()
        self.wait(lambda: False, 0.5)
