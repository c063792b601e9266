// Records and datasets: the whole JSON goes into the payload (AEAD, NDE, signature as usual); chosen
// numeric fields are also encrypted with @nqc/she into the header's HE section, where the header MAC
// binds every (path, part) -> ciphertext. A server reads the HE section without any key and computes
// on it; only the owner of the HE secret key decrypts results. node-seal is loaded only here, lazily.
import {
  bytesSource,
  NqcFormatError,
  parseHeader,
  parsePrelude,
  PRELUDE_LENGTH,
  verifyEnvelopeSignature,
  type CryptoProvider,
  type HeEntry,
  type HeSection,
  type ParsedHeader,
  type SeekableSource,
} from '@nqc/container';
import type { EvaluationBundle, FieldSpec, HeCiphertext, HeClient, HeKeySet, HeMean } from '@nqc/she';
import { fail, NqcCoreError } from './errors.js';
import type { Verifier } from '@nqc/pql';
import { toVerifiers, verifierFor, type VerifierInput } from './keys.js';
import { binaryEnvelope, decryptAny, encryptAny, type DecryptOptions, type DecryptResult, type EncryptOptions } from './envelope.js';
import { browserPlatform, type Platform } from './nde.js';

/** A JSON object (what `JSON.parse` returns for `{...}`). */
export type JsonObject = { [key: string]: JsonValue };
/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

/** Options of {@link encryptRecord} and {@link encryptDataset}. */
export interface EncryptRecordOptions extends Omit<EncryptOptions, 'armor'> {
  /**
   * The data owner's HE material from `@nqc/she`: an `HeClient` (whose schema names the fields), or
   * an `HeKeySet` together with `fields`. SEAL's secret-key encryption is used (half the size of
   * public-key encryption), so encrypting needs the owner's key set; the server only ever gets the
   * evaluation bundle.
   */
  readonly he: HeClient | HeKeySet;
  /**
   * The numeric fields to HE-encrypt: `{ path, type: 'integer' | 'fixed' | 'real', min, max, decimals? }`
   * (dotted paths into the record, e.g. `patient.age`). Required with an `HeKeySet`; with an
   * `HeClient` it may be omitted, and if given must equal the client's schema.
   */
  readonly fields?: readonly FieldSpec[] | undefined;
  /** ASCII armor the output. */
  readonly armor?: boolean | undefined;
}

/** Options of {@link decryptRecord} and {@link decryptDataset}. */
export interface DecryptRecordOptions extends DecryptOptions {
  /**
   * When given (the owner's HE client), the HE fields are decrypted too and checked against the
   * payload's numbers (`ERR_CORE_HE_FIELD` on disagreement): proves the HE section says what the
   * payload says, which the MAC alone does not (a sender could bind inconsistent values).
   */
  readonly he?: HeClient | undefined;
}

const RECORD_META = 'nqc/v1/record';
const DATASET_META = 'nqc/v1/dataset';
/** Path of the single record-layout ciphertext of a record envelope. */
export const RECORD_HE_PATH = 'record';

async function she() {
  return import('@nqc/she');
}

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function hexToBytes(h: string): Uint8Array {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function getPath(obj: JsonObject, path: string): JsonValue | undefined {
  if (Object.hasOwn(obj, path)) return obj[path];
  let cur: JsonValue | undefined = obj;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, k)) return undefined;
    cur = (cur as JsonObject)[k];
  }
  return cur;
}

function checkClient(c: unknown): HeClient {
  const x = c as HeClient;
  if (!x || typeof x.encryptRecord !== 'function' || typeof x.encryptColumn !== 'function' || !x.schema) {
    fail('ERR_CORE_INVALID_ARGUMENT', '"he" expected an HeClient from @nqc/she');
  }
  return x;
}

