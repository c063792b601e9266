// Issue 9 (items 2, 4, 6, 7, 12): bounded key reads, no re-signing of unverified content, exit codes,
// escaped file text, error messages that name what the user named.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nqc, nqcShell, workdir } from './harness.js';

let d: string;
const plain = randomBytes(150_000);

beforeAll(() => {
  d = workdir();
  for (const who of ['bob', 'eve']) {
    expect(nqc(d, ['keygen', '-o', `${who}.key`]).status).toBe(0);
    writeFileSync(join(d, `${who}.pub`), nqc(d, ['keygen', '-y', `${who}.key`]).stdout);
  }
  writeFileSync(join(d, 'plain.bin'), plain);
  // Eve encrypts to Bob and signs with her own key.
  expect(nqc(d, ['encrypt', '-R', 'bob.pub', '-s', 'eve.key', '--nde', 'off', '-o', 'eve.nqc', 'plain.bin']).status).toBe(0);
  expect(nqc(d, ['encrypt', '-R', 'bob.pub', '--nde', 'off', '-o', 'unsigned.nqc', 'plain.bin']).status).toBe(0);
}, 120_000);

const leftovers = () => readdirSync(d).filter((f) => f.includes('nqc-tmp'));

describe('key files are read with a bound (a 200 MiB pipe is refused at once)', () => {
  // Before: the caps looked at stat().size, which is 0 for pipes, and --verify had none.
  const cases: [string, string][] = [
    ['-i -', 'head -c 200M /dev/zero | $NQC decrypt -i - eve.nqc'],
    ['-i <(...)', '$NQC decrypt -i <(head -c 200M /dev/zero) eve.nqc'],
    ['-i /dev/zero', '$NQC decrypt -i /dev/zero eve.nqc'],
    ['-R -', 'head -c 200M /dev/zero | $NQC encrypt -R - -o x.nqc plain.bin'],
    ['-R /dev/stdin', 'head -c 200M /dev/zero | $NQC encrypt -R /dev/stdin -o x.nqc plain.bin'],
    ['--verify /dev/stdin', 'head -c 200M /dev/zero | $NQC decrypt -i bob.key --verify /dev/stdin eve.nqc'],
    ['--verify <(...)', '$NQC decrypt -i bob.key --verify <(head -c 200M /dev/zero) eve.nqc'],
  ];
  for (const [name, script] of cases) {
    it(name, () => {
      const r = nqcShell(d, script);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^nqc: (identity|recipients|verifying-key) file (\S+|on stdin) is too large \(over 1 MiB\)\n$/);
      expect(r.stdout.length).toBe(0);
      expect(existsSync(join(d, 'x.nqc'))).toBe(false);
    });
  }

  it('keys still work from stdin, pipes and process substitution', () => {
    expect(nqcShell(d, 'cat bob.key | $NQC decrypt -i - eve.nqc').stdout.equals(plain)).toBe(true);
    expect(nqcShell(d, '$NQC decrypt -i <(cat bob.key) --verify <(cat eve.pub) eve.nqc').stdout.equals(plain)).toBe(true);
    const r = nqcShell(d, 'cat bob.pub | $NQC encrypt -R - --nde off plain.bin | $NQC decrypt -i bob.key');
    expect(r.status).toBe(0);
    expect(r.stdout.equals(plain)).toBe(true);
  });

  it('stdin cannot be both the envelope and a key', () => {
    const r = nqcShell(d, 'cat eve.nqc | $NQC decrypt -i -');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^nqc: stdin cannot hold both/);
  });
});

describe('rotate and rekey do not launder signatures', () => {
  it('rotate -s without --verify is a usage error (was: Eve\'s content came out "good signature by Bob")', () => {
    const r = nqc(d, ['rotate', '-i', 'bob.key', '-R', 'bob.pub', '-s', 'bob.key', '-o', 'r.nqc', 'eve.nqc']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^nqc: -s re-signs the content: give --verify KEY/);
    expect(existsSync(join(d, 'r.nqc'))).toBe(false);
  });

  it('rotate -s --verify refuses a signature by someone else, and re-signs a verified one', () => {
    const wrong = nqc(d, ['rotate', '-i', 'bob.key', '-R', 'bob.pub', '-s', 'bob.key', '--verify', 'bob.pub', '-o', 'r.nqc', 'eve.nqc']);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/not a required signer/);
    expect(existsSync(join(d, 'r.nqc'))).toBe(false);
    expect(leftovers()).toEqual([]);
    const ok = nqc(d, ['rotate', '-i', 'bob.key', '-R', 'bob.pub', '-s', 'bob.key', '--verify', 'eve.pub', '-o', 'r.nqc', 'eve.nqc']);
    expect(ok.status).toBe(0);
    const dec = nqc(d, ['decrypt', '-i', 'bob.key', '--verify', 'bob.pub', 'r.nqc']);
    expect(dec.status).toBe(0);
    expect(dec.stdout.equals(plain)).toBe(true);
  });

  it('rotate of a signed envelope needs a decision; --drop-signature drops it; -s on unsigned content needs --verify', () => {
    expect(nqc(d, ['rotate', '-i', 'bob.key', '-R', 'bob.pub', '-o', 'r2.nqc', 'eve.nqc']).status).toBe(2);
    expect(nqc(d, ['rotate', '-i', 'bob.key', '-R', 'bob.pub', '--drop-signature', '-o', 'r2.nqc', 'eve.nqc']).status).toBe(0);
    expect(nqc(d, ['inspect', 'r2.nqc']).stdout.toString()).toContain('signed by:   nobody');
    expect(nqc(d, ['rotate', '-i', 'bob.key', '-R', 'bob.pub', '-s', 'bob.key', '-o', 'r3.nqc', 'unsigned.nqc']).status).toBe(2);
    const r = nqc(d, ['rotate', '-i', 'bob.key', '-R', 'bob.pub', '-s', 'bob.key', '--verify', 'bob.pub', '-o', 'r3.nqc', 'unsigned.nqc']);
    expect(r.status).toBe(1);
    expect(existsSync(join(d, 'r3.nqc'))).toBe(false);
  });

  it('rekey of a signed envelope verifies it (--verify) or is told to pass it on (--keep-signature)', () => {
    expect(nqc(d, ['rekey', '-i', 'bob.key', '-R', 'eve.pub', '-o', 'k.nqc', 'eve.nqc']).status).toBe(2);
    const wrong = nqc(d, ['rekey', '-i', 'bob.key', '-R', 'eve.pub', '--verify', 'bob.pub', '-o', 'k.nqc', 'eve.nqc']);
    expect(wrong.status).toBe(1);
    expect(existsSync(join(d, 'k.nqc'))).toBe(false);
    const ok = nqc(d, ['rekey', '-i', 'bob.key', '-R', 'eve.pub', '--verify', 'eve.pub', '-o', 'k.nqc', 'eve.nqc']);
    expect(ok.status).toBe(0);
    expect(ok.stderr).toMatch(/^nqc: good signature by mldsa65 key [0-9a-f]{8} \(kept\)\n$/);
    expect(nqc(d, ['rekey', '-i', 'bob.key', '-R', 'eve.pub', '--keep-signature', '-o', 'k2.nqc', 'eve.nqc']).status).toBe(0);
    expect(nqc(d, ['decrypt', '-i', 'eve.key', '--verify', 'eve.pub', 'k2.nqc']).stdout.equals(plain)).toBe(true);
  });
});

