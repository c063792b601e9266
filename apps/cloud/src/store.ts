/**
 * The storage interface of the cloud server: datasets, envelopes and the audit log. Everything kept
 * here is public to the server by design (envelope bytes, verifying keys, the evaluation bundle,
 * sizes): no secret key and no plaintext ever reaches a store.
 * @module
 */
import { Dearmorer, detectEncoding, verifySignature } from '@nqc/core/node';
import { sha256Hex } from './codec.js';
import { NqcCloudError } from './errors.js';

/**
 * The refusal of a second copy of one signed envelope in a dataset (every store throws it): the same
 * signed transcript ({@link EnvelopeMeta.signed}), whatever its encoding or stanzas.
 */
export const duplicate = (): NqcCloudError => new NqcCloudError('ERR_CLOUD_DUPLICATE', 'this signed envelope is already stored in the dataset (a replayed upload?)');

/**
 * The one form of an envelope the server stores: binary. ASCII armor (CRLF and surrounding
 * whitespace tolerated, as every reader) is decoded; binary bytes are returned as they are.
 * @throws NqcFormatError `ERR_FORMAT_ARMOR` for malformed armor, `ERR_FORMAT_TRUNCATED` for whitespace only
 */
export function binaryForm(bytes: Uint8Array): Uint8Array {
  const encoding = detectEncoding(bytes);
  if (encoding === 'binary') return bytes;
  const d = new Dearmorer();
  const parts = [...d.push(bytes), ...d.finish()];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * An envelope's replay key: the hex SHA-256 transcript its signature covers (`verifySignature`'s
 * `transcript`; FORMAT.md section 8), the same for its armored form, its stanzas re-wrapped, or
 * another signature over the same content. Only checks that the signature verifies against the key
 * the header names (for rows already verified on upload); uploads get it from their own check.
 * @throws as `verifySignature`
 */
export async function signedDigest(binary: Uint8Array): Promise<string> {
  return Buffer.from((await verifySignature(binary)).transcript).toString('hex');
}

/**
 * One legacy envelope row migrated: its binary form, SHA-256 and replay key; `undefined` when the
 * stored bytes do not verify (kept as they are, without a replay key).
 * @internal shared by the stores' migrations
 */
export async function migrateRow(bytes: Uint8Array): Promise<{ bytes: Uint8Array; sha256: string; signed: string } | undefined> {
  try {
    const binary = binaryForm(bytes);
    return { bytes: binary, sha256: sha256Hex(binary), signed: await signedDigest(binary) };
  } catch {
    return undefined;
  }
}

/** A dataset as stored: the owner's enrolled writers and the HE evaluation bundle. */
export interface DatasetRow {
  /** Server-chosen id (hex). */
  readonly id: string;
  /** A label chosen by the owner (public). */
  readonly name: string;
  /** Enrolled writers' verifying keys (`nqc-pub-...`). */
  readonly writers: readonly string[];
  /**
   * The owner: the verifying key (`nqc-pub-...`) of the user who created the dataset, as
   * authenticated by @nqc/channel. Only the owner (and `readers`) may read aggregates, envelope
   * metadata and the audit log. Every store must persist it (see `src/channel/`).
   */
  readonly owner: string;
  /** Verifying keys the owner lets read what the owner reads (no uploads: those are `writers`'). Every store persists them. */
  readonly readers: readonly string[];
  /** The encoded HE evaluation bundle (public key material only). */
  readonly bundle: Uint8Array;
  /** The bundle's HE key id. */
  readonly heKeyId: string;
  /** ISO time of creation. */
  readonly createdAt: string;
}

/** A dataset without its bundle: what listing answers need ({@link Store.listDatasetsOf}). */
export type DatasetSummary = Omit<DatasetRow, 'bundle'> & {
  /** The bundle's length in bytes. */
  readonly bundleBytes: number;
};

