// The page's Web Worker: every key lives here and in the page's IndexedDB, never on the server.
// It generates (or restores) the identity, the signing key and the HE key set, encrypts records
// into signed column-packed envelopes (one schema per scenario), and decrypts the server's answers:
// sums and means, and the slot-wise sums of histograms and grouped sums (added up here).
import { decryptAggregate, encryptDataset, generateIdentity, generateSigningKey } from '@nqc/core';
import { parseIdentityFile, serializeIdentityFile } from '@nqc/pql';
import { decodeCiphertext, defineSchema, HeClient, HeKeySet } from '@nqc/she';
import { encodePatient, PATIENT_SCENARIO_FIELDS } from '../src/patients.ts';
import { BANK_FIELDS, encodeTransaction } from '../src/bank.ts';

const SCHEMAS = { patients: PATIENT_SCENARIO_FIELDS, bank: BANK_FIELDS };
const ENCODE = { patients: encodePatient, bank: encodeTransaction };
let state; // { identity, signer, keys, he: { patients, bank } }

const b64 = (bytes) => {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
};
const unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const now = () => performance.now();

async function init(saved) {
  const t0 = now();
  let identity, signer, keys;
  if (saved) {
    const file = parseIdentityFile(saved.identityFile);
    identity = file.identities[0];
    signer = file.signingKeys[0];
    if (!identity || !signer) throw new Error('the key file holds no identity or no signing key');
    keys = await HeKeySet.decode(unb64(saved.heKeySet));
  } else {
    identity = generateIdentity();
    signer = generateSigningKey();
    keys = await HeKeySet.generate('bfv-n4096');
  }
  const he = {};
  for (const [name, fields] of Object.entries(SCHEMAS)) he[name] = await HeClient.create(keys, defineSchema([...fields]));
  const bundle = await (await keys.evaluationBundle()).encode();
  // Additions only (histograms, grouped sums, counts): no rotation keys at all, ~25x smaller.
  const additions = await (await keys.evaluationBundle({ columnSums: false })).encode();
  state?.keys.dispose();
  state = { identity, signer, keys, he };
  return {
    saved: saved ?? { identityFile: serializeIdentityFile({ identities: [identity], signingKeys: [signer] }), heKeySet: b64(await keys.encode()) },
    recipient: identity.recipient().toString(),
    verifyingKey: signer.verifyingKey().toString(),
    heKeyId: keys.keyId,
    bundle: b64(bundle),
    bundleBytes: bundle.length,
    additionsBundle: b64(additions),
    additionsBundleBytes: additions.length,
    ms: now() - t0,
  };
}

async function encrypt({ scenario, records }) {
  const t0 = now();
  const he = state.he[scenario];
  if (!he) throw new Error(`unknown scenario ${scenario}`);
  const rows = records.map(ENCODE[scenario]);
  const envelope = await encryptDataset(rows, { recipients: [state.identity.recipient().toString()], he, signer: state.signer, nde: 'off' });
  return { envelope, ms: now() - t0, plaintextBytes: new TextEncoder().encode(JSON.stringify(records)).length };
}

// The slot-wise sum of one group key: decrypt every slot (exact scaled integers) and add them here.
function slotTotal(he, part) {
  const ct = decodeCiphertext(unb64(part.ciphertext));
  const scaled = he.decryptExact(ct).reduce((a, b) => a + b, 0n);
  return Number(scaled) / 10 ** ct.values[0].decimals;
}

function decrypt({ scenario, result }) {
  const t0 = now();
  const he = state.he[scenario];
  let value;
  if (result.kind === 'count') value = result.value;
  else if (result.kind === 'sum') value = decryptAggregate(decodeCiphertext(unb64(result.ciphertext)), he);
  else if (result.kind === 'mean') value = decryptAggregate({ sum: decodeCiphertext(unb64(result.sum)), count: result.count }, he);
  else if (result.kind === 'slots') value = Object.fromEntries(result.parts.map((p) => [p.key, slotTotal(he, p)]));
  else throw new Error(`unknown answer kind ${result.kind}`);
  return { value, ms: now() - t0 };
}

self.onmessage = async (ev) => {
  const { id, type, arg } = ev.data;
  try {
    let out;
    if (type === 'init') out = await init(arg);
    else if (type === 'encrypt') out = await encrypt(arg);
    else if (type === 'decrypt') out = decrypt(arg);
    else throw new Error(`unknown request ${type}`);
    self.postMessage({ id, ok: true, out }, out?.envelope ? [out.envelope.buffer] : []);
  } catch (e) {
    self.postMessage({ id, ok: false, error: `${e?.message ?? e}${e?.code ? ` (${e.code})` : ''}` });
  }
};
self.postMessage({ ready: true });
