import { beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nqc, workdir } from './harness.js';

// The zero-trust story from the command line: the owner encrypts signed records with HE fields; a
// "server" sums them holding only the evaluation bundle and the envelopes (no identity, no HE secret);
// the owner decrypts the sum.
let d: string;
const patients = [
  { name: 'Ada', age: 36, amount: 120.5 },
  { name: 'Grace', age: 45, amount: 99.99 },
  { name: 'Alan', age: 41, amount: 0.01 },
  { name: 'Edsger', age: 72, amount: 1000 },
];

beforeAll(() => {
  d = workdir();
  expect(nqc(d, ['keygen', '-o', 'owner.key']).status).toBe(0);
  writeFileSync(join(d, 'owner.pub'), nqc(d, ['keygen', '-y', 'owner.key']).stdout);
  const k = nqc(d, ['he', 'keygen', '-o', 'owner.hekey', '--bundle', 'server.bundle', '--field', 'age:int:0:130', '--field', 'amount:fixed2:0:100000']);
  expect(k.status).toBe(0);
  expect(k.stderr).toMatch(/^HE key [0-9a-f]{32} \(bfv-n4096\) for fields: age, amount\n$/);
  patients.forEach((p, i) => {
    const r = nqc(d, ['encrypt', '-R', 'owner.pub', '-s', 'owner.key', '--he', 'owner.hekey', '-o', `p${i}.nqc`], { input: JSON.stringify(p) });
    expect(r).toMatchObject({ status: 0, stderr: '' });
  });
});

describe('nqc he', () => {
  it('keeps the HE secret owner-only and the bundle public', () => {
    expect(statSync(join(d, 'owner.hekey')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(d, 'server.bundle')).subarray(0, 64).toString('latin1')).not.toContain('nqc-he-key');
  });

  it('sums and averages on the server side with the bundle only; the owner decrypts the exact result', () => {
    const files = patients.map((_, i) => `p${i}.nqc`);
    expect(nqc(d, ['he', 'sum', '--field', 'age', '--bundle', 'server.bundle', '-o', 'age.sum', ...files]).status).toBe(0);
    const sum = nqc(d, ['he', 'decrypt', '--he', 'owner.hekey', 'age.sum']);
    expect(sum).toMatchObject({ status: 0, stderr: 'nqc: sum of field "age" (label from the result file, not authenticated)\n' });
    expect(Number(sum.stdout.toString())).toBe(36 + 45 + 41 + 72);

    const mean = nqc(d, ['he', 'mean', '--field', 'amount', '--bundle', 'server.bundle', ...files]);
    expect(mean.status).toBe(0);
    writeFileSync(join(d, 'amount.mean'), mean.stdout);
    const value = JSON.parse(nqc(d, ['he', 'decrypt', '--he', 'owner.hekey', '--json', 'amount.mean']).stdout.toString());
    expect(value.op).toBe('mean');
    expect(value.value).toBeCloseTo((120.5 + 99.99 + 0.01 + 1000) / 4, 10);

    writeFileSync(join(d, 'n.count'), nqc(d, ['he', 'count', '--field', 'age', ...files]).stdout);
    expect(nqc(d, ['he', 'decrypt', '--he', 'owner.hekey', 'n.count']).stdout.toString()).toBe('4\n');
  });

  it('the records decrypt, signed, to the JSON that went in', () => {
    const r = nqc(d, ['decrypt', '-i', 'owner.key', '--verify', 'owner.key.pub.missing', 'p1.nqc']);
    expect(r.status).toBe(1); // a --verify that names no key is an error, not a silent pass
    const ok = nqc(d, ['decrypt', '-i', 'owner.key', '--verify', 'owner.pub', 'p1.nqc']);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout.toString())).toEqual(patients[1]);
  });

  it('refuses a field outside its declared range, and unknown fields', () => {
    const bad = nqc(d, ['encrypt', '-R', 'owner.pub', '--he', 'owner.hekey', '-o', 'bad.nqc'], { input: JSON.stringify({ age: 200, amount: 1 }) });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^nqc: .*age.*\n$/);
    const unknown = nqc(d, ['encrypt', '-R', 'owner.pub', '--he', 'owner.hekey', '--field', 'weight'], { input: '{"weight": 3}' });
    expect(unknown.stderr).toBe('nqc: field "weight" is not in the HE key file\'s schema (age, amount)\n');
  });

  it('a field that is not in the envelopes is named', () => {
    const r = nqc(d, ['he', 'sum', '--field', 'height', '--bundle', 'server.bundle', 'p0.nqc']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('nqc: p0.nqc has no HE field "height"\n');
  });

  it('column-packs a dataset (a JSON array) into one envelope the server can sum', () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({ id: i, age: i % 100, amount: (i * 7) / 100 }));
    expect(nqc(d, ['encrypt', '-R', 'owner.pub', '--he', 'owner.hekey', '--field', 'age', '-o', 'set.nqc'], { input: JSON.stringify(rows) }).status).toBe(0);
    const info = JSON.parse(nqc(d, ['inspect', '--json', 'set.nqc']).stdout.toString());
    expect(info.he.fields).toEqual([expect.objectContaining({ path: 'age', layout: 'column', count: 300 })]);
    expect(nqc(d, ['he', 'sum', '--field', 'age', '--bundle', 'server.bundle', '-o', 'set.sum', 'set.nqc']).status).toBe(0);
    expect(Number(nqc(d, ['he', 'decrypt', '--he', 'owner.hekey', 'set.sum']).stdout.toString())).toBe(rows.reduce((s, r) => s + r.age, 0));
  });

  it('bad field specs are explained', () => {
    const r = nqc(d, ['he', 'keygen', '-o', 'x.hekey', '--bundle', 'x.bundle', '--field', 'age']);
    expect(r.status).toBe(2); // a usage error
    expect(r.stderr).toContain('expected PATH:TYPE:MIN:MAX');
  });
});