describe('exit codes: 2 for usage errors, 1 for failures', () => {
  const table: [string[], number][] = [
    [['decrypt', 'eve.nqc'], 2], // no -i (was 1)
    [['encrypt', 'plain.bin'], 2], // no recipient (was 1)
    [['rekey', '-i', 'bob.key', '-R', 'bob.pub', '-o', 'x', '--in-place', 'unsigned.nqc'], 2], // was 1
    [['rotate', '-i', 'bob.key', '-R', 'bob.pub', 'unsigned.nqc'], 2], // no -o / --in-place
    [['rotate', '-R', 'bob.pub', '-o', 'x', 'unsigned.nqc'], 2], // no -i
    [['decrypt', '-i', 'bob.key', '--passphrase-fd', 'x', 'eve.nqc'], 2],
    [['encrypt', '-R', 'bob.pub', '--field', 'a', 'plain.bin'], 2], // --field without --he
    [['he', 'keygen', '-o', 'h.key', '--bundle', 'h.bundle', '--field', 'age'], 2], // bad field spec
    [['frobnicate'], 2],
    [['decrypt', '--bogus-flag'], 2],
    [['decrypt', '-i', 'eve.key', 'unsigned.nqc'], 1], // wrong key
    [['decrypt', '-i', 'missing.key', 'eve.nqc'], 1],
    [['decrypt', '-i', 'bob.key', 'missing.nqc'], 1],
    [['decrypt', '-i', 'bob.key', 'plain.bin'], 1], // not an envelope
    [['decrypt', '-i', 'bob.key', '--verify', 'bob.pub', 'eve.nqc'], 1], // someone else's signature
    [['inspect', 'plain.bin'], 1],
    [['inspect', 'eve.nqc'], 0],
  ];
  for (const [args, code] of table) {
    it(`nqc ${args.join(' ')} -> ${code}`, () => {
      const r = nqc(d, args);
      expect(r.status).toBe(code);
      if (code !== 0) expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2); // one line (+ commander's hint)
    });
  }
});

describe('text from files and paths never reaches the terminal raw', () => {
  it('an error quoting a hostile name is escaped', () => {
    const name = 'x\x1b]0;pwned\x07\nnqc: good signature by alice';
    const r = nqc(d, ['decrypt', '-i', name, 'eve.nqc']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('nqc: cannot read identity file x\\x1b]0;pwned\\x07\\nnqc: good signature by alice: no such file or directory\n');
  });
});

describe('error text names the destination', () => {
  it('a missing output directory (was: the hidden temporary file)', () => {
    for (const args of [
      ['decrypt', '-i', 'bob.key', '-o', 'nodir/out.bin', 'eve.nqc'],
      ['encrypt', '-R', 'bob.pub', '-o', 'nodir/out.bin', 'plain.bin'],
      ['rotate', '-i', 'bob.key', '-R', 'bob.pub', '--drop-signature', '-o', 'nodir/out.bin', 'eve.nqc'],
    ]) {
      const r = nqc(d, args);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe('nqc: cannot write nodir/out.bin: no such directory: nodir\n');
    }
  });
});

describe('age habits (issue 10)', () => {
  it('encrypt -i IDENTITY encrypts to that identity (to yourself), alone or with other recipients', () => {
    const r = nqc(d, ['encrypt', '-i', 'bob.key', '-R', 'eve.pub', '--nde', 'off', '-o', 'self.nqc', 'plain.bin']);
    expect(r.status).toBe(0);
    for (const who of ['bob', 'eve']) expect(nqc(d, ['decrypt', '-i', `${who}.key`, 'self.nqc']).stdout.equals(plain)).toBe(true);
    expect(nqc(d, ['encrypt', '-i', 'missing.key', 'plain.bin']).status).toBe(1);
  });
});

it('reads back what it wrote (sanity)', () => {
  expect(readFileSync(join(d, 'plain.bin')).equals(plain)).toBe(true);
});
