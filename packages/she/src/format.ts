// The plain-data form of an encrypted field or result, and its canonical byte serialisation.
//
// Format (all integers big-endian), version 1:
//   "NQHC" | u8 version=1 | u8 kind (1 field, 2 result) | u8 op | u8 scheme (1 bfv, 2 ckks)
//   | u8 layout (1 record, 2 column) | u8 scaleBits | str16 paramsId | 16 bytes keyId | str16 path
//   | u32 count | u16 nValues | nValues × ( str16 path | u8 type | u8 decimals | u32 slot | u32 length
//   | 8 bytes min | 8 bytes max )   (min/max: i64 scaled integers for BFV, f64 for CKKS)
//   | u32 ctLen | ctLen bytes of packed SEAL ciphertext (see _sealct.ts: bit-packed, fully validated)
// str16 = u16 byte length + UTF-8. Decoding is strict: every enum and length checked and capped,
// no trailing bytes, and the bytes must be exactly what `encodeCiphertext` would write back.
import { Reader, Writer, fromHex, toHex } from './_bytes.js';
import { fail } from './errors.js';
import { presetById, type HeScheme } from './params.js';
import { MAX_PATH_BYTES, checkPath, type FieldType } from './schema.js';
import { checkPacked } from './_sealct.js';

/** Layout: one record's fields in one ciphertext, or one field of many records in one ciphertext. */
export type HeLayout = 'record' | 'column';

/** What produced a ciphertext: client encryption, or one of the evaluator's operations. */
export type HeOp = 'encrypt' | 'sum' | 'weighted-sum' | 'product' | 'sum-of-squares';

/** Where a value (or run of values) sits in the ciphertext's slots, and how to read it. */
export interface HeValueInfo {
  /** Field path (for results, a description such as `sum(age)` or `age*weight`). */
  readonly path: string;
  readonly type: FieldType;
  /** Decimal digits of the scaled integer (BFV); 0 for integer and real. */
  readonly decimals: number;
  /** First slot. */
  readonly slot: number;
  /** Number of consecutive slots (records) holding values. */
  readonly length: number;
  /** Lower bound of every value: scaled integer (bigint) for BFV, number for CKKS. For results: the proved bound. */
  readonly min: bigint | number;
  /** Upper bound of every value, same units as `min`. */
  readonly max: bigint | number;
}

/**
 * An encrypted field value/column or an encrypted result: plain data, safe to store and send.
 * SEAL ciphertexts are NOT authenticated: a container must MAC {@link heBindingBytes} of it.
 */
export interface HeCiphertext {
  /** `field`: produced by a client from plaintext; `result`: produced by an evaluator. */
  readonly kind: 'field' | 'result';
  readonly op: HeOp;
  /** Field path (column layout), record path (record layout) or result name. */
  readonly path: string;
  readonly scheme: HeScheme;
  /** Parameter preset id (see `PRESETS`). */
  readonly paramsId: string;
  /** Id (32 lowercase hex characters) of the key set that encrypted it. */
  readonly keyId: string;
  readonly layout: HeLayout;
  /** Number of records covered (column: records in this ciphertext; record: 1; results: records aggregated). */
  readonly count: number;
  /** The values held, with their slots and bounds. */
  readonly values: readonly HeValueInfo[];
  /** CKKS: log2 of the nominal encoding scale (the exact scale is inside the SEAL ciphertext); BFV: 0. */
  readonly scaleBits: number;
  /** The SEAL ciphertext in nqc's packed form (bit-packed coefficients; seeded when fresh from a client). */
  readonly ciphertext: Uint8Array;
}

