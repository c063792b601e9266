// Finding #5 of the security review: leading whitespace was kept without limit and re-concatenated on
// every write (O(n^2)). Now at most LIMITS.maxLeadingWhitespace bytes are accepted, as pieces.
import { describe, expect, it } from '@jest/globals';
import { armor, createDecryptStream, decryptEngine, dearmor, detectEncoding, EncodingSniffer, encryptEnvelope, LIMITS } from '../src/index.js';
import { codeOf, seeded, testStanza, testUnwrap } from './helpers.js';

const fileKey = seeded('ws/key', 32);
const te = (s: string) => new TextEncoder().encode(s);

describe('leading whitespace', () => {
  it('a gigabyte of whitespace is refused after the first piece, without buffering it', async () => {
    const piece = new Uint8Array(64 * 1024).fill(0x20);
    let pulled = 0;
    const src = new ReadableStream<Uint8Array>({
      pull(c) {
        if (pulled++ >= 16 * 1024) c.close(); // 1 GiB in all, produced lazily
        else c.enqueue(piece);
      },
    });
    const d = createDecryptStream({ unwrap: testUnwrap });
    expect(await codeOf(() => src.pipeThrough(d).pipeTo(new WritableStream()))).toBe('ERR_FORMAT_ARMOR');
    expect(pulled).toBeLessThan(64);
  });

  it('byte-by-byte whitespace: refused at the limit, not quadratic', async () => {
    const e = decryptEngine({ unwrap: testUnwrap });
    const sp = Uint8Array.of(0x0a);
    for (let i = 0; i < LIMITS.maxLeadingWhitespace; i++) await e.write(sp, () => undefined);
    expect(await codeOf(() => e.write(sp, () => undefined))).toBe('ERR_FORMAT_ARMOR');
  });

  it(`accepts exactly ${LIMITS.maxLeadingWhitespace} bytes before armor, in any split`, async () => {
    const env = await encryptEnvelope(seeded('ws/pt', 100), { fileKey, stanzas: [testStanza(fileKey)] });
    for (const [n, code] of [[LIMITS.maxLeadingWhitespace, 'NO_ERROR'], [LIMITS.maxLeadingWhitespace + 1, 'ERR_FORMAT_ARMOR']] as const) {
      const text = te(' '.repeat(n - 1) + '\n' + armor(env));
      expect(await codeOf(() => dearmor(text))).toBe(code);
      for (const split of [1, 7, 1000, text.length]) {
        const e = decryptEngine({ unwrap: testUnwrap });
        const out: number[] = [];
        const run = async () => {
          for (let o = 0; o < text.length; o += split) await e.write(text.subarray(o, o + split), (b) => out.push(b.length));
          await e.end((b) => out.push(b.length));
        };
        expect([n, split, await codeOf(run)]).toEqual([n, split, code]);
      }
    }
  });

  it('whitespace before a binary envelope is still not an envelope', async () => {
    const env = await encryptEnvelope(seeded('ws/pt', 10), { fileKey, stanzas: [testStanza(fileKey)] });
    const e = decryptEngine({ unwrap: testUnwrap });
    expect(await codeOf(async () => {
      await e.write(te('  \n'), () => undefined);
      await e.write(env, () => undefined);
      await e.end(() => undefined);
    })).toBe('ERR_FORMAT_MAGIC');
  });
});

describe('one armor rule (hardening issue item 8)', () => {
  it('whitespace on the BEGIN line counts against the 1024-byte limit, not the line length', async () => {
    const env = await encryptEnvelope(seeded('ws/pt8', 100), { fileKey, stanzas: [testStanza(fileKey)] });
    for (const n of [0, 11, 12, 100, 1000, 1024, 1025]) {
      const want = n <= LIMITS.maxLeadingWhitespace ? 'NO_ERROR' : 'ERR_FORMAT_ARMOR';
      const text = te(' '.repeat(n) + armor(env));
      expect([n, await codeOf(() => dearmor(text))]).toEqual([n, want]);
      expect([n, await codeOf(() => detectEncoding(text))]).toEqual([n, want]);
      for (const split of [1, 13, 1000]) {
        const e = decryptEngine({ unwrap: testUnwrap });
        const run = async () => {
          for (let o = 0; o < text.length; o += split) await e.write(text.subarray(o, o + split), () => undefined);
          await e.end(() => undefined);
        };
        expect([n, split, await codeOf(run)]).toEqual([n, split, want]);
      }
    }
  });

  it('EncodingSniffer: armor on "-", binary on anything else, undefined while only whitespace', () => {
    const s = new EncodingSniffer();
    expect([s.push(te(' \t\r\n')), s.push(te('\n')), s.whitespace]).toEqual([undefined, undefined, 5]);
    expect([s.push(te('  -')), s.push(te('n')), s.encoding, s.whitespace]).toEqual(['armor', 'armor', 'armor', 7]);
    expect([detectEncoding(te('nqc')), detectEncoding(te(' x')), detectEncoding(new Uint8Array(0))]).toEqual(['binary', 'binary', undefined]);
    const many = new EncodingSniffer();
    many.push(new Uint8Array(LIMITS.maxLeadingWhitespace).fill(0x20));
    expect(() => many.push(Uint8Array.of(0x0a))).toThrow(expect.objectContaining({ code: 'ERR_FORMAT_ARMOR' }));
  });
});
