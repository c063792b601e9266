/**
 * `@nqc/container`: the nqc envelope format v1 (see FORMAT.md). Browser-safe: Uint8Array, Web Streams,
 * Web Crypto randomness, `@noble` primitives. Knows no KEM, no NDE model and no HE scheme: it stores
 * stanzas, calls an inner layer, binds HE entries and signatures through the interfaces below.
 * @module
 */
export { NqcFormatError, DECRYPT_FAILED_MESSAGE, type NqcFormatErrorCode } from './errors.js';
export { LIMITS } from './limits.js';
export { deriveKeys, keyCommitment, randomBytes, LABELS, FILE_KEY_LENGTH, KEY_COMMITMENT_LENGTH, SALT_LENGTH, type EnvelopeKeys } from './keys.js';
export { nobleProvider, type AeadName, type ChunkAead, type CryptoProvider, type Sha256Hasher } from './provider.js';
export {
  MAGIC,
  FORMAT_VERSION,
  PRELUDE_LENGTH,
  MAC_LENGTH,
  TAG_LENGTH,
  DEFAULT_CHUNK_SIZE,
  SECTION,
  encodeHeader,
  parsePrelude,
  checkMagicPrefix,
  parseHeader,
  verifyHeaderMac,
  rewriteHeader,
  type Stanza,
  type Suite,
  type SignerInfo,
  type HeEntry,
  type HeSection,
  type UnknownSection,
  type HeaderFields,
  type ParsedHeader,
} from './header.js';
export {
  INNER_BATCH,
  INNER_BATCH_BYTES,
  chunkNonce,
  payloadLayout,
  type InnerLayer,
  type PayloadLayout,
  type Signer,
  type SignatureVerifier,
} from './payload.js';
export {
  createEncryptStream,
  createDecryptStream,
  encryptEngine,
  decryptEngine,
  type Emit,
  type EncryptEngine,
  type DecryptEngine,
  type EncryptOptions,
  type DecryptOptions,
  type DecryptStream,
} from './stream.js';
export {
  openRandomAccess,
  openChunk,
  bytesSource,
  type SeekableSource,
  type RandomAccessEnvelope,
  type RandomAccessOptions,
} from './random-access.js';
export { encryptEnvelope, decryptEnvelope } from './envelope.js';
export { verifyEnvelopeSignature } from './verify.js';
export { armor, dearmor, Dearmorer, detectEncoding, EncodingSniffer, isArmored, createArmorStream, ARMOR_BEGIN, ARMOR_END, ARMOR_LINE_LENGTH } from './armor.js';
export type { EnvelopeEncoding } from './armor.js';