// Issue 9 items 3 and 6: forged HE fields, trusted writers, and the result file's label.
describe('nqc he: what a server and the owner can check', () => {
  const files = patients.map((_, i) => `p${i}.nqc`);
  beforeAll(() => {
    expect(nqc(d, ['encrypt', '-R', 'owner.pub', '--he', 'owner.hekey', '-o', 'unsigned.nqc'], { input: JSON.stringify({ name: 'U', age: 50, amount: 1 }) }).status).toBe(0);
    expect(nqc(d, ['keygen', '-o', 'eve.key']).status).toBe(0);
    expect(nqc(d, ['encrypt', '-R', 'owner.pub', '-s', 'eve.key', '--he', 'owner.hekey', '-o', 'eve.nqc'], { input: JSON.stringify({ name: 'E', age: 60, amount: 1 }) }).status).toBe(0);
    // A sender holding the owner's key file (or just the public material) can widen a range: its
    // envelope says age 300 in the HE field AND the JSON, outside the owner's 0..130, correctly MACed.
    const key = JSON.parse(readFileSync(join(d, 'owner.hekey'), 'utf8'));
    key.fields[0].max = 1000;
    writeFileSync(join(d, 'wide.hekey'), JSON.stringify(key), { mode: 0o600 });
    expect(nqc(d, ['encrypt', '-R', 'owner.pub', '-s', 'owner.key', '--he', 'wide.hekey', '-o', 'forged.nqc'], { input: JSON.stringify({ name: 'F', age: 300, amount: 1 }) }).status).toBe(0);
  });

  it('he sum --require-signer adds only envelopes signed by that key, streaming each whole', () => {
    const ok = nqc(d, ['he', 'sum', '--field', 'age', '--bundle', 'server.bundle', '--require-signer', 'owner.pub', '-o', 'signed.sum', ...files]);
    expect(ok).toMatchObject({ status: 0, stderr: '' });
    expect(Number(nqc(d, ['he', 'decrypt', '--he', 'owner.hekey', 'signed.sum']).stdout.toString())).toBe(36 + 45 + 41 + 72);
    const unsigned = nqc(d, ['he', 'sum', '--field', 'age', '--bundle', 'server.bundle', '--require-signer', 'owner.pub', '-o', 'x.sum', ...files, 'unsigned.nqc']);
    expect(unsigned.status).toBe(1);
    expect(unsigned.stderr).toBe('nqc: unsigned.nqc: refused: envelope is not signed, and a signer is required\n');
    expect(existsSync(join(d, 'x.sum'))).toBe(false);
    const foreign = nqc(d, ['he', 'count', '--field', 'age', '--require-signer', 'owner.pub', 'eve.nqc']);
    expect(foreign.status).toBe(1);
    expect(foreign.stderr).toMatch(/^nqc: eve\.nqc: refused: envelope is signed by [0-9a-f]{8} \(mldsa65\), which is not a required signer\n$/);
    // without it, a server cannot tell: the forged envelope is added like any other
    expect(nqc(d, ['he', 'count', '--field', 'age', 'unsigned.nqc', 'eve.nqc', 'forged.nqc']).status).toBe(0);
  });

  it('decrypt --he-key compares the HE fields with the JSON and refuses a forged envelope, writing nothing', () => {
    const good = nqc(d, ['decrypt', '-i', 'owner.key', '--he-key', 'owner.hekey', 'p2.nqc']);
    expect(good).toMatchObject({ status: 0, stderr: '' });
    expect(JSON.parse(good.stdout.toString())).toEqual(patients[2]);
    const plain = nqc(d, ['decrypt', '-i', 'owner.key', 'forged.nqc']);
    expect(JSON.parse(plain.stdout.toString()).age).toBe(300); // opens silently without the HE key
    const forged = nqc(d, ['decrypt', '-i', 'owner.key', '--he-key', 'owner.hekey', '-o', 'forged.json', 'forged.nqc']);
    expect(forged.status).toBe(1);
    expect(forged.stdout.length).toBe(0);
    expect(forged.stderr).toBe('nqc: payload: field "age" is 300, outside its declared range [0, 130]\n');
    expect(existsSync(join(d, 'forged.json'))).toBe(false);
    const set = nqc(d, ['decrypt', '-i', 'owner.key', '--he-key', 'owner.hekey', 'set.nqc']);
    expect(set.status).toBe(0);
    expect(JSON.parse(set.stdout.toString()).length).toBe(300);
  });

  it('he decrypt names the field as the result file\'s label, escaped, and refuses a field not in the key file', () => {
    expect(nqc(d, ['he', 'sum', '--field', 'age', '--bundle', 'server.bundle', '-o', 'label.sum', 'p0.nqc']).status).toBe(0);
    const r = JSON.parse(readFileSync(join(d, 'label.sum'), 'utf8'));
    writeFileSync(join(d, 'evil.sum'), JSON.stringify({ ...r, path: 'age\u001b]0;owned\u0007\nnqc: GOOD SIGNATURE' }));
    const evil = nqc(d, ['he', 'decrypt', '--he', 'owner.hekey', 'evil.sum']);
    expect(evil.status).toBe(1);
    expect(evil.stdout.length).toBe(0);
    expect(evil.stderr).toBe('nqc: evil.sum says it holds field "age\\x1b]0;owned\\x07\\nnqc: GOOD SIGNATURE", which is not in the HE key file\n');
  });
});
