// Single-bit flips of a mlkem1024 stanza are rejected (null or typed error, never the file key). Default: every
// bit of the tail, one bit per byte elsewhere; NQC_PQL_EXHAUSTIVE=1 flips every bit (see _flips.ts).
import { describe, it } from '@jest/globals';
import { exhaustiveFlips } from './_flips.js';

describe('mlkem1024 stanza tampering', () => {
  it('rejects single-bit flips of the body (every bit when exhaustive), and every type/args bit flip', () => exhaustiveFlips('mlkem1024', 48));
});
