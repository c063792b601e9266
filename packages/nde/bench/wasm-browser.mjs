// The NDE v2 WebAssembly backend in Chromium: `node bench/wasm-browser.mjs [--quick]` (needs a build:
// pnpm build, and Debian's chromium; NQC_CHROMIUM overrides its path).
// Bundles dist/index.js (the browser-safe entry) with esbuild's default settings (no loader, no
// plugin: the module is embedded, nothing is fetched), serves it from 127.0.0.1 and runs it in a
// module Web Worker of headless Chromium (playwright-core drives it): first the golden vectors of
// test/vectors/nde-v2-golden.json (SHA-256 of each ciphertext), then encryptChunks on 16 x 64 KiB
// per call and the raw kernel (two 64 KiB chunks in place), 3 rounds each: the best wall-clock MB/s, and MB per CPU-second of Chromium's processes over
// the 3 rounds (Linux /proc: user + system time of the browser and all its child processes, read
// just before and after the timed rounds). Prints `uptime` beside it.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const quick = process.argv.includes('--quick');
const here = new URL('.', import.meta.url);
const CHROMIUM = process.env.NQC_CHROMIUM ?? '/usr/bin/chromium';

const worker = `
import { createWasmNde } from '../dist/index.js';
import { NdeWasmKernel } from '../wasm/kernel.mjs';
import { _embeddedWasmModule } from '../dist/wasm/module.js';
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const unhex = (s) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
const mod251 = (n) => Uint8Array.from({ length: n }, (_, i) => i % 251);
// Asks the page (and through it the bench process) to read Chromium's CPU time now.
const mark = (name, bytes = 0) => new Promise((resolve) => { self.onmessage = resolve; self.postMessage({ mark: name, bytes }); });
self.onmessage = async ({ data: { vectors, totalMiB } }) => {
  try {
    const nde = createWasmNde();
    let golden = 0;
    for (const v of vectors) {
      const pt = v.plaintext !== undefined ? unhex(v.plaintext) : mod251(v.length);
      const [ct] = await nde.encryptChunks(unhex(v.key), unhex(v.salt), [{ index: v.index, data: pt }]);
      const got = hex(new Uint8Array(await crypto.subtle.digest('SHA-256', ct)));
      if (got !== v.ciphertextSha256) throw new Error('golden vector ' + v.name + ' differs');
      golden++;
    }
    const key = crypto.getRandomValues(new Uint8Array(32));
    const salt = crypto.getRandomValues(new Uint8Array(16));
    const items = Array.from({ length: 16 }, (_, i) => ({ index: i, data: crypto.getRandomValues(new Uint8Array(65536)) }));
    const calls = totalMiB;
    const round = async () => { for (let c = 0; c < calls; c++) await nde.encryptChunks(key, salt, items.map((it) => ({ index: c * 16 + it.index, data: it.data }))); };
    const w0 = performance.now();
    await round();
    const warm = (calls * 16 * 65536) / 1e6 / ((performance.now() - w0) / 1000);
    await mark('backend:start');
    let best = 0;
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      await round();
      best = Math.max(best, (calls * 16 * 65536) / 1e6 / ((performance.now() - t0) / 1000));
    }
    await mark('backend:end', 3 * calls * 16 * 65536);
    await nde.close();
    // The raw kernel, two 64 KiB chunks side by side, in place (no backend around it).
    const kernel = await NdeWasmKernel.create(await _embeddedWasmModule());
    const w = { w1: crypto.getRandomValues(new Uint8Array(4096)), z1: new Uint8Array(64), w2: crypto.getRandomValues(new Uint8Array(36864)), z2: new Uint8Array(576) };
    const buf = new Uint8Array(131072);
    const job = () => ({ gen: 1, ...w, decrypt: false, lens: [65536, 65536], ivs: new Uint8Array(128), data: buf });
    for (let i = 0; i < 50; i++) kernel.run(job());
    await mark('kernel:start');
    let kbest = 0;
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      for (let i = 0; i < 8 * calls; i++) kernel.run(job());
      kbest = Math.max(kbest, (8 * calls * 131072) / 1e6 / ((performance.now() - t0) / 1000));
    }
    await mark('kernel:end', 3 * 8 * calls * 131072);
    self.postMessage({ golden, mbps: best, warm, kernel: kbest, ua: navigator.userAgent });
  } catch (e) {
    self.postMessage({ error: String(e && e.stack || e) });
  }
};
`;

