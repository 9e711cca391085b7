// Injected by bench_web.py into a web client's page and its workers before
// their own scripts: after every draw call onto a visible canvas (2D context:
// drawImage, putImageData, fillRect), it reads two pixels of the marker
// blocks the x-workload draws at the top left ((32, 32) and (96, 32)) and
// records [time, red at 32, red at 96] whenever they change. Times are
// performance.timeOrigin + performance.now() (ms), comparable between the
// page and its workers. The page also records each keydown it dispatches.
// The same probe runs in every client, so the figures compare like with like.
(() => {
  const g = self;
  if (g.__probe) return;
  const P = (g.__probe = { marks: [], keys: [], last: '' });
  const now = () => performance.timeOrigin + performance.now();
  const kinds = [g.CanvasRenderingContext2D, g.OffscreenCanvasRenderingContext2D].filter(Boolean);
  const readers = new Map(kinds.map((K) => [K.prototype, K.prototype.getImageData]));
  function check(ctx) {
    const c = ctx.canvas;
    if (typeof HTMLCanvasElement !== 'undefined' && c instanceof HTMLCanvasElement && !c.isConnected) return;
    if (c.width < 128 || c.height < 64) return;
    const d = readers.get(Object.getPrototypeOf(ctx)).call(ctx, 32, 32, 65, 1).data;
    const key = d[0] + ',' + d[256];
    if (key === P.last) return;
    P.last = key;
    P.marks.push([now(), d[0], d[256]]);
  }
  for (const K of kinds) {
    for (const m of ['drawImage', 'putImageData', 'fillRect']) {
      const orig = K.prototype[m];
      K.prototype[m] = function (...a) {
        const r = orig.apply(this, a);
        try { check(this); } catch (e) { P.error = String(e); /* a canvas we cannot read */ }
        return r;
      };
    }
  }
  if (typeof window !== 'undefined') {
    window.addEventListener('keydown', () => P.keys.push(now()), true);
  }
})();