/** Resolves `he` (+ `fields`) into a client; `dispose` frees one created here. */
async function resolveClient(opts: EncryptRecordOptions): Promise<{ client: HeClient; dispose(): void }> {
  const he = opts?.he as unknown;
  const fields = opts?.fields;
  if (he && typeof (he as HeClient).encryptRecord === 'function') {
    const client = checkClient(he);
    if (fields !== undefined) {
      const norm = (f: FieldSpec) => JSON.stringify([f.path, f.type, f.min, f.max, f.type === 'fixed' ? f.decimals : 0]);
      const a = client.schema.fields.map(norm);
      const b = Array.isArray(fields) ? fields.map(norm) : [];
      if (a.length !== b.length || a.some((x, i) => x !== b[i])) fail('ERR_CORE_INVALID_ARGUMENT', '"fields" differ from the HE client\'s schema');
    }
    return { client, dispose: () => undefined };
  }
  if (he && typeof (he as HeKeySet).evaluationBundle === 'function') {
    if (!Array.isArray(fields) || fields.length === 0) fail('ERR_CORE_INVALID_ARGUMENT', '"fields" is required with an HE key set');
    const { HeClient: Client, defineSchema } = await she();
    const client = await Client.create(he as HeKeySet, defineSchema(fields));
    return { client, dispose: () => client.dispose() };
  }
  return fail('ERR_CORE_INVALID_ARGUMENT', '"he" expected an HeClient or an HeKeySet from @nqc/she');
}

function checkJsonObject(r: unknown, what: string): JsonObject {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) fail('ERR_CORE_RECORD', `${what} must be a JSON object`);
  return r as JsonObject;
}

function fieldValues(client: HeClient, record: JsonObject, where: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of client.schema.fields) {
    const v = getPath(record, f.path);
    if (typeof v !== 'number' || !Number.isFinite(v)) fail('ERR_CORE_RECORD', `${where}: field "${f.path}" must be a finite number`);
    out[f.path] = v;
  }
  return out;
}

/** @internal One HE section entry for a ciphertext. */
export async function toEntry(ct: HeCiphertext, part: number): Promise<HeEntry> {
  const { encodeCiphertext } = await she();
  return {
    path: ct.path,
    part,
    scheme: ct.scheme,
    paramsId: utf8(ct.paramsId),
    keyId: hexToBytes(ct.keyId),
    layout: ct.layout,
    count: ct.count,
    ciphertext: encodeCiphertext(ct),
  };
}

function jsonBytes(v: JsonValue, what: string): Uint8Array {
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch (e) {
    fail('ERR_CORE_RECORD', `${what} is not serialisable as JSON: ${(e as Error).message}`, e);
  }
  if (text === undefined) fail('ERR_CORE_RECORD', `${what} is not serialisable as JSON`);
  return utf8(text);
}

/** @internal */
export async function encryptRecordWith(platform: Platform, record: JsonObject, opts: EncryptRecordOptions): Promise<Uint8Array | string> {
  checkJsonObject(record, 'record');
  const { client, dispose } = await resolveClient(opts);
  let he: HeSection;
  try {
    const ct = client.encryptRecord(fieldValues(client, record, 'record'), { path: RECORD_HE_PATH });
    he = { metadata: utf8(RECORD_META), entries: [await toEntry(ct, 0)] };
  } finally {
    dispose();
  }
  return encryptAny(platform, jsonBytes(record, 'record'), { ...opts }, { he }) as Promise<Uint8Array | string>;
}

/** @internal */
export async function encryptDatasetWith(platform: Platform, records: readonly JsonObject[], opts: EncryptRecordOptions): Promise<Uint8Array | string> {
  if (!Array.isArray(records) || records.length === 0) fail('ERR_CORE_RECORD', 'dataset must be a non-empty array of JSON objects');
  records.forEach((r, i) => checkJsonObject(r, `record ${i}`));
  const { client, dispose } = await resolveClient(opts);
  const entries: HeEntry[] = [];
  try {
    const rows = records.map((r, i) => fieldValues(client, r, `record ${i}`));
    for (const f of client.schema.fields) {
      const cts = client.encryptColumn(f.path, rows.map((r) => r[f.path]!));
      for (let p = 0; p < cts.length; p++) entries.push(await toEntry(cts[p]!, p));
    }
  } finally {
    dispose();
  }
  const he: HeSection = { metadata: utf8(DATASET_META), entries };
  return encryptAny(platform, jsonBytes(records as JsonValue[], 'dataset'), { ...opts }, { he }) as Promise<Uint8Array | string>;
}

/**
 * @internal The HE ciphertexts of a parsed header (NOT authenticated unless the caller authenticated
 * that header), checking that each entry's container fields agree with the ciphertext's own
 * canonical metadata.
 */
export async function heCiphertextsOf(header: ParsedHeader): Promise<HeCiphertext[]> {
  if (!header.he) return [];
  const { decodeCiphertext } = await she();
  return header.he.entries.map((e) => {
    const ct = decodeCiphertext(e.ciphertext);
    const same =
      ct.path === e.path &&
      ct.scheme === e.scheme &&
      ct.layout === e.layout &&
      ct.count === e.count &&
      ct.paramsId === new TextDecoder().decode(e.paramsId) &&
      ct.keyId === Array.from(e.keyId, (b) => b.toString(16).padStart(2, '0')).join('');
    if (!same) fail('ERR_CORE_HE_FIELD', `HE entry "${e.path}" part ${e.part} disagrees with its ciphertext`);
    return ct;
  });
}

