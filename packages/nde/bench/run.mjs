// NDE throughput: `pnpm --filter @nqc/nde bench` (builds first through turbo; by hand: pnpm build).
//   node bench/run.mjs [--quick] [--only <substring of a case name>] [--versions 1,2]
// Every backend of every NDE version this build has (reference v1/v2, ONNX v1/v2 in the calling thread
// and as a worker pool, WebAssembly v2 in the calling thread and as a pool); a backend this build does
// not have is skipped with a note. Each case runs in its own child process so that its peak RSS
// (getrusage maxrss) is its own. Chunk cases: best of 3 rounds of ~1/3 of the bytes; stream cases: one
// run of 256 MiB (reference: 16 MiB) through the Node transform.
// Peer: node:crypto ChaCha20-Poly1305 over the same bytes in the same 64 KiB chunks, measured in the
// same run (right before the backends of each case), so a ratio compares two figures taken under the
// same load. Output: Markdown tables.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createCipheriv, randomBytes } from 'node:crypto';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

/**
 * The SIMD features the kernels can use: figures differ several-fold between AVX2-only and AVX-512 VNNI
 * hosts, so every figure is printed with them (Linux /proc/cpuinfo; elsewhere unknown).
 */
function cpuFeatures() {
  try {
    const flags = new Set((readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/));
    const names = { avx2: 'AVX2', avx512f: 'AVX-512F', avx512bw: 'AVX-512BW', avx512vl: 'AVX-512VL', avx512_vnni: 'AVX-512 VNNI', avx_vnni: 'AVX-VNNI' };
    const have = Object.entries(names).filter(([f]) => flags.has(f)).map(([, n]) => n);
    return have.length ? have.join(', ') : 'no AVX2';
  } catch {
    return 'CPU features unknown';
  }
}

function uptime() {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average: ${loadavg().map((x) => x.toFixed(2)).join(', ')}`;
  }
}

const MiB = 1024 * 1024;
const CHUNK = 65536;
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const versions = (args.includes('--versions') ? args[args.indexOf('--versions') + 1] : '1,2').split(',').map(Number);
const cores = availableParallelism();
const poolSize = Math.max(2, cores);

/**
 * The backend of a case: `reference`, `onnx-1` / `wasm-1` (one thread: the calling thread), `onnx-pool`
 * / `wasm-pool` (worker threads, one per core), or the peer `chacha20-poly1305`.
 */
async function openBackend(mod, backendName, version) {
  if (backendName === 'chacha20-poly1305') return undefined;
  const [backend, threads] = backendName.split('-');
  const opts = { backend, version };
  if (threads === '1') opts.workers = 0;
  if (threads === 'pool') opts.workers = poolSize;
  if (version === 1 && backend === 'reference') return mod.referenceBackend; // v1 API without a version option
  // A build from before NDE v2 ignores `version` and would measure v1 under a v2 label.
  if (version !== 1 && typeof mod.ndeVersionOf !== 'function') {
    throw Object.assign(new Error(`this build of @nqc/nde has no NDE v${version}`), { code: 'ERR_NDE_BACKEND_UNAVAILABLE' });
  }
  return mod.createNde(opts);
}

/** One measured case, in this process. Returns { bytes, seconds, cpuSeconds, backend }. */
async function runCase(name) {
  const mod = await import('../dist/node.js');
  const key = randomBytes(32);
  const salt = randomBytes(16);
  const [kind, backendName, v, shape] = name.split(':'); // e.g. chunks:onnx-1:2:16
  const version = Number(v);
  const nde = await openBackend(mod, backendName, version);
  const batch = Number(shape ?? 16);
  const slow = backendName === 'reference';
  const peer = backendName === 'chacha20-poly1305';
  const encPeer = (index, data) => {
    const iv = Buffer.alloc(12);
    iv.writeUInt32BE(index, 0);
    const c = createCipheriv('chacha20-poly1305', key, iv, { authTagLength: 16 });
    const out = c.update(data);
    c.final();
    c.getAuthTag();
    return out;
  };

  if (kind === 'chunks') {
    // The envelope pattern: encryptChunks on `batch` chunks of 64 KiB per call.
    const total = (slow ? (version === 2 ? 16 : 4) : quick ? 32 : 128) * MiB;
    const items = Array.from({ length: batch }, (_, i) => ({ index: i, data: randomBytes(CHUNK) }));
    const run = async (first) => {
      if (peer) for (const it of items) encPeer(first + it.index, it.data);
      else await nde.encryptChunks(key, salt, items.map((it) => ({ index: first + it.index, data: it.data })));
    };
    await run(0); // warm-up (sessions and workers started, self-tests run)
    // Best of 3 timed rounds: the machine is shared, and a transient load spike should not decide.
    const calls = Math.max(1, Math.round(total / 3 / (batch * CHUNK)));
    let seconds = Infinity;
    let cpuSeconds = Infinity;
    for (let round = 0; round < 3; round++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let c = 0; c < calls; c++) await run((round * calls + c + 1) * batch);
      seconds = Math.min(seconds, (performance.now() - t0) / 1000);
      const cu = process.cpuUsage(c0);
      cpuSeconds = Math.min(cpuSeconds, (cu.user + cu.system) / 1e6);
    }
    await nde?.close?.();
    return { bytes: calls * batch * CHUNK, seconds, cpuSeconds, backend: nde?.name ?? 'node:crypto' };
  }

  // kind === 'stream': 256 MiB (reference: 16 MiB) through the Node transform, 1 MiB writes.
  const total = (slow ? 16 : quick ? 64 : 256) * MiB;
  const piece = randomBytes(MiB);
  let left = total;
  const source = new Readable({
    read() {
      if (left === 0) return this.push(null);
      left -= MiB;
      this.push(piece);
    },
  });
  let out = 0;
  const sink = new Writable({
    write(chunk, _e, done) {
      out += chunk.length;
      done();
    },
  });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  if (peer) {
    let index = 0;
    let buf = Buffer.alloc(0);
    await pipeline(
      source,
      new Transform({
        transform(chunk, _e, done) {
          buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
          while (buf.length >= CHUNK) {
            this.push(encPeer(index++, buf.subarray(0, CHUNK)));
            buf = buf.subarray(CHUNK);
          }
          done();
        },
        flush(done) {
          if (buf.length) this.push(encPeer(index++, buf));
          done();
        },
      }),
      sink,
    );
  } else {
    await pipeline(source, mod.createNdeNodeTransform(nde, { key, salt, batch }), sink);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  if (out !== total) throw new Error(`stream lost bytes: ${out} of ${total}`);
  await nde?.close?.();
  return { bytes: total, seconds, cpuSeconds: (cu.user + cu.system) / 1e6, backend: nde?.name ?? 'node:crypto' };
}

if (args[0] === '--case') {
  try {
    const r = await runCase(args[1]);
    const maxRssMiB = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(JSON.stringify({ ...r, maxRssMiB }));
    process.exit(0);
  } catch (err) {
    // A backend this build (or this machine) does not have: the parent prints a note and goes on.
    if (err?.code === 'ERR_NDE_BACKEND_UNAVAILABLE' || err?.code === 'ERR_NDE_INVALID_INPUT') {
      process.stdout.write(JSON.stringify({ skipped: `${err.code}: ${err.message}` }));
      process.exit(0);
    }
    throw err;
  }
}

const self = fileURLToPath(import.meta.url);
function measure(name) {
  const r = spawnSync(process.execPath, [self, '--case', name, ...(quick ? ['--quick'] : [])], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) return { name, skipped: `failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')}` };
  const res = JSON.parse(r.stdout);
  if (res.skipped) return { name, skipped: res.skipped };
  const { bytes, seconds, cpuSeconds, maxRssMiB, backend } = res;
  // MB per CPU-second (all threads of the process): what one uncontended core would do; it depends
  // much less on how busy the shared machine is than wall-clock MB/s.
  return { name, backend, mbps: bytes / 1e6 / seconds, mbPerCpuS: bytes / 1e6 / cpuSeconds, bytes, maxRssMiB };
}

