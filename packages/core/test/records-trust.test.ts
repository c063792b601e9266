// Issue 9 items 3 and 10: forged HE fields (an honest MAC over dishonest values), trusted writers for
// aggregation (keyless signature check), and SEAL aborts contained by the Node entry's worker.
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesSource, parsePrelude } from '@nqc/container';
import { defineSchema, EvaluationBundle, HeClient, HeKeySet, isSealPoisoned, type FieldSpec, type HeCiphertext } from '@nqc/she';
import { encryptAny } from '../src/envelope.js';
import { browserPlatform } from '../src/nde.js';
import { RECORD_HE_PATH, toEntry } from '../src/records-api.js';
import { aggregate, decryptAggregate, decryptDataset, decryptRecord, encryptDataset, encryptRecord, extractHeFields } from '../src/node.js';
import { alice, codeOf, mallory, signer } from './helpers.js';

const fields: FieldSpec[] = [
  { path: 'age', type: 'integer', min: 0, max: 130 },
  { path: 'account.balance', type: 'fixed', decimals: 2, min: -1_000_000, max: 1_000_000 },
];
// The same key set under a wider schema: what a forger with the HE public material could also do.
const wide: FieldSpec[] = [{ ...fields[0]!, max: 1000 }, fields[1]!];
let keys: HeKeySet;
let client: HeClient;
let forger: HeClient;
let bundleBytes: Uint8Array;

beforeAll(async () => {
  keys = await HeKeySet.decode(new Uint8Array(readFileSync(join(import.meta.dirname, 'vectors', 'he-keyset.bin'))));
  client = await HeClient.create(keys, defineSchema(fields));
  forger = await HeClient.create(keys, defineSchema(wide));
  bundleBytes = await (await keys.evaluationBundle({ columnSums: false })).encode();
}, 120_000);
afterAll(() => {
  forger?.dispose();
  client?.dispose();
  keys?.dispose();
});

const utf8 = (s: string) => new TextEncoder().encode(s);

/** An envelope with a correct MAC (and signature) over whatever HE section and payload we choose. */
async function forge(payload: unknown, cts: HeCiphertext[], meta: string, sign = true): Promise<Uint8Array> {
  const count = new Map<string, number>();
  const entries = [];
  for (const ct of cts) {
    const part = count.get(ct.path) ?? 0;
    count.set(ct.path, part + 1);
    entries.push(await toEntry(ct, part));
  }
  const opts = { recipients: [alice.recipient()], nde: 'off' as const, ...(sign ? { signer } : {}) };
  return (await encryptAny(browserPlatform, utf8(JSON.stringify(payload)), opts, { he: { metadata: utf8(meta), entries } })) as Uint8Array;
}

