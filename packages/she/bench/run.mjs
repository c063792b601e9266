// pnpm --filter @nqc/she bench
// Sizes and speeds of @nqc/she (built dist/), with the plaintext JS sum of the same numbers as a peer.
import os from 'node:os';
import {
  decodeCiphertext,
  defineSchema,
  encodeCiphertext,
  EvaluationBundle,
  HeClient,
  HeEvaluator,
  HeKeySet,
} from '../dist/index.js';

const QUICK = process.argv.includes('--quick');
const now = () => performance.now();
const best = (n, f) => {
  let b = Infinity;
  let r;
  for (let i = 0; i < n; i++) {
    const t = now();
    r = f();
    b = Math.min(b, now() - t);
  }
  return [b, r];
};
const fmt = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`);
const rows = [];
const row = (...c) => rows.push(c);

console.log(`@nqc/she bench — Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'})${QUICK ? ', --quick' : ''}\n`);

// ---- sizes and client encryption ------------------------------------------------------------
const setups = {};
for (const name of ['bfv-n4096', 'bfv-n8192', 'ckks-n8192']) {
  const t0 = now();
  const keys = await HeKeySet.generate(name);
  const real = name.startsWith('ckks');
  const schema = defineSchema(
    real
      ? [{ path: 'v', type: 'real', min: -1000, max: 1000 }, { path: 'w', type: 'real', min: 0, max: 100 }, { path: 'x', type: 'real', min: 0, max: 100 }, { path: 'y', type: 'real', min: 0, max: 100 }]
      : [{ path: 'v', type: 'fixed', decimals: 2, min: -1000, max: 1000 }, { path: 'w', type: 'integer', min: 0, max: 100 }, { path: 'x', type: 'integer', min: 0, max: 100 }, { path: 'y', type: 'integer', min: 0, max: 100 }],
  );
  const client = await HeClient.create(keys, schema);
  const bundle = await keys.evaluationBundle({ schema });
  const keyMs = now() - t0;
  const bundleBytes = await bundle.encode();
  const keyBytes = await keys.encode();
  const t1 = now();
  const ev = await HeEvaluator.create(await EvaluationBundle.decode(bundleBytes));
  const loadMs = now() - t1;
  setups[name] = { keys, client, ev };
  const slots = keys.preset.slots;
  const vals = Array.from({ length: slots }, (_, i) => (((i * 7919) % 200001) - 100000) / 100);
  const [colMs, cols] = best(3, () => client.encryptColumn('v', vals));
  const colBytes = encodeCiphertext(cols[0]).length;
  const rec = { v: 12.34, w: 1, x: 2, y: 3 }; // four fields in one record ciphertext
  const [recMs, r] = best(5, () => client.encryptRecord(rec));
  const recBytes = encodeCiphertext(r).length;
  row('sizes', name, `column: ${(colBytes / slots).toFixed(1)} B/value (${slots} values in ${(colBytes / 1024).toFixed(1)} KiB); encrypt ${fmt(colMs)}/ciphertext = ${fmt(colMs / slots)}/value`);
  row('sizes', name, `record: ${(recBytes / 1024).toFixed(1)} KiB/record (${(recBytes / 4 / 1024).toFixed(1)} KiB per field of 4); encrypt ${fmt(recMs)}/record`);
  row('keys', name, `key set ${(keyBytes.length / 1024).toFixed(0)} KiB; bundle ${(bundleBytes.length / 2 ** 20).toFixed(2)} MiB (Galois steps ${bundle.galoisSteps.length}, relin ${bundle.relinKeys ? 'yes' : 'no'}); keygen+bundle ${fmt(keyMs)}; server load ${fmt(loadMs)}`);
}