/** @internal Reads every HE ciphertext of an envelope's header (no key; NOT authenticated). */
export async function heCiphertexts(envelope: Uint8Array | string): Promise<HeCiphertext[]> {
  const { bytes } = binaryEnvelope(envelope);
  return heCiphertextsOf(parseHeader(bytes));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function sameValueInfo(a: HeCiphertext, b: HeCiphertext): boolean {
  if (a.values.length !== b.values.length) return false;
  return a.values.every((v, i) => {
    const w = b.values[i]!;
    return v.path === w.path && v.type === w.type && v.decimals === w.decimals && v.slot === w.slot && v.length === w.length && v.min === w.min && v.max === w.max;
  });
}

function closeEnough(type: FieldSpec['type'], got: number, want: number, f: FieldSpec): boolean {
  if (type !== 'real') return Object.is(got, want);
  // CKKS is approximate: the tolerance HeClient itself allows around a field's range.
  return Math.abs(got - want) <= 1e-3 * Math.max(1, Math.abs(f.min), Math.abs(f.max));
}

/**
 * @internal The owner's check of an authenticated HE section against the decrypted payload. The
 * header MAC only proves that the SENDER bound these ciphertexts; a sender can bind anything (HE 300,
 * JSON 30, range 0..130). This refuses, with `ERR_CORE_HE_FIELD`, unless the HE section is exactly
 * what nqc writes for this payload under `client`'s schema: the record/dataset kind, one entry per
 * expected ciphertext and no other, each with the canonical metadata (paths, types, slots, declared
 * bounds, counts, key and parameters), every payload value inside its schema range, and every HE
 * value decrypting to the payload's value.
 */
async function checkHeAgainstPayload(client: HeClient, kind: 'record' | 'dataset', he: HeSection | undefined, cts: readonly HeCiphertext[], value: JsonValue): Promise<void> {
  const meta = kind === 'record' ? RECORD_META : DATASET_META;
  if (!he || new TextDecoder().decode(he.metadata) !== meta) fail('ERR_CORE_HE_FIELD', `the envelope is not an HE ${kind} envelope`);
  const rows = kind === 'record' ? [value as JsonObject] : (value as JsonValue[]).map((r, i) => checkJsonObject(r, `record ${i}`));
  if (rows.length === 0) fail('ERR_CORE_HE_FIELD', 'the dataset payload holds no records');
  const where = (i: number) => (kind === 'record' ? 'payload' : `record ${i}`);
  const plain = rows.map((r, i) => fieldValues(client, r, where(i)));
  const fields = client.schema.fields;
  for (const f of fields) {
    plain.forEach((p, i) => {
      const v = p[f.path]!;
      if (v < f.min || v > f.max) fail('ERR_CORE_HE_FIELD', `${where(i)}: field "${f.path}" is ${v}, outside its declared range [${f.min}, ${f.max}]`);
    });
  }
  // What nqc writes for this payload: compared entry by entry (no extra, no missing, same order).
  let want: HeCiphertext[];
  try {
    const parts = kind === 'record' ? [[client.encryptRecord(plain[0]!, { path: RECORD_HE_PATH })]] : fields.map((f) => client.encryptColumn(f.path, plain.map((p) => p[f.path]!)));
    // In header order: the container sorts entries by (path bytes, part).
    const bytesOf = (p: string) => utf8(p);
    want = parts
      .map((cts) => ({ key: bytesOf(cts[0]!.path), cts }))
      .sort((a, b) => compareBytes(a.key, b.key))
      .flatMap((x) => x.cts);
  } catch (e) {
    return fail('ERR_CORE_HE_FIELD', `the payload's values do not fit the HE schema: ${(e as Error).message}`, e);
  }
  if (cts.length !== want.length) fail('ERR_CORE_HE_FIELD', `the HE section has ${cts.length} ciphertexts where the payload needs ${want.length}`);
  const typeOf = new Map(fields.map((f) => [f.path, f]));
  for (let i = 0; i < want.length; i++) {
    const got = cts[i]!;
    const exp = want[i]!;
    const same =
      got.kind === 'field' && got.op === exp.op && got.path === exp.path && got.scheme === exp.scheme && got.layout === exp.layout &&
      got.count === exp.count && got.paramsId === exp.paramsId && got.keyId === exp.keyId && sameValueInfo(got, exp);
    if (!same) fail('ERR_CORE_HE_FIELD', `HE ciphertext ${i} ("${got.path}") is not the one the payload implies (metadata differs)`);
    const a = client.decrypt(got);
    const b = client.decrypt(exp);
    let k = 0;
    for (const v of exp.values) {
      const f = typeOf.get(v.path)!;
      for (let j = 0; j < v.length; j++, k++) {
        if (!closeEnough(f.type, a[k]!, b[k]!, f)) fail('ERR_CORE_HE_FIELD', `HE field "${v.path}" disagrees with the payload`);
      }
    }
  }
}

/** @internal */
export async function decryptJsonWith(
  platform: Platform,
  envelope: Uint8Array | string,
  opts: DecryptRecordOptions,
  kind: 'record' | 'dataset',
): Promise<{ value: JsonValue; result: DecryptResult; cts: HeCiphertext[] }> {
  const client = opts?.he === undefined ? undefined : checkClient(opts.he);
  const result = (await decryptAny(platform, envelope, opts)) as DecryptResult;
  let value: JsonValue;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(result.plaintext)) as JsonValue;
  } catch (e) {
    return fail('ERR_CORE_RECORD', `payload is not JSON: ${(e as Error).message}`, e);
  }
  if (kind === 'record') checkJsonObject(value, 'payload');
  else if (!Array.isArray(value)) fail('ERR_CORE_RECORD', 'payload must be a JSON array of records');
  // The header is authenticated now (decrypt checked the MAC over these very bytes): its HE
  // ciphertexts are the bound ones. Bound by the sender, which may lie: hence the check below.
  const header = client || result.info.he ? parseHeader(binaryEnvelope(envelope).bytes) : undefined;
  const cts = header ? await heCiphertextsOf(header) : [];
  if (client) await checkHeAgainstPayload(client, kind, header?.he, cts, value);
  return { value, result, cts };
}

