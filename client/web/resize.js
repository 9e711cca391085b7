// RESIZE (PROTOCOL.md): the space the page gives the desktop, in device
// pixels (CSS pixels × devicePixelRatio), so the desktop matches the
// browser window one to one. Debounced: a window being dragged sends its
// last size only.
const RESIZE = 0x85;
const DEBOUNCE_MS = 150;
const MAX = 0xffff;

function start(session) {
  const stage = session.canvas.parentElement || document.documentElement;
  let open = false;
  let timer = 0;
  let sent = null;
  let size = null;

  function measure(entry) {
    const dpr = window.devicePixelRatio || 1;
    const dev = entry && entry.devicePixelContentBoxSize && entry.devicePixelContentBoxSize[0];
    if (dev) return { width: Math.round(dev.inlineSize), height: Math.round(dev.blockSize) };
    const r = stage.getBoundingClientRect();
    return { width: Math.round(r.width * dpr), height: Math.round(r.height * dpr) };
  }

  function flush() {
    timer = 0;
    if (!open || !size || !size.width || !size.height) return;
    if (sent && sent.width === size.width && sent.height === size.height) return;
    sent = { ...size };
    const msg = new Uint8Array(5);
    const v = new DataView(msg.buffer);
    v.setUint8(0, RESIZE);
    v.setUint16(1, Math.min(MAX, size.width), true);
    v.setUint16(3, Math.min(MAX, size.height), true);
    session.send(msg);
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(flush, DEBOUNCE_MS);
  }

  const observer = new ResizeObserver((entries) => {
    size = measure(entries[entries.length - 1]);
    schedule();
  });
  try {
    observer.observe(stage, { box: 'device-pixel-content-box' });
  } catch {
    observer.observe(stage); // engines without device-pixel boxes
  }
  // A zoom changes devicePixelRatio without resizing in CSS pixels.
  window.addEventListener('resize', () => {
    size = measure(null);
    schedule();
  });

  session.onState((s) => {
    open = s === 'open' && (session.hello() & 8) !== 0;
    sent = null; // a new session: tell the agent our size once more
    if (open) {
      size = measure(null);
      schedule();
    }
  });
}

export default { name: 'resize', start };
