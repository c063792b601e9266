// The page's Web Worker: every key lives here and in the page's IndexedDB, never on the server.
// It generates (or restores) the identity, the signing key and the HE key set, encrypts records
// into signed column-packed envelopes, and decrypts the server's encrypted answers.
import { decryptAggregate, encryptDataset, generateIdentity, generateSigningKey } from '@nqc/core';
import { parseIdentityFile, serializeIdentityFile } from '@nqc/pql';
import { decodeCiphertext, defineSchema, HeClient, HeKeySet } from '@nqc/she';
import { PATIENT_FIELDS } from '../src/patients.ts';

let state; // { identity, signer, keys, he }

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
    keys = await HeKeySet.decode(unb64(saved.heKeySet));
  } else {
    identity = generateIdentity();
    signer = generateSigningKey();
    keys = await HeKeySet.generate('bfv-n4096');
  }
  const he = await HeClient.create(keys, defineSchema([...PATIENT_FIELDS]));
  const bundle = await (await keys.evaluationBundle()).encode();
  state = { identity, signer, keys, he };
  return {
    saved: saved ?? { identityFile: serializeIdentityFile({ identities: [identity], signingKeys: [signer] }), heKeySet: b64(await keys.encode()) },
    recipient: identity.recipient().toString(),
    verifyingKey: signer.verifyingKey().toString(),
    heKeyId: keys.keyId,
    bundle: b64(bundle),
    bundleBytes: bundle.length,
    ms: now() - t0,
  };
}

async function encrypt(records) {
  const t0 = now();
  const envelope = await encryptDataset(records, { recipients: [state.identity.recipient().toString()], he: state.he, signer: state.signer, nde: 'off' });
  return { envelope, ms: now() - t0, plaintextBytes: new TextEncoder().encode(JSON.stringify(records)).length };
}

function decrypt(result) {
  const t0 = now();
  let value;
  if (result.kind === 'count') value = result.value;
  else if (result.kind === 'sum') value = decryptAggregate(decodeCiphertext(unb64(result.ciphertext)), state.he);
  else value = decryptAggregate({ sum: decodeCiphertext(unb64(result.sum)), count: result.count }, state.he);
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
