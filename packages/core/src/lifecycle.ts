// Key lifecycle: re-wrap the same file key (updateRecipients) or re-encrypt under a new one
// (rotateDataKey). The names differ on purpose: they promise very different things to a removed recipient.
import {
  armor,
  bytesSource,
  DECRYPT_FAILED_MESSAGE,
  NqcFormatError,
  openRandomAccess,
  parseHeader,
  rewriteHeader,
  type HeSection,
  type InnerLayer,
  type ParsedHeader,
  type SeekableSource,
} from '@nqc/container';
import { fail } from './errors.js';
import { binaryEnvelope, decryptAny, encryptAny, type DecryptResult } from './envelope.js';
import { toIdentities, toRecipients, unwrapWith, wrap, type IdentityInput, type RecipientInput, type SignerInput, type VerifierInput } from './keys.js';
import type { NdeVersion } from '@nqc/nde';
import type { NdeChoice, Platform } from './nde.js';
import { checkRecipientMix, checkStanzaMix } from './stanza-mix.js';

/** Options of `updateRecipients`. */
export interface UpdateRecipientsOptions {
  /** An identity that can open the envelope now (to recover the file key). */
  readonly identities: IdentityInput | readonly IdentityInput[];
  /** The complete new recipient list (replaces the old one). */
  readonly recipients: RecipientInput | readonly RecipientInput[];
}

/** The NDE layer of a rotated envelope: as the old one (`'keep'`), or on or off whatever the old one had. */
export type RotateNde = 'keep' | 'on' | 'off';

/** Options of `rotateDataKey`. */
export interface RotateDataKeyOptions extends UpdateRecipientsOptions {
  /**
   * Signer of the new envelope. Required (a key, or `null` to drop the signature on purpose) when the
   * old envelope was signed: the payload changes, so the old signature cannot be kept.
   */
  readonly signer?: SignerInput | null | undefined;
  /**
   * NDE backend for the old and the new payload; default `'auto'`. Whether the new envelope has the
   * NDE layer at all is {@link RotateDataKeyOptions.newNde}.
   */
  readonly nde?: Exclude<NdeChoice, 'off'> | undefined;
  /**
   * The NDE layer of the new envelope: `'keep'` (default: on iff the old envelope had it), `'on'` or
   * `'off'`. The AEAD, chunk size and HE section are always kept.
   */
  readonly newNde?: RotateNde | undefined;
  /**
   * NDE construction of the new envelope when it has the layer: `2` (default, `NDE_DEFAULT_VERSION`)
   * or `1`. A v1 envelope rotated with the defaults comes out as v2 (the old one opens with v1: its
   * header names its model).
   */
  readonly ndeVersion?: NdeVersion | undefined;
  /**
   * Require the **old** envelope to carry a valid signature by one of these keys before its content
   * (payload and HE section) is re-encrypted and re-signed: `rotateDataKey` otherwise re-signs content
   * it never checked. Errors as `decrypt`'s `requireSigner` (`ERR_FORMAT_SIGNATURE_REQUIRED`,
   * `ERR_FORMAT_SIGNATURE_INVALID`, `ERR_CORE_SIGNER_UNTRUSTED`); no output on failure.
   */
  readonly requireSigner?: VerifierInput | readonly VerifierInput[] | undefined;
  /**
   * Called with the old envelope's HE section (`undefined` when it has none), which is carried over
   * unchanged into the new envelope; anything but `true` aborts with `ERR_CORE_HE_FIELD`. Use it to
   * check that the HE ciphertexts are the ones you expect (key id, fields) before re-signing them.
   * `rotateDataKeyFile` calls it with the header of its first read and then checks that the decrypted,
   * authenticated header is byte-for-byte the same one.
   */
  readonly checkHe?: ((he: HeSection | undefined) => boolean | Promise<boolean>) | undefined;
}

/** @internal The NDE choice for the new envelope of a rotation (ERR_CORE_INVALID_ARGUMENT for a bad `newNde`). */
export function rotatedNde(opts: RotateDataKeyOptions, oldHasNde: boolean): NdeChoice {
  const want = opts.newNde ?? 'keep';
  if (want !== 'keep' && want !== 'on' && want !== 'off') {
    fail('ERR_CORE_INVALID_ARGUMENT', `"newNde" expected 'keep', 'on' or 'off', got ${String(want)}`);
  }
  const on = want === 'keep' ? oldHasNde : want === 'on';
  return on ? (opts.nde ?? 'auto') : 'off';
}

/** @internal Runs the caller's `checkHe` on the HE section that will be carried over. */
export async function runCheckHe(opts: RotateDataKeyOptions, he: HeSection | undefined): Promise<void> {
  if (opts.checkHe === undefined) return;
  if (typeof opts.checkHe !== 'function') fail('ERR_CORE_INVALID_ARGUMENT', '"checkHe" expected a function');
  if ((await opts.checkHe(he)) !== true) fail('ERR_CORE_HE_FIELD', 'the HE section was refused by "checkHe": nothing was re-encrypted');
}

