// encrypt / decrypt / inspect over bytes and Web Streams, for any platform (browser or Node).
import {
  armor as armorBytes,
  checkMagicPrefix,
  createArmorStream,
  Dearmorer,
  decryptEngine,
  dearmor,
  detectEncoding,
  EncodingSniffer,
  encryptEngine,
  FILE_KEY_LENGTH,
  isArmored,
  NqcFormatError,
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
import type { NdeVersion } from '@nqc/nde';
import { checkNdeChoice, innerForEncrypt, innerResolver, type NdeChoice, type Platform } from './nde.js';
import { checkRecipientMix, checkStanzaMix } from './stanza-mix.js';

/** Options of `encrypt`. */
export interface EncryptOptions {
  /**
   * One or more recipients (1-64 stanzas in all); X-Wing and ML-KEM-1024 may be mixed. A pql
   * `PassphraseRecipient` must be the only one (`ERR_CORE_RECIPIENT_MIX`).
   */
  readonly recipients: RecipientInput | readonly RecipientInput[];
  /** Sign the envelope (header, HE section and payload) with this key. */
  readonly signer?: SignerInput | undefined;
  /** ASCII armor the output (PEM-style, for mail and chat). Default false. */
  readonly armor?: boolean | undefined;
  /** NDE inner layer; default `'auto'`. See {@link NdeChoice}. */
  readonly nde?: NdeChoice | undefined;
  /**
   * NDE construction to write: `2` (default, `NDE_DEFAULT_VERSION`: model `nde-v2.onnx`, 80
   * multiply-adds per byte) or `1` (`nde-v1.onnx`, for readers that only know v1). Ignored with
   * `nde: 'off'`; with an `NdeBackend` object it defaults to (and must equal) the backend's version.
   * Decryption needs no such option: the header names the model, hence the version.
   */
  readonly ndeVersion?: NdeVersion | undefined;
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
  /**
   * **Streams only, with `requireSigner`.** A streaming decryptor runs in constant memory, so it
   * releases each chunk's plaintext as soon as that chunk's tag verifies: **before** the signature at
   * the end of the envelope is checked. With `requireSigner` that output is not yet known to come from
   * a required signer, so stream input (`decrypt(stream)`, `createDecryptTransform`) is refused
   * (`ERR_CORE_INVALID_ARGUMENT`) unless you pass `allowUnverifiedOutput: true`, promising to treat
   * the output as untrusted until `done` resolves (write it to a temporary file and rename, spool it,
   * or discard it on error). Even then the stream's `info.signer` is `null`: the verified signer is
   * reported by `done` only. The bytes API and `decryptFile` need no opt-in: they release nothing
   * before the signature verified. Ignored for bytes input.
   */
  readonly allowUnverifiedOutput?: boolean | undefined;
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
  /**
   * Plaintext. Treat it as provisional and **unsigned** until it closes without error and `done`
   * resolves (the final chunk and the signature are checked last; earlier chunks are released as
   * their tags verify).
   */
  readonly stream: ReadableStream<Uint8Array>;
  /**
   * Resolves with the authenticated header, before any plaintext. Its `signer` is only the key the
   * header *claims* (not yet verified); with `requireSigner` it is `null`: read the signer from `done`.
   */
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
  checkRecipientMix(recipients);
  const signer = opts.signer === undefined || opts.signer === null ? undefined : containerSigner(toSigner(opts.signer));
  const inner = await innerForEncrypt(platform, checkNdeChoice(opts.nde), opts.ndeVersion);
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
      checkStanzaMix(stanzas);
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
  const reader = readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  return concat(parts);
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
  const encoding = detectEncoding(envelope); // the one armor rule, as every reader
  if (encoding === 'armor') return { bytes: dearmor(envelope), armored: true };
  if (encoding === undefined && envelope.length) throw new NqcFormatError('ERR_FORMAT_TRUNCATED', 'empty input'); // only whitespace
  return { bytes: envelope, armored: false };
}

/**
 * @internal Stream decryption with `requireSigner` releases plaintext before the signature is known:
 * refuse it unless the caller opted in with `allowUnverifiedOutput: true` (see {@link DecryptOptions}).
 * @returns whether the stream's `info` must hide the (unverified) signer
 */
export function checkStreamSignerPolicy(opts: DecryptOptions): boolean {
  checkObject(opts, 'options');
  const requires = opts.requireSigner !== undefined && opts.requireSigner !== null;
  if (requires && opts.allowUnverifiedOutput !== true) {
    fail(
      'ERR_CORE_INVALID_ARGUMENT',
      'stream decryption with "requireSigner" releases plaintext before the signature is verified: decrypt bytes, use decryptFile, or pass allowUnverifiedOutput: true and trust the output only once "done" resolves',
    );
  }
  return requires;
}

/** @internal Info of a stream whose signer is not verified yet: the signer is reported by `done` only. */
export function hideSigner(info: EnvelopeInfo): EnvelopeInfo {
  return { ...info, signer: null };
}

/** @internal The decrypting TransformStream pieces: header promise and the final signer. */
function decryptTransform(platform: Platform, opts: DecryptOptions, hide = false) {
  const copts = decryptOptions(platform, opts);
  const engine = decryptEngine(copts);
  let armored = false;
  const sniffer = new EncodingSniffer();
  let headerInfo: EnvelopeInfo | undefined;
  const info = engine.header.then((h) => (headerInfo = describe(h, armored))).then((i) => (hide ? hideSigner(i) : i));
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
        if (!sniffer.encoding) armored = sniffer.push(chunk) === 'armor';
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
  if (isStream(input)) {
    const hide = checkStreamSignerPolicy(opts);
    const d = decryptTransform(platform, opts, hide);
    return { stream: input.pipeThrough(d.ts), info: d.info, done: d.done };
  }
  const d = decryptTransform(platform, opts);
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

/**
 * @internal Reads just enough of a stream for the header, then counts the rest. Bounded: at most
 * `LIMITS.maxLeadingWhitespace` bytes of leading whitespace, armor decoded as it streams (one line
 * buffered), and the header's pieces concatenated once when complete (not on every read).
 */
async function inspectStream(input: ReadableStream<Uint8Array>): Promise<EnvelopeInfo> {
  const reader = input.getReader();
  let parts: Uint8Array[] = [];
  let have = 0;
  let headerLength = -1;
  let header: ParsedHeader | undefined;
  let total = 0; // binary envelope bytes (after dearmoring)
  let mode: 'sniff' | 'binary' | 'armor' = 'sniff';
  const sniffer = new EncodingSniffer();
  let dearmorer: Dearmorer | null = null;
  const onBinary = (b: Uint8Array) => {
    total += b.length;
    if (header || b.length === 0) return;
    parts.push(b);
    have += b.length;
    if (headerLength < 0) {
      if (have < PRELUDE_LENGTH) {
        checkMagicPrefix(concat(parts)); // a wrong magic fails early (small: < 12 bytes)
        return;
      }
      const all = concat(parts);
      parts = [all];
      headerLength = parsePrelude(all);
    }
    if (have >= headerLength) {
      header = parseHeader(concat(parts).subarray(0, headerLength).slice());
      parts = [];
    }
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const bytes = value;
    if (mode === 'sniff') {
      const encoding = sniffer.push(bytes); // the one armor rule (throws past the whitespace limit)
      if (!encoding) continue;
      mode = encoding;
      if (mode === 'armor') dearmorer = new Dearmorer();
      else if (sniffer.whitespace > 0) parsePrelude(Uint8Array.of(0x20)); // whitespace before a binary envelope: bad magic
    }
    if (mode === 'armor') for (const p of dearmorer!.push(bytes)) onBinary(p);
    else onBinary(bytes);
  }
  if (mode === 'armor') for (const p of dearmorer!.finish()) onBinary(p);
  if (mode === 'sniff') throw new NqcFormatError('ERR_FORMAT_TRUNCATED', 'empty input'); // nothing, or only whitespace
  if (!header) return inspectBytes(concat(parts), false); // raises the precise truncation error
  return describe(header, mode === 'armor', total);
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

/** Joins pieces into one array (no copy for a single piece; no argument spread, so any count works). */
function concat(parts: readonly Uint8Array[]): Uint8Array {
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
