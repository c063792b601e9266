// Writes test/vectors/nde-v2-golden.json from the NDE v2 reference backend, and a first-step trace
// computed here independently (plain loops over the derived tensors) and checked against it.
// Usage: pnpm build && node scripts/golden-v2.mjs [path of a built index.js]
// Only when docs/nde-v2-spec.md changes, which is a new version: never for v2 itself.
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { bytes } from './label-bytes.mjs';

const dist = process.argv[2] ? pathToFileURL(process.argv[2]).href : new URL('../dist/index.js', import.meta.url).href;
const { referenceBackendV2: nde } = await import(dist);
const { _deriveIvV2, _deriveParamsV2 } = await import(new URL('v2/derive.js', dist).href);

// Deterministic inputs: bytes = SHA-256 chain of a label (scripts/label-bytes.mjs).
/** Long plaintexts: byte i = i mod 251 (documented in the file). */
function pattern(length) {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = i % 251;
  return out;
}
const HEX_MAX = 1024;
const MAX = Number.MAX_SAFE_INTEGER;

// [name, key, salt length, index, plaintext length, plaintext kind]
const single = [
  ['good_empty', 'std', 16, 0, 0],
  ['good_one_byte', 'std', 16, 0, 1],
  ['good_step_minus_one', 'std', 16, 1, 511],
  ['good_one_step', 'std', 16, 2, 512],
  ['good_step_plus_one', 'std', 16, 3, 513],
  ['good_two_steps_plus_one', 'std', 32, 1, 1025],
  ['good_keystream_zero_key', 'zero', 0, 0, 1024, 'zeros'],
  ['good_keystream_ff_key', 'ff', 16, 1, 1024, 'zeros'],
  ['good_empty_salt', 'std', 0, 0, 700],
  ['good_salt_64', 'std', 64, 0, 600],
  ['good_salt_65', 'std', 65, 0, 600],
  ['good_salt_1024', 'std', 1024, 5, 513],
  ['good_index_1', 'std', 16, 1, 600],
  ['good_index_2p32', 'std', 16, 2 ** 32, 600],
  ['good_index_max_safe', 'std', 16, MAX, 600],
  ['good_65535', 'std', 32, 7, 65535, 'pattern'],
  ['good_65536', 'std', 32, 7, 65536, 'pattern'],
  ['good_65536_index_max_safe', 'std', 32, MAX, 65536, 'pattern'],
];

function keyOf(kind, name) {
  if (kind === 'zero') return new Uint8Array(32);
  if (kind === 'ff') return new Uint8Array(32).fill(0xff);
  return bytes(`${name}/key`, 32);
}

function describe(ct) {
  return {
    ciphertextSha256: bytesToHex(sha256(ct)),
    ciphertextHead: bytesToHex(ct.subarray(0, 64)),
    ...(ct.length <= HEX_MAX ? { ciphertext: bytesToHex(ct) } : {}),
  };
}

const vectors = single.map(([name, keyKind, saltLen, index, len, kind]) => {
  const key = keyOf(keyKind, name);
  const salt = bytes(`${name}/salt`, saltLen);
  // Longer than HEX_MAX: the file carries no plaintext, so it must be the pattern.
  const plaintext = kind === 'zeros' ? new Uint8Array(len) : kind === 'pattern' || len > HEX_MAX ? pattern(len) : bytes(`${name}/plaintext`, len);
  const ct = nde.encryptChunk(key, salt, index, plaintext);
  const back = nde.decryptChunk(key, salt, index, ct);
  if (bytesToHex(back) !== bytesToHex(plaintext)) throw new Error(`${name}: round trip failed`);
  return {
    name,
    key: bytesToHex(key),
    salt: bytesToHex(salt),
    index,
    length: len,
    ...(len <= HEX_MAX ? { plaintext: bytesToHex(plaintext) } : { plaintextPattern: 'mod251' }),
    ...describe(ct),
  };
});

