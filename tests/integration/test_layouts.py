#!/usr/bin/python3
"""Typing through remote-viewer into an xterm on the agent's desktop gives
exactly the text the same physical keys give in a local xterm under the same
layout: us, de and fr, with AltGr characters (@ € { [ ]) and dead keys.

The desktop is Xorg with the dummy driver (Xvfb ignores setxkbmap), set to
`setxkbmap -rules evdev -layout L`. Keys are pressed as physical keys (XTEST
keycodes, no keysym lookup): on the desktop itself for the local reference,
and on remote-viewer's X server for the remote text."""

import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402
import inputlib  # noqa: E402

SHIFT, ALTGR, RETURN = 50, 108, 36

# Physical keys (evdev X keycodes), with the modifier held: None, SHIFT, ALTGR.
SEQUENCE = (
    # letter rows (y/z and a/q/w differ between the layouts)
    [(None, k) for k in (24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 38, 39, 40, 52, 53, 54, 58)]
    # digits and punctuation, plain and shifted
    + [(None, k) for k in (10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 59, 60, 61, 47, 48, 51,
                           94, 35)]
    + [(SHIFT, k) for k in (24, 10, 11, 12, 16, 19, 59, 60, 61, 51, 94)]
    # AltGr: de @ € { [ ] }, fr € { [ ] @ }
    + [(ALTGR, k) for k in (24, 26, 16, 17, 18, 19, 13, 14, 20, 21, 58, 94)]
    # dead keys: de acute/grave/circumflex, fr circumflex/diaeresis
    + [(None, 21), (None, 26), (SHIFT, 21), (None, 26), (None, 49), (None, 38),
       (None, 34), (None, 26), (SHIFT, 34), (None, 26)]
)

# Characters each layout must show (so equal-but-wrong cannot pass).
MUST_CONTAIN = {
    "us": ["qwertyuiop", "asd", "zxc", "@", "!", "[", "]", "{"],
    "de": ["qwertzuiop", "asd", "yxc", "@", "€", "{", "[", "]", "}", "é", "è", "â", "ß"],
    "fr": ["azertyuiop", "qsd", "wxc", "@", "€", "{", "[", "]", "ê", "ë"],
}


def keys_args(seq):
    args = []
    for mod, key in seq:
        if mod:
            args += ["press", mod, "tap", key, "release", mod]
        else:
            args += ["tap", key]
    return args


class Terminal:
    """An xterm on @x whose typed lines land in a file."""

    def __init__(self, x, tmp, name):
        self.path = os.path.join(tmp, name + ".txt")
        self.title = "thindesk-" + name
        env = dict(x.env, LANG="C.UTF-8", LC_ALL="C.UTF-8")
        self.proc = subprocess.Popen(
            ["xterm", "-u8", "-title", self.title, "-geometry", "100x10+10+10", "-e", "sh", "-c",
             "stty -echo; exec cat > '%s'" % self.path],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        x.children.append(self.proc)
        # No window manager: give it the focus directly, once it is mapped.
        tdtest.wait_for(lambda: self._focus(x), 20, interval=0.1, what="xterm focused")

    def _focus(self, x):
        p = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", self.title],
                           env=x.env, capture_output=True, text=True)
        ids = p.stdout.split()
        if not ids:
            return False
        return subprocess.run(["xdotool", "windowfocus", "--sync", ids[0]], env=x.env,
                              capture_output=True, timeout=20).returncode == 0

    def lines(self):
        try:
            with open(self.path, encoding="utf-8", errors="replace") as f:
                data = f.read()
        except FileNotFoundError:
            return []
        return data.split("\n")[:-1]  # complete lines only

    def close(self):
        tdtest.stop_process(self.proc)


class LayoutTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "remote-viewer", "xterm", "xdotool", "setxkbmap")
        if not os.path.exists(inputlib.TOOL):
            self.skipTest("x-input-tool not built")
        self.tmp = tempfile.mkdtemp(prefix="thindesk-layout-")

    def type_remote_line(self, view_x, term, seq):
        """Types @seq + Return on remote-viewer's X server; returns the line
        that reached the desktop's terminal. A probe line first proves the
        path is up (remote-viewer connected and focused)."""
        def probe():
            inputlib.keys(view_x, *keys_args([(None, 53), (None, RETURN)]))
            try:
                tdtest.wait_for(lambda: len(term.lines()) >= 1, 4, what="probe")
                return True
            except AssertionError:
                return False
        tdtest.wait_for(probe, 60, interval=0.1, what="a key typed in remote-viewer to arrive")
        before = len(term.lines())
        inputlib.keys(view_x, *keys_args(seq + [(None, RETURN)]))
        tdtest.wait_for(lambda: len(term.lines()) > before, 30,
                        what="the typed line in the remote terminal")
        return term.lines()[-1]

    def test_us_de_fr_through_remote_viewer(self):
        with tdtest.Xorg(1280, 800) as desk, tdtest.Xvfb(1400, 1000) as view_x, \
                tdtest.Agent(desk.display, args=["--input=xtest"]) as agent:
            vv = os.path.join(self.tmp, "c.vv")
            with open(vv, "w") as f:
                f.write("[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=%d\npassword=%s\n"
                        % (agent.port, agent.password))
            viewer = view_x.run(["remote-viewer", vv])
            p = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--class",
                                "remote-viewer"], env=view_x.env, capture_output=True,
                               text=True, timeout=60)
            self.assertIsNone(viewer.poll(), "remote-viewer exited")
            rv_window = p.stdout.split()[0]
            subprocess.run(["xdotool", "windowfocus", "--sync", rv_window], env=view_x.env,
                           check=True, timeout=20)
            for layout in ("us", "de", "fr"):
                with self.subTest(layout=layout):
                    desk.check(["setxkbmap", "-rules", "evdev", "-model", "pc105",
                                "-layout", layout])
                    # Local reference: the physical keys pressed on the desktop itself.
                    local = Terminal(desk, self.tmp, "local-" + layout)
                    inputlib.keys(desk, *keys_args(SEQUENCE + [(None, RETURN)]))
                    tdtest.wait_for(lambda: local.lines(), 20, what="the local line")
                    want = local.lines()[-1]
                    local.close()
                    for s in MUST_CONTAIN[layout]:
                        self.assertIn(s, want, "local %s text %r lacks %r" % (layout, want, s))
                    # The same keys through remote-viewer -> SPICE -> agent.
                    remote = Terminal(desk, self.tmp, "remote-" + layout)
                    got = self.type_remote_line(view_x, remote, SEQUENCE)
                    remote.close()
                    self.assertEqual(got, want, "layout %s: remote text differs from local"
                                     % layout)
                    sys.stderr.write("layout %s: %s\n" % (layout, got))


if __name__ == "__main__":
    tdtest.main()
