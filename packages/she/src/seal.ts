// Loading node-seal, freeing its objects deterministically, and turning its failures into typed errors.
//
// How node-seal 6.0.3 loads (checked on Node 20.20, jest 30 ESM mode): the package has no `exports`
// map; `main` is a UMD/CommonJS build with the WASM inlined as base64 (`throws_wasm_node_umd.js`), and
// bundlers pick `browser`/`module` (`throws_wasm_web_*`). `import SEAL from 'node-seal'` therefore
// yields the loader function at run time, under plain Node and under jest's ESM mode alike, with no
// config. TypeScript (NodeNext) disagrees: the `types` entry is an ESM-style d.ts in a CommonJS package,
// so the default import is typed as the module namespace and "is not callable". We cast once, here.
// node-seal 7.x needs WASM GC (`invalid value type 'noexternref'` on Node 20): pinned to 6.0.3.
// Browsers: node-seal's `browser` file (UMD) has a `require("url")` that esbuild and webpack refuse
// to bundle by default, so `#seal` (package.json `imports`) maps the `browser` condition to the
// ES-module web build, which has no Node built-in; everything else gets `node-seal` itself.
import sealModule from '#seal';
import type { SEALLibrary } from 'node-seal/implementation/seal.js';
import { NqcSheError, fail } from './errors.js';

/** @internal The node-seal library object. */
export type Seal = SEALLibrary;

type Loader = () => Promise<SEALLibrary>;
const loader: Loader =
  typeof sealModule === 'function'
    ? (sealModule as unknown as Loader)
    : ((sealModule as unknown as { default: Loader }).default);

let sealPromise: Promise<SEALLibrary> | undefined;
let poisoned: NqcSheError | undefined;

/**
 * @internal Loads (once per JS realm) and returns the SEAL WASM instance.
 * After a fatal WASM error the instance is never used again: SEAL was seen to hang on the call that
 * follows a `std::bad_alloc`, so we fail fast instead.
 */
export function loadSeal(): Promise<SEALLibrary> {
  if (poisoned) return Promise.reject(poisoned);
  sealPromise ??= loader().catch((e: unknown) => {
    sealPromise = undefined;
    throw new NqcSheError('ERR_SHE_SEAL_FATAL', 'failed to load the SEAL WebAssembly module', { cause: e });
  });
  return sealPromise;
}

/** @internal Throws if a fatal error has poisoned this realm's SEAL instance. */
export function assertUsable(): void {
  if (poisoned) throw poisoned;
}

/** True once SEAL has failed fatally in this JS realm (see `ERR_SHE_SEAL_FATAL`). */
export function isSealPoisoned(): boolean {
  return poisoned !== undefined;
}

function isFatal(e: unknown): boolean {
  if (e instanceof Error && e.name === 'RuntimeError') return true; // WebAssembly.RuntimeError: an abort
  const m = e instanceof Error ? e.message : String(e);
  return /bad_alloc|Aborted\(|out of memory|memory access out of bounds|unreachable/i.test(m);
}

/**
 * @internal Runs a SEAL call; SEAL exceptions become `ERR_SHE_SEAL` (or `code` if given), WASM
 * aborts become `ERR_SHE_SEAL_FATAL` and poison the instance.
 */
export function sealCall<T>(what: string, fn: () => T, code: 'ERR_SHE_SEAL' | 'ERR_SHE_FORMAT' = 'ERR_SHE_SEAL'): T {
  assertUsable();
  try {
    return fn();
  } catch (e) {
    if (e instanceof NqcSheError) throw e;
    if (isFatal(e)) {
      poisoned = new NqcSheError('ERR_SHE_SEAL_FATAL', `SEAL failed fatally during ${what}; this SEAL instance is unusable`, {
        cause: e,
      });
      throw poisoned;
    }
    return fail(code, `${what} failed`, e);
  }
}

/** @internal Anything node-seal allocates in WASM memory. */
export interface Deletable {
  delete(): void;
}

/**
 * @internal Collects SEAL objects and frees them all, in reverse order, when the scope closes.
 * SEAL objects live in the WASM heap, which never shrinks: a forgotten `.delete()` is a leak.
 */
export class Scope {
  #items: Deletable[] = [];
  /** Registers `obj` for deletion and returns it. */
  add<T extends Deletable>(obj: T): T {
    this.#items.push(obj);
    return obj;
  }
  /** Frees everything registered so far. Idempotent. */
  free(): void {
    const items = this.#items;
    this.#items = [];
    for (let i = items.length - 1; i >= 0; i--) {
      try {
        items[i]!.delete();
      } catch {
        // already deleted, or the instance is poisoned: nothing more to free
      }
    }
  }
}

/** @internal Runs `fn` with a scope that is freed when `fn` returns or throws. */
export function scoped<T>(fn: (s: Scope) => T): T {
  const s = new Scope();
  try {
    return fn(s);
  } finally {
    s.free();
  }
}

/**
 * @internal Checks the 16-byte SEAL serialisation header before SEAL sees the bytes, so that a length
 * or compression mode we did not produce is refused by us (typed error) rather than by the WASM code.
 * Layout (SEAL 4.1, little-endian): magic 0xA15E u16, header size 0x10 u8, version 4.1 (u8, u8),
 * compression mode u8 (2 = zstd), reserved u16 = 0, total size u64.
 */
export function checkSealHeader(b: Uint8Array, what: string, maxSize: number): void {
  if (!(b instanceof Uint8Array)) fail('ERR_SHE_FORMAT', `${what}: expected Uint8Array`);
  if (b.length < 16) fail('ERR_SHE_FORMAT', `${what}: SEAL object is truncated`);
  if (b.length > maxSize) fail('ERR_SHE_FORMAT', `${what}: SEAL object of ${b.length} bytes exceeds the cap of ${maxSize}`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint16(0, true) !== 0xa15e || b[2] !== 0x10) fail('ERR_SHE_FORMAT', `${what}: not a SEAL object`);
  if (b[3] !== 4 || b[4] !== 1) fail('ERR_SHE_FORMAT', `${what}: unsupported SEAL version ${b[3]}.${b[4]}`);
  if (b[5] !== 2) fail('ERR_SHE_FORMAT', `${what}: SEAL object must be zstd-compressed`);
  if (dv.getUint16(6, true) !== 0) fail('ERR_SHE_FORMAT', `${what}: reserved SEAL header bits set`);
  const size = dv.getBigUint64(8, true);
  if (size !== BigInt(b.length)) fail('ERR_SHE_FORMAT', `${what}: SEAL size field ${size} does not match ${b.length} bytes`);
}
