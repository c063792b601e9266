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

/** What {@link verifySignature} proves: who signed, and what exactly the signature covers. */
export interface VerifiedSignature {
  /** The verified signer. */
  readonly signer: SignerReport;
  /**
   * The 32-byte SHA-256 transcript the signature is over (FORMAT.md section 8: the header minus the
   * stanzas, with the signer's key, and the payload ciphertext's hash). Identical for every encoding
   * of one signed envelope: armored or binary, stanzas re-wrapped (`updateRecipients`), or another
   * valid signature over the same content; use it (not the bytes) to recognise a replayed envelope.
   */
  readonly transcript: Uint8Array;
}

/** @internal verifySignature with a crypto provider (node:crypto's SHA-256 in `@nqc/core/node`). */
export async function verifySignatureWith(provider: CryptoProvider, source: SeekableSource, opts: VerifySignatureOptions | undefined): Promise<VerifiedSignature> {
  if (opts !== undefined && (typeof opts !== 'object' || opts === null)) fail('ERR_CORE_INVALID_ARGUMENT', '"options" expected an object like { requireSigner }');
  const trusted = opts?.requireSigner === undefined || opts.requireSigner === null ? undefined : toVerifiers(opts.requireSigner);
  const check = verifierFor(trusted);
  let transcript: Uint8Array | undefined;
  const { signer } = await verifyEnvelopeSignature(
    source,
    async (info, t, sig) => {
      const ok = await check(info, t, sig);
      if (ok === true) transcript = t.slice();
      return ok;
    },
    { provider },
  );
  if (!transcript) fail('ERR_CORE_INVALID_ARGUMENT', 'signature checked without a transcript'); // unreachable: a verified signature had one
  return { signer: signerReport(signer), transcript };
}

/**
 * Verifies an envelope's signature without any decryption key, reading the ciphertext once in
 * constant memory (a {@link SeekableSource}) and decrypting nothing: check who wrote an envelope
 * before a single plaintext byte exists. It covers the suite (salt and key commitment), the HE
 * section and the payload ciphertext, not the stanzas; decrypting afterwards (which checks the
 * signature again) binds it to the file key. Armored text and bytes are accepted too.
 * @returns the verified signer and the transcript its signature covers
 * @throws NqcFormatError structural codes, `ERR_FORMAT_SIGNATURE_REQUIRED` (unsigned),
 *   `ERR_FORMAT_SIGNATURE_INVALID`; NqcCoreError `ERR_CORE_SIGNER_UNTRUSTED` (valid, but not by a
 *   `requireSigner` key), `ERR_CORE_KEY`
 * @example
 * ```ts
 * const { signer } = await verifySignature(envelope, { requireSigner: ['nqc-pub-...'] });
 * const { plaintext } = await decrypt(envelope, { identities, requireSigner: ['nqc-pub-...'] });
 * ```
 */
export async function verifySignature(envelope: Uint8Array | string | SeekableSource, opts?: VerifySignatureOptions): Promise<VerifiedSignature> {
  const source = typeof envelope === 'string' || envelope instanceof Uint8Array ? bytesSource(binaryEnvelope(envelope).bytes) : envelope;
  return verifySignatureWith(nobleProvider, source, opts);
}