const MAGIC = Uint8Array.of(0x4e, 0x51, 0x48, 0x43); // "NQHC"
const OPS: readonly HeOp[] = ['encrypt', 'sum', 'weighted-sum', 'product', 'sum-of-squares'];
const TYPES: readonly FieldType[] = ['integer', 'fixed', 'real'];
/** Cap on the packed SEAL ciphertext inside an encoding: a full (unseeded) ciphertext of bfv-n8192 is ~356 KB. */
export const MAX_SEAL_CIPHERTEXT_BYTES = 1 << 20;
/** Cap on the number of value descriptors in one ciphertext. */
export const MAX_VALUES = 4096;
const MAX_PARAMS_ID = 64;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** @internal Checks that an object is a well-formed {@link HeCiphertext}. Returns it. */
export function checkCiphertext(ct: HeCiphertext, what = 'ciphertext'): HeCiphertext {
  const bad = (m: string): never => fail('ERR_SHE_FORMAT', `${what}: ${m}`);
  if (typeof ct !== 'object' || ct === null) bad('expected an object');
  if (ct.kind !== 'field' && ct.kind !== 'result') bad('kind must be field or result');
  if (!OPS.includes(ct.op)) bad('unknown op');
  if ((ct.kind === 'field') !== (ct.op === 'encrypt')) bad('kind and op disagree');
  if (ct.scheme !== 'bfv' && ct.scheme !== 'ckks') bad('scheme must be bfv or ckks');
  if (typeof ct.paramsId !== 'string' || ct.paramsId.length > MAX_PARAMS_ID) bad('bad paramsId');
  let preset;
  try {
    preset = presetById(ct.paramsId);
  } catch {
    return bad(`unknown paramsId`);
  }
  if (preset.id !== ct.paramsId || preset.scheme !== ct.scheme) bad('paramsId does not match scheme');
  try {
    fromHex(ct.keyId, 16, 'keyId');
    checkPath(ct.path);
  } catch (e) {
    return bad((e as Error).message);
  }
  if (ct.layout !== 'record' && ct.layout !== 'column') bad('layout must be record or column');
  if (!Number.isSafeInteger(ct.count) || ct.count < 1 || ct.count > 0xffffffff) bad('count must be an integer in 1..2^32-1');
  if (ct.scaleBits !== (ct.scheme === 'ckks' ? preset.scaleBits : 0)) bad('scaleBits does not match the parameters');
  if (!Array.isArray(ct.values) || ct.values.length < 1 || ct.values.length > MAX_VALUES) bad(`values must hold 1..${MAX_VALUES} entries`);
  if (ct.kind === 'field' && ct.layout === 'column' && (ct.values.length !== 1 || ct.values[0]!.length !== ct.count))
    bad('a column holds exactly one value run of length count');
  if (ct.kind === 'field' && ct.layout === 'record' && ct.count !== 1) bad('a record ciphertext has count 1');
  for (const v of ct.values) {
    if (typeof v !== 'object' || v === null) bad('value info expected an object');
    try {
      checkPath(v.path, 'value path');
    } catch (e) {
      return bad((e as Error).message);
    }
    if (!TYPES.includes(v.type)) bad('unknown value type');
    if ((v.type === 'real') !== (ct.scheme === 'ckks')) bad('value type does not match the scheme');
    if (!Number.isInteger(v.decimals) || v.decimals < 0 || v.decimals > 24 || (v.type !== 'fixed' && v.decimals !== 0))
      bad('bad decimals');
    if (!Number.isInteger(v.slot) || !Number.isInteger(v.length) || v.slot < 0 || v.length < 1 || v.slot + v.length > preset.slots)
      bad('slot range outside the ciphertext');
    if (ct.scheme === 'bfv') {
      if (typeof v.min !== 'bigint' || typeof v.max !== 'bigint') bad('BFV bounds must be bigint');
      if ((v.min as bigint) > (v.max as bigint) || (v.min as bigint) < I64_MIN || (v.max as bigint) > I64_MAX) bad('bad BFV bounds');
    } else {
      if (typeof v.min !== 'number' || typeof v.max !== 'number' || !Number.isFinite(v.min) || !Number.isFinite(v.max) || v.min > v.max)
        bad('bad CKKS bounds');
    }
  }
  if (!(ct.ciphertext instanceof Uint8Array)) bad('ciphertext expected Uint8Array');
  if (ct.ciphertext.length > MAX_SEAL_CIPHERTEXT_BYTES) bad('ciphertext too large');
  checkPacked(preset, ct.ciphertext, what);
  return ct;
}

/**
 * Serialises an encrypted field or result to its canonical bytes.
 *
 * @throws NqcSheError `ERR_SHE_FORMAT` if the object is malformed.
 */
export function encodeCiphertext(ct: HeCiphertext): Uint8Array {
  checkCiphertext(ct);
  const w = new Writer()
    .raw(MAGIC)
    .u8(1)
    .u8(ct.kind === 'field' ? 1 : 2)
    .u8(OPS.indexOf(ct.op))
    .u8(ct.scheme === 'bfv' ? 1 : 2)
    .u8(ct.layout === 'record' ? 1 : 2)
    .u8(ct.scaleBits)
    .str16(ct.paramsId)
    .raw(fromHex(ct.keyId, 16, 'keyId'))
    .str16(ct.path)
    .u32(ct.count)
    .u16(ct.values.length);
  for (const v of ct.values) {
    w.str16(v.path).u8(TYPES.indexOf(v.type)).u8(v.decimals).u32(v.slot).u32(v.length);
    if (ct.scheme === 'bfv') w.i64(v.min as bigint).i64(v.max as bigint);
    else w.f64(v.min as number).f64(v.max as number);
  }
  return w.bytes32(ct.ciphertext).finish();
}

