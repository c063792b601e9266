// Histograms and grouped sums over HTTP: the server adds ciphertexts only (a bundle WITHOUT Galois
// keys suffices), the owner decrypts the slots and adds them; bad input is refused, nothing stored.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { generateSigningKey } from '@nqc/core/node';
import { decodeCiphertext, type HeClient } from '@nqc/she';
import { AMOUNT_BINS, AMOUNT_HISTOGRAM, BANK_FIELDS, CATEGORIES, CATEGORY_SUMS, encodeTransaction, makeTransactions } from '../src/bank.js';
import { binOf } from '../src/aggregates/groups.js';
import { AGE_BINS, AGE_HISTOGRAM, encodePatient, makePatients, PATIENT_SCENARIO_FIELDS } from '../src/patients.js';
import { b64, makeOwner, startServer, type Owner } from './fixture.js';

let bank: Owner;
let branch: ReturnType<typeof generateSigningKey>; // a second enrolled writer (another branch)
let server: Awaited<ReturnType<typeof startServer>>;
let bankId: string;
const first = makeTransactions(120, 11);
const second = makeTransactions(40, 12);

interface Part { key: string; path: string; ciphertext: string; bytes: number }
interface GroupBody { result: { kind: string; group: string; parts: Part[] }; signers: { enforced: boolean; envelopes: number; statement: string; writers: { keyId: string; verifyingKey: string; envelopes: number }[] } }
const errorOf = (res: { json<T>(): T }) => res.json<{ error: { code: string; message: string; detail?: string } }>().error;

/** The owner's side: decrypt each part and add its slots (exact, in scaled integers). */
function totals(he: HeClient, parts: readonly Part[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of parts) {
    const ct = decodeCiphertext(new Uint8Array(Buffer.from(p.ciphertext, 'base64')));
    const scaled = he.decryptExact(ct).reduce((a, b) => a + b, 0n);
    out[p.key] = Number(scaled) / 10 ** ct.values[0]!.decimals;
  }
  return out;
}
const cents = (x: number) => Math.round(x * 100);

beforeAll(async () => {
  bank = await makeOwner(BANK_FIELDS);
  branch = generateSigningKey();
  server = await startServer(':memory:', { maxEnvelopeBytes: 2 * 1024 * 1024, user: bank.signer } as never);
  // Additions only: the server gets an evaluation bundle with no Galois (rotation) keys at all.
  const bare = await bank.keys.evaluationBundle({ columnSums: false });
  expect(bare.galoisSteps).toEqual([]);
  const res = await server.app.inject({ method: 'POST', url: '/api/datasets', payload: { name: 'bank', writers: [bank.signer.verifyingKey().toString(), branch.verifyingKey().toString()], bundle: b64(await bare.encode()) } });
  expect(res.statusCode).toBe(201);
  bankId = res.json<{ id: string }>().id;
}, 240_000);

afterAll(async () => {
  await server?.close();
  bank?.keys.dispose();
});

const upload = (bytes: Uint8Array, as?: unknown, id = bankId) =>
  server.app.inject({ method: 'POST', url: `/api/datasets/${id}/envelopes`, headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from(bytes), ...(as ? { as } : {}) } as never);
const ask = (op: string, path: unknown, id = bankId) => server.app.inject({ method: 'POST', url: `/api/datasets/${id}/aggregate`, payload: { op, path } });
const stored = async (id = bankId) => (await server.app.inject({ url: `/api/datasets/${id}/envelopes` })).json<{ envelopes: unknown[] }>().envelopes.length;