const started = new Date().toISOString().slice(0, 16).replace('T', ' ');
console.log(`nde bench ${started} UTC: ${cpus()[0]?.model ?? 'cpu'} (${cpuFeatures()}), ${cores} cores, Node ${process.version}`);
console.log(`before: ${uptime()}`);
const BACKENDS = [
  ['reference', 'reference (TypeScript), 1 thread'],
  ['onnx-1', 'ONNX, 1 thread (calling thread)'],
  ['onnx-pool', `ONNX, worker pool (${poolSize})`],
  ['wasm-1', 'WebAssembly SIMD, 1 thread (calling thread)'],
  ['wasm-pool', `WebAssembly SIMD, worker pool (${poolSize})`],
];
const KINDS = [
  ['64 KiB chunks, 16 per call', 'chunks', 16],
  ['256 MiB stream (Node transform, batch 64)', 'stream', 64],
];
const rows = [];
const notes = [];
for (const [label, kind, batch] of KINDS) {
  const peer = measure(`${kind}:chacha20-poly1305:0:${batch}`);
  for (const version of versions) {
    for (const [backend, desc] of BACKENDS) {
      const name = `${kind}:${backend}:${version}:${batch}`;
      if (only && !name.includes(only)) continue;
      if (version === 1 && backend.startsWith('wasm')) continue; // v1 has no WebAssembly backend (v2 was designed for it)
      const m = measure(name);
      if (m.skipped) {
        notes.push(`${label}, v${version}, ${desc}: skipped (${m.skipped})`);
        continue;
      }
      rows.push({ label, version: `v${version}`, desc, ...m, ratio: m.mbps / peer.mbps });
    }
  }
  rows.push({ label, version: '-', desc: 'peer: node:crypto ChaCha20-Poly1305', ...peer, ratio: 1 });
}
console.log(`after: ${uptime()}`);
console.log('\n| case | NDE | backend | MB/s | x ChaCha20-Poly1305 | MB/CPU-s | peak RSS | bytes timed |');
console.log('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(`| ${r.label} | ${r.version} | ${r.desc} | ${r.mbps.toFixed(1)} | ${r.ratio.toFixed(3)} | ${r.mbPerCpuS.toFixed(1)} | ${r.maxRssMiB.toFixed(0)} MiB | ${(r.bytes / MiB).toFixed(0)} MiB |`);
}
for (const n of notes) console.log(`\nnote: ${n}`);
console.log('\nOther processes share these cores: compare ratios and MB/CPU-s, not absolute MB/s.');
const best = (pred) => Math.max(0, ...rows.filter(pred).map((r) => r.mbps));
const wasm1 = best((r) => r.desc.startsWith('WebAssembly') && r.desc.includes('1 thread'));
const wasmPool = best((r) => r.desc.startsWith('WebAssembly') && r.desc.includes('pool'));
console.log(`goals (issue 11): WebAssembly >= 150 MB/s per core: best one-thread figure ${wasm1 ? wasm1.toFixed(1) : 'n/a'} MB/s; ` +
  `Node pool >= 400 MB/s on 2 cores: best WebAssembly pool figure ${wasmPool ? wasmPool.toFixed(1) : 'n/a'} MB/s`);
