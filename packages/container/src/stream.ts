// Streaming encryption and decryption over Web Streams, in constant memory: at most one batch of
// chunks (INNER_BATCH_BYTES, or one chunk when chunks are larger) plus one chunk, the signature
// trailer and one header are buffered, whatever chunk size the envelope names.
import { equalBytes } from '@noble/ciphers/utils.js';
import { Dearmorer, EncodingSniffer } from './armor.js';
import { concatBytes, copyBytes } from './bytes.js';
import { checkBytes, decryptFailed, fail } from './errors.js';
import {
  DEFAULT_CHUNK_SIZE,
  checkMagicPrefix,
  encodeHeader,
  parseHeader,
  parsePrelude,
  PRELUDE_LENGTH,
  TAG_LENGTH,
  verifyHeaderMac,
  type HeSection,
  type ParsedHeader,
  type Stanza,
} from './header.js';
import { deriveKeys, FILE_KEY_LENGTH, randomBytes, SALT_LENGTH } from './keys.js';
import {
  checkInnerOutput,
  chunkNonce,
  decodeTrailer,
  encodeTrailer,
  innerBatchChunks,
  signatureTranscript,
  type InnerLayer,
  type SignatureVerifier,
  type Signer,
} from './payload.js';
import { nobleProvider, type AeadName, type CryptoProvider } from './provider.js';

/** Options of {@link createEncryptStream}. */
export interface EncryptOptions {
  /** The envelope's random 32-byte file key (the caller wrapped it into `stanzas`). */
  readonly fileKey: Uint8Array;
  /** 1-64 recipient stanzas. */
  readonly stanzas: readonly Stanza[];
  /** Payload AEAD; default `chacha20-poly1305`. */
  readonly aead?: AeadName;
  /** Plaintext bytes per chunk: power of two, 64 B-16 MiB; default 64 KiB. */
  readonly chunkSize?: number;
  /** Inner layer (NDE) applied to each chunk before the AEAD. */
  readonly inner?: InnerLayer;
  /** HE section to bind into the header. */
  readonly he?: HeSection;
  /** Signs the transcript after the last chunk. */
  readonly signer?: Signer;
  /** Bulk crypto; default {@link nobleProvider}. */
  readonly provider?: CryptoProvider;
  /** Header salt; default 32 random bytes. Only test vectors should set it. */
  readonly salt?: Uint8Array;
}

/** Options of {@link createDecryptStream}. */
export interface DecryptOptions {
  /**
   * Returns the file key for the stanzas, or `null` when none is for this caller. Exceptions it throws
   * propagate unchanged. The file key is checked with the header MAC afterwards.
   */
  readonly unwrap: (stanzas: readonly Stanza[], header: ParsedHeader) => Uint8Array | null | Promise<Uint8Array | null>;
  /** The inner layer, or a resolver from the 32-byte id in the header. Required iff the header names one. */
  readonly inner?: InnerLayer | ((id: Uint8Array) => InnerLayer | undefined | Promise<InnerLayer | undefined>);
  /** Verifies the signature when the envelope is signed. Without it a signature is parsed, not checked. */
  readonly verify?: SignatureVerifier;
  /** Refuse envelopes without a (verified) signature. Requires `verify`. */
  readonly requireSignature?: boolean;
  /** Bulk crypto; default {@link nobleProvider}. */
  readonly provider?: CryptoProvider;
}

/** A `{ writable, readable }` pair usable with `pipeThrough`, plus the authenticated header. */
export interface DecryptStream {
  readonly writable: WritableStream<Uint8Array>;
  readonly readable: ReadableStream<Uint8Array>;
  /** Resolves once the header MAC verified (before any plaintext); rejects like the stream. */
  readonly header: Promise<ParsedHeader>;
}

