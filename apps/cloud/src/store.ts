/**
 * The storage interface of the cloud server: datasets, envelopes and the audit log. Everything kept
 * here is public to the server by design (envelope bytes, verifying keys, the evaluation bundle,
 * sizes): no secret key and no plaintext ever reaches a store.
 * @module
 */

/** A dataset as stored: the owner's enrolled writers and the HE evaluation bundle. */
export interface DatasetRow {
  /** Server-chosen id (hex). */
  readonly id: string;
  /** A label chosen by the owner (public). */
  readonly name: string;
  /** Enrolled writers' verifying keys (`nqc-pub-...`). */
  readonly writers: readonly string[];
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

/** Where the server keeps its data. The embedded default is {@link SqliteStore}. */
export interface Store {
  /** Stores a new dataset. */
  createDataset(row: DatasetRow): void;
  /** A dataset, or `undefined`. */
  getDataset(id: string): DatasetRow | undefined;
  /** Every dataset, oldest first. */
  listDatasets(): DatasetRow[];
  /** Stores an envelope with its metadata, atomically; the same bytes twice in a dataset is an error. */
  putEnvelope(meta: EnvelopeMeta, bytes: Uint8Array): void;
  /** Whether the dataset already holds an envelope with this SHA-256 (hex). */
  hasEnvelope(datasetId: string, sha256: string): boolean;
  /** Metadata of a dataset's envelopes, oldest first. */
  listEnvelopes(datasetId: string): EnvelopeMeta[];
  /** The bytes of one envelope, or `undefined`. */
  getEnvelope(id: string): Uint8Array | undefined;
  /** The first `n` bytes of one envelope (empty if unknown), without loading the rest. */
  envelopePrefix(id: string, n: number): Uint8Array;
  /** The bytes of a dataset's envelopes, oldest first, one at a time. */
  envelopes(datasetId: string): Iterable<Uint8Array>;
  /** Appends an audit entry; returns it with its sequence number. */
  audit(action: string, datasetId: string | null, detail: Record<string, unknown>): AuditEntry;
  /** Audit entries after `since` (sequence number), oldest first, at most `limit`. */
  listAudit(opts: { datasetId?: string | undefined; since?: number | undefined; limit: number }): AuditEntry[];
  /** Releases the store. */
  close(): void;
}
