/**
 * The server's side of histograms and grouped sums: for every field `<group>.<key>` of the dataset's
 * envelopes, the slot-wise sum of its column ciphertexts (`sumSlots`: additions only, no Galois keys).
 * Each envelope's signature is verified against the enrolled writers before any of its fields is
 * used, exactly as for `sum`. The answer is one ciphertext per key; the owner adds the slots.
 * Constant memory: one running ciphertext per key (the SHE `sumSlots` continues an earlier result).
 * @module
 */
import { errorInfo, extractHeFields, inspect, verifySignature } from '@nqc/core/node';
import { encodeCiphertext, type HeCiphertext } from '@nqc/she';
import { toBase64 } from '../codec.js';
import { envelopeError, NqcCloudError } from '../errors.js';
import { MAX_GROUP_KEYS } from './groups.js';
import { SignerTally, type SignedBy } from './signers.js';

/**
 * What adds the ciphertexts: an `HeEvaluator` or `HeWorkerEvaluator` (both have `sumSlots`, whose
 * first input may be an earlier result of the same field: a running sum).
 */
export interface SlotEvaluator {
  sumSlots(inputs: readonly HeCiphertext[], path: string): HeCiphertext | Promise<HeCiphertext>;
}

/** One key's encrypted answer: slot j holds the sum of slot j over the dataset's column parts. */
export interface SlotPart {
  /** The group key (`20-39`, `groceries`). */
  readonly key: string;
  /** Its field path (`age_bins.20-39`). */
  readonly path: string;
  /** The encoded result ciphertext (`encodeCiphertext`), base64. */
  readonly ciphertext: string;
  /** Its size in bytes. */
  readonly bytes: number;
}

/** The answer of {@link sumGroup}. */
export interface GroupAnswer {
  readonly kind: 'slots';
  /** The group name. */
  readonly group: string;
  /** One part per key found, in the order first seen (the first envelope's HE section). */
  readonly parts: readonly SlotPart[];
  /** Envelopes verified and added. */
  readonly envelopes: number;
  /** Per verified signer's verifying key: how many of those envelopes it signed. */
  readonly signedBy: SignedBy;
}

/**
 * Adds up every field of a group over a dataset's envelopes, with additions only, in constant
 * memory: envelopes are read one at a time and folded into a running slot sum per key
 * (`sumSlots([running, ...columns])`), so at most one ciphertext per key plus one envelope's
 * columns are held, whatever the number of envelopes.
 * @param envelopes - the stored envelope bytes (one at a time)
 * @param group - the group name (checked by the caller: `isGroupName`)
 * @param writers - the enrolled writers' verifying keys: every envelope must be signed by one
 * @param evaluator - the dataset's evaluator
 * @throws NqcCloudError `ERR_CLOUD_BAD_REQUEST` (no such group), `ERR_CLOUD_UNENROLLED_WRITER`,
 *   `ERR_CLOUD_BAD_ENVELOPE`, `ERR_CLOUD_OVERFLOW`
 */
export async function sumGroup(envelopes: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, group: string, writers: readonly string[], evaluator: SlotEvaluator): Promise<GroupAnswer> {
  const prefix = `${group}.`;
  const running = new Map<string, HeCiphertext | undefined>();
  const signers = new SignerTally();
  let n = 0;
  for await (const bytes of envelopes) {
    try {
      // Who wrote it, before anything of it is used (the same check as every other aggregate).
      const { signer } = await verifySignature(bytes, { requireSigner: [...writers] });
      const info = await inspect(bytes);
      const paths = [...new Set((info.he?.fields ?? []).map((f) => f.path).filter((p) => p.startsWith(prefix)))];
      for (const p of paths) {
        if (!running.has(p) && running.size >= MAX_GROUP_KEYS) throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', `group "${group}" has more than ${MAX_GROUP_KEYS} fields`);
        const before = running.get(p);
        const columns = await extractHeFields(bytes, p);
        running.set(p, await fold(evaluator, before ? [before, ...columns] : columns, p));
      }
      signers.add(signer.verifyingKey);
    } catch (err) {
      if (err instanceof NqcCloudError) throw err;
      throw envelopeError(err, 'a stored envelope');
    }
    n++;
  }
  if (running.size === 0) throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', `no HE field group "${group}" in this dataset`);
  const parts: SlotPart[] = [];
  for (const [path, r] of running) {
    const enc = encodeCiphertext(r!);
    parts.push({ key: path.slice(prefix.length), path, ciphertext: toBase64(enc), bytes: enc.byteLength });
  }
  return { kind: 'slots', group, parts, envelopes: n, signedBy: signers.toJSON() };
}

/** One step of a running slot sum, with the SHE refusals mapped to cloud errors. */
async function fold(evaluator: SlotEvaluator, inputs: readonly HeCiphertext[], path: string): Promise<HeCiphertext> {
  try {
    return await evaluator.sumSlots(inputs, path);
  } catch (err) {
    const info = errorInfo(err);
    if (info.code === 'ERR_SHE_OVERFLOW') throw new NqcCloudError('ERR_CLOUD_OVERFLOW', `slot sums of "${path}" could overflow: ${info.message}`, info.code);
    throw envelopeError(err, 'a stored envelope');
  }
}
