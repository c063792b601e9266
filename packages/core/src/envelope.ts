// encrypt / decrypt / inspect over bytes and Web Streams, for any platform (browser or Node).
import {
  armor as armorBytes,
  createArmorStream,
  decryptEngine,
  dearmor,
  encryptEngine,
  FILE_KEY_LENGTH,
  isArmored,
  openRandomAccess,
  parseHeader,
  parsePrelude,
  PRELUDE_LENGTH,
  randomBytes,
  type AeadName,
  type DecryptOptions as ContainerDecryptOptions,
  type EncryptOptions as ContainerEncryptOptions,
  type HeSection,
  type ParsedHeader,
  type RandomAccessEnvelope,
  type SeekableSource,
} from '@nqc/container';
import { fail } from './errors.js';
import { describe, type EnvelopeInfo } from './info.js';
import {
  containerSigner,
  signerReport,
  toIdentities,
  toRecipients,
  toSigner,
  toVerifiers,
  unwrapWith,
  verifierFor,
  wrap,
  type IdentityInput,
  type RecipientInput,
  type SignerInput,
  type SignerReport,
  type VerifierInput,
} from './keys.js';
import { checkNdeChoice, innerForEncrypt, innerResolver, type NdeChoice, type Platform } from './nde.js';

/** Options of `encrypt`. */
export interface EncryptOptions {
  /** One or more recipients (1-64 stanzas in all); X-Wing and ML-KEM-1024 may be mixed. */
  readonly recipients: RecipientInput | readonly RecipientInput[];
  /** Sign the envelope (header, HE section and payload) with this key. */
  readonly signer?: SignerInput | undefined;
  /** ASCII armor the output (PEM-style, for mail and chat). Default false. */
  readonly armor?: boolean | undefined;
  /** NDE inner layer; default `'auto'`. See {@link NdeChoice}. */
  readonly nde?: NdeChoice | undefined;
  /** Payload AEAD; default `chacha20-poly1305`. */
  readonly aead?: AeadName | undefined;
  /** Plaintext bytes per chunk: a power of two, 64 B-16 MiB; default 64 KiB. */
  readonly chunkSize?: number | undefined;
}

/** Options of `decrypt`. */
export interface DecryptOptions {
  /** Identities to try, in order. */
  readonly identities: IdentityInput | readonly IdentityInput[];
  /**
   * Require a valid signature by one of these keys: an unsigned envelope is refused
   * (`ERR_FORMAT_SIGNATURE_REQUIRED`), a bad signature too (`ERR_FORMAT_SIGNATURE_INVALID`), and a valid
   * signature by another key (`ERR_CORE_SIGNER_UNTRUSTED`). Without it a signature, if present, is
   * still verified against the key named in the header (integrity, not identity: anyone can sign).
   */
  readonly requireSigner?: VerifierInput | readonly VerifierInput[] | undefined;
  /** NDE backend for envelopes that use the NDE layer; default `'auto'`; `'off'` refuses them. */
  readonly nde?: NdeChoice | undefined;
}

/** Result of decrypting bytes. */
export interface DecryptResult {
  /** The plaintext. */
  readonly plaintext: Uint8Array;
  /** The verified signer, when the envelope is signed. */
  readonly signer: SignerReport | undefined;
  /** The authenticated header. */
  readonly info: EnvelopeInfo;
}

/** Result of decrypting a stream. */
export interface DecryptStreamResult {
  /** Plaintext. Treat it as provisional until it closes without error (the final chunk and signature are checked last). */
  readonly stream: ReadableStream<Uint8Array>;
  /** Resolves with the authenticated header, before any plaintext. */
  readonly info: Promise<EnvelopeInfo>;
  /** Resolves when the stream ended and everything verified, with the verified signer if any. */
  readonly done: Promise<{ readonly signer: SignerReport | undefined }>;
}

/** @internal Extra header content for records and datasets. */
export interface EncryptExtras {
  readonly he?: HeSection | undefined;
}

function checkObject(o: unknown, what: string): void {
  if (typeof o !== 'object' || o === null) fail('ERR_CORE_INVALID_ARGUMENT', `"${what}" expected an options object`);
}

/** @internal Builds the container's encryption options (wraps a fresh file key). */
export async function encryptOptions(platform: Platform, opts: EncryptOptions, extras: EncryptExtras = {}): Promise<ContainerEncryptOptions> {
  checkObject(opts, 'options');
  const recipients = toRecipients(opts.recipients);
  const signer = opts.signer === undefined || opts.signer === null ? undefined : containerSigner(toSigner(opts.signer));
  const inner = await innerForEncrypt(platform, checkNdeChoice(opts.nde));
  const fileKey = randomBytes(FILE_KEY_LENGTH);
  const stanzas = wrap(fileKey, recipients);
  return {
    fileKey,
    stanzas,
    aead: opts.aead,
    chunkSize: opts.chunkSize,
    inner,
    he: extras.he,
    signer,
    provider: platform.provider,
  };
}

