// Serialisation, key separation and malformed input: typed errors, never a WASM abort.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import fc from 'fast-check';
import {
  decodeCiphertext,
  defineSchema,
  encodeCiphertext,
  EvaluationBundle,
  heBindingBytes,
  HeClient,
  HeEvaluator,
  HeKeySet,
  isSealPoisoned,
  NqcSheError,
  type HeCiphertext,
} from '../src/index.js';

const codeOf = async (f: () => unknown): Promise<string | undefined> => {
  try {
    await f();
  } catch (e) {
    if (e instanceof NqcSheError) return e.code;
    throw e;
  }
  return undefined;
};

const schema = defineSchema([
  { path: 'a', type: 'integer', min: -100, max: 100 },
  { path: 'b', type: 'fixed', decimals: 1, min: 0, max: 10 },
]);
let keys: HeKeySet;
let other: HeKeySet;
let client: HeClient;
let bundle: EvaluationBundle;
let ev: HeEvaluator;
let col: HeCiphertext;
let rec: HeCiphertext;

beforeAll(async () => {
  keys = await HeKeySet.generate('bfv-n4096');
  other = await HeKeySet.generate('bfv-n4096');
  client = await HeClient.create(keys, schema);
  bundle = await keys.evaluationBundle();
  ev = await HeEvaluator.create(bundle);
  [col] = client.encryptColumn('a', [1, -2, 3]) as [HeCiphertext];
  rec = client.encryptRecord({ a: 5, b: 2.5 }, { path: 'people/0' });
});
afterAll(() => {
  ev.dispose();
  client.dispose();
  keys.dispose();
  other.dispose();
});

describe('ciphertext format', () => {
  it('good_roundtrip is canonical and the binding bytes cover path and metadata', () => {
    for (const ct of [col, rec]) {
      const bytes = encodeCiphertext(ct);
      const back = decodeCiphertext(bytes);
      expect(encodeCiphertext(back)).toEqual(bytes);
      expect(back).toEqual(ct);
    }
    const moved = { ...rec, path: 'people/1' };
    expect(heBindingBytes(moved)).not.toEqual(heBindingBytes(rec));
    const label = new TextEncoder().encode('nqc/v1/she/field\0');
    expect(heBindingBytes(rec).subarray(0, label.length)).toEqual(label);
  });

  it('good_sizes: a column value costs well under 64 bytes when the column is full', () => {
    const full = client.encryptColumn('a', Array.from({ length: 4096 }, (_, i) => (i % 201) - 100))[0]!;
    const perValue = encodeCiphertext(full).length / 4096;
    expect(perValue).toBeLessThan(64);
  });

  it('fail_truncated at every header length and a sample of body lengths', () => {
    const bytes = encodeCiphertext(rec);
    const cuts = [...Array(200).keys(), ...Array.from({ length: 50 }, (_, i) => Math.floor((bytes.length * i) / 50)), bytes.length - 1];
    for (const n of cuts) {
      let code: string | undefined;
      try {
        decodeCiphertext(bytes.subarray(0, n));
      } catch (e) {
        code = (e as NqcSheError).code;
      }
      expect(code).toBe('ERR_SHE_FORMAT');
    }
  });

  it('fail_mutated bytes give typed errors (property), and SEAL stays usable', async () => {
    const bytes = encodeCiphertext(rec);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), async (i, x) => {
        const m = bytes.slice();
        m[i]! ^= x;
        let ct: HeCiphertext;
        try {
          ct = decodeCiphertext(m);
        } catch (e) {
          expect((e as NqcSheError).code).toBe('ERR_SHE_FORMAT');
          return;
        }
        // Parsed (a change inside the coefficients, the seed or a bound): decrypting/evaluating gives a
        // value or a typed error, and SEAL never traps (it only ever sees bytes we rebuilt and checked).
        for (const f of [() => client.decrypt(ct), () => ev.sum([ct], 'a')]) {
          const c = await codeOf(f);
          if (c !== undefined) expect(['ERR_SHE_FORMAT', 'ERR_SHE_DECRYPT', 'ERR_SHE_KEY_MISMATCH', 'ERR_SHE_SCHEMA', 'ERR_SHE_OVERFLOW']).toContain(c);
        }
      }),
      { numRuns: 120 },
    );
    expect(isSealPoisoned()).toBe(false);
    expect(client.decryptRecord(rec)).toEqual({ a: 5, b: 2.5 });
  });

  it('fail_seal_body: truncated, out-of-range or foreign ciphertext bodies never reach SEAL', async () => {
    const ct = rec.ciphertext;
    expect(await codeOf(() => client.decrypt({ ...rec, ciphertext: ct.subarray(0, ct.length - 1) }))).toBe('ERR_SHE_FORMAT');
    const junk = ct.slice();
    junk.fill(0xff, 100, 4000); // all-ones coefficients exceed their primes
    expect(await codeOf(() => ev.sum([{ ...rec, ciphertext: junk }], 'a'))).toBe('ERR_SHE_FORMAT');
    const pad = ct.slice();
    pad[pad.length - 1]! ^= 0x80; // top bit of the last coefficient: out of range, or decrypts to garbage outside the bounds
    const c1 = await codeOf(() => client.decrypt({ ...rec, ciphertext: pad }));
    expect(['ERR_SHE_FORMAT', 'ERR_SHE_DECRYPT']).toContain(c1);
    const form = ct.slice();
    form[0] = 2; // claims to be a full ciphertext: wrong length for that form
    expect(await codeOf(() => client.decrypt({ ...rec, ciphertext: form }))).toBe('ERR_SHE_FORMAT');
    const k8 = await HeKeySet.generate('bfv-n8192');
    const c8 = await HeClient.create(k8, schema);
    const foreign = c8.encryptRecord({ a: 1, b: 1 });
    expect(await codeOf(() => ev.sum([{ ...rec, ciphertext: foreign.ciphertext }], 'a'))).toBe('ERR_SHE_FORMAT');
    c8.dispose();
    k8.dispose();
    expect(isSealPoisoned()).toBe(false);
  });

  it('fail_bad_objects: hand-made objects are checked before use', async () => {
    expect(await codeOf(() => encodeCiphertext({ ...rec, count: 0 }))).toBe('ERR_SHE_FORMAT');
    expect(await codeOf(() => encodeCiphertext({ ...rec, values: [{ ...rec.values[0]!, slot: 4096 }] }))).toBe('ERR_SHE_FORMAT');
    expect(await codeOf(() => encodeCiphertext({ ...rec, paramsId: 'nqc-she/v1/unknown' }))).toBe('ERR_SHE_FORMAT');
    expect(await codeOf(() => ev.sum([{ ...col, kind: 'result', op: 'sum' }], 'a'))).toBe('ERR_SHE_UNSUPPORTED');
    expect(await codeOf(() => ev.sum([col, rec], 'a'))).toBe('ERR_SHE_INPUT');
  });
});

