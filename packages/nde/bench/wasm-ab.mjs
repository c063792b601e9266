// WebAssembly v2 against ONNX v2, both in the calling thread, in ONE process, alternating 8 times:
// `node bench/wasm-ab.mjs [chunks per call, default 64]` (after pnpm build). Prints the median, min
// and max MB per CPU-second of each over the 8 rounds of ~16 MiB (64 KiB chunks). On a shared
// machine single figures swing 2x; alternating in one process makes the two comparable.
import { randomBytes } from 'node:crypto';
const mod = await import('../dist/node.js');
const batch = Number(process.argv[2] ?? 64);
const key = randomBytes(32), salt = randomBytes(16);
const items = Array.from({ length: batch }, (_, i) => ({ index: i, data: randomBytes(65536) }));
const b = { wasm: await mod.createNde({ version: 2, backend: 'wasm', workers: 0 }), onnx: await mod.createNde({ version: 2, backend: 'onnx', workers: 0 }) };
const res = { wasm: [], onnx: [] };
const calls = Math.max(1, Math.round(256 / batch));
for (const n of Object.keys(b)) for (let w = 0; w < 2; w++) await b[n].encryptChunks(key, salt, items);
for (let r = 0; r < 8; r++) for (const n of Object.keys(b)) {
  const c0 = process.cpuUsage();
  for (let c = 0; c < calls; c++) await b[n].encryptChunks(key, salt, items);
  const c = process.cpuUsage(c0);
  res[n].push(calls * batch * 65536 / 1e6 / ((c.user + c.system) / 1e6));
}
for (const n of Object.keys(res)) { const s = res[n].sort((a, b) => a - b); console.log(`batch ${batch} ${n}: MB per CPU-s median ${s[4].toFixed(0)} (min ${s[0].toFixed(0)}, max ${s[7].toFixed(0)})`); }
for (const x of Object.values(b)) await x.close();