/** @internal Builds the container's decryption options. */
export function decryptOptions(platform: Platform, opts: DecryptOptions): ContainerDecryptOptions {
  checkObject(opts, 'options');
  const identities = toIdentities(opts.identities);
  const trusted = opts.requireSigner === undefined || opts.requireSigner === null ? undefined : toVerifiers(opts.requireSigner);
  const unwrap = unwrapWith(identities);
  const verify = verifierFor(trusted);
  return {
    unwrap: (stanzas, header) => {
      // Public data, checked before any key is used: refuse an envelope signed by someone else
      // before it releases a single chunk (verifierFor checks again at the end).
      if (trusted && header.signer) {
        const s = header.signer;
        if (!trusted.some((t) => t.algorithm === s.alg && t.publicKey.length === s.key.length && t.publicKey.every((b, i) => b === s.key[i]))) {
          const who = signerReport(s);
          fail('ERR_CORE_SIGNER_UNTRUSTED', `envelope is signed by ${who.keyId ?? 'an unknown key'} (${s.alg}), which is not a required signer`);
        }
      }
      return unwrap(stanzas);
    },
    inner: innerResolver(platform, checkNdeChoice(opts.nde)),
    verify,
    requireSignature: trusted !== undefined,
    provider: platform.provider,
  };
}

/** @internal Pieces of at most `piece` bytes from an array. */
export function bytesStream(bytes: Uint8Array, piece = 1 << 20): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= bytes.length) return c.close();
      c.enqueue(bytes.subarray(off, off + piece));
      off += piece;
    },
  });
}

/** @internal Reads a stream to the end into one array. */
export async function collect(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  const reader = readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    n += value.length;
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(n);
  n = 0;
  for (const p of parts) {
    out.set(p, n);
    n += p.length;
  }
  return out;
}

function isStream(x: unknown): x is ReadableStream<Uint8Array> {
  return typeof ReadableStream !== 'undefined' && x instanceof ReadableStream;
}

/**
 * @internal A TransformStream whose engine is built asynchronously (key wrapping, NDE backend) in
 * `start`, so that the stream API stays synchronous.
 */
function encryptTransform(platform: Platform, opts: EncryptOptions, extras: EncryptExtras): TransformStream<Uint8Array, Uint8Array> {
  let engine: ReturnType<typeof encryptEngine>;
  return new TransformStream<Uint8Array, Uint8Array>({
    async start(c) {
      engine = encryptEngine(await encryptOptions(platform, opts, extras));
      c.enqueue(engine.header);
    },
    transform: (chunk, c) => engine.write(chunk, (b) => c.enqueue(b)),
    flush: (c) => engine.end((b) => c.enqueue(b)),
  });
}

/** @internal encrypt() for any platform. */
export function encryptAny(
  platform: Platform,
  input: Uint8Array | ReadableStream<Uint8Array>,
  opts: EncryptOptions,
  extras: EncryptExtras = {},
): Promise<Uint8Array | string> | ReadableStream<Uint8Array> {
  checkObject(opts, 'options');
  if (isStream(input)) {
    const out = input.pipeThrough(encryptTransform(platform, opts, extras));
    return opts.armor ? out.pipeThrough(createArmorStream()) : out;
  }
  if (!(input instanceof Uint8Array)) fail('ERR_CORE_INVALID_ARGUMENT', '"input" expected Uint8Array or ReadableStream');
  return (async () => {
    const env = await collect(bytesStream(input).pipeThrough(encryptTransform(platform, opts, extras)));
    return opts.armor ? armorBytes(env) : env;
  })();
}

/** @internal Normalises an envelope given as bytes or armored text; returns the binary form. */
export function binaryEnvelope(envelope: Uint8Array | string): { bytes: Uint8Array; armored: boolean } {
  if (typeof envelope === 'string') return { bytes: dearmor(envelope), armored: true };
  if (!(envelope instanceof Uint8Array)) fail('ERR_CORE_INVALID_ARGUMENT', '"envelope" expected Uint8Array, armored string or ReadableStream');
  if (isArmored(envelope)) return { bytes: dearmor(envelope), armored: true };
  return { bytes: envelope, armored: false };
}

