// AudioWorklet processors for audio.js (loaded from self, CSP-clean).
//
// thindesk-player: a jitter buffer in front of the speakers. The page posts
// decoded stereo blocks ({l, r}: Float32Arrays at the context's 48 kHz; 20 ms
// each). Playback starts once START_MS are queued, so the queue then swings
// between about START_MS and START_MS - 20 ms as packets come and go (a mean
// near 45 ms). An empty queue plays silence and waits for START_MS again (a
// pause in the desktop's sound looks the same). Latency never grows: when
// the lowest level of a whole second stayed above HIGH_MS (the agent's clock
// a little faster than ours, or a burst after a network stall) the excess
// over TRIM_MS is dropped, and a block that would pass MAX_MS drops the
// oldest frames down to START_MS at once.
//
// thindesk-capture: hands the microphone's blocks (mono) to the page.

const START_MS = 55;
const TRIM_MS = 35;
const HIGH_MS = 50;
const MAX_MS = 150;
const STATS_MS = 250;

class Player extends AudioWorkletProcessor {
  constructor() {
    super();
    const ms = sampleRate / 1000;
    this.start = Math.round(START_MS * ms);
    this.trim = Math.round(TRIM_MS * ms);
    this.high = Math.round(HIGH_MS * ms);
    this.max = Math.round(MAX_MS * ms);
    this.cap = this.max + Math.round(100 * ms);
    this.l = new Float32Array(this.cap);
    this.r = new Float32Array(this.cap);
    this.read = 0;
    this.count = 0;
    this.playing = false;
    this.lowest = Infinity;       // lowest level this window
    this.windowFrames = 0;
    this.statsFrames = 0;
    this.stats = { underruns: 0, droppedFrames: 0, receivedFrames: 0, playedFrames: 0, levelSum: 0, levelN: 0 };
    this.port.onmessage = (e) => this.onMessage(e.data);
    this.stats.trims = 0;
  }

  drop(n) {
    n = Math.min(n, this.count);
    this.read = (this.read + n) % this.cap;
    this.count -= n;
    this.stats.droppedFrames += n;
  }

  onMessage(m) {
    if (m.cmd === 'reset') {
      this.count = 0;
      this.playing = false;
      return;
    }
    let { l, r } = m;
    this.stats.receivedFrames += l.length;
    if (l.length > this.max) { // one huge block: only its newest part fits
      this.stats.droppedFrames += l.length - this.max;
      l = l.subarray(l.length - this.max);
      r = r.subarray(r.length - this.max);
    }
    const n = l.length;
    if (this.count + n > this.max) this.drop(this.count + n - this.start);
    let w = (this.read + this.count) % this.cap;
    for (let i = 0; i < n; i++) {
      this.l[w] = l[i];
      this.r[w] = r[i];
      w = w + 1 === this.cap ? 0 : w + 1;
    }
    this.count += n;
  }

  process(inputs, outputs) {
    const out = outputs[0];
    const ol = out[0], or = out[1] || out[0];
    const n = ol.length;
    if (!this.playing && this.count >= this.start) this.playing = true;
    let i = 0;
    if (this.playing) {
      for (; i < n && this.count > 0; i++) {
        ol[i] = this.l[this.read];
        or[i] = this.r[this.read];
        this.read = this.read + 1 === this.cap ? 0 : this.read + 1;
        this.count--;
      }
      this.stats.playedFrames += i;
      if (i < n) {
        this.playing = false; // ran dry: refill before playing on
        this.stats.underruns++;
      } else {
        this.stats.levelSum += this.count;
        this.stats.levelN++;
        this.lowest = Math.min(this.lowest, this.count);
      }
    }
    for (; i < n; i++) ol[i] = or[i] = 0;
    this.windowFrames += n;
    if (this.windowFrames >= sampleRate) {
      if (this.playing && this.lowest !== Infinity && this.lowest > this.high) {
        this.drop(this.lowest - this.trim);
        this.stats.trims++;
      }
      this.lowest = Infinity;
      this.windowFrames = 0;
    }
    this.statsFrames += n;
    if (this.statsFrames >= (STATS_MS * sampleRate) / 1000) {
      this.statsFrames = 0;
      const s = this.stats;
      this.port.postMessage({
        levelMs: (this.count * 1000) / sampleRate,
        meanLevelMs: s.levelN ? (s.levelSum / s.levelN) * 1000 / sampleRate : 0,
        underruns: s.underruns, droppedFrames: s.droppedFrames, trims: s.trims,
        receivedFrames: s.receivedFrames, playedFrames: s.playedFrames, playing: this.playing,
      });
    }
    return true;
  }
}

class Capture extends AudioWorkletProcessor {
  process(inputs, outputs) {
    const input = inputs[0];
    if (input && input.length) this.port.postMessage(input[0].slice(0));
    for (const ch of outputs[0] || []) ch.fill(0);
    return true;
  }
}

registerProcessor('thindesk-player', Player);
registerProcessor('thindesk-capture', Capture);
