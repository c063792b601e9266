// `nde: 'auto'` without a working onnxruntime-node: the reference backend, and ONE process warning
// with the reason and the fix (issue 10, item 2: the slow path was silent).
import { describe, it, expect, jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { referenceBackend, referenceBackendV2, NqcNdeError } from '@nqc/nde';
import { autoNdeBackend } from '../src/nde.js';

describe("nde 'auto' falling back to the reference backend", () => {
  it('warns once per process, with the reason, the fix and the code NQC_NDE_FALLBACK', async () => {
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const broken = () => Promise.reject(new NqcNdeError('ERR_NDE_BACKEND_UNAVAILABLE', 'onnxruntime-node is not available', { cause: new Error("Cannot find package 'onnxruntime-node'") }));
      expect(await autoNdeBackend(broken, 1)).toBe(referenceBackend);
      expect(await autoNdeBackend(broken, 2)).toBe(referenceBackendV2);
      expect(spy).toHaveBeenCalledTimes(1);
      const [msg, opts] = spy.mock.calls[0] as unknown as [string, { code: string }];
      expect(opts.code).toBe('NQC_NDE_FALLBACK');
      expect(msg).toContain("Cannot find package 'onnxruntime-node'");
      expect(msg).toContain('ONNXRUNTIME_NODE_INSTALL=skip npm install');
    } finally {
      spy.mockRestore();
    }
  });

  it("asks @nqc/nde for its 'auto' backend of the version, with core's fallback handler, and returns it", async () => {
    const onnx = { ...referenceBackendV2, name: 'onnx' as const };
    const create = jest.fn((_o: { backend: 'auto'; version: 1 | 2; onFallback: (e: Error) => void }) => Promise.resolve(onnx));
    expect(await autoNdeBackend(create, 2)).toBe(onnx);
    expect(create).toHaveBeenCalledWith({ backend: 'auto', version: 2, onFallback: expect.any(Function) });
  });

  it("a fallback inside @nqc/nde's 'auto' is reported through core's one warning (not @nqc/nde's own)", async () => {
    const seen: string[] = [];
    const create = jest.fn(async (o: { backend: 'auto'; version: 1 | 2; onFallback: (e: Error) => void }) => {
      o.onFallback(new NqcNdeError('ERR_NDE_BACKEND_UNAVAILABLE', 'no fast backend here'));
      seen.push('fallback');
      return referenceBackendV2;
    });
    expect(await autoNdeBackend(create, 2)).toBe(referenceBackendV2);
    expect(seen).toEqual(['fallback']);
  });

  const dist = join(import.meta.dirname, '..', 'dist', 'node.js');
  (existsSync(dist) ? it : it.skip)('end to end (built dist, onnxruntime-node made unresolvable, NDE v1: ONNX is its fast backend): one warning on stderr for two encryptions', () => {
    // A resolve hook that makes `onnxruntime-node` missing, as after npm dropped it.
    const hook = `export async function resolve(s, c, next) { if (s === 'onnxruntime-node') { const e = new Error("Cannot find package 'onnxruntime-node'"); e.code = 'ERR_MODULE_NOT_FOUND'; throw e; } return next(s, c); }`;
    const register = `import { register } from 'node:module'; register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(hook))});`;
    const script = `
      import { encrypt, closeNde, generateIdentity, ndeBackendName } from ${JSON.stringify(dist)};
      const a = generateIdentity();
      await encrypt(new Uint8Array(1000), { recipients: a.recipient(), ndeVersion: 1 });
      await encrypt(new Uint8Array(1000), { recipients: a.recipient(), ndeVersion: 1 });
      console.log(await ndeBackendName('auto', 1));
      await closeNde();`;
    const r = spawnSync(process.execPath, ['--import', 'data:text/javascript,' + encodeURIComponent(register), '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(r.stderr).not.toMatch(/Error \[|Uncaught/);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('reference');
    expect(r.stderr.match(/NQC_NDE_FALLBACK/g)).toHaveLength(1);
    expect(r.stderr).toContain('ONNXRUNTIME_NODE_INSTALL=skip npm install');
  }, 120_000);
});
