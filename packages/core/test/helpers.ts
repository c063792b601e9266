// Fixed test keys (from seeds, so the committed vectors can be reproduced) and small helpers.
import { sha256 } from '@noble/hashes/sha2.js';
import { getKem, getSignature, KemIdentity, SigningKey } from '@nqc/pql';

/** Deterministic bytes from a label: SHA-256 blocks of label || counter. */
export function seeded(label: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const enc = new TextEncoder();
  for (let i = 0, o = 0; o < n; i++, o += 32) out.set(sha256(enc.encode(`${label}/${i}`)).subarray(0, Math.min(32, n - o)), o);
  return out;
}

export const alice = KemIdentity.fromSeed('xwing', seeded('nqc/core/test/alice-xwing', getKem('xwing').seedLength));
export const bob = KemIdentity.fromSeed('mlkem1024', seeded('nqc/core/test/bob-mlkem1024', getKem('mlkem1024').seedLength));
export const carol = KemIdentity.fromSeed('xwing', seeded('nqc/core/test/carol-xwing', getKem('xwing').seedLength));
export const signer = SigningKey.fromSeed('mldsa65', seeded('nqc/core/test/signer-mldsa65', getSignature('mldsa65').seedLength));
export const mallory = SigningKey.fromSeed('mldsa65', seeded('nqc/core/test/mallory-mldsa65', getSignature('mldsa65').seedLength));

export const utf8 = (s: string) => new TextEncoder().encode(s);
export const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Runs `f`, returns the thrown error's `code` (or 'NO_ERROR'). */
export async function codeOf(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    return (e as { code?: string }).code ?? `UNCODED: ${(e as Error).message}`;
  }
  return 'NO_ERROR';
}

/** A Web stream from bytes, in pieces of `piece` bytes. */
export function streamOf(bytes: Uint8Array, piece = 65_536): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= bytes.length) return c.close();
      c.enqueue(bytes.slice(off, off + piece));
      off += piece;
    },
  });
}

export async function collect(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of s as unknown as AsyncIterable<Uint8Array>) parts.push(p);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
