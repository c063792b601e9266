/**
 * The NDE v2 reference backend: docs/nde-v2-spec.md in TypeScript (runs in browsers), on the fast
 * exact kernel of `./kernel.ts`. test/v2/spec.ts is the slow, literal reading it is checked against.
 */
import { _createKernelBackend } from '../kernel-backend.js';
import type { NdeReferenceBackend } from '../reference.js';
import { _ParamCacheV2 } from './derive.js';
import { _KernelV2 } from './kernel.js';

/** Creates a v2 reference backend with its own parameter cache. @internal (use `createReferenceNde({ version: 2 })`) */
export function _createReferenceBackendV2(): NdeReferenceBackend {
  return _createKernelBackend(2, new _ParamCacheV2(), (params) => new _KernelV2(params));
}
