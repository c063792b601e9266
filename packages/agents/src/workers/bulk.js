// Worker body of the `bulk` pool: whole envelopes (payload with the NDE inner layer) through
// @nqc/core/node, so chunk sealing and the neural keystream run off the main thread.
import { decrypt, encrypt } from '@nqc/core/node';
import { task } from './_task.js';

export const envelopeEncrypt = task(
  /** @param {{ plaintext: Uint8Array, recipients: string[], signer?: string, nde?: 'auto' | 'off' | 'reference' | 'onnx' }} t */
  (t) => encrypt(t.plaintext, { recipients: t.recipients, signer: t.signer, nde: t.nde }),
);

export const envelopeDecrypt = task(
  /** @param {{ envelope: Uint8Array, identities: string[], nde?: 'auto' | 'off' | 'reference' | 'onnx' }} t */
  async (t) => (await decrypt(t.envelope, { identities: t.identities, nde: t.nde })).plaintext,
);
