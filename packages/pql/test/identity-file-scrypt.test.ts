// Key derivation isolated: scrypt is replaced by a stub that applies noble's own memory rule, so every
// accepted parameter set can be checked without running a 1 GiB scrypt, and a failing scrypt can be
// simulated. The rule itself is pinned against the real noble scrypt in identity-file.test.ts.
import { describe, expect, it, jest } from '@jest/globals';

let failWith: unknown;
const seen: { N: number; r: number; p: number; maxmem: number }[] = [];
jest.unstable_mockModule('@noble/hashes/scrypt.js', () => ({
  scrypt: (_pw: Uint8Array, _salt: Uint8Array, o: { N: number; r: number; p: number; maxmem: number }) => {
    seen.push(o);
    if (failWith !== undefined) throw failWith;
    // noble 2.4.0 scrypt.js: memUsed = 128*r*(N+p+1); throws when memUsed > maxmem.
    if (128 * o.r * (o.N + o.p + 1) > o.maxmem) throw new Error('"maxmem" limit was hit');
    return new Uint8Array(32).fill(7);
  },
}));
const { DEFAULT_SCRYPT_PARAMS, generateIdentity, MAX_SCRYPT_LOG_N, MIN_SCRYPT_LOG_N, NqcPqlError, parseIdentityFile, serializeIdentityFile } =
  await import('../src/index.js');

const contents = { identities: [generateIdentity()], signingKeys: [] };

function outcome(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    return e instanceof NqcPqlError ? e.code : `untyped: ${(e as Error).message}`;
  }
}

describe('identity-file key derivation', () => {
  it('only what nqc writes (r=8, p=1, ln 10..18) is accepted; the rest is refused before scrypt runs', () => {
    const accepted: string[] = [];
    for (let logN = 9; logN <= 21; logN++) {
      for (let r = 0; r <= 17; r++) {
        for (let p = 0; p <= 5; p++) {
          seen.length = 0;
          const o = outcome(() => serializeIdentityFile(contents, { passphrase: 'x', scrypt: { logN, r, p } }));
          expect(['ok', 'ERR_PQL_IDENTITY_FILE']).toContain(o);
          if (o === 'ok') {
            accepted.push(`${logN}/${r}/${p}`);
            expect(seen[0]!.maxmem).toBe(128 * 8 * (2 ** MAX_SCRYPT_LOG_N + 2));
          } else expect(seen).toEqual([]);
        }
      }
    }
    expect(accepted).toEqual(['10/8/1', '11/8/1', '12/8/1', '13/8/1', '14/8/1', '15/8/1', '16/8/1', '17/8/1', '18/8/1']);
    expect([MIN_SCRYPT_LOG_N, MAX_SCRYPT_LOG_N]).toEqual([10, DEFAULT_SCRYPT_PARAMS.logN + 1]);
    const text = serializeIdentityFile(contents, { passphrase: 'x', scrypt: { logN: MAX_SCRYPT_LOG_N, r: 8, p: 1 } });
    expect(parseIdentityFile(text, { passphrase: 'x' }).identities).toHaveLength(1);
  });

  it('hardening issue item 11: the hostile ln=19 r=15 p=4 file is refused without running scrypt', () => {
    // It passed the old check (1 GiB, 68 s of scrypt before "wrong passphrase").
    const file = [
      '-----BEGIN NQC ENCRYPTED IDENTITY-----',
      'nqc-identity/v1 scrypt ln=19 r=15 p=4 salt=AAAAAAAAAAAAAAAAAAAAAA==',
      'A'.repeat(64),
      '-----END NQC ENCRYPTED IDENTITY-----',
      '',
    ].join('\n');
    for (const params of ['ln=19 r=15 p=4', 'ln=19 r=8 p=1', 'ln=17 r=16 p=1', 'ln=17 r=8 p=2', 'ln=17 r=1 p=1']) {
      seen.length = 0;
      expect([params, outcome(() => parseIdentityFile(file.replace('ln=19 r=15 p=4', params), { passphrase: 'x' }))]).toEqual([params, 'ERR_PQL_IDENTITY_FILE']);
      expect(seen).toEqual([]);
    }
  });

  it('a throwing scrypt becomes ERR_PQL_IDENTITY_FILE on both sides, with the cause kept', () => {
    const text = serializeIdentityFile(contents, { passphrase: 'x', scrypt: { logN: 10, r: 8, p: 1 } });
    for (const err of [new Error('"maxmem" limit was hit'), new RangeError('Array buffer allocation failed'), 'a string']) {
      failWith = err;
      for (const f of [
        () => serializeIdentityFile(contents, { passphrase: 'x' }),
        () => parseIdentityFile(text, { passphrase: 'x' }),
      ]) {
        try {
          f();
          throw new Error('expected an error');
        } catch (e) {
          expect(e).toBeInstanceOf(NqcPqlError);
          expect((e as InstanceType<typeof NqcPqlError>).code).toBe('ERR_PQL_IDENTITY_FILE');
          expect((e as Error).message).toMatch(/^scrypt failed: /);
          expect((e as Error).cause).toBe(err);
        }
      }
    }
    failWith = undefined;
  });

});