describe('the bank scenario: amount per category and per band, with additions only', () => {
  test('two branches upload; the grouped sum and the histogram decrypt to the plaintext', async () => {
    expect((await upload(await bank.seal(first.map(encodeTransaction)))).statusCode).toBe(201);
    expect((await upload(await bank.seal(second.map(encodeTransaction), branch), branch)).statusCode).toBe(201);
    const all = [...first, ...second];

    const res = await ask('groupSum', CATEGORY_SUMS.name);
    expect(res.statusCode).toBe(200);
    const body = res.json<GroupBody>();
    expect(body.result).toMatchObject({ kind: 'slots', group: 'amount_by_category' });
    expect(body.result.parts.map((p) => p.key).sort()).toEqual([...CATEGORIES].sort());
    expect(body.signers).toMatchObject({ enforced: true, envelopes: 2 });
    expect(body.signers.statement).toMatch(/signatures verified against the 2 writer\(s\).*additions only/);
    // R2: the answer names the enrolled writers (verifying key and key id) and how many envelopes each signed.
    expect(body.signers.writers).toEqual([
      { keyId: bank.signer.verifyingKey().keyId, verifyingKey: bank.signer.verifyingKey().toString(), envelopes: 1 },
      { keyId: branch.verifyingKey().keyId, verifyingKey: branch.verifyingKey().toString(), envelopes: 1 },
    ]);
    expect(body.signers.statement).toContain(`${branch.verifyingKey().keyId} (1)`);
    const byCat = totals(bank.he, body.result.parts);
    for (const c of CATEGORIES) expect(cents(byCat[c]!)).toBe(all.filter((t) => t.category === c).reduce((n, t) => n + cents(t.amount), 0));

    const hist = await ask('histogram', AMOUNT_HISTOGRAM.name);
    expect(hist.statusCode).toBe(200);
    const counts = totals(bank.he, hist.json<GroupBody>().result.parts);
    for (const b of AMOUNT_BINS) expect(counts[b.key]).toBe(all.filter((t) => binOf(AMOUNT_BINS, t.amount) === b.key).length);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(all.length);

    const audit = (await server.app.inject({ url: `/api/audit?dataset=${bankId}` })).json<{ entries: { action: string; detail: { op?: string } }[] }>().entries;
    expect(audit.filter((e) => e.action === 'aggregate').map((e) => e.detail.op)).toEqual(['groupSum', 'histogram']);
  }, 240_000);

  test('sum needs the rotation keys this bundle lacks: a clear 400, not a malformed envelope; count is public', async () => {
    const res = await ask('sum', 'amount');
    expect(res.statusCode).toBe(400);
    expect(errorOf(res)).toMatchObject({ code: 'ERR_CLOUD_BAD_REQUEST', detail: 'ERR_SHE_UNSUPPORTED' });
    expect(errorOf(res).message).toMatch(/not possible with this dataset's evaluation bundle: .*rotation keys/);
    const count = (await ask('count', 'amount')).json<{ result: { value: number }; signers: GroupBody['signers'] }>();
    expect(count.result.value).toBe(160);
    expect(count.signers.writers.map((w) => w.envelopes)).toEqual([1, 1]);
  }, 120_000);

  test('an unknown group (400), a malformed group name (400), an unknown op (400)', async () => {
    expect(errorOf(await ask('histogram', 'salary_bins')).message).toMatch(/no HE field group "salary_bins"/);
    expect(errorOf(await ask('groupSum', 'a.b')).code).toBe('ERR_CLOUD_BAD_REQUEST');
    expect(errorOf(await ask('groupSum', 42)).code).toBe('ERR_CLOUD_BAD_REQUEST');
    expect(errorOf(await ask('median', 'amount')).message).toMatch(/histogram or groupSum/);
  }, 120_000);
});

describe('bank refusals: clear error, nothing stored, the answers unchanged', () => {
  const before = async () => totals(bank.he, (await ask('groupSum', CATEGORY_SUMS.name)).json<GroupBody>().result.parts);

  test('forged category sums from an unenrolled writer (403), and an oversized upload (413)', async () => {
    const was = await before();
    const n = await stored();
    const mallory = generateSigningKey();
    const forged = await bank.seal(makeTransactions(5, 3).map((t) => encodeTransaction({ ...t, category: 'rent', amount: 9999 })), mallory);
    const r1 = await upload(forged);
    expect(r1.statusCode).toBe(403);
    expect(errorOf(r1)).toMatchObject({ code: 'ERR_CLOUD_UNENROLLED_WRITER', detail: 'ERR_CORE_SIGNER_UNTRUSTED' });
    const r2 = await upload(new Uint8Array(2 * 1024 * 1024 + 1));
    expect(r2.statusCode).toBe(413);
    expect(errorOf(r2).code).toBe('ERR_CLOUD_TOO_LARGE');
    const r3 = await upload(new Uint8Array(3000).fill(0x4e));
    expect(errorOf(r3).code).toBe('ERR_CLOUD_BAD_ENVELOPE');
    expect(await stored()).toBe(n);
    expect(await before()).toEqual(was);
  }, 240_000);

  test('an unsigned envelope written into the store behind the server\'s back makes the histogram refuse (403)', async () => {
    const created = await server.app.inject({ method: 'POST', url: '/api/datasets', payload: { writers: [bank.signer.verifyingKey().toString()], bundle: b64(bank.bundle) } });
    const id = created.json<{ id: string }>().id;
    expect((await upload(await bank.seal(makeTransactions(4, 8).map(encodeTransaction)), undefined, id)).statusCode).toBe(201);
    const sneaked = await bank.seal(makeTransactions(4, 9).map(encodeTransaction), null);
    await server.store.putEnvelope({ id: 'sneaked', datasetId: id, size: sneaked.length, sha256: '00', signer: 'none', fields: ['amount'], records: 4, createdAt: new Date().toISOString() }, sneaked);
    const res = await ask('histogram', AMOUNT_HISTOGRAM.name, id);
    expect(res.statusCode).toBe(403);
    expect(errorOf(res).code).toBe('ERR_CLOUD_UNENROLLED_WRITER');
  }, 240_000);
});

describe('zero trust in the bank scenario', () => {
  test('no merchant, date or amount of an uploaded transaction appears in any response', () => {
    const text = server.responses.join('\n');
    expect(text.length).toBeGreaterThan(1000); // positive control: the responses are there
    expect(text).toContain('amount_by_category.groceries'); // field paths are public by design
    for (const t of [...first, ...second]) {
      expect(text).not.toContain(t.merchant);
      expect(text).not.toContain(`"${t.date}"`);
    }
    const amounts = new Set([...first, ...second].map((t) => t.amount.toFixed(2)).filter((a) => a.length >= 6));
    for (const a of amounts) expect(text).not.toContain(`:${a}`);
  });
});

describe('the patient scenario: an age histogram', () => {
  test('counts per age band decrypt to the plaintext (the bundle with rotation keys works too)', async () => {
    const centre = await makeOwner(PATIENT_SCENARIO_FIELDS);
    const created = await server.app.inject({ method: 'POST', url: '/api/datasets', payload: { writers: [centre.signer.verifyingKey().toString()], bundle: b64(centre.bundle) }, as: centre.signer } as never);
    const id = created.json<{ id: string }>().id;
    const patients = makePatients(70, 5);
    expect((await upload(await centre.seal(patients.map(encodePatient)), centre.signer, id)).statusCode).toBe(201);
    const res = await server.app.inject({ method: 'POST', url: `/api/datasets/${id}/aggregate`, payload: { op: 'histogram', path: AGE_HISTOGRAM.name }, as: centre.signer } as never);
    expect(res.statusCode).toBe(200);
    const counts = totals(centre.he, res.json<GroupBody>().result.parts);
    for (const b of AGE_BINS) expect(counts[b.key]).toBe(patients.filter((p) => binOf(AGE_BINS, p.age) === b.key).length);
    centre.keys.dispose();
  }, 240_000);
});
