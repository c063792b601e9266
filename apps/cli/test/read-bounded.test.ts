import { describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CliError } from '../src/errors.js';
import { formatLimit, readBounded } from '../src/io/read-bounded.js';

const dir = mkdtempSync(join(tmpdir(), 'nqc-read-bounded-'));
const opts = { max: 1 << 20, what: 'identity file', code: 'ERR_CLI_KEY_FILE' };

async function failure(p: Promise<unknown>): Promise<CliError> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    return error as CliError;
  }
  throw new Error('expected a failure');
}

describe('readBounded', () => {
  it('reads a regular file up to the limit, byte for byte', async () => {
    const bytes = Buffer.alloc(1 << 20, 7);
    writeFileSync(join(dir, 'max'), bytes);
    expect((await readBounded(join(dir, 'max'), opts)).equals(bytes)).toBe(true);
    writeFileSync(join(dir, 'empty'), '');
    expect((await readBounded(join(dir, 'empty'), opts)).length).toBe(0);
  });

  it('refuses one byte more, naming the file and the limit', async () => {
    writeFileSync(join(dir, 'over'), Buffer.alloc((1 << 20) + 1));
    const e = await failure(readBounded(join(dir, 'over'), opts));
    expect(e.code).toBe('ERR_CLI_KEY_FILE');
    expect(e.message).toBe(`identity file ${join(dir, 'over')} is too large (over 1 MiB)`);
  });

  it('stops an endless device after the limit instead of reading it to the end (was: 16.8 GB)', async () => {
    const e = await failure(readBounded('/dev/zero', opts));
    expect(e.message).toBe('identity file /dev/zero is too large (over 1 MiB)');
  });

  it('reads a FIFO (size 0 in stat) and refuses an oversized one', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const writer = (bytes: number) =>
      spawn('sh', ['-c', `head -c ${bytes} /dev/zero > ${fifo}`], { stdio: 'ignore' });
    writer(1000);
    expect((await readBounded(fifo, opts)).length).toBe(1000);
    const w = writer(200 << 20);
    expect((await failure(readBounded(fifo, opts))).message).toContain('is too large (over 1 MiB)');
    w.kill();
  });

  it('reads "-" from the stdin stream given, and stops an oversized one', async () => {
    expect((await readBounded('-', { ...opts, stdin: Readable.from([Buffer.from('abc'), Buffer.from('def')]) })).toString()).toBe('abcdef');
    let pulled = 0;
    const endless = new Readable({
      read() {
        pulled += 1;
        this.push(Buffer.alloc(65536));
      },
    });
    expect((await failure(readBounded('-', { ...opts, stdin: endless }))).message).toBe('identity file on stdin is too large (over 1 MiB)');
    expect(pulled).toBeLessThan(64); // 1 MiB is 16 pieces, plus the stream's read-ahead
    expect(endless.destroyed).toBe(true);
  });

  it('says plainly when a file cannot be read', async () => {
    expect((await failure(readBounded(join(dir, 'missing'), opts))).message).toBe(`cannot read identity file ${join(dir, 'missing')}: no such file or directory`);
    expect((await failure(readBounded(dir, opts))).message).toBe(`cannot read identity file ${dir}: is a directory`);
  });

  it('formats limits', () => {
    expect([formatLimit(1 << 20), formatLimit(64 << 10), formatLimit(1000)]).toEqual(['1 MiB', '64 KiB', '1000 bytes']);
  });
});
