/**
 * `@nqc/core`: the nqc facade. Encrypt bytes or Web Streams to post-quantum recipients (optionally
 * signed, armored, with the NDE inner layer), decrypt with identities (optionally requiring a
 * signer), inspect envelopes without keys, encrypt JSON records with HE-encrypted numeric fields, and
 * manage keys over time (`updateRecipients`, `rotateDataKey`). Browser-safe; Node streams, files and
 * the ONNX NDE backend are in `@nqc/core/node`.
 * @module
 */
import { browserPlatform } from './nde.js';
import type { RandomAccessEnvelope, SeekableSource } from '@nqc/container';
import {
  decryptAny,
  encryptAny,
  inspectAny,
  openAny,
  type OpenEnvelopeOptions,
  type DecryptOptions,
  type DecryptResult,
  type DecryptStreamResult,
  type EncryptOptions,
} from './envelope.js';
import type { EnvelopeInfo } from './info.js';
import { rotateDataKeyBytes, updateRecipientsBytes, type RotateDataKeyOptions, type UpdateRecipientsOptions } from './lifecycle.js';

export { NqcCoreError, errorInfo, isNqcError, DECRYPT_FAILED_MESSAGE, type NqcCoreErrorCode, type NqcErrorInfo, type NqcErrorLayer } from './errors.js';
export type { AsyncIdentity, AsyncSigner, IdentityInput, RecipientInput, SignerInput, VerifierInput, SignerReport } from './keys.js';
export type { NdeChoice } from './nde.js';
export { NDE_DEFAULT_VERSION, NDE_MODEL_ID, ndeModelIdOf, type NdeVersion } from './nde.js';
export type { EnvelopeInfo, EnvelopeSizes, HeFieldInfo, RecipientInfo } from './info.js';
export type { DecryptOptions, DecryptResult, DecryptStreamResult, EncryptOptions, OpenEnvelopeOptions } from './envelope.js';
export { bytesSource, Dearmorer, detectEncoding, type EnvelopeEncoding, type RandomAccessEnvelope, type SeekableSource } from '@nqc/container';
export type { RotateDataKeyOptions, RotateNde, UpdateRecipientsOptions } from './lifecycle.js';
export { verifySignature, type VerifiedSignature, type VerifySignatureOptions } from './verify.js';
export {
  aggregate,
  decryptAggregate,
  decryptDataset,
  decryptRecord,
  encryptDataset,
  encryptRecord,
  extractHeFields,
  RECORD_HE_PATH,
  type AggregateEvaluator,
  type AggregateOptions,
  type ExtractHeFieldsOptions,
  type HeEnvelopeInput,
  type DecryptDatasetResult,
  type DecryptRecordOptions,
  type DecryptRecordResult,
  type EncryptRecordOptions,
  type JsonObject,
  type JsonValue,
} from './records-api.js';
export { NqcFormatError } from '@nqc/container';
export { NqcPqlError, generateIdentity, generateSigningKey, parseIdentity, parseRecipient, parseVerifyingKey, parseSigningKey, Keyset } from '@nqc/pql';
export { NqcNdeError } from '@nqc/nde';

/**
 * Encrypts bytes or a Web Stream into an nqc envelope.
 *
 * A fresh 32-byte file key is wrapped to every recipient; the payload is cut into chunks, each
 * passed through the NDE layer (unless `nde: 'off'`) and sealed with ChaCha20-Poly1305 or
 * AES-256-GCM (STREAM); the header is MACed; with `signer`, an ML-DSA (or other pql) signature covers
 * header, HE section and payload. In this browser-safe entry `nde: 'auto'` means, for NDE v2 (the
 * default `ndeVersion`), the WebAssembly SIMD backend in the calling thread when it works here, else
 * the reference backend; `@nqc/core/node` picks the fastest backend of the version (worker threads).
 *
 * @param input - plaintext bytes, or a `ReadableStream<Uint8Array>` (constant memory)
 * @param opts - recipients (required), signer, armor, nde, aead, chunkSize
 * @returns the envelope: bytes (`string` with `armor: true`), or a stream for a stream input
 * @throws NqcCoreError `ERR_CORE_INVALID_ARGUMENT`, `ERR_CORE_KEY`, `ERR_CORE_NDE_UNAVAILABLE`;
 *   NqcPqlError `ERR_PQL_RECIPIENTS` (a recipient is not post-quantum); NqcFormatError
 *   `ERR_FORMAT_INVALID_ARGUMENT` (chunk size, too many stanzas)
 * @example
 * ```ts
 * const alice = generateIdentity();                          // X-Wing
 * const env = await encrypt(utf8('hi'), { recipients: [alice.recipient().toString()] });
 * const { plaintext } = await decrypt(env, { identities: [alice] });
 * ```
 */
