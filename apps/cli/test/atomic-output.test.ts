import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtomicFileOutput, removeAllPendingOutputs } from '../src/io/atomic-output.js';
import { CliError } from '../src/errors.js';

const dir = () => mkdtempSync(join(tmpdir(), 'nqc-cli-'));

describe('AtomicFileOutput', () => {
  it('shows nothing at the destination until commit, then the whole content', () => {
    const d = dir();
    const out = new AtomicFileOutput(join(d, 'out.bin'));
    out.write(new Uint8Array([1, 2, 3]));
    expect(readdirSync(d)).toEqual([expect.stringMatching(/^\.out\.bin\.nqc-tmp-[0-9a-f]{12}$/)]);
    out.write(new Uint8Array([4]));
    out.commit();
    expect(readdirSync(d)).toEqual(['out.bin']);
    expect([...readFileSync(join(d, 'out.bin'))]).toEqual([1, 2, 3, 4]);
    expect(statSync(join(d, 'out.bin')).mode & 0o777).toBe(0o600);
  });

  it('writev appends many pieces in order (more than one writev call, empty pieces too)', () => {
    const d = dir();
    const out = new AtomicFileOutput(join(d, 'v.bin'));
    const pieces = Array.from({ length: 2500 }, (_, i) => new Uint8Array(i % 7).fill(i & 0xff));
    out.write(new Uint8Array([9]));
    out.writev(pieces);
    out.writev([]);
    out.commit();
    const want = Buffer.concat([Buffer.from([9]), ...pieces]);
    expect(readFileSync(join(d, 'v.bin')).equals(want)).toBe(true);
  });

  it('abort leaves no file at all', () => {
    const d = dir();
    const out = new AtomicFileOutput(join(d, 'out.bin'));
    out.write(new Uint8Array(10));
    out.abort();
    out.abort();
    expect(readdirSync(d)).toEqual([]);
  });

  it('refuses an existing destination without force, and keeps it intact', () => {
    const d = dir();
    const path = join(d, 'keep.txt');
    writeFileSync(path, 'precious');
    expect(() => new AtomicFileOutput(path)).toThrow(CliError);
    expect(() => new AtomicFileOutput(path)).toThrow(/output file exists: .*keep\.txt \(use --force to overwrite\)/);
    expect(readFileSync(path, 'utf8')).toBe('precious');
  });

  it('never clobbers a file that appears while writing', () => {
    const d = dir();
    const path = join(d, 'race.txt');
    const out = new AtomicFileOutput(path);
    out.write(new TextEncoder().encode('new'));
    writeFileSync(path, 'appeared meanwhile');
    expect(() => out.commit()).toThrow(expect.objectContaining({ code: 'ERR_CLI_OUTPUT_EXISTS' }));
    expect(readFileSync(path, 'utf8')).toBe('appeared meanwhile');
    expect(readdirSync(d)).toEqual(['race.txt']);
  });

  it('replaces an existing file atomically with force', () => {
    const d = dir();
    const path = join(d, 'x.txt');
    writeFileSync(path, 'old');
    const out = new AtomicFileOutput(path, { force: true, mode: 0o644 });
    out.write(new TextEncoder().encode('new'));
    expect(readFileSync(path, 'utf8')).toBe('old');
    out.commit();
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(readdirSync(d)).toEqual(['x.txt']);
  });

  it('removeAllPendingOutputs deletes every uncommitted temporary file', () => {
    const d = dir();
    const a = new AtomicFileOutput(join(d, 'a'));
    const b = new AtomicFileOutput(join(d, 'b'));
    a.write(new Uint8Array(1));
    b.write(new Uint8Array(1));
    removeAllPendingOutputs();
    expect(readdirSync(d)).toEqual([]);
    expect(() => a.write(new Uint8Array(1))).toThrow(/after commit or abort/);
  });
});
