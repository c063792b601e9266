import type { CliContext } from './context.js';
import { CliError, usageError } from './errors.js';
import { readBoundedText } from './io/read-bounded.js';
import { claimStdin } from './io/streams.js';

/** Recipients and verifying-key files are small; anything larger is not one. */
const MAX_KEY_LIST_FILE = 1 << 20;

/**
 * Reads a recipients file (`-R`; `-` is stdin): one recipient string per line; blank lines and `#`
 * comments are ignored (the format of age's recipients files, and what `nqc keygen -y` prints).
 * @throws CliError `ERR_CLI_RECIPIENTS_FILE` (unreadable, larger than 1 MiB, no recipients)
 */
export async function readRecipientsFile(ctx: CliContext, path: string): Promise<string[]> {
  if (path === '-') claimStdin(ctx, '-R -');
  const text = await readBoundedText(path, { max: MAX_KEY_LIST_FILE, what: 'recipients file', code: 'ERR_CLI_RECIPIENTS_FILE', stdin: ctx.stdin });
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    // `keygen -y` also prints verifying keys: they are not recipients, skip them with no fuss.
    if (line.startsWith('nqc-pub-')) continue;
    out.push(line);
  }
  if (out.length === 0) throw new CliError('ERR_CLI_RECIPIENTS_FILE', `no recipients in ${path}`);
  return out;
}

/** Collects `-r` and `-R` into one list; at least one is required (`alsoAccepted`: another flag that gives recipients). */
export async function collectRecipients(ctx: CliContext, strings: string[] = [], files: string[] = [], alsoAccepted?: string): Promise<string[]> {
  if (strings.length === 0 && files.length === 0) {
    throw usageError(`no recipients: give at least one -r RECIPIENT${alsoAccepted ? ', -R FILE or ' + alsoAccepted : ' or -R FILE'}`);
  }
  const all = [...strings];
  for (const file of files) all.push(...(await readRecipientsFile(ctx, file)));
  return all;
}

/** A repeatable commander option. */
export function repeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * A trusted signer for `--verify`: a verifying-key string, or a file (`-` is stdin, at most 1 MiB)
 * whose first key line is one (the output of `nqc keygen -y`).
 * @throws CliError `ERR_CLI_KEY_FILE`
 */
export async function readVerifyingKey(ctx: CliContext, value: string): Promise<string> {
  if (value.startsWith('nqc-pub-')) return value;
  if (value === '-') claimStdin(ctx, '--verify -');
  const text = await readBoundedText(value, { max: MAX_KEY_LIST_FILE, what: 'verifying-key file', code: 'ERR_CLI_KEY_FILE', stdin: ctx.stdin });
  const line = text.split('\n').map((l) => l.trim()).find((l) => l.startsWith('nqc-pub-'));
  if (line === undefined) throw new CliError('ERR_CLI_KEY_FILE', `no verifying key (nqc-pub-...) in ${value}`);
  return line;
}

/** Every `--verify` value, read. */
export async function readVerifyingKeys(ctx: CliContext, values: readonly string[] | undefined): Promise<string[] | undefined> {
  if (values === undefined || values.length === 0) return undefined;
  const out: string[] = [];
  for (const v of values) out.push(await readVerifyingKey(ctx, v));
  return out;
}
