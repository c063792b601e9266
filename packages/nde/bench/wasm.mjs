// The NDE v2 WebAssembly backend, measured alone: `node bench/wasm.mjs [--quick] [--no-onnx] [--batch N]`.
//   kernel-1 / kernel-2   the raw kernel (wasm/kernel.mjs on wasm/nde-v2.wasm: no build needed), one
//                         chunk at a time (run1) and two side by side (run2), 64 KiB chunks
//   wasm-1                createNde({ version: 2, backend: 'wasm', workers: 0 }): the calling thread
//   wasm-pool             the same with one worker thread per core
//   onnx-1                createNde({ version: 2, backend: 'onnx', workers: 0 }), for comparison
// The backend cases need a build (pnpm build). Each figure: best of 3 rounds, wall MB/s and MB per
// CPU-second of this process (user + system; on a shared machine wall time includes waiting for a
// core). Prints the CPU's SIMD features and `uptime` beside the figures (bench/run.mjs does the
// full comparison with the other backends and the peers).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { NdeWasmKernel } from '../wasm/kernel.mjs';

const quick = process.argv.includes('--quick');
const MiB = 1 << 20;
const CHUNK = 64 * 1024;
const TOTAL = (quick ? 16 : 96) * MiB;

function features() {
  const flags = new Set((readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/));
  const model = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:(.*)$/m)?.[1]?.trim() ?? 'unknown CPU';
  const have = ['avx2', 'avx512f', 'avx512bw', 'avx512_vnni', 'avx_vnni'].filter((f) => flags.has(f));
  return `${model}, ${availableParallelism()} cores, ${have.join(' ') || 'no AVX2'}`;
}
const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

/** Best of 3 rounds of `fn` processing `bytes` bytes each: { wall, cpu } in MB/s. */
async function measure(bytes, fn) {
  await fn(); // warm-up
  let wall = 0;
  let cpu = 0;
  for (let r = 0; r < 3; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    const s = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    wall = Math.max(wall, bytes / 1e6 / s);
    cpu = Math.max(cpu, bytes / 1e6 / ((c.user + c.system) / 1e6));
  }
  return { wall, cpu };
}

const rows = [];
const row = (name, r, note = '') => {
  rows.push(`| ${name} | ${r.wall.toFixed(1)} | ${r.cpu.toFixed(1)} | ${note} |`);
  console.error(`${name}: ${r.wall.toFixed(1)} MB/s wall, ${r.cpu.toFixed(1)} MB per CPU-s ${note}`);
};

console.log(`CPU: ${features()}; node ${process.version}`);
console.log(`before: ${uptime()}`);

// The raw kernel.
{
  const module = await WebAssembly.compile(readFileSync(new URL('../wasm/nde-v2.wasm', import.meta.url)));
  const kernel = await NdeWasmKernel.create(module);
  const w = { w1: randomBytes(64 * 64), z1: randomBytes(64), w2: randomBytes(64 * 576), z2: randomBytes(576) };
  const chunks = TOTAL / CHUNK;
  for (const per of [1, 2]) {
    const data = new Uint8Array(per * CHUNK);
    const job = () => ({ gen: 1, ...w, decrypt: false, lens: per === 1 ? [CHUNK] : [CHUNK, CHUNK], ivs: new Uint8Array(64 * per), data });
    row(`kernel-${per} (run${per})`, await measure(TOTAL, () => { for (let c = 0; c < chunks / per; c++) kernel.run(job()); }), 'calling thread');
  }
}

// The backends (need dist/).
let mod;
try {
  mod = await import('../dist/node.js');
} catch (err) {
  console.error(`no build (${err.message.split('\n')[0]}): backend cases skipped; run pnpm build`);
}
if (mod) {
  const key = randomBytes(32);
  const salt = randomBytes(16);
  const at = process.argv.indexOf('--batch');
  const batch = at > 0 ? Number(process.argv[at + 1]) : 16;
  const items = Array.from({ length: batch }, (_, i) => ({ index: i, data: randomBytes(CHUNK) }));
  const calls = TOTAL / (batch * CHUNK);
  const cases = [
    ['wasm-1', { backend: 'wasm', workers: 0 }],
    ['wasm-pool', { backend: 'wasm', workers: availableParallelism() }],
    ...(process.argv.includes('--no-onnx') ? [] : [['onnx-1', { backend: 'onnx', workers: 0 }]]),
  ];
  for (const [name, opts] of cases) {
    let nde;
    try {
      nde = await mod.createNde({ version: 2, ...opts });
    } catch (err) {
      console.error(`${name}: skipped (${err.code ?? err.message})`);
      continue;
    }
    const r = await measure(TOTAL, async () => {
      for (let c = 0; c < calls; c++) await nde.encryptChunks(key, salt, items.map((it) => ({ index: c * batch + it.index, data: it.data })));
    });
    row(name, r, `${batch} x 64 KiB per call${opts.workers ? `, ${opts.workers} workers` : ''}`);
    await nde.close();
  }
}

console.log(`after: ${uptime()}`);
console.log(`${TOTAL / MiB} MiB per round, best of 3\n`);
console.log('| case | MB/s (wall) | MB per CPU-second | note |');
console.log('| --- | ---: | ---: | --- |');
for (const r of rows) console.log(r);
