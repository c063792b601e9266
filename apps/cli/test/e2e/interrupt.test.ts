import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

  it('SIGINT during rotate leaves no temporary file (was: a 33 MB hidden file)', async () => {
    const d = workdir();
    expect(nqc(d, ['keygen', '-o', 'k.key']).status).toBe(0);
    writeFileSync(join(d, 'k.pub'), nqc(d, ['keygen', '-y', 'k.key']).stdout);
    writeFileSync(join(d, 'plain.bin'), randomBytes(64 << 20));
    expect(nqc(d, ['encrypt', '-R', 'k.pub', '--nde', 'off', '-o', 'big.nqc', 'plain.bin']).status).toBe(0);
    const child = spawn(process.execPath, [NQC_BIN, 'rotate', '-i', 'k.key', '-R', 'k.pub', '-o', 'new.nqc', 'big.nqc'], { cwd: d, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(() => readdirSync(d).some((f) => f.includes('nqc-tmp')));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(readdirSync(d).sort()).toEqual(['big.nqc', 'k.key', 'k.pub', 'plain.bin']);
  }, 120_000);

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`${signal} during decrypt --verify from a pipe leaves no plaintext in the temporary directory`, async () => {
      const d = workdir();
      const tmp = mkdtempSync(join(tmpdir(), 'nqc-e2e-tmpdir-'));
      expect(nqc(d, ['keygen', '-o', 'k.key']).status).toBe(0);
      writeFileSync(join(d, 'k.pub'), nqc(d, ['keygen', '-y', 'k.key']).stdout);
      const plain = randomBytes(8 << 20);
      writeFileSync(join(d, 'plain.bin'), plain);
      expect(nqc(d, ['encrypt', '-R', 'k.pub', '-s', 'k.key', '--nde', 'off', '-o', 'big.nqc', 'plain.bin']).status).toBe(0);
      const envelope = readFileSync(join(d, 'big.nqc'));
      const child = spawn(process.execPath, [NQC_BIN, 'decrypt', '-i', 'k.key', '--verify', 'k.pub'], {
        cwd: d,
        stdio: ['pipe', 'ignore', 'ignore'],
        env: { ...process.env, NODE_OPTIONS: '', TMPDIR: tmp },
      });
      child.stdin.on('error', () => undefined);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      // Most of the envelope: every chunk but the last could be decrypted, the signature not checked.
      child.stdin.write(envelope.subarray(0, envelope.length - 200_000));
      const files = () => readdirSync(tmp, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
      const samples = [plain.subarray(0, 64), plain.subarray(65536, 65536 + 64), plain.subarray(4 << 20, (4 << 20) + 64)];
      const found: string[] = [];
      try {
        await waitFor(() => files().some((f) => statSync(f).size >= 4 << 20));
        await new Promise((r) => setTimeout(r, 300));
        for (const f of files()) {
          const bytes = readFileSync(f);
          if (samples.some((s) => bytes.includes(s))) found.push(f);
        }
      } finally {
        child.kill(signal);
      }
      expect(found).toEqual([]); // ciphertext only, never plaintext
      const code = await exited;
      if (signal === 'SIGTERM') {
        expect(code).toBe(130);
        expect(readdirSync(tmp)).toEqual([]); // the spool is gone too
      }
    }, 120_000);
  }
});
