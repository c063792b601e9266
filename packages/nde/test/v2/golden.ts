// test/vectors/nde-v2-golden.json, decoded (written by scripts/golden-v2.mjs).
import { readFileSync } from 'node:fs';
import { hexToBytes } from '@noble/hashes/utils.js';

export interface V2Vector {
  name: string;
  key: Uint8Array;
  salt: Uint8Array;
  index: number;
  plaintext: Uint8Array;
  ciphertextSha256: string;
  ciphertextHead: string;
  /** present up to 1024 bytes */
  ciphertext?: Uint8Array;
}
export interface V2Output {
  index: number;
  length: number;
  ciphertextSha256: string;
  ciphertextHead: string;
}
export interface V2Batch {
  name: string;
  key: Uint8Array;
  salt: Uint8Array;
  items: V2Output[];
}
export type V2Trace = Record<string, string | number | number[]>;

/** byte i = i mod 251: the file's plaintextPattern "mod251". */
export function mod251(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = i % 251;
  return out;
}

interface RawVector {
  name: string;
  key: string;
  salt: string;
  index: number;
  length: number;
  plaintext?: string;
  plaintextPattern?: 'mod251';
  ciphertextSha256: string;
  ciphertextHead: string;
  ciphertext?: string;
}

export function v2Golden(): { version: number; vectors: V2Vector[]; batches: V2Batch[]; trace: V2Trace } {
  const doc = JSON.parse(readFileSync(new URL('../vectors/nde-v2-golden.json', import.meta.url), 'utf8')) as {
    version: number;
    vectors: RawVector[];
    batches: { name: string; key: string; salt: string; items: V2Output[] }[];
    trace: V2Trace;
  };
  return {
    version: doc.version,
    vectors: doc.vectors.map((v) => ({
      name: v.name,
      key: hexToBytes(v.key),
      salt: hexToBytes(v.salt),
      index: v.index,
      plaintext: v.plaintext !== undefined ? hexToBytes(v.plaintext) : mod251(v.length),
      ciphertextSha256: v.ciphertextSha256,
      ciphertextHead: v.ciphertextHead,
      ...(v.ciphertext !== undefined ? { ciphertext: hexToBytes(v.ciphertext) } : {}),
    })),
    batches: doc.batches.map((b) => ({ name: b.name, key: hexToBytes(b.key), salt: hexToBytes(b.salt), items: b.items })),
    trace: doc.trace,
  };
}
