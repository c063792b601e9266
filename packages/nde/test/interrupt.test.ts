// A signal while the ONNX worker pool is inside session.run: process.exit() or worker.terminate()
// there makes onnxruntime-node abort the process (exit 134, "terminate called after throwing an
// instance of 'Napi::Error'"). closeAllNde() lets the runs in progress finish, so the handler can exit
// 130 cleanly. The child runs from dist/ (turbo builds the package before its tests).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const child = fileURLToPath(new URL('./fixtures/interrupt-child.mjs', import.meta.url));

describe('interrupting a process that is encrypting on the ONNX pool', () => {
  for (const [signal, version] of [['SIGINT', 1], ['SIGTERM', 1], ['SIGINT', 2], ['SIGTERM', 2]] as const) {
    it(`${signal} mid-run (NDE v${version}): closeAllNde() then exit 130, no abort`, async () => {
      const p = spawn(process.execPath, [child, String(version)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const exited = new Promise<{ code: number | null; sig: NodeJS.Signals | null }>((resolve) =>
        p.on('exit', (code, sig) => resolve({ code, sig })),
      );
      await new Promise<void>((resolve, reject) => {
        p.stdout.on('data', (b: Buffer) => b.toString().includes('running') && resolve());
        p.on('exit', () => reject(new Error(`child exited before running: ${stderr}`)));
      });
      // Several signals, spread over a few runs: each lands while workers are busy.
      for (let i = 0; i < 3; i++) {
        p.kill(signal);
        await new Promise((r) => setTimeout(r, 30));
      }
      expect(await exited).toEqual({ code: 130, sig: null });
      expect(stderr).not.toMatch(/Aborted|Napi::Error|terminate called/);
    }, 120_000);
  }
});
