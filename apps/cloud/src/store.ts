/**
 * The storage interface of the cloud server: datasets, envelopes and the audit log. Everything kept
 * here is public to the server by design (envelope bytes, verifying keys, the evaluation bundle,
 * sizes): no secret key and no plaintext ever reaches a store.
 * @module
 */
import { NqcCloudError } from './errors.js';

/** The refusal of a second copy of the same envelope bytes in a dataset (every store throws it). */
export const duplicate = (): NqcCloudError => new NqcCloudError('ERR_CLOUD_DUPLICATE', 'this envelope is already stored in the dataset (a replayed upload?)');

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

/** What the server recorded about one stored envelope (everything public). */
export interface EnvelopeMeta {
  /** Server-chosen id (hex). */
  readonly id: string;
  /** The dataset it belongs to. */
  readonly datasetId: string;
  /** Envelope length in bytes. */
  readonly size: number;
  /** SHA-256 of the envelope bytes (hex). */
  readonly sha256: string;
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
  /** Every dataset, oldest first. */
  listDatasets(): Promise<DatasetRow[]>;
  /**
   * Stores an envelope with its metadata, atomically; the same bytes twice in a dataset is refused
   * with `NqcCloudError` `ERR_CLOUD_DUPLICATE`.
   */
  putEnvelope(meta: EnvelopeMeta, bytes: Uint8Array): Promise<void>;
  /** Whether the dataset already holds an envelope with this SHA-256 (hex). */
  hasEnvelope(datasetId: string, sha256: string): Promise<boolean>;
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
