/**
 * `@nqc/pql/node`: identity-file I/O for Node.js (atomic owner-only writes, permission checks).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { NqcPqlError } from './errors.js';
import {
  MAX_IDENTITY_FILE_LENGTH,
  parseIdentityFile,
  serializeIdentityFile,
  type IdentityFileContents,
  type ParseIdentityOptions,
  type SerializeIdentityOptions,
} from './identity-file.js';

/**
 * Writes an identity file atomically with mode 0600: the text goes to a temporary file in the same
 * directory (created exclusively with mode 0600), is fsynced, then renamed over `path`. A crash
 * leaves either the old file or the new one, never a half-written file.
 * @param path - destination
 * @param contents - the secret keys
 * @param options - passphrase and scrypt parameters (see {@link serializeIdentityFile})
 * @throws {NqcPqlError} as {@link serializeIdentityFile}; Node's fs errors pass through
 * @example
 * ```ts
 * await writeIdentityFile('key.nqc', { identities: [generateIdentity()], signingKeys: [] });
 * ```
 */
export async function writeIdentityFile(
  path: string,
  contents: IdentityFileContents,
  options?: SerializeIdentityOptions,
): Promise<void> {
  const text = serializeIdentityFile(contents, options);
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(text, 'utf8');
    await fh.chmod(0o600); // the umask may have narrowed it further, never widened: make it exact
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/**
 * Reads and parses an identity file.
 * @throws {NqcPqlError} ERR_PQL_IDENTITY_FILE, ERR_PQL_BAD_PASSPHRASE; Node's fs errors pass through
 */
export async function readIdentityFile(path: string, options?: ParseIdentityOptions): Promise<IdentityFileContents> {
  const st = await stat(path);
  if (!st.isFile()) throw new NqcPqlError('ERR_PQL_IDENTITY_FILE', `${path} is not a regular file`);
  if (st.size > MAX_IDENTITY_FILE_LENGTH) {
    throw new NqcPqlError('ERR_PQL_IDENTITY_FILE', `identity file too large: ${st.size} bytes`);
  }
  return parseIdentityFile(await readFile(path, 'utf8'), options);
}

/** Result of {@link checkIdentityFilePermissions}. */
export type PermissionReport = {
  /** Permission bits (`mode & 0o777`). */
  mode: number;
  /** True when group or others may read (or write) the file: a CLI should warn. */
  exposed: boolean;
};

/**
 * Reports whether an existing identity file is readable or writable by group or others. On Windows
 * the POSIX bits are synthetic and this check is meaningless (always reports what Node emulates).
 * @example
 * ```ts
 * if ((await checkIdentityFilePermissions(p)).exposed) console.warn(`${p} is readable by others`);
 * ```
 */
export async function checkIdentityFilePermissions(path: string): Promise<PermissionReport> {
  const mode = (await stat(path)).mode & 0o777;
  return { mode, exposed: (mode & 0o066) !== 0 };
}
