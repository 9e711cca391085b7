// thindesk's browser client: login, the socket worker, the status line.
//
// The Worker (worker.js) owns the WebSocket and the canvas (an
// OffscreenCanvas), decodes tiles and draws them. This module handles the
// login, reconnects, the cursor and the status line, and starts the feature
// modules listed in features.js with this session API:
//   session.canvas           the <canvas> element (for events; the worker draws)
//   session.send(bytes)      send one page-to-agent message (ArrayBuffer or typed array)
//   session.on(type, fn)     fn(DataView) for agent-to-page messages of that type byte
//                            (0x01 HELLO, 0x09 AUDIO, 0x0a CLIPBOARD, 0x0b LEDS, ...)
//   session.onState(fn)      fn('open' | 'closed' | 'bye')
//   session.desktopSize()    {width, height} of the desktop
//   session.toDesktop(cx, cy) client (CSS) coordinates to desktop pixels, or null
//   session.hello()          the HELLO flags (bit0 view-only, ...)
//   session.setStatus(name, text)  adds "text" to the status line (null removes)
import features from './features.js';

const $ = (id) => document.getElementById(id);
const canvas = $('screen');
const BYE_TEXT = {
  1: 'This desktop was taken over by another viewer.',
  2: 'Your session expired. Log in again.',
  3: 'The remote desktop agent stopped.',
  4: 'The connection broke a rule of the protocol.',
  5: 'The desktop went away.',
};
const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];

const handlers = new Map();
const stateHandlers = [];
const extraStatus = new Map();
let desktop = { width: 0, height: 0 };
let helloFlags = 0;
let worker = null;
let attempt = 0;
let retryTimer = 0;
let stats = { fps: 0, rtt: null };
let state = 'starting';
let cursorUrl = null;
let connects = 0;

function setState(s) {
  state = s;
  for (const fn of stateHandlers) fn(s);
}

function showStatus(text) {
  const extras = [...extraStatus.values()];
  $('status').textContent = [text, ...extras].join(' · ');
}

function liveStatus() {
  const parts = [`Connected ${desktop.width}×${desktop.height}`];
  if (stats.rtt !== null) parts.push(`${stats.rtt.toFixed(0)} ms`);
  parts.push(`${stats.fps} fps`);
  showStatus(parts.join(' · '));
}

function notice(text, canRetry) {
  $('notice-text').textContent = text;
  $('again').hidden = !canRetry;
  $('notice').hidden = false;
}

function showLogin(text) {
  $('login-text').textContent = text;
  $('login').hidden = false;
  $('notice').hidden = true;
  showStatus('Not logged in');
  $('password').focus();
}

async function postLogin(body) {
  const r = await fetch('/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body,
    credentials: 'same-origin',
    cache: 'no-store',
  });
  return r.status;
}

async function hasSession() {
  try {
    const r = await fetch('/session', { credentials: 'same-origin', cache: 'no-store' });
    return r.status === 204 ? 'yes' : r.status === 401 ? 'no' : 'unknown';
  } catch {
    return 'unknown'; // the network is down: keep trying
  }
}

function pageSize() {
  const dpr = window.devicePixelRatio || 1;
  return { width: Math.round(innerWidth * dpr), height: Math.round(innerHeight * dpr) };
}

function setCursor(m) {
  if (cursorUrl) URL.revokeObjectURL(cursorUrl);
  cursorUrl = null;
  if (!m.width || !m.height) {
    canvas.style.cursor = 'none';
    return;
  }
  const off = new OffscreenCanvas(m.width, m.height);
  off.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(m.rgba), m.width, m.height), 0, 0);
  off.convertToBlob({ type: 'image/png' }).then((blob) => {
    cursorUrl = URL.createObjectURL(blob);
    canvas.style.cursor = `url(${cursorUrl}) ${m.hotX} ${m.hotY}, default`;
  });
}

function scheduleRetry() {
  clearTimeout(retryTimer);
  const delay = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
  attempt++;
  showStatus(`Connection lost; trying again in ${(delay / 1000).toFixed(1)} s`);
  retryTimer = setTimeout(async () => {
    const s = await hasSession();
    if (s === 'no') {
      showLogin('Your login expired. Log in again.');
      return;
    }
    connect();
  }, delay);
}