const esbuild = await import('esbuild');
const bundle = await esbuild.build({
  stdin: { contents: worker, resolveDir: here.pathname, sourcefile: 'worker.js' },
  bundle: true,
  format: 'esm',
  write: false,
  logLevel: 'silent',
});
const workerJs = bundle.outputFiles[0].text;
const page = `<!doctype html><meta charset="utf-8"><script type="module">
const w = new Worker('/worker.js', { type: 'module' });
w.onmessage = async (e) => {
  if (e.data.mark) { await globalThis.nqcMark(e.data.mark, e.data.bytes ?? 0); w.postMessage('go'); return; }
  globalThis.result = e.data;
};
w.onerror = (e) => { globalThis.result = { error: e.message }; };
const vectors = await (await fetch('/vectors.json')).json();
w.postMessage({ vectors: vectors.vectors, totalMiB: ${quick ? 8 : 32} });
</script>`;
const vectorsJson = readFileSync(new URL('../test/vectors/nde-v2-golden.json', here));
const server = createServer((req, res) => {
  const body = { '/': [page, 'text/html'], '/worker.js': [workerJs, 'text/javascript'], '/vectors.json': [vectorsJson, 'application/json'] }[req.url ?? ''];
  if (!body) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': body[1], 'cache-control': 'no-store' }).end(body[0]);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/`;

/** CPU seconds (user + system) of the descendants of process `root` (not `root` itself), from /proc. */
function treeCpuSeconds(root) {
  const stats = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(pid), { ppid: Number(f[1]), cpu: Number(f[11]) + Number(f[12]) });
    } catch {
      // the process ended meanwhile
    }
  }
  let ticks = -(stats.get(root)?.cpu ?? 0);
  const todo = [root];
  while (todo.length) {
    const p = todo.pop();
    ticks += stats.get(p)?.cpu ?? 0;
    for (const [pid, s] of stats) if (s.ppid === p) todo.push(pid);
  }
  return ticks / 100; // USER_HZ
}

const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
const cpuAt = {};
const perCpu = {};
try {
  console.log(`before: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);
  console.log(`bundle: ${(workerJs.length / 1024).toFixed(1)} KiB (esbuild defaults, the module embedded)`);
  const tab = await browser.newPage();
  const root = process.pid; // playwright starts Chromium as a child of this process
  await tab.exposeFunction('nqcMark', (mark, bytes) => {
    const [what, edge] = mark.split(':');
    if (edge === 'start') cpuAt[what] = treeCpuSeconds(root);
    else perCpu[what] = bytes / 1e6 / (treeCpuSeconds(root) - cpuAt[what]);
  });
  await tab.goto(url);
  await tab.waitForFunction(() => globalThis.result !== undefined, undefined, { timeout: 600_000 });
  const result = await tab.evaluate(() => globalThis.result);
  if (result.error) throw new Error(result.error);
  console.log(`${result.ua.match(/Chrome\/[\d.]+/)?.[0] ?? result.ua}, module Worker: golden vectors ${result.golden}/${JSON.parse(vectorsJson).vectors.length} ok; ` +
    `encryptChunks 16 x 64 KiB: ${result.mbps.toFixed(1)} MB/s (best of 3, wall), ${perCpu.backend?.toFixed(1)} MB per CPU-second (3 rounds; ` +
    `first round ${result.warm.toFixed(1)} MB/s); raw kernel (run2, in place): ${result.kernel.toFixed(1)} MB/s, ${perCpu.kernel?.toFixed(1)} MB per CPU-second`);
  console.log(`after: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);
} finally {
  await browser.close();
  server.close();
}