// Batches: one call, several chunks sharing (key, salt); plaintext of each item = pattern(length).
const shapes = [
  ['batch_one_step', [[0, 512]]],
  ['batch_edges', [[0, 0], [1, 1], [2, 511], [3, 512], [4, 513]]],
  ['batch_indices_out_of_order', [[2 ** 32, 1000], [0, 1000], [MAX, 1000], [1, 1000]]],
  ['batch_same_index_twice', [[9, 1536], [9, 1536]]],
  ['batch_64_chunks', Array.from({ length: 64 }, (_, i) => [100 + i, 1024 + 37 * i])],
];
const batches = [];
for (const [name, items] of shapes) {
  const key = bytes(`${name}/key`, 32);
  const salt = bytes(`${name}/salt`, 32);
  const outs = await nde.encryptChunks(key, salt, items.map(([index, len]) => ({ index, data: pattern(len) })));
  batches.push({
    name,
    key: bytesToHex(key),
    salt: bytesToHex(salt),
    items: items.map(([index, length], i) => ({ index, length, ...describe(outs[i]) })),
  });
}

// A worked first step, computed here without the backend: the spec's formulas, literally.
function trace() {
  const key = bytes('trace/key', 32);
  const salt = bytes('trace/salt', 16);
  const p = _deriveParamsV2(key, salt);
  const s = new Uint8Array(64);
  _deriveIvV2(p.prk, 0, s);
  const sigma = (acc) => Math.imul(acc, 0x9e3779b1) >>> 24;
  const acc1 = [];
  const a = new Uint8Array(64);
  for (let j = 0; j < 64; j++) {
    let acc = 0;
    for (let k = 0; k < 64; k++) acc += s[k] * (p.w1[k * 64 + j] - p.z1[j]);
    acc1.push(acc);
    a[j] = sigma(acc);
  }
  const y = new Uint8Array(576);
  const acc2 = [];
  for (let j = 0; j < 576; j++) {
    let acc = 0;
    for (let k = 0; k < 64; k++) acc += a[k] * (p.w2[k * 576 + j] - p.z2[j]);
    acc2.push(acc);
    y[j] = sigma(acc);
  }
  const plaintext = pattern(1024);
  const c = new Uint8Array(512);
  for (let i = 0; i < 512; i++) c[i] = (plaintext[i] + y[i]) % 256;
  const next = new Uint8Array(64);
  for (let j = 0; j < 64; j++) {
    let v = y[512 + j];
    for (let m = 0; m < 8; m++) v += c[64 * m + j];
    next[j] = v % 256;
  }
  const full = nde.encryptChunk(key, salt, 0, plaintext);
  if (bytesToHex(full.subarray(0, 512)) !== bytesToHex(c)) throw new Error('trace: first step disagrees with the reference');
  return {
    key: bytesToHex(key),
    salt: bytesToHex(salt),
    index: 0,
    plaintextPattern: 'mod251',
    length: 1024,
    prk: bytesToHex(p.prk),
    w1Head: bytesToHex(p.w1.subarray(0, 64)),
    z1: bytesToHex(p.z1),
    w2Head: bytesToHex(p.w2.subarray(0, 64)),
    z2Head: bytesToHex(p.z2.subarray(0, 64)),
    w1Sha256: bytesToHex(sha256(p.w1)),
    z1Sha256: bytesToHex(sha256(p.z1)),
    w2Sha256: bytesToHex(sha256(p.w2)),
    z2Sha256: bytesToHex(sha256(p.z2)),
    iv: bytesToHex(s),
    hiddenAcc0to3: acc1.slice(0, 4),
    hidden: bytesToHex(a),
    outputAcc0to3: acc2.slice(0, 4),
    keystream: bytesToHex(y.subarray(0, 512)),
    carry: bytesToHex(y.subarray(512)),
    ciphertextStep0: bytesToHex(c),
    stateAfterStep0: bytesToHex(next),
    ciphertext: bytesToHex(full),
  };
}

const doc = {
  description:
    'NDE v2 known answers (docs/nde-v2-spec.md): ciphertext = NDE-v2-encrypt(key, salt, chunk index, plaintext); decrypting gives the plaintext back. ' +
    'Where "plaintext" is absent, plaintextPattern "mod251" means byte i = i mod 251. ciphertextHead = first 64 bytes; ciphertext in full only up to 1024 bytes. ' +
    'Batches: one encryptChunks call with all items (each item plaintext = mod251 of its length). trace: every intermediate of the first step of one chunk.',
  version: 2,
  vectors,
  batches,
  trace: trace(),
};
writeFileSync(new URL('../test/vectors/nde-v2-golden.json', import.meta.url), `${JSON.stringify(doc, null, 1)}\n`);
console.log(`${vectors.length} vectors, ${batches.length} batches written`);
