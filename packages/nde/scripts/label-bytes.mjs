// Deterministic inputs of the golden-vector scripts (golden.mjs, golden-v2.mjs).
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';

/** `length` bytes = SHA-256 chain of `label` (no randomness, so the files regenerate). */
export function bytes(label, length) {
  const out = new Uint8Array(length);
  let block = sha256(utf8ToBytes(label));
  for (let off = 0; off < length; off += 32) {
    out.set(block.subarray(0, Math.min(32, length - off)), off);
    block = sha256(block);
  }
  return out;
}
