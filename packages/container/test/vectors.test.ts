// The vector corpus: committed files must equal what the generator produces, and each must open to
// its known plaintext or fail with its named code.
import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesSource, decryptEnvelope, openRandomAccess, verifyEnvelopeSignature } from '../src/index.js';
import { nodeProvider } from '../src/node.js';
import { generateVectors, TEST_INNER_ID } from './vectors/generate.js';
import { codeOf, testUnwrap, testVerify, xorInner } from './helpers.js';

const dir = join(import.meta.dirname, 'vectors', 'files');
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

interface Manifest {
  cases: { name: string; file: string; expect: string; fileKey: string; plaintextHex?: string; plaintextSha256?: string; requireSignature?: boolean; description: string }[];
}

const generated = await generateVectors();
if (process.env.NQC_WRITE_VECTORS === '1') {
  if (existsSync(dir)) rmSync(dir, { recursive: true });
  mkdirSync(dir, { recursive: true });
  for (const v of generated) writeFileSync(join(dir, v.file), v.bytes);
  const manifest = {
    format: 'nqc-env v1 test vectors',
    readme: 'See FORMAT.md section 11. unwrap: accept only stanza type test-filekey (no args, 32-byte body = file key). verify: test-hmac-sha256. inner layer: test-xor-sha256 with id innerId.',
    innerId: hex(TEST_INNER_ID),
    cases: generated.map(({ bytes: _b, ...rest }) => rest),
  };
  writeFileSync(join(dir, '..', 'vectors.json'), JSON.stringify(manifest, null, 2) + '\n');
}
const manifest = JSON.parse(readFileSync(join(dir, '..', 'vectors.json'), 'utf8')) as Manifest;

const open = (bytes: Uint8Array, c: Manifest['cases'][0], provider?: typeof nodeProvider) =>
  decryptEnvelope(bytes, { unwrap: testUnwrap, verify: testVerify, requireSignature: c.requireSignature, inner: xorInner(TEST_INNER_ID), provider });

describe('vector corpus', () => {
  it('has at least 40 cases, both kinds', () => {
    expect(manifest.cases.length).toBeGreaterThanOrEqual(40);
    expect(manifest.cases.filter((c) => c.expect === 'ok').length).toBeGreaterThanOrEqual(15);
  });

  it('is reproduced byte for byte by the generator', () => {
    expect(readdirSync(dir).sort()).toEqual(generated.map((g) => g.file).sort());
    for (const g of generated) expect([g.file, hex(sha256(readFileSync(join(dir, g.file))))]).toEqual([g.file, hex(sha256(g.bytes))]);
    expect(manifest.cases.map((c) => c.name)).toEqual(generated.map((g) => g.name));
  });

  for (const c of manifest.cases) {
    it(`${c.name}: ${c.expect}`, async () => {
      const bytes = new Uint8Array(readFileSync(join(dir, c.file)));
      for (const provider of [undefined, nodeProvider]) {
        if (c.expect === 'ok') {
          const { plaintext } = await open(bytes, c, provider);
          if (c.plaintextHex !== undefined) expect(hex(plaintext)).toBe(c.plaintextHex);
          else expect(hex(sha256(plaintext))).toBe(c.plaintextSha256);
        } else {
          expect(await codeOf(() => open(bytes, c, provider))).toBe(c.expect);
        }
      }
    });
  }

  it('signed vectors verify without a key; tampered signatures do not', async () => {
    for (const c of manifest.cases.filter((x) => x.requireSignature && !x.file.endsWith('.asc'))) {
      const bytes = new Uint8Array(readFileSync(join(dir, c.file)));
      const code = await codeOf(() => verifyEnvelopeSignature(bytesSource(bytes), testVerify, { provider: nodeProvider }));
      if (c.expect === 'ok') expect([c.name, code]).toEqual([c.name, 'NO_ERROR']);
      else if (c.expect.startsWith('ERR_FORMAT_SIGNATURE')) expect([c.name, code]).toEqual([c.name, c.expect]);
      else expect([c.name, code]).not.toEqual([c.name, 'NO_ERROR']);
    }
  });

  it('good binary vectors open chunk by chunk through random access', async () => {
    for (const c of manifest.cases.filter((x) => x.expect === 'ok' && !x.file.endsWith('.asc'))) {
      const bytes = new Uint8Array(readFileSync(join(dir, c.file)));
      const { plaintext } = await open(bytes, c);
      const ra = await openRandomAccess(bytesSource(bytes), { unwrap: testUnwrap, inner: xorInner(TEST_INNER_ID) });
      const parts: number[] = [];
      for (let k = ra.chunkCount - 1; k >= 0; k--) parts.unshift(...(await ra.readChunk(k)));
      expect(hex(Uint8Array.from(parts))).toBe(hex(plaintext));
      expect(ra.plaintextSize).toBe(plaintext.length);
    }
  });
});
