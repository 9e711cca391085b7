#!/usr/bin/python3
"""--video=stream with H.264 against real peers: spice-gtk (Python GI) with
Debian's GStreamer decoders announces H.264 and receives full-screen motion
on a real X server as an H.264 stream (spice-gtk's debug log shows
avdec_h264 in its pipeline, the agent logs H.264), counts the frames, and
once motion stops its frame is within 40 dB PSNR of the X root. A client
whose GStreamer has no H.264 decoder gets MJPEG, and --video-codec=mjpeg
forces MJPEG.

Hiding the decoder: spice-gtk 0.42 announces H.264 when any decoder
factory handles video/x-h264, whatever its rank, so
GST_PLUGIN_FEATURE_RANK=avdec_h264:NONE is not enough (spice-gtk announces
H.264 and then cannot decode it: "Missing decoder"). The test gives the
client a plugin directory of links to every system plugin but libav's and
openh264's, and a registry of its own.

spice-gtk reads its GStreamer registry once a process, so each case runs in
a child process of its own with its own environment."""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402

W, H = 1280, 720
X_WORKLOAD = os.path.join(tdtest.BUILD, "tests", "bench", "x-workload")
GST_PLUGINS = "/usr/lib/x86_64-linux-gnu/gstreamer-1.0"
H264_DECODER_PLUGINS = ("libgstlibav.so", "libgstopenh264.so")
DECODER_IN_PIPELINE = re.compile(r"Gstreamer's pipeline \((avdec_h264|openh264dec)\)")


def without_h264_decoders(tmp):
    """Environment for a GStreamer without H.264 decoders."""
    plugins = os.path.join(tmp, "plugins")
    os.makedirs(plugins)
    for name in os.listdir(GST_PLUGINS):
        if name.endswith(".so") and name not in H264_DECODER_PLUGINS:
            os.symlink(os.path.join(GST_PLUGINS, name), os.path.join(plugins, name))
    return {"GST_PLUGIN_SYSTEM_PATH_1_0": plugins, "GST_PLUGIN_PATH_1_0": "",
            "GST_REGISTRY_1_0": os.path.join(tmp, "registry.bin")}


def child(agent_args, tmp):
    """One client session; prints its findings as JSON on the last line."""
    os.environ["SPICE_DEBUG"] = "1"
    from gi.repository import GObject
    import spiceclient
    from test_video_stream import StdoutCapture, run_iterating, psnr
    log = StdoutCapture(os.path.join(tmp, "spice-debug.log"))
    result = {}
    with tdtest.Xvfb(W, H) as x:
        x.check(["xsetroot", "-solid", "#305070"])
        x.run(["xterm", "-geometry", "80x24+60+40", "-e", "sh", "-c",
               "echo thindesk h264; seq 1 20; sleep 600"])
        time.sleep(1.5)
        mport = tdtest.free_port()
        args = ["--video=stream", "--metrics=127.0.0.1:%d" % mport] + agent_args
        with tdtest.Agent(x.display, args=args) as agent, log:
            c = spiceclient.Client(agent.port, agent.password)
            frames = []

            def on_invalidate(channel, fx, fy, fw, fh):
                if fw * fh * 2 >= W * H:
                    frames.append(time.monotonic())
            ok = c.wait(lambda: c.display is not None, 20)
            assert ok, "no display channel"
            GObject.Object.connect(c.display, "display-invalidate", on_invalidate)
            ok = c.wait(lambda: c.primary() is not None, 20)
            assert ok, "no frame"
            wl = subprocess.Popen([X_WORKLOAD, "full", "30", "4"], env=x.env,
                                  stdout=subprocess.PIPE, text=True)
            n0 = len(frames)
            while wl.poll() is None:
                c.iterate(0.05)
            result["drawn"] = int(wl.stdout.read().strip() or 0)
            wl.stdout.close()
            result["moving"] = len(frames) - n0
            result["metrics"] = {k: v for k, v in tdtest.scrape_metrics(mport).items()
                                 if k.startswith("thindesk_video_")}
            src = os.path.join(tmp, "src.ppm")
            got = os.path.join(tmp, "got.ppm")
            c.iterate(0.5)
            code, _, err = run_iterating(c, ["import", "-display", x.display, "-window",
                                             "root", src])
            assert code == 0, err
            best = [0.0]

            def sharp():
                c.iterate(0.3)
                c.save_ppm(got)
                best[0] = max(best[0], psnr(c, src, got))
                return best[0] >= 40.0
            try:
                tdtest.wait_for(sharp, 20, interval=0.2, what="a sharp still frame")
            except Exception:
                pass
            result["still_psnr"] = best[0]
            c.close()
            result["agent_log"] = [l for l in agent.stderr().splitlines() if "video" in l]
        debug = log.text()
    result["client_h264_pipeline"] = bool(DECODER_IN_PIPELINE.search(debug))
    result["client_codec_lines"] = [l[:200] for l in debug.splitlines()
                                    if re.search(r"x-h264|pipeline \(", l)][:12]
    result["stream_created"] = "display_handle_stream_create" in debug
    print(json.dumps(result))


def run_child(agent_args, hide_h264=False):
    tmp = tempfile.mkdtemp(prefix="thindesk-h264-")
    env = dict(os.environ)
    if hide_h264:
        env.update(without_h264_decoders(tmp))
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--child",
                        json.dumps(agent_args), tmp],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=100)
    sys.stderr.write(p.stderr[-3000:])
    assert p.returncode == 0, "child failed: %s" % p.stderr[-2000:]
    return json.loads(p.stdout.strip().splitlines()[-1])


