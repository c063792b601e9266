import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CliError } from '../errors.js';

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
    this.tempPath = join(dirname(path), `.${basename(path)}.nqc-tmp-${randomBytes(6).toString('hex')}`);
    this.#fd = openSync(this.tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, options.mode ?? 0o600);
    pending.add(this);
  }

  /** Appends bytes (synchronously: the callers stream in bounded chunks). */
  write(bytes: Uint8Array): void {
    if (this.#fd === null) throw new Error('write after commit or abort');
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(this.#fd, bytes, offset, bytes.length - offset);
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
      pending.delete(this);
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
    pending.delete(this);
  }
}

const pending = new Set<AtomicFileOutput>();

/** Deletes the temporary files of every output not yet committed (signal and exit handlers call it). */
export function removeAllPendingOutputs(): void {
  for (const output of [...pending]) output.abort();
  for (const output of [...pendingPaths]) output.abort();
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

  /** @throws CliError `ERR_CLI_OUTPUT_EXISTS` when the destination exists and `force` is not set */
  constructor(path: string, options: { force?: boolean } = {}) {
    this.path = path;
    this.#force = options.force ?? false;
    if (!this.#force && exists(path)) {
      throw new CliError('ERR_CLI_OUTPUT_EXISTS', `output file exists: ${path} (use --force to overwrite)`);
    }
    this.tempPath = join(dirname(path), `.${basename(path)}.nqc-tmp-${randomBytes(6).toString('hex')}`);
    pendingPaths.add(this);
  }

  /** Flushes the written temporary file and moves it to the destination. */
  commit(): void {
    if (!this.#open) throw new Error('commit after commit or abort');
    this.#open = false;
    pendingPaths.delete(this);
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

  /** Removes whatever was written. */
  abort(): void {
    this.#open = false;
    pendingPaths.delete(this);
    removeQuietly(this.tempPath);
  }
}

const pendingPaths = new Set<AtomicPathOutput>();
