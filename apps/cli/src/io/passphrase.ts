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

/**
 * Prompts on the controlling terminal (`/dev/tty`) and reads a passphrase without echo.
 * @throws CliError `ERR_CLI_NO_TERMINAL` when there is no terminal (use `--passphrase-fd`)
 */
export async function readPassphraseFromTerminal(prompt: string): Promise<string> {
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'r+');
  } catch {
    throw new CliError('ERR_CLI_NO_TERMINAL', 'no terminal to ask for a passphrase; use --passphrase-fd');
  }
  const input = new ReadStream(fd);
  const output = new WriteStream(fd);
  try {
    output.write(prompt);
    input.setRawMode(true);
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      input.on('data', (data: Buffer) => {
        for (const ch of data.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            output.write('\n');
            resolve(value);
            return;
          }
          if (ch === '\u0003') {
            output.write('\n');
            reject(new CliError('ERR_CLI_INTERRUPTED', 'interrupted', ExitCode.interrupted));
            return;
          }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else if (value.length < MAX_PASSPHRASE) value += ch;
        }
      });
    });
  } finally {
    input.setRawMode(false);
    input.destroy();
    output.destroy();
    try {
      closeSync(fd);
    } catch {
      // streams closed it
    }
  }
}

/** Where a passphrase comes from: a file descriptor when given, else the terminal. */
export async function readPassphrase(options: { fd?: number; prompt: string; confirm?: boolean }): Promise<string> {
  if (options.fd !== undefined) return readPassphraseFromFd(options.fd);
  const first = await readPassphraseFromTerminal(options.prompt);
  if (first.length === 0) throw new CliError('ERR_CLI_PASSPHRASE', 'empty passphrase');
  if (options.confirm) {
    const again = await readPassphraseFromTerminal('Confirm passphrase: ');
    if (again !== first) throw new CliError('ERR_CLI_PASSPHRASE', 'passphrases do not match');
  }
  return first;
}
