/**
 * Groups of additive HE fields: a histogram (one 0/1 indicator field per bin) or a grouped sum (one
 * field per group, holding the value inside its group and 0 elsewhere). The client writes the fields
 * (column-packed) into each record; the server adds ciphertexts only (`sumSlots`: no Galois keys);
 * the owner decrypts each group's slots and adds them locally. Browser-safe (the page uses it).
 * @module
 */
import type { FieldSpec } from '@nqc/she';

/** One bin of a histogram over a numeric value: `min <= value < max` (`max` omitted: no upper bound). */
export interface Bin {
  /** The bin's name, also the last part of its field path (`<group>.<key>`). */
  readonly key: string;
  /** Inclusive lower bound. */
  readonly min: number;
  /** Exclusive upper bound; omitted for the last bin. */
  readonly max?: number;
}

/** A group of HE fields the server can add up slot by slot. */
export interface GroupSpec {
  /** The group's name: the first part of its fields' paths (`age_bins`, `amount_by_category`). */
  readonly name: string;
  /** `histogram`: counts per bin; `groupSum`: a sum per group key. */
  readonly kind: 'histogram' | 'groupSum';
  /** What is counted or summed (a label for people: `age`, `amount`). */
  readonly of: string;
  /** The keys, in display order. */
  readonly keys: readonly string[];
}

/** Largest number of fields in a group (each costs one column ciphertext per envelope). */
export const MAX_GROUP_KEYS = 32;

/** A group name or key: letters, digits, `_`, `-`, `+` (no `.`: it separates the path). */
const NAME = /^[A-Za-z0-9_+-]{1,40}$/;

/**
 * Checks a group name (what an aggregate request names).
 * @param name - e.g. `age_bins`
 * @returns whether it is a well-formed group name
 */
export function isGroupName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name);
}

/** The field path of one key of a group: `<group>.<key>`. */
export const groupPath = (group: string, key: string): string => `${group}.${key}`;

/**
 * The bin a value falls in.
 * @param bins - ordered, contiguous bins
 * @param value - the value
 * @returns the bin's key
 * @throws RangeError if no bin holds the value
 */
export function binOf(bins: readonly Bin[], value: number): string {
  for (const b of bins) if (value >= b.min && (b.max === undefined || value < b.max)) return b.key;
  throw new RangeError(`no bin holds ${value}`);
}

/**
 * The HE field specs of a histogram's indicators: integer 0..1 each.
 * @param name - the group name
 * @param bins - its bins
 */
export function histogramFields(name: string, bins: readonly Bin[]): FieldSpec[] {
  return bins.map((b) => ({ path: groupPath(name, b.key), type: 'integer', min: 0, max: 1 }));
}

/**
 * The HE field specs of a grouped sum: each like `like` (its type, decimals and range must include 0).
 * @param name - the group name
 * @param keys - the group keys
 * @param like - the summed field's spec
 */
export function groupSumFields(name: string, keys: readonly string[], like: FieldSpec): FieldSpec[] {
  return keys.map((k) => ({ ...like, path: groupPath(name, k), min: Math.min(like.min, 0), max: Math.max(like.max, 0) }));
}

/**
 * A record's indicators: `{ key: 1 }` for its bin, 0 for the others (stored nested: `{ group: {...} }`).
 * @param bins - the bins
 * @param value - the record's value
 */
export function oneHot(bins: readonly Bin[], value: number): Record<string, number> {
  const hit = binOf(bins, value);
  return Object.fromEntries(bins.map((b) => [b.key, b.key === hit ? 1 : 0]));
}

/**
 * A record's grouped-sum fields: `value` under its own key, 0 under the others.
 * @param keys - the group keys
 * @param key - the record's group
 * @param value - the record's value
 */
export function spread(keys: readonly string[], key: string, value: number): Record<string, number> {
  if (!keys.includes(key)) throw new RangeError(`unknown group key ${key}`);
  return Object.fromEntries(keys.map((k) => [k, k === key ? value : 0]));
}