/** What the server recorded about one stored envelope (everything public). */
export interface EnvelopeMeta {
  /** Server-chosen id (hex). */
  readonly id: string;
  /** The dataset it belongs to. */
  readonly datasetId: string;
  /** Envelope length in bytes. */
  readonly size: number;
  /** SHA-256 of the stored (binary) envelope bytes (hex). */
  readonly sha256: string;
  /**
   * The replay key: hex SHA-256 transcript the signature covers (see {@link signedDigest}); unique
   * per dataset in every store. Every upload has one; absent (`null` when read back) only for a row
   * put without it (tests) or a legacy row whose bytes no longer verify.
   */
  readonly signed?: string | null | undefined;
  /** The verified signer's verifying key (`nqc-pub-...`). */
  readonly signer: string;
  /** HE field paths found in the envelope's header. */
  readonly fields: readonly string[];
  /** Records the HE section claims (the writer's word). */
  readonly records: number;
  /** ISO time of upload. */
  readonly createdAt: string;
}

/** One audit log entry: what the server did, with public details only. */
export interface AuditEntry {
  /** Monotonic sequence number. */
  readonly seq: number;
  /** ISO time. */
  readonly at: string;
  /** Action, e.g. `dataset.create`, `envelope.store`, `envelope.refuse`, `aggregate`. */
  readonly action: string;
  /** The dataset concerned, if any. */
  readonly datasetId: string | null;
  /** Public details (sizes, codes, counts). */
  readonly detail: Readonly<Record<string, unknown>>;
}

/**
 * Where the server keeps its data. Every method is asynchronous, so that a store can be a database
 * server: the embedded default is {@link SqliteStore}; `PostgresStore` (`src/postgres/`) is the
 * option for several server instances on one database.
 */
export interface Store {
  /** Stores a new dataset. */
  createDataset(row: DatasetRow): Promise<void>;
  /** A dataset, or `undefined`. */
  getDataset(id: string): Promise<DatasetRow | undefined>;
  /** Every dataset, oldest first (bundles included: for maintenance, not for requests). */
  listDatasets(): Promise<DatasetRow[]>;
  /**
   * The datasets `user` (a verifying key string) owns, reads or writes, oldest first, without
   * their bundles (read in the database: the bundle column is never loaded).
   */
  listDatasetsOf(user: string): Promise<DatasetSummary[]>;
  /** How many datasets `owner` owns. */
  countDatasetsOwnedBy(owner: string): Promise<number>;
  /**
   * Stores an envelope (binary form) with its metadata, atomically; a second envelope with the same
   * {@link EnvelopeMeta.signed} (or the same bytes) in a dataset is refused with `NqcCloudError`
   * `ERR_CLOUD_DUPLICATE`, also between server instances on one database.
   */
  putEnvelope(meta: EnvelopeMeta, bytes: Uint8Array): Promise<void>;
  /** Whether the dataset already holds an envelope with this replay key ({@link EnvelopeMeta.signed}). */
  hasSigned(datasetId: string, signed: string): Promise<boolean>;
  /** Metadata of a dataset's envelopes, oldest first. */
  listEnvelopes(datasetId: string): Promise<EnvelopeMeta[]>;
  /** The bytes of one envelope, or `undefined`. */
  getEnvelope(id: string): Promise<Uint8Array | undefined>;
  /** The first `n` bytes of one envelope (empty if unknown), without loading the rest. */
  envelopePrefix(id: string, n: number): Promise<Uint8Array>;
  /** The bytes of a dataset's envelopes, oldest first, one at a time. */
  envelopes(datasetId: string): AsyncIterable<Uint8Array>;
  /** Appends an audit entry; returns it with its sequence number (monotonic). */
  audit(action: string, datasetId: string | null, detail: Record<string, unknown>): Promise<AuditEntry>;
  /** Audit entries after `since` (sequence number), oldest first, at most `limit`. */
  listAudit(opts: { datasetId?: string | undefined; since?: number | undefined; limit: number }): Promise<AuditEntry[]>;
  /** Releases the store. */
  close(): Promise<void>;
}
