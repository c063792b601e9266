/**
 * Key strings: one copy-pasteable line per key, Bech32 with a human-readable prefix that names what
 * the key is and its algorithm (age's design, with the 90-character limit lifted).
 *
 * | kind | prefix (HRP) | example |
 * | --- | --- | --- |
 * | `recipient` (KEM public key) | `nqc-<alg>-` | `nqc-xwing-1qz…` |
 * | `identity` (KEM secret seed) | `NQC-SECRET-<ALG>-` | `NQC-SECRET-XWING-1QZ…` |
 * | `verifying-key` (signature public key) | `nqc-pub-<alg>-` | `nqc-pub-mldsa65-1qz…` |
 * | `signing-key` (signature secret) | `NQC-SIGN-SECRET-<ALG>-` | `NQC-SIGN-SECRET-MLDSA65-1QZ…` |
 *
 * Public strings are lower case, secret strings upper case (Bech32 forbids mixed case).
 * @module
 */
import { bech32 } from '@scure/base';
import { NqcPqlError } from './errors.js';
import { _prefix, type KeyKind } from './_prefix.js';
import { getKem, getSignature, listKems, listSignatures } from './registry.js';

export type { KeyKind } from './_prefix.js';

/** A decoded key string. */
export type DecodedKey = {
  /** What the key is. */
  kind: KeyKind;
  /** Registered algorithm id, e.g. `xwing`. */
  algorithm: string;
  /** The payload: public key, KEM seed, or stored signature secret. */
  bytes: Uint8Array;
};

/** Longest key string accepted by the parser (ML-DSA-87 public keys are ~4,170 characters). */
export const MAX_KEY_STRING_LENGTH = 16384;

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

/**
 * The Bech32 human-readable prefix for a key kind and algorithm (the string before the last `1`).
 * @example
 * ```ts
 * keyStringPrefix('recipient', 'xwing'); // 'nqc-xwing-'
 * ```
 */
export function keyStringPrefix(kind: KeyKind, algorithm: string): string {
  const p = _prefix(kind, algorithm);
  if (p === undefined) throw new NqcPqlError('ERR_PQL_INVALID_INPUT', `unknown key kind ${JSON.stringify(kind)}`);
  return p;
}

function expectedLength(kind: KeyKind, algorithm: string): number {
  if (kind === 'recipient') return getKem(algorithm).publicKeyLength;
  if (kind === 'identity') return getKem(algorithm).seedLength;
  if (kind === 'verifying-key') return getSignature(algorithm).publicKeyLength;
  return getSignature(algorithm).secretLength;
}

const KIND_NAME: Record<KeyKind, string> = {
  recipient: 'recipient',
  identity: 'secret identity',
  'verifying-key': 'verifying key',
  'signing-key': 'signing key',
};

/**
 * Encodes a key as a one-line key string.
 * @param kind - what the key is
 * @param algorithm - a registered algorithm id of the matching family (KEM or signature)
 * @param bytes - payload of exactly the registered length
 * @throws {NqcPqlError} ERR_PQL_UNKNOWN_ALGORITHM, ERR_PQL_INVALID_INPUT (wrong length)
 */
export function encodeKeyString(kind: KeyKind, algorithm: string, bytes: Uint8Array): string {
  const prefix = keyStringPrefix(kind, algorithm);
  const n = expectedLength(kind, algorithm);
  if (!(bytes instanceof Uint8Array) || bytes.length !== n) {
    throw new NqcPqlError(
      'ERR_PQL_INVALID_INPUT',
      `"bytes" expected Uint8Array of length ${n} for a ${algorithm} ${KIND_NAME[kind]}`,
    );
  }
  const s = bech32.encode(prefix.toLowerCase(), bech32.toWords(bytes), false);
  return kind === 'identity' || kind === 'signing-key' ? s.toUpperCase() : s;
}

function fail(message: string): never {
  throw new NqcPqlError('ERR_PQL_KEY_STRING', message);
}

