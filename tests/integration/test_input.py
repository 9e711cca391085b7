#!/usr/bin/python3
"""Keyboard and pointer input from a real SPICE client (spice-gtk through
Python GI) reach a real X server: every key of a 105-key keyboard arrives as
the right X keycode, the pointer lands where sent, buttons and wheel click,
Caps Lock's LED stays in sync both ways, nothing stays held after a
disconnect, and --view-only ignores it all."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402
import inputlib  # noqa: E402

# The 105-key PC keyboard: (name, scancode as spice-gtk takes it (0x1xx =
# 0xe0-prefixed), X keycode under the evdev keycodes every desktop uses).
PC105 = [
    ("Escape", 0x01, 9), ("F1", 0x3b, 67), ("F2", 0x3c, 68), ("F3", 0x3d, 69),
    ("F4", 0x3e, 70), ("F5", 0x3f, 71), ("F6", 0x40, 72), ("F7", 0x41, 73), ("F8", 0x42, 74),
    ("F9", 0x43, 75), ("F10", 0x44, 76), ("F11", 0x57, 95), ("F12", 0x58, 96),
    ("Print", 0x54, 107), ("Scroll_Lock", 0x46, 78),
    ("grave", 0x29, 49), ("1", 0x02, 10), ("2", 0x03, 11), ("3", 0x04, 12), ("4", 0x05, 13),
    ("5", 0x06, 14), ("6", 0x07, 15), ("7", 0x08, 16), ("8", 0x09, 17), ("9", 0x0a, 18),
    ("0", 0x0b, 19), ("minus", 0x0c, 20), ("equal", 0x0d, 21), ("BackSpace", 0x0e, 22),
    ("Insert", 0x152, 118), ("Home", 0x147, 110), ("Prior", 0x149, 112),
    ("Num_Lock", 0x45, 77), ("KP_Divide", 0x135, 106), ("KP_Multiply", 0x37, 63),
    ("KP_Subtract", 0x4a, 82),
    ("Tab", 0x0f, 23), ("q", 0x10, 24), ("w", 0x11, 25), ("e", 0x12, 26), ("r", 0x13, 27),
    ("t", 0x14, 28), ("y", 0x15, 29), ("u", 0x16, 30), ("i", 0x17, 31), ("o", 0x18, 32),
    ("p", 0x19, 33), ("bracketleft", 0x1a, 34), ("bracketright", 0x1b, 35),
    ("Return", 0x1c, 36), ("Delete", 0x153, 119), ("End", 0x14f, 115), ("Next", 0x151, 117),
    ("KP_7", 0x47, 79), ("KP_8", 0x48, 80), ("KP_9", 0x49, 81), ("KP_Add", 0x4e, 86),
    ("Caps_Lock", 0x3a, 66), ("a", 0x1e, 38), ("s", 0x1f, 39), ("d", 0x20, 40),
    ("f", 0x21, 41), ("g", 0x22, 42), ("h", 0x23, 43), ("j", 0x24, 44), ("k", 0x25, 45),
    ("l", 0x26, 46), ("semicolon", 0x27, 47), ("apostrophe", 0x28, 48),
    ("numbersign", 0x2b, 51), ("KP_4", 0x4b, 83), ("KP_5", 0x4c, 84), ("KP_6", 0x4d, 85),
    ("Shift_L", 0x2a, 50), ("less", 0x56, 94), ("z", 0x2c, 52), ("x", 0x2d, 53),
    ("c", 0x2e, 54), ("v", 0x2f, 55), ("b", 0x30, 56), ("n", 0x31, 57), ("m", 0x32, 58),
    ("comma", 0x33, 59), ("period", 0x34, 60), ("slash", 0x35, 61), ("Shift_R", 0x36, 62),
    ("Up", 0x148, 111), ("KP_1", 0x4f, 87), ("KP_2", 0x50, 88), ("KP_3", 0x51, 89),
    ("KP_Enter", 0x11c, 104),
    ("Control_L", 0x1d, 37), ("Super_L", 0x15b, 133), ("Alt_L", 0x38, 64),
    ("space", 0x39, 65), ("ISO_Level3_Shift", 0x138, 108), ("Super_R", 0x15c, 134),
    ("Menu", 0x15d, 135), ("Control_R", 0x11d, 105), ("Left", 0x14b, 113),
    ("Down", 0x150, 116), ("Right", 0x14d, 114), ("KP_0", 0x52, 90), ("KP_Decimal", 0x53, 91),
]
PAUSE_KEYCODE = 127

# spice-gtk's enums (SpiceMouseButton, SpiceMouseButtonMask, SpiceInputsLock).
BUTTON_LEFT, BUTTON_MIDDLE, BUTTON_RIGHT, BUTTON_UP, BUTTON_DOWN = 1, 2, 3, 4, 5
MASK = {BUTTON_LEFT: 1, BUTTON_MIDDLE: 2, BUTTON_RIGHT: 4}
LOCK_CAPS = 4
CORE_LED_CAPS = 1
MOUSE_MODE_SERVER, MOUSE_MODE_CLIENT = 1, 2


class InputTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "xdotool")
        if not os.path.exists(inputlib.TOOL):
            self.skipTest("x-input-tool not built")
        import spiceclient
        self.spiceclient = spiceclient

    def connect(self, agent):
        c = self.spiceclient.Client(agent.port, agent.password)
        ok = c.wait(lambda: c.inputs is not None and c.inputs in c.opened and c.main is not None
                    and c.main.get_property("mouse-mode") == MOUSE_MODE_CLIENT, 30)
        if not ok:
            c.close()
            raise AssertionError("the inputs channel did not open in client mouse mode")
        return c

    def send_keys(self, c, scancodes_and_states):
        for scancode, down in scancodes_and_states:
            if down:
                c.inputs.key_press(scancode)
            else:
                c.inputs.key_release(scancode)
            c.iterate(0.002)
        c.iterate(0.2)

    def test_every_key_of_a_105_key_keyboard(self):
        self.assertEqual(len(PC105) + 1, 105)  # + Pause
        with tdtest.Xvfb(1024, 768) as x, \
                tdtest.Agent(x.display, args=["--input=xtest"]) as agent:
            rec = inputlib.Recorder(x)
            c = self.connect(agent)
            try:
                expected = []
                for name, scancode, keycode in PC105:
                    self.send_keys(c, [(scancode, True), (scancode, False)])
                    expected += [("key-press", str(keycode)), ("key-release", str(keycode))]
                # Pause: spice-gtk sends 0xe1 0x1d 0x45 / 0xe1 0x9d 0xc5 this way.
                self.send_keys(c, [(0x21d, True), (0x45, True), (0x21d, False), (0x45, False)])
                expected += [("key-press", str(PAUSE_KEYCODE)),
                             ("key-release", str(PAUSE_KEYCODE))]
                # Print Screen as a hardware keyboard sends it (0xe0 0x37).
                self.send_keys(c, [(0x137, True), (0x137, False)])
                expected += [("key-press", "107"), ("key-release", "107")]
                got = rec.wait_count(len(expected), 60, client=c)
                for i, (want, have) in enumerate(zip(expected, got)):
                    self.assertEqual(have, want, "event %d: %s" % (i, (PC105 + [("Pause",)])[
                        min(i // 2, len(PC105))][0]))
                self.assertEqual(len(got), len(expected))
            finally:
                c.close()

    def test_pointer_moves_clicks_and_wheel(self):
        w, h = 1024, 768
        with tdtest.Xvfb(w, h) as x, \
                tdtest.Agent(x.display, args=["--input=xtest"]) as agent:
            rec = inputlib.Recorder(x)
            c = self.connect(agent)
            try:
                for px, py in [(123, 456), (0, 0), (w - 1, h - 1), (517, 33)]:
                    c.inputs.position(px, py, 0, 0)
                    tdtest.wait_for(lambda: c.iterate(0.05) or
                                    inputlib.mouse_location(x) == (px, py), 15,
                                    what="pointer at %d,%d" % (px, py))
                # Each button, at a different place.
                spots = {BUTTON_LEFT: (100, 200), BUTTON_MIDDLE: (300, 400),
                         BUTTON_RIGHT: (700, 500)}
                x_button = {BUTTON_LEFT: "1", BUTTON_MIDDLE: "2", BUTTON_RIGHT: "3"}
                expected = []
                for b, (px, py) in spots.items():
                    c.inputs.position(px, py, 0, 0)
                    c.iterate(0.1)
                    tdtest.wait_for(lambda: c.iterate(0.05) or
                                    inputlib.mouse_location(x) == (px, py), 15,
                                    what="pointer at %d,%d" % (px, py))
                    c.inputs.button_press(b, MASK[b])
                    c.iterate(0.05)
                    c.inputs.button_release(b, 0)
                    c.iterate(0.05)
                    expected += [("button-press", x_button[b], str(px), str(py)),
                                 ("button-release", x_button[b], str(px), str(py))]
                # Wheel: up is X button 4, down is 5.
                c.inputs.button_press(BUTTON_UP, 0)
                c.inputs.button_release(BUTTON_UP, 0)
                c.inputs.button_press(BUTTON_DOWN, 0)
                c.inputs.button_release(BUTTON_DOWN, 0)
                c.iterate(0.2)
                expected += [("button-press", "4", "700", "500"),
                             ("button-release", "4", "700", "500"),
                             ("button-press", "5", "700", "500"),
                             ("button-release", "5", "700", "500")]
                got = rec.wait_count(len(expected), 30, client=c)
                self.assertEqual(got, expected)
            finally:
                c.close()

    def test_disconnect_releases_keys_and_buttons(self):
        with tdtest.Xvfb(800, 600) as x, \
                tdtest.Agent(x.display, args=["--input=xtest"]) as agent:
            rec = inputlib.Recorder(x)
            c = self.connect(agent)
            c.inputs.position(50, 60, 0, 0)
            tdtest.wait_for(lambda: c.iterate(0.05) or inputlib.mouse_location(x) == (50, 60),
                            15, what="pointer at 50,60")
            c.inputs.key_press(0x2a)     # Shift_L
            c.inputs.key_press(0x138)    # AltGr
            c.inputs.button_press(BUTTON_LEFT, MASK[BUTTON_LEFT])
            c.iterate(0.3)
            held = rec.wait_count(3, 15, client=c)
            self.assertEqual(sorted(held), sorted([("key-press", "50"), ("key-press", "108"),
                                                   ("button-press", "1", "50", "60")]))
            rec.take()
            c.close()
            released = rec.wait_count(3, 20)
            self.assertEqual(sorted(released), sorted([
                ("key-release", "50"), ("key-release", "108"),
                ("button-release", "1", "50", "60")]))
            # And nothing is held in the X server any more.
            p = x.check(["xdotool", "getmouselocation"])
            self.assertIn(b"x:50 y:60", p.stdout)

    def test_agent_stop_releases_what_a_client_holds(self):
        """The agent stops while a connected client holds keys and a button:
        it lets go of them and exits cleanly (spice-server releases held
        keys through our keyboard while it is torn down)."""
        with tdtest.Xvfb(800, 600) as x:
            agent = tdtest.Agent(x.display, args=["--input=xtest"])
            with agent:
                rec = inputlib.Recorder(x)
                c = self.connect(agent)
                c.inputs.position(20, 30, 0, 0)
                tdtest.wait_for(lambda: c.iterate(0.05) or
                                inputlib.mouse_location(x) == (20, 30), 15,
                                what="pointer at 20,30")
                c.inputs.key_press(0x2a)
                c.inputs.key_press(0x11d)
                c.inputs.button_press(BUTTON_LEFT, MASK[BUTTON_LEFT])
                self.assertEqual(len(rec.wait_count(3, 15, client=c)), 3)
                rec.take()
                self.assertEqual(agent.stop(), 0, agent.stderr())
            released = rec.wait_count(3, 15)
            c.close()
            self.assertEqual(sorted(released), sorted([
                ("key-release", "50"), ("key-release", "105"),
                ("button-release", "1", "20", "30")]))

    def test_caps_lock_led_both_ways(self):
        with tdtest.Xvfb(800, 600) as x, \
                tdtest.Agent(x.display, args=["--input=xtest"]) as agent:
            inputlib.Recorder(x)
            c = self.connect(agent)
            try:
                mods = lambda: c.inputs.get_property("key-modifiers")  # noqa: E731
                self.assertEqual(inputlib.led_mask(x) & CORE_LED_CAPS, 0)
                self.assertEqual(mods() & LOCK_CAPS, 0)
                # 1. The client presses Caps Lock: the desktop's LED goes on,
                #    and the client is told so.
                c.inputs.key_press(0x3a)
                c.inputs.key_release(0x3a)
                tdtest.wait_for(lambda: c.iterate(0.05) or
                                inputlib.led_mask(x) & CORE_LED_CAPS, 15,
                                what="Caps Lock LED on in the X server")
                self.assertTrue(c.wait(lambda: mods() & LOCK_CAPS, 15),
                                "the client's Caps Lock state did not follow")
                # 2. Caps Lock is turned off inside the desktop (a local key
                #    press there): the client's LED follows.
                inputlib.keys(x, "tap", 66)
                self.assertEqual(inputlib.led_mask(x) & CORE_LED_CAPS, 0)
                self.assertTrue(c.wait(lambda: not mods() & LOCK_CAPS, 15),
                                "the client still shows Caps Lock on")
                # 3. The client sets its lock state (as when its own LED
                #    differs on focus): the desktop follows.
                c.inputs.set_key_locks(LOCK_CAPS)
                tdtest.wait_for(lambda: c.iterate(0.05) or
                                inputlib.led_mask(x) & CORE_LED_CAPS, 15,
                                what="Caps Lock on after set_key_locks")
                self.assertTrue(c.wait(lambda: mods() & LOCK_CAPS, 15))
            finally:
                c.close()

    def test_relative_mouse_in_server_mode(self):
        with tdtest.Xvfb(800, 600) as x, \
                tdtest.Agent(x.display, args=["--input=xtest"]) as agent:
            rec = inputlib.Recorder(x)
            c = self.connect(agent)
            try:
                c.inputs.position(400, 300, 0, 0)
                tdtest.wait_for(lambda: c.iterate(0.05) or
                                inputlib.mouse_location(x) == (400, 300), 15,
                                what="pointer at 400,300")
                c.main.request_mouse_mode(MOUSE_MODE_SERVER)
                self.assertTrue(c.wait(lambda: c.main.get_property("mouse-mode") ==
                                       MOUSE_MODE_SERVER, 15), "server mouse mode refused")
                # Small steps: below X's acceleration threshold, so they add up exactly.
                for _ in range(10):
                    c.inputs.motion(3, -2, 0)
                    c.iterate(0.02)
                tdtest.wait_for(lambda: c.iterate(0.05) or
                                inputlib.mouse_location(x) == (430, 280), 15,
                                what="pointer moved by (30, -20)")
                c.inputs.button_press(BUTTON_RIGHT, MASK[BUTTON_RIGHT])
                c.inputs.button_release(BUTTON_RIGHT, 0)
                c.inputs.button_press(BUTTON_DOWN, 0)
                c.inputs.button_release(BUTTON_DOWN, 0)
                c.iterate(0.2)
                self.assertEqual(rec.wait_count(4, 15, client=c), [
                    ("button-press", "3", "430", "280"), ("button-release", "3", "430", "280"),
                    ("button-press", "5", "430", "280"), ("button-release", "5", "430", "280")])
            finally:
                c.close()

    def test_bad_input_is_clamped_and_floods_are_survived(self):
        w, h = 800, 600
        with tdtest.Xvfb(w, h) as x, \
                tdtest.Agent(x.display, args=["--input=xtest"]) as agent:
            rec = inputlib.Recorder(x)
            c = self.connect(agent)
            try:
                for (px, py), want in [((5000, 7000), (w - 1, h - 1)), ((-50, -70), (0, 0)),
                                       ((w, 10), (w - 1, 10))]:
                    c.inputs.position(px, py, 0, 0)
                    tdtest.wait_for(lambda: c.iterate(0.05) or
                                    inputlib.mouse_location(x) == want, 15,
                                    what="pointer clamped to %s" % (want,))
                # A flood: 5,000 presses and releases of F13 as fast as the
                # client sends them; every one arrives, in order.
                n = 5000
                for i in range(n):
                    c.inputs.key_press(0x5d)
                    c.inputs.key_release(0x5d)
                    if i % 100 == 0:
                        c.iterate(0.001)
                got = rec.wait_count(2 * n, 120, client=c)
                self.assertEqual(len(got), 2 * n)
                self.assertEqual(got[:2], [("key-press", "191"), ("key-release", "191")])
                self.assertTrue(all(e == ("key-press" if i % 2 == 0 else "key-release", "191")
                                    for i, e in enumerate(got)))
                # And the agent still answers promptly.
                c.inputs.position(321, 123, 0, 0)
                tdtest.wait_for(lambda: c.iterate(0.05) or
                                inputlib.mouse_location(x) == (321, 123), 15,
                                what="pointer after the flood")
            finally:
                c.close()

    def test_auto_says_which_backend(self):
        with tdtest.Xvfb(640, 480) as x, tdtest.Agent(x.display) as agent:
            want = ("input: using uinput" if os.access("/dev/uinput", os.W_OK)
                    else "input: using xtest (/dev/uinput is not writable)")
            tdtest.wait_for(lambda: want in agent.stderr(), 10, what=want)

    def test_view_only_ignores_input(self):
        with tdtest.Xvfb(800, 600) as x, \
                tdtest.Agent(x.display, args=["--input=xtest", "--view-only"]) as agent:
            rec = inputlib.Recorder(x)
            start = inputlib.mouse_location(x)
            c = self.connect(agent)
            try:
                c.inputs.key_press(0x1e)
                c.inputs.key_release(0x1e)
                c.inputs.position(start[0] + 100, start[1] + 50, 0, 0)
                c.inputs.button_press(BUTTON_LEFT, MASK[BUTTON_LEFT])
                c.inputs.button_release(BUTTON_LEFT, 0)
                c.iterate(2.0)
                self.assertEqual(rec.take(), [])
                self.assertEqual(inputlib.mouse_location(x), start)
            finally:
                c.close()
            self.assertIn("view-only", agent.stderr())


if __name__ == "__main__":
    tdtest.main()
