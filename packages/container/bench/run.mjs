// Envelope throughput against Debian's `age` on the same input in the same run, plus peak RSS and
// small-envelope latency. `pnpm --filter @nqc/container bench` (builds dist first through turbo, or
// run `pnpm build` in this package). Needs ~4 GiB free in the temp dir.
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
// `pnpm --filter @nqc/container bench` runs this file directly: build dist first if it is missing.
if (!existsSync(join(here, '..', 'dist', 'node.js'))) execFileSync('pnpm', ['build'], { cwd: join(here, '..'), stdio: 'inherit' });
const { decryptEnvelope, encryptEnvelope } = await import('../dist/index.js');
const { nodeProvider } = await import('../dist/node.js');
const SIZES = (process.env.NQC_BENCH_SIZES ?? '256,1024').split(',').map(Number); // MiB

function ensureAge() {
  const has = () => spawnSync('age', ['--version']).status === 0;
  if (has()) return true;
  console.log('age not found: apt-get install -y age');
  spawnSync('apt-get', ['install', '-y', 'age'], { stdio: 'inherit' });
  return has();
}

async function makeInput(path, mib) {
  const block = randomBytes(1 << 20);
  const ws = createWriteStream(path);
  for (let i = 0; i < mib; i++) {
    block.writeUInt32BE(i, 0);
    if (!ws.write(Buffer.from(block))) await new Promise((r) => ws.once('drain', r));
  }
  await new Promise((r) => ws.end(r));
}

/** Runs a command under /usr/bin/time; returns wall ms (parent clock) and peak RSS. */
function timed(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'RSSKB=%M', cmd, ...args], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const rss = Number(/RSSKB=(\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024;
  const inner = r.stdout.trim() ? JSON.parse(r.stdout.trim().split('\n').pop()) : null;
  return { wallMs: ms, ms: inner?.ms ?? ms, rssMiB: rss };
}

const best = (runs, f) => {
  let b = null;
  for (let i = 0; i < runs; i++) {
    const r = f();
    if (!b || r.ms < b.ms) b = r;
  }
  return b;
};

const fmt = (n, d = 0) => n.toFixed(d);
const rows = [];
const dir = mkdtempSync(join(tmpdir(), 'nqc-bench-'));
try {
  const haveAge = ensureAge();
  let ageRecipient = null;
  const keyFile = join(dir, 'key.txt');
  if (haveAge) {
    execFileSync('age-keygen', ['-o', keyFile], { stdio: 'ignore' });
    ageRecipient = /public key: (age1\w+)/.exec(readFileSync(keyFile, 'utf8'))[1];
  }
  for (const mib of SIZES) {
    const input = join(dir, `in-${mib}`);
    await makeInput(input, mib);
    const runs = mib <= 256 ? 3 : 2;
    const mbps = (r) => (mib * 1048576) / 1e6 / (r.ms / 1000);
    const results = {};
    for (const aead of ['chacha20-poly1305', 'aes-256-gcm']) {
      const out = join(dir, `out-${mib}.nqc`);
      results[`enc-${aead}`] = best(runs, () => timed(process.execPath, [join(here, 'one.mjs'), 'encrypt', aead, input, out]));
      results[`dec-${aead}`] = best(runs, () => timed(process.execPath, [join(here, 'one.mjs'), 'decrypt', aead, out, '/dev/null']));
      rmSync(out);
    }
    if (haveAge) {
      const out = join(dir, `out-${mib}.age`);
      results['enc-age'] = best(runs, () => timed('age', ['-r', ageRecipient, '-o', out, input]));
      results['dec-age'] = best(runs, () => timed('age', ['-d', '-i', keyFile, '-o', '/dev/null', out]));
      rmSync(out);
    }
    for (const op of ['enc', 'dec']) {
      const age = results[`${op}-age`];
      for (const aead of ['chacha20-poly1305', 'aes-256-gcm']) {
        const r = results[`${op}-${aead}`];
        rows.push({
          what: `${op === 'enc' ? 'encrypt' : 'decrypt'} ${mib} MiB`,
          impl: `nqc ${aead}`,
          'MB/s': fmt(mbps(r)),
          'time ms': fmt(r.ms),
          'vs age (time ratio)': age ? `${fmt(r.ms / age.ms, 2)}x` : 'n/a',
          'peak RSS MiB': fmt(r.rssMiB),
        });
      }
      if (age) rows.push({ what: `${op === 'enc' ? 'encrypt' : 'decrypt'} ${mib} MiB`, impl: 'age 1.1.1', 'MB/s': fmt(mbps(age)), 'time ms': fmt(age.ms), 'vs age (time ratio)': '1.00x', 'peak RSS MiB': fmt(age.rssMiB) });
    }
    rmSync(input);
  }

  // Small envelopes: container only (no KEM, no signature algorithm: those are @nqc/core's).
  const fileKey = new Uint8Array(32).fill(1);
  const stanzas = [{ type: 'bench-filekey', args: [], body: fileKey }];
  const small = randomBytes(1024);
  const env = await encryptEnvelope(small, { fileKey, stanzas, provider: nodeProvider });
  const N = 3000;
  let t = performance.now();
  for (let i = 0; i < N; i++) await encryptEnvelope(small, { fileKey, stanzas, provider: nodeProvider });
  const sealUs = ((performance.now() - t) * 1000) / N;
  t = performance.now();
  for (let i = 0; i < N; i++) await decryptEnvelope(env, { unwrap: () => fileKey, provider: nodeProvider });
  const openUs = ((performance.now() - t) * 1000) / N;
  rows.push({ what: '1 KiB envelope seal (container only)', impl: 'nqc chacha20-poly1305', 'MB/s': '', 'time ms': fmt(sealUs / 1000, 3), 'vs age (time ratio)': 'n/a', 'peak RSS MiB': '' });
  rows.push({ what: '1 KiB envelope open (container only)', impl: 'nqc chacha20-poly1305', 'MB/s': '', 'time ms': fmt(openUs / 1000, 3), 'vs age (time ratio)': 'n/a', 'peak RSS MiB': '' });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`\n@nqc/container bench: Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`);
console.log('nqc times are in-process (file read -> envelope -> file write, node:crypto provider, Node stream adapters);');
console.log('age times are wall clock of the age process. Ratio = nqc time / age time (lower is better).');
console.table(rows);
