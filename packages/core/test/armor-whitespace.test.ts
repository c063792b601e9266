// Hardening issue item 8: one armor rule (FORMAT.md section 9) for every reader. `inspectFile` said
// "bad magic" for armor after >= 12 whitespace bytes that `decrypt` accepted, and ~1000 spaces before
// the BEGIN line gave "armor line too long" although FORMAT.md allows 1024. Every entry point must now
// give the same verdict for the same bytes.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIMITS } from '@nqc/container';
import { decrypt as decryptBrowser, inspect as inspectBrowser } from '../src/index.js';
import { closeNde, decrypt, decryptFile, encrypt, inspect, inspectFile } from '../src/node.js';
import { alice, codeOf, seeded, streamOf, utf8 } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'nqc-core-armor-ws-'));
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await closeNde();
});

const drain = async (s: ReadableStream<Uint8Array>) => {
  const r = s.getReader();
  while (!(await r.read()).done);
};

/** The error code (or NO_ERROR) each reader gives for `bytes`. */
async function verdicts(bytes: Uint8Array, name: string): Promise<Record<string, string>> {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  const opts = { identities: alice };
  return {
    inspectBytes: await codeOf(() => inspect(bytes)),
    inspectBrowser: await codeOf(() => inspectBrowser(bytes)),
    inspectStream: await codeOf(() => inspect(streamOf(bytes, 7))),
    inspectFile: await codeOf(() => inspectFile(file)),
    decryptBytes: await codeOf(() => decrypt(bytes, opts)),
    decryptBrowser: await codeOf(() => decryptBrowser(bytes, opts)),
    decryptStream: await codeOf(async () => {
      const d = decrypt(streamOf(bytes, 5), opts);
      await drain(d.stream);
      await d.done;
    }),
    decryptFile: await codeOf(() => decryptFile(file, join(dir, `${name}.out`), opts)),
  };
}

const same = (code: string) => ({
  inspectBytes: code,
  inspectBrowser: code,
  inspectStream: code,
  inspectFile: code,
  decryptBytes: code,
  decryptBrowser: code,
  decryptStream: code,
  decryptFile: code,
});

const COUNTS = [0, 11, 12, 100, 1000, 1024, 1025];

describe('leading whitespace: one verdict everywhere (FORMAT.md section 9)', () => {
  it(`armor after 0..${LIMITS.maxLeadingWhitespace} whitespace bytes opens; one more is ERR_FORMAT_ARMOR`, async () => {
    expect(LIMITS.maxLeadingWhitespace).toBe(1024);
    const text = await encrypt(seeded('armor-ws/pt', 300), { recipients: alice.recipient(), nde: 'off', armor: true });
    for (const n of COUNTS) {
      const want = n <= LIMITS.maxLeadingWhitespace ? 'NO_ERROR' : 'ERR_FORMAT_ARMOR';
      // on the BEGIN line itself (the "armor line too long" case), and on lines of their own
      const sameLine = utf8(' '.repeat(n) + text);
      const ownLines = utf8('\t \r\n'.repeat(Math.floor(n / 4)) + ' '.repeat(n % 4) + text);
      expect([n, 'same line', await verdicts(sameLine, `s${n}`)]).toEqual([n, 'same line', same(want)]);
      expect([n, 'own lines', await verdicts(ownLines, `o${n}`)]).toEqual([n, 'own lines', same(want)]);
      if (n > 0) expect([n, await codeOf(() => inspect(' '.repeat(n) + text))]).toEqual([n, want]);
    }
  }, 60_000);

  it('whitespace before a binary envelope: bad magic up to the limit, ERR_FORMAT_ARMOR beyond it', async () => {
    const bin = (await encrypt(seeded('armor-ws/bin', 10), { recipients: alice.recipient(), nde: 'off' })) as Uint8Array;
    for (const n of COUNTS) {
      const want = n === 0 ? 'NO_ERROR' : n <= LIMITS.maxLeadingWhitespace ? 'ERR_FORMAT_MAGIC' : 'ERR_FORMAT_ARMOR';
      const bytes = new Uint8Array(n + bin.length).fill(0x20);
      bytes.set(bin, n);
      expect([n, await verdicts(bytes, `b${n}`)]).toEqual([n, same(want)]);
    }
  }, 60_000);

  it('whitespace only is an empty input everywhere', async () => {
    for (const n of [1, 12, 1024]) expect([n, await verdicts(new Uint8Array(n).fill(0x0a), `w${n}`)]).toEqual([n, same('ERR_FORMAT_TRUNCATED')]);
  }, 60_000);
});
