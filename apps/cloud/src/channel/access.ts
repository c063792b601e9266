/**
 * Who may do what, per dataset. A user is their verifying key (`nqc-pub-...`), authenticated by the
 * channel's ML-DSA signature on every request: the dataset's creator is its owner; its enrolled
 * writers may upload; the owner and the readers the owner named may read aggregates, envelope
 * metadata and the audit log.
 * @module
 */
import { parseVerifyingKey } from '@nqc/pql';
import type { FastifyRequest } from 'fastify';
import { errorInfo } from '@nqc/core';
import { NqcCloudError } from '../errors.js';
import type { DatasetRow } from '../store.js';

/**
 * The authenticated user of a request (their canonical verifying key string).
 * @throws {NqcCloudError} ERR_CLOUD_UNAUTHENTICATED when the request did not come through the channel signed by a key
 */
export function userOf(req: FastifyRequest): string {
  const client = req.nqc?.client;
  if (!client) throw new NqcCloudError('ERR_CLOUD_UNAUTHENTICATED', 'requests to /api must come through the nqc channel, signed with the user\'s key');
  return client.identity;
}

/** Whether `user` owns or reads `d`. */
export const canRead = (d: DatasetRow, user: string): boolean => d.owner === user || d.readers.includes(user);

/** Whether `user` owns, reads or writes `d` (they may see its description). */
export const isMember = (d: DatasetRow, user: string): boolean => canRead(d, user) || d.writers.includes(user);

/** @throws {NqcCloudError} ERR_CLOUD_FORBIDDEN unless `user` owns or reads `d` */
export function assertReader(d: DatasetRow, user: string): void {
  if (!canRead(d, user)) throw new NqcCloudError('ERR_CLOUD_FORBIDDEN', 'only the dataset\'s owner and the readers it named may read this');
}

/** @throws {NqcCloudError} ERR_CLOUD_FORBIDDEN unless `user` is a member of `d` */
export function assertMember(d: DatasetRow, user: string): void {
  if (!isMember(d, user)) throw new NqcCloudError('ERR_CLOUD_FORBIDDEN', 'this dataset is not shared with this key');
}

/** @throws {NqcCloudError} ERR_CLOUD_FORBIDDEN unless `user` is one of `d`'s enrolled writers */
export function assertWriter(d: DatasetRow, user: string): void {
  if (!d.writers.includes(user)) throw new NqcCloudError('ERR_CLOUD_FORBIDDEN', 'only writers the owner enrolled may upload to this dataset');
}

/**
 * Canonical verifying key strings from a request field (absent: none).
 * @throws {NqcCloudError} `code` (ERR_CLOUD_BAD_WRITER by default) for anything but 0..max verifying keys
 */
export function verifyingKeys(value: unknown, what: string, max: number, code: 'ERR_CLOUD_BAD_WRITER' = 'ERR_CLOUD_BAD_WRITER'): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > max) throw new NqcCloudError(code, `"${what}" expected at most ${max} verifying keys (nqc-pub-...)`);
  const keys = value.map((w, i) => {
    if (typeof w !== 'string' || !w.startsWith('nqc-pub-')) throw new NqcCloudError(code, `${what}[${i}] is not a verifying key (nqc-pub-...); secret keys are never accepted`);
    try {
      return parseVerifyingKey(w).toString();
    } catch (e) {
      throw new NqcCloudError(code, `${what}[${i}]: ${errorInfo(e).message}`, errorInfo(e).code);
    }
  });
  return [...new Set(keys)];
}
