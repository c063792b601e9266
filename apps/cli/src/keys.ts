import { readFileSync, statSync } from 'node:fs';
import { isEncryptedIdentityFile, parseIdentityFile, type IdentityFileContents } from '@nqc/pql';
import { checkIdentityFilePermissions } from '@nqc/pql/node';
import { note, type CliContext } from './context.js';
import { CliError } from './errors.js';
import { readPassphrase } from './io/passphrase.js';

/** Identity files are small; anything larger is not one. */
const MAX_IDENTITY_FILE = 1 << 20;

/**
 * Reads an identity file as the user named it: warns when group or others can read it, asks for the
 * passphrase (terminal without echo, or `--passphrase-fd`) when it is protected.
 * @throws CliError `ERR_CLI_KEY_FILE` when unreadable; pql's errors for malformed files and wrong passphrases
 */
export async function loadIdentityFile(ctx: CliContext, path: string, passphraseFd?: number): Promise<IdentityFileContents> {
  let text: string;
  try {
    if (statSync(path).size > MAX_IDENTITY_FILE) throw new CliError('ERR_CLI_KEY_FILE', `not an identity file (too large): ${path}`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError('ERR_CLI_KEY_FILE', `cannot read identity file ${path}: ${(error as Error).message.replace(/^E[A-Z]+: /, '')}`);
  }
  if ((await checkIdentityFilePermissions(path)).exposed) {
    note(ctx, `nqc: warning: identity file ${path} is readable by other users (chmod 600 ${path})`);
  }
  const passphrase = isEncryptedIdentityFile(text)
    ? await readPassphrase({ fd: passphraseFd, prompt: `Passphrase for ${path}: ` })
    : undefined;
  return parseIdentityFile(text, { passphrase });
}

/** Parses a `--passphrase-fd` value. */
export function parseFd(value: string): number {
  if (!/^\d{1,4}$/.test(value)) throw new CliError('ERR_CLI_USAGE', `--passphrase-fd expects a file descriptor number, got "${value}"`);
  return Number(value);
}
