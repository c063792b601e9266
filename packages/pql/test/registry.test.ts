import { describe, expect, it } from '@jest/globals';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import {
  decodeKeyString,
  generateIdentity,
  getKem,
  getSignature,
  keyStringPrefix,
  Keyset,
  listKems,
  listSignatures,
  parseIdentity,
  SigningKey,
  NqcPqlError,
  parseRecipient,
  registerKem,
  registerSignature,
  type KemProvider,
} from '../src/index.js';

const mlkem768: KemProvider = {
  id: 'mlkem768',
  name: 'ML-KEM-768',
  postQuantum: true,
  label: 'nqc/v1/pql/mlkem768',
  seedLength: 64,
  publicKeyLength: 1184,
  cipherTextLength: 1088,
  encapsulationRandomnessLength: 32,
  keygen: (seed) => ml_kem768.keygen(seed),
  encapsulate: (pk, r) => ml_kem768.encapsulate(pk, r),
  decapsulate: (ct, sk) => ml_kem768.decapsulate(ct, sk),
};

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof NqcPqlError ? `${e.code}: ${e.message}` : 'untyped';
  }
  return undefined;
}

describe('algorithm registry', () => {
  it('a registered KEM works in key strings, recipients, identities and keysets, untouched callers', () => {
    registerKem(mlkem768);
    expect(listKems()).toEqual(['xwing', 'mlkem1024', 'mlkem768']);
    const id = generateIdentity('mlkem768');
    const r = parseRecipient(id.recipient().toString());
    expect(decodeKeyString(id.toString()).algorithm).toBe('mlkem768');
    const fk = new Uint8Array(32).fill(4);
    expect(id.unwrapFileKey(r.wrapFileKey(fk))).toEqual(fk);
    const ks = Keyset.create();
    ks.add('encrypt', 'mlkem768');
    expect(ks.unwrapFileKey(ks.primaryRecipient().wrapFileKey(fk))).toEqual(fk);
    expect(getKem('mlkem768').name).toBe('ML-KEM-768');
  });

  it('fail_prefix_collision: ids whose key-string prefixes could collide with another kind are refused', () => {
    const sig = { ...getSignature('mldsa65') };
    // The reviewed attack: a KEM "secret-xwing" would have recipient prefix "nqc-secret-xwing-",
    // X-Wing's identity prefix, and take it over in the parser's prefix table.
    const cases: [() => void, string][] = [
      [() => registerKem({ ...mlkem768, id: 'secret-xwing' }), 'secret-'],
      [() => registerKem({ ...mlkem768, id: 'secret-future' }), 'secret-'],
      [() => registerKem({ ...mlkem768, id: 'sign-secret-mldsa65' }), 'sign-secret-'],
      [() => registerKem({ ...mlkem768, id: 'pub-mldsa65' }), 'pub-'],
      [() => registerSignature({ ...sig, id: 'secret-x' }), 'secret-'],
      [() => registerSignature({ ...sig, id: 'sign-secret-x' }), 'sign-secret-'],
      [() => registerSignature({ ...sig, id: 'pub-x' }), 'pub-'],
    ];
    for (const [f, prefix] of cases) {
      expect(code(f)).toMatch(new RegExp(`^ERR_PQL_REGISTRY: algorithm id "[a-z0-9-]+" must not start with "${prefix}"`));
    }
    // Nothing was registered, and X-Wing identity strings still parse as identities.
    expect(listKems()).not.toContain('secret-xwing');
    const id = generateIdentity();
    expect(decodeKeyString(id.toString())).toMatchObject({ kind: 'identity', algorithm: 'xwing' });
    expect(parseIdentity(id.toString()).publicKey).toEqual(id.publicKey);
    // Ids that merely contain those words elsewhere are fine.
    registerSignature({ ...sig, id: 'mysecret-sig' });
    expect(keyStringPrefix('signing-key', 'mysecret-sig')).toBe('NQC-SIGN-SECRET-MYSECRET-SIG-');
    expect(decodeKeyString(SigningKey.fromSeed('mysecret-sig', new Uint8Array(32)).toString()).algorithm).toBe('mysecret-sig');
  });

  it('every registered prefix is unique across kinds (parser table has no overrides)', () => {
    const prefixes = [
      ...listKems().flatMap((a) => [keyStringPrefix('recipient', a), keyStringPrefix('identity', a)]),
      ...listSignatures().flatMap((a) => [keyStringPrefix('verifying-key', a), keyStringPrefix('signing-key', a)]),
    ].map((p) => p.toLowerCase());
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });

  it('refuses duplicates, non-post-quantum schemes and bad declarations', () => {
    expect(code(() => registerKem({ ...mlkem768, id: 'xwing' }))).toBe('ERR_PQL_REGISTRY: algorithm id "xwing" is already registered');
    expect(code(() => registerKem({ ...mlkem768, id: 'x25519', postQuantum: false as true }))).toBe(
      'ERR_PQL_REGISTRY: algorithm "x25519" is not declared post-quantum: nqc registers post-quantum schemes only',
    );
    expect(code(() => registerKem({ ...mlkem768, id: 'Bad_Id' }))).toMatch(/^ERR_PQL_REGISTRY: invalid algorithm id/);
    expect(code(() => registerKem({ ...mlkem768, id: 'pub-x' }))).toMatch(/must not start with "pub-"/);
    expect(code(() => registerKem({ ...mlkem768, id: 'k2', label: 'v1' }))).toMatch(/versioned "nqc\/\.\.\." string/);
    expect(code(() => registerKem({ ...mlkem768, id: 'k3', seedLength: 0 }))).toMatch(/"seedLength" must be an integer/);
    expect(code(() => registerSignature({ id: 'mldsa65' } as never))).toMatch(/already registered/);
    expect(Object.isFrozen(getKem('xwing'))).toBe(true);
    expect(code(() => getKem('rsa'))).toBe('ERR_PQL_UNKNOWN_ALGORITHM: unknown KEM algorithm "rsa"');
  });
});