describe('the owner checks the HE section against the payload (decrypt with he)', () => {
  const dec = (env: Uint8Array) => decryptRecord(env, { identities: alice, he: client, nde: 'off' });

  it('HE says 300, JSON says 30 (range 0..130): refused', async () => {
    const env = await forge({ age: 30, account: { balance: 1 } }, [forger.encryptRecord({ age: 300, 'account.balance': 1 }, { path: RECORD_HE_PATH })], 'nqc/v1/record');
    expect(await codeOf(() => dec(env))).toBe('ERR_CORE_HE_FIELD');
  }, 60_000);

  it('HE and JSON both say 300, outside the declared range 0..130: refused', async () => {
    const env = await forge({ age: 300, account: { balance: 1 } }, [forger.encryptRecord({ age: 300, 'account.balance': 1 }, { path: RECORD_HE_PATH })], 'nqc/v1/record');
    expect(await codeOf(() => dec(env))).toBe('ERR_CORE_HE_FIELD');
  }, 60_000);

  it('equal values but widened bounds in the ciphertext metadata: refused', async () => {
    const env = await forge({ age: 30, account: { balance: 1 } }, [forger.encryptRecord({ age: 30, 'account.balance': 1 }, { path: RECORD_HE_PATH })], 'nqc/v1/record');
    expect(await codeOf(() => dec(env))).toBe('ERR_CORE_HE_FIELD');
  }, 60_000);

  it('an extra HE entry beside the genuine one (which a server would add up): refused', async () => {
    const genuine = client.encryptRecord({ age: 30, 'account.balance': 1 }, { path: RECORD_HE_PATH });
    const extra = forger.encryptColumn('age', [300])[0]!;
    const env = await forge({ age: 30, account: { balance: 1 } }, [genuine, extra], 'nqc/v1/record');
    // the server's view: both count
    expect((await extractHeFields(env, 'age')).length).toBe(2);
    expect(await codeOf(() => dec(env))).toBe('ERR_CORE_HE_FIELD');
  }, 60_000);

  it('dataset: an extra record-layout entry, or a column that disagrees: refused; the genuine one passes', async () => {
    const rows = [{ age: 30, account: { balance: 1 } }, { age: 40, account: { balance: 2 } }];
    const good = await encryptDataset(rows, { recipients: [alice.recipient()], he: client, nde: 'off' });
    expect((await decryptDataset(good, { identities: alice, he: client, nde: 'off' })).records).toEqual(rows);
    const cols = [...client.encryptColumn('account.balance', [1, 2]), ...client.encryptColumn('age', [30, 40])];
    const extra = forger.encryptRecord({ age: 300, 'account.balance': 0 }, { path: RECORD_HE_PATH });
    const env1 = await forge(rows, [...cols, extra], 'nqc/v1/dataset');
    expect(await codeOf(() => decryptDataset(env1, { identities: alice, he: client, nde: 'off' }))).toBe('ERR_CORE_HE_FIELD');
    const lying = [...client.encryptColumn('account.balance', [1, 2]), ...client.encryptColumn('age', [30, 41])];
    const env2 = await forge(rows, lying, 'nqc/v1/dataset');
    expect(await codeOf(() => decryptDataset(env2, { identities: alice, he: client, nde: 'off' }))).toBe('ERR_CORE_HE_FIELD');
  }, 60_000);

  it('a record envelope opened as a dataset (or the other way round): refused', async () => {
    const env = await encryptRecord({ age: 30, account: { balance: 1 } }, { recipients: [alice.recipient()], he: client, nde: 'off' });
    expect((await dec(env)).record).toEqual({ age: 30, account: { balance: 1 } });
    const asDataset = await forge([{ age: 30, account: { balance: 1 } }], [client.encryptRecord({ age: 30, 'account.balance': 1 }, { path: RECORD_HE_PATH })], 'nqc/v1/record');
    expect(await codeOf(() => decryptDataset(asDataset, { identities: alice, he: client, nde: 'off' }))).toBe('ERR_CORE_HE_FIELD');
  }, 60_000);
});

