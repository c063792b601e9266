import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
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
  const reason = typeof message === 'string' ? message.replace(/^E[A-Z]+: /, '').replace(/, (open|read|stat) '[\s\S]*'$/, '') : String(error);
  return new CliError(options.code, `cannot read ${options.what} ${path}: ${reason}`);
}

/**
 * Reads a whole small file (a key, a recipients list, a bundle, a result) in bounded memory: at most
 * `max + 1` bytes are ever read, whatever the file is (regular file, pipe, FIFO, device such as
 * `/dev/zero`, `/dev/fd/N`, process substitution `<(...)`, or `-` for stdin). Reads are asynchronous,
 * piece by piece, so a signal (Ctrl-C, SIGTERM) is handled between pieces even on an endless source.
 * A regular file larger than `max` is refused from its size, without reading. A FIFO is opened
 * non-blocking and polled while it has no writer or no data, so waiting for a writer can be
 * interrupted (a blocking open would keep the process alive after the signal); a writer that
 * connects and leaves without writing before it is polled is waited for until interrupted.
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
  let fifo: boolean;
  try {
    // open() of a FIFO blocks until a writer comes, in a threadpool thread that process exit waits
    // for: a FIFO is opened non-blocking and polled, so a signal can always end the process.
    fifo = (await stat(path)).isFIFO();
    handle = await open(path, fifo ? constants.O_RDONLY | constants.O_NONBLOCK : 'r');
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
    let writerSeen = false;
    for (;;) {
      const piece = Buffer.allocUnsafe(Math.min(PIECE, options.max + 1 - total));
      let n: number;
      try {
        ({ bytesRead: n } = await handle.read(piece, 0, piece.length, null));
      } catch (error) {
        if (!fifo || (error as { code?: unknown }).code !== 'EAGAIN') throw unreadable(path, options, error);
        writerSeen = true; // a writer is connected, with nothing written yet
        await pause();
        continue;
      }
      if (n === 0 && fifo && !writerSeen && total === 0) {
        await pause(); // no writer yet: end of file only once one has come
        continue;
      }
      if (n === 0) break;
      writerSeen = true;
      total += n;
      if (total > options.max) throw tooLarge(path, options);
      pieces.push(piece.subarray(0, n));
    }
    return Buffer.concat(pieces, total);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** How long a FIFO without data is left before it is read again. */
const FIFO_POLL_MS = 25;

function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, FIFO_POLL_MS));
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
