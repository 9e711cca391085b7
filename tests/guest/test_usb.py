#!/usr/bin/python3
"""Guest tier, usb: a real spice-gtk client on the host shares an ISO file as
its emulated USB CD; the agent in a QEMU guest (Debian's kernel) bridges it
through usbredir and USB/IP into the guest kernel's vhci_hcd, with
thindesk-usb-helper doing the privileged attach. The CD must appear as
/dev/sr0 and read back byte-identical to the ISO."""

import hashlib
import os
import shutil
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import guest  # noqa: E402


class GuestUsbTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="thindesk-guest-usb-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_shared_cd_is_a_block_device_in_the_guest(self):
        import usbclient
        iso = os.path.join(self.tmp, "cd.iso")
        usbclient.make_iso(iso, size=2 * 1024 * 1024)
        with open(iso, "rb") as f:
            want = hashlib.sha256(f.read()).hexdigest()
        with guest.Guest("usb", timeout=240) as g:
            c = usbclient.UsbClient(g.port, g.password)
            t0 = time.monotonic()
            c.share_cd(iso, timeout=60)
            got = c.wait(lambda: g.results.get("cd-sha256") or c.errors, 150)
            print("guest: CD read in the guest after %.1f s" % (time.monotonic() - t0),
                  flush=True)
            self.assertFalse(c.errors, "spice-gtk reported: %s" % c.errors)
            self.assertTrue(got, "no /dev/sr0 in the guest")
            c.disconnect()
            g.wait_clients_gone()
            results = g.stop()
        self.assertEqual(results.get("cd-device"), "/dev/sr0")
        self.assertEqual(results.get("cd-sha256"), want,
                         "the guest read different bytes from the CD than the ISO holds")
        self.assertEqual(results.get("agent-exit"), "0")


if __name__ == "__main__":
    guest.test_main()
