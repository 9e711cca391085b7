// client/web/audio.js in a browser without WebCodecs' AudioDecoder (Firefox
// for Android), under node with the page's globals stubbed: the status line
// says that sound is off, no AudioContext is made, no AUDIO handler is
// registered and no Microphone button appears.
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { fileURLToPath } from 'url';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = fs.readFileSync(path.join(here, '..', '..', 'client', 'web', 'audio.js'), 'utf8');

let contexts = 0;
const added = [];
globalThis.window = { thindesk: {} };
globalThis.AudioContext = class { constructor() { contexts++; } };
globalThis.AudioWorkletNode = class {};
globalThis.AudioEncoder = class {};
globalThis.document = {
  addEventListener: () => {},
  createElement: () => { throw new Error('no button expected'); },
  getElementById: () => ({ insertBefore: (b) => added.push(b) }),
};
// No AudioDecoder.
const mod = await import('data:text/javascript;base64,' + Buffer.from(src).toString('base64'));
const status = new Map();
const handlers = new Map();
mod.default.start({
  setStatus: (name, text) => (text === null ? status.delete(name) : status.set(name, text)),
  on: (type, fn) => handlers.set(type, fn),
  onState: () => {},
  send: () => { throw new Error('nothing to send'); },
});
assert.strictEqual(status.get('audio'), 'Sound off: this browser has no WebCodecs AudioDecoder');
assert.strictEqual(contexts, 0, 'an AudioContext was made');
assert.ok(!handlers.has(0x09), 'an AUDIO handler was registered');
assert.strictEqual(added.length, 0);
assert.strictEqual(window.thindesk.audio.stats.unsupported, status.get('audio'));
console.log('audio.js without AudioDecoder: "' + status.get('audio') + '"');
