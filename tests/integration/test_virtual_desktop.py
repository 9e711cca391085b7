#!/usr/bin/python3
"""--virtual-desktop is a usable desktop: Xvfb with openbox managing an xterm.
The window manager is up (_NET_SUPPORTING_WM_CHECK), the xterm is framed, a
drag on its titlebar moves it and a drag on its corner resizes it (XTest, the
way the agent injects a client's pointer), the background's menu opens a
second terminal, and SIGTERM or Ctrl+C (SIGINT) leaves no Xvfb, openbox or
xterm behind. Without openbox: one warning line, and the desktop still runs."""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402

SIZE = (1024, 768)


def alive(pid):
    """Running (not a zombie waiting for its parent)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def children(pid):
    """Direct children of @pid, as {pid: command name}."""
    out = subprocess.run(["ps", "-o", "pid=,comm=", "--ppid", str(pid)], capture_output=True,
                         text=True).stdout
    return {int(p): c for p, c in (line.split(None, 1) for line in out.splitlines())}


class Desktop:
    """Helpers on the agent's virtual display."""

    def __init__(self, display):
        self.env = dict(os.environ, DISPLAY=display)

    def run(self, *argv):
        p = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=20)
        return p.stdout if p.returncode == 0 else None

    def xdo(self, *args):
        subprocess.run(["xdotool", *args], env=self.env, check=True, capture_output=True,
                       timeout=20)

    def wm_name(self):
        out = self.run("xprop", "-root", "_NET_SUPPORTING_WM_CHECK")
        m = re.search(r"window id # (0x[0-9a-f]+)", out or "")
        if not m:
            return None
        out = self.run("xprop", "-id", m.group(1), "_NET_WM_NAME")
        m = re.search(r'= "(.*)"', out or "")
        return m.group(1) if m else None

    def xterms(self):
        out = self.run("xdotool", "search", "--class", "xterm")
        return [int(w) for w in out.split()] if out else []

    def window(self, name):
        out = self.run("xdotool", "search", "--name", "^%s$" % name)
        return int(out.split()[0]) if out else None

    def parent(self, win):
        out = self.run("xwininfo", "-children", "-id", str(win))
        return int(re.search(r"Parent window id: (0x[0-9a-f]+)", out).group(1), 16)

    def root(self):
        out = self.run("xwininfo", "-root")
        return int(re.search(r"Window id: (0x[0-9a-f]+)", out).group(1), 16)

    def frame_extents(self, win):
        out = self.run("xprop", "-id", str(win), "_NET_FRAME_EXTENTS")
        m = re.search(r"= (\d+), (\d+), (\d+), (\d+)", out or "")
        return tuple(map(int, m.groups())) if m else None

    def geometry(self, win):
        """(x, y, w, h) of @win's frame, the outer window the WM moves."""
        out = self.run("xwininfo", "-id", str(self.parent(win)))
        vals = [int(re.search(r"%s:\s+(-?\d+)" % k, out).group(1))
                for k in ("Absolute upper-left X", "Absolute upper-left Y", "Width", "Height")]
        return tuple(vals)

    def drag(self, x0, y0, x1, y1):
        self.xdo("mousemove", str(x0), str(y0))
        time.sleep(0.2)
        self.xdo("mousedown", "1")
        # In steps, as a hand would: the WM starts a move after some motion.
        for i in range(1, 11):
            self.xdo("mousemove", str(x0 + (x1 - x0) * i // 10), str(y0 + (y1 - y0) * i // 10))
            time.sleep(0.03)
        self.xdo("mouseup", "1")


class VirtualDesktopTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "xterm", "openbox", "xdotool", "xprop", "xwininfo", "ps")

    def start(self, env=None):
        e = {"DISPLAY": ""}
        e.update(env or {})
        agent = tdtest.Agent(None, password=None,
                             args=["--virtual-desktop=%dx%d" % SIZE], env=e)
        m = re.search(r"started a virtual desktop on (:\d+)", agent.stdout() + agent.stderr())
        self.assertIsNotNone(m, agent.stdout() + agent.stderr())
        return agent, Desktop(m.group(1))

    def assert_all_gone(self, pids):
        tdtest.wait_for(lambda: not any(alive(p) for p in pids), 10,
                        what="the virtual desktop's processes to end")

    def managed_desktop(self, agent, desk):
        """Waits for openbox and a framed xterm; returns the processes the
        desktop runs and the xterm's window."""
        name = tdtest.wait_for(desk.wm_name, 15, what="a window manager on the virtual desktop")
        self.assertEqual(name, "Openbox")
        self.assertIn("right-click its background for a menu with a terminal",
                      agent.stdout() + agent.stderr())
        win = tdtest.wait_for(lambda: desk.window("thindesk demo"), 15, what="the xterm")
        root = desk.root()
        tdtest.wait_for(lambda: desk.parent(win) != root and desk.frame_extents(win), 15,
                        what="openbox to frame the xterm")
        left, right, top, bottom = desk.frame_extents(win)
        self.assertGreater(top, 5, "no titlebar on the xterm")
        procs = children(agent.proc.pid)
        self.assertEqual(sorted(procs.values()), ["Xvfb", "openbox"], procs)
        # openbox started the terminal once it was ready to manage it.
        wm = [p for p, c in procs.items() if c == "openbox"][0]
        self.assertIn(int(desk.run("xdotool", "getwindowpid", str(win))), children(wm))
        return procs, win

    def open_terminal_from_menu(self, desk):
        before = len(desk.xterms())
        # Debian's openbox menu: right click on the background, first entry
        # "Terminal emulator" (x-terminal-emulator, that is xterm). The top
        # right corner: the moved and grown xterm stays clear of it.
        desk.xdo("mousemove", str(SIZE[0] - 20), "20")
        time.sleep(0.2)
        desk.xdo("click", "3")
        time.sleep(0.5)
        desk.xdo("key", "Down", "Return")
        tdtest.wait_for(lambda: len(desk.xterms()) == before + 1, 15,
                        what="a second terminal from the desktop menu")
        return [w for w in desk.xterms()]

    def test_move_resize_new_terminal_sigterm(self):
        agent, desk = self.start()
        with agent:
            procs, win = self.managed_desktop(agent, desk)

            x, y, w, h = desk.geometry(win)
            top = desk.frame_extents(win)[2]
            desk.drag(x + w // 2, y + top // 2, x + w // 2 + 200, y + top // 2 + 150)
            tdtest.wait_for(lambda: desk.geometry(win)[:2] == (x + 200, y + 150), 5,
                            what="the titlebar drag to move the xterm (at %s)"
                            % (desk.geometry(win),))

            x, y, w, h = desk.geometry(win)
            desk.drag(x + w - 2, y + h - 2, x + w - 2 + 120, y + h - 2 + 80)
            tdtest.wait_for(lambda: desk.geometry(win)[2] > w + 60
                            and desk.geometry(win)[3] > h + 40, 5,
                            what="the corner drag to resize the xterm (at %s, was %s)"
                            % (desk.geometry(win), (x, y, w, h)))

            wins = self.open_terminal_from_menu(desk)
            self.assertEqual(len(wins), 2)
            pids = set(procs)
            for wid in wins:
                out = desk.run("xdotool", "getwindowpid", str(wid))
                self.assertTrue(out, "no _NET_WM_PID on window %d" % wid)
                pids.add(int(out))
            self.assertEqual(len(pids), 4, "Xvfb, openbox and two xterms expected: %s" % pids)
            code = agent.stop()
            self.assertEqual(code, 0, agent.stderr())
            self.assert_all_gone(pids)

    def test_ctrl_c_stops_everything(self):
        agent, desk = self.start()
        with agent:
            procs, win = self.managed_desktop(agent, desk)
            wins = self.open_terminal_from_menu(desk)
            pids = set(procs) | {int(desk.run("xdotool", "getwindowpid", str(w))) for w in wins}
            agent.proc.send_signal(signal.SIGINT)
            self.assertEqual(agent.proc.wait(15), 0, agent.stderr())
            self.assert_all_gone(pids)

    def test_without_openbox_one_warning(self):
        bindir = tempfile.mkdtemp(prefix="thindesk-nowm-")
        try:
            for tool in ("Xvfb", "xterm"):
                os.symlink(subprocess.run(["which", tool], capture_output=True, text=True,
                                          check=True).stdout.strip(),
                           os.path.join(bindir, tool))
            agent, desk = self.start({"PATH": bindir})
            with agent:
                tdtest.wait_for(lambda: desk.window("thindesk demo"), 15, what="the xterm")
                self.assertIsNone(desk.wm_name())
                warnings = [line for line in agent.stderr().splitlines() if "openbox" in line]
                self.assertEqual(warnings, [
                    "thindesk-agent: warning: openbox is not installed: windows on the virtual "
                    "desktop cannot be moved or resized (install the openbox package)"])
                self.assertNotIn("right-click", agent.stdout() + agent.stderr())
                self.assertEqual(sorted(children(agent.proc.pid).values()), ["Xvfb", "xterm"])
        finally:
            for f in os.listdir(bindir):
                os.unlink(os.path.join(bindir, f))
            os.rmdir(bindir)


if __name__ == "__main__":
    tdtest.main()
