/**
 * The synchronous backend around a per-(key, salt) kernel, shared by the v1 and v2 reference
 * backends: input checks, a one-entry parameter cache, one kernel kept while the key and salt stay
 * the same, and wiping on `close()`.
 */
import { _checkBytes, _checkIndex, _checkItems, _checkKeySalt } from './checks.js';
import type { _KeyTensors, _OneKeyCache } from './key-schedule.js';
import type { NdeReferenceBackend } from './reference.js';
import type { NdeChunk } from './types.js';
import { ndeModelIdOf, type NdeVersion } from './versions.js';

/** A kernel built for one (key, salt): runs chunks and wipes its tables. @internal */
export interface _ChunkKernel {
  /** Encrypts (`decrypt` false) or decrypts `data` as chunk `index` into `out` (same length). */
  run(index: number, data: Uint8Array, out: Uint8Array, decrypt: boolean): void;
  /** Overwrites the kernel's secret tables and scratch with zeros. */
  wipe(): void;
}

/**
 * Creates a synchronous reference backend of `version` from its parameter cache and kernel constructor.
 * @internal
 */
export function _createKernelBackend<P extends _KeyTensors>(
  version: NdeVersion,
  cache: _OneKeyCache<P>,
  newKernel: (params: P) => _ChunkKernel,
): NdeReferenceBackend {
  let kernel: _ChunkKernel | undefined;
  let kernelParams: P | undefined;
  const kernelFor = (key: Uint8Array, salt: Uint8Array): _ChunkKernel => {
    const params = cache.get(key, salt);
    if (kernel === undefined || kernelParams !== params) {
      kernel?.wipe();
      kernel = newKernel(params);
      kernelParams = params;
    }
    return kernel;
  };
  const one = (key: Uint8Array, salt: Uint8Array, index: number, data: Uint8Array, decrypt: boolean): Uint8Array => {
    _checkKeySalt(key, salt);
    _checkIndex(index);
    _checkBytes(data, 'data');
    const out = new Uint8Array(data.length);
    kernelFor(key, salt).run(index, data, out, decrypt);
    return out;
  };
  const many = (key: Uint8Array, salt: Uint8Array, items: NdeChunk[], decrypt: boolean): Uint8Array[] => {
    _checkKeySalt(key, salt);
    _checkItems(items);
    const k = kernelFor(key, salt);
    return items.map(({ index, data }) => {
      const out = new Uint8Array(data.length);
      k.run(index, data, out, decrypt);
      return out;
    });
  };
  return {
    name: 'reference',
    version,
    get modelId() {
      return ndeModelIdOf(version);
    },
    encryptChunk: (key, salt, index, data) => one(key, salt, index, data, false),
    decryptChunk: (key, salt, index, data) => one(key, salt, index, data, true),
    // Async wrappers: errors become rejections, like the other backends'.
    encryptChunks: async (key, salt, items) => many(key, salt, items, false),
    decryptChunks: async (key, salt, items) => many(key, salt, items, true),
    close: async () => {
      kernel?.wipe();
      kernel = kernelParams = undefined;
      cache.clear();
    },
  };
}
