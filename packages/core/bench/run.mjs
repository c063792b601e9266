// @nqc/core benchmark: envelope encrypt/decrypt throughput (file to file, Node streams) with the NDE
// layer on (automatic backend) and off, against Debian's `age` on the same input in the same run;
// and small-envelope (1 KiB, one X-Wing recipient, ML-DSA-65 signed) seal/open latency.
//   pnpm --filter @nqc/core bench   (NQC_BENCH_SIZES=256: skip the 1 GiB run; NQC_BENCH_SIZES=0: latency only)
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeNde, decrypt, encrypt, generateIdentity, generateSigningKey } from '../dist/node.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const dir = join(tmpdir(), 'nqc-core-bench');
mkdirSync(dir, { recursive: true });
const MiB = 1 << 20;
const sizes = (process.env.NQC_BENCH_SIZES ?? '256,1024').split(',').map(Number).filter((n) => n > 0); // '' or 0: latency only

function ensureAge() {
  const has = spawnSync('sh', ['-c', 'command -v age && command -v age-keygen'], { encoding: 'utf8' });
  if (has.status === 0) return;
  console.error('installing Debian age ...');
  execFileSync('sh', ['-c', 'apt-get install -y age >/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && apt-get install -y age >/dev/null 2>&1)']);
}

function input(mib) {
  const p = join(dir, `in-${mib}.bin`);
  if (existsSync(p) && statSync(p).size === mib * MiB) return p;
  const fd = openSync(p, 'w');
  for (let i = 0; i < mib; i++) writeSync(fd, randomBytes(MiB));
  closeSync(fd);
  return p;
}

function nqc(op, nde, id, inp, out) {
  const r = spawnSync(process.execPath, [join(here, 'op.mjs'), op, nde, id, inp, out], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`op.mjs ${op} ${nde} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function age(args) {
  const t0 = performance.now();
  const r = spawnSync('sh', ['-c', `command time -f '%M' ${args} 2>&1 >/dev/null | tail -1`], { encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`age failed: ${r.stderr}`);
  const kb = Number(r.stdout.trim());
  return { ms, maxRssMiB: Number.isFinite(kb) ? kb / 1024 : NaN };
}

function best(n, f) {
  let b;
  for (let i = 0; i < n; i++) {
    const r = f();
    if (!b || r.ms < b.ms) b = r;
  }
  return b;
}

ensureAge();
const idFile = join(dir, 'nqc-identity.txt');
writeFileSync(idFile, generateIdentity().toString() + '\n', { mode: 0o600 });
const ageKey = join(dir, 'age-key.txt');
rmSync(ageKey, { force: true });
execFileSync('age-keygen', ['-o', ageKey], { stdio: 'ignore' });
const ageRecipient = execFileSync('age-keygen', ['-y', ageKey], { encoding: 'utf8' }).trim();
const ageVersion = execFileSync('age', ['--version'], { encoding: 'utf8' }).trim();
const hasTime = spawnSync('sh', ['-c', 'command -v time || test -x /usr/bin/time'], { encoding: 'utf8' }).status === 0;
if (!hasTime) console.error('note: GNU time missing: age peak RSS not measured');

const rows = [];
const fmt = (ms, bytes) => `${((bytes / 1e6) / (ms / 1000)).toFixed(0)} MB/s`;
for (const mib of sizes) {
  const inp = input(mib);
  const bytes = mib * MiB;
  const runs = 2;
  // age is quick: best of 3 at every size (its 1 GiB file write is at the mercy of the page cache).
  const ageEnc = best(3, () => age(`age -r ${ageRecipient} -o ${join(dir, 'out.age')} ${inp}`));
  const ageDec = best(3, () => age(`age -d -i ${ageKey} -o /dev/null ${join(dir, 'out.age')}`));
  for (const nde of ['auto', 'off']) {
    const enc = best(runs, () => nqc('enc', nde, idFile, inp, join(dir, 'out.nqc')));
    const dec = best(runs, () => nqc('dec', nde, idFile, join(dir, 'out.nqc'), '/dev/null'));
    const label = nde === 'off' ? 'NDE off' : `NDE on (${enc.backend})`;
    rows.push([`${mib} MiB`, `encrypt, ${label}`, fmt(enc.ms, bytes), fmt(ageEnc.ms, bytes), `${(enc.ms / ageEnc.ms).toFixed(2)}x`, `${enc.maxRssMiB.toFixed(0)} / ${ageEnc.maxRssMiB.toFixed(0)} MiB`]);
    rows.push([`${mib} MiB`, `decrypt, ${label}`, fmt(dec.ms, bytes), fmt(ageDec.ms, bytes), `${(dec.ms / ageDec.ms).toFixed(2)}x`, `${dec.maxRssMiB.toFixed(0)} / ${ageDec.maxRssMiB.toFixed(0)} MiB`]);
    console.error(rows.at(-2).join(' | '));
    console.error(rows.at(-1).join(' | '));
  }
  rmSync(join(dir, 'out.nqc'), { force: true });
  rmSync(join(dir, 'out.age'), { force: true });
}

// Small envelopes: 1 KiB, one X-Wing recipient, ML-DSA-65 signed, NDE on (auto), in memory.
const alice = generateIdentity();
const signer = generateSigningKey('mldsa65');
const vk = signer.verifyingKey();
const msg = randomBytes(1024);
const N = 40;
const seal = [];
const open = [];
let env;
for (let i = 0; i < 3; i++) env = await encrypt(msg, { recipients: alice.recipient(), signer, nde: 'auto' }); // warm up (ONNX session)
for (let i = 0; i < 3; i++) await decrypt(env, { identities: alice, requireSigner: vk, nde: 'auto' });
for (let i = 0; i < N; i++) {
  let t = performance.now();
  env = await encrypt(msg, { recipients: alice.recipient(), signer, nde: 'auto' });
  seal.push(performance.now() - t);
  t = performance.now();
  await decrypt(env, { identities: alice, requireSigner: vk, nde: 'auto' });
  open.push(performance.now() - t);
}
await closeNde();
const med = (a) => a.sort((x, y) => x - y)[a.length >> 1];

console.log(`\nMachine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}; ${ageVersion === '' ? 'age' : `age ${ageVersion}`} (Debian)\n`);
console.log('| input | operation | nqc | age | nqc time / age time | peak RSS nqc / age |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(`\nSmall envelope (1 KiB, one X-Wing recipient, ML-DSA-65 signed, NDE auto, ${env.length} bytes), median of ${N}:`);
console.log('| operation | median |');
console.log('| --- | --- |');
console.log(`| seal (wrap + encrypt + sign) | ${med(seal).toFixed(2)} ms |`);
console.log(`| open (unwrap + decrypt + verify, signer required) | ${med(open).toFixed(2)} ms |`);
