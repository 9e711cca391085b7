#!/usr/bin/python3
"""A click through remote-viewer lands at the right guest coordinates, on the
desktop path (QXL display) and with --video=stream (the stream device; the
absolute pointer then comes through the agent channel's MOUSE_STATE).

The guest is an Xvfb with a green root and a window of x-input-tool that
records every ButtonPress with its root coordinates. remote-viewer runs on a
second Xvfb and shows the guest 1:1. The guest's place in remote-viewer's
window is found from the pixels remote-viewer shows (the green area, which
must have the guest's size: no scaling), independently of the pointer path.
xdotool then moves the pointer on the viewer's X server to known guest
points and clicks; each press must arrive at that guest point (+-1 px)."""

import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inputlib  # noqa: E402
import tdtest  # noqa: E402

GUEST_W, GUEST_H = 1024, 640
GREEN = "#2a6f4e"
# The recorder's window on the guest (white), clicks go inside it.
REC = (100, 80, 824, 480)
POINTS = [(150, 120), (517, 333), (900, 550), (101, 81)]


def green_box(display, path):
    """Bounding box (x, y, w, h) of the guest's green in a grab of @display,
    or None. A small colour tolerance: the stream path is JPEG."""
    tdtest.grab_root(display, path)
    p = subprocess.run(["convert", path, "-fuzz", "6%", "-fill", "black", "+opaque", GREEN,
                        "-format", "%@", "info:"], capture_output=True, text=True, check=True)
    text = p.stdout.strip()  # WxH+X+Y
    try:
        size, x, y = text.split("+")
        w, h = size.split("x")
        box = (int(x), int(y), int(w), int(h))
    except ValueError:
        return None
    return box if box[2] > 1 and box[3] > 1 else None


def guest_pointer(x):
    return inputlib.mouse_location(x)


class RemoteViewerClickTest(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "remote-viewer", "xdotool", "import", "convert",
                                 "xsetroot")
        self.tmp = tempfile.mkdtemp(prefix="thindesk-rvclick-")

    def click_through_remote_viewer(self, agent_args):
        with tdtest.Xvfb(GUEST_W, GUEST_H) as guest, tdtest.Xvfb(1600, 1000) as view_x:
            guest.check(["xsetroot", "-solid", GREEN])
            rec = inputlib.Recorder(guest, REC)
            with tdtest.Agent(guest.display, args=agent_args) as agent:
                vv = os.path.join(self.tmp, "c.vv")
                with open(vv, "w") as f:
                    f.write("[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=%d\npassword=%s\n"
                            % (agent.port, agent.password))
                viewer = view_x.run(["remote-viewer", vv])
                shot = os.path.join(self.tmp, "view.ppm")
                last = [None]

                def shown_1to1():
                    if viewer.poll() is not None:
                        raise AssertionError("remote-viewer exited with %s" % viewer.returncode)
                    last[0] = green_box(view_x.display, shot)
                    return last[0] and last[0][2:] == (GUEST_W, GUEST_H)
                try:
                    tdtest.wait_for(shown_1to1, 40, interval=0.5,
                                    what="the guest shown 1:1 in remote-viewer")
                except AssertionError:
                    raise AssertionError("guest's area in remote-viewer: %s (want %dx%d)\n%s"
                                         % (last[0], GUEST_W, GUEST_H, agent.stderr()))
                ox, oy = last[0][:2]
                # Absolute pointer needs client mouse mode: spice-gtk then
                # hides its own pointer over the display and sends positions.
                for gx, gy in POINTS:
                    bx, by = ox + gx, oy + gy
                    view_x.check(["xdotool", "mousemove", "--sync", str(bx), str(by)])
                    where = [None]

                    def arrived():
                        where[0] = guest_pointer(guest)
                        return abs(where[0][0] - gx) <= 1 and abs(where[0][1] - gy) <= 1
                    try:
                        tdtest.wait_for(arrived, 20, interval=0.1,
                                        what="the guest pointer at %d,%d" % (gx, gy))
                    except AssertionError:
                        raise AssertionError(
                            "viewer pointer at %d,%d (guest shown at %d,%d): guest pointer "
                            "at %s, want %d,%d\n%s" % (bx, by, ox, oy, where[0], gx, gy,
                                                      agent.stderr()))
                    rec.take()
                    view_x.check(["xdotool", "click", "1"])
                    events = rec.wait_count(2, timeout=20)
                    presses = [e for e in events if e[0] == "button-press"]
                    self.assertTrue(presses, "no ButtonPress reached the guest: %s" % events)
                    _, button, px, py = presses[0]
                    self.assertEqual(button, "1")
                    self.assertLessEqual(abs(int(px) - gx), 1,
                                         "press at %s,%s, want %d,%d" % (px, py, gx, gy))
                    self.assertLessEqual(abs(int(py) - gy), 1,
                                         "press at %s,%s, want %d,%d" % (px, py, gx, gy))
                    self.assertIn(("button-release", "1", px, py), events)
                viewer.terminate()
                viewer.wait(10)
                tdtest.wait_for(lambda: "disconnected" in agent.stderr(), 20,
                                what="the agent to see remote-viewer leave")
                return agent.stderr()

    def test_click_desktop_path(self):
        self.click_through_remote_viewer([])

    def test_click_video_stream(self):
        log = self.click_through_remote_viewer(["--video=stream"])
        self.assertIn("started the video stream", log)


if __name__ == "__main__":
    tdtest.main()
