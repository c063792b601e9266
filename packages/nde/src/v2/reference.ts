/**
 * The NDE v2 reference backend: docs/nde-v2-spec.md in TypeScript (runs in browsers), on the fast
 * exact kernel of `./kernel.ts`. test/v2/spec.ts is the slow, literal reading it is checked against.
 */
import { _checkBytes, _checkIndex, _checkItems, _checkKeySalt } from '../checks.js';
import type { NdeReferenceBackend } from '../reference.js';
import type { NdeChunk } from '../types.js';
import { ndeModelIdOf } from '../versions.js';
import { _ParamCacheV2, type NdeParamsV2 } from './derive.js';
import { _KernelV2 } from './kernel.js';

/** Creates a v2 reference backend with its own parameter cache. @internal (use `createReferenceNde({ version: 2 })`) */
export function _createReferenceBackendV2(): NdeReferenceBackend {
  const cache = new _ParamCacheV2();
  let kernel: _KernelV2 | undefined;
  let kernelParams: NdeParamsV2 | undefined;
  const kernelFor = (key: Uint8Array, salt: Uint8Array): _KernelV2 => {
    const params = cache.get(key, salt);
    if (kernel === undefined || kernelParams !== params) {
      kernel?.wipe();
      kernel = new _KernelV2(params);
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
    version: 2,
    get modelId() {
      return ndeModelIdOf(2);
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
