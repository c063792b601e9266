// The NDE inner layer: backend choice and the adapter to the container's InnerLayer interface. The
// container derives the NDE key from the file key with its own label (`nqc/v1/nde`) and passes it here
// with the header salt: core never invents a key.
import type { InnerLayer } from '@nqc/container';
import { NDE_MODEL_ID, referenceBackend, type NdeBackend } from '@nqc/nde';
import { fail } from './errors.js';

/**
 * Which NDE backend to use.
 * - `'auto'` (default): in `@nqc/core/node` the ONNX backend when onnxruntime-node loads and passes
 *   its known-answer self-test, else the reference backend; in `@nqc/core` (browsers) the reference backend.
 * - `'onnx'`: the ONNX backend or an error (`@nqc/core/node` only).
 * - `'reference'`: the pure TypeScript backend (the specification; slow).
 * - `'off'`: no NDE layer (encrypt); refuse envelopes that need one (decrypt).
 * - an `NdeBackend` object: use it as is (the caller closes it).
 */
export type NdeChoice = 'auto' | 'onnx' | 'reference' | 'off' | NdeBackend;

/** @internal What differs between the browser and the Node entry. */
export interface Platform {
  readonly provider?: import('@nqc/container').CryptoProvider;
  /** Returns the backend for a choice (never called with 'off'). */
  ndeBackend(choice: Exclude<NdeChoice, 'off'>): Promise<NdeBackend>;
}

/** @internal Checks an `nde` option. */
export function checkNdeChoice(c: unknown): NdeChoice {
  if (c === undefined) return 'auto';
  if (c === 'auto' || c === 'onnx' || c === 'reference' || c === 'off') return c;
  if (c && typeof (c as NdeBackend).encryptChunks === 'function' && typeof (c as NdeBackend).decryptChunks === 'function') return c as NdeBackend;
  return fail('ERR_CORE_INVALID_ARGUMENT', `"nde" expected 'auto', 'onnx', 'reference', 'off' or an NdeBackend, got ${String(c)}`);
}

/** @internal Adapts an NDE backend to the container's inner-layer interface (id = model SHA-256). */
export function ndeInner(backend: NdeBackend): InnerLayer {
  return {
    id: NDE_MODEL_ID,
    encryptChunks: (key, salt, items) => backend.encryptChunks(key, salt, items),
    decryptChunks: (key, salt, items) => backend.decryptChunks(key, salt, items),
  };
}

/** @internal The browser platform: reference backend only. */
export const browserPlatform: Platform = {
  async ndeBackend(choice) {
    if (typeof choice === 'object') return choice;
    if (choice === 'onnx') fail('ERR_CORE_NDE_UNAVAILABLE', "the ONNX NDE backend needs Node.js: import from '@nqc/core/node'");
    return referenceBackend;
  },
};

let fallbackWarned = false;

/**
 * @internal `nde: 'auto'` in Node: the ONNX backend, else the reference backend with a one-time
 * process warning (`NQC_NDE_FALLBACK`) that says why and how to fix it. The fallback is 10-20x
 * slower, and its usual cause is silent: npm drops onnxruntime-node when its install script fails
 * offline. Asking `create` for `'onnx'` (not `'auto'`) keeps the reason and means a notice added
 * inside @nqc/nde's own auto path cannot show twice.
 */
export async function autoNdeBackend(create: (opts: { backend: 'onnx' }) => Promise<NdeBackend>): Promise<NdeBackend> {
  try {
    return await create({ backend: 'onnx' });
  } catch (err) {
    const proc = (globalThis as { process?: { emitWarning?: (msg: string, opts: { code: string }) => void } }).process;
    if (!fallbackWarned && typeof proc?.emitWarning === 'function') {
      fallbackWarned = true;
      const why = (e: unknown): string => (e instanceof Error ? e.message + (e.cause ? `: ${why(e.cause)}` : '') : String(e));
      proc.emitWarning(
        `nqc: the ONNX NDE backend is unavailable (${why(err)}); using the reference backend, 10-20x slower. ` +
          'If npm dropped onnxruntime-node because its install script failed offline, reinstall with ' +
          "`ONNXRUNTIME_NODE_INSTALL=skip npm install`. Pass nde: 'reference' to choose it without this warning.",
        { code: 'NQC_NDE_FALLBACK' },
      );
    }
    return referenceBackend;
  }
}

/** @internal For encryption: the inner layer to use, or undefined for `'off'`. */
export async function innerForEncrypt(platform: Platform, choice: NdeChoice): Promise<InnerLayer | undefined> {
  if (choice === 'off') return undefined;
  return ndeInner(await platform.ndeBackend(choice));
}

/**
 * @internal For decryption: a resolver from the header's inner-layer id. The backend is created only
 * when an envelope names the NDE model, so opening a plain envelope never loads ONNX. A different id
 * (another model version) resolves to nothing: the container then refuses with `ERR_FORMAT_INNER_LAYER`.
 */
export function innerResolver(platform: Platform, choice: NdeChoice) {
  return async (id: Uint8Array): Promise<InnerLayer | undefined> => {
    if (choice === 'off' || !sameId(id, NDE_MODEL_ID)) return undefined;
    return ndeInner(await platform.ndeBackend(choice));
  };
}

function sameId(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export { NDE_MODEL_ID };
