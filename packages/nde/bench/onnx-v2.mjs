// ONNX backend throughput, NDE v2 against v1, in one run: `pnpm --filter @nqc/nde build && node bench/onnx-v2.mjs [MiB]`
// One ONNX thread (workers: 0, the calling thread runs the session) and the worker pool (one
// single-threaded session per core), encrypting and decrypting MiB (default 48) of 64 KiB chunks in
// calls of 64 chunks (4 MiB, what the container sends), two calls in flight for the pool; plus one
// 16 MiB chunk (segmented: v1 re-runs each 1 MiB segment to recover its state, v2 reads the model's
// state output). Best of 3 rounds; MB/s = 10^6 bytes per second of wall time. Load (uptime) and the
// CPU's SIMD features are printed beside the figures: read ratios, not absolutes, on a shared machine.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { createOnnxBackend, createOnnxBackendV2 } from '../dist/node.js';

const MiB = 1 << 20;
const total = Number(process.argv[2] ?? 48) * MiB;
const CHUNK = 65536;
const PER_CALL = 64;

const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
const features = (() => {
  try {
    const flags = new Set(/^flags\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.split(/\s+/) ?? []);
    const model = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
    return `${model}; ${['avx2', 'avx512f', 'avx512bw', 'avx512_vnni', 'avx_vnni'].filter((f) => flags.has(f)).join(' ')}`;
  } catch {
    return 'unknown CPU';
  }
})();

const key = randomBytes(32);
const salt = randomBytes(16);
const data = new Uint8Array(randomBytes(total));
const calls = [];
for (let off = 0, index = 0; off < total; off += CHUNK * PER_CALL) {
  const items = [];
  for (let o = off; o < Math.min(total, off + CHUNK * PER_CALL); o += CHUNK, index++) items.push({ index, data: data.subarray(o, o + CHUNK) });
  calls.push(items);
}

async function round(nde, mode, inFlight) {
  const t0 = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < calls.length) await nde[`${mode}Chunks`](key, salt, calls[next++]);
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return total / ((performance.now() - t0) / 1000) / 1e6;
}

async function big(nde, mode) {
  const chunk = data.subarray(0, 16 * MiB);
  const t0 = performance.now();
  await nde[`${mode}Chunks`](key, salt, [{ index: 1, data: chunk }]);
  return chunk.length / ((performance.now() - t0) / 1000) / 1e6;
}

const best = async (f) => {
  let b = 0;
  for (let r = 0; r < 3; r++) b = Math.max(b, await f());
  return b;
};

console.log(`# ONNX v1 vs v2, ${total / MiB} MiB of 64 KiB chunks, Node ${process.version}, ${availableParallelism()} cores: ${features}`);
console.log(`before: ${uptime()}`);
console.log('| case | v1 MB/s | v2 MB/s | v2/v1 |');
console.log('| --- | ---: | ---: | ---: |');
for (const [label, workers] of [
  ['one ONNX thread', 0],
  [`pool (${Math.min(8, availableParallelism())} workers)`, undefined],
]) {
  const backends = { 1: createOnnxBackend({ workers }), 2: createOnnxBackendV2({ workers }) };
  await Promise.all([backends[1].ready(), backends[2].ready()]);
  const inFlight = workers === 0 ? 1 : 2;
  for (const mode of ['encrypt', 'decrypt']) {
    const r = {};
    for (const v of [1, 2]) {
      await round(backends[v], mode, inFlight); // warm-up
      r[v] = await best(() => round(backends[v], mode, inFlight));
    }
    console.log(`| ${label}, ${mode} | ${r[1].toFixed(0)} | ${r[2].toFixed(0)} | ${(r[2] / r[1]).toFixed(2)} |`);
  }
  const r = {};
  for (const v of [1, 2]) r[v] = await best(() => big(backends[v], 'encrypt'));
  console.log(`| ${label}, one 16 MiB chunk (segmented), encrypt | ${r[1].toFixed(0)} | ${r[2].toFixed(0)} | ${(r[2] / r[1]).toFixed(2)} |`);
  await Promise.all([backends[1].close(), backends[2].close()]);
}
console.log(`after: ${uptime()}`);
