import { describe, expect, it } from '@jest/globals';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import {
  generateIdentity,
  KemIdentity,
  Keyset,
  MAX_UNHINTED_KEYS,
  MAX_UNWRAP_DECAPSULATIONS,
  NqcPqlError,
  parseRecipient,
  registerKem,
  type Stanza,
} from '../src/index.js';

// A real KEM (ML-KEM-768, fast keygen) registered under a test id, counting its decapsulations.
let decaps = 0;
registerKem({
  id: 'countkem',
  name: 'ML-KEM-768 (decapsulation counter, tests only)',
  postQuantum: true,
  label: 'nqc/v1/pql/test-countkem',
  seedLength: 64,
  publicKeyLength: 1184,
  cipherTextLength: 1088,
  encapsulationRandomnessLength: 32,
  keygen: (seed) => ml_kem768.keygen(seed),
  encapsulate: (pk, r) => ml_kem768.encapsulate(pk, r),
  decapsulate: (ct, sk) => {
    decaps++;
    return ml_kem768.decapsulate(ct, sk);
  },
});

/** A keyset of `n` countkem keys created one day apart (inserted in a shuffled order); key 0 is primary. */
function bigKeyset(n: number): { ks: Keyset; keys: KemIdentity[] } {
  const keys = Array.from({ length: n }, () => KemIdentity.generate('countkem'));
  const ks = Keyset.create();
  const day = (i: number) => new Date(Date.UTC(2026, 0, 1 + i));
  ks.import(keys[0]!, { created: day(0) });
  // Insertion order differs from creation order: the bound must follow `created`.
  const rest = keys.map((_, i) => i).slice(1);
  for (const i of [...rest.filter((i) => i % 2 === 0), ...rest.filter((i) => i % 2 === 1)]) ks.import(keys[i]!, { created: day(i) });
  return { ks, keys };
}

const anon = (id: KemIdentity, k: Uint8Array) => id.recipient({ hint: false }).wrapFileKey(k);

const fk = (n: number) => new Uint8Array(32).fill(n);

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof NqcPqlError ? e.code : 'untyped';
  }
  return undefined;
}

