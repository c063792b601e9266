// One-shot helpers over the streams, for inputs that fit in memory.
import { isArmored } from './armor.js';
import { concatBytes } from './bytes.js';
import { fail } from './errors.js';
import type { ParsedHeader } from './header.js';
import { createDecryptStream, createEncryptStream, type DecryptOptions, type EncryptOptions } from './stream.js';

async function collect(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  const reader = readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    n += value.length;
  }
  return concatBytes(parts, n);
}

function source(bytes: Uint8Array, piece = 1 << 20): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(controller) {
      if (off >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(off, off + piece));
      off += piece;
    },
  });
}

/**
 * Encrypts bytes in memory into a binary envelope (see {@link createEncryptStream} for the options).
 * @example
 * ```ts
 * const env = await encryptEnvelope(utf8('hi'), { fileKey, stanzas });
 * ```
 */
export async function encryptEnvelope(plaintext: Uint8Array, opts: EncryptOptions): Promise<Uint8Array> {
  if (!(plaintext instanceof Uint8Array)) fail('ERR_FORMAT_INVALID_ARGUMENT', '"plaintext" expected Uint8Array');
  return collect(source(plaintext).pipeThrough(createEncryptStream(opts)));
}

/**
 * Decrypts an envelope in memory (binary, or armored text / bytes: detected).
 * @returns the plaintext and the authenticated header
 */
export async function decryptEnvelope(
  envelope: Uint8Array | string,
  opts: DecryptOptions,
): Promise<{ plaintext: Uint8Array; header: ParsedHeader }> {
  let bytes: Uint8Array;
  if (typeof envelope === 'string') {
    bytes = new TextEncoder().encode(envelope);
    if (!isArmored(bytes)) fail('ERR_FORMAT_ARMOR', 'a string envelope must be armored');
  } else if (envelope instanceof Uint8Array) bytes = envelope;
  else fail('ERR_FORMAT_INVALID_ARGUMENT', '"envelope" expected Uint8Array or string');
  const d = createDecryptStream(opts);
  const [plaintext, header] = await Promise.all([collect(source(bytes).pipeThrough(d)), d.header]);
  return { plaintext, header };
}
