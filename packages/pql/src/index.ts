/**
 * `@nqc/pql`: the nqc post-quantum layer. Wraps an envelope's file key to X-Wing / ML-KEM-1024
 * recipients (age's stanza model), signs with ML-DSA / SLH-DSA / Falcon, and handles key strings,
 * identity files and keysets. Browser-safe; file I/O lives in `@nqc/pql/node`.
 * @module
 */
export { NqcPqlError, type PqlErrorCode } from './errors.js';
export { FILE_KEY_LENGTH, wrapToRecipients, type Identity, type Recipient, type Stanza } from './stanza.js';
export {
  getKem,
  getSignature,
  listKems,
  listSignatures,
  registerKem,
  registerSignature,
  type KemProvider,
  type SignatureProvider,
} from './registry.js';
export {
  DEFAULT_KEM,
  generateIdentity,
  KemIdentity,
  KemRecipient,
  parseIdentity,
  parseRecipient,
  type RecipientOptions,
} from './kem.js';
export { SEALED_FILE_KEY_LENGTH } from './wrap.js';
export {
  hasPassphraseStanza,
  PASSPHRASE_LABEL,
  PASSPHRASE_STANZA_TYPE,
  PassphraseIdentity,
  PassphraseRecipient,
  type PassphraseRecipientOptions,
} from './passphrase.js';
export {
  DEFAULT_SIGNATURE,
  DEFAULT_SIGNATURE_CONTEXT,
  ENVELOPE_SIGNATURE_CONTEXT,
  generateSigningKey,
  parseSigningKey,
  parseVerifyingKey,
  SigningKey,
  VerifyingKey,
  type SignatureOptions,
  type Signer,
  type Verifier,
} from './signature.js';
export {
  decodeKeyString,
  encodeKeyString,
  keyStringPrefix,
  MAX_KEY_STRING_LENGTH,
  type DecodedKey,
  type KeyKind,
} from './key-string.js';
export { KEY_ID_LENGTH, keyId } from './key-id.js';
export {
  DEFAULT_SCRYPT_PARAMS,
  isEncryptedIdentityFile,
  MAX_IDENTITY_FILE_LENGTH,
  MAX_SCRYPT_LOG_N,
  MIN_SCRYPT_LOG_N,
  parseIdentityFile,
  serializeIdentityFile,
  type IdentityFileContents,
  type ParseIdentityOptions,
  type ScryptParams,
  type SerializeIdentityOptions,
} from './identity-file.js';
export {
  Keyset,
  MAX_KEYSET_KEYS,
  MAX_UNHINTED_KEYS,
  MAX_UNWRAP_DECAPSULATIONS,
  type AddKeyOptions,
  type KeyInfo,
  type KeyPurpose,
  type KeyStatus,
} from './keyset.js';
