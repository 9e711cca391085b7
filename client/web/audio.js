// Sound both ways (PROTOCOL.md: AUDIO 0x09, MIC 0x86).
//
// Desktop sound: each AUDIO message holds one 20 ms Opus packet, decoded by
// WebCodecs' AudioDecoder and queued in the thindesk-player AudioWorklet
// (audio-worklet.js), a jitter buffer of about 50 ms that drops instead of
// growing. Browsers start an AudioContext suspended until the user
// interacts: the first click or key resumes it, and until then the status
// line says that sound needs a click.
//
// Microphone: the Microphone button opens getUserMedia; its blocks come
// through the thindesk-capture worklet and are encoded by AudioEncoder
// ('opus', 20 ms) into MIC messages. Without AudioDecoder (Firefox for
// Android) sound is off and the status line says so.

const AUDIO = 0x09;
const MIC = 0x86;
const RATE = 48000;
const MAX_DECODE_QUEUE = 10; // packets (200 ms): beyond, the decoder is behind and new ones drop

let session = null;
let ctx = null;
let player = null;
let output = null;       // GainNode between the player and the speakers (tests tap it)
let ready = null;        // promise: the worklet module is loaded
let decoder = null;
let lastTs = null, unwrapped = 0;
let mic = null;          // {stream, source, node, encoder}
let micButton = null;
const state = {
  packets: 0, bytes: 0, decoded: 0, decodeDropped: 0, decodeErrors: 0,
  micPackets: 0, micBytes: 0, player: null, suspended: false, unsupported: null,
};

function status(text) {
  session.setStatus('audio', text);
}

function updateStatus() {
  if (state.unsupported) status(state.unsupported);
  else if (ctx && ctx.state !== 'running' && state.packets > 0) status('Sound: click the page to hear it');
  else if (mic) status('Microphone on');
  else status(null);
}

function ensureContext() {
  if (ctx) return ready;
  ctx = new AudioContext({ sampleRate: RATE, latencyHint: 'interactive' });
  ctx.onstatechange = updateStatus;
  ready = ctx.audioWorklet.addModule(new URL('./audio-worklet.js', import.meta.url)).then(() => {
    player = new AudioWorkletNode(ctx, 'thindesk-player', { numberOfInputs: 0, outputChannelCount: [2] });
    player.port.onmessage = (e) => { state.player = e.data; };
    output = ctx.createGain();
    player.connect(output);
    output.connect(ctx.destination);
  });
  return ready;
}

function resume() {
  if (ctx && ctx.state === 'suspended') ctx.resume().then(updateStatus, () => {});
}

function onDecoded(data) {
  if (player) {
    const n = data.numberOfFrames;
    const l = new Float32Array(n), r = new Float32Array(n);
    data.copyTo(l, { planeIndex: 0, format: 'f32-planar' });
    if (data.numberOfChannels > 1) data.copyTo(r, { planeIndex: 1, format: 'f32-planar' });
    else r.set(l);
    player.port.postMessage({ l, r }, [l.buffer, r.buffer]);
    state.decoded++;
  }
  data.close();
}

function makeDecoder() {
  decoder = new AudioDecoder({
    output: onDecoded,
    error: (err) => {
      state.decodeErrors++;
      console.error('thindesk: audio decoder:', err);
      decoder = null; // a new one for the next packet
    },
  });
  decoder.configure({ codec: 'opus', sampleRate: RATE, numberOfChannels: 2 });
}

function onAudio(v) {
  if (v.byteLength < 6) return;
  const ts = v.getUint32(1, true);
  state.packets++;
  state.bytes += v.byteLength;
  if (lastTs !== null) unwrapped += (ts - lastTs) >>> 0;
  lastTs = ts;
  ensureContext();
  updateStatus();
  if (!player) return; // the worklet is still loading: these 20 ms are lost
  if (!decoder || decoder.state === 'closed') makeDecoder();
  if (decoder.decodeQueueSize > MAX_DECODE_QUEUE) {
    state.decodeDropped++;
    return;
  }
  const data = new Uint8Array(v.buffer, v.byteOffset + 5, v.byteLength - 5);
  decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp: Math.round((unwrapped * 1e6) / RATE), data }));
}

