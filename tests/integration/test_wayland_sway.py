"""thindesk-agent on a real wlroots desktop: headless sway (pixman renderer),
reached by a real SPICE client (spice-gtk through GI), with grim (an
independent screencopy client) as the reference for every frame.

sway refuses to run as root, so as root the test runs sway, grim, swaymsg and
the agent as an unprivileged system user (thindesk-test, created when
missing) with its own XDG_RUNTIME_DIR. CTest label: wayland."""

import os
import re
import subprocess
import tempfile
import time
import unittest

import tdtest
from swaylib import HEIGHT, WIDTH, SwayCase, WlrAgent, client_rgb, read_ppm_rgb


class WaylandSwayTest(SwayCase):
    def client_equals(self, client, ref_path):
        want = read_ppm_rgb(ref_path)
        got = client_rgb(client)
        return got is not None and got == want

    def test_serves_sway_exactly(self):
        self.agent = WlrAgent(self.sway)
        out = self.agent.stdout()
        self.assertRegex(out, r"(?m)^thindesk-agent: capture: wlr \(WAYLAND_DISPLAY=%s and "
                         r"the compositor offers wlr-screencopy\)$" % re.escape(self.sway.display))
        self.assertIn("serving Wayland display %s (%dx%d)" % (self.sway.display, WIDTH, HEIGHT),
                      out)
        # Input through sway's virtual keyboard and pointer, said once.
        err = self.agent.stderr()
        self.assertEqual(err.count("input: using wlr (the compositor on WAYLAND_DISPLAY=%s "
                                   "offers a virtual keyboard and pointer)" % self.sway.display),
                         1, err)
        import spiceclient
        ref1 = self.sway.reference(self.sway.bg[0])
        client = spiceclient.Client(self.agent.port, self.agent.password)
        try:
            self.assertTrue(client.wait(lambda: self.client_equals(client, ref1), 15),
                            "the client's first frame differs from grim's")
            got = os.path.join(self.sway.tmp, "client1.ppm")
            self.assertEqual(client.save_ppm(got), (WIDTH, HEIGHT))
            self.assertEqual(tdtest.compare_ae(got, ref1), 0)

            # A still screen: nothing captured, nothing sent.
            client.iterate(1.0)
            before = self.agent.frames()
            client.iterate(4.0)
            self.assertEqual(self.agent.frames(), before,
                             "frames were captured or sent while the screen stood still")

            # The screen changes: the connected client is exact again within 2 s.
            changed = time.monotonic()
            self.sway.swaymsg("output", "HEADLESS-1", "bg", self.sway.bg[1], "fill")
            ref2 = self.sway.reference(self.sway.bg[1])
            self.assertNotEqual(tdtest.compare_ae(ref1, ref2), 0)
            exact = client.wait(lambda: self.client_equals(client, ref2),
                                max(0.0, changed + 2.0 - time.monotonic()))
            took = time.monotonic() - changed
            self.assertTrue(exact, "the client did not show the new screen within 2 s")
            got = os.path.join(self.sway.tmp, "client2.ppm")
            client.save_ppm(got)
            self.assertEqual(tdtest.compare_ae(got, ref2), 0)
            print("new screen exact at the client after %.2f s" % took)
            after_change = self.agent.frames()
            self.assertGreater(after_change[1], before[1])
            client.iterate(3.0)
            self.assertEqual(self.agent.frames(), after_change,
                             "frames went on after the screen stood still again")

            # The output changes size: the client follows, exact again.
            self.sway.swaymsg("output", "HEADLESS-1", "mode", "1600x900")
            ref4 = self.sway.reference(self.sway.bg[1])
            self.assertEqual(tdtest.image_size(ref4), (1600, 900))
            self.assertTrue(client.wait(lambda: self.client_equals(client, ref4), 10),
                            "the client did not follow the resize exactly")
            got = os.path.join(self.sway.tmp, "client4.ppm")
            self.assertEqual(client.save_ppm(got), (1600, 900))
            self.assertEqual(tdtest.compare_ae(got, ref4), 0)
        finally:
            client.close()

        # Changed while nobody watched (capture stopped): a new client still
        # gets today's screen, not the one from before.
        time.sleep(0.5)
        self.sway.swaymsg("output", "HEADLESS-1", "bg", self.sway.bg[0], "fill")
        ref3 = self.sway.reference(self.sway.bg[0])
        shot = os.path.join(self.sway.tmp, "shot.ppm")
        rc, text = tdtest.spicy_screenshot(self.agent.port, self.agent.password, shot)
        self.assertEqual(rc, 0, text)
        self.assertEqual(tdtest.compare_ae(shot, ref3), 0)
        self.assertEqual(self.agent.stop(), 0, self.agent.stderr())

    def connect_with_agent_channel(self):
        import spiceclient
        client = spiceclient.Client(self.agent.port, self.agent.password)
        self.addCleanup(client.close)
        self.assertTrue(client.wait(lambda: client.main is not None and
                                    client.main.get_property("agent-connected"), 30),
                        "the client never saw the agent channel")
        self.assertTrue(client.wait(lambda: client.primary() is not None, 30),
                        "no frame at the client")
        return client

    def ask_size(self, client, width, height):
        m = client.main
        for i in range(4):
            m.update_display_enabled(i, i == 0, False)
        m.update_display(0, 0, 0, width, height, False)
        self.assertTrue(m.send_monitor_config())

    def test_client_resizes_the_output(self):
        self.agent = WlrAgent(self.sway)
        client = self.connect_with_agent_channel()
        self.assertEqual(client.primary()[:2], (WIDTH, HEIGHT))
        # The last one is below the smallest size the agent asks of sway.
        for n, (ask, want) in enumerate([((1024, 640), (1024, 640)),
                                         ((1600, 1000), (1600, 1000)),
                                         ((100, 80), (320, 200))]):
            self.ask_size(client, *ask)
            tdtest.wait_for(lambda: self.sway.output_sizes() == {"HEADLESS-1": want}, 15,
                            what="sway's output to become %dx%d" % want)
            self.assertTrue(client.wait(lambda: client.primary() is not None and
                                        client.primary()[:2] == want, 15),
                            "the client's display is %s, not %s" % (client.primary(), want))
            ref = self.sway.reference(self.sway.bg[0])
            self.assertEqual(tdtest.image_size(ref), want)
            self.assertTrue(client.wait(lambda: self.client_equals(client, ref), 10),
                            "the client's frame differs from grim's at %dx%d" % want)
            got = os.path.join(self.sway.tmp, "resized%d.ppm" % n)
            self.assertEqual(client.save_ppm(got), want)
            self.assertEqual(tdtest.compare_ae(got, ref), 0)
        err = self.agent.stderr()
        self.assertIn("client size 100x80 clamped to 320x200", err)
        self.assertNotIn("not sway", err)
        client.close()
        self.assertEqual(self.agent.stop(), 0, self.agent.stderr())

    def test_no_resize_without_sway_ipc(self):
        # A compositor without sway's IPC (SWAYSOCK pointing nowhere stands
        # in for another wlroots compositor): said once, the size kept.
        missing = os.path.join(self.sway.tmp, "no-such.sock")
        self.agent = WlrAgent(self.sway, env={"SWAYSOCK": missing})
        client = self.connect_with_agent_channel()
        for size in [(1024, 640), (800, 600)]:
            self.ask_size(client, *size)
            client.iterate(1.5)
        err = self.agent.stderr()
        self.assertEqual(err.count("the compositor is not sway (SWAYSOCK=%s is not a socket)"
                                   % missing), 1, err)
        self.assertEqual(err.count("not resizing the desktop for the client"), 1, err)
        self.assertEqual(self.sway.output_sizes(), {"HEADLESS-1": (WIDTH, HEIGHT)})
        self.assertEqual(client.primary()[:2], (WIDTH, HEIGHT))
        client.close()
        self.assertEqual(self.agent.stop(), 0, self.agent.stderr())

    def test_cursor_is_in_the_frames(self):
        """sway 1.7 tells no client the cursor's shape: the compositor draws it
        into the frames, and the cursor channel gets an invisible one so that
        the client draws no second pointer."""
        import spiceclient
        self.agent = WlrAgent(self.sway)
        client = spiceclient.Client(self.agent.port, self.agent.password)
        try:
            self.assertTrue(client.wait(lambda: client.inputs is not None and
                                        client.inputs in client.opened, 20))
            client.inputs.position(600, 300, 0, 0)
            client.iterate(0.5)
            # (Headless wlroots 0.15 draws the cursor in software, into the
            # output's own buffer: grim shows it with or without -c.)
            with_cursor = read_ppm_rgb(self.sway.grim("cursor.ppm"))
            self.assertTrue(client.wait(lambda: client_rgb(client) == with_cursor, 5),
                            "the client's frame does not show sway's cursor where grim does")
            # It follows the pointer.
            client.inputs.position(200, 500, 0, 0)
            client.iterate(0.5)
            moved = read_ppm_rgb(self.sway.grim("moved.ppm"))
            self.assertTrue(moved != with_cursor, "the cursor did not move")
            self.assertTrue(client.wait(lambda: client_rgb(client) == moved, 5),
                            "the client's frame did not follow the cursor")
            self.assertTrue(client.cursor_shapes, "nothing on the cursor channel")
            self.assertEqual(client.cursor_shapes[-1][:2], (1, 1))
        finally:
            client.close()
        self.assertEqual(self.agent.stop(), 0, self.agent.stderr())

    def test_sway_killed_ends_the_agent(self):
        self.agent = WlrAgent(self.sway)
        self.sway.kill()
        try:
            code = self.agent.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.fail("the agent outlived sway:\n" + self.agent.stderr())
        self.assertEqual(code, 1, self.agent.stderr())
        self.assertRegex(self.agent.stderr(),
                         r"Wayland compositor %s: connection to the compositor was lost"
                         % re.escape(self.sway.display))


class WaylandErrorsTest(unittest.TestCase):
    def test_wlr_without_wayland_display(self):
        env = dict(os.environ)
        env.pop("WAYLAND_DISPLAY", None)
        env.pop("DISPLAY", None)
        with tempfile.TemporaryDirectory() as tmp:
            env["XDG_RUNTIME_DIR"] = tmp
            env["XDG_CONFIG_HOME"] = tmp
            p = subprocess.run([tdtest.AGENT, "--capture=wlr", "--listen=127.0.0.1:%d"
                                % tdtest.free_port(), "--tls-listen=off", "--disable-ticketing",
                                "--audio=off"], env=env, capture_output=True, text=True,
                               timeout=30)
        self.assertEqual(p.returncode, 1, p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertRegex(lines[0], r"^thindesk-agent: --capture=wlr needs a Wayland session, "
                         r"but WAYLAND_DISPLAY is not set")
        self.assertNotIn("serving", p.stdout)


if __name__ == "__main__":
    tdtest.main()
