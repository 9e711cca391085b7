#!/usr/bin/python3
"""Guest tier, uinput: keys, absolute pointer moves, clicks and the wheel sent
by a real spice-gtk client (Python GI) on the host reach the agent in a QEMU
guest (Debian's kernel, --input=uinput) and come out of the guest kernel's
evdev devices with the right codes and scaled coordinates, read in the guest
by tests/guest/evdev-reader."""

import os
import re
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import guest  # noqa: E402

EV_KEY, EV_REL, EV_ABS = 1, 2, 3
ABS_X, ABS_Y = 0, 1
REL_WHEEL = 8
BTN_LEFT, BTN_RIGHT, BTN_MIDDLE = 0x110, 0x111, 0x112

# PC AT set-1 scancodes as spice-gtk takes them (0xe0-prefixed keys ORed with
# 0x100) and the Linux key codes they must become.
KEYS = [
    (0x1e, 30, "A"),
    (0x2a, 42, "Left Shift"),
    (0x1c, 28, "Enter"),
    (0x39, 57, "Space"),
    (0x01, 1, "Escape"),
    (0x3b, 59, "F1"),
    (0x58, 88, "F12"),
    (0x56, 86, "102nd (<> on ISO keyboards)"),
    (0x148, 103, "Up"),
    (0x11d, 97, "Right Ctrl"),
    (0x138, 100, "Right Alt (AltGr)"),
    (0x11c, 96, "Keypad Enter"),
    (0x135, 98, "Keypad /"),
    (0x153, 111, "Delete"),
    (0x15b, 125, "Left Meta"),
]

# SPICE mouse buttons (spice-protocol enums.h) and their state masks.
SPICE_LEFT, SPICE_MIDDLE, SPICE_RIGHT, SPICE_WHEEL_UP, SPICE_WHEEL_DOWN = 1, 2, 3, 4, 5
SPICE_MASK = {SPICE_LEFT: 1, SPICE_MIDDLE: 2, SPICE_RIGHT: 4}
SPICE_MOUSE_MODE_CLIENT = 2


def input_client(port, password):
    """spiceclient.Client that also notes which channels are open: spice-gtk
    drops input sent on an inputs channel that is not ready yet."""
    import spiceclient
    from gi.repository import SpiceClientGLib as Spice

    class InputClient(spiceclient.Client):
        def _on_event(self, channel, event):
            super()._on_event(channel, event)
            if event == Spice.ChannelEvent.OPENED:
                self.opened.append(channel)

        def inputs_ready(self):
            return self.inputs is not None and self.inputs in self.opened

    InputClient.opened = []
    return InputClient(port, password)


class Evdev:
    """Parses evdev-reader's lines on the guest console."""

    DEV = re.compile(r"EVDEV-DEV (event\d+) virtual=(\d) key=(\d) abs=(\d) rel=(\d) "
                     r"absx=(-?\d+):(-?\d+) absy=(-?\d+):(-?\d+) name=(.*)$")
    EVENT = re.compile(r"EVDEV (event\d+) (\d+) (\d+) (-?\d+)$")

    def __init__(self, g):
        self.g = g

    def devices(self):
        out = {}
        for line in self.g.lines_since(0, r"EVDEV-DEV "):
            m = self.DEV.search(line)
            if m:
                out[m.group(1)] = {
                    "virtual": m.group(2) == "1", "key": m.group(3) == "1",
                    "abs": m.group(4) == "1", "absx": (int(m.group(6)), int(m.group(7))),
                    "absy": (int(m.group(8)), int(m.group(9))), "name": m.group(10)}
        return out

    def events(self, start, nodes):
        """(type, code, value) from the given devices since console mark
        start; key repeats (value 2) are the kernel's, not ours: left out."""
        out = []
        for line in self.g.lines_since(start, r"EVDEV event"):
            m = self.EVENT.search(line)
            if m and m.group(1) in nodes:
                ev = (int(m.group(2)), int(m.group(3)), int(m.group(4)))
                if not (ev[0] == EV_KEY and ev[2] == 2):
                    out.append(ev)
        return out


