"""Keyboard and pointer on a real wlroots desktop: a spice-gtk client (GI)
types and clicks through thindesk-agent into headless sway, and wev (a
Wayland client that logs what it receives) reports keysyms, pointer
positions, buttons and wheel clicks. Layouts us, de and fr, switched in sway
with swaymsg while the agent runs, AltGr included. CTest label: wayland."""

import os
import re
import subprocess
import tempfile
import threading
import time
import unittest

import tdtest
from swaylib import SwayCase, WlrAgent

# spice-gtk's enums (SpiceMouseButton, SpiceMouseButtonMask, SpiceInputsLock).
BUTTON_LEFT, BUTTON_MIDDLE, BUTTON_RIGHT, BUTTON_UP, BUTTON_DOWN = 1, 2, 3, 4, 5
MASK = {BUTTON_LEFT: 1, BUTTON_MIDDLE: 2, BUTTON_RIGHT: 4}
LOCK_CAPS = 4

# SPICE scancodes (PC set 1, 0x100 = E0 prefix).
SHIFT, ALTGR, CAPS = 0x2a, 0x138, 0x3a
# XKB keycodes (evdev + 8) of the modifiers above, as wev prints them.
MODIFIER_KEYCODES = {42 + 8, 100 + 8, 58 + 8}

# Physical keys (a scancode, or (modifier, scancode)) and the keysyms a
# local keyboard gives them under each layout.
LAYOUTS = [
    ("us", [0x10, 0x15, 0x2c, 0x1e, (SHIFT, 0x02), 0x03, 0x35],
     ["q", "y", "z", "a", "exclam", "2", "slash"]),
    ("de", [0x15, 0x2c, 0x27, 0x0c, (SHIFT, 0x03), (ALTGR, 0x10), (ALTGR, 0x12), (ALTGR, 0x08)],
     ["z", "y", "odiaeresis", "ssharp", "quotedbl", "at", "EuroSign", "braceleft"]),
    ("fr", [0x10, 0x1e, 0x11, 0x27, 0x02, (SHIFT, 0x02), 0x03, (ALTGR, 0x0b), (ALTGR, 0x12)],
     ["a", "q", "z", "m", "ampersand", "1", "eacute", "at", "EuroSign"]),
]

KEY_RE = re.compile(r"\[\d+:\s*wl_keyboard\] key: serial: (\d+); time: \d+; key: (\d+); "
                    r"state: (\d)")
SYM_RE = re.compile(r"^\s+sym: (\S+)")
MOTION_RE = re.compile(r"\[\d+:\s*wl_pointer\] motion: time: \d+; x, y: ([-\d.]+), ([-\d.]+)")
BUTTON_RE = re.compile(r"\[\d+:\s*wl_pointer\] button: serial: \d+; time: \d+; "
                       r"button: (\d+) \(\w+\), state: (\d)")
# wev 1.0 labels axis_discrete as "axis_stop".
DISCRETE_RE = re.compile(r"\[\d+:\s*wl_pointer\] axis_(?:stop|discrete): axis: (\d) "
                         r"\(\w+\), discrete: (-?\d+)")


class Wev:
    """wev in the sway session, its output parsed into events:
    ("key", keycode, pressed, sym), ("motion", x, y), ("button", code,
    pressed), ("wheel", axis, clicks), ("enter",)."""

    def __init__(self, sway):
        self.proc = subprocess.Popen(sway.prefix() + ["stdbuf", "-oL", "wev"], env=sway.env(),
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, cwd=sway.tmp)
        self.lock = threading.Lock()
        self.events = []
        self.lines = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        seen = set()
        pending = None  # a key event waiting for its sym line
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append(line)
                if pending and SYM_RE.match(line):
                    self.events.append(pending + (SYM_RE.match(line).group(1),))
                    pending = None
                    continue
                m = KEY_RE.search(line)
                if m:
                    # wev binds the seat's keyboard once per capability
                    # event: each key comes once per wl_keyboard, same serial.
                    if m.group(1) not in seen:
                        seen.add(m.group(1))
                        pending = ("key", int(m.group(2)), m.group(3) == "1")
                    continue
                if "wl_keyboard] enter:" in line:
                    self.events.append(("enter",))
                m = MOTION_RE.search(line)
                if m:
                    self.events.append(("motion", float(m.group(1)), float(m.group(2))))
                m = BUTTON_RE.search(line)
                if m:
                    self.events.append(("button", int(m.group(1)), m.group(2) == "1"))
                m = DISCRETE_RE.search(line)
                if m:
                    self.events.append(("wheel", int(m.group(1)), int(m.group(2))))

    def count(self):
        with self.lock:
            return len(self.events)

    def since(self, mark, kind=None):
        with self.lock:
            return [e for e in self.events[mark:] if kind is None or e[0] == kind]

    def output(self):
        with self.lock:
            return "".join(self.lines[-60:])

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.thread.join(5)
        self.proc.stdout.close()