// ---- server: column-packed sum and mean vs plaintext JS -----------------------------------------
{
  const { client, ev, keys } = setups['bfv-n4096'];
  const slots = keys.preset.slots;
  const max = QUICK ? 100_000 : 1_000_000;
  // One dataset of `max` records (cents in [-1000.00, 1000.00]); smaller runs use a prefix.
  const cents = Int32Array.from({ length: max }, (_, i) => ((i * 2654435761) >>> 0) % 200001 - 100000);
  const encrypt = (n) => {
    const out = [];
    for (let off = 0; off < n; off += slots) {
      const chunk = Array.from(cents.subarray(off, Math.min(n, off + slots)), (c) => c / 100);
      out.push(...client.encryptColumn('v', chunk).map(encodeCiphertext));
    }
    return out;
  };
  for (const n of [10_000, 100_000, 1_000_000].filter((x) => x <= max)) {
    const t0 = now();
    const parts = encrypt(n);
    const encMs = now() - t0;
    const bytes = parts.reduce((a, b) => a + b.length, 0);
    row('client', 'bfv-n4096', `encrypt ${n.toLocaleString('en')} values column-packed: ${fmt(encMs)} (${fmt(encMs / n)}/value); ${(bytes / n).toFixed(1)} B/value, ${(bytes / 2 ** 20).toFixed(1)} MiB`);
    const runs = n >= 1_000_000 ? 2 : 3;
    const [sumMs, sum] = best(runs, () => ev.sum(parts.map(decodeCiphertext), 'v'));
    const [meanMs, mean] = best(runs, () => ev.mean(parts.map(decodeCiphertext), 'v'));
    const plain = cents.subarray(0, n);
    const [jsMs, jsSum] = best(5, () => {
      let s = 0;
      for (let i = 0; i < plain.length; i++) s += plain[i];
      return s;
    });
    const got = client.decryptExact(sum)[0];
    if (got !== BigInt(jsSum)) throw new Error(`bench: wrong sum ${got} != ${jsSum}`);
    if (Math.abs(client.decryptMean(mean) - jsSum / 100 / n) > 1e-9) throw new Error('bench: wrong mean');
    row('server', 'bfv-n4096', `sum of ${n.toLocaleString('en')} column-packed records (${parts.length} ciphertexts, decode included): ${fmt(sumMs)}; mean ${fmt(meanMs)}; plaintext JS sum ${fmt(jsMs)} (HE/JS = ${Math.round(sumMs / jsMs).toLocaleString('en')}x); noise budget left ${client.noiseBudget(sum)} bits`);
  }
}

// ---- server: single-record layout -------------------------------------------------------------
{
  const { client, ev } = setups['bfv-n4096'];
  const n = QUICK ? 1000 : 10_000;
  const recs = Array.from({ length: n }, (_, i) => ({ v: ((i * 37) % 2001) - 1000, w: i % 101, x: 1, y: 2 }));
  const t0 = now();
  const encoded = recs.map((r) => encodeCiphertext(client.encryptRecord(r)));
  const encMs = now() - t0;
  const [sumMs, sum] = best(1, () => ev.sum(encoded.map(decodeCiphertext), 'v'));
  const [meanMs] = best(1, () => ev.mean(encoded.map(decodeCiphertext), 'v'));
  const [jsMs, js] = best(5, () => recs.reduce((a, r) => a + r.v, 0));
  if (client.decrypt(sum)[0] !== js) throw new Error('bench: wrong record sum');
  row('client', 'bfv-n4096', `encrypt ${n.toLocaleString('en')} single-record ciphertexts: ${fmt(encMs)} (${fmt(encMs / n)}/record); ${(encoded.reduce((a, b) => a + b.length, 0) / n / 1024).toFixed(1)} KiB/record`);
  row('server', 'bfv-n4096', `sum of ${n.toLocaleString('en')} single-record ciphertexts: ${fmt(sumMs)}; mean ${fmt(meanMs)}; plaintext JS sum ${fmt(jsMs)} (HE/JS = ${Math.round(sumMs / jsMs).toLocaleString('en')}x)`);
}

// ---- server: operations with a multiplication (bfv-n8192, ckks-n8192), 100,000 records ----------
for (const name of ['bfv-n8192', 'ckks-n8192']) {
  const { client, ev, keys } = setups[name];
  const n = QUICK ? 20_000 : 100_000;
  const a = Array.from({ length: n }, (_, i) => (((i * 7919) % 200001) - 100000) / 100);
  const w = Array.from({ length: n }, (_, i) => (name.startsWith('ckks') ? (i % 100) / 100 : i % 100));
  const ca = client.encryptColumn('v', a);
  const cw = client.encryptColumn('w', w.map((x) => (name.startsWith('ckks') ? x : x)));
  const [sumMs] = best(2, () => ev.sum(ca, 'v'));
  const [wsMs] = best(1, () => ev.weightedSum(ca, 'v', w));
  const [ssMs] = best(1, () => ev.sumOfSquares(ca, 'v'));
  const [prMs] = best(1, () => ev.product([...ca, ...cw], 'v', 'w'));
  row('server', name, `${n.toLocaleString('en')} records (${ca.length} ciphertexts of ${keys.preset.slots}): sum ${fmt(sumMs)}; weighted sum ${fmt(wsMs)}; sum of squares ${fmt(ssMs)}; per-record product ${fmt(prMs)}`);
}

for (const s of Object.values(setups)) {
  s.ev.dispose();
  s.client.dispose();
  s.keys.dispose();
}

const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length));
console.log(`| ${'what'.padEnd(w0)} | ${'preset'.padEnd(w1)} | figure |`);
console.log(`| ${'-'.repeat(w0)} | ${'-'.repeat(w1)} | --- |`);
for (const r of rows) console.log(`| ${r[0].padEnd(w0)} | ${r[1].padEnd(w1)} | ${r[2]} |`);
