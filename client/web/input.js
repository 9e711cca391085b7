// Keyboard and pointer: KEY, POINTER, LEDS and RELEASE_ALL (PROTOCOL.md).
//
// Keys go by KeyboardEvent.code, the physical key: the desktop's layout
// makes the characters, so AltGr and dead keys work as on a local keyboard.
// Every key the page sends has its default prevented, so Tab, Backspace,
// F5 or Ctrl+W act on the desktop and not on the page; in full screen the
// Keyboard Lock API also captures Esc, Alt+Tab and friends (Chromium).
// Pointer positions are desktop pixels, whatever the canvas is scaled to.
const KEY = 0x82;
const POINTER = 0x83;
const LEDS = 0x88;
const RELEASE_ALL = 0x8a;
const CODE_MAX = 32;
const LOCK_CODES = new Set(['CapsLock', 'NumLock', 'ScrollLock']);
// DOM MouseEvent.buttons bits -> PROTOCOL.md bits (left, middle, right, back, forward).
const DOM_BUTTONS = [[1, 1], [4, 2], [2, 4], [8, 8], [16, 16]];
// What one wheel notch is in the browser's units.
const WHEEL_DELTA_PER_NOTCH = 120; // legacy wheelDelta, the same in every engine
const PIXELS_PER_NOTCH = 100;
const LINES_PER_NOTCH = 3;

function encodeKey(down, code) {
  const msg = new Uint8Array(3 + code.length);
  msg[0] = KEY;
  msg[1] = down ? 1 : 0;
  msg[2] = code.length;
  for (let i = 0; i < code.length; i++) msg[3 + i] = code.charCodeAt(i);
  return msg;
}

function encodePointer(x, y, buttons, wheelX, wheelY) {
  const msg = new Uint8Array(8);
  const v = new DataView(msg.buffer);
  v.setUint8(0, POINTER);
  v.setUint16(1, x, true);
  v.setUint16(3, y, true);
  v.setUint8(5, buttons);
  v.setInt8(6, wheelX);
  v.setInt8(7, wheelY);
  return msg;
}

function pageButtons(domButtons) {
  let b = 0;
  for (const [dom, ours] of DOM_BUTTONS) if (domButtons & dom) b |= ours;
  return b;
}

function ledsOf(e) {
  if (typeof e.getModifierState !== 'function') return null;
  return (e.getModifierState('ScrollLock') ? 1 : 0) |
    (e.getModifierState('NumLock') ? 2 : 0) |
    (e.getModifierState('CapsLock') ? 4 : 0);
}

// Whole notches out of a wheel event, keeping the remainder for the next.
function makeWheel() {
  let accX = 0;
  let accY = 0;
  return (e) => {
    if (e.wheelDeltaY !== undefined && (e.wheelDeltaX || e.wheelDeltaY)) {
      accX -= e.wheelDeltaX / WHEEL_DELTA_PER_NOTCH;
      accY -= e.wheelDeltaY / WHEEL_DELTA_PER_NOTCH;
    } else {
      const per = e.deltaMode === 2 ? 1 : e.deltaMode === 1 ? LINES_PER_NOTCH : PIXELS_PER_NOTCH;
      accX += e.deltaX / per;
      accY += e.deltaY / per;
    }
    const clamp = (v) => Math.max(-127, Math.min(127, v));
    const nx = clamp(Math.trunc(accX));
    const ny = clamp(Math.trunc(accY));
    accX -= nx;
    accY -= ny;
    return [nx, ny];
  };
}

