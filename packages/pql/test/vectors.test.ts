// A good_/fail_ stanza corpus (test/vectors/stanzas.json), in the spirit of age's testkit: each case
// names its expected outcome. Deterministic (fixed seeds and encapsulation randomness), so other
// implementations can use it. Regenerate with NQC_PQL_WRITE_VECTORS=1 (then review the diff).
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { getKem, KemIdentity, NqcPqlError, parseIdentity, type Stanza } from '../src/index.js';
import { _wrap } from '../src/wrap.js';

type Case = {
  name: string;
  identity: string; // secret key string
  stanzas: { type: string; args: string[]; body: string }[];
  expect: 'file-key' | 'null' | 'ERR_PQL_STANZA_MALFORMED';
  fileKey?: string;
};

const seq = (n: number, start: number) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
const FILE = new URL('./vectors/stanzas.json', import.meta.url);

function generate(): Case[] {
  const cases: Case[] = [];
  for (const [alg, seedLen, randLen] of [['xwing', 32, 64], ['mlkem1024', 64, 32]] as const) {
    const me = KemIdentity.fromSeed(alg, seq(seedLen, 0));
    const other = KemIdentity.fromSeed(alg, seq(seedLen, 100));
    const fk = seq(32, 0xa0);
    const p = getKem(alg);
    const good = _wrap(p, me.publicKey, fk, me.keyId, seq(randLen, 0x40));
    const anon = _wrap(p, me.publicKey, fk, undefined, seq(randLen, 0x41));
    const theirs = _wrap(p, other.publicKey, fk, undefined, seq(randLen, 0x42));
    const enc = (s: Stanza) => ({ type: s.type, args: s.args, body: bytesToHex(s.body) });
    const mut = (f: (b: Uint8Array) => Uint8Array, s: Stanza = good) => ({ ...enc(s), body: bytesToHex(f(s.body.slice())) });
    const id = me.toString();
    const key = bytesToHex(fk);
    const flip = (i: number) => (b: Uint8Array) => ((b[i]! ^= 1), b);
    cases.push(
      { name: `good_${alg}_hint`, identity: id, stanzas: [enc(good)], expect: 'file-key', fileKey: key },
      { name: `good_${alg}_no_hint`, identity: id, stanzas: [enc(anon)], expect: 'file-key', fileKey: key },
      { name: `good_${alg}_second_stanza`, identity: id, stanzas: [enc(theirs), enc(good)], expect: 'file-key', fileKey: key },
      { name: `good_${alg}_other_types_ignored`, identity: id, stanzas: [{ type: 'X25519', args: ['abc'], body: '00' }, enc(good)], expect: 'file-key', fileKey: key },
      { name: `null_${alg}_not_mine`, identity: id, stanzas: [enc(theirs)], expect: 'null' },
      { name: `null_${alg}_hint_for_other_key`, identity: id, stanzas: [{ ...enc(good), args: [other.keyId] }], expect: 'null' },
      { name: `null_${alg}_flipped_ciphertext`, identity: id, stanzas: [mut(flip(0))], expect: 'null' },
      { name: `null_${alg}_flipped_tag`, identity: id, stanzas: [mut(flip(good.body.length - 1))], expect: 'null' },
      { name: `null_${alg}_flipped_sealed_key`, identity: id, stanzas: [mut(flip(p.cipherTextLength))], expect: 'null' },
      { name: `null_${alg}_empty`, identity: id, stanzas: [], expect: 'null' },
      { name: `fail_${alg}_body_short`, identity: id, stanzas: [mut((b) => b.subarray(0, b.length - 1))], expect: 'ERR_PQL_STANZA_MALFORMED' },
      { name: `fail_${alg}_body_long`, identity: id, stanzas: [mut((b) => new Uint8Array([...b, 0]))], expect: 'ERR_PQL_STANZA_MALFORMED' },
      { name: `fail_${alg}_two_args`, identity: id, stanzas: [{ ...enc(good), args: [me.keyId, me.keyId] }], expect: 'ERR_PQL_STANZA_MALFORMED' },
      { name: `fail_${alg}_upper_case_hint`, identity: id, stanzas: [{ ...enc(good), args: [me.keyId.toUpperCase().padEnd(8, 'A')] }], expect: 'ERR_PQL_STANZA_MALFORMED' },
      { name: `fail_${alg}_malformed_before_good`, identity: id, stanzas: [mut((b) => b.subarray(1)), enc(good)], expect: 'ERR_PQL_STANZA_MALFORMED' },
    );
  }
  return cases;
}

describe('stanza corpus (test/vectors/stanzas.json)', () => {
  const generated = generate();
  if (process.env.NQC_PQL_WRITE_VECTORS === '1') writeFileSync(FILE, `${JSON.stringify(generated, null, 1)}\n`);
  const corpus = JSON.parse(readFileSync(FILE, 'utf8')) as Case[];

  it('the stored corpus is what the current code generates (format unchanged)', () => {
    expect(corpus).toEqual(generated);
  });

  it.each(corpus.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const id = parseIdentity(c.identity);
    const stanzas = c.stanzas.map((s) => ({ type: s.type, args: s.args, body: hexToBytes(s.body) }));
    let outcome: string;
    let got: Uint8Array | null = null;
    try {
      got = id.unwrapFileKey(stanzas);
      outcome = got === null ? 'null' : 'file-key';
    } catch (e) {
      if (!(e instanceof NqcPqlError)) throw e;
      outcome = e.code;
    }
    expect(outcome).toBe(c.expect);
    if (c.fileKey) expect(bytesToHex(got!)).toBe(c.fileKey);
  });
});
