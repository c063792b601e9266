import { readFileSync } from 'node:fs';
import { expect } from '@jest/globals';
import { hexToBytes } from '@noble/hashes/utils.js';
import { NqcNdeError } from '../src/index.js';

export interface GoldenVector {
  name: string;
  key: Uint8Array;
  salt: Uint8Array;
  index: number;
  plaintext: Uint8Array;
  ciphertext: Uint8Array;
}

/** test/vectors/golden.json, decoded. */
export function goldenVectors(): { modelId: string; vectors: GoldenVector[] } {
  const doc = JSON.parse(readFileSync(new URL('./vectors/golden.json', import.meta.url), 'utf8')) as {
    modelId: string;
    vectors: { name: string; key: string; salt: string; index: number; plaintext: string; ciphertext: string }[];
  };
  return {
    modelId: doc.modelId,
    vectors: doc.vectors.map((v) => ({
      name: v.name,
      key: hexToBytes(v.key),
      salt: hexToBytes(v.salt),
      index: v.index,
      plaintext: hexToBytes(v.plaintext),
      ciphertext: hexToBytes(v.ciphertext),
    })),
  };
}

/** Deterministic pseudo-random bytes for tests (xorshift32; not cryptographic, only reproducible). */
export function testBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let s = (seed | 0) || 1;
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s >>> 24;
  }
  return out;
}

/**
 * Runs `f`, which must throw an NqcNdeError, and returns `"<code>: <message>"` (the fail_* cases of
 * the reference backends compare it whole). Must be called inside a test (it asserts).
 */
export function thrownNdeError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(NqcNdeError);
    return `${(e as NqcNdeError).code}: ${(e as Error).message}`;
  }
  throw new Error('did not throw');
}
