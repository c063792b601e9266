// Worker body of the `pq` pool: KEM encapsulation / decapsulation, file-key wrap / unwrap and
// ML-DSA / SLH-DSA / Falcon signing and verification, all through @nqc/pql.
// Secret keys arrive as key strings from the main thread's key store, are parsed once and cached here.
import {
  decodeKeyString,
  getKem,
  Keyset,
  parseIdentity,
  parseRecipient,
  parseSigningKey,
  parseVerifyingKey,
  wrapToRecipients,
} from '@nqc/pql';
import { keyCache, task } from './_task.js';

const signers = keyCache(32);
const identities = keyCache(32);
const verifiers = keyCache(64);

/** @param {Uint8Array | undefined} context */
const opts = (context) => (context === undefined ? undefined : { context });

export const sign = task(
  /** @param {{ secretKey: string, message: Uint8Array, context?: Uint8Array }} t */
  (t) => signers(t.secretKey, parseSigningKey).sign(t.message, opts(t.context)),
);

export const verify = task(
  /** @param {{ publicKey: string, message: Uint8Array, signature: Uint8Array, context?: Uint8Array }} t */
  (t) => verifiers(t.publicKey, parseVerifyingKey).verify(t.signature, t.message, opts(t.context)),
);

export const wrapFileKey = task(
  /** @param {{ recipients: string[], fileKey: Uint8Array }} t */
  (t) => wrapToRecipients(t.fileKey, t.recipients.map((r) => parseRecipient(r))),
);

export const unwrapFileKey = task(
  /** @param {{ identities: string[], stanzas: import('@nqc/pql').Stanza[] }} t */
  (t) => {
    // The key store sends its usable keys primary first; a keyset applies @nqc/pql's bounded search.
    const ks = Keyset.create();
    for (const s of t.identities) ks.import(identities(s, parseIdentity));
    return ks.unwrapFileKey(t.stanzas);
  },
);

export const encapsulate = task(
  /** @param {{ recipient: string }} t */
  (t) => {
    const r = parseRecipient(t.recipient);
    return getKem(r.algorithm).encapsulate(r.publicKey);
  },
);

export const decapsulate = task(
  /** @param {{ secretKey: string, cipherText: Uint8Array }} t */
  (t) => {
    const { algorithm, bytes } = decodeKeyString(t.secretKey, 'identity');
    const kem = getKem(algorithm);
    if (!(t.cipherText instanceof Uint8Array) || t.cipherText.length !== kem.cipherTextLength) {
      throw Object.assign(new Error(`"cipherText" expected Uint8Array of length ${kem.cipherTextLength}`), { code: 'ERR_PQL_INVALID_INPUT' });
    }
    const { secretKey } = kem.keygen(bytes);
    try {
      return kem.decapsulate(t.cipherText, secretKey);
    } catch {
      throw Object.assign(new Error('decapsulation failed'), { code: 'ERR_KEM_DECAPSULATE' });
    } finally {
      bytes.fill(0);
      secretKey.fill(0);
    }
  },
);
