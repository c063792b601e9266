import { describe, expect, it } from '@jest/globals';
import { generateIdentity, Keyset, NqcPqlError, parseRecipient, type Stanza } from '../src/index.js';

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
