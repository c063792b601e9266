import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, linkSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync, writevSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CliError } from '../errors.js';
import { onCleanup, runCleanups } from './cleanup.js';

/**
 * A file output that appears at its final name only when complete.
 *
 * Bytes go to a hidden temporary file beside the destination (same directory, so the final step is a
 * rename on one file system). `commit()` fsyncs and moves it into place: with `force` by `rename`
 * (atomic replace), without it by `link` + `unlink`, which fails if the destination appeared in the
 * meantime, so an existing file is never clobbered. `abort()` deletes the temporary file. Temporary
 * files still open when the process gets SIGINT/SIGTERM, or exits, are deleted too (see
 * {@link removeAllPendingOutputs}); only SIGKILL or a power cut can leave one behind, under a hidden
 * `.NAME.nqc-tmp-XXXX` name, owner-readable only, never at the destination's name.
 */
export class AtomicFileOutput {
  readonly path: string;
  readonly tempPath: string;
  #fd: number | null;
  #force: boolean;
  #release: () => void = () => undefined;

  /**
   * @param path destination
   * @param options `force` allows replacing an existing file; `mode` is the final file's mode
   *   (default 0o600: outputs here are secrets or ciphertexts of secrets)
   * @throws CliError `ERR_CLI_OUTPUT_EXISTS` when the destination exists and `force` is not set
   */
  constructor(path: string, options: { force?: boolean; mode?: number } = {}) {
    this.path = path;
    this.#force = options.force ?? false;
    if (!this.#force && exists(path)) {
      throw new CliError('ERR_CLI_OUTPUT_EXISTS', `output file exists: ${path} (use --force to overwrite)`);
    }
    checkDirectory(path);
    this.tempPath = tempPathFor(path);
    try {
      this.#fd = openSync(this.tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, options.mode ?? 0o600);
    } catch (error) {
      throw cannotWrite(path, error);
    }
    this.#release = onCleanup(() => this.abort());
  }