describe('keysets', () => {
  it('good_rotation: a new primary does not break what older keys can open', () => {
    const ks = Keyset.create();
    const k1 = ks.add('encrypt');
    expect(k1.status).toBe('primary');
    const old: Stanza[] = ks.primaryRecipient().wrapFileKey(fk(1));
    const k2 = ks.add('encrypt', 'mlkem1024', { primary: true });
    expect(ks.get(k1.id).status).toBe('enabled');
    expect(ks.get(k2.id).status).toBe('primary');
    const fresh = ks.primaryRecipient().wrapFileKey(fk(2));
    expect(fresh[0]!.type).toBe('mlkem1024');
    expect(ks.unwrapFileKey(old)).toEqual(fk(1));
    expect(ks.unwrapFileKey(fresh)).toEqual(fk(2));
    // Survives serialisation.
    const again = Keyset.parse(ks.serialize());
    expect(again.list()).toEqual(ks.list());
    expect(again.unwrapFileKey(old)).toEqual(fk(1));
  });

  it('finds the key by hint, and tries every usable key for hint-less stanzas', () => {
    const ks = Keyset.create();
    const ids = [generateIdentity(), generateIdentity(), generateIdentity()];
    for (const i of ids) ks.import(i);
    const anon = parseRecipient(ids[2]!.recipient().toString(), { hint: false }).wrapFileKey(fk(3));
    expect(anon[0]!.args).toEqual([]);
    expect(ks.unwrapFileKey(anon)).toEqual(fk(3));
    expect(ks.unwrapFileKey(ids[1]!.recipient().wrapFileKey(fk(4)))).toEqual(fk(4));
    expect(ks.unwrapFileKey(generateIdentity().recipient().wrapFileKey(fk(5)))).toBeNull();
  });

  it('bounded work: hint-less stanzas try at most MAX_UNHINTED_KEYS keys, a call at most MAX_UNWRAP_DECAPSULATIONS', () => {
    expect(MAX_UNHINTED_KEYS).toBe(8);
    expect(MAX_UNWRAP_DECAPSULATIONS).toBe(64);
    const { ks, keys } = bigKeyset(20);
    // Attacker-built envelope: 64 hint-less stanzas for a key the keyset does not hold.
    const stranger = KemIdentity.generate('countkem');
    const one = anon(stranger, fk(1))[0]!;
    decaps = 0;
    expect(ks.unwrapFileKey(Array.from({ length: 64 }, () => one))).toBeNull();
    expect(decaps).toBe(MAX_UNWRAP_DECAPSULATIONS); // was 64 × 20 = 1,280
    decaps = 0;
    expect(ks.unwrapFileKey(Array.from({ length: 500 }, () => one))).toBeNull();
    expect(decaps).toBe(MAX_UNWRAP_DECAPSULATIONS);
    decaps = 0;
    expect(ks.unwrapFileKey([one])).toBeNull();
    expect(decaps).toBe(MAX_UNHINTED_KEYS);
    // Which keys: the primary (oldest here), then the 7 most recently created (keys 19..13).
    for (const i of [0, 19, 18, 13]) expect(ks.unwrapFileKey(anon(keys[i]!, fk(i)))).toEqual(fk(i));
    for (const i of [12, 5, 1]) expect(ks.unwrapFileKey(anon(keys[i]!, fk(i)))).toBeNull();
    // Hinted stanzas are unchanged: exactly one decapsulation, with the key of that id, any age.
    for (const i of [1, 12]) {
      decaps = 0;
      expect(ks.unwrapFileKey(keys[i]!.recipient().wrapFileKey(fk(i)))).toEqual(fk(i));
      expect(decaps).toBe(1);
    }
    // Hinted stanzas go first, so junk hint-less stanzas in front cannot spend the budget.
    decaps = 0;
    const mixed = [...Array.from({ length: 63 }, () => one), ...keys[3]!.recipient().wrapFileKey(fk(3))];
    expect(ks.unwrapFileKey(mixed)).toEqual(fk(3));
    expect(decaps).toBe(1);
    // Hinted stanzas naming our keys also count against the budget.
    decaps = 0;
    const forged = { ...one, args: [keys[2]!.keyId] };
    expect(ks.unwrapFileKey(Array.from({ length: 100 }, () => forged))).toBeNull();
    expect(decaps).toBe(MAX_UNWRAP_DECAPSULATIONS);
  });

  it('good_rotation_many: after many rotations, hinted envelopes for every older key still open', () => {
    const ks = Keyset.create();
    const envelopes: Stanza[][] = [];
    for (let i = 0; i < 12; i++) {
      ks.add('encrypt', 'countkem', { primary: true, created: new Date(Date.UTC(2026, 0, 1 + i)) });
      envelopes.push(ks.primaryRecipient().wrapFileKey(fk(i)));
    }
    const again = Keyset.parse(ks.serialize());
    envelopes.forEach((st, i) => {
      decaps = 0;
      expect(again.unwrapFileKey(st)).toEqual(fk(i));
      expect(decaps).toBe(1);
    });
  });

  it('disabled keys open nothing until re-enabled; destroyed keys lose their secret for good', () => {
    const ks = Keyset.create();
    const k1 = ks.add('encrypt');
    const s1 = ks.primaryRecipient().wrapFileKey(fk(1));
    const k2 = ks.add('encrypt');
    expect(code(() => ks.disable(k1.id))).toBe('ERR_PQL_KEYSET'); // primary
    ks.promote(k2.id);
    ks.disable(k1.id);
    expect(ks.unwrapFileKey(s1)).toBeNull();
    expect(code(() => ks.promote(k1.id))).toBe('ERR_PQL_KEYSET'); // disabled
    ks.enable(k1.id);
    expect(ks.unwrapFileKey(s1)).toEqual(fk(1));
    ks.destroy(k1.id);
    expect(ks.get(k1.id)).toMatchObject({ status: 'destroyed', hasSecret: false });
    expect(ks.unwrapFileKey(s1)).toBeNull();
    expect(code(() => ks.enable(k1.id))).toBe('ERR_PQL_KEYSET');
    expect(code(() => ks.destroy(k2.id))).toBe('ERR_PQL_KEYSET'); // primary
    const text = ks.serialize();
    expect(JSON.parse(text).keys[0].secretKey).toBeUndefined();
    expect(Keyset.parse(text).get(k1.id).status).toBe('destroyed');
  });

  it('signing keys: primary signer, verifiers, rotation', () => {
    const ks = Keyset.create();
    const s1 = ks.add('sign');
    const msg = new TextEncoder().encode('m');
    const sig1 = ks.primarySigner().sign(msg);
    ks.add('sign', 'mldsa87', { primary: true });
    expect(ks.primarySigner().algorithm).toBe('mldsa87');
    expect(ks.verifiers().some((v) => v.verify(sig1, msg))).toBe(true);
    ks.disable(s1.id);
    expect(ks.verifiers().some((v) => v.verify(sig1, msg))).toBe(false);
  });

  it('publicOnly exports public keys only; it wraps and verifies but cannot open', () => {
    const ks = Keyset.create();
    ks.add('encrypt');
    ks.add('sign');
    const pub = Keyset.parse(ks.publicOnly().serialize());
    expect(pub.serialize()).not.toMatch(/SECRET/);
    expect(pub.list().every((k) => !k.hasSecret)).toBe(true);
    const st = pub.primaryRecipient().wrapFileKey(fk(9));
    expect(pub.unwrapFileKey(st)).toBeNull();
    expect(ks.unwrapFileKey(st)).toEqual(fk(9));
    expect(code(() => pub.primarySigner())).toBe('ERR_PQL_KEYSET');
  });

  it('fail_parse: precise errors', () => {
    const ks = Keyset.create();
    ks.add('encrypt');
    const doc = JSON.parse(ks.serialize());
    const bad = (mut: (d: typeof doc) => void) => {
      const d = structuredClone(doc);
      mut(d);
      try {
        Keyset.parse(JSON.stringify(d));
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(bad((d) => (d.nqcKeyset = 2))).toBe('unsupported keyset version 2');
    expect(bad((d) => (d.extra = 1))).toBe('unknown keyset field "extra"');
    expect(bad((d) => (d.keys[0].status = 'active'))).toBe('key 0: invalid "status"');
    expect(bad((d) => (d.keys[0].purpose = 'mac'))).toBe('key 0: "purpose" must be "encrypt" or "sign"');
    expect(bad((d) => (d.keys[0].id = '00000000'))).toBe('key 0: "id" does not match the public key');
    expect(bad((d) => (d.keys[0].algorithm = 'mlkem1024'))).toBe('key 0: "algorithm" does not match the public key (xwing)');
    expect(bad((d) => (d.keys[0].created = 'yesterday'))).toBe('key 0: "created" must be an ISO 8601 UTC timestamp');
    expect(bad((d) => (d.keys[0].secretKey = generateIdentity().toString()))).toBe('key 0: secret key does not match the public key');
    expect(bad((d) => (d.keys[0].status = 'destroyed'))).toBe('key 0: a destroyed key must not carry a secret');
    expect(bad((d) => d.keys.push(d.keys[0]))).toBe(`duplicate key id ${doc.keys[0].id}`);
    expect(bad((d) => (d.keys[0].publicKey = 'nqc-xwing-1qq'))).toBe('key string too short for its checksum');
    expect(code(() => Keyset.parse('{'))).toBe('ERR_PQL_KEYSET');
    expect(code(() => ks.add('mac' as 'encrypt'))).toBe('ERR_PQL_KEYSET');
    expect(code(() => ks.get('nope'))).toBe('ERR_PQL_KEYSET');
  });
});