/** @internal FIFO of byte arrays; `take` avoids a copy when one piece suffices. */
export class ByteQueue {
  #parts: Uint8Array[] = [];
  #head = 0;
  length = 0;
  push(b: Uint8Array): void {
    if (b.length) {
      this.#parts.push(b);
      this.length += b.length;
    }
  }
  take(n: number): Uint8Array {
    if (n > this.length) throw new Error('ByteQueue underflow');
    this.length -= n;
    const first = this.#parts[this.#head]!;
    if (first && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.#shift();
      else this.#parts[this.#head] = first.subarray(n);
      return out;
    }
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const p = this.#parts[this.#head]!;
      const k = Math.min(p.length, n - o);
      out.set(p.subarray(0, k), o);
      o += k;
      if (k === p.length) this.#shift();
      else this.#parts[this.#head] = p.subarray(k);
    }
    return out;
  }
  #shift(): void {
    this.#parts[this.#head++] = undefined as unknown as Uint8Array;
    if (this.#head > 1024) {
      this.#parts = this.#parts.slice(this.#head);
      this.#head = 0;
    }
  }
}

function checkSigner(s: Signer): void {
  if (typeof s?.sign !== 'function') fail('ERR_FORMAT_INVALID_ARGUMENT', '"signer.sign" must be a function');
  if (!Number.isInteger(s.maxSignatureLength) || s.maxSignatureLength < 1) fail('ERR_FORMAT_INVALID_ARGUMENT', '"signer.maxSignatureLength" must be a positive integer');
}

/** Output callback of an engine. */
export type Emit = (bytes: Uint8Array) => void;

/** A push-style encryptor shared by the Web and Node stream wrappers. */
export interface EncryptEngine {
  /** The header bytes; emit them first. */
  readonly header: Uint8Array;
  /** Feeds plaintext; emits sealed chunks. Await before the next call. */
  write(chunk: Uint8Array, emit: Emit): Promise<void>;
  /** Ends the input; emits the final chunk and the signature trailer. */
  end(emit: Emit): Promise<void>;
}

/** A push-style decryptor shared by the Web and Node stream wrappers. */
export interface DecryptEngine {
  /** Resolves once the header MAC verified. */
  readonly header: Promise<ParsedHeader>;
  /** Feeds envelope bytes; emits verified plaintext. Await before the next call. */
  write(chunk: Uint8Array, emit: Emit): Promise<void>;
  /** Ends the input; emits the final plaintext once everything verified. */
  end(emit: Emit): Promise<void>;
}

/**
 * The encryptor behind {@link createEncryptStream}, for callers that drive I/O themselves (the Node
 * adapters use it directly: it avoids the Web Streams overhead).
 */
export function encryptEngine(opts: EncryptOptions): EncryptEngine {
  checkBytes('fileKey', opts.fileKey, FILE_KEY_LENGTH);
  const provider = opts.provider ?? nobleProvider;
  // A real copy: the inner layer gets the salt on every batch, after the caller may have reused its buffer.
  const salt = opts.salt instanceof Uint8Array ? copyBytes(opts.salt) : (opts.salt ?? randomBytes(SALT_LENGTH));
  checkBytes('salt', salt, SALT_LENGTH);
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const inner = opts.inner;
  if (inner) checkBytes('inner.id', inner.id, 32);
  const signer = opts.signer;
  if (signer) checkSigner(signer);
  const headerBytes = encodeHeader(
    {
      suite: { aead: opts.aead ?? 'chacha20-poly1305', chunkSize, innerId: inner ? inner.id.slice() : null, salt },
      stanzas: opts.stanzas,
      he: opts.he,
      signer: signer ? { alg: signer.alg, key: signer.key, trailerLength: signer.maxSignatureLength + 4 } : undefined,
    },
    opts.fileKey,
  );
  const header = parseHeader(headerBytes);
  const keys = deriveKeys(opts.fileKey, salt);
  const aead = provider.aead(header.suite.aead, keys.payload);
  const hasher = signer ? provider.sha256() : null;
  const queue = new ByteQueue();
  const batchChunks = inner ? innerBatchChunks(chunkSize) : 1;
  let batch: { index: number; data: Uint8Array }[] = [];
  let index = 0;

  const seal = async (items: { index: number; data: Uint8Array }[], lastIndex: number, emit: Emit) => {
    let data = items.map((i) => i.data);
    if (inner) data = checkInnerOutput(await inner.encryptChunks(keys.inner, salt, items), items);
    for (let i = 0; i < items.length; i++) {
      const nonce = chunkNonce(items[i]!.index, items[i]!.index === lastIndex);
      if (aead.sealParts) {
        // Ciphertext and tag as the provider made them: no copy into one array (same bytes).
        const [ct, tag] = aead.sealParts(nonce, data[i]!);
        hasher?.update(ct);
        hasher?.update(tag);
        emit(ct);
        emit(tag);
      } else {
        const ct = aead.seal(nonce, data[i]!);
        hasher?.update(ct);
        emit(ct);
      }
    }
  };

  return {
    header: headerBytes,
    async write(chunk: Uint8Array, emit: Emit) {
      if (!(chunk instanceof Uint8Array)) fail('ERR_FORMAT_INVALID_ARGUMENT', 'encrypt stream accepts Uint8Array chunks only');
      queue.push(chunk);
      // Keep at least one byte back: a full chunk is final only if nothing follows it.
      while (queue.length > chunkSize) {
        batch.push({ index: index++, data: queue.take(chunkSize) });
        if (batch.length >= batchChunks) {
          const b = batch;
          batch = [];
          await seal(b, -1, emit);
        }
      }
    },
    async end(emit: Emit) {
      batch.push({ index: index, data: queue.take(queue.length) });
      await seal(batch, index, emit);
      batch = [];
      if (signer && hasher) {
        const transcript = signatureTranscript(() => provider.sha256(), header, hasher.digest());
        const sig = await signer.sign(transcript);
        emit(encodeTrailer(sig, signer.maxSignatureLength + 4));
      }
    },
  };
}

