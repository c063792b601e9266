import { statSync } from 'node:fs';
import { isEncryptedIdentityFile, MAX_IDENTITY_FILE_LENGTH, parseIdentityFile, type IdentityFileContents } from '@nqc/pql';
import { checkIdentityFilePermissions } from '@nqc/pql/node';
import type { AsyncIdentity } from '@nqc/core';
import { note, type CliContext } from './context.js';
import { usageError } from './errors.js';
import { readBoundedText } from './io/read-bounded.js';
import { claimStdin } from './io/streams.js';
import { escapeForTerminal } from './io/terminal.js';
import { readPassphrase } from './io/passphrase.js';
import { agentIdentities, isAgentRef } from './agent/client.js';

/**
 * Reads an identity file as the user named it (a path, `-` for stdin, a pipe or `<(...)`), at most
 * 1 MiB: warns when a regular file is readable by group or others, asks for the passphrase
 * (terminal without echo, or `--passphrase-fd`) when it is protected.
 * @throws CliError `ERR_CLI_KEY_FILE` when unreadable or too large; pql's errors for malformed files
 *   and wrong passphrases
 */
export async function loadIdentityFile(ctx: CliContext, path: string, passphraseFd?: number): Promise<IdentityFileContents> {
  if (path === '-') claimStdin(ctx, '-i -');
  const text = await readBoundedText(path, { max: MAX_IDENTITY_FILE_LENGTH, what: 'identity file', code: 'ERR_CLI_KEY_FILE', stdin: ctx.stdin });
  if (path !== '-' && isRegularFile(path) && (await checkIdentityFilePermissions(path)).exposed) {
    const shown = escapeForTerminal(path);
    note(ctx, `nqc: warning: identity file ${shown} is readable by other users (chmod 600 ${shown})`);
  }
  const passphrase = isEncryptedIdentityFile(text)
    ? await readPassphrase({ fd: passphraseFd, prompt: `Passphrase for ${escapeForTerminal(path === '-' ? 'the identity on stdin' : path)}: ` })
    : undefined;
  return parseIdentityFile(text, { passphrase });
}

/**
 * The identities an `-i` value names: those of an identity file ({@link loadIdentityFile}), or, for
 * `agent:` / `agent:PATH`, the running `nqc agent`'s (no secret enters this process).
 */
export async function loadIdentities(ctx: CliContext, ref: string, passphraseFd?: number): Promise<AsyncIdentity[]> {
  if (isAgentRef(ref)) return agentIdentities(ctx, ref);
  return (await loadIdentityFile(ctx, ref, passphraseFd)).identities;
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Parses a `--passphrase-fd` value. */
export function parseFd(value: string): number {
  if (!/^\d{1,4}$/.test(value)) throw usageError(`--passphrase-fd expects a file descriptor number, got "${value}"`);
  return Number(value);
}
