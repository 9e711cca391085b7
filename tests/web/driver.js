// A small remote control for Debian's chromium, driven by test_web.py: one
// JSON command a line on stdin, one JSON reply a line on stdout.
//   {"cmd": "open", "page": "a", "url": "https://..."}     a fresh context (own cookies)
//     optional "init": JS run before the page's scripts, and in each of its workers
//   {"cmd": "weval", "page": "a", "expr": "JS"}            its value in the page's first worker
//   {"cmd": "wait", "page": "a", "expr": "JS", "timeout": ms}  until expr is truthy
//   {"cmd": "eval", "page": "a", "expr": "JS"}             its (awaited) value
//   {"cmd": "snapshot", "page": "a", "file": "PATH"}       canvas RGBA into PATH
//   {"cmd": "call", "page": "a", "target": "mouse", "method": "click", "args": [x, y]}
//   {"cmd": "key", "page": "a", "code": "KeyA", "down": true}   one physical key by its code
//   {"cmd": "close", "page": "a"}   {"cmd": "quit"}
// Needs NODE_PATH pointing at node_modules with playwright-core (npm-setup.sh).
'use strict';
const fs = require('fs');
const readline = require('readline');
const { chromium } = require('playwright-core');

const pages = new Map();
let browser = null;

async function launch() {
  browser = await chromium.launch({
    executablePath: process.env.THINDESK_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
      // more switches from the test (e.g. the fake microphone), as a JSON list
      ...JSON.parse(process.env.THINDESK_CHROMIUM_ARGS || '[]')],
    // launch() gives chromium a fresh temporary user-data-dir of its own.
  });
}

async function run(c) {
  const p = pages.get(c.page);
  switch (c.cmd) {
    case 'open': {
      const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: c.viewport || { width: 1000, height: 800 } });
      if (c.init) await context.addInitScript(c.init);
      const page = await context.newPage();
      if (c.init) page.on('worker', (w) => { w.evaluate(c.init).catch(() => {}); });
      const log = [];
      page.on('console', (m) => log.push(m.type() + ': ' + m.text()));
      page.on('pageerror', (e) => log.push('pageerror: ' + e.message));
      pages.set(c.page, { context, page, log });
      await page.goto(c.url);
      return { url: page.url() };
    }
    case 'wait': {
      // Polls with evaluate (CDP, outside the page's CSP): waitForFunction
      // would need 'unsafe-eval', which the page rightly refuses.
      const deadline = Date.now() + (c.timeout || 10000);
      for (;;) {
        if (await p.page.evaluate(c.expr)) return {};
        if (Date.now() > deadline) throw new Error('timed out waiting for ' + c.expr);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    case 'eval':
      return { value: await p.page.evaluate(c.expr) };
    case 'snapshot': {
      const s = await p.page.evaluate('window.thindesk.snapshot()');
      fs.writeFileSync(c.file, Buffer.from(s.rgba, 'base64'));
      return { width: s.width, height: s.height, counters: s.counters };
    }
    case 'call': {
      // {"cmd": "call", "page": "a", "target": "mouse", "method": "click", "args": [x, y]}
      // target: keyboard, mouse, page (setViewportSize...) or context (grantPermissions...)
      const t = c.target === 'context' ? p.context : c.target === 'page' ? p.page : p.page[c.target];
      const v = await t[c.method](...(c.args || []));
      return { value: v === undefined ? null : v };
    }
    case 'key': {
      // {"cmd": "key", "page": "a", "code": "IntlBackslash", "down": true}: one
      // physical key by its KeyboardEvent.code, any code (CDP: no layout table)
      if (!p.cdp) p.cdp = await p.context.newCDPSession(p.page);
      await p.cdp.send('Input.dispatchKeyEvent', { type: c.down ? 'rawKeyDown' : 'keyUp', code: c.code, key: c.key || '' });
      return {};
    }
    case 'weval': {
      const w = p.page.workers()[0];
      if (!w) throw new Error('the page has no worker');
      return { value: await w.evaluate(c.expr) };
    }
    case 'log':
      return { log: p.log };
    case 'close':
      await p.context.close();
      pages.delete(c.page);
      return {};
    case 'quit':
      await browser.close();
      process.exit(0);
  }
  throw new Error('unknown command ' + c.cmd);
}

(async () => {
  await launch();
  process.stdout.write(JSON.stringify({ ready: true, version: browser.version() }) + '\n');
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    let reply;
    try {
      reply = { ok: true, ...(await run(JSON.parse(line))) };
    } catch (err) {
      reply = { ok: false, error: String(err && err.message || err) };
    }
    process.stdout.write(JSON.stringify(reply) + '\n');
  }
  if (browser) await browser.close();
})();
