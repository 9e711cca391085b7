// CLIPBOARD both ways (PROTOCOL.md) through the async Clipboard API: text,
// and PNG images where the browser allows them.
//
// Desktop -> here: the agent sends the desktop's clipboard when it changes;
// it is written to the local clipboard at once if the browser lets the page
// (focused, permission), else on the next key press, click or focus (a user
// gesture, which Firefox and Safari require).
// Here -> desktop: the local clipboard is read when the page gets focus and
// on a click (where reading needs no prompt each time: Chromium), and on
// Ctrl/Cmd+V, and sent when it differs from what was last sent or received,
// so the desktop pastes what the person copied last.
const CLIPBOARD_OUT = 0x84;
const CLIPBOARD_IN = 0x0a;
const TEXT = 1;
const PNG = 2;
const MAX_BYTES = 1 << 20; // PROTOCOL.md: a page message is at most 1 MiB
const READ_GAP_MS = 300;   // at most one local read per this long

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

function equalBytes(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function start(session) {
  const cb = navigator.clipboard;
  if (!cb) {
    session.setStatus('clipboard', 'no clipboard (needs a secure page)');
    return;
  }
  let open = false;
  let enabled = false;
  let pending = null; // {kind, bytes} from the desktop, not yet written here
  let last = null;    // {kind, bytes}: the latest either way
  let reading = false;
  let readAgain = false;
  let readTimer = 0;
  let lastRead = 0;

  session.onState((s) => {
    open = s === 'open';
    enabled = open && (session.hello() & 4) !== 0;
    last = null;
    if (enabled && quietReads) readLocal();
  });

  async function writeLocal() {
    if (!pending) return;
    const { kind, bytes } = pending;
    try {
      if (kind === TEXT) {
        await cb.writeText(decoder.decode(bytes));
      } else if (typeof ClipboardItem !== 'undefined' && cb.write) {
        await cb.write([new ClipboardItem({ 'image/png': new Blob([bytes], { type: 'image/png' }) })]);
      } else {
        pending = null; // no image clipboard in this browser
        return;
      }
      if (pending && pending.bytes === bytes) pending = null;
    } catch {
      // Not allowed yet: the next gesture or focus tries again.
    }
  }

  session.on(CLIPBOARD_IN, (view) => {
    const kind = view.getUint8(1);
    if (kind !== TEXT && kind !== PNG) return;
    const bytes = new Uint8Array(view.buffer.slice(view.byteOffset + 2, view.byteOffset + view.byteLength));
    last = { kind, bytes };
    pending = { kind, bytes };
    writeLocal();
  });

  function sendLocal(kind, bytes) {
    if (!enabled || bytes.length === 0) return;
    if (bytes.length + 2 > MAX_BYTES) {
      session.setStatus('clipboard', 'clipboard too large to send');
      return;
    }
    session.setStatus('clipboard', null);
    if (last && last.kind === kind && equalBytes(last.bytes, bytes)) return;
    last = { kind, bytes };
    const msg = new Uint8Array(2 + bytes.length);
    msg[0] = CLIPBOARD_OUT;
    msg[1] = kind;
    msg.set(bytes, 2);
    session.send(msg);
  }

  async function readLocal() {
    if (!enabled || pending) return; // the desktop's is newer
    if (reading) {
      readAgain = true; // what we read may be older than this gesture
      return;
    }
    const now = performance.now();
    if (now - lastRead < READ_GAP_MS) {
      // Too soon after the last read: read once more when the gap is over.
      if (!readTimer) readTimer = setTimeout(() => { readTimer = 0; readLocal(); }, READ_GAP_MS - (now - lastRead));
      return;
    }
    lastRead = now;
    reading = true;
    try {
      if (cb.read) {
        const items = await cb.read();
        for (const item of items) {
          if (item.types.includes('text/plain')) {
            const text = await (await item.getType('text/plain')).text();
            sendLocal(TEXT, encoder.encode(text));
            return;
          }
          if (item.types.includes('image/png')) {
            const blob = await item.getType('image/png');
            sendLocal(PNG, new Uint8Array(await blob.arrayBuffer()));
            return;
          }
        }
      } else if (cb.readText) {
        sendLocal(TEXT, encoder.encode(await cb.readText()));
      }
    } catch {
      // Denied or nothing there: nothing to send.
    } finally {
      reading = false;
      if (readAgain) {
        readAgain = false;
        readLocal();
      }
    }
  }

  // Chromium reads behind a permission it asks for once; Firefox and Safari
  // show a "Paste" button at every read, so they read on Ctrl/Cmd+V only.
  let quietReads = false;
  if (navigator.permissions) {
    navigator.permissions.query({ name: 'clipboard-read' })
      .then((st) => { quietReads = st.state !== 'denied'; st.onchange = () => { quietReads = st.state !== 'denied'; }; })
      .catch(() => { quietReads = false; });
  }

  function onGesture(e) {
    if (!enabled) return;
    if (pending) {
      writeLocal();
      return;
    }
    const paste = e.type === 'keydown' && (e.ctrlKey || e.metaKey) && e.code === 'KeyV';
    if (paste || (quietReads && e.type === 'pointerdown')) readLocal();
  }

  window.addEventListener('focus', () => {
    if (pending) writeLocal();
    else if (quietReads) readLocal();
  });
  window.addEventListener('keydown', onGesture, true);
  window.addEventListener('pointerdown', onGesture, true);
}

export default { name: 'clipboard', start };
