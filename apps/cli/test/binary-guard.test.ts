import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { looksBinary } from '../src/io/binary-guard.js';

describe('looksBinary', () => {
  it('passes text, including UTF-8 cut in the middle of a character', () => {
    expect(looksBinary(new TextEncoder().encode('hello\tworld\r\n'))).toBe(false);
    const euro = new TextEncoder().encode('price: 10 €');
    expect(looksBinary(euro.subarray(0, euro.length - 1))).toBe(false);
    const printable = (s: string) => [...s].filter((c) => c.codePointAt(0)! >= 0x20 || '\t\n\r'.includes(c)).join('');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.nat(3), (s, cut) => {
        const bytes = new TextEncoder().encode(printable(s));
        return !looksBinary(bytes.subarray(0, Math.max(0, bytes.length - cut)));
      }),
    );
  });
  it('flags NUL, control bytes and invalid UTF-8', () => {
    expect(looksBinary(new Uint8Array([0x68, 0x00, 0x69]))).toBe(true);
    expect(looksBinary(new Uint8Array([0x07, 0x41]))).toBe(true);
    expect(looksBinary(new Uint8Array([0xff, 0xfe, 0x41, 0x41, 0x41, 0x41]))).toBe(true);
  });
});