function onWorkerMessage(e) {
  const m = e.data;
  switch (m.type) {
    case 'open':
      showStatus('Connected; waiting for the desktop');
      break;
    case 'hello':
      attempt = 0;
      connects++;
      helloFlags = m.flags;
      desktop = { width: m.width, height: m.height };
      $('notice').hidden = true;
      setState('open');
      liveStatus();
      break;
    case 'size':
      desktop = { width: m.width, height: m.height };
      liveStatus();
      break;
    case 'stats':
      stats = { fps: m.fps, rtt: m.rtt };
      if (state === 'open') liveStatus();
      break;
    case 'cursor':
      setCursor(m);
      break;
    case 'message': {
      const view = new DataView(m.data);
      for (const fn of handlers.get(view.getUint8(0)) || []) fn(view);
      break;
    }
    case 'bye':
      setState('bye');
      showStatus('Disconnected');
      notice(m.text || BYE_TEXT[m.reason] || 'The agent ended the session.', true);
      $('notice').dataset.reason = String(m.reason);
      break;
    case 'closed':
      if (state === 'bye') break;
      setState('closed');
      scheduleRetry();
      break;
    case 'snapshot':
      pendingSnapshots.get(m.id)?.(m);
      pendingSnapshots.delete(m.id);
      break;
  }
}

function connect() {
  $('login').hidden = true;
  showStatus('Connecting…');
  const url = new URL('/ws', location.href);
  url.protocol = 'wss:';
  worker.postMessage({ type: 'connect', url: url.href, size: pageSize() });
}

const session = {
  canvas,
  send(bytes) {
    const buf = bytes instanceof ArrayBuffer ? bytes : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    worker.postMessage({ type: 'send', data: buf }, [buf]);
  },
  on(type, fn) {
    if (!handlers.has(type)) handlers.set(type, []);
    handlers.get(type).push(fn);
  },
  onState(fn) {
    stateHandlers.push(fn);
  },
  desktopSize() {
    return { ...desktop };
  },
  toDesktop(cx, cy) {
    const r = canvas.getBoundingClientRect();
    if (!r.width || !r.height || !desktop.width) return null;
    const x = Math.floor(((cx - r.left) * desktop.width) / r.width);
    const y = Math.floor(((cy - r.top) * desktop.height) / r.height);
    if (x < 0 || y < 0 || x >= desktop.width || y >= desktop.height) return null;
    return { x, y };
  },
  hello() {
    return helloFlags;
  },
  setStatus(name, text) {
    if (text === null) extraStatus.delete(name);
    else extraStatus.set(name, text);
  },
};

// For tests and curious people: window.thindesk.snapshot() resolves to the
// canvas pixels ({width, height, rgba: base64}) and the decoder counters.
const pendingSnapshots = new Map();
let snapshotId = 0;
window.thindesk = {
  get state() {
    return state;
  },
  get stats() {
    return { ...stats };
  },
  get connects() {
    return connects; // sessions that reached HELLO
  },
  get hello() {
    return helloFlags;
  },
  dropSocket() {
    worker.postMessage({ type: 'drop' }); // as a network drop: no BYE
  },
  snapshot() {
    const id = ++snapshotId;
    return new Promise((resolve) => {
      pendingSnapshots.set(id, resolve);
      worker.postMessage({ type: 'snapshot', id });
    });
  },
  counters() {
    return this.snapshot().then((m) => m.counters);
  },
};

async function start() {
  const off = canvas.transferControlToOffscreen();
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = onWorkerMessage;
  worker.postMessage({ type: 'canvas', canvas: off }, [off]);
  for (const f of features) {
    try {
      f.start(session);
    } catch (err) {
      console.error(`thindesk: feature ${f.name} failed to start`, err);
    }
  }
  $('fullscreen').addEventListener('click', () => {
    document.documentElement.requestFullscreen?.().catch(() => {});
  });
  $('again').addEventListener('click', () => {
    $('notice').hidden = true;
    attempt = 0;
    connect();
  });
  $('login').addEventListener('submit', async (e) => {
    e.preventDefault();
    const pw = $('password').value;
    $('password').value = '';
    const st = await postLogin('p=' + encodeURIComponent(pw));
    if (st === 204) connect();
    else if (st === 429) showLogin('Too many failed attempts. Wait a moment, then try again.');
    else showLogin('Wrong password. Try again.');
  });

  const m = /^#t=([A-Za-z0-9]{1,128})$/.exec(location.hash);
  if (m) {
    // The token works once: take it out of the address bar and history.
    history.replaceState(null, '', location.pathname + location.search);
    const st = await postLogin('t=' + m[1]);
    if (st !== 204) {
      showLogin(st === 429
        ? 'Too many failed attempts. Wait a moment, then log in with the password.'
        : 'This login link was already used or has expired. Log in with the password, or ask for a new link.');
      return;
    }
  } else if ((await hasSession()) !== 'yes') {
    showLogin('Log in to this desktop.');
    return;
  }
  connect();
}

start();
