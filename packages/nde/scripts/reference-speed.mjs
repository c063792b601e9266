// Reference backend speed, v1 and v2, in one process each run: MB/s wall-clock and MB per CPU-second
// (the latter is much less sensitive to a shared machine). Usage: pnpm build && node scripts/reference-speed.mjs [MiB]
import { cpus, loadavg } from 'node:os';
import { createReferenceNde } from '../dist/index.js';

const mib = Number(process.argv[2] ?? 8);
const key = new Uint8Array(32).fill(3);
const salt = new Uint8Array(32).fill(4);
const chunk = new Uint8Array(65536);
console.log(`${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} cores, Node ${process.version}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
for (const version of [1, 2, 1, 2]) {
  const nde = createReferenceNde({ version });
  for (let i = 0; i < 8; i++) nde.encryptChunk(key, salt, i, chunk); // warm-up (JIT)
  const n = (mib * 1048576) / chunk.length;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) nde.encryptChunk(key, salt, i, chunk);
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  const bytes = n * chunk.length;
  console.log(`v${version}: ${(bytes / wall / 1e6).toFixed(1)} MB/s, ${(bytes / cpu / 1e6).toFixed(1)} MB/CPU-s (${mib} MiB in 64 KiB chunks)`);
  await nde.close();
}
