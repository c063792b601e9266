// The NDE inner layer: backend choice, construction version, and the adapter to the container's
// InnerLayer interface. The container derives the NDE key from the file key with its own label
// (`nqc/v1/nde`) and passes it here with the header salt: core never invents a key.
//
// Versions: an envelope names its NDE model by SHA-256 (the suite's inner-layer id), and the model id
// names the construction (v1 or v2). Encryption writes NDE_DEFAULT_VERSION (2) unless asked for
// another; decryption maps the header's id to its version and uses a backend of THAT version. The id
// written is always the backend's own `modelId`, so a header can never name a model other than the one
// that made the keystream.
import type { InnerLayer } from '@nqc/container';
import { createWasmNde, NDE_DEFAULT_VERSION, ndeModelIdOf, ndeVersionOf, referenceBackend, referenceBackendV2, type NdeBackend, type NdeVersion } from '@nqc/nde';
import { fail } from './errors.js';

/**
 * Which NDE backend to use (for the NDE version being written, or the one an envelope names).
 * - `'auto'` (default): in `@nqc/core/node` the fastest backend of that version that loads and passes
 *   its known-answer self-test (`@nqc/nde/node`'s `createNde`), else the reference backend with a
 *   one-time warning; in `@nqc/core` (browsers) for v2 the WebAssembly SIMD backend when the engine
 *   compiles it and it passes its self-test (in the calling thread: use a Worker), else the reference
 *   backend; for v1 the reference backend.
 * - `'onnx'`: the ONNX backend or an error (`@nqc/core/node` only).
 * - `'wasm'`: the WebAssembly SIMD backend or an error (`ERR_CORE_NDE_UNAVAILABLE` where it does not exist).
 * - `'reference'`: the pure TypeScript backend (the specification; slow).
 * - `'off'`: no NDE layer (encrypt); refuse envelopes that need one (decrypt).
 * - an `NdeBackend` object: use it as is (the caller closes it). It serves one NDE version (its
 *   `version`): envelopes of another version are refused with `ERR_FORMAT_INNER_LAYER`.
 */
export type NdeChoice = 'auto' | 'onnx' | 'wasm' | 'reference' | 'off' | NdeBackend;

/** A backend choice that is not `'off'`. */
type BackendChoice = Exclude<NdeChoice, 'off'>;

/** @internal What differs between the browser and the Node entry. */
export interface Platform {
  readonly provider?: import('@nqc/container').CryptoProvider;
  /** Returns the backend of NDE `version` for a choice (never called with 'off'). */
  ndeBackend(choice: BackendChoice, version: NdeVersion): Promise<NdeBackend>;
}

/** @internal Checks an `nde` option. */
export function checkNdeChoice(c: unknown): NdeChoice {
  if (c === undefined) return 'auto';
  if (c === 'auto' || c === 'onnx' || c === 'wasm' || c === 'reference' || c === 'off') return c;
  const b = c as Partial<NdeBackend> | null;
  if (b && typeof b.encryptChunks === 'function' && typeof b.decryptChunks === 'function') {
    if ((b.version !== 1 && b.version !== 2) || !(b.modelId instanceof Uint8Array) || b.modelId.length !== 32) {
      fail('ERR_CORE_INVALID_ARGUMENT', '"nde" backend object needs its "version" (1 or 2) and 32-byte "modelId" (see @nqc/nde NdeBackend)');
    }
    // The header will name `modelId`, and readers pick the construction from it: a backend whose id
    // is not its version's model would write envelopes that name one construction and hold another.
    if (!sameId(b.modelId, ndeModelIdOf(b.version))) {
      fail('ERR_CORE_INVALID_ARGUMENT', `"nde" backend object says NDE v${b.version} but its "modelId" is not the v${b.version} model's id`);
    }
    return c as NdeBackend;
  }
  return fail('ERR_CORE_INVALID_ARGUMENT', `"nde" expected 'auto', 'onnx', 'wasm', 'reference', 'off' or an NdeBackend, got ${String(c)}`);
}

