import { closeSync, openSync, readSync } from 'node:fs';
import { ReadStream, WriteStream } from 'node:tty';
import { CliError, ExitCode } from '../errors.js';

/** Longest passphrase accepted (bytes); a longer input is a mistake, e.g. the wrong file descriptor. */
const MAX_PASSPHRASE = 4096;

/**
 * Reads a passphrase from file descriptor `fd` (for scripts: `nqc ... --passphrase-fd 3 3<secret`):
 * the whole content up to EOF, one trailing newline removed.
 * @throws CliError `ERR_CLI_PASSPHRASE` when empty, too long, or unreadable
 */
export function readPassphraseFromFd(fd: number): string {
  const chunks: Buffer[] = [];
  let total = 0;
  const buffer = Buffer.alloc(1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (error) {
      if ((error as { code?: string }).code === 'EAGAIN') continue;
      throw new CliError('ERR_CLI_PASSPHRASE', `cannot read the passphrase from file descriptor ${fd}: ${(error as Error).message}`);
    }
    if (n === 0) break;
    total += n;
    if (total > MAX_PASSPHRASE) throw new CliError('ERR_CLI_PASSPHRASE', `passphrase longer than ${MAX_PASSPHRASE} bytes on file descriptor ${fd}`);
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (text.length === 0) throw new CliError('ERR_CLI_PASSPHRASE', `empty passphrase on file descriptor ${fd}`);
  return text;
}

/** A prompt in progress on the terminal: its answer, and a way to give up on it. */
interface TerminalPrompt {
  /** One answer per prompt, in order. */
  readonly result: Promise<string[]>;
  cancel(): void;
}

/**
 * Opens `/dev/tty`, turns echo off (raw mode) BEFORE writing the prompt, and reads one line. Keys the
 * user types from then on are not echoed, even while the process is busy (the kernel buffers them).
 */
function promptTerminal(prompts: readonly string[]): TerminalPrompt {
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r+');
  } catch {
    const result = Promise.reject(new CliError('ERR_CLI_NO_TERMINAL', 'no terminal to ask for a passphrase; use --passphrase-fd'));
    result.catch(() => undefined);
    return { result, cancel: () => undefined };
  }
  const input = new ReadStream(fd);
  const output = new WriteStream(fd);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      input.setRawMode(false);
    } catch {
      // the terminal went away
    }
    input.destroy();
    output.destroy();
    try {
      closeSync(fd);
    } catch {
      // streams closed it
    }
  };
  // Never leave the user's terminal without echo, whatever ends the process.
  process.once('exit', close);
  let cancel: () => void = close;
  const result = new Promise<string[]>((resolve, reject) => {
    input.setRawMode(true);
    output.write(prompts[0]!);
    const answers: string[] = [];
    let value = '';
    cancel = () => {
      close();
      reject(new CliError('ERR_CLI_PASSPHRASE', 'passphrase prompt cancelled'));
    };
    input.on('data', (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          output.write('\n');
          answers.push(value);
          value = '';
          if (answers.length === prompts.length) {
            close();
            resolve(answers);
            return;
          }
          output.write(prompts[answers.length]!);
          continue;
        }
        if (ch === '\u0003') {
          output.write('\n');
          close();
          reject(new CliError('ERR_CLI_INTERRUPTED', 'interrupted', ExitCode.interrupted));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (value.length < MAX_PASSPHRASE) value += ch;
      }
    });
  }).finally(() => process.removeListener('exit', close));
  result.catch(() => undefined);
  return { result, cancel: () => cancel() };
}

/**
 * Prompts on the controlling terminal (`/dev/tty`) and reads a passphrase without echo.
 * @throws CliError `ERR_CLI_NO_TERMINAL` when there is no terminal (use `--passphrase-fd`)
 */
export async function readPassphraseFromTerminal(prompt: string): Promise<string> {
  return (await promptTerminal([prompt]).result)[0]!;
}

/** What an early prompt is for: `encrypt -p` (asked twice) or `decrypt` of a passphrase envelope. */
export type EarlyPurpose = 'encrypt' | 'decrypt';

/** The prompts nqc shows for a passphrase recipient. */
export const ENCRYPT_PROMPTS = ['Enter passphrase: ', 'Confirm passphrase: '] as const;
export const DECRYPT_PROMPT = 'Enter passphrase: ';

let early: { purpose: EarlyPurpose; prompt: TerminalPrompt } | undefined;

/**
 * Which passphrase prompt a command line will need, judged from `argv` alone (no imports): `encrypt`
 * with `-p`/`--passphrase`, or `decrypt` without any `-i` (only a passphrase can open it then), and
 * never with `--passphrase-fd`. A miss only makes the prompt come later (from the command itself).
 */
export function earlyPromptFor(argv: readonly string[]): EarlyPurpose | undefined {
  const options = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length);
  if (options.some((a) => a === '--passphrase-fd' || a.startsWith('--passphrase-fd=') || a === '-h' || a === '--help')) return undefined;
  const command = options.find((a) => !a.startsWith('-'));
  if (command === 'encrypt' && options.some((a) => a === '-p' || a === '--passphrase')) return 'encrypt';
  if (command === 'decrypt' && !options.some((a) => a === '-i' || a.startsWith('--identity') || /^-i./.test(a))) return 'decrypt';
  return undefined;
}

/**
 * Shows the passphrase prompt `argv` will need at once, before the heavy modules load, with echo
 * already off, so the prompt appears within a few hundred milliseconds of start and early keys do
 * not show. {@link readPassphrase} with the same purpose takes its answer.
 */
export function startEarlyPassphrase(argv: readonly string[]): void {
  const purpose = earlyPromptFor(argv);
  if (purpose === undefined || early !== undefined) return;
  early = { purpose, prompt: promptTerminal(purpose === 'encrypt' ? ENCRYPT_PROMPTS : [DECRYPT_PROMPT]) };
}

/** Gives up on an early prompt nobody took (e.g. a usage error, or an envelope without a passphrase). */
export function cancelEarlyPassphrase(): void {
  early?.prompt.cancel();
  early = undefined;
}

function checked(answers: readonly string[]): string {
  const value = answers[0]!;
  if (value.length === 0) throw new CliError('ERR_CLI_PASSPHRASE', 'empty passphrase');
  if (answers.length > 1 && answers[1] !== value) throw new CliError('ERR_CLI_PASSPHRASE', 'passphrases do not match');
  return value;
}

/**
 * Where a passphrase comes from: a file descriptor when given, else the terminal (the early prompt
 * of the same `purpose` when one was started, see {@link startEarlyPassphrase}).
 */
export async function readPassphrase(options: { fd?: number; prompt: string; confirm?: boolean; purpose?: EarlyPurpose }): Promise<string> {
  if (options.fd !== undefined) return readPassphraseFromFd(options.fd);
  if (early !== undefined && options.purpose !== undefined && early.purpose === options.purpose) {
    const { prompt } = early;
    early = undefined;
    return checked(await prompt.result);
  }
  return checked(await promptTerminal(options.confirm ? [options.prompt, 'Confirm passphrase: '] : [options.prompt]).result);
}
