// `pnpm bench`: ops/s of @nqc/pql (built dist/) next to the bare @noble/post-quantum primitive
// measured in the same run, so the layer's overhead shows as a ratio. Run: pnpm --filter @nqc/pql bench
// Env: BENCH_MS (time per measurement, default 600), BENCH_SLOW=1 to include SLH-DSA-SHA2-128s signing.
import { falcon512 } from '@noble/post-quantum/falcon.js';
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js';
import { ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { slh_dsa_sha2_128f, slh_dsa_sha2_128s } from '@noble/post-quantum/slh-dsa.js';
import { generateIdentity, generateSigningKey, parseRecipient } from '../dist/index.js';

const MS = Number(process.env.BENCH_MS ?? 600);

/** Runs `fn` repeatedly for ~MS ms (at least `min` times) after one warm-up call; returns ops/s. */
function opsPerSec(fn, min = 3) {
  fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (n < min || t - t0 < MS) {
    fn();
    n++;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

/** Measures nqc and peer alternately, ROUNDS times each, keeping each one's best (load is noisy). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
function pair(nqcFn, peerFn, min) {
  let a = 0;
  let b = 0;
  for (let r = 0; r < ROUNDS; r++) {
    a = Math.max(a, opsPerSec(nqcFn, min));
    if (peerFn) b = Math.max(b, opsPerSec(peerFn, min));
  }
  return [a, peerFn ? b : undefined];
}

function row(alg, op, nqcFn, peerFn, min) {
  const [nqc, peer] = pair(nqcFn, peerFn, min);
  const f = (x) => (x === undefined ? '' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const ratio = peer === undefined ? '' : `${(nqc / peer).toFixed(2)}x`;
  console.log(`| ${alg.padEnd(17)} | ${op.padEnd(18)} | ${f(nqc).padStart(8)} | ${f(peer).padStart(8)} | ${ratio.padStart(6)} |`);
}

console.log(`@nqc/pql bench: Node ${process.version}, best of ${ROUNDS} x ${MS} ms per figure; peer = bare @noble/post-quantum in the same run`);
console.log('| algorithm         | operation          | nqc op/s | noble/s  | ratio  |');
console.log('| ----------------- | ------------------ | -------- | -------- | ------ |');

const fileKey = crypto.getRandomValues(new Uint8Array(32));
for (const [alg, noble] of [['xwing', ml_kem768_x25519], ['mlkem1024', ml_kem1024]]) {
  const id = generateIdentity(alg);
  const rcp = id.recipient();
  const stanzas = rcp.wrapFileKey(fileKey);
  const { publicKey, secretKey } = noble.keygen();
  const { cipherText } = noble.encapsulate(publicKey);
  row(alg, 'keygen', () => generateIdentity(alg), () => noble.keygen());
  row(alg, 'wrap / encaps', () => rcp.wrapFileKey(fileKey), () => noble.encapsulate(publicKey));
  row(alg, 'unwrap / decaps', () => id.unwrapFileKey(stanzas), () => noble.decapsulate(cipherText, secretKey));
  const other = generateIdentity(alg);
  const anonymous = id.recipient({ hint: false }).wrapFileKey(fileKey);
  row(alg, 'not mine, hint', () => other.unwrapFileKey(stanzas));
  row(alg, 'not mine, no hint', () => other.unwrapFileKey(anonymous));
  const text = rcp.toString();
  row(alg, 'parse recipient', () => parseRecipient(text));
}

const ctx = { context: new TextEncoder().encode('nqc/v1/sig') };
const msg = crypto.getRandomValues(new Uint8Array(1024));
const SIGS = [
  ['mldsa65', ml_dsa65],
  ['mldsa87', ml_dsa87],
  ['slhdsa-sha2-128f', slh_dsa_sha2_128f],
  ['slhdsa-sha2-128s', slh_dsa_sha2_128s],
  ['falcon512', falcon512],
];
for (const [alg, noble] of SIGS) {
  const slow = alg === 'slhdsa-sha2-128s';
  const key = generateSigningKey(alg);
  const vk = key.verifyingKey();
  const sig = key.sign(msg);
  const nk = noble.keygen();
  const nctx = alg === 'falcon512' ? undefined : ctx; // noble's Falcon takes no context
  const nsig = noble.sign(msg, nk.secretKey, nctx);
  const min = slow || alg === 'falcon512' ? 1 : 3;
  row(alg, 'keygen', () => generateSigningKey(alg), () => noble.keygen(), min);
  if (!slow || process.env.BENCH_SLOW === '1') {
    row(alg, 'sign', () => key.sign(msg), () => noble.sign(msg, nk.secretKey, nctx), min);
  }
  row(alg, 'verify', () => vk.verify(sig, msg), () => noble.verify(nsig, msg, nk.publicKey, nctx));
}
console.log('"not mine": another identity of the same type given the stanza; with the default key-id hint it skips');
console.log('the stanza without decapsulating, without a hint it pays one decapsulation. Signatures: 1 KiB messages.');
