import { NDE_KEY_LENGTH, NDE_MAX_CHUNK_INDEX, NDE_MAX_SALT_LENGTH } from './constants.js';
import { NqcNdeError } from './errors.js';
import type { NdeVersion } from './versions.js';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `length=${value.length}`;
  return `type=${typeof value}`;
}

/** @internal */
export function _checkBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || (length !== undefined && value.length !== length)) {
    const want = length === undefined ? 'Uint8Array' : `Uint8Array of length ${length}`;
    throw new NqcNdeError('ERR_NDE_INVALID_INPUT', `"${name}" expected ${want}, got ${describe(value)}`);
  }
}

/** @internal */
export function _checkKeySalt(key: unknown, salt: unknown): asserts key is Uint8Array {
  _checkBytes(key, 'key', NDE_KEY_LENGTH);
  _checkBytes(salt, 'salt');
  if ((salt as Uint8Array).length > NDE_MAX_SALT_LENGTH) {
    throw new NqcNdeError(
      'ERR_NDE_INVALID_INPUT',
      `"salt" expected Uint8Array of length at most ${NDE_MAX_SALT_LENGTH}, got length=${(salt as Uint8Array).length}`,
    );
  }
}

/** @internal */
export function _checkIndex(index: unknown, name = 'index'): asserts index is number {
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index > NDE_MAX_CHUNK_INDEX) {
    throw new NqcNdeError(
      'ERR_NDE_INVALID_INPUT',
      `"${name}" expected a non-negative safe integer, got ${typeof index === 'number' ? String(index) : `type=${typeof index}`}`,
    );
  }
}

/** @internal */
export function _checkItems(items: unknown): asserts items is { index: number; data: Uint8Array }[] {
  if (!Array.isArray(items)) {
    throw new NqcNdeError('ERR_NDE_INVALID_INPUT', `"items" expected an array, got ${describe(items)}`);
  }
  items.forEach((item: unknown, i) => {
    if (typeof item !== 'object' || item === null) {
      throw new NqcNdeError('ERR_NDE_INVALID_INPUT', `"items[${i}]" expected { index, data }, got ${describe(item)}`);
    }
    const { index, data } = item as { index: unknown; data: unknown };
    _checkIndex(index, `items[${i}].index`);
    _checkBytes(data, `items[${i}].data`);
  });
}

/** @internal */
export function _checkVersion(version: unknown): NdeVersion {
  if (version !== 1 && version !== 2) {
    throw new NqcNdeError('ERR_NDE_INVALID_INPUT', `"version" expected 1 or 2, got ${typeof version === 'number' ? String(version) : `type=${typeof version}`}`);
  }
  return version;
}
