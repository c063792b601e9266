/**
 * `@nqc/core/node`: the facade for Node.js. Same functions as `@nqc/core` (re-exported, same
 * signatures) but with node:crypto for the bulk AEAD (~10x faster than pure JS) and `nde: 'auto'`
 * meaning the ONNX backend when onnxruntime-node loads and passes its self-test (reference otherwise);
 * plus Node streams, files in constant memory, random access, and identity files.
 *
 * onnxruntime-node and node-seal are loaded lazily (dynamic import): only when an envelope with the
 * NDE layer is encrypted or opened with the ONNX backend, or when a record function is called.
 * @module
 */
import { timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { Duplex, Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  ARMOR_BEGIN,
  ARMOR_END,
  DEFAULT_CHUNK_SIZE,
  deriveKeys,
  detectEncoding,
  EncodingSniffer,
  isArmored,
  LIMITS,
  parseHeader,
  parsePrelude,
  PRELUDE_LENGTH,
  rewriteHeader,
  type InnerLayer,
  type ParsedHeader,
  type RandomAccessEnvelope,
  type SeekableSource,
} from '@nqc/container';
import { createDecryptDuplex, createEncryptDuplex, fileSource, nodeProvider } from '@nqc/container/node';
import type { NdeBackend, NdeVersion } from '@nqc/nde';
import { isEncryptedIdentityFile, MAX_IDENTITY_FILE_LENGTH, NqcPqlError, parseIdentityFile, type Identity, type SigningKey } from '@nqc/pql';
import { fail } from './errors.js';
import {
  decryptAny,
  checkStreamSignerPolicy,
  decryptOptions,
  encryptAny,
  hideSigner,
  encryptOptions,
  inspectAny,
  openAny,
  type DecryptOptions,
  type DecryptResult,
  type DecryptStreamResult,
  type EncryptOptions,
  type OpenEnvelopeOptions,
} from './envelope.js';
import { describe, type EnvelopeInfo } from './info.js';
import { signerReport, toRecipients, wrap, type SignerReport } from './keys.js';
import { checkRecipientMix } from './stanza-mix.js';
import { checkFraming, recoverFileKey, rotateDataKeyBytes, rotatedNde, runCheckHe, updateRecipientsBytes, type RotateDataKeyOptions, type UpdateRecipientsOptions } from './lifecycle.js';
import { autoNdeBackend, backendForId, checkNdeChoice, checkNdeVersion, NDE_DEFAULT_VERSION, referenceOf, type NdeChoice, type Platform } from './nde.js';
import { ndeDecryptTransform, pipelines, prefetchingEncryptTransform } from './prefetch.js';
import {
  decryptJsonWith,
  encryptDatasetWith,
  encryptRecordWith,
  type DecryptDatasetResult,
  type DecryptRecordOptions,
  type DecryptRecordResult,
  type EncryptRecordOptions,
  type JsonObject,
} from './records-api.js';

export * from './index.js';
// HE aggregation runs SEAL in a worker thread here (a SEAL abort is contained): see records-node.ts.
export { aggregate, extractHeFields } from './records-node.js';
export { verifySignatureFile } from './verify-file.js';

// ---------------------------------------------------------------------------------------------------
// Platform: node:crypto + lazily created NDE backends (one per (choice, version), closed by closeNde()).

const backends = new Map<`${'auto' | 'onnx' | 'wasm'}/v${NdeVersion}`, Promise<NdeBackend>>();

async function ndeBackend(choice: Exclude<NdeChoice, 'off'>, version: NdeVersion): Promise<NdeBackend> {
  if (typeof choice === 'object') return choice;
  if (choice === 'reference') return referenceOf(version);
  const key = `${choice}/v${version}` as const;
  let p = backends.get(key);
  if (!p) {
    // 'auto' falls back to the reference backend with a one-time warning (NQC_NDE_FALLBACK)
    p = import('@nqc/nde/node').then(({ createNde }) => (choice === 'auto' ? autoNdeBackend(createNde, version) : createNde({ backend: choice, version })));
    backends.set(key, p);
    p.catch(() => backends.delete(key));
  }
  return p;
}

/** The Node platform: node:crypto AEADs and the lazily started NDE backends. */
const nodePlatform: Platform = { provider: nodeProvider, ndeBackend };

/**
 * Which backend `nde: 'auto'` resolves to here for NDE `version` (default 2, what new envelopes use):
 * `'onnx'` when onnxruntime-node loaded and passed its known-answer self-test, else `'reference'`.
 * Starts the backend (and its worker threads) if needed.
 */
export async function ndeBackendName(choice: Exclude<NdeChoice, 'off'> = 'auto', version: NdeVersion = NDE_DEFAULT_VERSION): Promise<NdeBackend['name']> {
  const c = checkNdeChoice(choice) as Exclude<NdeChoice, 'off'>;
  return (await ndeBackend(c, checkNdeVersion(version, c))).name;
}

/**
 * Closes the NDE backends this module started (ONNX sessions and worker threads) so the process can
 * exit. They restart on next use. Backends passed in by the caller are the caller's to close.
 */
export async function closeNde(): Promise<void> {
  const all = [...backends.values()];
  backends.clear();
  await Promise.all(all.map((p) => p.then((b) => b.close(), () => undefined)));
}

// ---------------------------------------------------------------------------------------------------
// The facade with the Node platform (same names and contracts as @nqc/core).

/**
 * {@link import('./index.js').encrypt} with node:crypto and the ONNX NDE backend when available.
 * @example
 * ```ts
 * const env = await encrypt(bytes, { recipients: ['nqc-xwing-1...'], signer });
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
  if (!(input instanceof Uint8Array)) return encryptAny(nodePlatform, input, opts);
  // Bytes go through the Node transform: with NDE on, it overlaps the keystream with the AEAD.
  return (async () => {
    const out = await throughNode(input, await createEncryptTransform(opts));
    return opts.armor ? new TextDecoder().decode(out) : out;
  })();
}

/** Runs bytes through a Node duplex and collects the output. */
async function throughNode(input: Uint8Array, t: Duplex): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  const pieces: Buffer[] = [];
  for (let o = 0; o < input.length; o += 1 << 20) pieces.push(Buffer.from(input.buffer, input.byteOffset + o, Math.min(1 << 20, input.length - o)));
  await pipeline(
    Readable.from(pieces),
    t,
    new Writable({
      highWaterMark: 1 << 20,
      write(c: Buffer, _e, cb) {
        parts.push(c);
        cb();
      },
    }),
  );
  const b = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** {@link import('./index.js').decrypt} with node:crypto and the ONNX NDE backend when available. */
export function decrypt(input: Uint8Array | string, opts: DecryptOptions): Promise<DecryptResult>;
export function decrypt(input: ReadableStream<Uint8Array>, opts: DecryptOptions): DecryptStreamResult;
export function decrypt(
  input: Uint8Array | string | ReadableStream<Uint8Array>,
  opts: DecryptOptions,
): Promise<DecryptResult> | DecryptStreamResult {
  if (!(input instanceof Uint8Array) && typeof input !== 'string') return decryptAny(nodePlatform, input, opts);
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  // Bytes go through the Node transform: with NDE on, the keystream is removed pipelined.
  return (async () => {
    // Nothing is returned before the end, so the stream-only signer policy does not apply here.
    const d = decryptTransformNode(opts, false);
    const plaintext = await throughNode(bytes, d.transform);
    const [{ signer }, info] = await Promise.all([d.done, d.info]);
    return { plaintext, signer, info: isArmored(bytes) ? info : { ...info, sizes: describe(await d.header, false, bytes.length).sizes } };
  })();
}

/** {@link import('./index.js').inspect}, also over a Node `Readable` (read to its end in constant memory). */
export function inspect(input: Uint8Array | string | ReadableStream<Uint8Array> | Readable): Promise<EnvelopeInfo> {
  if (input instanceof Readable) return inspectAny(Readable.toWeb(input) as unknown as ReadableStream<Uint8Array>);
  return inspectAny(input);
}

/** {@link import('./index.js').openEnvelope} with node:crypto and the Node NDE backends. */
export function openEnvelope(source: SeekableSource, opts: OpenEnvelopeOptions): Promise<RandomAccessEnvelope> {
  return openAny(nodePlatform, source, opts);
}

/** {@link import('./index.js').updateRecipients} (header only; see there for what removed recipients keep). */
export function updateRecipients(envelope: Uint8Array, opts: UpdateRecipientsOptions): Promise<Uint8Array>;
export function updateRecipients(envelope: string, opts: UpdateRecipientsOptions): Promise<string>;
export function updateRecipients(envelope: Uint8Array | string, opts: UpdateRecipientsOptions): Promise<Uint8Array | string> {
  return updateRecipientsBytes(envelope, opts);
}

/** {@link import('./index.js').rotateDataKey} with the Node platform (see there for what old recipients keep). */
export function rotateDataKey(envelope: Uint8Array, opts: RotateDataKeyOptions): Promise<Uint8Array>;
export function rotateDataKey(envelope: string, opts: RotateDataKeyOptions): Promise<string>;
export function rotateDataKey(envelope: Uint8Array | string, opts: RotateDataKeyOptions): Promise<Uint8Array | string> {
  return rotateDataKeyBytes(nodePlatform, envelope, opts);
}

/** {@link import('./records-api.js').encryptRecord} with the Node platform. */
export function encryptRecord(record: JsonObject, opts: EncryptRecordOptions & { armor: true }): Promise<string>;
export function encryptRecord(record: JsonObject, opts: EncryptRecordOptions): Promise<Uint8Array>;
export function encryptRecord(record: JsonObject, opts: EncryptRecordOptions): Promise<Uint8Array | string> {
  return encryptRecordWith(nodePlatform, record, opts);
}

/** {@link import('./records-api.js').encryptDataset} with the Node platform. */
export function encryptDataset(records: readonly JsonObject[], opts: EncryptRecordOptions & { armor: true }): Promise<string>;
export function encryptDataset(records: readonly JsonObject[], opts: EncryptRecordOptions): Promise<Uint8Array>;
export function encryptDataset(records: readonly JsonObject[], opts: EncryptRecordOptions): Promise<Uint8Array | string> {
  return encryptDatasetWith(nodePlatform, records, opts);
}

/** {@link import('./records-api.js').decryptRecord} with the Node platform. */
export async function decryptRecord(envelope: Uint8Array | string, opts: DecryptRecordOptions): Promise<DecryptRecordResult> {
  const { value, result, cts } = await decryptJsonWith(nodePlatform, envelope, opts, 'record');
  return { record: value as JsonObject, heFields: cts, signer: result.signer, info: result.info };
}

/** {@link import('./records-api.js').decryptDataset} with the Node platform. */
export async function decryptDataset(envelope: Uint8Array | string, opts: DecryptRecordOptions): Promise<DecryptDatasetResult> {
  const { value, result, cts } = await decryptJsonWith(nodePlatform, envelope, opts, 'dataset');
  return { records: value as JsonObject[], heFields: cts, signer: result.signer, info: result.info };
}

// ---------------------------------------------------------------------------------------------------
// Node streams and files.

/**
 * A Node `Transform` that encrypts: plaintext in, envelope out (armored with `armor: true`), in
 * constant memory. Async because it wraps the file key and starts the NDE backend first.
 * @example
 * ```ts
 * await pipeline(createReadStream('a'), await createEncryptTransform({ recipients }), createWriteStream('a.nqc'));
 * ```
 */
export async function createEncryptTransform(opts: EncryptOptions): Promise<Duplex> {
  const choice = checkNdeChoice(opts?.nde);
  const copts = await encryptOptions(nodePlatform, opts);
  // With NDE on, compute the keystream of later chunks while earlier ones are sealed (see prefetch.ts).
  // Chunks of 4 MiB or more take the sequential path: bounded to one chunk in flight (prefetch.ts).
  const sequential = choice === 'off' || !pipelines(copts.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const t = sequential ? createEncryptDuplex(copts) : prefetchingEncryptTransform(copts, await ndeBackend(choice, checkNdeVersion(opts.ndeVersion, choice)));
  if (!opts.armor) return t;
  const a = armorTransform();
  t.pipe(a);
  t.once('error', (e) => a.destroy(e));
  return Duplex.from({ writable: t, readable: a });
}

/** Armor (FORMAT.md section 9) as a Node Transform: 48 bytes -> one 64-character line. */
function armorTransform(): Transform {
  let pending = Buffer.alloc(0);
  return new Transform({
    construct(cb) {
      this.push(`${ARMOR_BEGIN}\n`);
      cb();
    },
    transform(chunk: Buffer, _enc, cb) {
      const all = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      const full = all.length - (all.length % 48);
      const lines: string[] = [];
      for (let i = 0; i < full; i += 48) lines.push(all.subarray(i, i + 48).toString('base64'));
      if (lines.length) this.push(`${lines.join('\n')}\n`);
      pending = Buffer.from(all.subarray(full));
      cb();
    },
    flush(cb) {
      if (pending.length) this.push(`${pending.toString('base64')}\n`);
      this.push(`${ARMOR_END}\n`);
      cb();
    },
  });
}

/** A Node decrypting transform with its authenticated header and completion. */
export interface DecryptTransform {
  /**
   * Envelope in (binary or armored), plaintext out; provisional **and unsigned** until it finishes
   * without error and `done` resolves (chunks are released as their tags verify, the signature is
   * checked at the end).
   */
  readonly transform: Transform;
  /**
   * Resolves with the authenticated header, before any plaintext. Its `signer` is the key the header
   * claims, not yet verified; with `requireSigner` it is `null`: the verified signer comes from `done`.
   */
  readonly info: Promise<EnvelopeInfo>;
  /** Resolves when all input was verified (final chunk, signature), with the verified signer. */
  readonly done: Promise<{ readonly signer: SignerReport | undefined }>;
  /** @internal The authenticated parsed header. */
  readonly header: Promise<ParsedHeader>;
}

/**
 * A Node `Transform` that decrypts in constant memory (same checks and errors as `decrypt`).
 *
 * **Signatures and streaming.** Plaintext leaves the transform chunk by chunk, as each chunk's tag
 * verifies; the signature is checked only at the end. So with `requireSigner` the output is *not yet*
 * known to come from a required signer while you read it, and this function refuses
 * (`ERR_CORE_INVALID_ARGUMENT`) unless you also pass `allowUnverifiedOutput: true`, which says you
 * will hold the output (temporary file then rename, a spool, or discard on error) until `done`
 * resolves. `info.signer` is then `null`; `done` reports the verified signer. `decryptFile` and the
 * bytes API are safe without the opt-in.
 *
 * @throws NqcCoreError `ERR_CORE_INVALID_ARGUMENT` for `requireSigner` without `allowUnverifiedOutput`
 * @example
 * ```ts
 * const d = createDecryptTransform({ identities, requireSigner, allowUnverifiedOutput: true });
 * await pipeline(createReadStream('a.nqc'), d.transform, createWriteStream('a.tmp'));
 * const { signer } = await d.done; // only now is a.tmp signed by a required key: rename it
 * ```
 */
export function createDecryptTransform(opts: DecryptOptions): DecryptTransform {
  const hide = checkStreamSignerPolicy(opts);
  return decryptTransformNode(opts, hide);
}

/** @internal createDecryptTransform without the stream signer policy (callers that hold the output). */
function decryptTransformNode(opts: DecryptOptions, hide: boolean): DecryptTransform {
  const copts = decryptOptions(nodePlatform, opts);
  const choice = checkNdeChoice(opts?.nde);
  // With NDE: the container does every check with a pass-through inner layer, and the NDE layer is
  // removed after it, pipelined (see prefetch.ts). The file key is captured from our own unwrap and
  // used only once the header MAC has verified it.
  let fileKey: Uint8Array | null = null;
  let chunkSize = 0;
  // The backend of the version the header's model id names, once the container asked for it.
  let ndeUsed: NdeBackend | undefined;
  const passThrough = (id: Uint8Array): InnerLayer => ({
    id,
    encryptChunks: async (_k: Uint8Array, _s: Uint8Array, items: { data: Uint8Array }[]) => items.map((i) => i.data),
    decryptChunks: async (_k: Uint8Array, _s: Uint8Array, items: { data: Uint8Array }[]) => items.map((i) => i.data),
  });
  const inner = copts.inner as (id: Uint8Array) => Promise<InnerLayer | undefined>;
  const { duplex, header } = createDecryptDuplex({
    ...copts,
    unwrap: async (stanzas, h) => {
      chunkSize = h.suite.chunkSize;
      return (fileKey = await copts.unwrap(stanzas, h));
    },
    inner: async (id: Uint8Array) => {
      // Chunks of 4 MiB or more: the container's sequential path, one chunk in flight (prefetch.ts).
      if (choice === 'off' || !pipelines(chunkSize)) return inner(id); // undefined for 'off': the container refuses
      const backend = await backendForId(nodePlatform, choice, id); // undefined for an unknown model: refused
      if (!backend) return undefined;
      ndeUsed = backend;
      return passThrough(backend.modelId.slice());
    },
  });
  let armored = false;
  const sniffer = new EncodingSniffer();
  const sniff = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        if (!sniffer.encoding) armored = sniffer.push(chunk) === 'armor';
      } catch (e) {
        return cb(e as Error);
      }
      cb(null, chunk);
    },
  });
  sniff.pipe(duplex);
  sniff.once('error', (e) => duplex.destroy(e));
  const info = header.then((h) => (hide ? hideSigner(describe(h, armored)) : describe(h, armored)));
  info.catch(() => undefined);
  const ndeStage = ndeDecryptTransform(
    async () => ndeUsed!,
    async () => {
      const h = await header; // resolved only after the header MAC verified the file key
      return { key: deriveKeys(fileKey!, h.suite.salt).inner, salt: h.suite.salt, chunkSize: h.suite.chunkSize };
    },
    () => ndeUsed !== undefined,
  );
  duplex.pipe(ndeStage);
  duplex.once('error', (e) => ndeStage.destroy(e));
  const stage = ndeStage;
  const transform = Duplex.from({ writable: sniff, readable: ndeStage }) as unknown as Transform;
  const done = new Promise<{ signer: SignerReport | undefined }>((resolve, reject) => {
    transform.once('error', reject);
    duplex.once('error', reject);
    // 'finish' of the container duplex follows its flush: end of input seen, final chunk and
    // signature verified; 'end' of the NDE stage: every chunk decrypted and pushed.
    Promise.all([new Promise((r) => duplex.once('finish', r)), new Promise((r) => stage.once('end', r))]).then(
      () => header.then((h) => resolve({ signer: h.signer ? signerReport(h.signer) : undefined }), reject),
      reject,
    );
  });
  done.catch(() => undefined);
  return { transform, info, done, header };
}