describe('aggregate({ requireSigners }): trusted writers only', () => {
  let signed: Uint8Array;
  let unsigned: Uint8Array;
  let foreign: Uint8Array;
  beforeAll(async () => {
    signed = await encryptRecord({ age: 30, account: { balance: 1 } }, { recipients: [alice.recipient()], he: client, signer, nde: 'off' });
    unsigned = await encryptRecord({ age: 40, account: { balance: 1 } }, { recipients: [alice.recipient()], he: client, nde: 'off' });
    foreign = await encryptRecord({ age: 50, account: { balance: 1 } }, { recipients: [alice.recipient()], he: client, signer: mallory, nde: 'off' });
  }, 60_000);
  const trusted = () => [signer.verifyingKey().toString()];

  it('counts signed envelopes (bytes, armored text, a SeekableSource); refuses unsigned, foreign and bare ciphertexts', async () => {
    const count = (inputs: (Uint8Array | HeCiphertext | ReturnType<typeof bytesSource>)[]) => aggregate(inputs, { op: 'count', path: 'age', requireSigners: trusted() });
    const armored = await encryptRecord({ age: 31, account: { balance: 1 } }, { recipients: [alice.recipient()], he: client, signer, nde: 'off', armor: true });
    expect(await aggregate([signed, bytesSource(signed), armored], { op: 'count', path: 'age', requireSigners: trusted() })).toBe(3);
    expect(await codeOf(() => count([signed, unsigned]))).toBe('ERR_CORE_SIGNER_UNTRUSTED');
    expect(await codeOf(() => count([foreign]))).toBe('ERR_CORE_SIGNER_UNTRUSTED');
    const bare = (await extractHeFields(signed, 'age'))[0]!;
    expect(await codeOf(() => count([bare]))).toBe('ERR_CORE_SIGNER_UNTRUSTED');
    expect(await codeOf(() => extractHeFields(unsigned, 'age', { requireSigners: trusted() }))).toBe('ERR_CORE_SIGNER_UNTRUSTED');
    expect((await extractHeFields(bytesSource(signed), 'age', { requireSigners: signer })).length).toBe(1);
  }, 60_000);

  it('verifies the whole envelope: a changed payload byte is refused though the header is intact', async () => {
    const bad = signed.slice();
    bad[parsePrelude(bad) + 3]! ^= 1; // inside the payload ciphertext
    expect(await codeOf(() => aggregate([bad], { op: 'count', path: 'age', requireSigners: trusted() }))).toBe('ERR_CORE_SIGNER_UNTRUSTED');
    expect(await aggregate([bad], { op: 'count', path: 'age' })).toBe(1); // without signers: header only
  }, 60_000);

  it('sums signed envelopes with the bundle (worker evaluator)', async () => {
    const sum = await aggregate([signed, signed], { op: 'sum', path: 'age', evaluator: bundleBytes, requireSigners: trusted() });
    expect(decryptAggregate(sum, client)).toBe(60);
  }, 120_000);
});

describe('a SEAL abort does not poison the process (Node entry: worker evaluator)', () => {
  /** A SEAL object whose zstd body (one raw block) asks KSwitchKeys to reserve ~4 GiB: SEAL aborts. */
  function abortingKeys(): Uint8Array {
    const inner = new Uint8Array(40);
    new DataView(inner.buffer).setBigUint64(32, 357_913_941n, true); // parms_id, then keys_dim1
    const frame = [0x28, 0xb5, 0x2f, 0xfd, 0x20, inner.length]; // magic, single segment, 1-byte size
    const block = (inner.length << 3) | 1; // raw block, last
    const z = [...frame, block & 255, (block >> 8) & 255, block >> 16, ...inner];
    const b = new Uint8Array(16 + z.length);
    const dv = new DataView(b.buffer);
    dv.setUint16(0, 0xa15e, true);
    b.set([0x10, 4, 1, 2], 2); // header size, SEAL 4.1, zstd
    dv.setBigUint64(8, BigInt(b.length), true);
    b.set(z, 16);
    return b;
  }

  it('a crafted bundle (valid checksum) fails its call with ERR_SHE_SEAL_FATAL; the next aggregate works', async () => {
    const good = await EvaluationBundle.decode(bundleBytes);
    const crafted = await EvaluationBundle._create(good.preset, good.keyId, good.publicKey, abortingKeys(), [], undefined).encode();
    await EvaluationBundle.decode(crafted); // passes every check before SEAL
    const env = await encryptRecord({ age: 42, account: { balance: 1 } }, { recipients: [alice.recipient()], he: client, nde: 'off' });
    expect(await codeOf(() => aggregate([env], { op: 'sum', path: 'age', evaluator: crafted }))).toBe('ERR_SHE_SEAL_FATAL');
    expect(isSealPoisoned()).toBe(false);
    const sum = await aggregate([env], { op: 'sum', path: 'age', evaluator: bundleBytes });
    expect(decryptAggregate(sum, client)).toBe(42);
    expect(client.decryptRecord((await extractHeFields(env, 'age'))[0]!)).toEqual({ age: 42, 'account.balance': 1 });
  }, 180_000);
});
