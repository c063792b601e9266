import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { gcm } from '@noble/ciphers/aes.js';
import { sha256 } from '@noble/hashes/sha2.js';

/** AEAD algorithms of format v1, by name. Header codes: 1 and 2 (FORMAT.md section 3.2). */
export type AeadName = 'chacha20-poly1305' | 'aes-256-gcm';

/** One AEAD bound to one key. `open` returns `null` on any authentication failure, never throws for it. */
export interface ChunkAead {
  /** Seals `plaintext` under `nonce` (12 bytes), returning ciphertext || 16-byte tag. */
  seal(nonce: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Opens ciphertext || tag; `null` when the tag does not verify. */
  open(nonce: Uint8Array, ciphertext: Uint8Array): Uint8Array | null;
  /**
   * Optional fast path: the same bytes as `seal`, as two arrays (ciphertext, then the 16-byte tag), so
   * a provider whose cipher already returns them apart (node:crypto) need not copy them into one.
   * Streams use it when present; the concatenation of the two must equal `seal(nonce, plaintext)`.
   */
  sealParts?(nonce: Uint8Array, plaintext: Uint8Array): readonly [Uint8Array, Uint8Array];
}

/** Incremental SHA-256 (for the signature transcript). */
export interface Sha256Hasher {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

/**
 * Where the container's bulk primitives come from. The default ({@link nobleProvider}) is pure
 * TypeScript and runs in browsers; `@nqc/container/node` exports `nodeProvider` (node:crypto, ~10x
 * faster). Both produce identical bytes.
 */
export interface CryptoProvider {
  /** Short name for diagnostics. */
  readonly name: string;
  /** Binds an AEAD to a 32-byte key. */
  aead(name: AeadName, key: Uint8Array): ChunkAead;
  /** A fresh incremental SHA-256. */
  sha256(): Sha256Hasher;
}

/** The browser-safe provider: @noble/ciphers and @noble/hashes. */
export const nobleProvider: CryptoProvider = Object.freeze({
  name: 'noble',
  aead(name: AeadName, key: Uint8Array): ChunkAead {
    const make = name === 'chacha20-poly1305' ? chacha20poly1305 : gcm;
    return {
      seal: (nonce, plaintext) => make(key, nonce).encrypt(plaintext),
      open: (nonce, ciphertext) => {
        try {
          return make(key, nonce).decrypt(ciphertext);
        } catch {
          return null;
        }
      },
    };
  },
  sha256(): Sha256Hasher {
    const h = sha256.create();
    return { update: (d) => void h.update(d), digest: () => h.digest() };
  },
});