class VideoH264Test(unittest.TestCase):
    def setUp(self):
        tdtest.skip_unless_tools("Xvfb", "xterm", "xsetroot", "import", "compare")

    def report(self, name, r):
        sys.stderr.write("%s: drawn %d, client got %d full-screen frames, still %.2f dB\n%s\n%s\n%s\n"
                         % (name, r["drawn"], r["moving"], r["still_psnr"],
                            "\n".join(r["agent_log"]), "\n".join(r["client_codec_lines"]),
                            json.dumps(r["metrics"], indent=1)))

    def test_h264_client_gets_h264(self):
        r = run_child([])
        self.report("h264", r)
        self.assertTrue(any("the client gets H.264" in l for l in r["agent_log"]),
                        "the agent did not log H.264 for the client")
        self.assertTrue(r["client_h264_pipeline"], "spice-gtk's log names no H.264 decoder")
        self.assertGreaterEqual(r["moving"], 10)
        self.assertGreaterEqual(r["still_psnr"], 40.0)
        m = r["metrics"]
        self.assertEqual(m['thindesk_video_client_codec{codec="h264"}'], 1)
        self.assertEqual(m['thindesk_video_client_codec{codec="mjpeg"}'], 0)
        self.assertGreaterEqual(m['thindesk_video_frames_sent_total{codec="h264"}'], 10)
        self.assertGreater(m["thindesk_video_encode_seconds_total"], 0)
        # --video-bitrate=auto (the default) follows the link: the gauge shows
        # the controller's target, within the encoder's and the option's range.
        self.assertGreaterEqual(m["thindesk_video_bitrate_kbps"], 100)
        self.assertLessEqual(m["thindesk_video_bitrate_kbps"], 100000)

    def test_client_without_h264_decoder_gets_mjpeg(self):
        r = run_child([], hide_h264=True)
        self.report("no decoder", r)
        self.assertTrue(any("the client gets MJPEG: the client announces no H.264" in l
                            for l in r["agent_log"]), "the agent did not fall back to MJPEG")
        self.assertFalse(r["client_h264_pipeline"])
        self.assertGreaterEqual(r["moving"], 10)
        self.assertGreaterEqual(r["still_psnr"], 40.0)
        m = r["metrics"]
        self.assertEqual(m['thindesk_video_client_codec{codec="mjpeg"}'], 1)
        self.assertEqual(m['thindesk_video_frames_sent_total{codec="h264"}'], 0)
        self.assertGreaterEqual(m['thindesk_video_frames_sent_total{codec="mjpeg"}'], 10)

    def test_option_forces_mjpeg(self):
        r = run_child(["--video-codec=mjpeg"])
        self.report("forced mjpeg", r)
        self.assertTrue(any("the client gets MJPEG: --video-codec=mjpeg" in l
                            for l in r["agent_log"]))
        self.assertFalse(r["client_h264_pipeline"])
        self.assertGreaterEqual(r["moving"], 10)
        self.assertGreaterEqual(r["still_psnr"], 40.0)
        m = r["metrics"]
        self.assertEqual(m['thindesk_video_client_codec{codec="mjpeg"}'], 1)
        self.assertEqual(m['thindesk_video_frames_sent_total{codec="h264"}'], 0)


class ClientStatsTest(unittest.TestCase):
    """`thindesk --stats` names the codec of the stream it decodes."""

    def setUp(self):
        tdtest.skip_unless_tools("Xvfb")

    def stats(self, agent_args, env=None):
        import thindeskclient as tc
        tmp = tempfile.mkdtemp(prefix="thindesk-h264-stats-")
        with tdtest.Xvfb(W, H) as x:
            x.check(["xsetroot", "-solid", "#305070"])
            with tdtest.Agent(x.display, args=["--video=stream"] + agent_args) as agent:
                pw = tc.password_file(tmp, agent.password)
                c = tc.start(["--headless", "--password-file=" + pw, "--stats",
                              "--duration=8", "spice://127.0.0.1:%d" % agent.port],
                             env=env, tmp=tmp)
                try:
                    time.sleep(2)
                    subprocess.run([X_WORKLOAD, "full", "30", "3"], env=x.env, check=True,
                                   stdout=subprocess.DEVNULL, timeout=30)
                    self.assertEqual(c.wait(timeout=30), 0)
                finally:
                    if c.poll() is None:
                        c.kill()
                        c.wait()
                with open(c.out_path) as f:
                    return [json.loads(l) for l in f if l.strip()]

    def test_stats_name_h264(self):
        lines = self.stats([])
        self.assertEqual(lines[-1]["video_codec"], "h264", lines[-1])
        self.assertGreaterEqual(lines[-1]["frames"], 10)

    def test_stats_without_h264_have_no_gstreamer_codec(self):
        # MJPEG: spice-gtk decodes it with its built-in decoder, no
        # GStreamer pipeline, so no GStreamer codec to report.
        lines = self.stats(["--video-codec=mjpeg"])
        self.assertIsNone(lines[-1]["video_codec"], lines[-1])
        self.assertGreaterEqual(lines[-1]["frames"], 10)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(json.loads(sys.argv[2]), sys.argv[3])
        sys.exit(0)
    unittest.main()