class GuestUinputTest(unittest.TestCase):
    SIZE = (1280, 720)

    def setUp(self):
        if not os.path.exists(guest.AGENT):
            self.fail("agent not built: " + guest.AGENT)

    def wait_events(self, ev, g, start, nodes, want, what, timeout=20):
        """Waits until the events since start begin with want; returns them."""
        def complete():
            return len(ev.events(start, nodes)) >= len(want)
        self.client.wait(lambda: complete() or g.exit_status is not None, timeout)
        got = ev.events(start, nodes)
        self.assertEqual(got[:len(want)], want, "%s: evdev events in the guest" % what)
        return got

    def test_keys_pointer_clicks_and_wheel_reach_guest_evdev(self):
        w, h = self.SIZE
        with guest.Guest("uinput", size="%dx%d" % (w, h)) as g:
            ev = Evdev(g)
            self.client = c = input_client(g.port, g.password)
            try:
                self.assertTrue(c.wait(lambda: c.inputs_ready() and c.main is not None, 30),
                                "the inputs channel did not open: %s" % c.errors)
                self.assertTrue(
                    c.wait(lambda: c.main.get_property("mouse-mode") == SPICE_MOUSE_MODE_CLIENT,
                           30), "the agent never allowed client (absolute) mouse mode")

                def uinput_devices():
                    devs = ev.devices()
                    keyboards = [n for n, d in devs.items() if d["virtual"] and d["key"]]
                    pointers = [n for n, d in devs.items() if d["virtual"] and d["abs"]]
                    return (keyboards, pointers) if keyboards and pointers else None
                found = c.wait(uinput_devices, 30)
                self.assertTrue(found, "no uinput keyboard and absolute pointer in the guest: %s"
                                % ev.devices())
                keyboards, pointers = found
                devs = ev.devices()
                print("guest: uinput devices: %s" % ", ".join(
                    "%s '%s'" % (n, devs[n]["name"]) for n in sorted(set(keyboards + pointers))),
                    flush=True)
                t = time.monotonic()

                # Keys: each press and release, in order, with the right code.
                start = g.mark()
                want = []
                for scancode, code, _ in KEYS:
                    c.inputs.key_press(scancode)
                    c.inputs.key_release(scancode)
                    want += [(EV_KEY, code, 1), (EV_KEY, code, 0)]
                got = self.wait_events(ev, g, start, keyboards, want, "keys")
                self.assertEqual(got, want, "unexpected extra key events")

                # Absolute moves: the position scales to the device's ABS range.
                pointer = pointers[0]
                xmin, xmax = devs[pointer]["absx"]
                ymin, ymax = devs[pointer]["absy"]
                self.assertGreater(xmax, xmin)
                self.assertGreater(ymax, ymin)
                for x, y in [(w // 2, h // 2), (w - 1, h - 1), (1, 2), (w // 3, 2 * h // 3),
                             (0, 0)]:
                    start = g.mark()
                    c.inputs.position(x, y, 0, 0)

                    def moved():
                        evs = ev.events(start, pointers)
                        have = {e[1]: e[2] for e in evs if e[0] == EV_ABS}
                        return have if ABS_X in have and ABS_Y in have else None
                    have = c.wait(lambda: moved() or g.exit_status is not None, 20)
                    self.assertTrue(have and have is not True,
                                    "no ABS_X/ABS_Y in the guest for a move to %d,%d" % (x, y))
                    for axis, pos, size, lo, hi in ((ABS_X, x, w, xmin, xmax),
                                                    (ABS_Y, y, h, ymin, ymax)):
                        # Back to screen pixels: within one pixel of where the client put it.
                        pixel = (have[axis] - lo) * (size - 1) / (hi - lo)
                        self.assertLessEqual(abs(pixel - pos), 1.0,
                                             "move to %d,%d: axis %d got %d (%.1f px, %dx%d "
                                             "screen, range %d..%d)" % (x, y, axis, have[axis],
                                                                        pixel, w, h, lo, hi))

                # Clicks of each button, at a position, press then release.
                c.inputs.position(w // 4, h // 4, 0, 0)
                start = g.mark()
                want = []
                for button, code in ((SPICE_LEFT, BTN_LEFT), (SPICE_RIGHT, BTN_RIGHT),
                                     (SPICE_MIDDLE, BTN_MIDDLE)):
                    c.inputs.button_press(button, SPICE_MASK[button])
                    c.inputs.button_release(button, 0)
                    want += [(EV_KEY, code, 1), (EV_KEY, code, 0)]

                def clicks():  # mouse buttons only (BTN_LEFT..BTN_TASK)
                    return [e for e in ev.events(start, pointers)
                            if e[0] == EV_KEY and 0x110 <= e[1] <= 0x117]
                c.wait(lambda: len(clicks()) >= len(want) or g.exit_status is not None, 20)
                self.assertEqual(clicks(), want, "button events in the guest")

                # Wheel: SPICE's up/down buttons become REL_WHEEL +1/-1 on a
                # uinput device (high-resolution companions left aside).
                virtual = [n for n, d in ev.devices().items() if d["virtual"]]
                start = g.mark()
                for button in (SPICE_WHEEL_UP, SPICE_WHEEL_UP, SPICE_WHEEL_DOWN):
                    c.inputs.button_press(button, 0)
                    c.inputs.button_release(button, 0)
                want = [(EV_REL, REL_WHEEL, 1), (EV_REL, REL_WHEEL, 1), (EV_REL, REL_WHEEL, -1)]

                def wheel():
                    return [e for e in ev.events(start, virtual)
                            if e[0] == EV_REL and e[1] == REL_WHEEL]
                c.wait(lambda: len(wheel()) >= len(want) or g.exit_status is not None, 20)
                self.assertEqual(wheel(), want, "wheel events in the guest")
                print("guest: input exchange took %.1f s" % (time.monotonic() - t), flush=True)
            finally:
                c.close()
            g.wait_clients_gone()
            results = g.stop()
        self.assertEqual(results.get("agent-exit"), "0",
                         "the agent in the guest did not exit cleanly")


if __name__ == "__main__":
    guest.test_main()