/** @internal Recovers the file key of a parsed header with the caller's identities (MAC checked). */
export async function recoverFileKey(header: ParsedHeader, identities: IdentityInput | readonly IdentityInput[]): Promise<Uint8Array> {
  checkStanzaMix(header.stanzas);
  const fileKey = await unwrapWith(toIdentities(identities))(header.stanzas);
  if (!fileKey) throw new NqcFormatError('ERR_FORMAT_DECRYPT_FAILED', DECRYPT_FAILED_MESSAGE);
  return fileKey;
}

/**
 * @internal Checks the payload framing of an envelope before `updateRecipients` gives it a new header,
 * so a truncated or extended file is refused instead of re-wrapped: the payload length must be whole
 * chunks plus a non-empty final chunk (`ERR_FORMAT_TRUNCATED`, `ERR_FORMAT_EMPTY_LAST_CHUNK`, from the
 * sizes alone), and the final chunk must open under the file key at its position with the last-chunk
 * flag, which also catches a cut at a chunk boundary, a missing or shortened signature trailer and
 * trailing bytes (`ERR_FORMAT_DECRYPT_FAILED`). Cost: the header and ONE chunk (AEAD only: the NDE layer
 * is not run, no ONNX is loaded); the other chunks are not read, so a flipped bit inside them is found
 * only by `decrypt`, as before.
 */
export async function checkFraming(source: SeekableSource, fileKey: Uint8Array): Promise<void> {
  const passThrough = (id: Uint8Array): InnerLayer => ({
    id,
    encryptChunks: async (_k, _s, items) => items.map((i) => i.data),
    decryptChunks: async (_k, _s, items) => items.map((i) => i.data),
  });
  const ra = await openRandomAccess(source, { unwrap: () => Uint8Array.prototype.slice.call(fileKey), inner: passThrough });
  (await ra.readChunk(ra.chunkCount - 1)).fill(0);
}

/** @internal updateRecipients on bytes: new header + the old payload and trailer, untouched. */
export async function updateRecipientsBytes(envelope: Uint8Array | string, opts: UpdateRecipientsOptions): Promise<Uint8Array | string> {
  if (typeof opts !== 'object' || opts === null) fail('ERR_CORE_INVALID_ARGUMENT', '"options" expected an object');
  const { bytes, armored } = binaryEnvelope(envelope);
  const recipients = toRecipients(opts.recipients);
  checkRecipientMix(recipients);
  const header = parseHeader(bytes);
  const fileKey = await recoverFileKey(header, opts.identities);
  try {
    await checkFraming(bytesSource(bytes), fileKey);
  } catch (e) {
    fileKey.fill(0);
    throw e;
  }
  const stanzas = wrap(fileKey, recipients);
  const { header: fresh, oldLength } = rewriteHeader(bytes.subarray(0, header.length), fileKey, stanzas);
  fileKey.fill(0);
  const out = new Uint8Array(fresh.length + bytes.length - oldLength);
  out.set(fresh, 0);
  out.set(bytes.subarray(oldLength), fresh.length);
  return armored ? armor(out) : out;
}

/** @internal rotateDataKey on bytes: decrypt, then encrypt anew with the same suite (NDE per `newNde`) and HE section. */
export async function rotateDataKeyBytes(platform: Platform, envelope: Uint8Array | string, opts: RotateDataKeyOptions): Promise<Uint8Array | string> {
  if (typeof opts !== 'object' || opts === null) fail('ERR_CORE_INVALID_ARGUMENT', '"options" expected an object');
  const { bytes, armored } = binaryEnvelope(envelope);
  rotatedNde(opts, false); // fail on a bad option and bad recipients before decrypting
  checkRecipientMix(toRecipients(opts.recipients));
  const header = parseHeader(bytes);
  if (header.signer && opts.signer === undefined) {
    fail('ERR_CORE_INVALID_ARGUMENT', 'the envelope is signed: pass "signer" to sign the new one, or signer: null to drop the signature');
  }
  // `bytes` is one buffer: the header parsed above is the one the decryption authenticates (a
  // refusal by checkHe or a failed authentication both leave no output).
  await runCheckHe(opts, header.he);
  const opened = (await decryptAny(platform, bytes, { identities: opts.identities, nde: opts.nde, requireSigner: opts.requireSigner })) as DecryptResult;
  const out = (await encryptAny(
    platform,
    opened.plaintext,
    {
      recipients: opts.recipients,
      signer: opts.signer ?? undefined,
      nde: rotatedNde(opts, header.suite.innerId !== null),
      ndeVersion: opts.ndeVersion,
      aead: header.suite.aead,
      chunkSize: header.suite.chunkSize,
    },
    { he: header.he },
  )) as Uint8Array;
  opened.plaintext.fill(0);
  return armored ? armor(out) : out;
}

