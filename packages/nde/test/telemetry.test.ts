// onnxruntime-node 1.30 on Linux writes telemetry unless ORT_DISABLE_TELEMETRY is set: files in
// $TMPDIR (mat-debug-<pid>.log, .ses) and a device id + event database under
// ~/.cache/Microsoft/DeveloperTools/. The ONNX backend sets the variable before the native library
// loads; this test runs a real encryption on the pool in a child with empty TMPDIR and HOME and
// checks that nothing appears in either. The child runs from dist/ (turbo builds before tests).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const child = fileURLToPath(new URL('./fixtures/telemetry-child.mjs', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name));
}

describe('onnxruntime telemetry', () => {
  it('an ONNX encryption leaves nothing in TMPDIR or HOME', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'nqc-nde-tmp-'));
    const home = mkdtempSync(join(tmpdir(), 'nqc-nde-home-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, HOME: home };
      delete env['ORT_DISABLE_TELEMETRY'];
      const r = spawnSync(process.execPath, [child], { env, encoding: 'utf8', timeout: 110_000 });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('done\n');
      expect(filesUnder(tmp)).toEqual([]);
      expect(filesUnder(home)).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);
});
