// The socket and the pixels: this Worker owns the WebSocket and the
// OffscreenCanvas. It decodes tiles with the browser's own decoders
// (createImageBitmap for PNG and JPEG, DecompressionStream for deflate),
// draws each frame whole (copies first, then tiles), acknowledges it, and
// forwards every other message to the page (main.js). Protocol: PROTOCOL.md
// beside the agent's web server.

const T = {
  HELLO: 0x01, DESKTOP_SIZE: 0x02, TILE: 0x03, COPY: 0x04, FRAME_END: 0x05, CURSOR: 0x06,
  BYE: 0x0c, PONG: 0x0d,
  CAPS: 0x80, ACK: 0x81, STATS: 0x87, PING: 0x89,
};
const CODEC_PNG = 1, CODEC_JPEG = 2, CODEC_DEFLATE = 3;
const PING_MS = 2000;

let canvas = null;
let ctx = null;
let ws = null;
let pending = [];          // the current frame's copies and tiles, in order
let chain = Promise.resolve();
let bye = null;
let pingTimer = 0;
let rtt = null;
let framesThisSecond = 0, fps = 0, decodeUs = 0, secondTimer = 0;
const counters = { frames: 0, png: 0, jpeg: 0, deflate: 0, copies: 0, bytes: 0, decodeMs: 0 };
let lossyTiles = 0; // JPEG tiles on the canvas not yet covered by a lossless one (approximate)

function post(m, transfer) {
  self.postMessage(m, transfer || []);
}

function u16(v, o) { return v.getUint16(o, true); }
function u32(v, o) { return v.getUint32(o, true); }

function sendBytes(bytes) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(bytes);
}

function resize(w, h) {
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
    ctx = canvas.getContext('2d', { alpha: false });
    ctx.imageSmoothingEnabled = false;
  }
}

async function decodeDeflate(data, w, h) {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream('deflate'));
  const bgrx = new Uint8Array(await new Response(stream).arrayBuffer());
  if (bgrx.length !== w * h * 4) throw new Error('deflate tile of the wrong size');
  const rgba = new Uint8ClampedArray(bgrx.length);
  for (let i = 0; i < bgrx.length; i += 4) {
    rgba[i] = bgrx[i + 2];
    rgba[i + 1] = bgrx[i + 1];
    rgba[i + 2] = bgrx[i];
    rgba[i + 3] = 255;
  }
  return new ImageData(rgba, w, h);
}

function decodeTile(codec, data, w, h) {
  if (codec === CODEC_DEFLATE) return decodeDeflate(data, w, h);
  const type = codec === CODEC_JPEG ? 'image/jpeg' : 'image/png';
  return createImageBitmap(new Blob([data], { type }), {
    premultiplyAlpha: 'none', colorSpaceConversion: 'none',
  });
}

function drawFrame(frame, items) {
  const t0 = performance.now();
  const decoded = items.map((it) => (it.kind === 'tile' ? it.image : null));
  return Promise.all(decoded).then((images) => {
    for (const it of items) {
      if (it.kind === 'copy') {
        ctx.drawImage(canvas, it.sx, it.sy, it.w, it.h, it.dx, it.dy, it.w, it.h);
        counters.copies++;
      }
    }
    items.forEach((it, i) => {
      if (it.kind !== 'tile') return;
      const img = images[i];
      if (img instanceof ImageData) ctx.putImageData(img, it.x, it.y);
      else {
        ctx.drawImage(img, it.x, it.y);
        img.close();
      }
      if (it.codec === CODEC_JPEG) lossyTiles++;
      else if (lossyTiles > 0) lossyTiles--;
    });
    const us = Math.round((performance.now() - t0) * 1000);
    counters.frames++;
    counters.decodeMs += us / 1000;
    decodeUs = us;
    framesThisSecond++;
    const ack = new DataView(new ArrayBuffer(9));
    ack.setUint8(0, T.ACK);
    ack.setUint32(1, frame, true);
    ack.setUint32(5, us, true);
    sendBytes(ack.buffer);
  }, (err) => {
    // A tile that does not decode is the agent's bug, not a reason to stall.
    console.error('thindesk: frame', frame, 'failed to decode:', err);
    const ack = new DataView(new ArrayBuffer(9));
    ack.setUint8(0, T.ACK);
    ack.setUint32(1, frame, true);
    ack.setUint32(5, 0, true);
    sendBytes(ack.buffer);
  });
}