export function encrypt(input: Uint8Array, opts: EncryptOptions & { armor: true }): Promise<string>;
export function encrypt(input: Uint8Array, opts: EncryptOptions & { armor?: false | undefined }): Promise<Uint8Array>;
export function encrypt(input: Uint8Array, opts: EncryptOptions): Promise<Uint8Array | string>;
export function encrypt(input: ReadableStream<Uint8Array>, opts: EncryptOptions): ReadableStream<Uint8Array>;
export function encrypt(
  input: Uint8Array | ReadableStream<Uint8Array>,
  opts: EncryptOptions,
): Promise<Uint8Array | string> | ReadableStream<Uint8Array> {
  return encryptAny(browserPlatform, input, opts);
}

/**
 * Decrypts an envelope (binary bytes, armored text or bytes, or a Web Stream of either).
 *
 * Every key-dependent failure (no identity matches, wrong MAC, a tampered, truncated, reordered or
 * extended payload) is one error: NqcFormatError `ERR_FORMAT_DECRYPT_FAILED`, message `could not
 * decrypt`. Structural problems have their own `ERR_FORMAT_*` codes and are detected before any key
 * is used. For a stream, the output must be treated as provisional **and unsigned** until the stream
 * closes without error and `done` resolves: chunks are released as their tags verify, the final chunk
 * only after the end and the signature are checked. Hence a stream with `requireSigner` is refused
 * unless `allowUnverifiedOutput: true` is passed (then `info.signer` is `null`; `done` reports the
 * verified signer). Bytes input returns nothing before everything verified.
 *
 * @param input - the envelope
 * @param opts - identities (required), requireSigner, nde, allowUnverifiedOutput (streams)
 * @returns `{ plaintext, signer, info }` for bytes; `{ stream, info, done }` for a stream
 * @throws NqcFormatError (see FORMAT.md section 10), NqcCoreError `ERR_CORE_SIGNER_UNTRUSTED`,
 *   `ERR_CORE_KEY`, `ERR_CORE_INVALID_ARGUMENT` (stream with `requireSigner` without
 *   `allowUnverifiedOutput`), NqcPqlError `ERR_PQL_STANZA_MALFORMED`
 * @example
 * ```ts
 * const { plaintext, signer } = await decrypt(env, { identities: [secretKeyString], requireSigner: 'nqc-pub-mldsa65-1...' });
 * ```
 */
export function decrypt(input: Uint8Array | string, opts: DecryptOptions): Promise<DecryptResult>;
export function decrypt(input: ReadableStream<Uint8Array>, opts: DecryptOptions): DecryptStreamResult;
export function decrypt(
  input: Uint8Array | string | ReadableStream<Uint8Array>,
  opts: DecryptOptions,
): Promise<DecryptResult> | DecryptStreamResult {
  return decryptAny(browserPlatform, input, opts);
}

/**
 * Describes an envelope without any key: recipient types and key-id hints, suite, NDE model id, HE
 * fields, signer and sizes. The result is NOT authenticated (anyone can write any header); `decrypt`
 * returns the authenticated version. A stream is read to its end (constant memory) to learn the sizes.
 *
 * @param input - binary or armored envelope, or a stream of it
 * @throws NqcFormatError structural codes (`ERR_FORMAT_MAGIC`, `ERR_FORMAT_TRUNCATED`, ...)
 * @example
 * ```ts
 * const info = await inspect(env);
 * console.log(info.recipients.map((r) => `${r.type} ${r.keyIdHint}`), info.signer?.keyId);
 * ```
 */