/**
 * Creates a streaming encryptor: write plaintext, read the envelope (header, chunks, optional
 * signature trailer). Memory stays bounded by one batch of chunks whatever the input size.
 *
 * @throws NqcFormatError `ERR_FORMAT_INVALID_ARGUMENT` synchronously for bad options
 * @example
 * ```ts
 * const fileKey = randomBytes(32);
 * const stanzas = [await recipient.wrap(fileKey)];
 * await input.pipeThrough(createEncryptStream({ fileKey, stanzas })).pipeTo(output);
 * ```
 */
export function createEncryptStream(opts: EncryptOptions): TransformStream<Uint8Array, Uint8Array> {
  const engine = encryptEngine(opts);
  return new TransformStream<Uint8Array, Uint8Array>({
    start: (c) => c.enqueue(engine.header),
    transform: (chunk, c) => engine.write(chunk, (b) => c.enqueue(b)),
    flush: (c) => engine.end((b) => c.enqueue(b)),
  });
}

async function resolveInner(opts: DecryptOptions, id: Uint8Array | null): Promise<InnerLayer | undefined> {
  if (id === null) return undefined;
  const hex = Array.from(id, (b) => b.toString(16).padStart(2, '0')).join('');
  const inner = typeof opts.inner === 'function' ? await opts.inner(id.slice()) : opts.inner;
  if (!inner) fail('ERR_FORMAT_INNER_LAYER', `envelope needs inner layer ${hex}, none given`);
  if (!(inner.id instanceof Uint8Array) || !equalBytes(inner.id, id)) fail('ERR_FORMAT_INNER_LAYER', `envelope needs inner layer ${hex}, a different one was given`);
  return inner;
}

/**
 * @internal Opens the header: unwrap, MAC, inner layer, signature policy. Shared by the stream and
 * random access. Returns the file key and derived keys.
 */
export async function openHeader(header: ParsedHeader, opts: Pick<DecryptOptions, 'unwrap' | 'inner' | 'verify' | 'requireSignature'>) {
  if (opts.requireSignature && !opts.verify) fail('ERR_FORMAT_INVALID_ARGUMENT', '"requireSignature" needs "verify"');
  const fileKey = await opts.unwrap(header.stanzas, header);
  if (fileKey === null || fileKey === undefined) decryptFailed();
  if (!(fileKey instanceof Uint8Array) || fileKey.length !== FILE_KEY_LENGTH) fail('ERR_FORMAT_INVALID_ARGUMENT', '"unwrap" must return a 32-byte file key or null');
  if (!verifyHeaderMac(header, fileKey)) decryptFailed();
  if (opts.requireSignature && !header.signer) fail('ERR_FORMAT_SIGNATURE_REQUIRED', 'envelope is not signed');
  const inner = await resolveInner(opts, header.suite.innerId);
  return { fileKey, keys: deriveKeys(fileKey, header.suite.salt), inner };
}

