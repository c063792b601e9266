import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { scrypt } from '@noble/hashes/scrypt.js';
import {
  generateIdentity,
  generateSigningKey,
  isEncryptedIdentityFile,
  NqcPqlError,
  parseIdentityFile,
  serializeIdentityFile,
  SigningKey,
  type ScryptParams,
} from '../src/index.js';

const FAST: ScryptParams = { logN: 10, r: 8, p: 1 }; // tests only: real files default to ln=17
const kem = generateIdentity();
const sig = SigningKey.fromSeed('mldsa65', new Uint8Array(32).fill(2));
const contents = { identities: [kem], signingKeys: [sig] };
const created = new Date('2026-11-21T12:00:00.000Z');

function failure(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (!(e instanceof NqcPqlError)) throw e;
    return { code: e.code, message: e.message };
  }
  throw new Error('expected an error');
}

describe('identity files', () => {
  it('good_plain: comments with date and public keys, then the secret keys', () => {
    const text = serializeIdentityFile(contents, { created });
    const lines = text.split('\n');
    expect(lines[0]).toBe('# nqc identity file');
    expect(lines[1]).toBe('# created: 2026-11-21T12:00:00.000Z');
    expect(lines[2]).toBe(`# recipient: ${kem.recipient().toString()}`);
    expect(lines[3]).toBe(`# verifying key: ${sig.verifyingKey().toString()}`);
    expect(lines[4]).toBe(kem.toString());
    expect(lines[5]).toBe(sig.toString());
    expect(isEncryptedIdentityFile(text)).toBe(false);
    const back = parseIdentityFile(text);
    expect(back.identities[0]!.publicKey).toEqual(kem.publicKey);
    expect(back.signingKeys[0]!.publicKey).toEqual(sig.publicKey);
    // CRLF and blank lines are accepted.
    expect(parseIdentityFile(`\r\n${text.replaceAll('\n', '\r\n')}\r\n\r\n`).identities).toHaveLength(1);
  });

  it('good_encrypted: round trip with a passphrase; parameters recorded; secrets not visible', () => {
    const text = serializeIdentityFile(contents, { passphrase: 'correct horse', scrypt: FAST, created });
    expect(isEncryptedIdentityFile(text)).toBe(true);
    expect(text).toMatch(/^nqc-identity\/v1 scrypt ln=10 r=8 p=1 salt=[A-Za-z0-9+/]{22}==$/m);
    expect(text).not.toContain('NQC-SECRET');
    expect(text).toContain(`# recipient: ${kem.recipient().toString()}`);
    const back = parseIdentityFile(text, { passphrase: 'correct horse' });
    expect(back.identities[0]!.toString()).toBe(kem.toString());
    expect(back.signingKeys[0]!.toString()).toBe(sig.toString());
    // NFC normalisation: a decomposed "é" opens a file written with the composed one.
    const t2 = serializeIdentityFile(contents, { passphrase: 'caf\u00e9', scrypt: FAST });
    expect(parseIdentityFile(t2, { passphrase: 'cafe\u0301' }).identities).toHaveLength(1);
  });

  it('fail_wrong_passphrase and fail_missing_passphrase: clear typed errors', () => {
    const text = serializeIdentityFile(contents, { passphrase: 'correct horse', scrypt: FAST });
    expect(failure(() => parseIdentityFile(text, { passphrase: 'wrong horse' }))).toEqual({
      code: 'ERR_PQL_BAD_PASSPHRASE',
      message: 'wrong passphrase (or the encrypted identity was modified)',
    });
    expect(failure(() => parseIdentityFile(text)).message).toBe(
      'identity file is passphrase-protected: a passphrase is required',
    );
  });

  it('fail_mixed: a protected file refuses key lines outside its encrypted block', () => {
    const text = serializeIdentityFile(contents, { passphrase: 'pw', scrypt: FAST });
    const attacker = generateIdentity();
    const attackerSig = generateSigningKey();
    const lines = text.split('\n');
    const begin = lines.indexOf('-----BEGIN NQC ENCRYPTED IDENTITY-----');
    const end = lines.indexOf('-----END NQC ENCRYPTED IDENTITY-----');
    const variants: [string, number][] = [
      [`${attacker.toString()}\n${text}`, 1], // prepended: would have become identities[0]
      [`${attackerSig.toString()}\n${text}`, 1],
      [[...lines.slice(0, begin), attacker.toString(), ...lines.slice(begin)].join('\n'), begin + 1],
      [[...lines.slice(0, end + 1), attacker.toString(), ...lines.slice(end + 1)].join('\n'), end + 2],
      [`${text}not a key\n`, lines.length],
    ];
    for (const [bad, line] of variants) {
      for (const opts of [{ passphrase: 'pw' }, { passphrase: 'wrong' }, {}]) {
        expect(failure(() => parseIdentityFile(bad, opts))).toEqual({
          code: 'ERR_PQL_IDENTITY_FILE',
          message: `line ${line}: a passphrase-protected identity file may hold only comments and blank lines outside its encrypted block`,
        });
      }
    }
    // Comments and blank lines around the block stay fine.
    const decorated = `# hello\n\n${text}\n# trailing comment\n\n`;
    expect(parseIdentityFile(decorated, { passphrase: 'pw' }).identities[0]!.toString()).toBe(kem.toString());
  });

  it('property: a line inserted anywhere in a protected file never yields a key the owner did not put there', () => {
    const text = serializeIdentityFile(contents, { passphrase: 'pw', scrypt: FAST });
    const lines = text.split('\n');
    const foreign = [generateIdentity().toString(), generateSigningKey().toString(), '# a comment', '', 'junk'];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: lines.length }), fc.constantFrom(...foreign), (at, extra) => {
        const t = [...lines.slice(0, at), extra, ...lines.slice(at)].join('\n');
        let out;
        try {
          out = parseIdentityFile(t, { passphrase: 'pw' });
        } catch (e) {
          expect(e).toBeInstanceOf(NqcPqlError);
          return;
        }
        expect(out.identities.map((i) => i.toString())).toEqual([kem.toString()]);
        expect(out.signingKeys.map((k) => k.toString())).toEqual([sig.toString()]);
      }),
      { numRuns: 60 },
    );
  });

  it('fail_unprotected: a passphrase given for a plain file is refused', () => {
    const plain = serializeIdentityFile(contents);
    expect(failure(() => parseIdentityFile(plain, { passphrase: 'pw' }))).toEqual({
      code: 'ERR_PQL_IDENTITY_FILE',
      message:
        'a passphrase was given but the identity file is not passphrase-protected (refusing an unprotected file where a protected one is expected)',
    });
    expect(parseIdentityFile(plain).identities).toHaveLength(1);
    expect(failure(() => parseIdentityFile(plain, { passphrase: 1 as unknown as string })).code).toBe('ERR_PQL_INVALID_INPUT');
  });

  it('fail_tampered: a changed parameter or ciphertext character fails authentication', () => {
    const text = serializeIdentityFile(contents, { passphrase: 'pw', scrypt: FAST });
    const lines = text.split('\n');
    const p = lines.findIndex((l) => l.startsWith('nqc-identity/v1'));
    const withLn = [...lines];
    withLn[p] = withLn[p]!.replace('ln=10', 'ln=11');
    expect(failure(() => parseIdentityFile(withLn.join('\n'), { passphrase: 'pw' })).code).toBe('ERR_PQL_BAD_PASSPHRASE');
    const withR = [...lines]; // r other than 8 is refused before any key derivation
    withR[p] = withR[p]!.replace('r=8', 'r=9');
    expect(failure(() => parseIdentityFile(withR.join('\n'), { passphrase: 'pw' })).code).toBe('ERR_PQL_IDENTITY_FILE');
    const body = [...lines];
    const c = body[p + 1]!;
    body[p + 1] = (c[0] === 'A' ? 'B' : 'A') + c.slice(1);
    expect(failure(() => parseIdentityFile(body.join('\n'), { passphrase: 'pw' })).code).toBe('ERR_PQL_BAD_PASSPHRASE');
  });

  it('fail_malformed: precise errors naming the line', () => {
    const good = serializeIdentityFile(contents);
    const cases: [string, string | RegExp][] = [
      ['', 'identity file holds no secret keys'],
      ['# only a comment\n', 'identity file holds no secret keys'],
      [`${good}hello\n`, 'line 7: expected a secret key string or a "#" comment'],
      [`${good}${kem.recipient().toString()}\n`, 'line 7: a public recipient is not allowed in an identity file (put it in a comment)'],
      [good.replace(kem.toString(), kem.toString().slice(0, -1)), /^line 5: bad checksum/],
      [good.replace(kem.toString(), kem.toString().toLowerCase()), 'line 5: a secret identity string must be upper case'],
      ['-----BEGIN NQC ENCRYPTED IDENTITY-----\nnqc-identity/v1 scrypt ln=10 r=8 p=1 salt=AAAAAAAAAAAAAAAAAAAAAA==\nAAAA\n', /has no "-----END NQC ENCRYPTED IDENTITY-----" line/],
      ['-----END NQC ENCRYPTED IDENTITY-----\n', 'line 1: "-----END NQC ENCRYPTED IDENTITY-----" without a matching BEGIN line'],
    ];
    for (const [text, msg] of cases) {
      const f = failure(() => parseIdentityFile(text, { passphrase: 'x' }));
      expect(f.code === 'ERR_PQL_IDENTITY_FILE' || f.code === 'ERR_PQL_KEY_STRING').toBe(true);
      if (typeof msg === 'string') expect(f.message).toBe(msg);
      else expect(f.message).toMatch(msg);
    }
  });

  it('fail_params: hostile or malformed scrypt parameters are refused before any work', () => {
    const base = (params: string, body = 'AAAA') =>
      `-----BEGIN NQC ENCRYPTED IDENTITY-----\nnqc-identity/v1 scrypt ${params}\n${body}\n-----END NQC ENCRYPTED IDENTITY-----\n`;
    const salt = 'salt=AAAAAAAAAAAAAAAAAAAAAA==';
    expect(failure(() => parseIdentityFile(base(`ln=30 r=8 p=1 ${salt}`), { passphrase: 'x' })).message).toMatch(/scrypt parameters out of range/);
    expect(failure(() => parseIdentityFile(base(`ln=19 r=15 p=4 ${salt}`), { passphrase: 'x' })).message).toMatch(/nqc writes and reads only ln 10\.\.18, r=8, p=1/);
    expect(failure(() => parseIdentityFile(base(`ln=9 r=8 p=1 ${salt}`), { passphrase: 'x' })).message).toMatch(/out of range/);
    expect(failure(() => parseIdentityFile(base('ln=10 r=8 p=1 salt=short'), { passphrase: 'x' })).message).toBe(
      'line 2: expected "nqc-identity/v1 scrypt ln=N r=N p=N salt=BASE64"',
    );
    expect(failure(() => parseIdentityFile(base(`ln=10 r=8 p=1 ${salt}`, 'A!A'), { passphrase: 'x' })).message).toBe(
      'line 3: invalid base64 line in encrypted block',
    );
    expect(failure(() => parseIdentityFile('x'.repeat((1 << 20) + 1))).message).toMatch(/too large/);
  });

  it('fail_scrypt_memory: settings over noble\'s 128*r*(N+p+1) budget are typed errors on both sides', () => {
    // 128*r*N alone fits in 1 GiB for these, but noble also charges p+1 blocks: it used to throw a
    // plain `"maxmem" limit was hit` Error, from serialize and (for a hostile file) from parse.
    const salt = 'salt=AAAAAAAAAAAAAAAAAAAAAA==';
    const body = 'A'.repeat(64); // 48 bytes: long enough to reach key derivation
    for (const s of [{ logN: 20, r: 8, p: 1 }, { logN: 19, r: 16, p: 1 }, { logN: 20, r: 8, p: 4 }]) {
      const w = failure(() => serializeIdentityFile(contents, { passphrase: 'x', scrypt: s }));
      expect(w.code).toBe('ERR_PQL_IDENTITY_FILE');
      expect(w.message).toMatch(/^scrypt parameters out of range/);
      const file = `-----BEGIN NQC ENCRYPTED IDENTITY-----\nnqc-identity/v1 scrypt ln=${s.logN} r=${s.r} p=${s.p} ${salt}\n${body}\n-----END NQC ENCRYPTED IDENTITY-----\n`;
      const r = failure(() => parseIdentityFile(file, { passphrase: 'x' }));
      expect(r.code).toBe('ERR_PQL_IDENTITY_FILE');
      expect(r.message).toMatch(/^scrypt parameters out of range/);
    }
    expect(failure(() => serializeIdentityFile(contents, { passphrase: 'x', scrypt: {} as ScryptParams })).code).toBe(
      'ERR_PQL_IDENTITY_FILE',
    );
  });

  it('hardening issue item 11: a file nqc writes with the defaults opens; hostile parameters are refused before scrypt', () => {
    const text = serializeIdentityFile(contents, { passphrase: 'pw' }); // ln=17 r=8 p=1: ~0.7 s of scrypt
    expect(text).toMatch(/^nqc-identity\/v1 scrypt ln=17 r=8 p=1 salt=/m);
    expect(parseIdentityFile(text, { passphrase: 'pw' }).identities[0]!.toString()).toBe(kem.toString());
    // ln=19 r=15 p=4 passed the old check and cost 1 GiB and 68 s before "wrong passphrase".
    const hostile = text.replace(/ln=17 r=8 p=1/, 'ln=19 r=15 p=4');
    const f = failure(() => parseIdentityFile(hostile, { passphrase: 'wrong' }));
    expect([f.code, f.message]).toEqual(['ERR_PQL_IDENTITY_FILE', 'scrypt parameters out of range (nqc writes and reads only ln 10..18, r=8, p=1): ln=19 r=15 p=4']);
  }, 60_000);

  it('noble charges 128*r*(N+p+1) against maxmem (the fact the identity-file cap relies on)', () => {
    // The check runs before any allocation, so these are instant.
    expect(() => scrypt('x', 'salt', { N: 2 ** 20, r: 8, p: 1, dkLen: 32, maxmem: 1 << 30 })).toThrow(/maxmem/);
    expect(() => scrypt('x', 'salt', { N: 2 ** 10, r: 8, p: 1, dkLen: 32, maxmem: 128 * 8 * (2 ** 10 + 2) - 1 })).toThrow(/maxmem/);
    expect(scrypt('x', 'salt', { N: 2 ** 10, r: 8, p: 1, dkLen: 32, maxmem: 128 * 8 * (2 ** 10 + 2) })).toHaveLength(32);
  });

  it('refuses to write nothing or with an empty passphrase', () => {
    expect(failure(() => serializeIdentityFile({ identities: [], signingKeys: [] })).code).toBe('ERR_PQL_INVALID_INPUT');
    expect(failure(() => serializeIdentityFile(contents, { passphrase: '' })).code).toBe('ERR_PQL_INVALID_INPUT');
    expect(failure(() => serializeIdentityFile(contents, { passphrase: 'x', scrypt: { logN: 25, r: 8, p: 1 } })).code).toBe(
      'ERR_PQL_IDENTITY_FILE',
    );
  });

  it('holds several keys of several algorithms', () => {
    const c = { identities: [generateIdentity('mlkem1024'), generateIdentity()], signingKeys: [generateSigningKey('mldsa87')] };
    const back = parseIdentityFile(serializeIdentityFile(c));
    expect(back.identities.map((i) => i.algorithm)).toEqual(['mlkem1024', 'xwing']);
    expect(back.signingKeys.map((k) => k.algorithm)).toEqual(['mldsa87']);
  });
});