// --- microphone ---

function sendMic(chunk) {
  const msg = new Uint8Array(5 + chunk.byteLength);
  const v = new DataView(msg.buffer);
  v.setUint8(0, MIC);
  v.setUint32(1, Math.round((chunk.timestamp * RATE) / 1e6) >>> 0, true);
  chunk.copyTo(msg.subarray(5));
  session.send(msg);
  state.micPackets++;
  state.micBytes += msg.byteLength;
}

async function startMic() {
  await ensureContext();
  resume();
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: true, noiseSuppression: false, autoGainControl: false },
  });
  const encoder = new AudioEncoder({
    output: sendMic,
    error: (err) => { console.error('thindesk: microphone encoder:', err); stopMic(); },
  });
  encoder.configure({ codec: 'opus', sampleRate: ctx.sampleRate, numberOfChannels: 1, bitrate: 64000, opus: { frameDuration: 20000 } });
  const source = ctx.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(ctx, 'thindesk-capture', { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
  let frames = 0;
  node.port.onmessage = (e) => {
    if (encoder.state !== 'configured') return;
    const block = e.data;
    const d = new AudioData({
      format: 'f32-planar', sampleRate: ctx.sampleRate, numberOfFrames: block.length,
      numberOfChannels: 1, timestamp: Math.round((frames * 1e6) / ctx.sampleRate), data: block,
    });
    frames += block.length;
    encoder.encode(d);
    d.close();
  };
  source.connect(node);
  node.connect(ctx.destination); // silent; keeps the node rendered
  mic = { stream, source, node, encoder };
  micButton.textContent = 'Microphone off';
  micButton.setAttribute('aria-pressed', 'true');
  updateStatus();
}

function stopMic() {
  if (!mic) return;
  const m = mic;
  mic = null;
  m.node.port.onmessage = null;
  m.source.disconnect();
  m.node.disconnect();
  for (const t of m.stream.getTracks()) t.stop();
  if (m.encoder.state !== 'closed') m.encoder.close();
  micButton.textContent = 'Microphone';
  micButton.setAttribute('aria-pressed', 'false');
  updateStatus();
}

function addMicButton() {
  micButton = document.createElement('button');
  micButton.type = 'button';
  micButton.id = 'microphone';
  micButton.textContent = 'Microphone';
  micButton.setAttribute('aria-pressed', 'false');
  micButton.addEventListener('click', () => {
    if (mic) stopMic();
    else startMic().catch((err) => {
      console.error('thindesk: microphone:', err);
      status('Microphone unavailable: ' + (err && err.message ? err.message : err));
    });
  });
  const bar = document.getElementById('bar');
  bar.insertBefore(micButton, document.getElementById('fullscreen'));
}

function start(s) {
  session = s;
  window.thindesk.audio = {
    get stats() { return { ...state, context: ctx ? ctx.state : null }; },
    get context() { return ctx; },
    get output() { return output; },
    startMic: () => startMic(),
    stopMic: () => stopMic(),
  };
  if (typeof AudioDecoder === 'undefined' || typeof AudioContext === 'undefined' ||
      typeof AudioWorkletNode === 'undefined') {
    state.unsupported = 'Sound off: this browser has no WebCodecs AudioDecoder';
    updateStatus();
    return;
  }
  for (const ev of ['pointerdown', 'keydown']) document.addEventListener(ev, resume, { capture: true });
  if (typeof AudioEncoder !== 'undefined' && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) addMicButton();
  session.on(AUDIO, onAudio);
  session.on(0x01, (v) => {
    const on = (v.getUint8(2) & 2) !== 0;
    if (micButton) micButton.hidden = !on; // the agent has no sound (--audio=off)
    if (on) ensureContext();
    else stopMic();
  });
  session.onState((st) => {
    if (st === 'open') return;
    stopMic();
    lastTs = null;
    if (player) player.port.postMessage({ cmd: 'reset' });
  });
  // At once, before anyone interacts: the context starts suspended (unless
  // the browser allows autoplay) and the first click or key resumes it.
  ensureContext();
}

export default { name: 'audio', start };