/** Options of {@link extractHeFields}. */
export interface ExtractHeFieldsOptions {
  /**
   * Trusted writers (verifying keys, `nqc-pub-...` strings or Keysets). When given, the envelope's
   * keyless signature (FORMAT.md section 8: header minus stanzas, HE section and the whole payload
   * ciphertext) is verified first and the HE fields are taken from the very header that was
   * verified; an unsigned envelope, an invalid signature or a signer not in the list is refused
   * with `ERR_CORE_SIGNER_UNTRUSTED`. Without it nothing is authenticated.
   */
  readonly requireSigners?: VerifierInput | readonly VerifierInput[] | undefined;
}

/** An envelope as {@link extractHeFields} and {@link aggregate} take it. */
export type HeEnvelopeInput = Uint8Array | string | SeekableSource;

/** @internal Platform pieces of the HE functions (the Node entry passes node:crypto and the worker evaluator). */
export interface HePlatform {
  readonly provider?: CryptoProvider | undefined;
  /** Starts an evaluator for an encoded bundle; `close` frees it. */
  evaluatorFor(bundle: Uint8Array): Promise<{ readonly ev: AggregateEvaluator; close(): Promise<void> | void }>;
}

function isSource(x: unknown): x is SeekableSource {
  return typeof x === 'object' && x !== null && !(x instanceof Uint8Array) && typeof (x as SeekableSource).read === 'function' && typeof (x as SeekableSource).size === 'number';
}

async function headerOfSource(src: SeekableSource): Promise<ParsedHeader> {
  const read = async (length: number) => {
    const b = await src.read(0, length);
    if (!(b instanceof Uint8Array) || b.length !== length) throw new NqcFormatError('ERR_FORMAT_TRUNCATED', `source returned ${b?.length} of ${length} bytes`);
    return b;
  };
  if (src.size < PRELUDE_LENGTH) return parseHeader(await read(src.size));
  const length = parsePrelude(await read(PRELUDE_LENGTH));
  if (src.size < length) fail('ERR_CORE_INVALID_ARGUMENT', 'envelope ends inside its header');
  return parseHeader(await read(length));
}

