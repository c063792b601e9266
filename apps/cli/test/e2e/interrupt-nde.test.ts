// Ctrl-C and SIGTERM with the neural layer on (the default): the ONNX worker threads are inside
// session.run when the signal lands, and exiting under them used to abort the process (exit 134,
// "terminate called after throwing an instance of 'Napi::Error'", "Aborted"). Expect 130, the
// interruption message, and nothing left behind, for encryption and decryption.
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NQC_BIN, nqc, workdir } from './harness.js';

const waitFor = async (check: () => boolean, ms = 60_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

/**
 * Runs `nqc args` and feeds `input` on stdin without end (round after round, respecting
 * backpressure), so that the neural layer is busy when the signal comes; sends `signal` once
 * `ready()` holds and at least 4 MiB went in.
 */
async function interrupt(d: string, args: string[], input: Buffer, signal: NodeJS.Signals, ready: () => boolean, times = 1) {
  const child = spawn(process.execPath, [NQC_BIN, ...args], { cwd: d, stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdin.on('error', () => undefined); // EPIPE once the child is gone
  const exited = new Promise<{ code: number | null; sig: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  let fed = 0;
  let gone = false;
  void exited.then(() => (gone = true));
  const feed = async () => {
    for (let off = 0; !gone; off = (off + (1 << 20)) % input.length) {
      const ok = child.stdin.write(input.subarray(off, off + (1 << 20)));
      fed += 1 << 20;
      if (!ok) await new Promise<void>((r) => (gone ? r() : child.stdin.once('drain', r), void exited.then(() => r())));
    }
  };
  void feed();
  await waitFor(() => gone || (fed >= 4 << 20 && ready()));
  child.kill(signal);
  // Repeated signals (an impatient second Ctrl-C) while the workers are still closing.
  for (let i = 1; i < times && !gone; i++) {
    await new Promise((r) => setTimeout(r, 25 * i));
    if (!gone) child.kill(signal);
  }
  return { result: await exited, stderr: () => stderr };
}

describe('interrupting nqc with the neural layer on', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} during encrypt: exit 130, no abort, no output, no temporary file`, async () => {
      const d = workdir();
      expect(nqc(d, ['keygen', '-o', 'k.key']).status).toBe(0);
      const recipient = nqc(d, ['keygen', '-y', 'k.key']).stdout.toString().split('\n')[0]!;
      const { result, stderr } = await interrupt(d, ['encrypt', '-r', recipient, '-o', 'out.nqc'], randomBytes(8 << 20), signal, () =>
        readdirSync(d).some((f) => f.includes('nqc-tmp')),
      );
      expect(stderr()).not.toMatch(/Aborted|Napi::Error|terminate called/);
      expect(result).toEqual({ code: 130, sig: null });
      expect(stderr()).toContain('nqc: interrupted');
      expect(existsSync(join(d, 'out.nqc'))).toBe(false);
      expect(readdirSync(d).sort()).toEqual(['k.key']);
    }, 180_000);

    it(`${signal} during decrypt: exit 130, no abort, no output, no temporary file`, async () => {
      const d = workdir();
      expect(nqc(d, ['keygen', '-o', 'k.key']).status).toBe(0);
      const recipient = nqc(d, ['keygen', '-y', 'k.key']).stdout.toString().split('\n')[0]!;
      writeFileSync(join(d, 'plain.bin'), randomBytes(24 << 20));
      expect(nqc(d, ['encrypt', '-r', recipient, '-o', 'big.nqc', 'plain.bin']).status).toBe(0); // NDE on: the default
      const envelope = readFileSync(join(d, 'big.nqc'));
      const before = readdirSync(d).sort();
      // Fed round after round: the child decrypts the first copy and is still busy when the signal lands.
      const { result, stderr } = await interrupt(d, ['decrypt', '-i', 'k.key', '-o', 'out.bin'], envelope, signal, () =>
        readdirSync(d).some((f) => f.includes('nqc-tmp')),
      );
      expect(stderr()).not.toMatch(/Aborted|Napi::Error|terminate called/);
      expect([result, stderr()]).toEqual([{ code: 130, sig: null }, expect.stringContaining('nqc: interrupted')]);
      expect(existsSync(join(d, 'out.bin'))).toBe(false);
      expect(readdirSync(d).sort()).toEqual(before);
    }, 180_000);

    // A second signal used to process.exit at once, under workers still inside session.run (exit 134).
    it(`${signal} three times during decrypt: still exit 130 after the workers stopped, no abort`, async () => {
      const d = workdir();
      expect(nqc(d, ['keygen', '-o', 'k.key']).status).toBe(0);
      const recipient = nqc(d, ['keygen', '-y', 'k.key']).stdout.toString().split('\n')[0]!;
      writeFileSync(join(d, 'plain.bin'), randomBytes(24 << 20));
      expect(nqc(d, ['encrypt', '-r', recipient, '-o', 'big.nqc', 'plain.bin']).status).toBe(0);
      const envelope = readFileSync(join(d, 'big.nqc'));
      const before = readdirSync(d).sort();
      const { result, stderr } = await interrupt(
        d,
        ['decrypt', '-i', 'k.key', '-o', 'out.bin'],
        envelope,
        signal,
        () => readdirSync(d).some((f) => f.includes('nqc-tmp')),
        3,
      );
      expect(stderr()).not.toMatch(/Aborted|Napi::Error|terminate called/);
      expect(result).toEqual({ code: 130, sig: null });
      expect(stderr().match(/nqc: interrupted/g)).toHaveLength(1);
      expect(readdirSync(d).sort()).toEqual(before);
    }, 180_000);
  }
});
