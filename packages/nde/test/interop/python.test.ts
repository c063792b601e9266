// NDE v2 interoperability with test/interop/nde_v2.py, an independent implementation written from
// docs/nde-v2-spec.md alone (Python 3 standard library). Both directions: Python reproduces the golden
// file and checks vectors the TypeScript reference wrote; the reference checks vectors Python wrote.
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { referenceBackendV2 } from '../../src/index.js';

const script = new URL('./nde_v2.py', import.meta.url).pathname;
// Pure Python on a busy 2-core machine: the golden file took 26 s at load 9.
const TIMEOUT_MS = 290_000;

const probe = spawnSync('python3', ['--version'], { encoding: 'utf8' });
const hasPython = probe.status === 0;
if (!hasPython) {
  const reason = `python3 is not runnable (${probe.error?.message ?? `exit ${String(probe.status)}`})`;
  if (process.env.CI === 'true') throw new Error(`test/interop/python.test.ts needs python3 under CI: ${reason}`);
  console.log(`skipping test/interop/python.test.ts: ${reason}`);
}
const run = hasPython ? it : it.skip;

function python(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('python3', [script, ...args], { encoding: 'utf8', timeout: TIMEOUT_MS, maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface PyVector {
  key: string;
  salt: string;
  index: string;
  plaintext: string;
  ciphertext: string;
  split: number;
}

describe('NDE v2: an independent Python implementation of docs/nde-v2-spec.md', () => {
  run(
    'reproduces every vector, batch item and trace value of test/vectors/nde-v2-golden.json',
    () => {
      const r = python([]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^nde_v2\.py: 18 vectors, 5 batches \(76 chunks\), trace: \d+ checks passed, 0 failed\n$/);
      expect(r.status).toBe(0);
    },
    TIMEOUT_MS + 10_000,
  );

  run(
    'the TypeScript reference gives the bytes of fresh random vectors that Python wrote (and decrypts them)',
    async () => {
      const seed = bytesToHex(randomBytes(8));
      const r = python(['--random', '14', seed]);
      expect([r.status, r.stderr]).toEqual([0, '']);
      const vectors = JSON.parse(r.stdout) as PyVector[];
      expect(vectors).toHaveLength(14);
      for (const v of vectors) {
        const key = hexToBytes(v.key);
        const salt = hexToBytes(v.salt);
        const index = Number(v.index);
        expect(String(index)).toBe(v.index); // safe integer, survives the round trip
        const [ct] = await referenceBackendV2.encryptChunks(key, salt, [{ index, data: hexToBytes(v.plaintext) }]);
        expect({ seed, index, ct: bytesToHex(ct!) }).toEqual({ seed, index, ct: v.ciphertext });
        const [pt] = await referenceBackendV2.decryptChunks(key, salt, [{ index, data: hexToBytes(v.ciphertext) }]);
        expect({ seed, index, pt: bytesToHex(pt!) }).toEqual({ seed, index, pt: v.plaintext });
      }
    },
    TIMEOUT_MS + 10_000,
  );

  run(
    'Python gives the bytes of fresh random vectors that the TypeScript reference wrote (one batch call per key)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'nde-interop-'));
      try {
        const vectors: PyVector[] = [];
        const lengths = [0, 1, 512, 513, 1024, 1500];
        for (let n = 0; n < 4; n++) {
          const key = new Uint8Array(randomBytes(32));
          const salt = new Uint8Array(randomBytes([0, 32, 65, 1024][n]!));
          const items = lengths.map((length, i) => ({
            index: [0, 2 ** 32, Number.MAX_SAFE_INTEGER, n, i, 7][i]!,
            data: new Uint8Array(randomBytes(length)),
          }));
          const out = await referenceBackendV2.encryptChunks(key, salt, items);
          items.forEach((item, i) =>
            vectors.push({
              key: bytesToHex(key),
              salt: bytesToHex(salt),
              index: String(item.index),
              plaintext: bytesToHex(item.data),
              ciphertext: bytesToHex(out[i]!),
              split: 0,
            }),
          );
        }
        const file = join(dir, 'ts-vectors.json');
        writeFileSync(file, JSON.stringify(vectors));
        const r = python(['--check', file]);
        expect([r.status, r.stderr, r.stdout]).toEqual([0, '', `nde_v2.py --check: ${vectors.length} vectors: ${2 * vectors.length} checks passed, 0 failed\n`]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    TIMEOUT_MS + 10_000,
  );

  run(
    'the Python script fails loudly on a wrong vector (the checks can fail)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'nde-interop-'));
      try {
        const file = join(dir, 'bad.json');
        const key = bytesToHex(new Uint8Array(32));
        writeFileSync(file, JSON.stringify([{ key, salt: '', index: '0', plaintext: '00', ciphertext: '00', split: 0 }]));
        const r = python(['--check', file]);
        expect(r.status).toBe(1);
        expect(r.stdout).toMatch(/MISMATCH \[0\] encrypt/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    TIMEOUT_MS + 10_000,
  );
});
