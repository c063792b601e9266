/**
 * What every route module gets from `buildServer`: the store, the SEAL worker threads, the metering
 * wrapper, the limits and the job queue. One object, built once per server.
 * @module
 */
import type { SecurityManager } from '@nqc/agents';
import { NqcCloudError } from '../errors.js';
import type { EvaluatorCache } from '../evaluators.js';
import type { AggregateJobs } from '../jobs/index.js';
import type { DatasetRow, Store } from '../store.js';

/** The operations metered by the security manager. */
export type MeteredOp = 'cloud.check' | 'cloud.aggregate';

/** The server's shared state, handed to each route module. */
export interface RouteContext {
  /** Where datasets, envelopes and the audit log are kept. */
  readonly store: Store;
  /** One SEAL worker thread per recently used dataset. */
  readonly evaluators: EvaluatorCache;
  /** Runs `task` as the manager's operation `op` (counted and timed), or directly without a manager. */
  readonly perform: <T>(op: MeteredOp, task: () => Promise<T>) => Promise<T>;
  /** The job queue for every aggregate kind (sum, mean, count, histogram, groupSum), if any. */
  readonly jobs: AggregateJobs | undefined;
  /** The security manager, if any. */
  readonly manager: SecurityManager | undefined;
  /** Largest envelope accepted by an upload, in bytes. */
  readonly maxEnvelopeBytes: number;
  /** Largest dataset-creation request, in bytes. */
  readonly maxDatasetBytes: number;
  /** Most writers a dataset may enrol. */
  readonly maxWriters: number;
  /** Most datasets one key may own. */
  readonly maxDatasetsPerOwner: number;
  /** The dataset with this id, or `ERR_CLOUD_NOT_FOUND`. */
  readonly datasetOr404: (id: string) => Promise<DatasetRow>;
}

/**
 * Builds {@link RouteContext.datasetOr404} for a store.
 * @param store - the server's store
 */
export function datasetLookup(store: Store): (id: string) => Promise<DatasetRow> {
  return async (id) => {
    const d = await store.getDataset(id);
    if (!d) throw new NqcCloudError('ERR_CLOUD_NOT_FOUND', 'no such dataset');
    return d;
  };
}
