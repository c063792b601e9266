/**
 * A strike register of seen encapsulations (the HPKE `enc` of each request), kept for a clock-skew
 * window, so a captured request cannot be replayed while its timestamp is still acceptable.
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { _hex } from './_bytes.js';
import { NqcChannelError } from './errors.js';

/**
 * What the gateway needs of a replay register: `strike` records a request's encapsulation until
 * `expiresAt` (ms since the epoch) and throws `NqcChannelError` `ERR_CHANNEL_REPLAY` when it was
 * seen before and has not expired. It may be asynchronous, so several gateway processes can share
 * one register (a database); any other error it throws refuses the request too (fails closed).
 * {@link StrikeRegister} is the in-process one.
 */
export interface ReplayRegister {
  strike(enc: Uint8Array, expiresAt: number, now: number): void | Promise<void>;
}

/** Options of {@link StrikeRegister}. */
export type StrikeRegisterOptions = {
  /** Most entries held; when full (after pruning) new requests are refused (default 100,000). */
  maxEntries?: number;
};

/**
 * Remembers request encapsulations until they expire. Memory is bounded by `maxEntries`; the
 * register fails closed (refuses requests) rather than forgetting live entries.
 * @example
 * ```ts
 * const register = new StrikeRegister({ maxEntries: 10_000 });
 * register.strike(context.enc, Date.now() + 120_000); // throws ERR_CHANNEL_REPLAY the second time
 * ```
 */
export class StrikeRegister implements ReplayRegister {
  readonly #max: number;
  readonly #seen = new Map<string, number>();

  /** @throws {NqcChannelError} ERR_CHANNEL_INVALID_INPUT */
  constructor(options: StrikeRegisterOptions = {}) {
    const max = options.maxEntries ?? 100_000;
    if (!Number.isSafeInteger(max) || max < 1) throw new NqcChannelError('ERR_CHANNEL_INVALID_INPUT', `"maxEntries" expected a positive integer, got ${String(max)}`);
    this.#max = max;
  }

  /** Number of live entries. */
  get size(): number {
    return this.#seen.size;
  }

  /**
   * Records `enc` until `expiresAt` (ms since the epoch).
   * @throws {NqcChannelError} ERR_CHANNEL_REPLAY when `enc` was seen and has not expired, or the register is full
   */
  strike(enc: Uint8Array, expiresAt: number, now: number = Date.now()): void {
    const id = _hex(sha256(enc).subarray(0, 16));
    const prev = this.#seen.get(id);
    if (prev !== undefined && prev > now) throw new NqcChannelError('ERR_CHANNEL_REPLAY', 'request was seen before');
    if (this.#seen.size >= this.#max) this.prune(now);
    if (this.#seen.size >= this.#max) throw new NqcChannelError('ERR_CHANNEL_REPLAY', 'replay register is full');
    this.#seen.delete(id);
    this.#seen.set(id, expiresAt);
  }

  /** Drops expired entries. */
  prune(now: number = Date.now()): void {
    for (const [id, exp] of this.#seen) if (exp <= now) this.#seen.delete(id);
  }
}
