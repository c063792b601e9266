// Single-bit flips of a xwing stanza are rejected (null or typed error, never the file key). Default: every
// bit of the tail, one bit per byte elsewhere; NQC_PQL_EXHAUSTIVE=1 flips every bit (see _flips.ts).
import { describe, it } from '@jest/globals';
import { exhaustiveFlips } from './_flips.js';

describe('xwing stanza tampering', () => {
  it('rejects single-bit flips of the body (every bit when exhaustive), and every type/args bit flip', () => exhaustiveFlips('xwing', 48 + 32));
});
