// Keyless signature check (FORMAT.md section 8): anyone holding an envelope can check who signed its
// content (header minus stanzas, HE section, payload ciphertext) without any decryption key.
import { fail } from './errors.js';
import { parseHeader, parsePrelude, PRELUDE_LENGTH, type ParsedHeader, type SignerInfo } from './header.js';
import { decodeTrailer, payloadLayout, signatureTranscript, type SignatureVerifier } from './payload.js';
import { nobleProvider, type CryptoProvider } from './provider.js';
import type { SeekableSource } from './random-access.js';

const PIECE = 1 << 20;

async function readExact(src: SeekableSource, offset: number, length: number): Promise<Uint8Array> {
  const b = await src.read(offset, length);
  if (!(b instanceof Uint8Array) || b.length !== length) fail('ERR_FORMAT_TRUNCATED', `source returned ${b?.length} of ${length} bytes at ${offset}`);
  return b;
}

/**
 * Verifies an envelope's signature without any key, reading the source once in 1 MiB pieces (constant
 * memory). It proves who signed the suite (salt and key commitment included), HE section and payload
 * ciphertext; it does not authenticate the stanzas (they are not signed), cannot check the key
 * commitment against a file key (opening the envelope does that), and does not decrypt anything.
 *
 * @param source - the envelope (use `bytesSource(bytes)` for bytes in memory, `fileSource` on Node)
 * @param verify - checks `signature` over `transcript` for the signer named in the header
 * @returns the header's signer info and the parsed (unauthenticated) header
 * @throws NqcFormatError structural codes, `ERR_FORMAT_SIGNATURE_REQUIRED` when unsigned,
 *   `ERR_FORMAT_SIGNATURE_ENCODING`, `ERR_FORMAT_SIGNATURE_INVALID`
 * @example
 * ```ts
 * const { signer } = await verifyEnvelopeSignature(bytesSource(env), (s, t, sig) => ml_dsa65.verify(sig, t, s.key));
 * ```
 */
export async function verifyEnvelopeSignature(
  source: SeekableSource,
  verify: SignatureVerifier,
  opts: { readonly provider?: CryptoProvider } = {},
): Promise<{ signer: SignerInfo; header: ParsedHeader }> {
  if (typeof verify !== 'function') fail('ERR_FORMAT_INVALID_ARGUMENT', '"verify" must be a function');
  if (!Number.isSafeInteger(source?.size) || source.size < 0) fail('ERR_FORMAT_INVALID_ARGUMENT', '"source.size" must be a non-negative integer');
  if (source.size < PRELUDE_LENGTH) parsePrelude(await readExact(source, 0, source.size));
  const headerLength = parsePrelude(await readExact(source, 0, PRELUDE_LENGTH));
  if (source.size < headerLength) fail('ERR_FORMAT_TRUNCATED', 'envelope ends inside the header');
  const header = parseHeader(await readExact(source, 0, headerLength));
  const signer = header.signer;
  if (!signer) fail('ERR_FORMAT_SIGNATURE_REQUIRED', 'envelope is not signed');
  const payloadLength = source.size - headerLength - signer.trailerLength;
  payloadLayout(payloadLength, header.suite.chunkSize);
  const provider = opts.provider ?? nobleProvider;
  const h = provider.sha256();
  for (let off = 0; off < payloadLength; off += PIECE) {
    h.update(await readExact(source, headerLength + off, Math.min(PIECE, payloadLength - off)));
  }
  const sig = decodeTrailer(await readExact(source, headerLength + payloadLength, signer.trailerLength));
  const transcript = signatureTranscript(() => provider.sha256(), header, h.digest());
  if ((await verify(signer, transcript, sig)) !== true) fail('ERR_FORMAT_SIGNATURE_INVALID', 'signature does not verify');
  return { signer, header };
}
