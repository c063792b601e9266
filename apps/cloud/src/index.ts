/**
 * `@nqc/cloud`: the zero-trust cloud server. It stores signed envelopes and computes homomorphic
 * aggregates with the owner's evaluation bundle only; the browser client holds every key.
 * @module
 */
export { buildServer, type CloudServerOptions, type SignerStatement } from './server.js';
export { NqcCloudError, type CloudErrorCode, type ErrorBody } from './errors.js';
export { SqliteStore } from './sqlite-store.js';
export { PostgresStore, READ_SLICE, type PostgresStoreOptions } from './postgres/store.js';
export { PgBossJobs, type AggregateJobs, type AggregateOutcome, type AggregateRequest, type AggregateRunner, type EncodedResult, type PgBossJobsOptions } from './jobs/index.js';
export { generateChannelKeys, loadOrCreateChannelKeys, mountChannel, type ChannelKeys, type CloudChannelOptions, type MountedChannel } from './channel/index.js';
export { makePatients, PATIENT_FIELDS, type Patient } from './patients.js';
export type { AuditEntry, DatasetRow, EnvelopeMeta, Store } from './store.js';
export { AGE_BINS, AGE_HISTOGRAM, encodePatient, PATIENT_SCENARIO_FIELDS } from './patients.js';
export { AMOUNT_BINS, AMOUNT_FIELD, AMOUNT_HISTOGRAM, BANK_FIELDS, CATEGORIES, CATEGORY_SUMS, encodeTransaction, makeTransactions, type Transaction } from './bank.js';
export { binOf, groupPath, groupSumFields, histogramFields, isGroupName, MAX_GROUP_KEYS, oneHot, spread, type Bin, type GroupSpec } from './aggregates/groups.js';
export { sumGroup, type GroupAnswer, type SlotEvaluator, type SlotPart } from './aggregates/slots.js';
export { signerStatement, SignerTally, type SignedBy, type WriterStatement } from './aggregates/signers.js';
