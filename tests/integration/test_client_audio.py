#!/usr/bin/python3
"""thindesk --headless --record-audio against the agent's playback channel:
a tone played in the guest's PulseAudio lands in the WAV file with the right
pitch and level. Needs the agent's audio (its PulseAudio fixture,
soundserver.py, comes with it); until then this test SKIPs."""

import math
import os
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402
import thindeskclient as tc  # noqa: E402

try:
    import soundserver  # noqa: E402
except ImportError:
    soundserver = None

AMPLITUDE = 0.5
SOURCE_RMS = AMPLITUDE * 32767 / math.sqrt(2)


def read_mono(path):
    with wave.open(path) as w:
        assert w.getsampwidth() == 2, "not 16-bit"
        ch, rate = w.getnchannels(), w.getframerate()
        data = w.readframes(w.getnframes())
    s = struct.unpack("<%dh" % (len(data) // 2), data)
    return [sum(s[i:i + ch]) / ch for i in range(0, len(s), ch)], rate


def tone_stats(samples, rate):
    """Frequency (from zero crossings) and RMS of one second after the onset."""
    start = next((i for i, v in enumerate(samples) if abs(v) > 1000), None)
    if start is None:
        return None, 0.0
    start += rate // 10  # past the codec's fade-in
    part = samples[start:start + rate]
    if len(part) < rate:
        return None, 0.0
    crossings = sum(1 for a, b in zip(part, part[1:]) if (a < 0) != (b < 0))
    rms = math.sqrt(sum(v * v for v in part) / len(part))
    return crossings / 2.0, rms


class RecordAudioTest(unittest.TestCase):
    def setUp(self):
        if soundserver is None:
            raise unittest.SkipTest("the agent has no audio yet (tests/integration/"
                                    "soundserver.py comes with the agent's audio)")
        soundserver.skip_unless_pulseaudio()
        self.tmp = tempfile.mkdtemp(prefix="thindesk-rec-")

    def test_record_audio_gets_the_tone(self):
        wav = os.path.join(self.tmp, "got.wav")
        tone = os.path.join(self.tmp, "tone.wav")
        soundserver.write_tone(tone, 440, 3.0, AMPLITUDE)
        with soundserver.PulseAudio() as pa:
            with tdtest.Agent(args=["--capture=fake"],
                              env={"PULSE_SERVER": pa.env["PULSE_SERVER"]}) as agent:
                tdtest.wait_for(lambda: "sound server ready" in agent.stderr(), 20,
                                what="agent audio")
                pw = tc.password_file(self.tmp, agent.password)
                c = tc.start(["--headless", "--password-file=" + pw, "--record-audio=" + wav,
                              "--duration=10", "spice://127.0.0.1:%d" % agent.port],
                             tmp=self.tmp)
                try:
                    tdtest.wait_for(lambda: "connected" in agent.stderr(), 20,
                                    what="client to connect")
                    time.sleep(1.0)
                    subprocess.run(["paplay", tone], env=pa.env, check=True, timeout=30)
                    rc = c.wait(30)
                finally:
                    tdtest.stop_process(c)
                self.assertEqual(rc, 0, tc.read(c.err_path))
        samples, rate = read_mono(wav)
        self.assertEqual(rate, 48000)
        freq, rms = tone_stats(samples, rate)
        self.assertIsNotNone(freq, "no tone in the recording (%d frames)" % len(samples))
        self.assertLessEqual(abs(freq - 440), 5, "recorded %.1f Hz, played 440 Hz" % freq)
        level = 20 * math.log10(rms / SOURCE_RMS)
        self.assertLessEqual(abs(level), 3.0, "level %.2f dB off the source" % level)
        sys.stderr.write("\n440 Hz tone: recorded %.1f Hz at %+.2f dB\n" % (freq, level))


if __name__ == "__main__":
    tdtest.main()