function onMessage(buf) {
  const v = new DataView(buf);
  if (v.byteLength < 1) return;
  const type = v.getUint8(0);
  switch (type) {
    case T.HELLO: {
      const flags = v.getUint8(2), w = u16(v, 3), h = u16(v, 5);
      resize(w, h);
      post({ type: 'hello', flags, width: w, height: h });
      post({ type: 'message', data: buf.slice(0) });
      return;
    }
    case T.DESKTOP_SIZE: {
      const w = u16(v, 1), h = u16(v, 3);
      // Frames drawn before take the old size: wait for them.
      chain = chain.then(() => resize(w, h));
      post({ type: 'size', width: w, height: h });
      return;
    }
    case T.TILE: {
      const codec = v.getUint8(1), x = u16(v, 2), y = u16(v, 4), w = u16(v, 6), h = u16(v, 8);
      const data = new Uint8Array(buf, 14);
      counters.bytes += buf.byteLength;
      counters[codec === CODEC_JPEG ? 'jpeg' : codec === CODEC_DEFLATE ? 'deflate' : 'png']++;
      pending.push({ kind: 'tile', codec, x, y, w, h, image: decodeTile(codec, data, w, h) });
      return;
    }
    case T.COPY:
      pending.push({
        kind: 'copy', sx: u16(v, 1), sy: u16(v, 3), dx: u16(v, 5), dy: u16(v, 7), w: u16(v, 9), h: u16(v, 11),
      });
      return;
    case T.FRAME_END: {
      const frame = u32(v, 1);
      const items = pending;
      pending = [];
      chain = chain.then(() => drawFrame(frame, items));
      return;
    }
    case T.CURSOR: {
      const w = u16(v, 1), h = u16(v, 3);
      const rgba = buf.slice(9, 9 + w * h * 4);
      post({ type: 'cursor', width: w, height: h, hotX: u16(v, 5), hotY: u16(v, 7), rgba }, [rgba]);
      return;
    }
    case T.BYE: {
      const reason = v.getUint8(1);
      const text = new TextDecoder().decode(new Uint8Array(buf, 2));
      bye = { reason, text };
      post({ type: 'bye', reason, text });
      return;
    }
    case T.PONG: {
      const sent = u32(v, 1);
      rtt = ((performance.now() | 0) - sent) >>> 0;
      return;
    }
    default:
      post({ type: 'message', data: buf }, [buf]);
  }
}

function sendCaps(size) {
  const caps = new DataView(new ArrayBuffer(7));
  let flags = 0;
  if (typeof VideoDecoder !== 'undefined') flags |= 1;
  if (typeof AudioDecoder !== 'undefined') flags |= 2;
  if (typeof DecompressionStream !== 'undefined') flags |= 4;
  if (typeof AudioEncoder !== 'undefined') flags |= 8;
  caps.setUint8(0, T.CAPS);
  caps.setUint8(1, 1);
  caps.setUint8(2, flags);
  caps.setUint16(3, Math.min(size.width, 65535), true);
  caps.setUint16(5, Math.min(size.height, 65535), true);
  sendBytes(caps.buffer);
}

function tick() {
  fps = framesThisSecond;
  framesThisSecond = 0;
  post({ type: 'stats', fps, rtt });
  const s = new DataView(new ArrayBuffer(13));
  s.setUint8(0, T.STATS);
  s.setUint32(1, fps * 100, true);
  s.setUint32(5, decodeUs, true);
  s.setUint32(9, rtt === null ? 0 : rtt * 1000, true);
  sendBytes(s.buffer);
}

function ping() {
  const p = new DataView(new ArrayBuffer(5));
  p.setUint8(0, T.PING);
  p.setUint32(1, performance.now() | 0, true);
  sendBytes(p.buffer);
}

function connect(url, size) {
  if (ws) {
    ws.onclose = null;
    ws.close();
  }
  bye = null;
  pending = [];
  chain = Promise.resolve();
  const sock = new WebSocket(url);
  sock.binaryType = 'arraybuffer';
  ws = sock;
  sock.onopen = () => {
    sendCaps(size);
    post({ type: 'open' });
    ping();
    clearInterval(pingTimer);
    pingTimer = setInterval(ping, PING_MS);
    clearInterval(secondTimer);
    secondTimer = setInterval(tick, 1000);
  };
  sock.onmessage = (e) => onMessage(e.data);
  sock.onclose = (e) => {
    if (ws !== sock) return;
    clearInterval(pingTimer);
    clearInterval(secondTimer);
    ws = null;
    post({ type: 'closed', code: e.code, bye });
  };
}

function snapshot(id) {
  chain.then(() => {
    const w = canvas.width, h = canvas.height;
    const data = ctx ? ctx.getImageData(0, 0, w, h).data : new Uint8ClampedArray(0);
    let bin = '';
    for (let i = 0; i < data.length; i += 0x8000) bin += String.fromCharCode.apply(null, data.subarray(i, i + 0x8000));
    post({ type: 'snapshot', id, width: w, height: h, rgba: btoa(bin), counters: { ...counters, lossyTiles } });
  });
}

self.onmessage = (e) => {
  const m = e.data;
  switch (m.type) {
    case 'canvas':
      canvas = m.canvas;
      ctx = canvas.getContext('2d', { alpha: false });
      ctx.imageSmoothingEnabled = false;
      break;
    case 'connect':
      connect(m.url, m.size);
      break;
    case 'send':
      sendBytes(m.data);
      break;
    case 'snapshot':
      snapshot(m.id);
      break;
    case 'drop':
      // Tests: break the socket as a network drop would (no BYE).
      if (ws) ws.close(4000, 'test drop');
      break;
  }
};
