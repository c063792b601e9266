/**
 * The server's side of histograms and grouped sums: for every field `<group>.<key>` of the dataset's
 * envelopes, the slot-wise sum of its column ciphertexts (`sumSlots`: additions only, no Galois keys).
 * Each envelope's signature is verified against the enrolled writers before any of its fields is
 * used, exactly as for `sum`. The answer is one ciphertext per key; the owner adds the slots.
 * @module
 */
import { errorInfo, extractHeFields, inspect, verifySignature } from '@nqc/core/node';
import { encodeCiphertext, type HeCiphertext } from '@nqc/she';
import { toBase64 } from '../codec.js';
import { envelopeError, NqcCloudError } from '../errors.js';
import { MAX_GROUP_KEYS } from './groups.js';

/** What adds the ciphertexts: an `HeEvaluator` or `HeWorkerEvaluator` (both have `sumSlots`). */
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
  /** One part per key found, in the order of the first envelope's HE section. */
  readonly parts: readonly SlotPart[];
  /** Envelopes verified and added. */
  readonly envelopes: number;
}

/**
 * Adds up every field of a group over a dataset's envelopes, with additions only.
 * @param envelopes - the stored envelope bytes (one at a time)
 * @param group - the group name (checked by the caller: `isGroupName`)
 * @param writers - the enrolled writers' verifying keys: every envelope must be signed by one
 * @param evaluator - the dataset's evaluator
 * @throws NqcCloudError `ERR_CLOUD_BAD_REQUEST` (no such group), `ERR_CLOUD_UNENROLLED_WRITER`,
 *   `ERR_CLOUD_BAD_ENVELOPE`, `ERR_CLOUD_OVERFLOW`
 */
export async function sumGroup(envelopes: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, group: string, writers: readonly string[], evaluator: SlotEvaluator): Promise<GroupAnswer> {
  const prefix = `${group}.`;
  const columns = new Map<string, HeCiphertext[]>();
  let n = 0;
  for await (const bytes of envelopes) {
    try {
      // Who wrote it, before anything of it is used (the same check as every other aggregate).
      await verifySignature(bytes, { requireSigner: [...writers] });
      const info = await inspect(bytes);
      const paths = [...new Set((info.he?.fields ?? []).map((f) => f.path).filter((p) => p.startsWith(prefix)))];
      for (const p of paths) {
        let list = columns.get(p);
        if (!list) {
          if (columns.size >= MAX_GROUP_KEYS) throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', `group "${group}" has more than ${MAX_GROUP_KEYS} fields`);
          columns.set(p, (list = []));
        }
        list.push(...(await extractHeFields(bytes, p)));
      }
    } catch (err) {
      if (err instanceof NqcCloudError) throw err;
      throw envelopeError(err, 'a stored envelope');
    }
    n++;
  }
  if (columns.size === 0) throw new NqcCloudError('ERR_CLOUD_BAD_REQUEST', `no HE field group "${group}" in this dataset`);
  const parts: SlotPart[] = [];
  for (const [path, cts] of columns) {
    let r: HeCiphertext;
    try {
      r = await evaluator.sumSlots(cts, path);
    } catch (err) {
      const info = errorInfo(err);
      if (info.code === 'ERR_SHE_OVERFLOW') throw new NqcCloudError('ERR_CLOUD_OVERFLOW', `slot sums of "${path}" could overflow: ${info.message}`, info.code);
      throw envelopeError(err, 'a stored envelope');
    }
    const enc = encodeCiphertext(r);
    parts.push({ key: path.slice(prefix.length), path, ciphertext: toBase64(enc), bytes: enc.byteLength });
  }
  return { kind: 'slots', group, parts, envelopes: n };
}
