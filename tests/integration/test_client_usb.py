#!/usr/bin/python3
"""thindesk's USB options against the agent's usbredir channels, without USB
hardware: `--share-cd=FILE.iso` makes spice-gtk's emulated USB CD connect on
one of the agent's channels; the agent's fake kernel side enumerates it as
mass storage (2b23:cdcd, interface 08/06/50) and reads every sector, which
must equal the ISO. Under the agent's deny-mass-storage policy the same CD
never reaches the agent and the client says why in one line. Bad filters and a missing ISO are refused
before connecting, with the exit code for bad usage or a bad .vv file."""

import glob
import os
import re
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402
import thindeskclient as tc  # noqa: E402
from usbclient import make_iso  # noqa: E402

BASE_ARGS = ["--capture=fake", "--input=fake", "--usb-attach=fake"]
FAKE_KERNEL = (r"usb channel (\d): fake kernel: (\S+) interface (\S+): SCSI '([^']*)' '([^']*)', "
               r"(\d+) blocks of (\d+) bytes; read (\d+) bytes")


class ClientUsbTest(unittest.TestCase):
    def setUp(self):
        if not os.path.exists(tc.CLIENT):
            self.fail("client not built: " + tc.CLIENT)
        self.tmp = tempfile.mkdtemp(prefix="thindesk-client-usb-")
        self.iso = os.path.join(self.tmp, "cd.iso")
        self.iso_bytes = make_iso(self.iso)
        self.dump = os.path.join(self.tmp, "dump")
        os.makedirs(self.dump)
        self.client = None

    def tearDown(self):
        tdtest.stop_process(self.client)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, agent, *args):
        pw = tc.password_file(self.tmp, agent.password)
        self.client = tc.start(["--headless", "--duration=300", "--password-file=" + pw, *args,
                                "spice://127.0.0.1:%d" % agent.port], tmp=self.tmp)
        return self.client

    def client_alive(self):
        if self.client.poll() is not None:
            raise AssertionError("client exited with %s: %s" % (self.client.returncode,
                                                                tc.read(self.client.err_path)))

    def test_share_cd_is_read_identical_through_the_agent(self):
        args = BASE_ARGS + ["--usb-fake-dump=" + self.dump, "--usb-channels=2"]
        with tdtest.Agent(args=args) as agent:
            self.start(agent, "--share-cd=" + self.iso)

            def read_all():
                self.client_alive()
                return re.search(FAKE_KERNEL, agent.stderr())
            m = tdtest.wait_for(read_all, 120, interval=0.3,
                                what="the agent's fake kernel to read the shared CD")
            channel, vidpid, iface, vendor, product, blocks, bsize, nread = m.groups()
            self.assertRegex(agent.stderr(), r"usb channel %s: device 2b23:cdcd \(class 00, first "
                                             r"interface 08/06/50, speed \d\) attached" % channel)
            self.assertEqual(vidpid, "2b23:cdcd")  # spice-gtk's emulated CD
            self.assertEqual(iface, "08/06/50")  # mass storage, SCSI, bulk-only
            self.assertIn("CD", product)
            self.assertEqual(int(bsize), 2048)
            self.assertEqual(int(blocks) * 2048, len(self.iso_bytes))
            self.assertEqual(int(nread), len(self.iso_bytes))
            dumps = glob.glob(os.path.join(self.dump, "usb*-2b23-cdcd-*.img"))
            self.assertEqual(len(dumps), 1, dumps)
            with open(dumps[0], "rb") as f:
                self.assertTrue(f.read() == self.iso_bytes, "sectors differ from the ISO")
            self.assertEqual(tc.messages(tc.read(self.client.err_path)), [])
            # The client leaving unplugs the CD.
            self.assertEqual(tdtest.stop_process(self.client), 0, tc.read(self.client.err_path))
            tdtest.wait_for(lambda: re.search(r"usb channel %s: device 2b23:cdcd detached"
                                              % channel, agent.stderr()), 30,
                            what="the agent to detach the CD")

    def test_agent_policy_refusal_is_reported(self):
        args = BASE_ARGS + ["--usb-fake-dump=" + self.dump, "--usb-policy=0x08,-1,-1,-1,0"]
        with tdtest.Agent(args=args) as agent:
            self.start(agent, "--share-cd=" + self.iso)

            def told():
                self.client_alive()
                return "cannot redirect USB device" in tc.read(self.client.err_path)
            tdtest.wait_for(told, 60, interval=0.3, what="the client to report the refusal")
            lines = tc.messages(tc.read(self.client.err_path))
            self.assertEqual(len(lines), 1, lines)
            # spice-gtk knows the agent's filter from the channel's hello and
            # refuses the CD itself; should the CD come first, the agent
            # refuses it on connect (filter_reject) and spice-gtk says so.
            self.assertRegex(lines[0], r"^thindesk: cannot redirect USB device SPICE CD "
                                       r"\(cd.iso\) \[2b23:cdcd\]: (Some USB devices are "
                                       r"blocked by host policy|.*rejected by host)")
            if "rejected by host" in lines[0]:
                self.assertRegex(agent.stderr(), r"device 2b23:cdcd \(class 00, first interface "
                                                 r"08/06/50\) refused by the USB policy")
            self.assertNotIn("attached", agent.stderr())
            self.assertNotIn("fake kernel:", agent.stderr())
            self.assertEqual(os.listdir(self.dump), [])
            # A refused device does not end the session.
            self.assertIsNone(self.client.poll())

    def test_bad_usb_options_are_refused_before_connecting(self):
        port = tdtest.free_port()  # nothing listens: the options must fail first
        url = "spice://127.0.0.1:%d" % port
        cases = [
            (["--share-cd=" + os.path.join(self.tmp, "missing.iso"), url], 2,
             "--share-cd=%s: no such file" % os.path.join(self.tmp, "missing.iso")),
            (["--usb-auto-redirect=0x08,-1,-1,-1", url], 2,
             "invalid value '0x08,-1,-1,-1' for usb-auto-redirect"),
            (["--usb-redirect=0x08,0x10000,-1,-1,1", url], 2,
             "invalid value '0x08,0x10000,-1,-1,1' for usb-redirect"),
        ]
        vv = os.path.join(self.tmp, "bad.vv")
        with open(vv, "w") as f:
            f.write("[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=%d\nusb-filter=usb,-1,-1,-1,1"
                    "\n" % port)
        cases.append(([vv], 3, "%s: invalid value 'usb,-1,-1,-1,1' for usb-filter" % vv))
        for args, code, words in cases:
            p = tc.run(["--headless", "--timeout=5", "--screenshot=" +
                        os.path.join(self.tmp, "x.png"), *args], timeout=30)
            self.assertEqual(p.returncode, code, (args, p.stderr))
            lines = tc.messages(p.stderr)
            self.assertEqual(len(lines), 1, (args, p.stderr))
            self.assertIn(words, lines[0])
            self.assertNotIn("cannot connect", p.stderr)


if __name__ == "__main__":
    tdtest.main()
