#!/usr/bin/python3
"""web_tiles: which lossless tile encoding the browser client should use.
One 1280x720 desktop (xterm text and a colour pattern), encoded by the
agent's encoder as PNG and as deflate BGRX; Debian's chromium decodes each
(PNG: createImageBitmap + drawImage; deflate: DecompressionStream + BGRX to
RGBA + putImageData) 15 times. Prints bytes, encode ms and median decode ms;
the reference is the other format in the same run."""

import base64
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web"))
import webtest  # noqa: E402
from webtest import tdtest  # noqa: E402

W, H = 1280, 720
ENCODE = os.path.join(tdtest.BUILD, "tests", "bench", "web-tile-encode")
X_WORKLOAD = os.path.join(tdtest.BUILD, "tests", "bench", "x-workload")

DECODE_JS = """
(async () => {
  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const png = b64(%(png)s), def = b64(%(deflate)s), w = %(w)d, h = %(h)d, runs = %(runs)d;
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d', { alpha: false });
  const median = (a) => a.sort((x, y) => x - y)[a.length >> 1];
  const out = { png: [], deflate: [] };
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now();
    const bmp = await createImageBitmap(new Blob([png], { type: 'image/png' }),
      { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
    ctx.drawImage(bmp, 0, 0);
    bmp.close();
    ctx.getImageData(0, 0, 1, 1);
    out.png.push(performance.now() - t0);
    t0 = performance.now();
    const stream = new Blob([def]).stream().pipeThrough(new DecompressionStream('deflate'));
    const bgrx = new Uint8Array(await new Response(stream).arrayBuffer());
    const rgba = new Uint8ClampedArray(bgrx.length);
    for (let j = 0; j < bgrx.length; j += 4) {
      rgba[j] = bgrx[j + 2]; rgba[j + 1] = bgrx[j + 1]; rgba[j + 2] = bgrx[j]; rgba[j + 3] = 255;
    }
    ctx.putImageData(new ImageData(rgba, w, h), 0, 0);
    ctx.getImageData(0, 0, 1, 1);
    out.deflate.push(performance.now() - t0);
  }
  return { png: median(out.png), deflate: median(out.deflate) };
})()
"""


def scene(x, kind, tmp):
    if kind == "text":
        x.run(["xterm", "-geometry", "160x50+0+0", "-e", "sh", "-c",
               "ls -lR /usr/share/doc | head -3000; sleep 600"])
        time.sleep(2.0)
    else:
        subprocess.run([X_WORKLOAD, "full", "10", "0.2"], env=x.env, check=True,
                       capture_output=True)
    path = os.path.join(tmp, kind + ".rgb")
    webtest.root_rgb(x.display, path)
    return path


def main():
    tmp = tempfile.mkdtemp(prefix="thindesk-bench-web-")
    results = []
    with webtest.Browser() as b:
        b.open("p", "about:blank")
        for kind in ("text", "pattern"):
            with tdtest.Xvfb(W, H) as x:
                raw = scene(x, kind, tmp)
            prefix = os.path.join(tmp, kind)
            enc = subprocess.run([ENCODE, raw, str(W), str(H), prefix], capture_output=True,
                                 text=True, check=True).stdout
            figures = {}
            for line in enc.splitlines():
                name, *kv = line.split()
                figures[name] = dict(v.split("=") for v in kv)
            data = {}
            for ext in ("png", "deflate"):
                with open(prefix + "." + ext, "rb") as f:
                    data[ext] = json.dumps(base64.b64encode(f.read()).decode())
            dec = b.eval("p", DECODE_JS % dict(png=data["png"], deflate=data["deflate"], w=W,
                                               h=H, runs=15))
            for fmt in ("png", "deflate"):
                results.append((kind, fmt, int(figures[fmt]["bytes"]),
                                float(figures[fmt]["encode_ms"]), dec[fmt]))
    print("chromium %s, %dx%d, zlib level 1" % (b.version, W, H))
    print("%-8s %-8s %10s %10s %10s" % ("scene", "format", "bytes", "encode ms", "decode ms"))
    for r in results:
        print("%-8s %-8s %10d %10.2f %10.2f" % r)
    for kind in ("text", "pattern"):
        png = [r for r in results if r[0] == kind and r[1] == "png"][0]
        dfl = [r for r in results if r[0] == kind and r[1] == "deflate"][0]
        print("%s: deflate/png bytes %.2f, encode %.2f, decode %.2f" %
              (kind, dfl[2] / png[2], dfl[3] / png[3], dfl[4] / png[4]))


if __name__ == "__main__":
    main()