def syms_pressed(events):
    return [e[3] for e in events if e[2] and e[1] not in MODIFIER_KEYCODES]


class WaylandInputTest(SwayCase):
    TOOLS = ("wev", "stdbuf")

    def connect(self):
        import spiceclient
        c = spiceclient.Client(self.agent.port, self.agent.password)
        self.addCleanup(c.close)
        self.assertTrue(c.wait(lambda: c.inputs is not None and c.inputs in c.opened, 20),
                        "the inputs channel did not open")
        c.iterate(0.5)
        return c

    def start(self):
        self.wev = Wev(self.sway)
        self.addCleanup(self.wev.close)
        self.agent = WlrAgent(self.sway)
        err = self.agent.stderr()
        self.assertEqual(err.count("input: using wlr (the compositor on WAYLAND_DISPLAY=%s "
                                   "offers a virtual keyboard and pointer)" % self.sway.display),
                         1, err)
        # The virtual keyboard gives the seat a keyboard: wev gets focus.
        tdtest.wait_for(lambda: self.wev.since(0, "enter"), 15, what="wev's keyboard focus")

    def type(self, client, keys):
        for k in keys:
            mod, sc = k if isinstance(k, tuple) else (None, k)
            if mod:
                client.inputs.key_press(mod)
            client.inputs.key_press(sc)
            client.iterate(0.03)
            client.inputs.key_release(sc)
            if mod:
                client.inputs.key_release(mod)
            client.iterate(0.03)

    def wait_events(self, client, mark, pred, timeout=10):
        return client.wait(lambda: pred(self.wev.since(mark)), timeout)

    def test_layouts_pointer_wheel_locks(self):
        self.start()
        c = self.connect()
        switches = 0
        for layout, keys, want in LAYOUTS:
            if layout != "us":
                self.sway.swaymsg("input", "type:keyboard", "xkb_layout", layout)
                switches += 1
                # The agent takes the new keymap from the seat and uploads it.
                self.assertTrue(c.wait(lambda: self.agent.stderr().count(
                    "the session's keymap changed") >= switches, 10),
                    "the agent did not follow the switch to %s:\n%s"
                    % (layout, self.agent.stderr()))
                c.iterate(0.2)
            mark = self.wev.count()
            started = time.monotonic()
            self.type(c, keys)
            self.wait_events(c, mark, lambda ev: len(syms_pressed(
                [e for e in ev if e[0] == "key"])) >= len(want))
            got = syms_pressed(self.wev.since(mark, "key"))
            self.assertEqual(got, want, "layout %s:\n%s" % (layout, self.wev.output()))
            # Every key that went down came up.
            keys_ev = self.wev.since(mark, "key")
            self.assertEqual(sum(1 for e in keys_ev if e[2]), sum(1 for e in keys_ev if not e[2]))
            print("%s: %d keys right in %.2f s" % (layout, len(want), time.monotonic() - started))

        # The layout changes while a key is held: the held Shift carries
        # over into the new keymap, and is released normally.
        c.inputs.key_press(SHIFT)
        c.iterate(0.1)
        self.sway.swaymsg("input", "type:keyboard", "xkb_layout", "de")
        switches += 1
        self.assertTrue(c.wait(lambda: self.agent.stderr().count(
            "the session's keymap changed") >= switches, 10), self.agent.stderr())
        c.iterate(0.2)
        mark = self.wev.count()
        self.type(c, [0x15])
        c.inputs.key_release(SHIFT)
        self.wait_events(c, mark, lambda ev: len([e for e in ev if e[0] == "key"]) >= 3)
        self.assertEqual(syms_pressed(self.wev.since(mark, "key")), ["Z"], self.wev.output())
        self.assertIn(("key", 42 + 8, False), [e[:3] for e in self.wev.since(mark, "key")])

        # Absolute pointer: wev's window fills the output, so its surface
        # coordinates are the client's.
        for x, y in ((100, 200), (1000, 650), (0, 0), (1279, 719)):
            mark = self.wev.count()
            c.inputs.position(x, y, 0, 0)
            self.assertTrue(self.wait_events(c, mark, lambda ev: ("motion", x, y) in ev),
                            "no motion to %d,%d:\n%s" % (x, y, self.wev.output()))
        c.inputs.position(321, 123, 0, 0)
        c.iterate(0.2)
        mark = self.wev.count()
        for b, code in ((BUTTON_LEFT, 272), (BUTTON_RIGHT, 273), (BUTTON_MIDDLE, 274)):
            c.inputs.button_press(b, MASK[b])
            c.iterate(0.05)
            c.inputs.button_release(b, 0)
            c.iterate(0.05)
        want = [("button", 272, True), ("button", 272, False), ("button", 273, True),
                ("button", 273, False), ("button", 274, True), ("button", 274, False)]
        self.assertTrue(self.wait_events(c, mark, lambda ev: [
            e for e in ev if e[0] == "button"] == want), self.wev.output())
        # Nothing moved the pointer off 321,123 on the way.
        self.assertFalse([e for e in self.wev.since(mark, "motion") if e[1:] != (321, 123)])

        mark = self.wev.count()
        for b in (BUTTON_DOWN, BUTTON_DOWN, BUTTON_UP):
            c.inputs.button_press(b, 0)
            c.inputs.button_release(b, 0)
            c.iterate(0.05)
        want = [("wheel", 0, 1), ("wheel", 0, 1), ("wheel", 0, -1)]
        self.assertTrue(self.wait_events(c, mark, lambda ev: [
            e for e in ev if e[0] == "wheel"] == want), self.wev.output())
        self.assertFalse(self.wev.since(mark, "button"), "the wheel pressed buttons")

        # Lock keys: the client sets Caps Lock (as on focus when its LED
        # differs); the desktop follows, and reports it back.
        mods = lambda: c.inputs.get_property("key-modifiers")  # noqa: E731
        self.assertEqual(mods() & LOCK_CAPS, 0)
        c.inputs.set_key_locks(LOCK_CAPS)
        self.assertTrue(c.wait(lambda: mods() & LOCK_CAPS, 10), "the client's Caps Lock is off")
        mark = self.wev.count()
        self.type(c, [0x1e])  # de: a, locked: A
        self.wait_events(c, mark, lambda ev: syms_pressed([e for e in ev if e[0] == "key"]))
        self.assertEqual(syms_pressed(self.wev.since(mark, "key")), ["A"], self.wev.output())
        c.inputs.key_press(CAPS)
        c.inputs.key_release(CAPS)
        self.assertTrue(c.wait(lambda: not mods() & LOCK_CAPS, 10),
                        "the client's Caps Lock stayed on after Caps Lock was pressed")
        mark = self.wev.count()
        self.type(c, [0x1e])
        self.wait_events(c, mark, lambda ev: syms_pressed([e for e in ev if e[0] == "key"]))
        self.assertEqual(syms_pressed(self.wev.since(mark, "key")), ["a"], self.wev.output())
        c.close()  # before the agent: it would wait for a display
        self.assertEqual(self.agent.stop(), 0, self.agent.stderr())

    def test_held_keys_released_when_the_client_leaves(self):
        self.start()
        c = self.connect()
        c.inputs.position(400, 300, 0, 0)
        mark = self.wev.count()
        c.inputs.key_press(SHIFT)
        c.inputs.key_press(0x1e)
        c.inputs.button_press(BUTTON_LEFT, MASK[BUTTON_LEFT])
        self.assertTrue(self.wait_events(c, mark, lambda ev: ("button", 272, True) in ev and
                                         len([e for e in ev if e[0] == "key"]) >= 2),
                        self.wev.output())
        left = time.monotonic()
        c.close()
        tdtest.wait_for(lambda: ("button", 272, False) in self.wev.since(mark) and
                        len([e for e in self.wev.since(mark, "key") if not e[2]]) >= 2, 10,
                        what="the held keys and button to be released:\n" + self.wev.output())
        released = {e[1] for e in self.wev.since(mark, "key") if not e[2]}
        self.assertEqual(released, {42 + 8, 30 + 8})
        print("released %.2f s after the client left" % (time.monotonic() - left))
        self.assertEqual(self.agent.stop(), 0, self.agent.stderr())


class WaylandInputErrorsTest(unittest.TestCase):
    def test_wlr_input_without_wayland(self):
        env = dict(os.environ)
        env.pop("WAYLAND_DISPLAY", None)
        env.pop("DISPLAY", None)
        with tempfile.TemporaryDirectory() as tmp:
            env["XDG_RUNTIME_DIR"] = tmp
            env["XDG_CONFIG_HOME"] = tmp
            pw = os.path.join(tmp, "pw")
            with open(pw, "w") as f:
                f.write("pw\n")
            p = subprocess.run([tdtest.AGENT, "--capture=fake", "--input=wlr",
                                "--listen=127.0.0.1:%d" % tdtest.free_port(), "--tls-listen=off",
                                "--password-file=" + pw, "--audio=off"],
                               env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1, p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertRegex(lines[0], r"^thindesk-agent: --input=wlr needs a Wayland session, "
                         r"but WAYLAND_DISPLAY is not set")
        self.assertNotIn("serving", p.stdout)


if __name__ == "__main__":
    tdtest.main()