/**
 * Parses bytes written by {@link encodeCiphertext}. Strict: unknown versions, bad enums, lengths over
 * their caps, truncation, trailing bytes and non-canonical encodings are all refused.
 *
 * @throws NqcSheError `ERR_SHE_FORMAT`
 */
export function decodeCiphertext(bytes: Uint8Array): HeCiphertext {
  if (!(bytes instanceof Uint8Array)) fail('ERR_SHE_FORMAT', 'ciphertext bytes expected Uint8Array');
  const r = new Reader(bytes, 'encrypted field');
  const magic = r.raw(4);
  if (magic.some((b, i) => b !== MAGIC[i])) fail('ERR_SHE_FORMAT', 'not an nqc encrypted field (bad magic)');
  const version = r.u8();
  if (version !== 1) fail('ERR_SHE_FORMAT', `unsupported encrypted field version ${version}`);
  const kind = r.u8();
  const op = r.u8();
  const scheme = r.u8();
  const layout = r.u8();
  if (kind !== 1 && kind !== 2) fail('ERR_SHE_FORMAT', 'bad kind');
  if (op >= OPS.length) fail('ERR_SHE_FORMAT', 'bad op');
  if (scheme !== 1 && scheme !== 2) fail('ERR_SHE_FORMAT', 'bad scheme');
  if (layout !== 1 && layout !== 2) fail('ERR_SHE_FORMAT', 'bad layout');
  const scaleBits = r.u8();
  const paramsId = r.str16(MAX_PARAMS_ID, 'paramsId');
  const keyId = toHex(r.raw(16));
  const path = r.str16(MAX_PATH_BYTES, 'path');
  const count = r.u32();
  const n = r.u16();
  if (n < 1 || n > MAX_VALUES) fail('ERR_SHE_FORMAT', `value count ${n} outside 1..${MAX_VALUES}`);
  const values: HeValueInfo[] = [];
  for (let i = 0; i < n; i++) {
    const vpath = r.str16(MAX_PATH_BYTES, 'value path');
    const t = r.u8();
    if (t >= TYPES.length) fail('ERR_SHE_FORMAT', 'bad value type');
    const decimals = r.u8();
    const slot = r.u32();
    const length = r.u32();
    const min = scheme === 1 ? r.i64() : r.f64();
    const max = scheme === 1 ? r.i64() : r.f64();
    values.push(Object.freeze({ path: vpath, type: TYPES[t]!, decimals, slot, length, min, max }));
  }
  const ciphertext = r.bytes32(MAX_SEAL_CIPHERTEXT_BYTES, 'SEAL ciphertext');
  r.end();
  const ct: HeCiphertext = Object.freeze({
    kind: kind === 1 ? 'field' : 'result',
    op: OPS[op]!,
    path,
    scheme: scheme === 1 ? 'bfv' : 'ckks',
    paramsId,
    keyId,
    layout: layout === 1 ? 'record' : 'column',
    count,
    values: Object.freeze(values),
    scaleBits,
    ciphertext,
  });
  checkCiphertext(ct, 'encrypted field');
  // Canonical: only one byte string per object (e.g. no alternative NaN/-0 encodings of bounds).
  const again = encodeCiphertext(ct);
  if (again.length !== bytes.length || again.some((b, i) => b !== bytes[i])) fail('ERR_SHE_FORMAT', 'encrypted field is not canonically encoded');
  return ct;
}

const BIND_LABEL = new TextEncoder().encode('nqc/v1/she/field\0');

/**
 * The exact bytes a container must authenticate (MAC or sign) for one encrypted field or result:
 * a domain label followed by the canonical encoding, which covers the path, scheme, parameters,
 * key id, layout, count, slot map, bounds and the SEAL ciphertext. SEAL ciphertexts are malleable
 * and unauthenticated; binding all of this stops swapping paths, values or bounds.
 */
export function heBindingBytes(ct: HeCiphertext): Uint8Array {
  const enc = encodeCiphertext(ct);
  const out = new Uint8Array(BIND_LABEL.length + enc.length);
  out.set(BIND_LABEL, 0);
  out.set(enc, BIND_LABEL.length);
  return out;
}

