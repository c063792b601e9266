// Streaming edge cases: any split of the input into pieces gives the same result (binary and armored),
// and the browser entry imports nothing from Node.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { armor, createDecryptStream, createEncryptStream, encryptEnvelope, type DecryptOptions } from '../src/index.js';
import { codeOf, seeded, testSigner, testStanza, testUnwrap, testVerify, xorInner } from './helpers.js';

async function run(ts: { writable: WritableStream<Uint8Array>; readable: ReadableStream<Uint8Array> }, pieces: Uint8Array[]): Promise<Uint8Array> {
  const out: Uint8Array[] = [];
  const reading = (async () => {
    const r = ts.readable.getReader();
    for (;;) {
      const { done, value } = await r.read();
      if (done) return;
      out.push(value);
    }
  })();
  const w = ts.writable.getWriter();
  const writing = (async () => {
    for (const p of pieces) await w.write(p);
    await w.close();
  })();
  await Promise.all([reading, writing]);
  return Uint8Array.from(out.flatMap((o) => [...o]));
}

function split(b: Uint8Array, cuts: number[]): Uint8Array[] {
  const pts = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...pts, b.length]) {
    out.push(b.subarray(prev, p));
    prev = p;
  }
  return out;
}

const fileKey = seeded('split', 32);
const id = seeded('split-inner', 32);
const dopts: DecryptOptions = { unwrap: testUnwrap, verify: testVerify, requireSignature: true, inner: xorInner(id) };

describe('arbitrary input splits', () => {
  it('encrypt and decrypt give identical results for any split, binary or armored', async () => {
    const pt = seeded('split-pt', 64 * 5 + 9);
    const eopts = { fileKey, salt: seeded('salt', 32), stanzas: [testStanza(fileKey)], chunkSize: 64, signer: testSigner(seeded('k', 32)), inner: xorInner(id) };
    const env = await encryptEnvelope(pt, eopts);
    const asc = new TextEncoder().encode('\r\n ' + armor(env).replaceAll('\n', '\r\n'));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 30 }), async (c1, c2) => {
        expect(await run(createEncryptStream(eopts), split(pt, c1))).toEqual(env);
        expect(await run(createDecryptStream(dopts), split(env, c2))).toEqual(pt);
        expect(await run(createDecryptStream(dopts), split(asc, c2))).toEqual(pt);
      }),
      { numRuns: 60 },
    );
    // one byte at a time
    expect(await run(createDecryptStream(dopts), split(env, [...Array(env.length).keys()]))).toEqual(pt);
    expect(await codeOf(() => run(createDecryptStream(dopts), split(env.subarray(0, env.length - 1), [...Array(env.length).keys()])))).not.toBe('NO_ERROR');
  });

  it('the browser entry does not import node: modules', () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(join(import.meta.dirname, '..', 'src', file), 'utf8');
      expect(src).not.toMatch(/from ['"]node:/);
      for (const m of src.matchAll(/from '\.\/([\w-]+)\.js'/g)) visit(`${m[1]}.ts`);
    };
    visit('index.ts');
    expect(seen.size).toBeGreaterThan(8);
    expect(seen.has('node.ts')).toBe(false);
  });
});
