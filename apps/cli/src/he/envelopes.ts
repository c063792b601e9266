import { open, type FileHandle } from 'node:fs/promises';
import type { HeEnvelopeInput, SeekableSource } from '@nqc/core/node';
import { readBounded } from '../io/read-bounded.js';
import { CliError } from '../errors.js';

// Envelope files as the HE commands read them. A binary envelope in a regular file is a seekable
// source: `he sum` reads only its header, or, with --require-signer, streams it whole in 1 MiB pieces
// to verify its signature (constant memory, any size). Armored text, pipes and devices are read
// whole, bounded.

/** Largest armored (or non-seekable) envelope the HE commands read whole. */
export const MAX_WHOLE_ENVELOPE = 256 << 20;

/** Bytes looked at to tell armor from binary (leading whitespace + `-----BEGIN`). */
const SNIFF = 2048;

/** An opened envelope file; `close` when done. */
export interface HeEnvelopeFile {
  readonly input: HeEnvelopeInput;
  close(): Promise<void>;
}

function seekable(handle: FileHandle, size: number): SeekableSource {
  return {
    size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      const buf = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await handle.read(buf, got, buf.length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === buf.length ? buf : buf.subarray(0, got);
    },
  };
}

function isArmorStart(b: Uint8Array): boolean {
  const first = b.find((x) => x !== 0x20 && x !== 0x09 && x !== 0x0a && x !== 0x0d);
  return first === 0x2d; // '-': the armor's BEGIN line (core applies the exact armor rule)
}

/**
 * Opens an envelope file for the HE commands (binary: seekable, read as needed; armored or not a
 * regular file: read whole, at most {@link MAX_WHOLE_ENVELOPE}).
 * @throws CliError `ERR_CLI_HE_FILE`
 */
export async function openHeEnvelope(path: string): Promise<HeEnvelopeFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new CliError('ERR_CLI_HE_FILE', `cannot read envelope ${path}: ${(error as Error).message.replace(/^E[A-Z]+: /, '').replace(/, open '.*'$/, '')}`);
  }
  try {
    const st = await handle.stat();
    if (st.isFile()) {
      const head = new Uint8Array(Math.min(SNIFF, st.size));
      await handle.read(head, 0, head.length, 0);
      if (!isArmorStart(head)) {
        const h = handle;
        return { input: seekable(h, st.size), close: () => h.close() };
      }
    }
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw new CliError('ERR_CLI_HE_FILE', `cannot read envelope ${path}: ${(error as Error).message}`);
  }
  await handle.close().catch(() => undefined);
  const bytes = await readBounded(path, { max: MAX_WHOLE_ENVELOPE, what: 'envelope', code: 'ERR_CLI_HE_FILE' });
  return { input: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), close: async () => undefined };
}
