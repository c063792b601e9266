import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { CliError } from '../errors.js';

/** Options of {@link readBounded}. */
export interface ReadBoundedOptions {
  /** Largest accepted size in bytes; reading stops at `max + 1` bytes. */
  readonly max: number;
  /** What the file is, for messages: `identity file`, `recipients file`, ... */
  readonly what: string;
  /** Error code of the CliError thrown on failure, e.g. `ERR_CLI_KEY_FILE`. */
  readonly code: string;
  /** The stream read for the path `-` (the process's stdin); without it `-` is an ordinary name. */
  readonly stdin?: Readable | undefined;
}

/** Bytes read per step: small enough that a refusal overshoots the cap by little. */
const PIECE = 64 * 1024;

/** `1048576` -> `1 MiB`. */
export function formatLimit(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes >> 20} MiB`;
  if (bytes >= 1 << 10 && bytes % (1 << 10) === 0) return `${bytes >> 10} KiB`;
  return `${bytes} bytes`;
}

function tooLarge(path: string, options: ReadBoundedOptions): CliError {
  return new CliError(options.code, `${options.what} ${path} is too large (over ${formatLimit(options.max)})`);
}

function unreadable(path: string, options: ReadBoundedOptions, error: unknown): CliError {
  const message = (error as { message?: unknown } | null)?.message;
  const reason = typeof message === 'string' ? message.replace(/^E[A-Z]+: /, '').replace(/, (open|read) '[\s\S]*'$/, '') : String(error);
  return new CliError(options.code, `cannot read ${options.what} ${path}: ${reason}`);
}

/**
 * Reads a whole small file (a key, a recipients list, a bundle, a result) in bounded memory: at most
 * `max + 1` bytes are ever read, whatever the file is (regular file, pipe, FIFO, device such as
 * `/dev/zero`, `/dev/fd/N`, process substitution `<(...)`, or `-` for stdin). Reads are asynchronous,
 * piece by piece, so a signal (Ctrl-C, SIGTERM) is handled between pieces even on an endless source.
 * A regular file larger than `max` is refused from its size, without reading.
 * @throws CliError `options.code` naming the file and the limit when it is larger than `max`, or
 *   when it cannot be read
 * @example
 * ```ts
 * const bytes = await readBounded('me.key', { max: 1 << 20, what: 'identity file', code: 'ERR_CLI_KEY_FILE' });
 * ```
 */
export async function readBounded(path: string, options: ReadBoundedOptions): Promise<Buffer> {
  if (path === '-' && options.stdin !== undefined) return readStream(options.stdin, path, options);
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw unreadable(path, options, error);
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw unreadable(path, options, new Error('is a directory'));
    // Pipes, FIFOs and devices report size 0: only a regular file's size can be trusted.
    if (st.isFile() && st.size > options.max) throw tooLarge(path, options);
    const pieces: Buffer[] = [];
    let total = 0;
    for (;;) {
      const piece = Buffer.allocUnsafe(Math.min(PIECE, options.max + 1 - total));
      let n: number;
      try {
        ({ bytesRead: n } = await handle.read(piece, 0, piece.length, null));
      } catch (error) {
        throw unreadable(path, options, error);
      }
      if (n === 0) break;
      total += n;
      if (total > options.max) throw tooLarge(path, options);
      pieces.push(piece.subarray(0, n));
    }
    return Buffer.concat(pieces, total);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function readStream(stream: Readable, path: string, options: ReadBoundedOptions): Promise<Buffer> {
  const pieces: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      total += b.length;
      // Leaving the loop destroys the stream: nothing more is read.
      if (total > options.max) throw tooLarge(path === '-' ? 'on stdin' : path, options);
      pieces.push(b);
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw unreadable('on stdin', options, error);
  }
  return Buffer.concat(pieces, total);
}

/** {@link readBounded} as UTF-8 text. */
export async function readBoundedText(path: string, options: ReadBoundedOptions): Promise<string> {
  return (await readBounded(path, options)).toString('utf8');
}