/** @internal The header of one envelope input, signature-verified when `trusted` is given. */
async function envelopeHeader(input: HeEnvelopeInput, trusted: readonly Verifier[] | undefined, platform: Pick<HePlatform, 'provider'>, what: string): Promise<ParsedHeader> {
  let src: SeekableSource;
  if (isSource(input)) src = input;
  else if (input instanceof Uint8Array || typeof input === 'string') src = bytesSource(binaryEnvelope(input).bytes);
  else return fail('ERR_CORE_INVALID_ARGUMENT', `${what}: expected envelope bytes, armored text, a SeekableSource or an HE ciphertext`);
  if (!trusted) return headerOfSource(src);
  try {
    const opts = platform.provider ? { provider: platform.provider } : {};
    return (await verifyEnvelopeSignature(src, verifierFor(trusted), opts)).header;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ERR_CORE_SIGNER_UNTRUSTED') fail('ERR_CORE_SIGNER_UNTRUSTED', `${what}: ${(e as Error).message}`, e);
    if (code === 'ERR_FORMAT_SIGNATURE_REQUIRED') fail('ERR_CORE_SIGNER_UNTRUSTED', `${what} is not signed, and a signer is required`, e);
    if (code === 'ERR_FORMAT_SIGNATURE_INVALID' || code === 'ERR_FORMAT_SIGNATURE_ENCODING') fail('ERR_CORE_SIGNER_UNTRUSTED', `${what}: the signature does not verify`, e);
    throw e;
  }
}

function trustedOf(requireSigners: ExtractHeFieldsOptions['requireSigners']): Verifier[] | undefined {
  return requireSigners === undefined ? undefined : toVerifiers(requireSigners);
}

function fieldsAt(all: readonly HeCiphertext[], path: string): HeCiphertext[] {
  return all.filter((c) => c.path === path || (c.layout === 'record' && c.values.some((v) => v.path === path)));
}

/** @internal {@link extractHeFields} on a platform. */
export async function extractHeFieldsWith(platform: Pick<HePlatform, 'provider'>, envelope: HeEnvelopeInput, path: string, opts?: ExtractHeFieldsOptions): Promise<HeCiphertext[]> {
  if (typeof path !== 'string' || path.length === 0) fail('ERR_CORE_INVALID_ARGUMENT', '"path" expected a non-empty string');
  if (opts !== undefined && (typeof opts !== 'object' || opts === null)) fail('ERR_CORE_INVALID_ARGUMENT', '"options" expected an object like { requireSigners }');
  const header = await envelopeHeader(envelope, trustedOf(opts?.requireSigners), platform, 'envelope');
  return fieldsAt(await heCiphertextsOf(header), path);
}

/**
 * The HE ciphertexts of one field in an envelope, read from the header WITHOUT any decryption key:
 * what a server does. For a dataset envelope these are the column parts of `path`; for a record
 * envelope, the record ciphertext if it holds `path`.
 *
 * Not authenticated by default: the header MAC needs the file key, which the server does not have,
 * so a server cannot tell a genuine envelope from a forged one (anyone with the HE public material
 * could write one). With `requireSigners` the envelope's keyless signature is verified (the whole
 * envelope is read, in 1 MiB pieces for a `SeekableSource`) and the fields come from the verified
 * header: they were written by a trusted signer. Neither says the values are honest (in range, equal
 * to the payload): only the owner can check that, by decrypting with `he` (see {@link decryptRecord}).
 *
 * @param envelope - binary or armored envelope, or a `SeekableSource` of a binary one (read header
 *   only, or whole with `requireSigners`)
 * @param path - field path, e.g. `age`
 * @param opts - `requireSigners`: trusted writers
 * @returns ciphertexts (empty when the envelope has no such field)
 * @throws NqcFormatError structural codes; NqcSheError `ERR_SHE_FORMAT`; NqcCoreError
 *   `ERR_CORE_HE_FIELD`, `ERR_CORE_SIGNER_UNTRUSTED` (with `requireSigners`)
 * @example
 * ```ts
 * const cts = (await Promise.all(envelopes.map((e) => extractHeFields(e, 'age', { requireSigners: [clinic] })))).flat();
 * const total = await aggregate(cts, { op: 'sum', path: 'age', evaluator });
 * ```
 */
export function extractHeFields(envelope: HeEnvelopeInput, path: string, opts?: ExtractHeFieldsOptions): Promise<HeCiphertext[]> {
  return extractHeFieldsWith({}, envelope, path, opts);
}

/**
 * What {@link aggregate} computes with: `HeEvaluator` from `@nqc/she` (in this thread) or
 * `HeWorkerEvaluator` from `@nqc/she/node` (in a worker thread, a SEAL abort contained).
 */
