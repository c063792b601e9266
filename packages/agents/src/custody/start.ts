/**
 * Starting a custody agent from key files: identity files (optionally passphrase-protected, unlocked
 * once here) and at most one keyset file.
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { checkIdentityFilePermissions, readIdentityFile } from '@nqc/pql/node';
import { fail } from '../errors.js';
import { KeyStore } from '../keys.js';
import { CustodyServer } from './server.js';

/** Options of {@link startAgent}. */
export type StartAgentOptions = {
  /** Socket path (its directory must be 0700 and ours, or absent: it is then created 0700). */
  socketPath: string;
  /** Identity files to load. */
  identityFiles?: readonly string[];
  /** A keyset file (`Keyset.serialize()` JSON) to load. */
  keysetFile?: string;
  /** Passphrase for protected identity files. */
  passphrase?: string;
};

/**
 * Loads the key files (each must be owner-only: a file group or others can read is refused) and starts
 * listening.
 * @throws {NqcAgentsError} ERR_AGENTS_KEY (no keys, exposed file), ERR_AGENTS_SOCKET; pql errors for bad files
 */
export async function startAgent(options: StartAgentOptions): Promise<CustodyServer> {
  const files = [...(options.identityFiles ?? []), ...(options.keysetFile ? [options.keysetFile] : [])];
  if (files.length === 0) fail('ERR_AGENTS_KEY', 'no key file given: pass at least one identity file or a keyset');
  for (const f of files) {
    if ((await checkIdentityFilePermissions(f)).exposed) fail('ERR_AGENTS_KEY', `${f} is readable or writable by group or others: chmod 600 it`);
  }
  let keys: KeyStore;
  if (options.keysetFile) {
    const st = await stat(options.keysetFile);
    if (st.size > 64 << 20) fail('ERR_AGENTS_KEY', `${options.keysetFile} is too large`);
    keys = KeyStore.fromKeyset(await readFile(options.keysetFile, 'utf8'));
  } else {
    keys = KeyStore.create();
  }
  for (const f of options.identityFiles ?? []) {
    const contents = await readIdentityFile(f, options.passphrase === undefined ? undefined : { passphrase: options.passphrase });
    keys.importKeys(contents);
    for (const k of [...contents.identities, ...contents.signingKeys]) k.wipe();
  }
  return CustodyServer.listen({ socketPath: options.socketPath, keys });
}
