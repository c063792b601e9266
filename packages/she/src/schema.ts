// Field schema: which numeric fields are encrypted, how they are encoded, and the range each may take.
// The ranges are what lets the evaluator prove, before computing, that a result fits.
import { utf8Length } from './_bytes.js';
import { fail } from './errors.js';
import type { HeScheme } from './params.js';

/**
 * How a field's numbers are encoded.
 * - `integer`: whole numbers (BFV, exact).
 * - `fixed`: decimals with a fixed number of digits, stored as scaled integers (e.g. cents with
 *   `decimals: 2`; BFV, exact).
 * - `real`: floating-point numbers (CKKS, approximate).
 */
export type FieldType = 'integer' | 'fixed' | 'real';

/** One field of a schema. */
export interface FieldSpec {
  /** Where the field lives in the record (e.g. `"patient.age"`); at most 1024 UTF-8 bytes. */
  readonly path: string;
  readonly type: FieldType;
  /** Smallest allowed value, in user units (e.g. `-100.5` for a fixed field with 1 decimal). */
  readonly min: number;
  /** Largest allowed value, in user units. */
  readonly max: number;
  /** `fixed` only: digits after the decimal point, 1..12. */
  readonly decimals?: number;
}

/** A validated schema: an ordered list of fields (the order gives the slots in the record layout). */
export interface HeSchema {
  readonly scheme: HeScheme;
  readonly fields: readonly FieldSpec[];
}

/** @internal Maximum UTF-8 length of a path. */
export const MAX_PATH_BYTES = 1024;

/**
 * Validates a list of fields and fixes their order.
 * Integer and fixed fields make a BFV schema; real fields a CKKS schema; mixing them is refused
 * (use two key sets).
 *
 * @throws NqcSheError `ERR_SHE_SCHEMA` on an invalid field, duplicate path or mixed schemes.
 * @example
 * ```ts
 * const schema = defineSchema([
 *   { path: 'age', type: 'integer', min: 0, max: 130 },
 *   { path: 'balance', type: 'fixed', decimals: 2, min: -1e6, max: 1e6 },
 * ]);
 * ```
 */
export function defineSchema(fields: readonly FieldSpec[]): HeSchema {
  if (!Array.isArray(fields) || fields.length === 0) fail('ERR_SHE_SCHEMA', 'schema needs at least one field');
  const seen = new Set<string>();
  let scheme: HeScheme | undefined;
  const out: FieldSpec[] = [];
  for (const f of fields) {
    const spec = checkField(f);
    if (seen.has(spec.path)) fail('ERR_SHE_SCHEMA', `duplicate field path "${spec.path}"`);
    seen.add(spec.path);
    const s: HeScheme = spec.type === 'real' ? 'ckks' : 'bfv';
    if (scheme && s !== scheme) fail('ERR_SHE_SCHEMA', 'a schema cannot mix real (CKKS) and integer/fixed (BFV) fields');
    scheme = s;
    out.push(spec);
  }
  return Object.freeze({ scheme: scheme!, fields: Object.freeze(out) });
}

/** @internal Checks a path string. */
export function checkPath(path: unknown, what = 'path'): string {
  if (typeof path !== 'string' || path.length === 0) fail('ERR_SHE_SCHEMA', `"${what}" expected a non-empty string`);
  if (utf8Length(path) > MAX_PATH_BYTES) fail('ERR_SHE_SCHEMA', `"${what}" longer than ${MAX_PATH_BYTES} UTF-8 bytes`);
  if (/\p{Cs}/u.test(path)) fail('ERR_SHE_SCHEMA', `"${what}" is not well-formed Unicode`);
  return path;
}

function checkField(f: FieldSpec): FieldSpec {
  if (typeof f !== 'object' || f === null) fail('ERR_SHE_SCHEMA', 'field expected an object');
  const path = checkPath(f.path);
  const { type, min, max } = f;
  if (type !== 'integer' && type !== 'fixed' && type !== 'real')
    fail('ERR_SHE_SCHEMA', `field "${path}": type must be integer, fixed or real`);
  if (typeof min !== 'number' || typeof max !== 'number' || !Number.isFinite(min) || !Number.isFinite(max) || min > max)
    fail('ERR_SHE_SCHEMA', `field "${path}": min and max must be finite numbers with min <= max`);
  let decimals = 0;
  if (type === 'fixed') {
    decimals = f.decimals ?? -1;
    if (!Number.isInteger(decimals) || decimals < 1 || decimals > 12)
      fail('ERR_SHE_SCHEMA', `field "${path}": fixed fields need decimals in 1..12`);
  } else if (f.decimals !== undefined && f.decimals !== 0) {
    fail('ERR_SHE_SCHEMA', `field "${path}": decimals only apply to fixed fields`);
  }
  if (type !== 'real') {
    // Both bounds must be exactly representable as scaled safe integers.
    toScaled(min, decimals, `field "${path}" min`, 'ERR_SHE_SCHEMA');
    toScaled(max, decimals, `field "${path}" max`, 'ERR_SHE_SCHEMA');
  } else if (Math.abs(min) > 2 ** 52 || Math.abs(max) > 2 ** 52) {
    fail('ERR_SHE_SCHEMA', `field "${path}": real bounds must lie within ±2^52`);
  }
  return Object.freeze(type === 'fixed' ? { path, type, min, max, decimals } : { path, type, min, max });
}

/**
 * @internal Scales a user number to the integer that BFV encrypts (`value * 10^decimals`), refusing
 * values that are not exactly representable with that many decimals or not safe integers once scaled.
 */
export function toScaled(v: number, decimals: number, what: string, code: 'ERR_SHE_RANGE' | 'ERR_SHE_SCHEMA' = 'ERR_SHE_RANGE'): bigint {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(code, `${what}: expected a finite number`);
  const r = Math.round(v * 10 ** decimals);
  if (!Number.isSafeInteger(r)) fail(code, `${what}: ${v} scaled by 10^${decimals} is not a safe integer`);
  // Exact test, not a tolerance: the decimal r·10^-decimals must read back as the very same double
  // (0.29 * 100 = 28.999999999999996 rounds to 29 and "0.29" reads back as 0.29; 0.295 does not).
  const b = BigInt(r);
  if (fromScaled(b, decimals) !== v) fail(code, `${what}: ${v} is not representable with ${decimals} decimals`);
  return b;
}

/** @internal Converts a scaled integer back to a user number (exact when |v| < 2^53 and decimals = 0). */
export function fromScaled(v: bigint, decimals: number): number {
  if (decimals === 0) return Number(v);
  const neg = v < 0n;
  const a = neg ? -v : v;
  const p = 10n ** BigInt(decimals);
  const s = `${neg ? '-' : ''}${a / p}.${(a % p).toString().padStart(decimals, '0')}`;
  return Number(s);
}
