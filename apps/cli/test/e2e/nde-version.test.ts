// NDE versions in the command (issue 11): `encrypt` writes NDE v2 unless `--nde-version 1`, `rotate`
// likewise, `decrypt` opens both (the header names the model), `inspect` names the model, and the
// core vector corpus's v1 and v2 files open with the command too.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ndeModelIdOf } from '@nqc/core/node';
import { nqc, workdir } from './harness.js';

let d: string;
const plain = randomBytes(150_000); // three 64 KiB chunks, the last partial
const CORPUS = join(import.meta.dirname, '..', '..', '..', '..', 'packages', 'core', 'test', 'vectors');
const idHex = (v: 1 | 2) => Buffer.from(ndeModelIdOf(v)).toString('hex');
const V1 = idHex(1).slice(0, 16);
const V2 = idHex(2).slice(0, 16);

beforeAll(() => {
  d = workdir();
  for (const who of ['alice', 'bob']) {
    expect(nqc(d, ['keygen', '-o', `${who}.key`]).status).toBe(0);
    writeFileSync(join(d, `${who}.pub`), nqc(d, ['keygen', '-y', `${who}.key`]).stdout);
  }
  writeFileSync(join(d, 'plain.bin'), plain);
});

const read = (name: string) => readFileSync(join(d, name));
const neural = (file: string) => /neural: +(.*)\n/.exec(nqc(d, ['inspect', file]).stdout.toString())?.[1];

describe('nqc encrypt --nde-version', () => {
  it('writes NDE v2 by default and v1 when asked; inspect names each model; both decrypt', () => {
    expect(nqc(d, ['encrypt', '-R', 'alice.pub', '-o', 'v2.nqc', 'plain.bin'])).toMatchObject({ status: 0, stderr: '' });
    expect(nqc(d, ['encrypt', '-R', 'alice.pub', '--nde-version', '1', '-o', 'v1.nqc', 'plain.bin'])).toMatchObject({ status: 0, stderr: '' });
    expect(nqc(d, ['encrypt', '-R', 'alice.pub', '--nde-version', '2', '-o', 'v2b.nqc', 'plain.bin']).status).toBe(0);
    expect(neural('v2.nqc')).toBe(`on, NDE v2 (model ${V2}...)`);
    expect(neural('v2b.nqc')).toBe(`on, NDE v2 (model ${V2}...)`);
    expect(neural('v1.nqc')).toBe(`on, NDE v1 (model ${V1}...)`);
    expect(JSON.parse(nqc(d, ['inspect', '--json', 'v1.nqc']).stdout.toString()).nde).toEqual({ modelId: idHex(1), version: 1, known: true });
    for (const f of ['v1', 'v2']) {
      expect(nqc(d, ['decrypt', '-i', 'alice.key', '-o', `${f}.out`, `${f}.nqc`]).status).toBe(0);
      expect(read(`${f}.out`).equals(plain)).toBe(true);
      // every backend choice opens either version (reference: the specification)
      expect(nqc(d, ['decrypt', '-i', 'alice.key', '--nde', 'reference', `${f}.nqc`]).stdout.equals(plain)).toBe(true);
    }
    expect(nqc(d, ['encrypt', '-R', 'alice.pub', '--nde', 'off', '-o', 'off.nqc', 'plain.bin']).status).toBe(0);
    expect(neural('off.nqc')).toBe('off');
  });

  it('refuses a bad --nde-version, and --nde-version with --nde off, as usage errors (exit 2)', () => {
    for (const args of [['--nde-version', '3'], ['--nde-version', 'v2'], ['--nde', 'off', '--nde-version', '1']]) {
      const r = nqc(d, ['encrypt', '-R', 'alice.pub', ...args, '-o', 'never.nqc', 'plain.bin']);
      expect([args.join(' '), r.status]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toMatch(/nde-version/);
    }
    expect(nqc(d, ['encrypt', '-R', 'alice.pub', '--nde', 'off', '--nde-version', '1', 'plain.bin']).stderr).toBe(
      "nqc: --nde-version chooses the neural layer's construction: do not combine it with --nde off\n",
    );
  });
});

describe('nqc rotate --nde-version', () => {
  it('a v1 envelope rotates to v2 by default, stays v1 with --nde-version 1', () => {
    expect(nqc(d, ['encrypt', '-R', 'alice.pub', '--nde-version', '1', '-o', 'old.nqc', 'plain.bin']).status).toBe(0);
    expect(nqc(d, ['rotate', '-i', 'alice.key', '-R', 'bob.pub', '-o', 'up.nqc', 'old.nqc']).status).toBe(0);
    expect(neural('up.nqc')).toBe(`on, NDE v2 (model ${V2}...)`);
    expect(nqc(d, ['rotate', '-i', 'alice.key', '-R', 'bob.pub', '--nde-version', '1', '-o', 'kept.nqc', 'old.nqc']).status).toBe(0);
    expect(neural('kept.nqc')).toBe(`on, NDE v1 (model ${V1}...)`);
    for (const f of ['up', 'kept']) expect(nqc(d, ['decrypt', '-i', 'bob.key', `${f}.nqc`]).stdout.equals(plain)).toBe(true);
    const r = nqc(d, ['rotate', '-i', 'alice.key', '-R', 'bob.pub', '--nde', 'off', '--nde-version', '2', '-o', 'never.nqc', 'old.nqc']);
    expect(r.status).toBe(2);
  });
});

describe('the core vector corpus through the command', () => {
  it('opens the v1 and the v2 envelope of one plaintext and names each model', () => {
    const alice = /^alice (\S+)$/m.exec(readFileSync(join(CORPUS, 'identities.txt'), 'utf8'))![1]!;
    writeFileSync(join(d, 'corpus-alice.key'), `# TEST KEY ONLY (published with the core corpus)\n${alice}\n`, { mode: 0o600 });
    const cases = (JSON.parse(readFileSync(join(CORPUS, 'vectors.json'), 'utf8')) as { cases: { name: string; file: string; plaintextHex?: string }[] }).cases;
    const byName = new Map(cases.map((c) => [c.name, c]));
    for (const [name, version, id] of [['good_xwing', 1, V1], ['good_nde_v2', 2, V2]] as const) {
      const file = join(CORPUS, 'files', byName.get(name)!.file);
      expect([name, /neural: +(.*)\n/.exec(nqc(d, ['inspect', file]).stdout.toString())?.[1]]).toEqual([name, `on, NDE v${version} (model ${id}...)`]);
      const r = nqc(d, ['decrypt', '-i', 'corpus-alice.key', file]);
      expect([name, r.status, r.stdout.toString('hex')]).toEqual([name, 0, byName.get(name)!.plaintextHex]);
    }
  });
});
