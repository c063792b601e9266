/**
 * Known answers the ONNX backend must reproduce before it may run (computed with the reference
 * backend, which is the specification; test/vectors/golden.json holds the full vectors).
 * @internal
 */
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { NdeChunk } from '../types.js';

/** Inputs: key 00..1f, salt "nqc/nde/kat", chunks covering full, partial and multi-block cases. @internal */
export function _katInputs(): { key: Uint8Array; salt: Uint8Array; items: NdeChunk[] } {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i);
  const salt = utf8ToBytes('nqc/nde/kat');
  const data = (len: number, seed: number): Uint8Array => Uint8Array.from({ length: len }, (_, i) => (i * 131 + seed) & 0xff);
  const items: NdeChunk[] = [
    { index: 0, data: data(300, 1) },
    { index: 1, data: data(128, 2) },
    { index: 2 ** 32 - 1, data: data(1, 3) },
    { index: Number.MAX_SAFE_INTEGER, data: data(1000, 4) },
  ];
  return { key, salt, items };
}

/** SHA-256 of the concatenated outputs of {@link _katInputs}, encrypting and decrypting. @internal */
export const _KAT = {
  encrypt: '981f0241f3715813f29b5bd9d227d61f939661a94ec562cada29e40a4806b66c',
  decrypt: 'cc66c2684e5791f9ac259a4371d89b97ef4aba91c5d38fc72b39f6afcd74a935',
} as const;