export interface AggregateEvaluator {
  count(inputs: readonly HeCiphertext[]): number | Promise<number>;
  sum(inputs: readonly HeCiphertext[], path: string): HeCiphertext | Promise<HeCiphertext>;
  mean(inputs: readonly HeCiphertext[], path: string): HeMean | Promise<HeMean>;
  /**
   * `true` if `sum` and `mean` continue an earlier `sum` result passed as their first input (as
   * `HeEvaluator` and `HeWorkerEvaluator` do): {@link aggregate} then folds the inputs in batches
   * of 32 into one running result and holds no more than one batch. Absent
   * (an evaluator written before running sums), every ciphertext is collected and passed in one
   * call, as before.
   */
  readonly runningSums?: boolean | undefined;
}

/**
 * @internal Ciphertexts {@link aggregate} folds into its running result per evaluator call (with an
 * evaluator that has `runningSums`): memory holds at most this many plus the running result,
 * whatever the number of envelopes.
 */
export const AGGREGATE_BATCH = 32;

/** Options of {@link aggregate}. */
export interface AggregateOptions {
  /** `sum` (encrypted), `mean` (encrypted sum + public count), `count` (public number of records). */
  readonly op: 'sum' | 'mean' | 'count';
  /** Field path. */
  readonly path: string;
  /**
   * The server's evaluator (`HeEvaluator.create(bundle)`, or a `HeWorkerEvaluator`), or the
   * evaluation bundle itself (an `EvaluationBundle` or its encoding). With a bundle, an evaluator
   * is started for this call and freed after it: in this browser-safe entry in the calling thread;
   * in `@nqc/core/node` in a worker thread, so that a SEAL abort on a crafted bundle or ciphertext
   * fails this call with `ERR_SHE_SEAL_FATAL` and leaves the process's SEAL usable. Not needed for
   * `count` (public metadata).
   */
  readonly evaluator?: AggregateEvaluator | EvaluationBundle | Uint8Array | undefined;
  /**
   * Trusted writers: every envelope's keyless signature is verified (the whole envelope is read)
   * before its fields are added, and unsigned, invalid or foreign-signed envelopes are refused with
   * `ERR_CORE_SIGNER_UNTRUSTED`; raw `HeCiphertext` inputs are refused too (they carry no
   * signature). See {@link ExtractHeFieldsOptions.requireSigners}.
   */
  readonly requireSigners?: VerifierInput | readonly VerifierInput[] | undefined;
}

function isEvaluator(x: unknown): x is AggregateEvaluator {
  const e = x as AggregateEvaluator;
  return typeof e === 'object' && e !== null && typeof e.sum === 'function' && typeof e.mean === 'function' && typeof e.count === 'function';
}

