/**
 * Act 3: the zero-trust cloud. A hospital encrypts signed patient records whose age and bill are also
 * HE-encrypted; the server, holding only envelopes and the public evaluation bundle, computes the
 * total age and the mean bill; only the hospital can read the answers.
 * @module
 */
import { defineSchema, EvaluationBundle, HeClient, HeKeySet } from '@nqc/she';
import { aggregate, decryptAggregate, decryptRecord, encryptRecord, type KemIdentity, type SigningKey } from './core.js';
import { PATIENTS } from './data.js';
import type { Log } from './steps.js';

/** What act 3 showed. */
export interface CloudOutcome {
  sumExact: boolean;
  meanExact: boolean;
  recordOpened: boolean;
}

/** The server: envelopes and the evaluation bundle in, encrypted aggregates out. No key of the owner's. */
async function server(envelopes: readonly Uint8Array[], bundleBytes: Uint8Array) {
  const bundle = await EvaluationBundle.decode(bundleBytes);
  const totalAge = await aggregate(envelopes, { op: 'sum', path: 'age', evaluator: bundle });
  const meanBill = await aggregate(envelopes, { op: 'mean', path: 'bill', evaluator: bundle });
  return { totalAge, meanBill };
}

/** Runs act 3 with Alice as the hospital. */
export async function cloudAct(log: Log, people: { alice: KemIdentity; aliceSigns: SigningKey }): Promise<CloudOutcome> {
  const { alice, aliceSigns } = people;
  log(`8. The hospital (Alice) makes an HE key set (BFV, N=4096). The secret part stays with her;`);
  const keys = await HeKeySet.generate('bfv-n4096');
  const schema = defineSchema([
    { path: 'age', type: 'integer', min: 0, max: 130 },
    { path: 'bill', type: 'fixed', decimals: 2, min: 0, max: 100_000 },
  ]);
  const client = await HeClient.create(keys, schema);
  const bundleBytes = await (await keys.evaluationBundle()).encode();
  log(`   the server gets only the evaluation bundle (${(bundleBytes.length / 1024).toFixed(0)} KiB of public keys).`);
  try {
    const envelopes: Uint8Array[] = [];
    for (const p of PATIENTS) envelopes.push(await encryptRecord(p, { recipients: [alice.recipient()], signer: aliceSigns, he: client }));
    const avg = envelopes.reduce((n, e) => n + e.length, 0) / envelopes.length;
    log(`9. She uploads ${envelopes.length} signed records; each envelope (${(avg / 1024).toFixed(1)} KiB) holds the whole record`);
    log('   for her, and age and bill HE-encrypted for the server, bound to their paths by the header MAC.');

    const t0 = performance.now();
    const { totalAge, meanBill } = await server(envelopes, bundleBytes);
    log(`10. The server computes the total age and the mean bill on ciphertexts (${Math.round(performance.now() - t0)} ms); it cannot read them.`);

    const age = decryptAggregate(totalAge, client);
    const bill = decryptAggregate(meanBill, client);
    const expectedAge = PATIENTS.reduce((s, p) => s + p.age, 0);
    const expectedBill = PATIENTS.reduce((s, p) => s + p.bill, 0) / PATIENTS.length;
    log(`11. Alice decrypts the answers: total age ${age} (plaintext: ${expectedAge}), mean bill ${bill.toFixed(5)} (plaintext: ${expectedBill.toFixed(5)}).`);
    const { record } = await decryptRecord(envelopes[1]!, { identities: [alice], requireSigner: aliceSigns.verifyingKey(), he: client });
    log(`    and any record she needs: ${JSON.stringify(record)}`);
    return {
      sumExact: age === expectedAge,
      meanExact: Math.abs(bill - expectedBill) < 1e-9,
      recordOpened: record['name'] === PATIENTS[1]!.name,
    };
  } finally {
    client.dispose();
    keys.dispose();
  }
}