/** Every registered prefix (lower case) → kind and algorithm. Rebuilt per parse: the registry may grow. */
function prefixTable(): Map<string, { kind: KeyKind; algorithm: string }> {
  const t = new Map<string, { kind: KeyKind; algorithm: string }>();
  for (const a of listKems()) {
    t.set(keyStringPrefix('recipient', a).toLowerCase(), { kind: 'recipient', algorithm: a });
    t.set(keyStringPrefix('identity', a).toLowerCase(), { kind: 'identity', algorithm: a });
  }
  for (const a of listSignatures()) {
    t.set(keyStringPrefix('verifying-key', a).toLowerCase(), { kind: 'verifying-key', algorithm: a });
    t.set(keyStringPrefix('signing-key', a).toLowerCase(), { kind: 'signing-key', algorithm: a });
  }
  return t;
}

/**
 * Decodes any nqc key string, checking (in this order, each with its own message): type and size,
 * whitespace, mixed case, separator, known prefix, case matching the kind (public lower, secret
 * upper), Bech32 characters, checksum, padding, and the exact payload length for the algorithm.
 * @param text - the key string
 * @param expectKind - when given, any other kind is refused
 * @throws {NqcPqlError} ERR_PQL_KEY_STRING with a precise message
 * @example
 * ```ts
 * const { kind, algorithm, bytes } = decodeKeyString('nqc-xwing-1...');
 * ```
 */
export function decodeKeyString(text: string, expectKind?: KeyKind): DecodedKey {
  if (typeof text !== 'string') fail(`key string expected string, got ${typeof text}`);
  if (text.length === 0) fail('empty key string');
  if (text.length > MAX_KEY_STRING_LENGTH) fail(`key string too long: ${text.length} > ${MAX_KEY_STRING_LENGTH} characters`);
  if (/\s/.test(text)) fail('key string contains whitespace');
  const lower = text.toLowerCase();
  const upper = text.toUpperCase();
  if (text !== lower && text !== upper) fail('key string mixes upper and lower case');
  const sep = text.lastIndexOf('1');
  if (sep < 1) fail('key string has no "1" separator after a prefix');
  const hrp = lower.slice(0, sep);
  const entry = prefixTable().get(hrp);
  if (!entry) {
    if (!hrp.startsWith('nqc-')) fail(`not an nqc key string: prefix "${text.slice(0, sep)}"`);
    fail(`unknown key type prefix "${text.slice(0, sep)}"`);
  }
  const { kind, algorithm } = entry;
  if (expectKind !== undefined && kind !== expectKind) {
    fail(`expected a ${KIND_NAME[expectKind]}, got a ${algorithm} ${KIND_NAME[kind]}`);
  }
  const secret = kind === 'identity' || kind === 'signing-key';
  if (secret && text !== upper) fail(`a ${KIND_NAME[kind]} string must be upper case`);
  if (!secret && text !== lower) fail(`a ${KIND_NAME[kind]} string must be lower case`);
  const data = lower.slice(sep + 1);
  if (data.length < 6) fail('key string too short for its checksum');
  for (let i = 0; i < data.length; i++) {
    if (!CHARSET.includes(data[i]!)) fail(`invalid character "${text[sep + 1 + i]}" at position ${sep + 1 + i}`);
  }
  let words: number[];
  try {
    words = Array.from(bech32.decode(lower as `${string}1${string}`, false).words);
  } catch {
    fail('bad checksum: the key string was mistyped or truncated');
  }
  let bytes: Uint8Array;
  try {
    bytes = bech32.fromWords(words);
  } catch {
    fail('invalid bech32 padding');
  }
  const n = expectedLength(kind, algorithm);
  if (bytes.length !== n) fail(`a ${algorithm} ${KIND_NAME[kind]} is ${n} bytes, got ${bytes.length}`);
  return { kind, algorithm, bytes };
}
