/**
 * Identity files: a text file holding a user's secret keys (KEM identities and signing keys),
 * optionally passphrase-protected. Pure parse/serialise here; file I/O is in `@nqc/pql/node`.
 *
 * Plain form:
 * ```text
 * # nqc identity file
 * # created: 2026-11-21T14:08:48.000Z
 * # recipient: nqc-xwing-1...
 * # verifying key: nqc-pub-mldsa65-1...
 * NQC-SECRET-XWING-1...
 * NQC-SIGN-SECRET-MLDSA65-1...
 * ```
 * Passphrase-protected form: the same comments, then
 * ```text
 * -----BEGIN NQC ENCRYPTED IDENTITY-----
 * nqc-identity/v1 scrypt ln=17 r=8 p=1 salt=<base64, 16 bytes>
 * <base64 of ChaCha20-Poly1305 ciphertext, 64 characters per line>
 * -----END NQC ENCRYPTED IDENTITY-----
 * ```
 * key = scrypt(NFC(passphrase), salt, N=2^ln, r, p, 32); the plaintext is the secret-key lines
 * joined by LF; the AEAD nonce is zero (fresh random salt ⇒ fresh key per write) and its associated
 * data is the parameter line, so changing any parameter fails authentication.
 * Comments are informational and NOT authenticated.
 * @module
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { scrypt } from '@noble/hashes/scrypt.js';
import { base64 } from '@scure/base';
import { _randomBytes, _utf8, _wipe } from './_bytes.js';
import { NqcPqlError } from './errors.js';
import { KemIdentity, parseIdentity } from './kem.js';
import { decodeKeyString } from './key-string.js';
import { parseSigningKey, SigningKey } from './signature.js';

/** The secret keys of an identity file. */
export type IdentityFileContents = {
  /** KEM identities (decryption keys). */
  identities: KemIdentity[];
  /** Signing keys. */
  signingKeys: SigningKey[];
};

/** scrypt work parameters recorded in a protected identity file. */
export type ScryptParams = {
  /**
   * log2 of the CPU/memory cost N, {@link MIN_SCRYPT_LOG_N}..{@link MAX_SCRYPT_LOG_N} (default 17:
   * 128 MiB, ~0.7 s here; 18: 256 MiB).
   */
  logN: number;
  /** Block size r: 8, the only value nqc writes or reads. */
  r: number;
  /** Parallelism p: 1, the only value nqc writes or reads. */
  p: number;
};

/** Default scrypt parameters for new protected files. */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ logN: 17, r: 8, p: 1 });

/** Smallest scrypt log2(N) written or read (tests use it; real files use the default). */
export const MIN_SCRYPT_LOG_N = 10;

/**
 * Largest scrypt log2(N) written or read: the default plus one doubling of margin (256 MiB, ~1.5 s
 * here). A file can name its own parameters, so this bounds what a hostile file costs before
 * "wrong passphrase": ln=19 r=15 p=4 used to pass (1 GiB, 68 s); now it is refused before scrypt runs.
 */
export const MAX_SCRYPT_LOG_N = DEFAULT_SCRYPT_PARAMS.logN + 1;

/** Options for {@link serializeIdentityFile}. */
export type SerializeIdentityOptions = {
  /** When given (non-empty), the secret keys are encrypted under it. */
  passphrase?: string;
  /** scrypt parameters (default {@link DEFAULT_SCRYPT_PARAMS}). */
  scrypt?: ScryptParams;
  /** Creation date written in the comment (default now). */
  created?: Date;
};

/** Largest identity file accepted by the parser. */
export const MAX_IDENTITY_FILE_LENGTH = 1 << 20;

const BEGIN = '-----BEGIN NQC ENCRYPTED IDENTITY-----';
const END = '-----END NQC ENCRYPTED IDENTITY-----';
const PARAMS = /^nqc-identity\/v1 scrypt ln=(\d{1,2}) r=(\d{1,2}) p=(\d) salt=([A-Za-z0-9+/]{22}==)$/;
/**
 * `maxmem` for noble's scrypt, which allocates 128·r·(N + p + 1) bytes: exactly the largest setting
 * {@link checkParams} accepts (r=8, p=1, ln={@link MAX_SCRYPT_LOG_N}), so noble refuses anything more
 * even if the check were bypassed.
 */