  /** Appends bytes (synchronously: the callers stream in bounded chunks). */
  write(bytes: Uint8Array): void {
    if (this.#fd === null) throw new Error('write after commit or abort');
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(this.#fd, bytes, offset, bytes.length - offset);
  }

  /**
   * Appends several pieces in order with as few system calls as possible (`writev`, at most 1024
   * pieces each; a short write resumes where it stopped).
   */
  writev(pieces: readonly Uint8Array[]): void {
    if (this.#fd === null) throw new Error('write after commit or abort');
    let i = 0;
    let skip = 0; // bytes of pieces[i] already written
    while (i < pieces.length) {
      const batch: Uint8Array[] = [];
      for (let j = i; j < pieces.length && batch.length < 1024; j++) batch.push(j === i ? pieces[j]!.subarray(skip) : pieces[j]!);
      let n = writevSync(this.#fd, batch);
      while (i < pieces.length && n >= pieces[i]!.length - skip) {
        n -= pieces[i]!.length - skip;
        skip = 0;
        i++;
      }
      skip += n;
    }
  }

  /** Flushes to disk and moves the file to its destination. */
  commit(): void {
    if (this.#fd === null) throw new Error('commit after commit or abort');
    fsyncSync(this.#fd);
    closeSync(this.#fd);
    this.#fd = null;
    try {
      moveIntoPlace(this.tempPath, this.path, this.#force);
    } finally {
      this.#release();
    }
  }

  /** Discards everything written; the destination is untouched. Safe to call more than once. */
  abort(): void {
    if (this.#fd !== null) {
      try {
        closeSync(this.#fd);
      } catch {
        // already closed by the OS; the unlink below is what matters
      }
      this.#fd = null;
    }
    removeQuietly(this.tempPath);
    this.#release();
  }
}

/**
 * Deletes the temporary files of every output not yet committed, and every other registered
 * temporary file (spools): the signal and exit handlers and failing commands call it.
 */
export function removeAllPendingOutputs(): void {
  runCleanups();
}

/** The hidden temporary name beside `path`: `.NAME.nqc-tmp-<12 hex>`. */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.nqc-tmp-${randomBytes(6).toString('hex')}`);
}

/** Refuses, naming the destination, when the directory it would go into does not exist. */
function checkDirectory(path: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dirname(path)).isDirectory();
  } catch (error) {
    throw cannotWrite(path, error);
  }
  if (!isDirectory) throw new CliError('ERR_CLI_OUTPUT', `cannot write ${path}: ${dirname(path)} is not a directory`);
}

/** A failure to create the temporary file, reported with the destination the user named. */
function cannotWrite(path: string, error: unknown): CliError {
  const code = (error as { code?: string }).code;
  const reason =
    code === 'ENOENT'
      ? `no such directory: ${dirname(path)}`
      : code === 'EACCES' || code === 'EPERM'
        ? `permission denied in ${dirname(path)}`
        : code === 'ENOTDIR'
          ? `${dirname(path)} is not a directory`
          : ((error as Error).message ?? String(error)).replace(/^E[A-Z]+: /, '').replace(/, open '[\s\S]*'$/, '');
  return new CliError('ERR_CLI_OUTPUT', `cannot write ${path}: ${reason}`);
}

/**
 * Moves a complete temporary file to `path`: `rename` with `force` (atomic replace), else `link` +
 * `unlink`, which fails if `path` exists, so nothing is clobbered. The temporary file is gone after.
 */
function moveIntoPlace(tempPath: string, path: string, force: boolean): void {
  try {
    if (force) {
      renameSync(tempPath, path);
      return;
    }
    try {
      linkSync(tempPath, path);
    } catch (error) {
      if ((error as { code?: string }).code === 'EEXIST') {
        throw new CliError('ERR_CLI_OUTPUT_EXISTS', `output file exists: ${path} (use --force to overwrite)`);
      }
      throw error;
    }
    unlinkSync(tempPath);
  } catch (error) {
    removeQuietly(tempPath);
    throw error;
  }
}

/** Writes a small file atomically in one go (keys, bundles, results). */
export function writeFileAtomically(path: string, bytes: Uint8Array | string, options: { force?: boolean; mode?: number } = {}): void {
  const out = new AtomicFileOutput(path, options);
  try {
    out.write(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
    out.commit();
  } catch (error) {
    out.abort();
    throw error;
  }
}

function exists(path: string): boolean {
  try {
    closeSync(openSync(path, constants.O_RDONLY));
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') return false;
    if (code === 'EISDIR') return true;
    throw error;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // nothing to remove
  }
}

/**
 * Like {@link AtomicFileOutput}, for writers that want a path rather than bytes (library functions
 * that write a file themselves): they write `tempPath`; `commit()` fsyncs it and moves it into
 * place with the same no-clobber rule; `abort()` (also on signals) removes it.
 */
export class AtomicPathOutput {
  readonly path: string;
  readonly tempPath: string;
  #force: boolean;
  #open = true;
  #release: () => void;

  /**
   * @throws CliError `ERR_CLI_OUTPUT_EXISTS` when the destination exists and `force` is not set,
   *   `ERR_CLI_OUTPUT` when its directory does not exist
   */
  constructor(path: string, options: { force?: boolean } = {}) {
    this.path = path;
    this.#force = options.force ?? false;
    if (!this.#force && exists(path)) {
      throw new CliError('ERR_CLI_OUTPUT_EXISTS', `output file exists: ${path} (use --force to overwrite)`);
    }
    checkDirectory(path);
    this.tempPath = tempPathFor(path);
    this.#release = onCleanup(() => this.abort());
  }

  /** Flushes the written temporary file and moves it to the destination. */
  commit(): void {
    if (!this.#open) throw new Error('commit after commit or abort');
    this.#open = false;
    this.#release();
    try {
      const fd = openSync(this.tempPath, constants.O_RDONLY);
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      removeQuietly(this.tempPath);
      throw error;
    }
    moveIntoPlace(this.tempPath, this.path, this.#force);
  }

  /**
   * Removes whatever was written: `tempPath`, and the writer's own temporary files beside it, which
   * start with `tempPath`'s unique name (`@nqc/core`'s file functions write `tempPath.<pid>...tmp`
   * and rename it to `tempPath` only when done).
   */
  abort(): void {
    // Stays registered (until the process ends): the writer may still create its file after a signal.
    this.#open = false;
    removeQuietly(this.tempPath);
    const prefix = `${basename(this.tempPath)}.`;
    let names: string[] = [];
    try {
      names = readdirSync(dirname(this.tempPath));
    } catch {
      // the directory is gone: nothing to remove
    }
    for (const name of names) if (name.startsWith(prefix)) removeQuietly(join(dirname(this.tempPath), name));
  }
}
