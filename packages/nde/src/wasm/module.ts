/**
 * The NDE v2 WebAssembly module: embedded bytes (module.generated.ts, built from wasm/nde-v2.wat by
 * `node wasm/build.mjs`), checked against their pinned SHA-256 and compiled once per realm.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { WasmModule } from '../../wasm/kernel.mjs';
import { NqcNdeError } from '../errors.js';
import { _NDE_WASM_BASE64, _NDE_WASM_SHA256 } from './module.generated.js';

/** The part of the WebAssembly JS API used here (this package compiles without lib "dom"). */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  validate(bytes: Uint8Array): boolean;
}

function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

/** The embedded module's bytes (a fresh copy). @internal */
export function _wasmModuleBytes(): Uint8Array {
  const bin = atob(_NDE_WASM_BASE64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Compiles module bytes (async: browsers refuse synchronous compiles of modules over 4 KiB on the main
 * thread). With `bytes` omitted, the embedded module, whose SHA-256 must be the pinned one.
 * @throws NqcNdeError `ERR_NDE_BACKEND_UNAVAILABLE` (no WebAssembly, or no SIMD: the engine rejects
 *   the module), `ERR_NDE_MODEL_MISMATCH` (embedded bytes altered)
 * @internal
 */
export async function _compileWasm(bytes?: Uint8Array): Promise<WasmModule> {
  const api = wasmApi();
  if (!api) throw new NqcNdeError('ERR_NDE_BACKEND_UNAVAILABLE', 'this JavaScript engine has no WebAssembly');
  const code = bytes ?? _wasmModuleBytes();
  if (!bytes && bytesToHex(sha256(code)) !== _NDE_WASM_SHA256) {
    throw new NqcNdeError('ERR_NDE_MODEL_MISMATCH', 'the embedded NDE WebAssembly module does not match its pinned SHA-256');
  }
  try {
    return await api.compile(code);
  } catch (err) {
    throw new NqcNdeError('ERR_NDE_BACKEND_UNAVAILABLE', 'this engine cannot compile the NDE WebAssembly module (WebAssembly SIMD 128 is required)', {
      cause: err,
    });
  }
}

let embedded: Promise<WasmModule> | undefined;

/** The embedded module, compiled once per realm (a failure is not cached). @internal */
export function _embeddedWasmModule(): Promise<WasmModule> {
  embedded ??= _compileWasm().catch((err: unknown) => {
    embedded = undefined;
    throw err;
  });
  return embedded;
}
