"""Audio through a real spice-gtk client (Python GI): what its playback
channel receives, and a microphone it feeds through its record channel.
Run with Debian's /usr/bin/python3. Also the signal maths the audio tests
share (dominant frequency, level), in pure Python."""

import ctypes
import math
import struct
import time

import spiceclient
from spiceclient import GObject, Spice, _gpointer, _lib

_lib.spice_record_channel_send_data.argtypes = [ctypes.c_void_p, ctypes.c_void_p,
                                                ctypes.c_size_t, ctypes.c_uint32]
_lib.spice_record_channel_send_data.restype = None


class AudioClient(spiceclient.Client):
    def __init__(self, port, password=None):
        self.playback = None
        self.record = None
        self.playback_starts = []   # (format, channels, rate)
        self.playback_stops = 0
        self.chunks = []            # (monotonic time, bytes) per playback-data
        self.record_format = None   # (format, channels, rate) of record-start
        self.record_stops = 0
        super().__init__(port, password)

    def _on_channel(self, session, channel):
        if isinstance(channel, Spice.PlaybackChannel):
            self.playback = channel
            GObject.Object.connect(channel, "playback-start", self._on_play_start)
            GObject.Object.connect(channel, "playback-data", self._on_play_data)
            GObject.Object.connect(channel, "playback-stop", self._on_play_stop)
        elif isinstance(channel, Spice.RecordChannel):
            self.record = channel
            GObject.Object.connect(channel, "record-start", self._on_record_start)
            GObject.Object.connect(channel, "record-stop", self._on_record_stop)
        super()._on_channel(session, channel)

    def _on_play_start(self, channel, fmt, channels, rate):
        self.playback_starts.append((fmt, channels, rate))

    def _on_play_data(self, channel, data, size):
        self.chunks.append((time.monotonic(), ctypes.string_at(data, size)))

    def _on_play_stop(self, channel):
        self.playback_stops += 1

    def _on_record_start(self, channel, fmt, channels, rate):
        self.record_format = (fmt, channels, rate)

    def _on_record_stop(self, channel):
        self.record_format = None
        self.record_stops += 1

    def pcm(self, since=0.0):
        """Playback bytes received at or after monotonic time @since."""
        return b"".join(d for t, d in self.chunks if t >= since)

    def send_mic(self, pcm):
        """Sends stereo S16 @pcm on the record channel (encoded as negotiated)."""
        buf = ctypes.create_string_buffer(pcm, len(pcm))
        _lib.spice_record_channel_send_data(_gpointer(self.record), buf, len(pcm), 0)


def mono(pcm):
    """Left channel of stereo S16LE bytes, as ints."""
    n = len(pcm) // 4
    return list(struct.unpack("<%dh" % (2 * n), pcm[:4 * n])[0::2])


def rms(samples):
    return math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0


def goertzel(samples, freq, rate=48000):
    w = 2 * math.pi * freq / rate
    coeff = 2 * math.cos(w)
    s1 = s2 = 0.0
    for x in samples:
        s0 = x + coeff * s1 - s2
        s2, s1 = s1, s0
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


def dominant_frequency(samples, rate=48000, lo=50, hi=6000):
    """Strongest frequency: a 10 Hz scan of five 0.1 s pieces spread over
    @samples (their median, so that one piece holding a dropout cannot steer
    the search), then 0.5 Hz steps over all @samples (at least 1 s gives 1 Hz
    resolution) around that peak."""
    piece = rate // 10
    starts = sorted({int(i * max(len(samples) - piece, 0) / 4) for i in range(5)})
    peaks = sorted(max(range(lo, hi, 10), key=lambda f: goertzel(samples[s:s + piece], f, rate))
                   for s in starts)
    coarse = peaks[len(peaks) // 2]
    fine = [coarse - 12 + 0.5 * i for i in range(49)]
    return max(fine, key=lambda f: goertzel(samples, f, rate))


def level_db(samples, reference_rms):
    return 20 * math.log10(max(rms(samples), 1e-9) / reference_rms)


def onset_index(samples, threshold=1000):
    """Index of the first sample louder than @threshold, or None."""
    for i, s in enumerate(samples):
        if abs(s) > threshold:
            return i
    return None