async function replaceOnSuccess(outPath: string, work: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${outPath}.${process.pid}.${Date.now().toString(36)}.tmp`;
  try {
    await work(tmp);
    await rename(tmp, outPath);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/**
 * Encrypts a file to a file in constant memory (mode 0600). The output appears (by rename) only when
 * complete; `outPath` is replaced if it exists (a CLI should refuse to clobber before calling this).
 * @throws as `encrypt`; Node's fs errors pass through
 * @example
 * ```ts
 * await encryptFile('report.pdf', 'report.pdf.nqc', { recipients: ['nqc-xwing-1...'], signer });
 * ```
 */
export async function encryptFile(inPath: string, outPath: string, opts: EncryptOptions): Promise<void> {
  const t = await createEncryptTransform(opts);
  await replaceOnSuccess(outPath, (tmp) => pipeline(createReadStream(inPath, { highWaterMark: 1 << 20 }), t, createWriteStream(tmp, { flags: 'wx', mode: 0o600 })));
}

/**
 * Decrypts a file to a file in constant memory. The output appears (by rename) only when every
 * chunk and the signature verified: a failed decryption leaves no partial plaintext behind.
 * @returns the verified signer, if any, and the authenticated header
 */
export async function decryptFile(inPath: string, outPath: string, opts: DecryptOptions): Promise<{ signer: SignerReport | undefined; info: EnvelopeInfo }> {
  // The output appears only after everything verified (temp file + rename): no unsigned plaintext.
  const d = decryptTransformNode(opts, false);
  await replaceOnSuccess(outPath, (tmp) => pipeline(createReadStream(inPath, { highWaterMark: 1 << 20 }), d.transform, createWriteStream(tmp, { flags: 'wx', mode: 0o600 })));
  const [{ signer }, info] = await Promise.all([d.done, d.info]);
  return { signer, info: { ...info, sizes: (await inspectFile(inPath)).sizes } };
}

async function readHeaderBytes(path: string): Promise<{ header: Uint8Array; size: number }> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const start = new Uint8Array(Math.min(LIMITS.maxLeadingWhitespace + PRELUDE_LENGTH, size));
    await fh.read(start, 0, start.length, 0);
    // Armor, or only whitespace: the caller reads it as a stream (the same verdict as decrypt's).
    if (detectEncoding(start) !== 'binary') return { header: new Uint8Array(0), size };
    const pre = start.subarray(0, PRELUDE_LENGTH);
    const length = parsePrelude(pre);
    if (size < length) parseHeader(pre); // raises the precise truncation error
    const header = new Uint8Array(length);
    await fh.read(header, 0, length, 0);
    return { header, size };
  } finally {
    await fh.close();
  }
}

/**
 * Describes an envelope file without keys, reading only its header (armored files are read whole).
 * Not authenticated: see `inspect`.
 */
export async function inspectFile(path: string): Promise<EnvelopeInfo> {
  const { header, size } = await readHeaderBytes(path);
  if (header.length === 0) return inspectAny(createReadStreamWeb(path));
  return describe(parseHeader(header), false, size);
}

function createReadStreamWeb(path: string): ReadableStream<Uint8Array> {
  return Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>;
}

/**
 * `updateRecipients` for files: writes the new header, then copies the payload and trailer byte for
 * byte (no cryptography on the payload). Binary envelopes only. See `updateRecipients` for what a
 * removed recipient can still open.
 */
export async function updateRecipientsFile(inPath: string, outPath: string, opts: UpdateRecipientsOptions): Promise<void> {
  const { header: bytes } = await readHeaderBytes(inPath);
  if (bytes.length === 0) fail('ERR_CORE_INVALID_ARGUMENT', 'updateRecipientsFile needs a binary envelope (use updateRecipients for armored text)');
  const recipients = toRecipients(opts.recipients);
  checkRecipientMix(recipients);
  const header = parseHeader(bytes);
  const fileKey = await recoverFileKey(header, opts.identities);
  // A truncated or extended payload is refused, not re-wrapped (lifecycle.ts checkFraming: one chunk read).
  const src = await fileSource(inPath);
  let size: number;
  try {
    await checkFraming(src, fileKey);
    size = src.size;
  } catch (e) {
    fileKey.fill(0);
    throw e;
  } finally {
    await src.close();
  }
  const { header: fresh, oldLength } = rewriteHeader(bytes, fileKey, wrap(fileKey, recipients));
  fileKey.fill(0);
  await replaceOnSuccess(outPath, async (tmp) => {
    const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
    out.write(fresh);
    await pipeline(createReadStream(inPath, { start: oldLength, highWaterMark: 1 << 20 }), out);
    // The payload copied must be the one whose framing was checked (same length).
    if ((await stat(tmp)).size !== fresh.length + size - oldLength) fail('ERR_CORE_INVALID_ARGUMENT', `${inPath} changed while it was read: nothing written`);
  });
}

/**
 * `rotateDataKey` for files, in constant memory: decrypts the stream and re-encrypts it under a new
 * file key (same suite and HE section). The output appears only when both sides verified, the old
 * signature too when `requireSigner` is given, and when the header authenticated by the decrypt pass
 * is byte-for-byte the header the suite and HE section were taken from (the file is read twice).
 * @throws as `rotateDataKey`; `ERR_CORE_INVALID_ARGUMENT` when the file changed between the reads
 */
export async function rotateDataKeyFile(inPath: string, outPath: string, opts: RotateDataKeyOptions): Promise<void> {
  const { header: bytes } = await readHeaderBytes(inPath);
  if (bytes.length === 0) fail('ERR_CORE_INVALID_ARGUMENT', 'rotateDataKeyFile needs a binary envelope (use rotateDataKey for armored text)');
  const header = parseHeader(bytes);
  if (header.signer && opts.signer === undefined) {
    fail('ERR_CORE_INVALID_ARGUMENT', 'the envelope is signed: pass "signer" to sign the new one, or signer: null to drop the signature');
  }
  await runCheckHe(opts, header.he);
  // The output is written to a temporary file and renamed only after everything verified, so the
  // stream signer policy does not apply (nothing unverified is ever visible at outPath).
  const d = decryptTransformNode({ identities: opts.identities, nde: opts.nde, requireSigner: opts.requireSigner }, false);
  const nde = rotatedNde(opts, header.suite.innerId !== null);
  // Suite and HE section come from the first (unauthenticated) read; the decrypt pass below reads
  // the file again and authenticates its header. They must be the same bytes, or a file swapped
  // between the reads (or a lying FUSE/network mount) could inject HE ciphertexts that would be
  // re-MACed and re-signed here: checked before the rename.
  const copts = await encryptOptions(
    nodePlatform,
    { recipients: opts.recipients, signer: opts.signer ?? undefined, nde, ndeVersion: opts.ndeVersion, aead: header.suite.aead, chunkSize: header.suite.chunkSize },
    { he: header.he },
  );
  const e = nde === 'off' || !pipelines(header.suite.chunkSize) ? createEncryptDuplex(copts) : prefetchingEncryptTransform(copts, await ndeBackend(nde, checkNdeVersion(opts.ndeVersion, nde)));
  await replaceOnSuccess(outPath, async (tmp) => {
    await pipeline(createReadStream(inPath, { highWaterMark: 1 << 20 }), d.transform, e, createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
    await d.done;
    const authenticated = await d.header;
    if (authenticated.bytes.length !== bytes.length || !timingSafeEqual(authenticated.bytes, bytes)) {
      fail('ERR_CORE_INVALID_ARGUMENT', `${inPath} changed while it was read (the authenticated header differs from the first read): nothing written`);
    }
  });
}

/** Options of {@link openEnvelopeFile}. */
export interface OpenFileOptions {
  /** Identities to try. */
  readonly identities: DecryptOptions['identities'];
  /** NDE backend; default `'auto'`. */
  readonly nde?: NdeChoice | undefined;
}

/**
 * Opens an envelope file for random access: `readChunk(k)` decrypts and verifies chunk `k` (its tag
 * and its position) reading only that chunk. A signature is NOT checked (it covers the whole
 * payload): use `decryptFile` for that. Call `close()` when done.
 * @example
 * ```ts
 * const env = await openEnvelopeFile('big.nqc', { identities });
 * const chunk = await env.readChunk(1000);
 * await env.close();
 * ```
 */
export async function openEnvelopeFile(path: string, opts: OpenFileOptions): Promise<RandomAccessEnvelope & { close(): Promise<void> }> {
  const src = await fileSource(path);
  try {
    const ra = await openAny(nodePlatform, src, opts);
    return Object.assign(Object.create(null) as object, {
      header: ra.header,
      chunkCount: ra.chunkCount,
      chunkSize: ra.chunkSize,
      plaintextSize: ra.plaintextSize,
      readChunk: (k: number) => ra.readChunk(k),
      close: () => src.close(),
    });
  } catch (e) {
    await src.close();
    throw e;
  }
}

/** Options of {@link loadIdentities}. */
export interface LoadIdentitiesOptions {
  /** Passphrase, used only when the file is passphrase-protected (a plain file ignores it). */
  readonly passphrase?: string | undefined;
  /**
   * Refuse a plain (unprotected) file (`ERR_PQL_IDENTITY_FILE`): set it when the file is known to be
   * protected, so that someone who can replace the file cannot swap in plaintext keys of their own.
   * Default false (plain or protected, as the file says).
   */
  readonly requireProtected?: boolean | undefined;
}

/**
 * Reads an identity file (plain or passphrase-protected) and returns its identities and signing keys,
 * ready for `decrypt({ identities })` and `encrypt({ signer })`. The file is read once; `passphrase` is
 * passed to pql only when that text is protected (pql refuses a passphrase for a plain file), unless
 * `requireProtected` asks to refuse plain files.
 * @throws NqcPqlError `ERR_PQL_IDENTITY_FILE` (malformed, no keys, passphrase missing, plain file with
 *   `requireProtected`), `ERR_PQL_BAD_PASSPHRASE`; fs errors pass through
 * @example
 * ```ts
 * const { identities, signingKeys } = await loadIdentities('key.txt', { passphrase });
 * ```
 */
export async function loadIdentities(path: string, options?: LoadIdentitiesOptions): Promise<{ identities: Identity[]; signingKeys: SigningKey[] }> {
  if (options !== undefined && (typeof options !== 'object' || options === null)) fail('ERR_CORE_INVALID_ARGUMENT', '"options" expected an object like { passphrase }');
  const st = await stat(path);
  if (!st.isFile()) throw new NqcPqlError('ERR_PQL_IDENTITY_FILE', `${path} is not a regular file`);
  if (st.size > MAX_IDENTITY_FILE_LENGTH) throw new NqcPqlError('ERR_PQL_IDENTITY_FILE', `identity file too large: ${st.size} bytes`);
  const text = await readFile(path, 'utf8');
  const encrypted = isEncryptedIdentityFile(text);
  if (options?.requireProtected === true && !encrypted) throw new NqcPqlError('ERR_PQL_IDENTITY_FILE', `${path} is not passphrase-protected`);
  const passphrase = options?.passphrase;
  const c = parseIdentityFile(text, encrypted && passphrase !== undefined ? { passphrase } : {});
  return { identities: c.identities, signingKeys: c.signingKeys };
}
