#!/usr/bin/env node
// NDE in Chromium: `node tooling/browser-tests/bench-nde.mjs [--mib 32] [--worker-mib 64] [--quick]`
// (needs Debian's Chromium, /usr/bin/chromium or NQC_CHROMIUM, and the packages built:
// `pnpm exec turbo run build --filter=@nqc/browser-tests...`). Not a test tier: it prints figures.
//   1. MB/s of @nqc/nde's backends in the page's own thread (one thread): WebAssembly v2, reference
//      v2 and v1, against WebCrypto AES-256-GCM over the same 64 KiB chunks in the same page.
//   2. A 64 MiB encrypt + decrypt with NDE v2 in a module Worker (@nqc/core/worker), while the main
//      thread's longest stall is sampled (gaps between 5 ms setInterval ticks and between animation
//      frames). Goal (issue 11): no stall over 100 ms.
// Chromium is driven by playwright-core with executablePath (no browser download), as in harness.mjs.
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CHROMIUM, launch } from './harness.mjs';

const { values: opts } = parseArgs({
  options: { mib: { type: 'string', default: '32' }, 'worker-mib': { type: 'string', default: '64' }, quick: { type: 'boolean', default: false } },
});
const mib = opts.quick ? 8 : Number(opts.mib);
const workerMib = opts.quick ? 16 : Number(opts['worker-mib']);
const here = import.meta.dirname;
const root = join(here, '..', '..');
if (!existsSync(CHROMIUM)) {
  console.error(`bench-nde: no Chromium at ${CHROMIUM} (Debian: apt-get install -y chromium; or set NQC_CHROMIUM)`);
  process.exit(2);
}

const out = mkdtempSync(join(tmpdir(), 'nqc-bench-nde-'));
process.on('exit', () => rmSync(out, { recursive: true, force: true }));

// The bench page and the tier's Worker file, bundled like an app would (@nqc/nde is not a dependency
// of this private package: it is resolved from the workspace, as @nqc/core resolves it).
const esbuild = await import('esbuild');
await esbuild.build({
  entryPoints: [join(here, 'page', 'bench-nde.js'), join(here, 'page', 'worker.js')],
  bundle: true, format: 'esm', splitting: true, outdir: out, logLevel: 'silent',
  plugins: [{
    name: 'nde-from-core',
    setup(b) {
      b.onResolve({ filter: /^@nqc\/nde$/ }, (a) =>
        a.pluginData === 'core' ? undefined : b.resolve(a.path, { kind: a.kind, resolveDir: join(root, 'packages', 'core'), pluginData: 'core' }));
    },
  }],
});
const html = '<!doctype html><meta charset="utf-8"><title>nde bench</title><script type="module" src="./bench-nde.js"></script>';
const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json', '.wasm': 'application/wasm' };
const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
  if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  if (path === '/favicon.ico') return res.writeHead(204).end();
  const file = join(out, path);
  if (!file.startsWith(out) || !existsSync(file) || !statSync(file).isFile()) return res.writeHead(404).end();
  res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
  createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/`;

const flags = (() => {
  try {
    const f = new Set((readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/));
    return [['avx2', 'AVX2'], ['avx512f', 'AVX-512F'], ['avx512_vnni', 'AVX-512 VNNI'], ['avx_vnni', 'AVX-VNNI']].filter(([k]) => f.has(k)).map(([, n]) => n).join(', ') || 'no AVX2';
  } catch {
    return 'CPU features unknown';
  }
})();
const uptime = () => {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average ${loadavg().join(' ')}`;
  }
};