/** The decryptor behind {@link createDecryptStream} (see there for the contract). */
export function decryptEngine(opts: DecryptOptions): DecryptEngine {
  if (typeof opts?.unwrap !== 'function') fail('ERR_FORMAT_INVALID_ARGUMENT', '"unwrap" must be a function');
  const provider = opts.provider ?? nobleProvider;
  let resolveHeader!: (h: ParsedHeader) => void;
  let rejectHeader!: (e: unknown) => void;
  const headerPromise = new Promise<ParsedHeader>((res, rej) => {
    resolveHeader = res;
    rejectHeader = rej;
  });
  headerPromise.catch(() => undefined);

  const queue = new ByteQueue();
  let mode: 'sniff' | 'binary' | 'armor' = 'sniff';
  let dearmorer: Dearmorer | null = null;
  let headerLength = -1;
  let state: {
    header: ParsedHeader;
    aead: ReturnType<CryptoProvider['aead']>;
    inner: InnerLayer | undefined;
    innerKey: Uint8Array;
    chunkSize: number;
    batchChunks: number;
    trailer: number;
    hasher: ReturnType<CryptoProvider['sha256']> | null;
  } | null = null;
  let index = 0;
  let batch: { index: number; data: Uint8Array }[] = [];
  let sniffed: Uint8Array[] = [];
  const sniffer = new EncodingSniffer();

  const release = async (items: { index: number; data: Uint8Array }[], emit: Emit) => {
    if (!items.length) return;
    const s = state!;
    let out = items.map((i) => i.data);
    if (s.inner) out = checkInnerOutput(await s.inner.decryptChunks(s.innerKey, s.header.suite.salt, items), items);
    for (const o of out) emit(o);
  };

  const openNext = (length: number, last: boolean): Uint8Array => {
    const s = state!;
    const ct = queue.take(length);
    s.hasher?.update(ct);
    const pt = s.aead.open(chunkNonce(index, last), ct);
    if (pt === null) decryptFailed();
    return pt;
  };

  const onBinary = async (emit: Emit) => {
    if (!state) {
      if (headerLength < 0) {
        if (queue.length < PRELUDE_LENGTH) {
          // Reject a wrong magic as early as possible.
          if (queue.length) checkMagicPrefix(peek(queue));
          return;
        }
        headerLength = parsePrelude(peek(queue));
      }
      if (queue.length < headerLength) return;
      const header = parseHeader(queue.take(headerLength).slice());
      const { keys, inner } = await openHeader(header, opts);
      state = {
        header,
        aead: provider.aead(header.suite.aead, keys.payload),
        inner,
        innerKey: keys.inner,
        chunkSize: header.suite.chunkSize,
        batchChunks: inner ? innerBatchChunks(header.suite.chunkSize) : 1,
        trailer: header.signer?.trailerLength ?? 0,
        hasher: header.signer ? provider.sha256() : null,
      };
      resolveHeader(header);
    }
    const s = state;
    const full = s.chunkSize + TAG_LENGTH;
    while (queue.length > full + s.trailer) {
      batch.push({ index, data: openNext(full, false) });
      index++;
      if (batch.length >= s.batchChunks) {
        const b = batch;
        batch = [];
        await release(b, emit);
      }
    }
  };

  const onEnd = async (emit: Emit) => {
    if (!state) {
      if (queue.length === 0 && headerLength < 0) fail('ERR_FORMAT_TRUNCATED', 'empty input');
      if (headerLength < 0) parsePrelude(peek(queue));
      fail('ERR_FORMAT_TRUNCATED', 'envelope ends inside the header');
    }
    const s = state;
    const rest = queue.length - s.trailer;
    if (rest < TAG_LENGTH) fail('ERR_FORMAT_TRUNCATED', 'envelope ends before the final chunk is complete');
    if (rest === TAG_LENGTH && index > 0) fail('ERR_FORMAT_EMPTY_LAST_CHUNK', 'final chunk is empty');
    const last = { index, data: openNext(rest, true) };
    const finalItems = [...batch, last];
    batch = [];
    if (s.header.signer) {
      const sig = decodeTrailer(queue.take(s.trailer));
      if (opts.verify) {
        const transcript = signatureTranscript(() => provider.sha256(), s.header, s.hasher!.digest());
        if ((await opts.verify(s.header.signer, transcript, sig)) !== true) fail('ERR_FORMAT_SIGNATURE_INVALID', 'signature does not verify');
      }
    }
    if (queue.length !== 0) throw new Error('internal: bytes left after the trailer');
    await release(finalItems, emit);
  };

  const feed = async (bytes: Uint8Array, emit: Emit) => {
    if (mode === 'sniff') {
      // Leading whitespace (allowed before armor only) is capped and kept as pieces: concatenated once,
      // when the first other byte arrives (no O(n^2) re-concatenation, no unbounded buffer).
      const encoding = sniffer.push(bytes);
      if (!encoding) {
        sniffed.push(bytes);
        return;
      }
      const all = sniffed.length ? concatBytes([...sniffed, bytes]) : bytes;
      sniffed = [];
      mode = encoding;
      bytes = all;
      if (mode === 'armor') dearmorer = new Dearmorer();
    }
    if (mode === 'armor') {
      for (const p of dearmorer!.push(bytes)) queue.push(p);
    } else queue.push(bytes);
    await onBinary(emit);
  };

  const guard = async (fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      rejectHeader(e);
      throw e;
    }
  };

  return {
    header: headerPromise,
    write: (chunk, emit) =>
      guard(async () => {
        if (!(chunk instanceof Uint8Array)) fail('ERR_FORMAT_INVALID_ARGUMENT', 'decrypt stream accepts Uint8Array chunks only');
        if (chunk.length) await feed(chunk, emit);
      }),
    end: (emit) =>
      guard(async () => {
        if (mode === 'sniff') fail('ERR_FORMAT_TRUNCATED', 'empty input'); // nothing, or only whitespace
        if (mode === 'armor') {
          for (const p of dearmorer!.finish()) queue.push(p);
          await onBinary(emit);
        }
        await onEnd(emit);
      }),
  };
}

