import { createReadStream, statSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { detectEncoding, verifySignature, verifySignatureFile, type SeekableSource, type SignerReport, type VerifierInput } from '@nqc/core/node';
import type { Readable } from 'node:stream';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { openInput, type Input } from './streams.js';
import { CiphertextSpool } from './spool.js';

/** An envelope whose signature verified, ready to be decrypted from the very bytes that verified. */
export interface VerifiedInput {
  /** The ciphertext to decrypt (read from the descriptor or the spool that was verified). */
  readonly input: Input;
  /** The verified signer. */
  readonly signer: SignerReport;
  /**
   * Call after decrypting, before committing the output: checks the file did not change while it
   * was read (size, modification time, inode), then releases the descriptor or the spool.
   * @throws CliError `ERR_CLI_INPUT_CHANGED` when it did
   */
  finish(): Promise<void>;
  /** Releases the descriptor or the spool (safe after {@link VerifiedInput.finish}, and twice). */
  dispose(): void;
}

/**
 * Bytes read to tell armor from binary: more than the 1024 whitespace bytes FORMAT.md section 9
 * allows before an armor BEGIN line, so `detectEncoding` either decides or refuses.
 */
const SNIFF_BYTES = 4096;

/**
 * The envelope at `path` (stdin for undefined or `-`), its signature verified against
 * `requireSigner` before anything is decrypted. The file is opened ONCE: a regular binary file that
 * only we can change (owned by us, not writable by group or others) is verified and then decrypted
 * through that same descriptor, so renaming another file over the path changes nothing; anything
 * else (stdin, a pipe, a device, armored text, a file someone else could rewrite in place) is
 * first copied, as ciphertext, from that descriptor to a private spool, which is verified and
 * then decrypted.
 * @throws the verification's errors; Node's fs errors (EISDIR for a directory)
 */
export async function verifiedInput(ctx: CliContext, path: string | undefined, requireSigner: readonly VerifierInput[]): Promise<VerifiedInput> {
  if (path === undefined || path === '-') return spooled(openInput(ctx, path).stream, requireSigner, undefined);
  const fh = await open(path, 'r');
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error(`is a directory: ${path}`), { code: 'EISDIR', path });
    if (!st.isFile()) return await spooled(fh.createReadStream({ highWaterMark: 1 << 20 }), requireSigner, path);
    if (!onlyWeCanWrite(st) || (await encodingOf(fh)) !== 'binary') {
      return await spooled(fh.createReadStream({ start: 0, highWaterMark: 1 << 20 }), requireSigner, path);
    }
    const { signer } = await verifySignature(handleSource(fh, st.size), { requireSigner });
    await assertUnchanged(fh, st, path);
    const stream = fh.createReadStream({ start: 0, highWaterMark: 1 << 20, autoClose: false });
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      stream.destroy();
      await fh.close().catch(() => undefined);
    };
    return {
      input: { stream, size: st.size, path },
      signer,
      finish: async () => {
        try {
          await assertUnchanged(fh, st, path);
        } finally {
          await close();
        }
      },
      dispose: () => void close(),
    };
  } catch (error) {
    await fh.close().catch(() => undefined);
    throw error;
  }
}

/** Verifies and decrypts from a private copy of the ciphertext read from `source`. */
async function spooled(source: Readable, requireSigner: readonly VerifierInput[], path: string | undefined): Promise<VerifiedInput> {
  const spool = await CiphertextSpool.fill(source);
  try {
    const { signer } = await verifySignatureFile(spool.path, { requireSigner });
    const stream = createReadStream(spool.path, { highWaterMark: 1 << 20 });
    const size = statSync(spool.path).size;
    return {
      input: { stream, size, path: path ?? spool.path },
      signer,
      finish: async () => spool.remove(),
      dispose: () => {
        stream.destroy();
        spool.remove();
      },
    };
  } catch (error) {
    spool.remove();
    throw error;
  }
}

/** True when only the current user can change the file in place (owner, no group/other write bit). */
function onlyWeCanWrite(st: Stats): boolean {
  const uid = process.getuid?.();
  return uid !== undefined && st.uid === uid && (st.mode & 0o022) === 0;
}

/** The container's one armor rule over the file's first bytes. */
async function encodingOf(fh: FileHandle): Promise<'armor' | 'binary' | undefined> {
  const head = new Uint8Array(SNIFF_BYTES);
  const { bytesRead } = await fh.read(head, 0, head.length, 0);
  return detectEncoding(head.subarray(0, bytesRead));
}

/** Positional reads on an open descriptor: what is verified is what the descriptor holds. */
function handleSource(fh: FileHandle, size: number): SeekableSource {
  return {
    size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      const want = Math.max(0, Math.min(length, size - offset));
      const out = new Uint8Array(want);
      let done = 0;
      while (done < want) {
        const { bytesRead } = await fh.read(out, done, want - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === want ? out : out.subarray(0, done);
    },
  };
}

async function assertUnchanged(fh: FileHandle, before: Stats, path: string): Promise<void> {
  const now = await fh.stat();
  if (now.size !== before.size || now.mtimeMs !== before.mtimeMs || now.ino !== before.ino || now.dev !== before.dev) {
    throw new CliError('ERR_CLI_INPUT_CHANGED', `${path} changed while it was read: nothing it holds is trusted`);
  }
}
