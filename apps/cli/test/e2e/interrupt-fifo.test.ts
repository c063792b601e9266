import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { NQC_BIN, nqc, workdir } from './harness.js';

// A key file that is a FIFO nobody writes to (issue 9 review, F3): the old code's blocking open()
// sat in a threadpool thread that process exit waits for, so SIGTERM printed "nqc: interrupted"
// and the process never exited. Every case here timed out on the old code.
describe('interrupting nqc while it waits for a FIFO key file', () => {
  const d = workdir();
  expect(nqc(d, ['keygen', '-o', 'k.key']).status).toBe(0);
  const recipient = nqc(d, ['keygen', '-y', 'k.key']).stdout.toString().split('\n')[0]!;
  expect(nqc(d, ['encrypt', '-r', recipient, '--nde', 'off', '-o', 'p.nqc'], { input: Buffer.from('hi\n') }).status).toBe(0);
  execFileSync('mkfifo', [join(d, 'ff')]);

  for (const args of [['decrypt', '-i', 'ff', 'p.nqc'], ['encrypt', '-R', 'ff', 'p.nqc'], ['decrypt', '-i', 'k.key', '--verify', 'ff', 'p.nqc']]) {
    it(`SIGTERM ends \`nqc ${args.join(' ')}\` with exit 130`, async () => {
      const child = spawn(process.execPath, [NQC_BIN, ...args], { cwd: d, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await new Promise((r) => setTimeout(r, 2000)); // started, waiting for a writer
      child.kill('SIGTERM');
      const timeout = new Promise<'still running'>((r) => setTimeout(() => r('still running'), 20_000).unref());
      const result = await Promise.race([exited, timeout]);
      if (result === 'still running') child.kill('SIGKILL');
      expect(result).toBe(130);
      expect(stderr).toContain('nqc: interrupted');
    }, 60_000);
  }

  it('a FIFO key file whose writer comes later is still read', () => {
    spawn('sh', ['-c', `sleep 1; cat k.key > ff`], { cwd: d, stdio: 'ignore' });
    const r = nqc(d, ['decrypt', '-i', 'ff', 'p.nqc']);
    expect(r.stdout.toString()).toBe('hi\n');
    expect(r.status).toBe(0);
  }, 60_000);
});
