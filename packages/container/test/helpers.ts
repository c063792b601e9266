// Test-only "identity" and signer. The `test-filekey` stanza carries the file key in clear; only this
// harness accepts it (the library has no default unwrap at all). The `test-hmac-sha256` "signature" is
// HMAC-SHA-256(key, transcript) with the header's signer key as HMAC key: a stand-in for ML-DSA that a
// second implementation can recompute.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from '@noble/ciphers/utils.js';
import type { InnerLayer, Signer, SignatureVerifier, Stanza } from '../src/index.js';
import { NqcFormatError } from '../src/index.js';

export const TEST_STANZA = 'test-filekey';
export const TEST_SIG_ALG = 'test-hmac-sha256';

export function testStanza(fileKey: Uint8Array): Stanza {
  return { type: TEST_STANZA, args: [], body: fileKey.slice() };
}

export async function testUnwrap(stanzas: readonly Stanza[]): Promise<Uint8Array | null> {
  for (const s of stanzas) {
    if (s.type === TEST_STANZA && s.args.length === 0 && s.body.length === 32) return s.body.slice();
  }
  return null;
}

/** Deterministic bytes from a label (SHA-256 in counter mode): for fixed-seed vectors. */
export function seeded(label: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const enc = new TextEncoder();
  for (let i = 0, ctr = 0; i < n; ctr++) {
    const block = sha256(enc.encode(`${label}#${ctr}`));
    out.set(block.subarray(0, Math.min(32, n - i)), i);
    i += 32;
  }
  return out;
}

export function testSigner(key: Uint8Array, maxSignatureLength = 40): Signer {
  return { alg: TEST_SIG_ALG, key, maxSignatureLength, sign: (t) => hmac(sha256, key, t) };
}

export const testVerify: SignatureVerifier = (signer, transcript, signature) =>
  signer.alg === TEST_SIG_ALG && equalBytes(hmac(sha256, signer.key, transcript), signature);

/** A toy length-preserving inner layer (XOR with SHA-256(key||salt||index) stream): format tests only. */
export function xorInner(id: Uint8Array): InnerLayer & { calls: number[] } {
  const calls: number[] = [];
  const xf = async (key: Uint8Array, salt: Uint8Array, items: { index: number; data: Uint8Array }[]) => {
    calls.push(items.length);
    return items.map(({ index, data }) => {
      const out = new Uint8Array(data.length);
      for (let off = 0, ctr = 0; off < data.length; off += 32, ctr++) {
        const ks = sha256(Uint8Array.from([...key, ...salt, ...u32(index), ...u32(ctr)]));
        for (let j = 0; j < 32 && off + j < data.length; j++) out[off + j] = data[off + j]! ^ ks[j]!;
      }
      return out;
    });
  };
  return { id, encryptChunks: xf, decryptChunks: xf, calls };
}

function u32(n: number): number[] {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

/** Runs `fn`, returns the NqcFormatError code it threw (fails the test on any other outcome). */
export async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof NqcFormatError) return e.code;
    throw e;
  }
  return 'NO_ERROR';
}