const MAX_SCRYPT_MEMORY = 128 * DEFAULT_SCRYPT_PARAMS.r * (2 ** MAX_SCRYPT_LOG_N + DEFAULT_SCRYPT_PARAMS.p + 1);

function fail(message: string): never {
  throw new NqcPqlError('ERR_PQL_IDENTITY_FILE', message);
}

// Only what nqc itself writes (r=8, p=1, ln in range): checked before any scrypt work, on write and on
// read, so every file nqc writes opens and no file costs more than MAX_SCRYPT_MEMORY / ~1.5 s.
function checkParams(s: ScryptParams): void {
  const ok =
    typeof s === 'object' && s !== null &&
    Number.isInteger(s.logN) && s.logN >= MIN_SCRYPT_LOG_N && s.logN <= MAX_SCRYPT_LOG_N &&
    s.r === DEFAULT_SCRYPT_PARAMS.r && s.p === DEFAULT_SCRYPT_PARAMS.p;
  if (!ok) {
    fail(
      `scrypt parameters out of range (nqc writes and reads only ln ${MIN_SCRYPT_LOG_N}..${MAX_SCRYPT_LOG_N}, r=8, p=1): ln=${s?.logN} r=${s?.r} p=${s?.p}`,
    );
  }
}

function deriveKey(passphrase: string, salt: Uint8Array, s: ScryptParams): Uint8Array {
  try {
    return scrypt(_utf8(passphrase.normalize('NFC')), salt, { N: 2 ** s.logN, r: s.r, p: s.p, dkLen: 32, maxmem: MAX_SCRYPT_MEMORY });
  } catch (e) {
    // checkParams should make this unreachable; never let an untyped noble error (or a RangeError from
    // a failed allocation) escape to a caller that matches on `code`.
    throw new NqcPqlError('ERR_PQL_IDENTITY_FILE', `scrypt failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
}

/**
 * Serialises secret keys as an identity file (text, LF line endings).
 * @param contents - at least one identity or signing key
 * @param options - passphrase, scrypt parameters, creation date
 * @throws {NqcPqlError} ERR_PQL_INVALID_INPUT (no keys, empty passphrase), ERR_PQL_IDENTITY_FILE (scrypt
 *   parameters other than r=8, p=1, ln {@link MIN_SCRYPT_LOG_N}..{@link MAX_SCRYPT_LOG_N}, or scrypt failing)
 * @example
 * ```ts
 * const text = serializeIdentityFile({ identities: [generateIdentity()], signingKeys: [generateSigningKey()] },
 *   { passphrase: 'correct horse battery staple' });
 * ```
 */
export function serializeIdentityFile(contents: IdentityFileContents, options: SerializeIdentityOptions = {}): string {
  const identities = contents?.identities ?? [];
  const signingKeys = contents?.signingKeys ?? [];
  if (identities.length + signingKeys.length === 0) {
    throw new NqcPqlError('ERR_PQL_INVALID_INPUT', 'an identity file needs at least one key');
  }
  const created = options.created ?? new Date();
  const head = [
    options.passphrase !== undefined ? '# nqc identity file (passphrase-protected)' : '# nqc identity file',
    `# created: ${created.toISOString()}`,
    ...identities.map((i) => `# recipient: ${i.recipient().toString()}`),
    ...signingKeys.map((k) => `# verifying key: ${k.verifyingKey().toString()}`),
  ];
  const secrets = [...identities.map((i) => i.toString()), ...signingKeys.map((k) => k.toString())];
  if (options.passphrase === undefined) return [...head, ...secrets, ''].join('\n');
  if (typeof options.passphrase !== 'string' || options.passphrase.length === 0) {
    throw new NqcPqlError('ERR_PQL_INVALID_INPUT', '"passphrase" must be a non-empty string');
  }
  const s = options.scrypt ?? DEFAULT_SCRYPT_PARAMS;
  checkParams(s);
  const salt = _randomBytes(16);
  const paramLine = `nqc-identity/v1 scrypt ln=${s.logN} r=${s.r} p=${s.p} salt=${base64.encode(salt)}`;
  const key = deriveKey(options.passphrase, salt, s);
  const plaintext = _utf8(secrets.join('\n'));
  // Zero nonce: the key is fresh for every write (new random salt) and encrypts exactly once.
  const sealed = chacha20poly1305(key, new Uint8Array(12), _utf8(paramLine)).encrypt(plaintext);
  _wipe(key, plaintext);
  const b64 = base64.encode(sealed);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return [...head, BEGIN, paramLine, ...lines, END, ''].join('\n');
}

/**
 * True when `text` is a passphrase-protected identity file (so a CLI knows to prompt).
 */
export function isEncryptedIdentityFile(text: string): boolean {
  return typeof text === 'string' && text.split(/\r?\n/).some((l) => l.trim() === BEGIN);
}

/** Options for {@link parseIdentityFile}. */
export type ParseIdentityOptions = {
  /** Passphrase for a protected file. */
  passphrase?: string;
};

/**
 * Parses an identity file. Blank lines and `#` comments are ignored; every other line must be a
 * secret key string (or the one encrypted block). Errors name the offending line.
 *
 * A passphrase-protected file must hold its keys only inside the encrypted block: any other
 * non-comment line is refused, so someone who can write the file but does not know the passphrase
 * cannot slip in a plaintext key of their own (which callers would take as `identities[0]` or
 * `signingKeys[0]`). Likewise, when a passphrase is supplied the file must be protected: a plain
 * file where a protected one was expected is refused rather than silently accepted.
 * @throws {NqcPqlError} ERR_PQL_IDENTITY_FILE (malformed, no keys, passphrase missing, key lines outside
 *   the encrypted block, passphrase given for an unprotected file, scrypt parameters nqc does not write:
 *   refused before any key derivation), ERR_PQL_BAD_PASSPHRASE (wrong
 *   passphrase or modified encrypted block)
 * @example
 * ```ts
 * const { identities, signingKeys } = parseIdentityFile(text, { passphrase });
 * ```
 */
export function parseIdentityFile(text: string, options: ParseIdentityOptions = {}): IdentityFileContents {
  if (typeof text !== 'string') fail(`identity file expected string, got ${typeof text}`);
  if (text.length > MAX_IDENTITY_FILE_LENGTH) fail(`identity file too large: ${text.length} > ${MAX_IDENTITY_FILE_LENGTH} characters`);
  const passphrase = options?.passphrase;
  if (passphrase !== undefined && typeof passphrase !== 'string') {
    throw new NqcPqlError('ERR_PQL_INVALID_INPUT', `"passphrase" expected string, got ${typeof passphrase}`);
  }
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const protectedFile = lines.some((l) => l.trim() === BEGIN);
  if (protectedFile) checkOutsideBlock(lines);
  const out = parseLines(lines, protectedFile, passphrase);
  if (out.identities.length + out.signingKeys.length === 0) fail('identity file holds no secret keys');
  if (passphrase !== undefined && !protectedFile) {
    fail('a passphrase was given but the identity file is not passphrase-protected (refusing an unprotected file where a protected one is expected)');
  }
  return out;
}

// Before any key derivation (cheap checks first): outside the encrypted block only comments and
// blank lines are allowed. Structural errors (unterminated or repeated blocks) are left to parseLines.
function checkOutsideBlock(lines: string[]): void {
  let inBlock = false;
  lines.forEach((l, j) => {
    const t = l.trim();
    if (t === BEGIN) inBlock = true;
    else if (t === END) inBlock = false;
    else if (!inBlock && t !== '' && !t.startsWith('#')) {
      fail(`line ${j + 1}: a passphrase-protected identity file may hold only comments and blank lines outside its encrypted block`);
    }
  });
}

function parseLines(lines: string[], protectedFile: boolean, passphrase: string | undefined): IdentityFileContents {
  const out: IdentityFileContents = { identities: [], signingKeys: [] };
  let i = 0;
  let sawBlock = false;
  while (i < lines.length) {
    const line = lines[i]!.trim();
    const n = i + 1;
    i++;
    if (line === '' || line.startsWith('#')) continue;
    if (line === BEGIN) {
      if (sawBlock) fail(`line ${n}: more than one encrypted block`);
      sawBlock = true;
      const end = lines.findIndex((l, j) => j >= i && l.trim() === END);
      if (end < 0) fail(`line ${n}: encrypted block has no "${END}" line`);
      const inner = decryptBlock(lines.slice(i, end).map((l) => l.trim()), n, passphrase);
      const sub = parseLines(inner.split('\n'), false, undefined);
      out.identities.push(...sub.identities);
      out.signingKeys.push(...sub.signingKeys);
      i = end + 1;
      continue;
    }
    if (line === END) fail(`line ${n}: "${END}" without a matching BEGIN line`);
    if (protectedFile) fail(`line ${n}: a passphrase-protected identity file may hold only comments and blank lines outside its encrypted block`);
    addKey(out, line, n);
  }
  return out;
}

function addKey(out: IdentityFileContents, line: string, n: number): void {
  if (!line.toLowerCase().startsWith('nqc-')) fail(`line ${n}: expected a secret key string or a "#" comment`);
  let kind: string;
  try {
    kind = decodeKeyString(line).kind;
  } catch (e) {
    fail(`line ${n}: ${(e as Error).message}`);
  }
  if (kind === 'identity') out.identities.push(parseIdentity(line));
  else if (kind === 'signing-key') out.signingKeys.push(parseSigningKey(line));
  else fail(`line ${n}: a public ${kind} is not allowed in an identity file (put it in a comment)`);
}

function decryptBlock(block: string[], beginLine: number, passphrase: string | undefined): string {
  if (passphrase === undefined) {
    throw new NqcPqlError('ERR_PQL_IDENTITY_FILE', 'identity file is passphrase-protected: a passphrase is required');
  }
  const paramLine = block[0] ?? '';
  const m = PARAMS.exec(paramLine);
  if (!m) fail(`line ${beginLine + 1}: expected "nqc-identity/v1 scrypt ln=N r=N p=N salt=BASE64"`);
  const s: ScryptParams = { logN: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  checkParams(s);
  let salt: Uint8Array;
  let sealed: Uint8Array;
  try {
    salt = base64.decode(m[4]!);
  } catch {
    fail(`line ${beginLine + 1}: invalid salt encoding`);
  }
  const body = block.slice(1);
  if (body.length === 0) fail(`line ${beginLine + 2}: encrypted block is empty`);
  body.forEach((l, j) => {
    if (!/^[A-Za-z0-9+/=]{1,64}$/.test(l) || (j < body.length - 1 && l.length !== 64)) {
      fail(`line ${beginLine + 2 + j}: invalid base64 line in encrypted block`);
    }
  });
  try {
    sealed = base64.decode(body.join(''));
  } catch {
    fail(`line ${beginLine + 2}: invalid base64 in encrypted block`);
  }
  if (sealed.length < 17) fail('encrypted block too short');
  const key = deriveKey(passphrase, salt, s);
  let plain: Uint8Array;
  try {
    plain = chacha20poly1305(key, new Uint8Array(12), _utf8(paramLine)).decrypt(sealed);
  } catch {
    throw new NqcPqlError('ERR_PQL_BAD_PASSPHRASE', 'wrong passphrase (or the encrypted identity was modified)');
  } finally {
    _wipe(key);
  }
  const inner = new TextDecoder('utf-8', { fatal: true }).decode(plain);
  _wipe(plain);
  if (inner.includes(BEGIN)) fail('nested encrypted block');
  return inner;
}