/**
 * @internal Checks an `ndeVersion` option (`undefined`: NDE_DEFAULT_VERSION, or the version of an
 * `NdeBackend` object given as `nde`). A backend object of another version is refused.
 */
export function checkNdeVersion(v: unknown, choice: NdeChoice): NdeVersion {
  if (v !== undefined && v !== 1 && v !== 2) fail('ERR_CORE_INVALID_ARGUMENT', `"ndeVersion" expected 1 or 2, got ${String(v)}`);
  if (typeof choice === 'object') {
    if (v !== undefined && v !== choice.version) fail('ERR_CORE_INVALID_ARGUMENT', `"ndeVersion" is ${String(v)} but the "nde" backend object is NDE v${choice.version}`);
    return choice.version;
  }
  return (v as NdeVersion | undefined) ?? NDE_DEFAULT_VERSION;
}

/** @internal The reference backend of `version` (one shared instance each). */
export function referenceOf(version: NdeVersion): NdeBackend {
  return version === 1 ? referenceBackend : referenceBackendV2;
}

/**
 * @internal Adapts an NDE backend to the container's inner-layer interface. The id is the backend's
 * own model id (SHA-256 of the model file of its version), copied: it is what the header will name.
 */
export function ndeInner(backend: NdeBackend): InnerLayer {
  return {
    id: backend.modelId.slice(),
    encryptChunks: (key, salt, items) => backend.encryptChunks(key, salt, items),
    decryptChunks: (key, salt, items) => backend.decryptChunks(key, salt, items),
  };
}

let browserWasm: Promise<NdeBackend> | undefined;

/**
 * @internal The WebAssembly SIMD backend of NDE v2 in the calling thread, one per realm, compiled and
 * self-tested on first use. A failure (no WebAssembly SIMD here, self-test mismatch) is not cached.
 */
export function browserWasmBackend(): Promise<NdeBackend> {
  browserWasm ??= (async () => {
    const b = createWasmNde();
    await b.ready();
    return b;
  })().catch((err: unknown) => {
    browserWasm = undefined;
    throw err;
  });
  return browserWasm;
}

/**
 * @internal The browser platform: v2 on the WebAssembly SIMD backend when it works here (`'auto'`
 * falls back to the reference backend silently: it is the specification, and in a browser there is
 * nothing to reinstall), v1 and `'reference'` on the reference backend; ONNX needs Node.
 */
export const browserPlatform: Platform = {
  async ndeBackend(choice, version) {
    if (typeof choice === 'object') return choice;
    if (choice === 'onnx') fail('ERR_CORE_NDE_UNAVAILABLE', "the ONNX NDE backend needs Node.js: import from '@nqc/core/node'");
    if (choice === 'wasm') {
      if (version !== 2) fail('ERR_CORE_NDE_UNAVAILABLE', `there is no WebAssembly backend of NDE v${version} (v2 only): use 'auto' or 'reference'`);
      try {
        return await browserWasmBackend();
      } catch (err) {
        return fail('ERR_CORE_NDE_UNAVAILABLE', `the WebAssembly NDE backend is unavailable here: ${err instanceof Error ? err.message : String(err)}`, err);
      }
    }
    if (choice === 'auto' && version === 2) return browserWasmBackend().catch(() => referenceOf(2));
    return referenceOf(version);
  },
};

let fallbackWarned = false;

/** What `autoNdeBackend` asks `@nqc/nde/node`'s `createNde` for. */
interface AutoCreateOptions {
  readonly backend: 'auto';
  readonly version: NdeVersion;
  readonly onFallback: (reason: Error) => void;
}

/**
 * @internal `nde: 'auto'` in Node: `createNde({ backend: 'auto', version })`, i.e. the fastest backend
 * of `version` that works here. When it falls back to the reference backend (or `createNde` itself
 * fails), one process warning per process (`NQC_NDE_FALLBACK`) says why and how to fix it: the
 * fallback is much slower, and its usual cause is silent (npm drops onnxruntime-node when its install
 * script fails offline). Passing `onFallback` replaces @nqc/nde's own warning, so it cannot show twice.
 */
