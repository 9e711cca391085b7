"""Sound in the browser client, end to end: a real PulseAudio in the guest
session, the agent with --web-listen, Debian's chromium headless. A 440 Hz
tone played in the guest is measured in the page by an AnalyserNode; the
agent stops sending once the desktop is quiet; chromium's fake microphone
(a 1 kHz file) reaches the guest's source thindesk-mic."""

import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import rawviewer
import webtest
from webtest import tdtest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import soundserver  # noqa: E402

try:
    import audioclient  # noqa: E402  (its signal maths: dominant frequency, onset)
except (ImportError, ValueError) as e:
    audioclient = None
    GI_ERROR = str(e)

RATE = 48000
AMPLITUDE = 0.5

# An AnalyserNode on the player's output: its strongest bin over 1 s of sound
# (fftSize 32768: 1.46 Hz a bin at 48 kHz), refined by a parabola through the
# peak and its neighbours.
MEASURE_JS = """(async () => {
  const a = window.thindesk.audio;
  const an = a.context.createAnalyser();
  an.fftSize = 32768;
  an.smoothingTimeConstant = 0;
  a.output.connect(an);
  await new Promise((r) => setTimeout(r, 1000));
  const d = new Float32Array(an.frequencyBinCount);
  an.getFloatFrequencyData(d);
  a.output.disconnect(an);
  let k = 2;
  for (let i = 2; i < d.length - 1; i++) if (d[i] > d[k]) k = i;
  const y0 = d[k - 1], y1 = d[k], y2 = d[k + 1];
  const p = 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2);
  return { freq: (k + p) * a.context.sampleRate / an.fftSize, db: y1, stats: a.stats,
           baseLatency: a.context.baseLatency, outputLatency: a.context.outputLatency };
})()"""


def metric(port, name):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        text = r.read().decode()
    m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    if not m:
        raise AssertionError("no metric %s" % name)
    return float(m.group(1))


class WebAudioTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        webtest.skip_unless_browser()
        soundserver.skip_unless_pulseaudio()
        tdtest.skip_unless_tools("parec")
        if audioclient is None:
            raise unittest.SkipTest("the audio tests' maths need Python GI: " + GI_ERROR)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="thindesk-webaudio-")
        self.procs = []
        self.addCleanup(self.stop_procs)

    def stop_procs(self):
        for p in self.procs:
            tdtest.stop_process(p)

    def start(self, pa):
        self.x = tdtest.Xvfb(320, 240)
        self.addCleanup(self.x.stop)
        self.web_port = tdtest.free_port()
        self.metrics_port = tdtest.free_port()
        self.agent = tdtest.Agent(display=self.x.display,
                                  args=["--web-listen=127.0.0.1:%d" % self.web_port,
                                        "--metrics=127.0.0.1:%d" % self.metrics_port,
                                        "--usb-channels=0"],
                                  env={"PULSE_SERVER": pa.env["PULSE_SERVER"]})
        self.agent.__enter__()
        self.addCleanup(self.agent.__exit__, None, None, None)
        tdtest.wait_for(lambda: "sound server ready" in self.agent.stderr()
                        or self.agent.proc.poll() is not None, 20, what="the sound server")
        self.assertIsNone(self.agent.proc.poll(), self.agent.stderr())

    def browser(self, *args):
        # The browser must never play into the guest's sound server (its
        # monitor would hear the page): no PulseAudio for chromium.
        b = webtest.Browser(args=["--autoplay-policy=no-user-gesture-required", *args],
                            env={"PULSE_SERVER": "unix:" + os.path.join(self.tmp, "none")})
        self.addCleanup(b.stop)
        return b

    def play(self, pa, path):
        p = subprocess.Popen(["paplay", path], env=pa.env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def test_tone_measured_in_page(self):
        with soundserver.PulseAudio() as pa:
            self.start(pa)
            b = self.browser()
            b.open("a", webtest.login_url(self.agent))
            b.wait_open("a")
            b.wait("a", "window.thindesk.audio && window.thindesk.audio.output !== null", 10)
            self.assertEqual(b.eval("a", "window.thindesk.audio.context.state"), "running")
            # A quiet desktop sends nothing.
            time.sleep(1.0)
            self.assertEqual(metric(self.metrics_port, "thindesk_web_audio_packets_total"), 0)
            tone = os.path.join(self.tmp, "tone.wav")
            soundserver.write_tone(tone, 440, 3.0, AMPLITUDE)
            t0 = time.monotonic()
            self.play(pa, tone)
            b.wait("a", "(window.thindesk.audio.stats.player || {}).playing === true", 10)
            sound_after = time.monotonic() - t0
            time.sleep(0.3)
            r = b.eval("a", MEASURE_JS)
            freq = r["freq"]
            self.assertLessEqual(abs(freq - 440), 5, "the page measured %.1f Hz, the guest played 440 Hz: %r" % (freq, r))
            self.assertGreater(r["db"], -40, "the tone is too faint in the page: %r" % r)
            st = r["stats"]
            self.assertEqual(st["decodeErrors"], 0)
            player = st["player"]
            sys.stderr.write(
                "\n440 Hz in the guest: the page measured %.2f Hz at %.1f dBFS; first sound "
                "%.2f s after paplay started; jitter buffer %.1f ms (mean %.1f ms), %d underruns, "
                "%d frames dropped; context base latency %.1f ms, output latency %.1f ms\n"
                % (freq, r["db"], sound_after, player["levelMs"], player["meanLevelMs"],
                   player["underruns"], player["droppedFrames"], 1000 * (r["baseLatency"] or 0),
                   1000 * (r["outputLatency"] or 0)))
            self.assertLessEqual(player["meanLevelMs"], 80,
                                 "the jitter buffer holds more than its bound: %r" % player)
            # After the tone, a second of silence stops the stream: nothing
            # more is sent.
            tdtest.wait_for(lambda: self.procs[-1].poll() is not None, 15, what="paplay to end")
            time.sleep(2.0)
            sent = metric(self.metrics_port, "thindesk_web_audio_packets_total")
            self.assertGreaterEqual(sent, 100, "fewer packets than 2 s of sound")
            time.sleep(1.5)
            self.assertEqual(metric(self.metrics_port, "thindesk_web_audio_packets_total"), sent,
                             "AUDIO still flows while the desktop is quiet")
            sent_bytes = metric(self.metrics_port, "thindesk_web_audio_bytes_total")
            self.assertGreater(sent_bytes, 0)
            sys.stderr.write("AUDIO: %d packets, %.0f bytes each on average (%.1f kbit/s with headers)\n"
                             % (sent, sent_bytes / sent, sent_bytes / sent * 8 * 50 / 1000))

    def test_suspended_context_asks_for_a_click(self):
        # Chromium's own autoplay policy: no sound before the user interacts.
        with soundserver.PulseAudio() as pa:
            self.start(pa)
            b = webtest.Browser(env={"PULSE_SERVER": "unix:" + os.path.join(self.tmp, "none")})
            self.addCleanup(b.stop)
            b.open("a", webtest.login_url(self.agent))
            b.wait_open("a")
            b.wait("a", "window.thindesk.audio && window.thindesk.audio.output !== null", 10)
            self.assertEqual(b.eval("a", "window.thindesk.audio.context.state"), "suspended")
            self.assertNotIn("click", b.eval("a", "document.getElementById('status').textContent"))
            tone = os.path.join(self.tmp, "tone.wav")
            soundserver.write_tone(tone, 440, 6.0, AMPLITUDE)
            self.play(pa, tone)
            b.wait("a", "document.getElementById('status').textContent.includes("
                        "'Sound: click the page to hear it')", 10)
            # The first pointerdown resumes it. (Dispatched by script: the
            # driver's evaluate carries a user activation, which resume()
            # needs, as a real click does.)
            b.eval("a", "document.getElementById('screen').dispatchEvent("
                        "new PointerEvent('pointerdown', {bubbles: true})), true")
            b.wait("a", "window.thindesk.audio.context.state === 'running'", 5)
            b.wait("a", "!document.getElementById('status').textContent.includes('click')", 5)
            b.wait("a", "(window.thindesk.audio.stats.player || {}).playing === true", 5)
            time.sleep(0.3)
            r = b.eval("a", MEASURE_JS)
            self.assertLessEqual(abs(r["freq"] - 440), 5, "after the click: %r" % r)

    def test_no_sound_for_a_page_without_decoder_and_bad_mic_refused(self):
        # A viewer whose CAPS lack AudioDecoder (Firefox for Android) gets no
        # AUDIO while the desktop plays; malformed and oversized MIC packets
        # are refused and logged once, and the socket keeps working.
        with soundserver.PulseAudio() as pa:
            self.start(pa)
            v = rawviewer.RawViewer(webtest.login_url(self.agent))
            self.addCleanup(v.close)
            v.send(struct.pack("<BBBHH", 0x80, 1, 0x04, 0, 0))  # DecompressionStream only
            first = v.messages(2.0)
            self.assertTrue(first and first[0][0] == 0x01, "no HELLO")
            self.assertTrue(first[0][2] & 2, "HELLO does not say the agent has sound")
            tone = os.path.join(self.tmp, "tone.wav")
            soundserver.write_tone(tone, 440, 2.0, AMPLITUDE)
            self.play(pa, tone)
            got = v.messages(2.5)
            self.assertEqual([m for m in got if m[0] == 0x09], [], "AUDIO for a page that cannot decode it")
            self.assertEqual(metric(self.metrics_port, "thindesk_web_audio_packets_total"), 0)
            self.assertIn("cannot decode Opus", self.agent.stderr())
            for opus in (b"\xfb\x00", b"\xfb\x30", b"\xfc" * 1501, b"\xfa\xc8\x01"):
                v.send(struct.pack("<BI", 0x86, 0) + opus)
            v.send(struct.pack("<BI", 0x89, 4242))  # PING
            pong = [m for m in v.messages(2.0) if m[0] == 0x0d]
            self.assertEqual(pong, [struct.pack("<BI", 0x0d, 4242)], "no PONG after the bad packets")
            self.assertEqual(metric(self.metrics_port, "thindesk_web_mic_refused_total"), 4)
            err = self.agent.stderr()
            self.assertEqual(len(re.findall(r"refused \d+ microphone packet", err)), 1, err)
            self.assertIn("refused 1 microphone packet(s) from 127.0.0.1", err)

    def test_fake_microphone_reaches_guest_source(self):
        with soundserver.PulseAudio() as pa:
            self.start(pa)
            wav = os.path.join(self.tmp, "mic.wav")
            soundserver.write_tone(wav, 1000, 10.0, AMPLITUDE)
            b = self.browser("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                             "--use-file-for-fake-audio-capture=" + wav)
            b.open("a", webtest.login_url(self.agent))
            b.wait_open("a")
            tdtest.wait_for(lambda: pa.default("source") == "thindesk-mic", 10,
                            what="thindesk-mic to become the default source")
            b.wait("a", "document.getElementById('microphone') && !document.getElementById('microphone').hidden", 10)
            out = os.path.join(self.tmp, "mic.raw")
            with open(out, "wb") as f:
                rec = subprocess.Popen(["parec", "--device=thindesk-mic", "--format=s16le",
                                        "--rate=48000", "--channels=2", "--latency-msec=20"],
                                       env=pa.env, stdout=f, stderr=subprocess.DEVNULL)
                self.procs.append(rec)
                b.eval("a", "document.getElementById('microphone').click(), true")
                b.wait("a", "window.thindesk.audio.stats.micPackets > 100", 15)
                time.sleep(1.5)
                tdtest.stop_process(rec)
            self.assertEqual(b.eval("a", "document.getElementById('microphone').getAttribute('aria-pressed')"), "true")
            with open(out, "rb") as f:
                samples = audioclient.mono(f.read())
            start = audioclient.onset_index(samples)
            self.assertIsNotNone(start, "parec recorded only silence from thindesk-mic")
            tone = samples[start + RATE // 5:start + RATE // 5 + RATE]
            self.assertGreaterEqual(len(tone), RATE // 2, "too little microphone sound")
            freq = audioclient.dominant_frequency(tone)
            self.assertLessEqual(abs(freq - 1000), 5, "the guest recorded %.1f Hz" % freq)
            got = metric(self.metrics_port, "thindesk_web_mic_packets_total")
            self.assertGreater(got, 50)
            self.assertEqual(metric(self.metrics_port, "thindesk_web_mic_refused_total"), 0)
            sys.stderr.write("\n1 kHz fake microphone: the guest recorded %.1f Hz (%d MIC packets decoded)\n"
                             % (freq, got))


if __name__ == "__main__":
    tdtest.main()
