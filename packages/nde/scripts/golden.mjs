// Writes test/vectors/golden.json from the reference backend (the specification).
// Usage: pnpm build && node scripts/golden.mjs   (only when the spec changes, with a new NDE_VERSION)
import { writeFileSync } from 'node:fs';
import { bytesToHex } from '@noble/hashes/utils.js';
import { bytes } from './label-bytes.mjs';
import { NDE_MODEL_ID_HEX, referenceBackend } from '../dist/index.js';

// Deterministic inputs: bytes = SHA-256 chain of a label (scripts/label-bytes.mjs).

const cases = [
  ['good_empty', 16, 0, 0],
  ['good_one_byte', 16, 0, 1],
  ['good_block_minus_one', 16, 1, 127],
  ['good_one_block', 16, 2, 128],
  ['good_block_plus_one', 16, 3, 129],
  ['good_partial_last_block', 32, 7, 300],
  ['good_empty_salt', 0, 0, 256],
  ['good_index_2p32_minus_1', 16, 2 ** 32 - 1, 200],
  ['good_index_2p32', 16, 2 ** 32, 200],
  ['good_index_max_safe', 16, Number.MAX_SAFE_INTEGER, 64],
  ['good_long_salt', 1024, 5, 513],
  ['good_4k_plus_17', 16, 42, 4113],
];
const vectors = cases.map(([name, saltLen, index, len]) => {
  const key = bytes(`${name}/key`, 32);
  const salt = bytes(`${name}/salt`, saltLen);
  const plaintext = bytes(`${name}/plaintext`, len);
  const ciphertext = referenceBackend.encryptChunk(key, salt, index, plaintext);
  return { name, key: bytesToHex(key), salt: bytesToHex(salt), index, plaintext: bytesToHex(plaintext), ciphertext: bytesToHex(ciphertext) };
});
const doc = {
  description: 'NDE v1 known answers: ciphertext = NDE-encrypt(key, salt, chunk index, plaintext); decrypting gives the plaintext back',
  modelId: NDE_MODEL_ID_HEX,
  vectors,
};
writeFileSync(new URL('../test/vectors/golden.json', import.meta.url), `${JSON.stringify(doc, null, 1)}\n`);
console.log(`${vectors.length} vectors written`);