export function inspect(input: Uint8Array | string | ReadableStream<Uint8Array>): Promise<EnvelopeInfo> {
  return inspectAny(input);
}

/**
 * Re-wraps the SAME file key for a new recipient list. Only the header changes (cost proportional
 * to the header); the payload, the HE section and the signature are kept byte for byte (the signature
 * does not cover the stanzas, so it stays valid).
 *
 * What a removed recipient can still do afterwards: the file key did not change, so a removed
 * recipient who kept the old envelope, or who learned the file key, can still read this payload —
 * and can read the new envelope's payload too if they obtain it (same key, same bytes). It cannot
 * open the new envelope with its identity alone (no stanza for it). Use {@link rotateDataKey} to
 * cut it off from future versions of the data.
 *
 * @param envelope - binary or armored envelope (armored in, armored out)
 * @param opts - identities that open it now; the complete new recipients list
 * @throws NqcFormatError `ERR_FORMAT_DECRYPT_FAILED` (no identity matches), structural codes
 * @example
 * ```ts
 * const shared = await updateRecipients(env, { identities: [me], recipients: [me.recipient(), bob] });
 * ```
 */
export function updateRecipients(envelope: Uint8Array, opts: UpdateRecipientsOptions): Promise<Uint8Array>;
export function updateRecipients(envelope: string, opts: UpdateRecipientsOptions): Promise<string>;
export function updateRecipients(envelope: Uint8Array | string, opts: UpdateRecipientsOptions): Promise<Uint8Array | string> {
  return updateRecipientsBytes(envelope, opts);
}

/**
 * Re-encrypts the payload under a NEW file key and a new salt (so new payload, header and NDE keys),
 * for a new recipient list, keeping the suite (AEAD, chunk size, NDE on/off) and the HE section (its
 * ciphertexts are under the HE key, not the file key; they are re-bound by the new header MAC).
 *
 * What an old recipient can still do afterwards: it can still read any OLD envelope it kept (nothing
 * can take that back), but neither its identity nor the old file key opens the new envelope.
 * The HE fields are the same ciphertexts, so whoever holds the HE secret key still decrypts them.
 * A signed envelope must be re-signed (`signer`) or its signature dropped explicitly (`signer: null`).
 * Re-signing vouches for content this call did not check unless you pass `requireSigner` (the old
 * envelope must be signed by one of those keys) and/or `checkHe` (inspect the HE section kept).
 *
 * @param envelope - binary or armored envelope, in memory
 * @param opts - identities that open it now, new recipients, signer, nde
 * @throws NqcFormatError `ERR_FORMAT_DECRYPT_FAILED`, NqcCoreError `ERR_CORE_INVALID_ARGUMENT`
 * @example
 * ```ts
 * const fresh = await rotateDataKey(env, { identities: [me], recipients: [me.recipient()], signer: null });
 * ```
 */
export function rotateDataKey(envelope: Uint8Array, opts: RotateDataKeyOptions): Promise<Uint8Array>;
export function rotateDataKey(envelope: string, opts: RotateDataKeyOptions): Promise<string>;
export function rotateDataKey(envelope: Uint8Array | string, opts: RotateDataKeyOptions): Promise<Uint8Array | string> {
  return rotateDataKeyBytes(browserPlatform, envelope, opts);
}

/**
 * Opens an envelope for random access from a seekable source (a Blob, an HTTP range reader, bytes via
 * `bytesSource`): reads and authenticates the header, then `readChunk(k)` decrypts and verifies chunk
 * `k` (its tag and position) reading only that chunk. A signature is NOT checked (it covers the whole
 * payload): use `decrypt` for that.
 * @throws NqcFormatError structural codes, `ERR_FORMAT_DECRYPT_FAILED`; `readChunk` also `ERR_FORMAT_CHUNK_INDEX`
 * @example
 * ```ts
 * const env = await openEnvelope(bytesSource(envelopeBytes), { identities: [alice] });
 * const third = await env.readChunk(2);
 * ```
 */
export function openEnvelope(source: SeekableSource, opts: OpenEnvelopeOptions): Promise<RandomAccessEnvelope> {
  return openAny(browserPlatform, source, opts);
}
