import { describe, expect, it } from '@jest/globals';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import {
  decodeKeyString,
  generateIdentity,
  getKem,
  Keyset,
  listKems,
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
