import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NQC_BIN, nqc, workdir } from './harness.js';

const waitFor = async (check: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('interrupting nqc', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} in the middle of a decryption leaves no output and no temporary file`, async () => {
      const d = workdir();
      expect(nqc(d, ['keygen', '-o', 'k.key']).status).toBe(0);
      const recipient = nqc(d, ['keygen', '-y', 'k.key']).stdout.toString().split('\n')[0]!;
      writeFileSync(join(d, 'plain.bin'), randomBytes(4 << 20));
      expect(nqc(d, ['encrypt', '-r', recipient, '--nde', 'off', '-o', 'big.nqc', 'plain.bin']).status).toBe(0);
      const envelope = readFileSync(join(d, 'big.nqc'));

      const child = spawn(process.execPath, [NQC_BIN, 'decrypt', '-i', 'k.key', '-o', 'out.bin'], { cwd: d, stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.stdin.on('error', () => undefined); // EPIPE once the child is gone
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      // Feed half the envelope, wait until plaintext is being written to the temporary file, then interrupt.
      child.stdin.write(envelope.subarray(0, envelope.length >> 1));
      await waitFor(() => readdirSync(d).some((f) => f.includes('nqc-tmp')));
      child.kill(signal);
      expect(await exited).toBe(130);
      expect(stderr).toContain('nqc: interrupted');
      expect(existsSync(join(d, 'out.bin'))).toBe(false);
      expect(readdirSync(d).filter((f) => f.includes('nqc-tmp'))).toEqual([]);
    });
  }

  it('a truncated stream on stdin leaves no output file', () => {
    const d = workdir();
    expect(nqc(d, ['keygen', '-o', 'k.key']).status).toBe(0);
    const recipient = nqc(d, ['keygen', '-y', 'k.key']).stdout.toString().split('\n')[0]!;
    const enc = nqc(d, ['encrypt', '-r', recipient, '--nde', 'off'], { input: randomBytes(300_000) });
    const r = nqc(d, ['decrypt', '-i', 'k.key', '-o', 'out.bin'], { input: enc.stdout.subarray(0, 200_000) });
    expect(r.status).toBe(1);
    expect(existsSync(join(d, 'out.bin'))).toBe(false);
    expect(readdirSync(d).sort()).toEqual(['k.key']);
  });
});
