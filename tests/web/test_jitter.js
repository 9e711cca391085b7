// The page's jitter buffer (client/web/audio-worklet.js, thindesk-player)
// under node, with the AudioWorklet globals stubbed and time simulated in
// render quanta of 128 frames: steady packets, network jitter, an agent
// clock 1% fast, a stall followed by a burst, and a pause. The level must
// stay near its 40-60 ms target and never grow.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const assert = require('assert');

const RATE = 48000, QUANTUM = 128, PACKET = 960;
const file = path.join(__dirname, '..', '..', 'client', 'web', 'audio-worklet.js');
const classes = {};
const sandbox = {
  sampleRate: RATE,
  AudioWorkletProcessor: class { constructor() { this.port = { postMessage() {} }; } },
  registerProcessor: (name, cls) => { classes[name] = cls; },
  Float32Array, Math, Infinity,
};
vm.runInNewContext(fs.readFileSync(file, 'utf8'), sandbox, { filename: file });

// Runs @seconds of rendering; @arrivals(t) gives the times (in frames) at
// which packets arrive. Returns the player and level figures in ms.
function run(seconds, arrivals) {
  const p = new classes['thindesk-player']();
  const out = [[new Float32Array(QUANTUM), new Float32Array(QUANTUM)]];
  const times = arrivals.slice().sort((a, b) => a - b);
  let next = 0, sum = 0, n = 0, max = 0, sample = 0;
  const levels = [];
  for (let t = 0; t < seconds * RATE; t += QUANTUM) {
    while (next < times.length && times[next] <= t) {
      const l = new Float32Array(PACKET).fill(0.5), r = new Float32Array(PACKET).fill(0.5);
      p.onMessage({ l, r });
      next++;
    }
    p.process([], out);
    if (t > RATE) { // past the first second
      const ms = (p.count * 1000) / RATE;
      sum += ms; n++; max = Math.max(max, ms);
    }
    if (t >= sample) { levels.push((p.count * 1000) / RATE); sample += RATE / 2; }
  }
  return { p, mean: sum / n, max, levels, stats: p.stats };
}

function every(periodFrames, seconds, jitter) {
  const out = [];
  let seed = 18;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i * periodFrames < seconds * RATE; i++) {
    const j = jitter ? Math.round((rnd() * 2 - 1) * jitter) : 0;
    out.push(Math.max(0, i * periodFrames + j));
  }
  return out;
}

const results = [];
function check(name, r, fn) {
  fn(r);
  results.push(`${name}: mean ${r.mean.toFixed(1)} ms, max ${r.max.toFixed(1)} ms, ` +
    `${r.stats.underruns} underruns, ${r.stats.droppedFrames} frames dropped, ${r.stats.trims} trims`);
}

// 1. Steady 20 ms packets: no underrun, no drop, the level within 40-60 ms on average.
check('steady', run(10, every(PACKET, 10, 0)), (r) => {
  assert.strictEqual(r.stats.underruns, 0);
  assert.strictEqual(r.stats.droppedFrames, 0);
  assert.ok(r.mean >= 35 && r.mean <= 60, `mean level ${r.mean}`);
  assert.ok(r.max <= 60, `max level ${r.max}`);
});

// 2. ±15 ms of network jitter (in order): no underrun, bounded level.
check('jitter 15 ms', run(10, every(PACKET, 10, 720)), (r) => {
  assert.strictEqual(r.stats.underruns, 0, 'underruns with 15 ms jitter');
  assert.ok(r.max <= 90, `max level ${r.max}`);
});

// 3. The agent's clock 0.1% fast (a real pair of sound-card clocks is
//    closer than that) for 60 s: the level stays in its 40-60 ms band.
check('agent clock +0.1%', run(60, every(PACKET * 0.999, 60, 0)), (r) => {
  assert.strictEqual(r.stats.underruns, 0);
  assert.ok(r.mean >= 35 && r.mean <= 60, `mean level ${r.mean}`);
  assert.ok(r.max <= 90, `max level ${r.max}`);
});

// 3b. 1% fast: 0.6 s of extra sound arrives in the minute; trims keep the
//     level bounded, it never grows.
check('agent clock +1%', run(60, every(PACKET * 0.99, 60, 0)), (r) => {
  assert.ok(r.stats.trims > 0, 'never trimmed');
  assert.ok(r.max <= 110, `max level ${r.max}`);
  const last = r.levels.slice(-20);
  assert.ok(Math.max(...last) <= 110, `late levels ${last}`);
});

// 4. A 400 ms stall: the 20 packets due in it arrive at once at its end.
//    The level is capped at 150 ms and back under 100 ms within 2 s.
{
  const arr = every(PACKET, 6, 0).map((t) => (t >= RATE && t < 1.4 * RATE ? 1.4 * RATE : t));
  check('stall and burst', run(6, arr), (r) => {
    assert.ok(r.max <= 150, `max level ${r.max}`);
    assert.ok(r.stats.droppedFrames > 0, 'the burst dropped nothing');
    assert.ok(r.stats.droppedFrames <= 20 * PACKET, `dropped ${r.stats.droppedFrames} frames`);
    const after = r.levels.slice(8); // from 4 s on
    assert.ok(Math.max(...after) <= 100, `levels after the burst ${after}`);
  });
}

// 5. A pause: silence out, then a fresh start at START_MS.
{
  const arr = every(PACKET, 2, 0).concat(every(PACKET, 2, 0).map((t) => t + 3 * RATE));
  check('pause', run(5, arr), (r) => {
    assert.strictEqual(r.stats.underruns, 1, 'one underrun: the pause');
    assert.strictEqual(r.stats.droppedFrames, 0);
  });
}

for (const line of results) console.log(line);
console.log('jitter buffer: all checks passed');
