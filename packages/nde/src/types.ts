import type { NdeVersion } from './versions.js';

/** One chunk to process: its index in the stream and its bytes (any length, including 0). */
export interface NdeChunk {
  /** chunk index: a non-negative safe integer; the starting state is derived from it */
  index: number;
  /** plaintext (encrypt) or ciphertext (decrypt) */
  data: Uint8Array;
}

/**
 * What every NDE backend provides. All backends give identical bytes for identical inputs.
 *
 * NDE does no authentication: run its output inside a standard AEAD (the envelope container does).
 */
export interface NdeBackend {
  /** which implementation: `'reference'` (TypeScript), `'onnx'` (onnxruntime-node) or `'wasm'` (WebAssembly SIMD) */
  readonly name: 'reference' | 'onnx' | 'wasm';
  /** the NDE construction version this backend computes (1 or 2); backends of different versions give different bytes */
  readonly version: NdeVersion;
  /** the 32-byte model id of {@link NdeBackend.version} (what an envelope header names); a fresh copy, or at least never to be mutated */
  readonly modelId: Uint8Array;
  /**
   * Encrypts a batch of chunks that share one (key, salt). `result[i]` has the length of `items[i].data`.
   * @param key - 32-byte NDE key (derive it from the file key with its own HKDF label)
   * @param salt - envelope salt (0..1024 bytes)
   * @param items - chunks with their indices
   * @throws NqcNdeError (as a rejection): `ERR_NDE_INVALID_INPUT`, and for ONNX `ERR_NDE_SELF_TEST_FAILED`,
   *   `ERR_NDE_BACKEND_FAILED`, `ERR_NDE_CLOSED`
   */
  encryptChunks(key: Uint8Array, salt: Uint8Array, items: NdeChunk[]): Promise<Uint8Array[]>;
  /** Decrypts a batch of chunks; see {@link NdeBackend.encryptChunks}. */
  decryptChunks(key: Uint8Array, salt: Uint8Array, items: NdeChunk[]): Promise<Uint8Array[]>;
  /** Wipes cached key material and releases sessions and worker threads. */
  close(): Promise<void>;
}
