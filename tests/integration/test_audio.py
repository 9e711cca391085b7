#!/usr/bin/python3
"""Audio both ways against real peers: a real PulseAudio in the guest
session, a real spice-gtk client (Python GI). Desktop sound reaches the
client as Opus with the right pitch and level; the client's microphone
reaches applications in the guest through the source thindesk-mic; the
agent survives a sound server restart and a missing one."""

import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import unittest

# spice-gtk logs the negotiated playback mode only with debugging on; its
# debug lines go to standard output, which setUpModule sends to a file.
os.environ["SPICE_DEBUG"] = "1"
os.environ["G_MESSAGES_DEBUG"] = "GSpice"

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tdtest  # noqa: E402
import soundserver  # noqa: E402
import spicelink  # noqa: E402

try:
    import audioclient  # noqa: E402
except (ImportError, ValueError) as e:  # no Python GI or no spice-gtk typelib
    audioclient = None
    GI_ERROR = str(e)

RATE = 48000


def local_sink(linear=1.0, mute=False):
    """spice-gtk's own audio output (SPICE_GST_AUDIOSINK) as GStreamer's
    `volume` at @linear amplitude and @mute into a fakesink. spice-gtk reads
    it on the cubic scale (0.125 is 50%) and sends it to the agent."""
    return ('appsrc name=appsrc is-live=1 do-timestamp=0 format=time caps="audio/x-raw,'
            'format=S16LE,channels=2,rate=48000,layout=interleaved" ! queue ! '
            "volume name=audiosink volume=%g mute=%s ! fakesink sync=false"
            % (linear, "true" if mute else "false"))


# spice-gtk gives every session its own audio output once the agent offers
# volume sync, and then sends the volume of that output: without a volume to
# read (autoaudiosink here) it sends whatever its stack held. Every client
# of these tests has a known one instead: 100%, not muted.
os.environ["SPICE_GST_AUDIOSINK"] = local_sink()
AMPLITUDE = 0.5
SOURCE_RMS = AMPLITUDE * 32767 / 2 ** 0.5
SPICE_LOG = tempfile.NamedTemporaryFile(prefix="thindesk-spice-gtk-", suffix=".log",
                                        delete=False).name
_saved_stdout = None


