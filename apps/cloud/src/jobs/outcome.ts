/**
 * Strict checks of an aggregate outcome read back from the shared job queue: the queue's rows are
 * the database's word (any instance, or whoever can write the database, can complete a job), so
 * before the route answers a reader the outcome must have the kind the request asked for, carry
 * ciphertexts that decode (bounded in size), safe-integer counts, and signer counts naming only
 * the dataset's enrolled writers, non-negative and summing to the envelope count. Anything else
 * is refused as `ERR_CLOUD_JOB_FAILED` with a generic message.
 * @module
 */
import { decodeCiphertext } from '@nqc/she';
import { fromBase64 } from '../codec.js';
import { NqcCloudError } from '../errors.js';
import type { AggregateOutcome, AggregateRequest } from './index.js';

/** The largest ciphertext (decoded bytes) accepted from a job outcome: 64 MiB. */
export const MAX_JOB_CIPHERTEXT_BYTES = 64 * 1024 * 1024;
/** The most group keys accepted in a slots outcome. */
export const MAX_JOB_PARTS = 4096;

const refuse = (): never => {
  throw new NqcCloudError('ERR_CLOUD_JOB_FAILED', 'the aggregate job returned an invalid outcome');
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : refuse());

/** Decodes one base64 ciphertext (bounded); returns its byte length. */
function ciphertextBytes(v: unknown): number {
  if (typeof v !== 'string' || v.length > Math.ceil(MAX_JOB_CIPHERTEXT_BYTES / 3) * 4) refuse();
  try {
    const bytes = fromBase64(v, 'ciphertext');
    decodeCiphertext(bytes);
    return bytes.byteLength;
  } catch {
    return refuse();
  }
}

/**
 * Checks an outcome read from the job queue against the request and the dataset's writers.
 * @param req - the request that was enqueued
 * @param writers - the dataset's enrolled writers' verifying keys
 * @param out - the outcome as read from the queue (untrusted)
 * @returns the outcome, rebuilt from the checked fields only
 * @throws NqcCloudError `ERR_CLOUD_JOB_FAILED` (generic message) when any check fails
 */
export function checkJobOutcome(req: AggregateRequest, writers: readonly string[], out: unknown): AggregateOutcome {
  if (!isObject(out) || !isObject(out.result)) return refuse();
  const r = out.result;
  const envelopes = count(out.envelopes);
  let result: AggregateOutcome['result'];
  switch (req.op) {
    case 'count':
      if (r.kind !== 'count') refuse();
      result = { kind: 'count', value: count(r.value) };
      break;
    case 'sum': {
      if (r.kind !== 'sum') refuse();
      const bytes = ciphertextBytes(r.ciphertext);
      result = { kind: 'sum', ciphertext: r.ciphertext as string, bytes };
      break;
    }
    case 'mean': {
      if (r.kind !== 'mean') refuse();
      const bytes = ciphertextBytes(r.sum);
      result = { kind: 'mean', sum: r.sum as string, count: count(r.count), bytes };
      break;
    }
    case 'histogram':
    case 'groupSum': {
      if (r.kind !== 'slots' || r.group !== req.path || !Array.isArray(r.parts) || r.parts.length > MAX_JOB_PARTS) refuse();
      const parts = (r.parts as unknown[]).map((p) => {
        if (!isObject(p) || typeof p.key !== 'string' || typeof p.path !== 'string' || p.key.length > 200 || p.path !== `${req.path}.${p.key}`) refuse();
        const q = p as Record<string, string>;
        return { key: q.key!, path: q.path!, ciphertext: q.ciphertext!, bytes: ciphertextBytes(q.ciphertext) };
      });
      result = { kind: 'slots', group: req.path, parts, bytes: parts.reduce((n, p) => n + p.bytes, 0) };
      break;
    }
    default:
      return refuse();
  }
  const signedBy: Record<string, number> = {};
  if (out.signedBy !== undefined) {
    if (!isObject(out.signedBy)) refuse();
    const enrolled = new Set(writers);
    let total = 0;
    for (const [vk, n] of Object.entries(out.signedBy as Record<string, unknown>)) {
      if (!enrolled.has(vk)) refuse();
      signedBy[vk] = count(n);
      total += signedBy[vk]!;
    }
    if (total !== envelopes) refuse();
  }
  const serverMs = typeof out.serverMs === 'number' && Number.isFinite(out.serverMs) && out.serverMs >= 0 ? out.serverMs : 0;
  const worker = typeof out.worker === 'string' && /^[\w.-]{1,64}$/.test(out.worker) ? out.worker : 'unknown';
  return { result, envelopes, ...(out.signedBy !== undefined ? { signedBy } : {}), serverMs, worker };
}