/** @internal {@link aggregate} on a platform. */
export async function aggregateWith(
  platform: HePlatform,
  inputs: Iterable<HeEnvelopeInput | HeCiphertext> | AsyncIterable<HeEnvelopeInput | HeCiphertext>,
  opts: AggregateOptions,
): Promise<HeCiphertext | HeMean | number> {
  if (typeof opts !== 'object' || opts === null) fail('ERR_CORE_INVALID_ARGUMENT', '"options" expected an object');
  if (opts.op !== 'sum' && opts.op !== 'mean' && opts.op !== 'count') fail('ERR_CORE_INVALID_ARGUMENT', `"op" expected sum, mean or count, got ${String(opts.op)}`);
  if (typeof opts.path !== 'string' || opts.path.length === 0) fail('ERR_CORE_INVALID_ARGUMENT', '"path" expected a non-empty string');
  const trusted = trustedOf(opts.requireSigners);
  const { EvaluationBundle: Bundle } = await she();
  const given = opts.evaluator;
  if (given !== undefined && !isEvaluator(given) && !(given instanceof Bundle) && !(given instanceof Uint8Array)) {
    fail('ERR_CORE_INVALID_ARGUMENT', '"evaluator" expected an HeEvaluator, an HeWorkerEvaluator or an evaluation bundle');
  }
  if (given === undefined && opts.op !== 'count') fail('ERR_CORE_INVALID_ARGUMENT', `"evaluator" is required for ${opts.op}`);
  const op = opts.op;
  const path = opts.path;
  let ev: AggregateEvaluator | undefined;
  let close: () => Promise<void> | void = () => undefined;
  try {
    // Constant memory: ciphertexts are folded, AGGREGATE_BATCH at a time, into one running result
    // (a running count with no evaluator), as envelopes are read one at a time.
    let seen = 0;
    let records = 0;
    let run: HeCiphertext | undefined;
    let mean: HeMean | undefined;
    let batch: HeCiphertext[] = [];
    const fold = async (): Promise<void> => {
      const b = batch;
      batch = [];
      if (!ev || b.length === 0) return;
      if (op === 'count') records += await ev.count(b);
      else if (op === 'mean') {
        mean = await ev.mean(run ? [run, ...b] : b, path);
        run = mean.sum;
      } else run = await ev.sum(run ? [run, ...b] : b, path);
    };
    const add = async (c: HeCiphertext): Promise<void> => {
      seen++;
      if (!ev) {
        records += c.count;
        return;
      }
      batch.push(c);
      if (batch.length >= AGGREGATE_BATCH && ev.runningSums === true) await fold();
    };
    let i = 0;
    for await (const x of inputs) {
      const what = `input ${i++}`;
      let cts: HeCiphertext[];
      if (x instanceof Uint8Array || typeof x === 'string' || isSource(x)) {
        cts = fieldsAt(await heCiphertextsOf(await envelopeHeader(x, trusted, platform, what)), path);
      } else {
        if (trusted) fail('ERR_CORE_SIGNER_UNTRUSTED', `${what} is a bare HE ciphertext, which carries no signature: pass the envelope when signers are required`);
        cts = [x as HeCiphertext];
      }
      // The evaluator starts once the first field is found (a bundle is loaded only then, as before).
      if (cts.length > 0 && !ev && given !== undefined) {
        if (isEvaluator(given)) ev = given;
        else ({ ev, close } = await platform.evaluatorFor(given instanceof Uint8Array ? given : await (given as EvaluationBundle).encode()));
      }
      for (const c of cts) await add(c);
    }
    await fold();
    if (seen === 0) fail('ERR_CORE_HE_FIELD', `no HE field "${path}" in the inputs`);
    if (op === 'count') return records;
    return op === 'mean' ? mean! : run!;
  } finally {
    await close();
  }
}

/** The browser-safe HE platform: SEAL in the calling thread. */
const inProcess: HePlatform = {
  async evaluatorFor(bundle) {
    const { EvaluationBundle: Bundle, HeEvaluator: Evaluator } = await she();
    const ev = await Evaluator.create(await Bundle.decode(bundle));
    return { ev, close: () => ev.dispose() };
  },
};

/**
 * Server side: aggregates one field over many envelopes (or ciphertexts already extracted) with the
 * evaluation bundle only. Envelopes are read header-only, one at a time (whole, to verify their
 * signatures, with `requireSigners`).
 *
 * What a keyless server can check: with `requireSigners`, WHO wrote each envelope (its signature
 * covers the HE section). What it cannot: that the HE values are honest (in range, equal to the
 * payload). A trusted signer can still bind wrong values; the owner detects that by decrypting the
 * envelope with `he` ({@link decryptRecord}).
 *
 * @param inputs - envelopes (bytes, armored text, `SeekableSource`) and/or ciphertexts from
 *   {@link extractHeFields}; an iterable or async iterable
 * @param opts - op, path, evaluator, requireSigners
 * @returns `sum`: an encrypted result; `mean`: `{ sum, count }`; `count`: a number
 * @throws NqcCoreError `ERR_CORE_HE_FIELD` (no such field), `ERR_CORE_SIGNER_UNTRUSTED` (with
 *   `requireSigners`), `ERR_CORE_INVALID_ARGUMENT`; NqcSheError `ERR_SHE_OVERFLOW`,
 *   `ERR_SHE_KEY_MISMATCH`, `ERR_SHE_NOISE_BUDGET`, `ERR_SHE_SEAL_FATAL`, ...
 * @example
 * ```ts
 * const evaluator = await HeEvaluator.create(bundle);
 * const mean = await aggregate(envelopes, { op: 'mean', path: 'age', evaluator, requireSigners: [clinicKey] });
 * // owner: decryptAggregate(mean, client)
 * ```
 */
export function aggregate(
  inputs: Iterable<HeEnvelopeInput | HeCiphertext> | AsyncIterable<HeEnvelopeInput | HeCiphertext>,
  opts: AggregateOptions,
): Promise<HeCiphertext | HeMean | number> {
  return aggregateWith(inProcess, inputs, opts);
}