def setUpModule():
    global _saved_stdout
    sys.stdout.flush()
    _saved_stdout = os.dup(1)
    fd = os.open(SPICE_LOG, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.close(fd)


def tearDownModule():
    os.dup2(_saved_stdout, 1)
    os.close(_saved_stdout)
    if not os.environ.get("THINDESK_KEEP_LOGS"):
        os.unlink(SPICE_LOG)


def spice_log():
    with open(SPICE_LOG, errors="replace") as f:
        return f.read()


class AudioTest(unittest.TestCase):
    def setUp(self):
        if audioclient is None:
            raise unittest.SkipTest("spice-gtk through Python GI unavailable: " + GI_ERROR)
        soundserver.skip_unless_pulseaudio()
        self.tmp = tempfile.mkdtemp(prefix="thindesk-audio-")
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            tdtest.stop_process(p)

    def start_agent(self, pa, args=(), debug=False):
        env = {"PULSE_SERVER": pa.env["PULSE_SERVER"]}
        if debug:  # the agent's debug lines, e.g. when it takes the client's volume
            env["THINDESK_DEBUG"] = "agent"
        agent = tdtest.Agent(args=["--capture=fake", *args], env=env)
        self.addCleanup(agent.__exit__, None, None, None)
        return agent

    def wait_agent_log(self, agent, text, timeout=20):
        tdtest.wait_for(lambda: text in agent.stderr() or agent.proc.poll() is not None,
                        timeout, what="agent to log %r" % text)
        self.assertIsNone(agent.proc.poll(), "agent exited:\n" + agent.stderr())

    def connect(self, agent):
        c = audioclient.AudioClient(agent.port, agent.password)
        self.addCleanup(c.close)
        self.assertTrue(c.wait(lambda: c.playback and c.record, 30),
                        "the client got no playback/record channels")
        return c

    def play(self, pa, wav, device=None):
        argv = ["paplay"] + (["--device=" + device] if device else []) + [wav]
        p = subprocess.Popen(argv, env=pa.env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def tone_file(self, freq, seconds, name=None):
        path = os.path.join(self.tmp, name or "tone-%d.wav" % freq)
        soundserver.write_tone(path, freq, seconds, AMPLITUDE)
        return path

    def received_tone(self, client, since, seconds=1.0, timeout=30):
        """Waits for @seconds of sound after its onset; returns its samples."""
        need = int(seconds * RATE)

        def enough():
            s = audioclient.mono(client.pcm(since))
            start = audioclient.onset_index(s)
            return start is not None and len(s) - start >= need + RATE // 5

        self.assertTrue(client.wait(enough, timeout),
                        "the client received no %.1f s of sound (got %d frames)"
                        % (seconds, len(client.pcm(since)) // 4))
        s = audioclient.mono(client.pcm(since))
        start = audioclient.onset_index(s) + RATE // 10  # past the fade-in of the codec
        return s[start:start + need]

    def assert_tone(self, samples, freq):
        got = audioclient.dominant_frequency(samples)
        self.assertLessEqual(abs(got - freq), 5, "dominant frequency %.1f Hz, sent %d Hz"
                             % (got, freq))
        return got

    def test_desktop_sound_reaches_client_as_opus(self):
        with soundserver.PulseAudio() as pa:
            self.check_desktop_sound(pa)

    def test_desktop_sound_over_pipewire(self):
        # The same through PipeWire's pulse server instead of PulseAudio.
        soundserver.skip_unless_pipewire()
        with soundserver.PipeWire() as pa:
            self.check_desktop_sound(pa)

    def check_desktop_sound(self, pa):
        agent = self.start_agent(pa)
        self.wait_agent_log(agent, "sound server ready")
        self.assertIn("thindesk", pa.names("sinks"))
        self.assertEqual(pa.default("sink"), "thindesk")
        c = self.connect(agent)
        c.iterate(0.5)
        t0 = time.monotonic()
        self.play(pa, self.tone_file(440, 3.0))  # to the default sink
        samples = self.received_tone(c, t0, 1.5)
        freq = self.assert_tone(samples, 440)
        level = audioclient.level_db(samples, SOURCE_RMS)
        self.assertLessEqual(abs(level), 3.0, "level %.2f dB off the source" % level)
        self.assertEqual(c.playback_starts[0][1:], (2, RATE))
        self.assertRegex(spice_log(), r"playback_handle_start: .*freq 48000 .*mode opus",
                         "spice-gtk did not negotiate Opus for playback")
        sys.stderr.write("\n440 Hz tone: client got %.1f Hz at %+.2f dB\n" % (freq, level))
        # Silence stops the stream; the next sound starts it again.
        self.assertTrue(c.wait(lambda: c.playback_stops >= 1, 15),
                        "playback did not stop after the tone")
        t1 = time.monotonic()
        self.play(pa, self.tone_file(660, 1.5))
        self.assert_tone(self.received_tone(c, t1, 1.0), 660)
        self.assertGreaterEqual(len(c.playback_starts), 2)
        # A stopped agent leaves the sound server as it found it.
        c.close()
        self.assertEqual(agent.stop(), 0)
        self.assertNotIn("thindesk", pa.names("sinks"))
        self.assertNotIn("thindesk-mic", pa.names("sources"))
        self.assertEqual(pa.default("sink"), "speakers")

    def test_guest_volume_and_mute_apply(self):
        with soundserver.PulseAudio() as pa:
            agent = self.start_agent(pa)
            self.wait_agent_log(agent, "sound server ready")
            # The client's sync (100%) comes first; the guest's own change after it stands.
            pa.pactl("set-sink-volume", "thindesk", "30%")
            c, play, rec = self.volume_client(agent, 1.0, False)
            self.wait_state(c, lambda: self.sink_state(pa, "thindesk"), ([65536, 65536], False),
                            "the thindesk sink")
            pa.pactl("set-sink-volume", "thindesk", "50%")
            t0 = time.monotonic()
            self.play(pa, self.tone_file(440, 2.5))
            samples = self.received_tone(c, t0, 1.0)
            self.assert_tone(samples, 440)
            # PulseAudio volumes are cubic: 50% is 20*log10(0.5**3) = -18.06 dB.
            level = audioclient.level_db(samples, SOURCE_RMS)
            self.assertLessEqual(abs(level + 18.06), 3.0, "level %.2f dB at 50%% volume" % level)
            self.assertTrue(c.wait(lambda: c.playback_stops >= 1, 15))
            pa.pactl("set-sink-volume", "thindesk", "100%")
            pa.pactl("set-sink-mute", "thindesk", "1")
            t1 = time.monotonic()
            player = self.play(pa, self.tone_file(440, 2.0))
            tdtest.wait_for(lambda: player.poll() is not None, 20, what="paplay to finish")
            c.iterate(0.5)
            got = audioclient.mono(c.pcm(t1))
            self.assertIsNone(audioclient.onset_index(got, 100),
                              "the client heard a muted desktop")
            # A client leaving undoes only its own volume, not the guest's.
            c.close()
            self.wait_agent_log(agent, "disconnected (session")
            time.sleep(1.0)  # a wrong reset would be issued right then
            self.assertEqual(self.sink_state(pa, "thindesk"), ([65536, 65536], True))

    # --- the client's own volume and mute (VD_AGENT_AUDIO_VOLUME_SYNC) ---

    def volume_client(self, agent, linear, mute):
        """A spice-gtk client with its own audio output, as remote-viewer
        has, at local_sink(@linear, @mute). spice-gtk sends that to the
        agent when the agent announces volume sync; returns the client and
        the (mute, channels, volume) its log says it sent for playback and
        for record (None: not sent)."""
        os.environ["SPICE_GST_AUDIOSINK"] = local_sink(linear, mute)
        self.addCleanup(os.environ.__setitem__, "SPICE_GST_AUDIOSINK", local_sink())
        seen = len(spice_log())
        c = audioclient.AudioClient(agent.port, agent.password, local_audio=True)
        self.addCleanup(c.close)
        self.assertTrue(c.wait(lambda: c.playback and c.record, 30),
                        "the client got no playback/record channels")
        pattern = r"audio_%s_volume_info_cb mute=(yes|no) nchannels=(\d+) volume\[0\]=(\d+)"

        def sent(kind):
            m = re.search(pattern % kind, spice_log()[seen:])
            return m and (m.group(1) == "yes", int(m.group(2)), int(m.group(3)))

        self.assertTrue(c.wait(lambda: sent("playback"), 30),
                        "spice-gtk queued no playback volume for the agent")
        c.wait(lambda: sent("record"), 5)
        # spice-gtk 0.42 queues the volume sync without waking its main
        # channel: it leaves with the next main channel message. In
        # remote-viewer that is the first monitors config of its window;
        # send one the same way.
        c.main.update_display_enabled(0, True, False)
        c.main.update_display(0, 0, 0, 1280, 720, False)
        c.main.send_monitor_config()
        return c, sent("playback"), sent("record")

    def sink_state(self, pa, sink):
        """([per-channel pa_volume_t], muted) of @sink from pactl."""
        vol = pa.pactl("get-sink-volume", sink)
        mute = pa.pactl("get-sink-mute", sink)
        return ([int(v) for v in re.findall(r":\s*(\d+)\s*/", vol.splitlines()[0])],
                "yes" in mute)

    def source_state(self, pa, source):
        vol = pa.pactl("get-source-volume", source)
        mute = pa.pactl("get-source-mute", source)
        return ([int(v) for v in re.findall(r":\s*(\d+)\s*/", vol.splitlines()[0])],
                "yes" in mute)

    def wait_state(self, c, read, want, what, timeout=15):
        """Waits (running client @c, if any) until @read() returns @want."""
        deadline = time.monotonic() + timeout
        got = read()
        while got != want and time.monotonic() < deadline:
            if c:
                c.iterate(0.1)
            else:
                time.sleep(0.1)
            got = read()
        self.assertEqual(got, want, "%s after %d s" % (what, timeout))

    def test_client_volume_and_mute_apply(self):
        with soundserver.PulseAudio() as pa:
            self.check_client_volume(pa)

    def test_client_volume_over_pipewire(self):
        soundserver.skip_unless_pipewire()
        with soundserver.PipeWire() as pa:
            self.check_client_volume(pa)

    def check_client_volume(self, pa):
        agent = self.start_agent(pa)
        self.wait_agent_log(agent, "sound server ready")
        norm = ([65536, 65536], False)
        c, play, rec = self.volume_client(agent, 0.125, False)
        # cbrt(0.125) = 0.5 on the cubic scale, times 65535
        self.assertEqual(play, (False, 2, 32767))
        # 32767/65535 of PA_VOLUME_NORM (0x10000), rounded down: 50%
        self.wait_state(c, lambda: self.sink_state(pa, "thindesk"), ([32767, 32767], False),
                        "the thindesk sink")
        # The record volume spice-gtk read from its own source; here,
        # without a sound server plugin, it reads none and sends 0,
        # which the agent must not take for silence.
        if rec and (rec[2] != 0 or rec[0]):
            want = (rec[2] * 65536 + 32767) // 65535
            self.wait_state(c, lambda: self.source_state(pa, "thindesk-mic"),
                            ([want, want], rec[0]), "thindesk-mic")
        else:
            c.iterate(1.0)
            self.assertEqual(self.source_state(pa, "thindesk-mic"), norm)
        t0 = time.monotonic()
        first = self.play(pa, self.tone_file(440, 2.5))
        samples = self.received_tone(c, t0, 1.0)
        self.assert_tone(samples, 440)
        # Its tail must not reach the muted client below.
        tdtest.wait_for(lambda: first.poll() is not None, 20, what="paplay to finish")
        # PulseAudio volumes are cubic: 32767 is 20*log10((32767/65536)**3) = -18.06 dB.
        level = audioclient.level_db(samples, SOURCE_RMS)
        self.assertLessEqual(abs(level + 18.06), 3.0,
                             "level %.2f dB with the client at 50%%" % level)
        sys.stderr.write("\nclient volume 50%%: thindesk at 32767, tone at %+.2f dB\n"
                         % level)
        # The volume was the client's: when it leaves, 100% again.
        c.close()
        self.wait_state(c, lambda: self.sink_state(pa, "thindesk"), norm, "the thindesk sink")
        self.wait_state(c, lambda: self.source_state(pa, "thindesk-mic"), norm, "thindesk-mic")

        # A client muted at its end: the desktop sink is muted, nothing plays.
        c, play, rec = self.volume_client(agent, 1.0, True)
        self.assertEqual(play, (True, 2, 65535))
        self.wait_state(c, lambda: self.sink_state(pa, "thindesk"), ([65536, 65536], True),
                        "the thindesk sink")
        t1 = time.monotonic()
        player = self.play(pa, self.tone_file(440, 2.0))
        tdtest.wait_for(lambda: player.poll() is not None, 20, what="paplay to finish")
        c.iterate(0.5)
        got = audioclient.mono(c.pcm(t1))
        self.assertIsNone(audioclient.onset_index(got, 100),
                          "the client heard the desktop although it is muted")
        self.assertIsNone(agent.proc.poll())
        self.assertNotIn("dropped a AUDIO_VOLUME_SYNC", agent.stderr())

    def test_record_volume_and_malformed_sync(self):
        # spice-gtk reads its record volume from its GStreamer source, which
        # here has none (it sends 0, ignored above): a raw main channel sends
        # the agent messages instead, through the real spice-server.
        VOLUME_SYNC = 15  # VD_AGENT_AUDIO_VOLUME_SYNC

        def sync(playback, mute, *volume):
            return struct.pack("<BBB%dH" % len(volume), playback, mute, len(volume), *volume)

        def mic():
            return self.source_state(pa, "thindesk-mic")

        def sink():
            return self.sink_state(pa, "thindesk")

        with soundserver.PulseAudio() as pa:
            agent = self.start_agent(pa)
            self.wait_agent_log(agent, "sound server ready")
            link = spicelink.AgentLink(agent.port, agent.password)
            self.addCleanup(link.close)
            # a muted record stream, channels apart: 32767 -> 32767, 16384 -> 16384
            link.send_agent(VOLUME_SYNC, sync(0, 1, 32767, 16384))
            self.wait_state(None, mic, ([32767, 16384], True), "thindesk-mic")
            # a mono playback stream sets both channels of the stereo sink
            link.send_agent(VOLUME_SYNC, sync(1, 0, 49151))
            self.wait_state(None, sink, ([49152, 49152], False), "the thindesk sink")
            # malformed: logged and dropped, the devices keep their volume
            bad = [sync(1, 0, 1000, 1000)[:-2],           # shorter than its count
                   sync(1, 0, 1000) + b"\0\0",            # longer than its count
                   struct.pack("<BBB", 1, 0, 0),           # no channels
                   sync(1, 0, *[1000] * 33),               # more channels than a device has
                   sync(2, 0, 1000), sync(1, 2, 1000),     # flags neither 0 nor 1
                   b"\1"]                                  # shorter than its header
            for msg in bad:
                link.send_agent(VOLUME_SYNC, msg)
            tdtest.wait_for(
                lambda: agent.stderr().count("dropped a AUDIO_VOLUME_SYNC message") >= len(bad),
                20, what="the agent to drop %d malformed volume syncs" % len(bad))
            self.assertEqual(mic(), ([32767, 16384], True))
            self.assertEqual(sink(), ([49152, 49152], False))
            # the channel still works after them
            link.send_agent(VOLUME_SYNC, sync(0, 0, 65535, 65535))
            self.wait_state(None, mic, ([65536, 65536], False), "thindesk-mic")
            link.send_agent(VOLUME_SYNC, sync(0, 1, 65535, 65535))
            self.wait_state(None, mic, ([65536, 65536], True), "thindesk-mic")
            # the client leaves: its volume and mute are undone
            link.close()
            self.wait_state(None, mic, ([65536, 65536], False), "thindesk-mic")
            self.wait_state(None, sink, ([65536, 65536], False), "the thindesk sink")
            self.assertIsNone(agent.proc.poll())

    def test_client_volume_spares_configured_sink(self):
        # --audio-sink names the desktop's own sink: the user's volume stays.
        with soundserver.PulseAudio() as pa:
            agent = self.start_agent(pa, ["--audio-sink=speakers"], debug=True)
            self.wait_agent_log(agent, "sound server ready")
            before = self.sink_state(pa, "speakers")
            c, play, rec = self.volume_client(agent, 0.125, False)
            self.assertEqual(play, (False, 2, 32767))
            self.wait_agent_log(agent, "audio: the client's playback volume 32767/65535")
            self.wait_agent_log(agent, "not applied to the sink 'speakers'")
            # Give a wrongly sent volume time to land before checking it did not.
            c.iterate(2.0)
            self.assertEqual(self.sink_state(pa, "speakers"), before)
            t0 = time.monotonic()
            self.play(pa, self.tone_file(440, 2.5), device="speakers")
            samples = self.received_tone(c, t0, 1.0)
            level = audioclient.level_db(samples, SOURCE_RMS)
            self.assertLessEqual(abs(level), 3.0, "level %.2f dB off the source" % level)

    def test_configured_sink(self):
        with soundserver.PulseAudio() as pa:
            agent = self.start_agent(pa, ["--audio-sink=speakers"])
            self.wait_agent_log(agent, "sound server ready")
            self.assertIn("desktop sound from speakers.monitor", agent.stderr())
            self.assertNotIn("thindesk", pa.names("sinks"))
            c = self.connect(agent)
            c.iterate(0.5)
            t0 = time.monotonic()
            self.play(pa, self.tone_file(440, 2.5), device="speakers")
            self.assert_tone(self.received_tone(c, t0, 1.0), 440)

    def test_missing_configured_sink(self):
        with soundserver.PulseAudio() as pa:
            agent = self.start_agent(pa, ["--audio-sink=nosuch"])
            self.wait_agent_log(agent, "sound server ready")
            err = agent.stderr()
            self.assertIn("no sink named 'nosuch'", err)
            self.assertIn("microphone as source thindesk-mic", err)
            self.assertIn("thindesk-mic", pa.names("sources"))

    def test_audio_off(self):
        with soundserver.PulseAudio() as pa:
            agent = self.start_agent(pa, ["--audio=off"])
            c = audioclient.AudioClient(agent.port, agent.password)
            self.addCleanup(c.close)
            self.assertTrue(c.wait(lambda: c.main and c.display, 30))
            c.iterate(1.0)
            self.assertIsNone(c.playback)
            self.assertNotIn("thindesk", pa.names("sinks"))

    def parec(self, pa, out_file):
        p = subprocess.Popen(["parec", "--device=thindesk-mic", "--format=s16le",
                              "--rate=48000", "--channels=2", "--latency-msec=20"],
                             env=pa.env, stdout=out_file, stderr=subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def send_tone(self, c, freq, rate, seconds, until=None):
        """Real-time microphone: 10 ms of a tone every 10 ms. Stops early
        when @until() is true; returns the time it stopped."""
        sent, start, block = 0, time.monotonic(), rate // 100
        while time.monotonic() - start < seconds and not (until and until()):
            due = int((time.monotonic() - start) * rate)
            while sent + block <= due:
                c.send_mic(soundserver.tone_frames(freq, block, sent, AMPLITUDE, rate))
                sent += block
            c.iterate(0.003)
        return time.monotonic()

    def test_microphone_reaches_guest_source(self):
        with soundserver.PulseAudio() as pa:
            agent = self.start_agent(pa)
            self.wait_agent_log(agent, "sound server ready")
            before = pa.default("source")
            c = self.connect(agent)
            tdtest.wait_for(lambda: pa.default("source") == "thindesk-mic", 10,
                            what="thindesk-mic to become the default source")
            # The client's microphone stays closed until a guest application records.
            c.iterate(1.5)
            self.assertIsNone(c.record_format, "the client's microphone opened for nobody")
            out = os.path.join(self.tmp, "mic.raw")
            with open(out, "wb") as f:
                rec = self.parec(pa, f)
                self.assertTrue(c.wait(lambda: c.record_format, 20), "no record-start")
                self.assertEqual(c.record_format[1:], (2, RATE))
                self.assertRegex(spice_log(), r"record_handle_start: .*freq 48000 mode opus",
                                 "spice-gtk did not negotiate Opus for the microphone")
                self.send_tone(c, 1000, RATE, 3.0)
                tdtest.stop_process(rec)
            with open(out, "rb") as f:
                samples = audioclient.mono(f.read())
            start = audioclient.onset_index(samples)
            self.assertIsNotNone(start, "parec recorded only silence from thindesk-mic")
            tone = samples[start + RATE // 10:start + RATE // 10 + RATE]
            self.assertGreaterEqual(len(tone), RATE // 2, "too little microphone sound")
            freq = self.assert_tone(tone, 1000)
            sys.stderr.write("\n1 kHz microphone: guest recorded %.1f Hz\n" % freq)
            # Nobody records any more: the client's microphone closes.
            self.assertTrue(c.wait(lambda: c.record_stops >= 1, 15), "no record-stop")
            c.close()
            tdtest.wait_for(lambda: pa.default("source") == before, 10,
                            what="the default source to return to %s" % before)

    def test_microphone_at_wrong_rate_is_converted(self):
        # Without Opus the record channel carries raw PCM, and nothing stops
        # a client from sending it at 44.1 kHz although 48 kHz was asked for.
        os.environ["SPICE_DISABLE_OPUS"] = "1"
        try:
            self.check_wrong_rate()
        finally:
            del os.environ["SPICE_DISABLE_OPUS"]

    def check_wrong_rate(self):
        with soundserver.PulseAudio() as pa:
            agent = self.start_agent(pa)
            self.wait_agent_log(agent, "sound server ready")
            c = self.connect(agent)
            with open(os.devnull, "wb") as null:
                self.parec(pa, null)  # a guest application listens
                self.assertTrue(c.wait(lambda: c.record_format, 20), "no record-start")
            self.assertRegex(spice_log(), r"record_handle_start: .*freq 48000 mode raw")
            # 44.1 kHz sent as if it were 48 kHz: until converted, 1 kHz would
            # come out at 1088 Hz.
            self.send_tone(c, 1000, 44100, 30.0,
                           until=lambda: "converting from 44100 Hz" in agent.stderr())
            self.assertIn("converting from 44100 Hz", agent.stderr(),
                          "the agent did not notice the 44.1 kHz microphone")
            out = os.path.join(self.tmp, "mic-44k.raw")
            with open(out, "wb") as f:
                rec = self.parec(pa, f)
                self.send_tone(c, 1000, 44100, 3.0)
                tdtest.stop_process(rec)
            with open(out, "rb") as f:
                samples = audioclient.mono(f.read())
            start = audioclient.onset_index(samples)
            self.assertIsNotNone(start, "parec recorded only silence from thindesk-mic")
            tone = samples[start + RATE // 5:start + RATE // 5 + RATE]
            self.assertGreaterEqual(len(tone), RATE // 2)
            self.assert_tone(tone, 1000)
            self.assertIsNone(agent.proc.poll())

    def test_sound_server_restart(self):
        with soundserver.PulseAudio() as pa:
            agent = self.start_agent(pa)
            self.wait_agent_log(agent, "sound server ready")
            c = self.connect(agent)
            c.iterate(0.5)
            t0 = time.monotonic()
            self.play(pa, self.tone_file(440, 20.0, "long.wav"))
            self.assert_tone(self.received_tone(c, t0, 0.5), 440)
            pa.kill()
            pa.start()
            self.wait_agent_log(agent, "lost the sound server")
            tdtest.wait_for(lambda: "thindesk" in pa.names("sinks"), 20,
                            what="the agent to recreate its sink")
            c.iterate(0.5)
            t1 = time.monotonic()
            self.play(pa, self.tone_file(440, 3.0))
            self.assert_tone(self.received_tone(c, t1, 1.0), 440)
            self.assertIsNone(agent.proc.poll())
            # Stopping the agent while a client listens is clean too.
            self.assertEqual(agent.stop(), 0, agent.stderr())

    def test_no_sound_server(self):
        pa_dir = tempfile.mkdtemp(prefix="thindesk-nopulse-")
        socket = os.path.join(pa_dir, "native")
        agent = tdtest.Agent(args=["--capture=fake"], env={"PULSE_SERVER": "unix:" + socket})
        self.addCleanup(agent.__exit__, None, None, None)
        self.wait_agent_log(agent, "no sound server")
        # The desktop is served meanwhile.
        c = audioclient.AudioClient(agent.port, agent.password)
        self.addCleanup(c.close)
        self.assertTrue(c.wait(lambda: c.display and c.display.get_property("width") > 0, 30))
        time.sleep(3)  # several retries
        self.assertEqual(agent.stderr().count("no sound server"), 1, agent.stderr())
        # A sound server that appears later is used without restarting the agent.
        with soundserver.PulseAudio(pa_dir) as pa:
            tdtest.wait_for(lambda: "thindesk" in pa.names("sinks"), 20,
                            what="the agent to find the new sound server")


if __name__ == "__main__":
    tdtest.main()
