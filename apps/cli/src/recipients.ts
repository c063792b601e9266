import { readFileSync, statSync } from 'node:fs';
import { CliError } from './errors.js';

const MAX_RECIPIENTS_FILE = 1 << 20;

/**
 * Reads a recipients file (`-R`): one recipient string per line; blank lines and `#` comments are
 * ignored (the format of age's recipients files, and what `nqc keygen -y` prints).
 * @throws CliError `ERR_CLI_RECIPIENTS_FILE`
 */
export function readRecipientsFile(path: string): string[] {
  let text: string;
  try {
    if (statSync(path).size > MAX_RECIPIENTS_FILE) throw new CliError('ERR_CLI_RECIPIENTS_FILE', `recipients file too large: ${path}`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError('ERR_CLI_RECIPIENTS_FILE', `cannot read recipients file ${path}: ${(error as Error).message.replace(/^E[A-Z]+: /, '')}`);
  }
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

/** Collects `-r` and `-R` into one list; at least one is required. */
export function collectRecipients(strings: string[] = [], files: string[] = []): string[] {
  const all = [...strings, ...files.flatMap(readRecipientsFile)];
  if (all.length === 0) throw new CliError('ERR_CLI_USAGE', 'no recipients: give at least one -r RECIPIENT or -R FILE');
  return all;
}

/** A repeatable commander option. */
export function repeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * A trusted signer for `--verify`: a verifying-key string, or a file whose first key line is one
 * (the output of `nqc keygen -y`).
 */
export function readVerifyingKey(value: string): string {
  if (value.startsWith('nqc-pub-')) return value;
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (error) {
    throw new CliError('ERR_CLI_KEY_FILE', `--verify expects a verifying key (nqc-pub-...) or a file holding one; cannot read ${value}: ${(error as Error).message.replace(/^E[A-Z]+: /, '')}`);
  }
  const line = text.split('\n').map((l) => l.trim()).find((l) => l.startsWith('nqc-pub-'));
  if (line === undefined) throw new CliError('ERR_CLI_KEY_FILE', `no verifying key (nqc-pub-...) in ${value}`);
  return line;
}
