import { beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { nqc, workdir } from './harness.js';

// One set of keys for the file: keygen costs ~0.3 s per call.
let d: string;
const plain = randomBytes(200_000); // four 64 KiB chunks, the last one partial

beforeAll(() => {
  d = workdir();
  for (const who of ['alice', 'bob', 'carol']) {
    expect(nqc(d, ['keygen', '-o', `${who}.key`]).status).toBe(0);
    writeFileSync(join(d, `${who}.pub`), nqc(d, ['keygen', '-y', `${who}.key`]).stdout);
  }
  writeFileSync(join(d, 'plain.bin'), plain);
  const r = nqc(d, ['encrypt', '-R', 'alice.pub', '-R', 'bob.pub', '-s', 'alice.key', '-o', 'two.nqc', 'plain.bin']);
  expect(r).toMatchObject({ status: 0, stderr: '' });
});

const read = (name: string) => readFileSync(join(d, name));

describe('nqc encrypt / decrypt', () => {
  it('encrypts to two recipients; each decrypts, and the signature verifies', () => {
    for (const who of ['alice', 'bob']) {
      const r = nqc(d, ['decrypt', '-i', `${who}.key`, '--verify', 'alice.pub', '-o', `${who}.out`, 'two.nqc']);
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/^nqc: good signature by mldsa65 key [0-9a-f]{8}\n$/);
      expect(read(`${who}.out`).equals(plain)).toBe(true);
    }
  });

  it('a wrong identity fails with one line, exit 1, and no output file', () => {
    const r = nqc(d, ['decrypt', '-i', 'carol.key', '-o', 'carol.out', 'two.nqc']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('nqc: could not decrypt: no identity matched, or the file was modified or truncated\n');
    expect(existsSync(join(d, 'carol.out'))).toBe(false);
    expect(readdirSync(d).filter((f) => f.includes('nqc-tmp'))).toEqual([]);
  });

  it('a signature by someone else is refused', () => {
    const r = nqc(d, ['decrypt', '-i', 'bob.key', '--verify', 'carol.pub', '-o', 'x.out', 'two.nqc']);
    expect(r.status).toBe(1);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(existsSync(join(d, 'x.out'))).toBe(false);
  });

  it('with --verify, prints nothing to stdout unless the signature verifies', () => {
    // 3 MiB, NDE off: early chunks would be released long before the signature at the end is checked.
    const big = randomBytes(3 << 20);
    const enc = nqc(d, ['encrypt', '-R', 'bob.pub', '-s', 'alice.key', '--nde', 'off'], { input: big });
    expect(enc.status).toBe(0);
    const bytes = enc.stdout;
    const forged = Buffer.from(bytes);
    forged[forged.length - 3300]! ^= 0x01; // inside the ML-DSA-65 signature trailer
    writeFileSync(join(d, 'forged.nqc'), forged);
    const unverified = nqc(d, ['decrypt', '-i', 'bob.key', 'forged.nqc']);
    expect(unverified.status).toBe(1); // the signature is checked even without --verify ...
    expect(unverified.stdout.length).toBeGreaterThan(0); // ... but, as with age, earlier verified chunks were streamed
    const r = nqc(d, ['decrypt', '-i', 'bob.key', '--verify', 'alice.pub', 'forged.nqc']);
    expect(r.status).toBe(1);
    expect(r.stdout.length).toBe(0); // not even the chunks whose tags were fine
    expect(r.stderr).toMatch(/^nqc: [^\n]*signature[^\n]*\n$/);
    const piped = nqc(d, ['decrypt', '-i', 'bob.key', '--verify', 'alice.pub'], { input: bytes });
    expect(piped.status).toBe(0);
    expect(piped.stdout.equals(big)).toBe(true);
  });

  it('round-trips armored text through pipes', () => {
    const enc = nqc(d, ['encrypt', '-a', '-r', read('bob.pub').toString().split('\n')[0]!], { input: 'hello, pipes\n' });
    expect(enc.status).toBe(0);
    const text = enc.stdout.toString();
    expect(text).toMatch(/^-----BEGIN NQC ENVELOPE-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END NQC ENVELOPE-----\n$/);
    const dec = nqc(d, ['decrypt', '-i', 'bob.key'], { input: text.replace(/\n/g, '\r\n') });
    expect(dec).toMatchObject({ status: 0, stderr: '' });
    expect(dec.stdout.toString()).toBe('hello, pipes\n');
  });

  it('rejects a tampered file, leaving no output', () => {
    const bytes = read('two.nqc');
    for (const offset of [20, bytes.length - 5000, bytes.length - 1]) {
      const bad = Buffer.from(bytes);
      bad[offset]! ^= 0x04;
      writeFileSync(join(d, 'bad.nqc'), bad);
      const r = nqc(d, ['decrypt', '-i', 'bob.key', '-o', 'bad.out', 'bad.nqc']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^nqc: [^\n]+\n$/);
      expect(existsSync(join(d, 'bad.out'))).toBe(false);
    }
  });

  it('rejects a truncated file, leaving no output', () => {
    const bytes = read('two.nqc');
    for (const keep of [10, 3000, bytes.length - 70_000, bytes.length - 1]) {
      writeFileSync(join(d, 'cut.nqc'), bytes.subarray(0, keep));
      const r = nqc(d, ['decrypt', '-i', 'bob.key', '-o', 'cut.out', 'cut.nqc']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^nqc: [^\n]+\n$/);
      expect(existsSync(join(d, 'cut.out'))).toBe(false);
    }
  });

  it('says plainly when the input is not an nqc file', () => {
    writeFileSync(join(d, 'notes.txt'), 'just some text that is long enough\n');
    const r = nqc(d, ['decrypt', '-i', 'bob.key', 'notes.txt']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^nqc: not an nqc envelope/);
  });

  it('never overwrites an existing output without --force', () => {
    writeFileSync(join(d, 'keep.out'), 'precious');
    const r = nqc(d, ['decrypt', '-i', 'bob.key', '-o', 'keep.out', 'two.nqc']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('nqc: output file exists: keep.out (use --force to overwrite)\n');
    expect(read('keep.out').toString()).toBe('precious');
    expect(nqc(d, ['decrypt', '-i', 'bob.key', '-o', 'keep.out', '--force', 'two.nqc']).status).toBe(0);
    expect(read('keep.out').equals(plain)).toBe(true);
  });

  it('needs a recipient and an identity, and says so', () => {
    expect(nqc(d, ['encrypt', 'plain.bin']).stderr).toBe('nqc: no recipients: give at least one -r RECIPIENT, -R FILE or -i IDENTITY\n');
    expect(nqc(d, ['decrypt', 'two.nqc']).stderr).toBe('nqc: no identity: the envelope is not encrypted to a passphrase; give -i IDENTITY_FILE\n');
    const bad = nqc(d, ['encrypt', '-r', 'nqc-xwing-1qqqq', 'plain.bin']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^nqc: [^\n]+\n$/);
  });
});

describe('nqc inspect', () => {
  it('describes recipients, signer and sizes without a key, as text and JSON', () => {
    const text = nqc(d, ['inspect', 'two.nqc']);
    expect(text.status).toBe(0);
    expect(text.stdout.toString()).toMatch(/recipients: {2}2\n {4}- xwing \(key id [0-9a-f]{8}\)\n {4}- xwing/);
    expect(text.stdout.toString()).toContain(`${plain.length} bytes plaintext`);
    const json = JSON.parse(nqc(d, ['inspect', '--json'], { input: read('two.nqc') }).stdout.toString());
    expect(json.recipients).toHaveLength(2);
    expect(json.signer.algorithm).toBe('mldsa65');
    expect(json.sizes.plaintext).toBe(plain.length);
  });
});

describe('nqc rekey / rotate', () => {
  it('rekey re-wraps for a new list: the new recipient opens it, a removed one no longer does', () => {
    expect(nqc(d, ['rekey', '-i', 'bob.key', '-R', 'carol.pub', '--verify', 'alice.pub', '-o', 'carol.nqc', 'two.nqc']).status).toBe(0);
    const before = read('two.nqc');
    const after = read('carol.nqc');
    // payload and signature untouched: the tails are identical
    expect(after.subarray(after.length - 100_000).equals(before.subarray(before.length - 100_000))).toBe(true);
    expect(nqc(d, ['decrypt', '-i', 'carol.key', '--verify', 'alice.pub', '-o', 'carol.out', 'carol.nqc']).status).toBe(0);
    expect(read('carol.out').equals(plain)).toBe(true);
    expect(nqc(d, ['decrypt', '-i', 'bob.key', 'carol.nqc']).status).toBe(1);
  });

  it('rotate re-encrypts under a new data key and must be told what to do with the signature', () => {
    const refused = nqc(d, ['rotate', '-i', 'alice.key', '-R', 'bob.pub', '-o', 'rot.nqc', 'two.nqc']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe('nqc: the envelope is signed: give -s IDENTITY with --verify KEY to check and re-sign it, or --drop-signature to drop the signature\n');
    expect(nqc(d, ['rotate', '-i', 'alice.key', '-R', 'bob.pub', '--unsigned', '-o', 'rot.nqc', 'two.nqc']).status).toBe(0);
    const rotated = read('rot.nqc');
    const old = read('two.nqc');
    expect(rotated.subarray(rotated.length - 1000).equals(old.subarray(old.length - 1000))).toBe(false);
    expect(nqc(d, ['decrypt', '-i', 'bob.key', '-o', 'rot.out', 'rot.nqc']).status).toBe(0);
    expect(read('rot.out').equals(plain)).toBe(true);
    expect(nqc(d, ['decrypt', '-i', 'alice.key', 'rot.nqc']).status).toBe(1);
    expect(JSON.parse(nqc(d, ['inspect', '--json', 'rot.nqc']).stdout.toString()).signer).toBeNull();
  });

  it('rekey --in-place replaces the input atomically', () => {
    writeFileSync(join(d, 'inplace.nqc'), read('two.nqc'));
    expect(nqc(d, ['rekey', '-i', 'alice.key', '-R', 'carol.pub', '--keep-signature', '--in-place', 'inplace.nqc']).status).toBe(0);
    expect(nqc(d, ['decrypt', '-i', 'carol.key', '-o', 'inplace.out', 'inplace.nqc']).status).toBe(0);
    expect(read('inplace.out').equals(plain)).toBe(true);
    expect(nqc(d, ['decrypt', '-i', 'alice.key', 'inplace.nqc']).status).toBe(1);
    expect(readdirSync(d).filter((f) => f.includes('nqc-tmp'))).toEqual([]);
  });

  it('needs -o or --in-place', () => {
    expect(nqc(d, ['rekey', '-i', 'bob.key', '-R', 'bob.pub', 'two.nqc']).stderr).toBe(
      'nqc: give -o FILE for the new envelope, or --in-place to replace the input\n',
    );
  });
});