describe('keys', () => {
  it('good_roundtrip: key set and bundle survive encoding; sizes are compact', async () => {
    const k2 = await HeKeySet.decode(await keys.encode());
    expect(k2.keyId).toBe(keys.keyId);
    const c2 = await HeClient.create(k2, schema);
    expect(c2.decryptRecord(rec)).toEqual({ a: 5, b: 2.5 });
    const b2 = await EvaluationBundle.decode(await bundle.encode());
    expect(b2.galoisSteps).toEqual([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]);
    expect(b2.relinKeys).toBeUndefined();
    expect((await bundle.encode()).length).toBeLessThan(2_000_000);
    c2.dispose();
    k2.dispose();
  });

  it('fail_wrong_key_id: ciphertexts of another key set are refused by evaluator and client', async () => {
    const otherClient = await HeClient.create(other, schema);
    const otherEv = await HeEvaluator.create(await other.evaluationBundle({ columnSums: false }));
    expect(await codeOf(() => otherEv.sum([rec], 'a'))).toBe('ERR_SHE_KEY_MISMATCH');
    expect(await codeOf(() => otherClient.decrypt(rec))).toBe('ERR_SHE_KEY_MISMATCH');
    expect(await codeOf(() => ev.sum([rec, otherClient.encryptRecord({ a: 1, b: 1 })], 'a'))).toBe('ERR_SHE_KEY_MISMATCH');
    // Relabelled with the other key id, it decrypts to noise, which the bound check catches.
    expect(await codeOf(() => otherClient.decrypt({ ...rec, keyId: other.keyId }))).toBe('ERR_SHE_DECRYPT');
    otherClient.dispose();
    otherEv.dispose();
  });

  it('fail_bundle_cannot_decrypt: no API takes an evaluation bundle for decryption', async () => {
    // @ts-expect-error an EvaluationBundle is not a HeKeySet (private brand fields)
    expect(await codeOf(() => HeClient.create(bundle, schema))).toBe('ERR_SHE_KEY_KIND');
    // @ts-expect-error and a key set is not an EvaluationBundle: the evaluator refuses secret keys
    expect(await codeOf(() => HeEvaluator.create(keys))).toBe('ERR_SHE_KEY_KIND');
    const kbytes = await keys.encode();
    const bbytes = await bundle.encode();
    expect(await codeOf(() => EvaluationBundle.decode(kbytes))).toBe('ERR_SHE_KEY_KIND');
    expect(await codeOf(() => HeKeySet.decode(bbytes))).toBe('ERR_SHE_KEY_KIND');
    expect(Object.keys(bundle)).not.toContain('secretKey');
  });

  it('fail_truncated_or_mutated keys give typed errors', async () => {
    const kb = await keys.encode();
    const bb = await bundle.encode();
    for (const n of [0, 3, 4, 5, 20, 40, 60, Math.floor(kb.length / 2), kb.length - 1])
      expect(await codeOf(() => HeKeySet.decode(kb.subarray(0, n)))).toBe('ERR_SHE_FORMAT');
    for (const n of [0, 4, 5, 30, 60, Math.floor(bb.length / 3), bb.length - 1])
      expect(await codeOf(() => EvaluationBundle.decode(bb.subarray(0, n)))).toBe('ERR_SHE_FORMAT');
    const extra = new Uint8Array(bb.length + 1);
    extra.set(bb);
    expect(await codeOf(() => EvaluationBundle.decode(extra))).toBe('ERR_SHE_FORMAT');
    // a flipped byte fails the checksum before any key is parsed
    const m = bb.slice();
    m[200]! ^= 1;
    expect(await codeOf(() => EvaluationBundle.decode(m))).toBe('ERR_SHE_FORMAT');
    // corrupt Galois keys behind a valid outer format: SEAL refuses, typed
    const g = bundle.galoisKeys!.slice();
    g.fill(7, 100, 5000);
    const bad = EvaluationBundle._create(bundle.preset, bundle.keyId, bundle.publicKey, undefined, bundle.galoisSteps, g);
    expect(await codeOf(() => HeEvaluator.create(bad))).toBe('ERR_SHE_FORMAT');
    const ks = kb.slice();
    ks[kb.length - 300]! ^= 0xff; // inside the public key
    expect(await codeOf(() => HeKeySet.decode(ks))).toBe('ERR_SHE_FORMAT');
    expect(isSealPoisoned()).toBe(false);
  });
});