function start(session) {
  const canvas = session.canvas;
  let open = false;
  let viewOnly = false;
  let held = new Set(); // codes the page pressed and did not release yet
  let buttons = 0;
  let last = { x: 0, y: 0 };
  let ledSyncPending = true; // tell the desktop our lock keys on the next event
  const wheel = makeWheel();

  session.onState((s) => {
    open = s === 'open';
    viewOnly = open && (session.hello() & 1) !== 0;
    held = new Set();
    buttons = 0;
    if (open) ledSyncPending = true;
  });
  session.on(0x0b, (view) => {
    // The desktop's lock keys, for the status line.
    const l = view.getUint8(1);
    const on = [l & 4 ? 'Caps' : null, l & 2 ? 'Num' : null, l & 1 ? 'Scroll' : null].filter(Boolean);
    session.setStatus('leds', on.length ? `${on.join(' ')} Lock` : null);
  });

  const active = () => open && !viewOnly;
  const send = (m) => session.send(m);

  function syncLeds(e) {
    if (!ledSyncPending || !active()) return;
    if (e.code && LOCK_CODES.has(e.code)) return; // its own state is changing: wait
    const leds = ledsOf(e);
    if (leds === null) return;
    ledSyncPending = false;
    send(new Uint8Array([LEDS, leds]));
  }

  function onKey(e, down) {
    if (!active()) return;
    // Typing into the page's own forms (the login) stays there.
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement) return;
    const code = e.code;
    if (!code || code === 'Unidentified' || code.length > CODE_MAX || !/^[A-Za-z0-9]+$/.test(code))
      return; // an IME or a virtual keyboard: no physical key to send
    if (e.isComposing) return;
    syncLeds(e);
    e.preventDefault();
    e.stopPropagation();
    if (!down && !held.has(code)) return;
    if (down) held.add(code);
    else held.delete(code);
    send(encodeKey(down, code));
  }

  function releaseAll() {
    if (!open) return;
    held = new Set();
    buttons = 0;
    send(new Uint8Array([RELEASE_ALL]));
  }

  function position(e) {
    const r = canvas.getBoundingClientRect();
    const d = session.desktopSize();
    if (!r.width || !r.height || !d.width || !d.height) return null;
    // The canvas shows the whole desktop scaled into its box.
    const x = Math.floor(((e.clientX - r.left) * d.width) / r.width);
    const y = Math.floor(((e.clientY - r.top) * d.height) / r.height);
    return {
      x: Math.max(0, Math.min(d.width - 1, x)),
      y: Math.max(0, Math.min(d.height - 1, y)),
    };
  }

  function onPointer(e) {
    if (!active()) return;
    const p = position(e);
    if (!p) return;
    syncLeds(e);
    const b = pageButtons(e.buttons);
    if (e.type === 'pointermove' && p.x === last.x && p.y === last.y && b === buttons) return;
    last = p;
    buttons = b;
    send(encodePointer(p.x, p.y, b, 0, 0));
  }

  window.addEventListener('keydown', (e) => onKey(e, true), true);
  window.addEventListener('keyup', (e) => onKey(e, false), true);
  canvas.addEventListener('pointermove', onPointer);
  canvas.addEventListener('pointerdown', (e) => {
    canvas.focus({ preventScroll: true });
    // Keep getting moves and the release when the pointer leaves the canvas.
    try { canvas.setPointerCapture(e.pointerId); } catch { /* not a real pointer */ }
    onPointer(e);
    if (active()) e.preventDefault();
  });
  canvas.addEventListener('pointerup', onPointer);
  canvas.addEventListener('pointercancel', onPointer);
  canvas.addEventListener('contextmenu', (e) => { if (active()) e.preventDefault(); });
  canvas.addEventListener('auxclick', (e) => { if (active()) e.preventDefault(); });
  canvas.addEventListener('wheel', (e) => {
    if (!active()) return;
    e.preventDefault();
    const [nx, ny] = wheel(e);
    if (!nx && !ny) return;
    // Where the pointer is already: wheel events carry whole CSS pixels
    // only, which would move it by a desktop pixel on a scaled canvas.
    send(encodePointer(last.x, last.y, buttons, nx, ny));
  }, { passive: false });

  // Leaving the page: nothing stays pressed on the desktop.
  window.addEventListener('blur', releaseAll);
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) releaseAll();
  });
  // Coming back: our lock keys may have changed meanwhile.
  window.addEventListener('focus', () => { ledSyncPending = true; });

  // Full screen: let Esc, Alt+Tab, Ctrl+W... reach the desktop where the
  // browser allows it (Chromium's Keyboard Lock; holding Esc still leaves).
  document.addEventListener('fullscreenchange', () => {
    const kb = navigator.keyboard;
    if (!kb || typeof kb.lock !== 'function') return;
    if (document.fullscreenElement) kb.lock().catch(() => {});
    else kb.unlock();
  });

  // For tests: what the module sent recently is not kept; expose the codec.
  window.thindeskInput = { encodeKey, encodePointer, pageButtons };
}

export default { name: 'input', start };
