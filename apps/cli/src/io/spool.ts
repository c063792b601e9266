import { mkdtempSync, rmSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Dearmorer } from '@nqc/core/node';
import { onCleanup } from './cleanup.js';

/**
 * A private copy of an envelope's CIPHERTEXT (never plaintext), for inputs that can be read only
 * once (stdin, pipes, devices) or are armored: the signature is verified on the copy, then the copy
 * is decrypted. It lives in a fresh directory of the system temporary directory (mode 0700, file
 * 0600), armor removed, and is deleted by {@link CiphertextSpool.remove}, on every failure, on
 * SIGINT/SIGTERM/SIGHUP/SIGQUIT and at exit.
 */
export class CiphertextSpool {
  /** The binary envelope file. */
  readonly path: string;
  readonly #dir: string;
  readonly #release: () => void;

  private constructor() {
    this.#dir = mkdtempSync(join(tmpdir(), 'nqc-spool-')); // mode 0700
    this.path = join(this.#dir, 'envelope');
    this.#release = onCleanup(() => this.remove());
  }

  /** Copies `source` (binary or armored) into a new spool. */
  static async fill(source: Readable): Promise<CiphertextSpool> {
    const spool = new CiphertextSpool();
    try {
      await pipeline(source, dearmorIfArmored(), createWriteStream(spool.path, { flags: 'wx', mode: 0o600, highWaterMark: 1 << 20 }));
      return spool;
    } catch (error) {
      spool.remove();
      throw error;
    }
  }

  /** Deletes the spool and its directory (safe to call more than once). */
  remove(): void {
    this.#release();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** A pass-through that dearmors its input when the first non-whitespace byte starts armor (`-`). */
function dearmorIfArmored(): Transform {
  let mode: 'sniff' | 'binary' | 'armor' = 'sniff';
  let pending: Buffer[] = [];
  let sniffed = 0;
  let dearmorer: Dearmorer | null = null;
  const forward = (t: Transform, pieces: Uint8Array[]) => {
    for (const p of pieces) t.push(p);
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        if (mode === 'sniff') {
          pending.push(chunk);
          sniffed += chunk.length;
          const first = chunk.find((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
          // Only armor may start with whitespace; the dearmorer bounds how much (FORMAT.md section 9).
          if (first === undefined && sniffed < 64 * 1024) return cb();
          mode = first === undefined || first === 0x2d ? 'armor' : 'binary';
          const all = Buffer.concat(pending);
          pending = [];
          if (mode === 'binary') return cb(null, all);
          dearmorer = new Dearmorer();
          forward(this, dearmorer.push(all));
          return cb();
        }
        if (mode === 'binary') return cb(null, chunk);
        forward(this, dearmorer!.push(chunk));
        cb();
      } catch (error) {
        cb(error as Error);
      }
    },
    flush(cb) {
      try {
        if (mode === 'sniff' && pending.length) this.push(Buffer.concat(pending));
        if (mode === 'armor') forward(this, dearmorer!.finish());
        cb();
      } catch (error) {
        cb(error as Error);
      }
    },
  });
}
