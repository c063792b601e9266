import { createReadStream, statSync } from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import type { CliContext } from '../context.js';
import { usageError } from '../errors.js';
import { AtomicFileOutput } from './atomic-output.js';
import { refuseBinaryToTerminal } from './terminal.js';

const stdinUsers = new WeakMap<CliContext, string>();

/**
 * Records that `what` (e.g. `-i -`, `the input`) reads stdin; stdin can be read only once.
 * @throws CliError usage error when something else already reads it
 */
export function claimStdin(ctx: CliContext, what: string): void {
  const other = stdinUsers.get(ctx);
  if (other !== undefined && other !== what) throw usageError(`stdin is already used by ${other}: ${what} cannot read it too (give the input as a file)`);
  if (other === what && what !== 'the input') throw usageError(`stdin can be given only once (${what})`);
  stdinUsers.set(ctx, what);
}

/** An input: a file or stdin, with its size when known (for the progress bar). */
export interface Input {
  stream: Readable;
  size: number | undefined;
  /** The file name, or `undefined` for stdin. */
  path: string | undefined;
}

/** Opens `path`, or stdin when `path` is undefined or `-`. */
export function openInput(ctx: CliContext, path: string | undefined): Input {
  if (path === undefined || path === '-') {
    claimStdin(ctx, 'the input');
    return { stream: ctx.stdin, size: undefined, path: undefined };
  }
  const st = statSync(path);
  if (st.isDirectory()) throw Object.assign(new Error(`is a directory: ${path}`), { code: 'EISDIR', path });
  return { stream: createReadStream(path, { highWaterMark: 1 << 20 }), size: st.isFile() ? st.size : undefined, path };
}

/** An output that is committed only when the whole operation succeeded. */
export interface Output {
  writable: Writable;
  /** Makes the output visible (file: rename into place). */
  commit(): void;
  /** Discards a file output; for stdout nothing can be taken back. */
  abort(): void;
}

/**
 * Opens the output: a file written atomically (see {@link AtomicFileOutput}) or stdout. Binary output
 * to a terminal is refused before anything is written.
 */
export function openOutput(
  ctx: CliContext,
  path: string | undefined,
  options: { force?: boolean; binary: boolean; hint: string; mode?: number },
): Output {
  if (path === undefined || path === '-') {
    refuseBinaryToTerminal({ isTTY: Boolean(ctx.stdout.isTTY) }, options.binary, options.hint);
    const stdout = ctx.stdout;
    // A Writable that forwards to stdout without ever ending it (stdout stays usable for messages).
    const writable = new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (stdout.write(chunk)) cb();
        else stdout.once('drain', () => cb());
      },
    });
    return { writable, commit: () => undefined, abort: () => undefined };
  }
  const file = new AtomicFileOutput(path, { force: options.force, mode: options.mode });
  // Writes are synchronous, but each completes on the next tick: pieces that arrive meanwhile (the
  // sealed chunks of one input read arrive together) are buffered by the stream and written with one
  // `writev`, instead of one system call per 64 KiB chunk.
  const done = (cb: (e?: Error | null) => void, fn: () => void) => {
    try {
      fn();
      process.nextTick(cb);
    } catch (error) {
      cb(error as Error);
    }
  };
  const writable = new Writable({
    highWaterMark: 1 << 20,
    write: (chunk: Buffer, _enc, cb) => done(cb, () => file.write(chunk)),
    writev: (chunks, cb) => done(cb, () => file.writev(chunks.map((c) => c.chunk as Buffer))),
  });
  return { writable, commit: () => file.commit(), abort: () => file.abort() };
}
