import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { EnvelopeInfo } from '@nqc/core';
import { describeEnvelope } from '../src/commands/inspect.js';
import { escapeForTerminal } from '../src/io/terminal.js';

// Anything a terminal acts on: C0, DEL, C1, bidi controls, line/paragraph separators.
// eslint-disable-next-line no-control-regex
const ACTIVE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const unescape = (s: string) =>
  s.replace(/\\(\\|n|r|t|x[0-9a-f]{2}|u[0-9a-f]{4})/g, (_m, e: string) =>
    e === '\\' ? '\\' : e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : String.fromCharCode(parseInt(e.slice(1), 16)),
  );

describe('escapeForTerminal', () => {
  it('shows controls as escapes and keeps ordinary text, including non-ASCII letters', () => {
    expect(escapeForTerminal('\x1b]0;owned\x07')).toBe('\\x1b]0;owned\\x07');
    expect(escapeForTerminal('a\nnqc: good signature\r')).toBe('a\\nnqc: good signature\\r');
    expect(escapeForTerminal('\u009b31m \u202eevil \u2066x\u2069 \x7f')).toBe('\\x9b31m \\u202eevil \\u2066x\\u2069 \\x7f');
    expect(escapeForTerminal('patient.âge / 年齢 \\ ok')).toBe('patient.âge / 年齢 \\\\ ok');
  });

  it('never lets an active character through, and reads back unambiguously (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const out = escapeForTerminal(s);
        expect(ACTIVE.test(out)).toBe(false);
        expect(unescape(out)).toBe(s);
      }),
      { numRuns: 500 },
    );
  });
});

describe('nqc inspect text output', () => {
  it('escapes every string that came from the file (HE value paths set the title and forged a line)', () => {
    const evil = '\x1b]0;pwned\x07\nnqc: GOOD SIGNATURE by alice';
    const info = {
      version: 1,
      armored: false,
      headerLength: 100,
      aead: 'chacha20-poly1305',
      chunkSize: 65536,
      nde: null,
      recipients: [{ type: `xwing${evil}`, keyIdHint: undefined }],
      signer: null,
      he: { metadataLength: 10, fields: [{ path: `age${evil}`, parts: 1, scheme: 'bfv', keyId: '00'.repeat(16), layout: 'record', count: 1, bytes: 10, values: ['a', `b${evil}`] }] },
      sizes: undefined,
    } as unknown as EnvelopeInfo;
    const text = describeEnvelope(info);
    expect(ACTIVE.test(text.replace(/\n/g, ''))).toBe(false);
    expect(text.split('\n').filter((l) => l.startsWith('nqc:'))).toEqual([]);
    expect(text).toContain('- age\\x1b]0;pwned\\x07\\nnqc: GOOD SIGNATURE by alice [a, b\\x1b]0;pwned');
  });
});