export async function autoNdeBackend(create: (opts: AutoCreateOptions) => Promise<NdeBackend>, version: NdeVersion = NDE_DEFAULT_VERSION): Promise<NdeBackend> {
  try {
    return await create({ backend: 'auto', version, onFallback: warnFallback });
  } catch (err) {
    warnFallback(err);
    return referenceOf(version);
  }
}

function warnFallback(err: unknown): void {
  const proc = (globalThis as { process?: { emitWarning?: (msg: string, opts: { code: string }) => void } }).process;
  if (fallbackWarned || typeof proc?.emitWarning !== 'function') return;
  fallbackWarned = true;
  const why = (e: unknown): string => (e instanceof Error ? e.message + (e.cause ? `: ${why(e.cause)}` : '') : String(e));
  proc.emitWarning(
    `nqc: the fast NDE backends are unavailable (${why(err)}); using the reference backend, much slower. ` +
      'If npm dropped onnxruntime-node because its install script failed offline, reinstall with ' +
      "`ONNXRUNTIME_NODE_INSTALL=skip npm install`. Pass nde: 'reference' to choose it without this warning.",
    { code: 'NQC_NDE_FALLBACK' },
  );
}

/**
 * @internal For encryption: the backend to use (`undefined` for `'off'`), of the version asked for
 * (default NDE_DEFAULT_VERSION). A backend whose `version` disagrees is refused: its model id would
 * name another construction than the one asked for.
 */
export async function backendForEncrypt(platform: Platform, choice: NdeChoice, ndeVersion: unknown): Promise<NdeBackend | undefined> {
  const version = checkNdeVersion(ndeVersion, choice);
  if (choice === 'off') return undefined;
  const backend = await platform.ndeBackend(choice, version);
  if (backend.version !== version) fail('ERR_CORE_NDE_UNAVAILABLE', `asked for NDE v${version}, the backend is NDE v${backend.version}`);
  return backend;
}

/** @internal For encryption: the inner layer to use, or undefined for `'off'`. */
export async function innerForEncrypt(platform: Platform, choice: NdeChoice, ndeVersion?: unknown): Promise<InnerLayer | undefined> {
  const backend = await backendForEncrypt(platform, choice, ndeVersion);
  return backend && ndeInner(backend);
}

/**
 * @internal For decryption: the backend for the header's inner-layer id, or `undefined` when this
 * library does not know the id (another model), when `choice` is `'off'`, or when a caller's backend
 * object serves another version. The container then refuses with `ERR_FORMAT_INNER_LAYER`.
 */
export async function backendForId(platform: Platform, choice: NdeChoice, id: Uint8Array): Promise<NdeBackend | undefined> {
  if (choice === 'off') return undefined;
  const version = ndeVersionOf(id);
  if (version === undefined) return undefined;
  if (typeof choice === 'object' && choice.version !== version) return undefined;
  const backend = await platform.ndeBackend(choice, version);
  return sameId(backend.modelId, id) ? backend : undefined;
}

/**
 * @internal For decryption: a resolver from the header's inner-layer id. The backend is created only
 * when an envelope names an NDE model, so opening a plain envelope never loads ONNX; it is the backend
 * of the version the id names (v1 envelopes open with v1, v2 with v2).
 */
export function innerResolver(platform: Platform, choice: NdeChoice) {
  return async (id: Uint8Array): Promise<InnerLayer | undefined> => {
    const backend = await backendForId(platform, choice, id);
    return backend && ndeInner(backend);
  };
}

function sameId(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Re-exported from `@nqc/nde`: `NDE_DEFAULT_VERSION` (2, what `encrypt` writes unless `ndeVersion`
 * says otherwise), `ndeModelIdOf(version)` (the 32-byte model id an envelope of that version names),
 * `NDE_MODEL_ID` (the v1 model id, kept for compatibility: prefer `ndeModelIdOf`).
 */
export { NDE_DEFAULT_VERSION, NDE_MODEL_ID, ndeModelIdOf, type NdeVersion } from '@nqc/nde';
