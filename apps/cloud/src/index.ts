/**
 * `@nqc/cloud`: the zero-trust cloud server. It stores signed envelopes and computes homomorphic
 * aggregates with the owner's evaluation bundle only; the browser client holds every key.
 * @module
 */
export { buildServer, type CloudServerOptions, type SignerStatement } from './server.js';
export { NqcCloudError, type CloudErrorCode, type ErrorBody } from './errors.js';
export { SqliteStore } from './sqlite-store.js';
export { makePatients, PATIENT_FIELDS, type Patient } from './patients.js';
export type { AuditEntry, DatasetRow, EnvelopeMeta, Store } from './store.js';