/**
 * Creates a streaming decryptor: write an envelope (binary or armored, detected from the first byte),
 * read the plaintext. Chunks are released as soon as their tag verifies, except the final chunk, which
 * is released only after the end of input is confirmed and the signature (if any, and if `verify` is
 * given) verified. A consumer must treat output as provisional until the stream closes without error.
 *
 * Errors: structural `ERR_FORMAT_*` codes before any key is involved; `ERR_FORMAT_DECRYPT_FAILED` for
 * every key-dependent failure; `ERR_FORMAT_SIGNATURE_*` for signature problems.
 *
 * @example
 * ```ts
 * const d = createDecryptStream({ unwrap: (stanzas) => identity.unwrap(stanzas) });
 * await file.pipeThrough(d).pipeTo(sink);
 * console.log((await d.header).signer?.alg);
 * ```
 */
export function createDecryptStream(opts: DecryptOptions): DecryptStream {
  const engine = decryptEngine(opts);
  const ts = new TransformStream<Uint8Array, Uint8Array>({
    transform: (chunk, c) => engine.write(chunk, (b) => c.enqueue(b)),
    flush: (c) => engine.end((b) => c.enqueue(b)),
  });
  return { writable: ts.writable, readable: ts.readable, header: engine.header };
}

function peek(q: ByteQueue): Uint8Array {
  // Copying take + re-push keeps ByteQueue simple; called at most twice per envelope.
  const n = Math.min(q.length, PRELUDE_LENGTH);
  const b = q.take(q.length);
  q.push(b);
  return b.subarray(0, n);
}

