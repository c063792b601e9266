// Keyless signature check over the ciphertext (FORMAT.md section 8), with the same trust rule as
// decrypt's `requireSigner`: verify who signed an envelope BEFORE decrypting anything.
import { bytesSource, nobleProvider, verifyEnvelopeSignature, type CryptoProvider, type SeekableSource } from '@nqc/container';
import { binaryEnvelope } from './envelope.js';
import { fail } from './errors.js';
import { signerReport, toVerifiers, verifierFor, type SignerReport, type VerifierInput } from './keys.js';

/** Options of {@link verifySignature}. */
export interface VerifySignatureOptions {
  /**
   * The keys one of which must have signed (as `decrypt`'s `requireSigner`). Without it the
   * signature is only checked against the key the header names: integrity, not identity.
   */
  readonly requireSigner?: VerifierInput | readonly VerifierInput[] | undefined;
}

/** @internal verifySignature with a crypto provider (node:crypto's SHA-256 in `@nqc/core/node`). */
export async function verifySignatureWith(provider: CryptoProvider, source: SeekableSource, opts: VerifySignatureOptions | undefined): Promise<{ signer: SignerReport }> {
  if (opts !== undefined && (typeof opts !== 'object' || opts === null)) fail('ERR_CORE_INVALID_ARGUMENT', '"options" expected an object like { requireSigner }');
  const trusted = opts?.requireSigner === undefined || opts.requireSigner === null ? undefined : toVerifiers(opts.requireSigner);
  const { signer } = await verifyEnvelopeSignature(source, verifierFor(trusted), { provider });
  return { signer: signerReport(signer) };
}

/**
 * Verifies an envelope's signature without any decryption key, reading the ciphertext once in
 * constant memory (a {@link SeekableSource}) and decrypting nothing: check who wrote an envelope
 * before a single plaintext byte exists. It covers the suite (salt and key commitment), the HE
 * section and the payload ciphertext, not the stanzas; decrypting afterwards (which checks the
 * signature again) binds it to the file key. Armored text and bytes are accepted too.
 * @returns the verified signer
 * @throws NqcFormatError structural codes, `ERR_FORMAT_SIGNATURE_REQUIRED` (unsigned),
 *   `ERR_FORMAT_SIGNATURE_INVALID`; NqcCoreError `ERR_CORE_SIGNER_UNTRUSTED` (valid, but not by a
 *   `requireSigner` key), `ERR_CORE_KEY`
 * @example
 * ```ts
 * const { signer } = await verifySignature(envelope, { requireSigner: ['nqc-pub-...'] });
 * const { plaintext } = await decrypt(envelope, { identities, requireSigner: ['nqc-pub-...'] });
 * ```
 */
export async function verifySignature(envelope: Uint8Array | string | SeekableSource, opts?: VerifySignatureOptions): Promise<{ signer: SignerReport }> {
  const source = typeof envelope === 'string' || envelope instanceof Uint8Array ? bytesSource(binaryEnvelope(envelope).bytes) : envelope;
  return verifySignatureWith(nobleProvider, source, opts);
}
