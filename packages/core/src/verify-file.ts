// verifySignature for files (Node): the ciphertext is read once, in 1 MiB pieces, hashed with node:crypto.
import { fileSource, nodeProvider } from '@nqc/container/node';
import { open } from 'node:fs/promises';
import { fail } from './errors.js';
import { verifySignatureWith, type VerifiedSignature, type VerifySignatureOptions } from './verify.js';

/**
 * {@link import('./verify.js').verifySignature} for a binary envelope file, in constant memory and
 * without any key: run it before decrypting to know who wrote the file before any plaintext exists.
 * @throws as `verifySignature`; NqcCoreError `ERR_CORE_INVALID_ARGUMENT` for an armored file
 *   (dearmor it first); Node's fs errors pass through
 * @example
 * ```ts
 * const { signer } = await verifySignatureFile('report.nqc', { requireSigner: 'nqc-pub-...' });
 * await decryptFile('report.nqc', 'report.pdf', { identities, requireSigner: 'nqc-pub-...' });
 * ```
 */
export async function verifySignatureFile(path: string, opts?: VerifySignatureOptions): Promise<VerifiedSignature> {
  const fh = await open(path, 'r');
  try {
    const first = new Uint8Array(64);
    const { bytesRead } = await fh.read(first, 0, first.length, 0);
    const lead = first.subarray(0, bytesRead).find((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
    if (lead === 0x2d) fail('ERR_CORE_INVALID_ARGUMENT', 'verifySignatureFile needs a binary envelope (dearmor it, or use verifySignature on the text)');
  } finally {
    await fh.close();
  }
  const src = await fileSource(path);
  try {
    return await verifySignatureWith(nodeProvider, src, opts);
  } finally {
    await src.close();
  }
}
