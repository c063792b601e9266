// Records and datasets: the whole JSON goes into the payload (AEAD, NDE, signature as usual); chosen
// numeric fields are also encrypted with @nqc/she into the header's HE section, where the header MAC
// binds every (path, part) -> ciphertext. A server reads the HE section without any key and computes
// on it; only the owner of the HE secret key decrypts results. node-seal is loaded only here, lazily.
import { parseHeader, type HeEntry, type HeSection } from '@nqc/container';
import type { EvaluationBundle, FieldSpec, HeCiphertext, HeClient, HeEvaluator, HeKeySet, HeMean } from '@nqc/she';
import { fail, NqcCoreError } from './errors.js';
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

async function toEntry(ct: HeCiphertext, part: number): Promise<HeEntry> {
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
 * @internal Reads every HE ciphertext of an envelope's header (no key; NOT authenticated), checking
 * that each entry's container fields agree with the ciphertext's own canonical metadata.
 */
export async function heCiphertexts(envelope: Uint8Array | string): Promise<HeCiphertext[]> {
  const { bytes } = binaryEnvelope(envelope);
  const header = parseHeader(bytes);
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

/** @internal */
export async function decryptJsonWith(
  platform: Platform,
  envelope: Uint8Array | string,
  opts: DecryptRecordOptions,
  kind: 'record' | 'dataset',
): Promise<{ value: JsonValue; result: DecryptResult; cts: HeCiphertext[] }> {
  const result = (await decryptAny(platform, envelope, opts)) as DecryptResult;
  let value: JsonValue;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(result.plaintext)) as JsonValue;
  } catch (e) {
    return fail('ERR_CORE_RECORD', `payload is not JSON: ${(e as Error).message}`, e);
  }
  if (kind === 'record') checkJsonObject(value, 'payload');
  else if (!Array.isArray(value)) fail('ERR_CORE_RECORD', 'payload must be a JSON array of records');
  // The header is authenticated now (decrypt checked the MAC): its HE ciphertexts are the bound ones.
  const cts = opts.he || result.info.he ? await heCiphertexts(envelope) : [];
  if (opts.he) {
    const client = checkClient(opts.he);
    if (kind === 'record') {
      const ct = cts.find((c) => c.layout === 'record');
      if (!ct) fail('ERR_CORE_HE_FIELD', 'record envelope has no record-layout HE ciphertext');
      const he = client.decryptRecord(ct);
      const plain = fieldValues(client, value as JsonObject, 'payload');
      for (const [p, v] of Object.entries(plain)) {
        if (!Object.is(he[p], v)) fail('ERR_CORE_HE_FIELD', `HE field "${p}" disagrees with the payload`);
      }
    } else {
      const rows = value as JsonObject[];
      for (const f of client.schema.fields) {
        const got = cts.filter((c) => c.path === f.path).flatMap((c) => client.decrypt(c));
        const want = rows.map((r, i) => fieldValues(client, checkJsonObject(r, `record ${i}`), `record ${i}`)[f.path]);
        if (got.length !== want.length || got.some((g, i) => !Object.is(g, want[i]))) fail('ERR_CORE_HE_FIELD', `HE column "${f.path}" disagrees with the payload`);
      }
    }
  }
  return { value, result, cts };
}

/**
 * The HE ciphertexts of one field in an envelope, read from the header WITHOUT any key: what a
 * server does. For a dataset envelope these are the column parts of `path`; for a record envelope,
 * the record ciphertext if it holds `path`.
 *
 * Not authenticated: the header MAC needs the file key, which the server does not have, so a server
 * cannot tell a genuine envelope from a forged one (anyone with the HE public material could write
 * one); only the owner, decrypting the envelope, checks that the fields are the bound ones.
 *
 * @param envelope - binary or armored envelope (only the header is parsed)
 * @param path - field path, e.g. `age`
 * @returns ciphertexts (empty when the envelope has no such field)
 * @throws NqcFormatError structural codes; NqcSheError `ERR_SHE_FORMAT`; NqcCoreError `ERR_CORE_HE_FIELD`
 * @example
 * ```ts
 * const cts = (await Promise.all(envelopes.map((e) => extractHeFields(e, 'age')))).flat();
 * const total = await aggregate(cts, { op: 'sum', path: 'age', evaluator });
 * ```
 */
export async function extractHeFields(envelope: Uint8Array | string, path: string): Promise<HeCiphertext[]> {
  if (typeof path !== 'string' || path.length === 0) fail('ERR_CORE_INVALID_ARGUMENT', '"path" expected a non-empty string');
  const all = await heCiphertexts(envelope);
  return all.filter((c) => c.path === path || (c.layout === 'record' && c.values.some((v) => v.path === path)));
}

/** Options of {@link aggregate}. */
export interface AggregateOptions {
  /** `sum` (encrypted), `mean` (encrypted sum + public count), `count` (public number of records). */
  readonly op: 'sum' | 'mean' | 'count';
  /** Field path. */
  readonly path: string;
  /** The server's evaluator (`HeEvaluator.create(bundle)`), or the evaluation bundle itself. */
  readonly evaluator: HeEvaluator | EvaluationBundle;
}

/**
 * Server side: aggregates one field over many envelopes (or ciphertexts already extracted) with the
 * evaluation bundle only. Envelopes are read header-only, one at a time.
 *
 * @param inputs - envelopes (bytes / armored) and/or ciphertexts from {@link extractHeFields}
 * @param opts - op, path, evaluator
 * @returns `sum`: an encrypted result; `mean`: `{ sum, count }`; `count`: a number
 * @throws NqcCoreError `ERR_CORE_HE_FIELD` (no such field); NqcSheError `ERR_SHE_OVERFLOW`,
 *   `ERR_SHE_KEY_MISMATCH`, `ERR_SHE_NOISE_BUDGET`, ...
 * @example
 * ```ts
 * const evaluator = await HeEvaluator.create(bundle);
 * const mean = await aggregate(envelopes, { op: 'mean', path: 'age', evaluator });
 * // owner: decryptAggregate(mean, client)
 * ```
 */
export async function aggregate(
  inputs: Iterable<Uint8Array | string | HeCiphertext>,
  opts: AggregateOptions,
): Promise<HeCiphertext | HeMean | number> {
  if (typeof opts !== 'object' || opts === null) fail('ERR_CORE_INVALID_ARGUMENT', '"options" expected an object');
  if (opts.op !== 'sum' && opts.op !== 'mean' && opts.op !== 'count') fail('ERR_CORE_INVALID_ARGUMENT', `"op" expected sum, mean or count, got ${String(opts.op)}`);
  const cts: HeCiphertext[] = [];
  for (const x of inputs) {
    if (x instanceof Uint8Array || typeof x === 'string') cts.push(...(await extractHeFields(x, opts.path)));
    else cts.push(x);
  }
  if (cts.length === 0) fail('ERR_CORE_HE_FIELD', `no HE field "${opts.path}" in the inputs`);
  const { EvaluationBundle: Bundle, HeEvaluator: Evaluator } = await she();
  const own = opts.evaluator instanceof Bundle;
  const ev = own ? await Evaluator.create(opts.evaluator as EvaluationBundle) : (opts.evaluator as HeEvaluator);
  try {
    if (opts.op === 'count') return ev.count(cts);
    if (opts.op === 'mean') return ev.mean(cts, opts.path);
    return ev.sum(cts, opts.path);
  } finally {
    if (own) ev.dispose();
  }
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