const browser = await launch();
const problems = [];
try {
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  page.setDefaultTimeout(600_000);
  await page.goto(url);
  await page.waitForFunction(() => globalThis.nqcReady === true);
  console.log(`nde browser bench: Chromium ${browser.version()}, ${cpus()[0]?.model ?? 'cpu'} (${flags}), ${cpus().length} cores`);
  console.log(`before: ${uptime()}`);

  const rows = [];
  const peer = await page.evaluate(([m]) => globalThis.bench.speed('aes-256-gcm', m), [mib]);
  for (const [name, label, m] of [
    ['wasm-v2', 'WebAssembly SIMD v2, page thread', mib],
    ['reference-v2', 'reference (TypeScript) v2, page thread', Math.min(mib, 8)],
    ['reference-v1', 'reference (TypeScript) v1, page thread', Math.min(mib, 2)],
  ]) {
    const r = await page.evaluate(([n, mm]) => globalThis.bench.speed(n, mm), [name, m]);
    if (r.skipped) console.log(`note: ${label}: skipped (${r.skipped})`);
    else rows.push({ label, ...r, ratio: r.mbps / peer.mbps });
  }
  rows.push({ label: 'peer: WebCrypto AES-256-GCM, 64 KiB chunks', ...peer, ratio: 1 });

  // The Worker round trip: 'wasm' if core offers it in browsers, else core's default ('auto').
  let choice = 'wasm';
  let w;
  try {
    w = await page.evaluate(([m, c]) => globalThis.bench.workerRoundTrip(m, c, 2), [workerMib, choice]);
  } catch (err) {
    console.log(`note: nde 'wasm' in the Worker failed (${String(err.message).split('\n')[0]}); using 'auto'`);
    choice = 'auto';
    w = await page.evaluate(([m, c]) => globalThis.bench.workerRoundTrip(m, c, 2), [workerMib, choice]);
  }
  const off = await page.evaluate(([m]) => globalThis.bench.workerRoundTrip(m, 'off', 2), [workerMib]);
  const idle = await page.evaluate(() => globalThis.bench.idle(10_000));
  console.log(`after: ${uptime()}`);

  console.log('\n| backend (one thread, 16 chunks of 64 KiB per call) | MB/s | x AES-256-GCM | timed |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.label} | ${r.mbps.toFixed(1)} | ${r.ratio.toFixed(3)} | ${(r.bytes / 1048576).toFixed(0)} MiB |`);
  console.log(`\n| ${workerMib} MiB in a module Worker (nde: '${choice}', NDE v2) | time | MB/s | longest setInterval gap | longest frame gap |`);
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [k, v] of [['first call (1 KiB: Worker start-up, self-test)', w.warmUp], ['encrypt', w.encrypt], ['decrypt', w.decrypt], ['control: first call, NDE off', off.warmUp], ['control: encrypt, NDE off', off.encrypt], ['control: decrypt, NDE off', off.decrypt]]) {
    console.log(`| ${k} | ${(v.ms / 1000).toFixed(2)} s | ${((workerMib * 1048576) / 1e6 / (v.ms / 1000)).toFixed(1)} | ${v.longestTickGapMs.toFixed(0)} ms | ${v.longestFrameGapMs.toFixed(0)} ms |`);
  }
  console.log(`| control: the page idle for 10 s | - | - | ${idle.longestTickGapMs.toFixed(0)} ms | ${idle.longestFrameGapMs.toFixed(0)} ms |`);
  console.log(`\nround trip equal: ${w.same}; envelope ${w.envelopeBytes} bytes; NDE as decrypt reports it: ${JSON.stringify(w.info)}`);
  const stall = Math.max(w.encrypt.longestTickGapMs, w.decrypt.longestTickGapMs);
  const wasm = rows.find((r) => r.label.startsWith('WebAssembly'));
  console.log(`goals (issue 11): WebAssembly >= 150 MB/s in Chromium: ${wasm ? wasm.mbps.toFixed(1) : 'n/a'} MB/s; longest main-thread stall < 100 ms: ${stall.toFixed(0)} ms`);
  if (problems.length) console.log(`page errors: ${problems.join(' | ')}`);
  if (!w.same || !off.same) process.exitCode = 1;
} finally {
  await browser.close();
  await new Promise((r) => server.close(r));
}
