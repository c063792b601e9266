// The message protocol between NqcWorkerClient (main thread) and serveNqc (the worker). Everything
// crosses by structured clone: keys as strings, bytes as Uint8Array (their buffers transferred when
// the sender owns them whole), streams as transferred ReadableStreams. Errors cross as
// { name, code, message } and are rebuilt as the same error classes on the other side.
import { NqcFormatError } from '@nqc/container';
import { NqcNdeError } from '@nqc/nde';
import { NqcPqlError } from '@nqc/pql';
import { NqcCoreError } from './errors.js';
import type { AeadName } from '@nqc/container';
import type { EnvelopeInfo } from './info.js';
import type { SignerReport } from './keys.js';

/** Options of an encryption in the worker: {@link import('./envelope.js').EncryptOptions} with keys as strings. */
export interface WorkerEncryptOptions {
  /** Recipient strings (`nqc1...` / `nqc-pub-...`). */
  readonly recipients: string | readonly string[];
  /** A signing-key string (`NQC-SIGN-SECRET-...`). */
  readonly signer?: string | undefined;
  /** ASCII armor the output (bytes input only). */
  readonly armor?: boolean | undefined;
  /** NDE layer; in a browser worker `'auto'` is the WebAssembly backend for NDE v2 when it works there, else the reference backend. */
  readonly nde?: 'auto' | 'wasm' | 'reference' | 'off' | undefined;
  /** NDE construction to write: 2 (default) or 1. See `EncryptOptions.ndeVersion`. */
  readonly ndeVersion?: 1 | 2 | undefined;
  /** Payload AEAD. */
  readonly aead?: AeadName | undefined;
  /** Plaintext bytes per chunk. */
  readonly chunkSize?: number | undefined;
}

/** Options of a decryption in the worker: {@link import('./envelope.js').DecryptOptions} with keys as strings. */
export interface WorkerDecryptOptions {
  /** Secret identity strings (`NQC-SECRET-...`). */
  readonly identities: string | readonly string[];
  /** Verifying-key strings of the signers you require. */
  readonly requireSigner?: string | readonly string[] | undefined;
  /** NDE backend for envelopes that use the NDE layer. */
  readonly nde?: 'auto' | 'wasm' | 'reference' | 'off' | undefined;
  /** Streams with `requireSigner`: see `DecryptOptions.allowUnverifiedOutput`. */
  readonly allowUnverifiedOutput?: boolean | undefined;
}

/** An error as it crosses the thread boundary. */
export interface WireError {
  readonly name: string;
  readonly code: string;
  readonly message: string;
}

/** Main thread to worker. */
export type WorkerRequest =
  | { readonly nqc: 1; readonly id: number; readonly op: 'encrypt'; readonly input: Uint8Array | ReadableStream<Uint8Array>; readonly opts: WorkerEncryptOptions }
  | { readonly nqc: 1; readonly id: number; readonly op: 'decrypt'; readonly input: Uint8Array | string | ReadableStream<Uint8Array>; readonly opts: WorkerDecryptOptions };

/** Worker to main thread. A request gets `bytes` or `plaintext` or `stream` (+ `info`, `done` for decryption), or `error`. */
export type WorkerResponse =
  | { readonly nqc: 1; readonly id: number; readonly kind: 'bytes'; readonly value: Uint8Array | string }
  | { readonly nqc: 1; readonly id: number; readonly kind: 'plaintext'; readonly plaintext: Uint8Array; readonly signer: SignerReport | undefined; readonly info: EnvelopeInfo }
  | { readonly nqc: 1; readonly id: number; readonly kind: 'stream'; readonly stream: ReadableStream<Uint8Array> }
  | { readonly nqc: 1; readonly id: number; readonly kind: 'info'; readonly info: EnvelopeInfo }
  | { readonly nqc: 1; readonly id: number; readonly kind: 'done'; readonly signer: SignerReport | undefined }
  | { readonly nqc: 1; readonly id: number; readonly kind: 'error'; readonly error: WireError };

/** What both ends need of a Worker, a DedicatedWorkerGlobalScope or a MessagePort. */
export interface MessageEndpoint {
  // `any[]`: a DOM Worker takes `Transferable[]`, Node's MessagePort `readonly Transferable[]` of its
  // own Transferable type; only `any` accepts both (we pass ArrayBuffers and ReadableStreams).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  postMessage(message: unknown, transfer: any[]): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- DOM and Node event types differ: see above
  addEventListener(type: 'message', listener: (ev: any) => void): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  removeEventListener?(type: 'message', listener: (ev: any) => void): void;
  /** MessagePorts must be started; Workers and worker scopes have no `start`. */
  start?(): void;
}

/** @internal An error as plain data (the generic decryption message is kept as is). */
export function toWire(e: unknown): WireError {
  if (e instanceof Error) {
    const c: unknown = (e as Error & { code?: unknown }).code;
    const code = typeof c === 'string' ? c : 'ERR_INTERNAL';
    return { name: e.name, code, message: e.message };
  }
  return { name: 'Error', code: 'ERR_INTERNAL', message: String(e) };
}

/** @internal Rebuilds the error class a wire error came from (an unknown class: an Error with `name` and `code`). */
export function fromWire(w: WireError): Error {
  let e: Error;
  switch (w.name) {
    case 'NqcCoreError':
      e = new NqcCoreError(w.code as never, w.message);
      break;
    case 'NqcFormatError':
      e = new NqcFormatError(w.code as never, w.message);
      break;
    case 'NqcPqlError':
      e = new NqcPqlError(w.code as never, w.message);
      break;
    case 'NqcNdeError':
      e = new NqcNdeError(w.code as never, w.message);
      break;
    default:
      e = Object.assign(new Error(w.message), { code: w.code });
      e.name = w.name;
  }
  return e;
}

/**
 * @internal `bytes` in a buffer of its own, ready to transfer: the same view when it spans its whole
 * (non-shared) ArrayBuffer, else a copy (transferring a shared or larger buffer would detach
 * memory the sender still uses).
 */
export function ownBuffer(bytes: Uint8Array): Uint8Array {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  return whole ? bytes : bytes.slice();
}

/** @internal True for a message of this protocol. */
export function isNqcMessage(m: unknown): m is { nqc: 1; id: number } {
  return typeof m === 'object' && m !== null && (m as { nqc?: unknown }).nqc === 1 && typeof (m as { id?: unknown }).id === 'number';
}