/** @internal The decrypting TransformStream pieces: header promise and the final signer. */
function decryptTransform(platform: Platform, opts: DecryptOptions) {
  const copts = decryptOptions(platform, opts);
  const engine = decryptEngine(copts);
  let armored = false;
  let sniffed = false;
  let headerInfo: EnvelopeInfo | undefined;
  const info = engine.header.then((h) => (headerInfo = describe(h, armored)));
  info.catch(() => undefined);
  let resolveDone!: (v: { signer: SignerReport | undefined }) => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<{ signer: SignerReport | undefined }>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  done.catch(() => undefined);
  const guard = async (fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      rejectDone(e);
      throw e;
    }
  };
  const ts = new TransformStream<Uint8Array, Uint8Array>({
    transform: (chunk, c) =>
      guard(async () => {
        if (!sniffed && chunk.length) {
          const first = chunk.find((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
          if (first !== undefined) {
            sniffed = true;
            armored = first === 0x2d; // '-'
          }
        }
        await engine.write(chunk, (b) => c.enqueue(b));
      }),
    flush: (c) =>
      guard(async () => {
        await engine.end((b) => c.enqueue(b));
        const h = await engine.header;
        resolveDone({ signer: h.signer ? signerReport(h.signer) : undefined });
      }),
  });
  return { ts, info, done, header: engine.header, getInfo: () => headerInfo };
}

/** @internal decrypt() for any platform. */
export function decryptAny(
  platform: Platform,
  input: Uint8Array | string | ReadableStream<Uint8Array>,
  opts: DecryptOptions,
): Promise<DecryptResult> | DecryptStreamResult {
  const d = decryptTransform(platform, opts);
  if (isStream(input)) return { stream: input.pipeThrough(d.ts), info: d.info, done: d.done };
  let bytes: Uint8Array;
  if (typeof input === 'string') bytes = new TextEncoder().encode(input);
  else if (input instanceof Uint8Array) bytes = input;
  else fail('ERR_CORE_INVALID_ARGUMENT', '"envelope" expected Uint8Array, armored string or ReadableStream');
  return (async () => {
    const plaintext = await collect(bytesStream(bytes).pipeThrough(d.ts));
    const { signer } = await d.done;
    const header = await d.header;
    return { plaintext, signer, info: describe(header, d.getInfo()?.armored ?? false, isArmored(bytes) ? undefined : bytes.length) };
  })();
}

/** @internal Reads just enough of a binary stream for the header, then counts the rest. */
async function inspectStream(input: ReadableStream<Uint8Array>): Promise<EnvelopeInfo> {
  const reader = input.getReader();
  const parts: Uint8Array[] = [];
  let have = 0;
  let headerLength = -1;
  let header: ParsedHeader | undefined;
  let total = 0;
  let armoredText: Uint8Array[] | null = null;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (armoredText) {
      armoredText.push(value);
      continue;
    }
    if (header) continue;
    parts.push(value);
    have += value.length;
    const all = concat(parts);
    parts.length = 0;
    parts.push(all);
    if (headerLength < 0 && all.length > 0) {
      const first = all.find((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
      if (first === 0x2d) {
        armoredText = [all]; // armor is for small envelopes: decode it whole
        continue;
      }
      if (first === undefined) continue;
      if (all.length < PRELUDE_LENGTH) {
        parsePrelude(all); // wrong magic fails early
        continue;
      }
      headerLength = parsePrelude(all);
    }
    if (headerLength >= 0 && have >= headerLength) {
      header = parseHeader(all.subarray(0, headerLength).slice());
      parts.length = 0;
    }
  }
  if (armoredText) return inspectBytes(dearmor(concat(armoredText)), true);
  if (!header) return inspectBytes(concat(parts), false); // raises the precise truncation error
  return describe(header, false, total);
}

function inspectBytes(bytes: Uint8Array, armored: boolean): EnvelopeInfo {
  const header = parseHeader(bytes);
  return describe(header, armored, bytes.length);
}

/** @internal inspect() for any input. */
export async function inspectAny(input: Uint8Array | string | ReadableStream<Uint8Array>): Promise<EnvelopeInfo> {
  if (isStream(input)) return inspectStream(input);
  const { bytes, armored } = binaryEnvelope(input);
  return inspectBytes(bytes, armored);
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  n = 0;
  for (const p of parts) {
    out.set(p, n);
    n += p.length;
  }
  return out;
}

/** Options of `openEnvelope`. */
export interface OpenEnvelopeOptions {
  /** Identities to try. */
  readonly identities: DecryptOptions['identities'];
  /** NDE backend for envelopes that use the NDE layer; default `'auto'`. */
  readonly nde?: NdeChoice | undefined;
}

/** @internal Random access for any platform: header read and authenticated, chunks on demand. */
export async function openAny(platform: Platform, source: SeekableSource, opts: OpenEnvelopeOptions): Promise<RandomAccessEnvelope> {
  checkObject(opts, 'options');
  const d = decryptOptions(platform, { identities: opts.identities, nde: opts.nde });
  return openRandomAccess(source, { unwrap: d.unwrap, inner: d.inner, provider: platform.provider });
}
