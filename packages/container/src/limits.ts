/**
 * Hard limits of format v1. A parser checks each length against these before it allocates or reads.
 * They are part of the format (FORMAT.md section 7): an envelope outside them is invalid everywhere.
 */
export const LIMITS = Object.freeze({
  /** Whole header, magic to MAC inclusive. */
  maxHeaderLength: 80 * 1024 * 1024,
  /** Recipient stanzas per envelope. */
  maxStanzas: 64,
  /** Bytes in one stanza type string. */
  maxStanzaTypeLength: 64,
  /** Arguments per stanza. */
  maxStanzaArgs: 8,
  /** Characters in one stanza argument. */
  maxStanzaArgLength: 256,
  /** Bytes in one stanza body. */
  maxStanzaBodyLength: 64 * 1024,
  /** log2 of the smallest / largest chunk size (64 B .. 16 MiB). */
  minChunkSizeLog2: 6,
  maxChunkSizeLog2: 24,
  /** Signature algorithm id length (ASCII). */
  maxSignerAlgLength: 64,
  /** Signer public key or key id. */
  maxSignerKeyLength: 8 * 1024,
  /** Signature trailer (4-byte length + signature + zero padding). */
  maxSignatureTrailerLength: 64 * 1024,
  /** HE section as a whole (the section body). */
  maxHeSectionLength: 64 * 1024 * 1024,
  /** HE entries. */
  maxHeEntries: 4096,
  /** UTF-8 bytes of one HE field path. */
  maxHePathLength: 1024,
  /** ASCII bytes of an HE scheme or layout name. */
  maxHeNameLength: 32,
  /** Bytes of an HE params id or key id. */
  maxHeIdLength: 64,
  /** Bytes of one HE ciphertext. */
  maxHeCiphertextLength: 32 * 1024 * 1024,
  /** Whitespace bytes a reader accepts before the armor BEGIN line (FORMAT.md section 9). */
  maxLeadingWhitespace: 1024,
  /** Bytes of the opaque HE metadata. */
  maxHeMetadataLength: 1024 * 1024,
});