/**
 * Owner side: decrypts an aggregate into a number (a mean is divided by its count here).
 * @param result - from {@link aggregate}
 * @param he - the owner's HE client
 * @throws NqcSheError `ERR_SHE_KEY_MISMATCH`, `ERR_SHE_DECRYPT`
 */
export function decryptAggregate(result: HeCiphertext | HeMean | number, he: HeClient): number {
  if (typeof result === 'number') return result;
  const client = checkClient(he);
  if ('sum' in result && 'count' in result && typeof result.count === 'number' && !('ciphertext' in result)) return client.decryptMean(result);
  const v = client.decrypt(result as HeCiphertext);
  if (v.length !== 1) throw new NqcCoreError('ERR_CORE_HE_FIELD', 'aggregate result must hold one value');
  return v[0]!;
}

/**
 * Encrypts one JSON record: the whole record is the payload; the numeric fields named by the HE
 * client's schema are also encrypted (record layout: one SEAL ciphertext, field i in slot i) into the
 * HE section, bound by the header MAC (and the signature, if any) with their paths.
 *
 * @param record - a JSON object; every schema field (dotted path, e.g. `patient.age`) must be a number in range
 * @param opts - recipients, he (the owner's HeClient), signer, armor, nde, aead, chunkSize
 * @throws NqcCoreError `ERR_CORE_RECORD`; NqcSheError `ERR_SHE_RANGE`, `ERR_SHE_SCHEMA`; as `encrypt`
 * @example
 * ```ts
 * const client = await HeClient.create(heKeys, defineSchema([{ path: 'age', type: 'integer', min: 0, max: 130 }]));
 * const env = await encryptRecord({ name: 'Ada', age: 36 }, { recipients: [me], he: client });
 * ```
 */
export function encryptRecord(record: JsonObject, opts: EncryptRecordOptions & { armor: true }): Promise<string>;
export function encryptRecord(record: JsonObject, opts: EncryptRecordOptions): Promise<Uint8Array>;
export function encryptRecord(record: JsonObject, opts: EncryptRecordOptions): Promise<Uint8Array | string> {
  return encryptRecordWith(browserPlatform, record, opts);
}

/**
 * Encrypts many records as one dataset envelope: the JSON array is the payload; each schema field is
 * column-packed (one SEAL ciphertext per `slots` records, e.g. 4096) into the HE section: the fast,
 * compact path for datasets (tens of bytes per value instead of tens of kilobytes per record).
 * @throws as {@link encryptRecord}
 */
export function encryptDataset(records: readonly JsonObject[], opts: EncryptRecordOptions & { armor: true }): Promise<string>;
export function encryptDataset(records: readonly JsonObject[], opts: EncryptRecordOptions): Promise<Uint8Array>;
export function encryptDataset(records: readonly JsonObject[], opts: EncryptRecordOptions): Promise<Uint8Array | string> {
  return encryptDatasetWith(browserPlatform, records, opts);
}

/** Result of {@link decryptRecord}. */
export interface DecryptRecordResult extends Omit<DecryptResult, 'plaintext'> {
  /** The record. */
  readonly record: JsonObject;
  /** The (authenticated) HE ciphertexts of the envelope. */
  readonly heFields: readonly HeCiphertext[];
}

/**
 * Decrypts a record envelope (as `decrypt`, then parses the JSON). With `he`, the HE fields are
 * decrypted and checked against the payload.
 * @throws as `decrypt`; NqcCoreError `ERR_CORE_RECORD`, `ERR_CORE_HE_FIELD`
 */
export async function decryptRecord(envelope: Uint8Array | string, opts: DecryptRecordOptions): Promise<DecryptRecordResult> {
  const { value, result, cts } = await decryptJsonWith(browserPlatform, envelope, opts, 'record');
  return { record: value as JsonObject, heFields: cts, signer: result.signer, info: result.info };
}

/** Result of {@link decryptDataset}. */
export interface DecryptDatasetResult extends Omit<DecryptResult, 'plaintext'> {
  /** The records. */
  readonly records: JsonObject[];
  /** The (authenticated) HE ciphertexts of the envelope. */
  readonly heFields: readonly HeCiphertext[];
}

/** Decrypts a dataset envelope. @throws as {@link decryptRecord} */
export async function decryptDataset(envelope: Uint8Array | string, opts: DecryptRecordOptions): Promise<DecryptDatasetResult> {
  const { value, result, cts } = await decryptJsonWith(browserPlatform, envelope, opts, 'dataset');
  return { records: value as JsonObject[], heFields: cts, signer: result.signer, info: result.info };
}
